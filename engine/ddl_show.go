package engine

// DESCRIBE [EXTENDED|FORMATTED], SHOW COLUMNS and SHOW CREATE TABLE.

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/planner/ddl"
)

func (s *Session) describe(ctx context.Context, r *Result, st *ddl.Describe) error {
	t, err := s.lookupTable(ctx, st.Table)
	if err != nil {
		return err
	}
	if st.ColumnsOnly {
		// MySQL's SHOW COLUMNS layout; Field alone is Hive's/Athena's.
		var rows [][]any
		for i, c := range append(append([]catalog.Column(nil), t.Columns...), t.PartitionKeys...) {
			extra := ""
			if i >= len(t.Columns) {
				extra = "partition key"
			}
			rows = append(rows, []any{c.Name, mysqlTypeOf(c.Type).columnType, "YES", "", nil, extra})
		}
		r.setStatic([]string{"Field", "Type", "Null", "Key", "Default", "Extra"}, []arrow.DataType{strT, strT, strT, strT, strT, strT}, rows)
		return nil
	}
	var rows [][]any
	add := func(a, b, c any) { rows = append(rows, []any{a, b, c}) }
	for _, c := range t.Columns {
		add(c.Name, displayType(c.Type), nullIfEmpty(c.Comment))
	}
	for _, c := range t.PartitionKeys {
		add(c.Name, displayType(c.Type), nullIfEmpty(c.Comment))
	}
	if len(t.PartitionKeys) > 0 {
		add("", nil, nil)
		add("# Partition Information", nil, nil)
		add("# col_name", "data_type", "comment")
		for _, c := range t.PartitionKeys {
			add(c.Name, displayType(c.Type), nullIfEmpty(c.Comment))
		}
	}
	switch {
	case st.Formatted:
		s.describeFormatted(ctx, t, add)
	case st.Extended:
		add("", nil, nil)
		add("# Detailed Table Information", nil, nil)
		add("Database:", t.Database, nil)
		add("Table:", t.Name, nil)
		add("Type:", string(t.Kind), nil)
		add("Version:", fmt.Sprint(t.Version), nil)
		add("Created:", t.Created.UTC().Format("2006-01-02 15:04:05"), nil)
		if t.Location != "" {
			add("Location:", t.Location, nil)
			add("Format:", t.Format, nil)
		}
		if t.ViewSQL != "" {
			add("View SQL:", t.ViewSQL, nil)
		}
		if t.Comment != "" {
			add("Comment:", t.Comment, nil)
		}
		for _, k := range sortedKeys(t.SerDeProps) {
			add("SerDe property:", k, t.SerDeProps[k])
		}
		for _, k := range sortedKeys(t.Props) {
			add("Table property:", k, t.Props[k])
		}
	}
	r.setStatic([]string{"col_name", "data_type", "comment"}, []arrow.DataType{strT, strT, strT}, rows)
	return nil
}

// describeFormatted appends Hive's DESCRIBE FORMATTED sections.
func (s *Session) describeFormatted(ctx context.Context, t *catalog.Table, add func(a, b, c any)) {
	add("", nil, nil)
	add("# Detailed Table Information", nil, nil)
	add("Database:", t.Database, nil)
	add("Table:", t.Name, nil)
	add("CreateTime:", t.Created.UTC().Format("2006-01-02 15:04:05 UTC"), nil)
	add("Version:", fmt.Sprint(t.Version), nil)
	add("Table Type:", string(t.Kind), nil)
	if t.Location != "" {
		add("Location:", t.Location, nil)
	}
	if t.Comment != "" {
		add("Comment:", t.Comment, nil)
	}
	add("Table Parameters:", nil, nil)
	params := map[string]string{}
	for k, v := range t.Props {
		params[k] = v
	}
	if t.Kind == catalog.KindExternal {
		params["EXTERNAL"] = "TRUE"
	}
	if st := t.Stats; st != nil {
		if st.Rows >= 0 {
			params["numRows"] = fmt.Sprint(st.Rows)
		}
		params["numFiles"] = fmt.Sprint(st.Files)
		params["totalSize"] = fmt.Sprint(st.Bytes)
	}
	if len(t.PartitionKeys) > 0 {
		if ps, err := s.partitionStore(); err == nil {
			if n, err := ps.CountPartitions(ctx, t.Database, t.Name); err == nil {
				params["numPartitions"] = fmt.Sprint(n)
			}
		}
	}
	for _, k := range sortedKeys(params) {
		add("", k, params[k])
	}
	if t.Kind == catalog.KindView {
		add("", nil, nil)
		add("# View Information", nil, nil)
		add("View Original Text:", t.ViewSQL, nil)
		return
	}
	if t.Format != "" {
		in, out := storageClasses(t.Format)
		add("", nil, nil)
		add("# Storage Information", nil, nil)
		add("SerDe Library:", serdeOf(t), nil)
		add("InputFormat:", in, nil)
		add("OutputFormat:", out, nil)
		add("Format:", t.Format, nil)
		if len(t.SerDeProps) > 0 {
			add("Storage Desc Params:", nil, nil)
			for _, k := range sortedKeys(t.SerDeProps) {
				add("", k, t.SerDeProps[k])
			}
		}
	}
	if t.Stats != nil && len(t.Stats.Cols) > 0 {
		add("", nil, nil)
		add("# Column Statistics", nil, nil)
		add("# col_name", "min / max", "nulls / distinct")
		for _, c := range append(append([]catalog.Column(nil), t.Columns...), t.PartitionKeys...) {
			cs, ok := t.Stats.Cols[c.Name]
			if !ok {
				continue
			}
			add(c.Name, cs.Min+" / "+cs.Max, fmt.Sprintf("%d / %d", cs.NullCount, cs.Distinct))
		}
	}
}

// serdeOf is the table's SerDe class, or the canonical one for its format.
func serdeOf(t *catalog.Table) string {
	if t.SerDe != "" {
		return t.SerDe
	}
	return serdeClass[t.Format]
}

// storageClasses are the Hive input/output format classes of a format.
func storageClasses(format string) (string, string) {
	switch format {
	case "parquet":
		return "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	case "orc":
		return "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"
	case "avro":
		return "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat", "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat"
	case "ion":
		return "com.amazon.ionhiveserde.IonHiveInputFormat", "com.amazon.ionhiveserde.IonHiveOutputFormat"
	}
	return "org.apache.hadoop.mapred.TextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
}

// secretProps are property names that are never shown (credentials).
func secretProp(k string) bool {
	l := strings.ToLower(k)
	for _, w := range []string{"secret", "password", "session.token", "sessiontoken", "access.key", "accesskey", "access_key", "credential"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

func writeProps(b *strings.Builder, m map[string]string) {
	first := true
	for _, k := range sortedKeys(m) {
		if secretProp(k) {
			continue
		}
		if !first {
			b.WriteString(",\n  ")
		}
		first = false
		fmt.Fprintf(b, "%s=%s", quoteString(k), quoteString(m[k]))
	}
}

func writeColumns(b *strings.Builder, cols []catalog.Column) {
	b.WriteString("(\n")
	for i, c := range cols {
		fmt.Fprintf(b, "  %s %s", quoteIdent(c.Name), displayType(c.Type))
		if c.Comment != "" {
			fmt.Fprintf(b, " COMMENT %s", quoteString(c.Comment))
		}
		if i < len(cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")")
}

// ShowCreate renders a catalog table as the Hive DDL statement that
// re-creates it. Properties that hold credentials are left out.
func ShowCreate(t *catalog.Table) string {
	var b strings.Builder
	if t.Kind == catalog.KindView {
		fmt.Fprintf(&b, "CREATE VIEW %s.%s AS %s", quoteIdent(t.Database), quoteIdent(t.Name), t.ViewSQL)
		return b.String()
	}
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s.%s ", quoteIdent(t.Database), quoteIdent(t.Name))
	writeColumns(&b, t.Columns)
	if t.Comment != "" {
		fmt.Fprintf(&b, "\nCOMMENT %s", quoteString(t.Comment))
	}
	if len(t.PartitionKeys) > 0 {
		b.WriteString("\nPARTITIONED BY ")
		writeColumns(&b, t.PartitionKeys)
	}
	switch t.Format {
	case "", "parquet", "orc", "avro", "ion":
		if t.SerDe != "" {
			fmt.Fprintf(&b, "\nROW FORMAT SERDE %s", quoteString(t.SerDe))
			if len(t.SerDeProps) > 0 {
				b.WriteString("\nWITH SERDEPROPERTIES (\n  ")
				writeProps(&b, t.SerDeProps)
				b.WriteString(")")
			}
		}
		if t.Format != "" {
			fmt.Fprintf(&b, "\nSTORED AS %s", strings.ToUpper(t.Format))
		}
	default:
		// Text formats: the SerDe reads them (CSV, JSON, regex, ...).
		fmt.Fprintf(&b, "\nROW FORMAT SERDE %s", quoteString(serdeOf(t)))
		if len(t.SerDeProps) > 0 {
			b.WriteString("\nWITH SERDEPROPERTIES (\n  ")
			writeProps(&b, t.SerDeProps)
			b.WriteString(")")
		}
		b.WriteString("\nSTORED AS TEXTFILE")
	}
	if t.Location != "" {
		fmt.Fprintf(&b, "\nLOCATION %s", quoteString(t.Location))
	}
	props := map[string]string{}
	for k, v := range t.Props {
		if !secretProp(k) {
			props[k] = v
		}
	}
	if len(props) > 0 {
		b.WriteString("\nTBLPROPERTIES (\n  ")
		writeProps(&b, props)
		b.WriteString(")")
	}
	return b.String()
}
