package engine

import (
	"sort"
	"strings"

	"github.com/tarnsql/tarn/planner/ddl"
)

// storedAsFormat maps STORED AS names to catalog format names. Whether a
// format can be read is the connector's decision (filetable.FormatFor
// rejects the ones it cannot, by name).
var storedAsFormat = map[string]string{
	"parquet": "parquet", "textfile": "csv", "csv": "csv", "tsv": "csv",
	"jsonfile": "json", "json": "json", "orc": "orc", "avro": "avro", "ion": "ion",
}

// serdeFormats maps Hive SerDe classes (lower case) to catalog formats.
var serdeFormats = map[string]string{
	"org.apache.hadoop.hive.serde2.lazy.lazysimpleserde":             "csv",
	"org.apache.hadoop.hive.serde2.opencsvserde":                     "csv",
	"org.apache.hive.hcatalog.data.jsonserde":                        "json",
	"org.apache.hadoop.hive.serde2.jsonserde":                        "json",
	"org.openx.data.jsonserde.jsonserde":                             "json",
	"org.apache.hadoop.hive.serde2.regexserde":                       "regex",
	"com.amazonaws.glue.serde.grokserde":                             "grok",
	"org.apache.hadoop.hive.ql.io.parquet.serde.parquethiveserde":    "parquet",
	"org.apache.hadoop.hive.serde2.avro.avroserde":                   "avro",
	"org.apache.hadoop.hive.ql.io.orc.orcserde":                      "orc",
	"com.amazon.ionhiveserde.ionhiveserde":                           "ion",
	"org.apache.hadoop.hive.serde2.columnar.lazybinarycolumnarserde": "rcfile",
}

// inputFormats maps Hive input format classes (lower case) to STORED AS names.
var inputFormats = map[string]string{
	"org.apache.hadoop.hive.ql.io.parquet.mapredparquetinputformat": "parquet",
	"parquet.hive.deprecatedparquetinputformat":                     "parquet",
	"org.apache.hadoop.mapred.textinputformat":                      "textfile",
	"org.apache.hadoop.hive.ql.io.orc.orcinputformat":               "orc",
	"org.apache.hadoop.hive.ql.io.avro.avrocontainerinputformat":    "avro",
	"com.amazon.ionhiveserde.ionhiveinputformat":                    "ion",
	"org.apache.hadoop.hive.ql.io.rcfileinputformat":                "rcfile",
	"org.apache.hadoop.mapred.sequencefileinputformat":              "sequencefile",
}

// serdeClass is the canonical SerDe class written by SHOW CREATE TABLE
// for a catalog format with no SerDe of its own.
var serdeClass = map[string]string{
	"parquet": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
	"csv":     "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
	"json":    "org.openx.data.jsonserde.JsonSerDe",
	"orc":     "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
	"avro":    "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
	"regex":   "org.apache.hadoop.hive.serde2.RegexSerDe",
	"ion":     "com.amazon.ionhiveserde.IonHiveSerDe",
}

func knownNames(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// tableFormat works out the catalog format and reader options of a
// CREATE TABLE from STORED AS, INPUTFORMAT and ROW FORMAT.
func tableFormat(st *ddl.CreateTable) (string, map[string]string, error) {
	stored := st.StoredAs
	serde, serdeFmt := "", ""
	if st.RowFormat != nil && st.RowFormat.SerDe != "" {
		serde = strings.ToLower(st.RowFormat.SerDe)
		f, ok := serdeFormats[serde]
		if !ok {
			return "", nil, newError(CodeNotSupported, "0A000", nil, "table %s: unknown SerDe '%s' (known SerDes: %s)", st.Table, st.RowFormat.SerDe, knownNames(serdeFormats))
		}
		serdeFmt = f
	}
	if stored == "" && st.InputFormat != "" {
		f, ok := inputFormats[strings.ToLower(st.InputFormat)]
		if !ok {
			return "", nil, newError(CodeNotSupported, "0A000", nil, "table %s: unknown INPUTFORMAT '%s' (known: %s)", st.Table, st.InputFormat, knownNames(inputFormats))
		}
		stored = f
	}
	format := ""
	if stored != "" {
		f, ok := storedAsFormat[stored]
		if !ok {
			return "", nil, newError(CodeNotSupported, "0A000", nil, "table %s: storage format %s is not supported (supported: PARQUET, TEXTFILE, CSV, TSV, JSONFILE, ORC, AVRO, ION)",
				st.Table, strings.ToUpper(stored))
		}
		format = f
	}
	switch {
	case format == "" && serdeFmt == "":
		return "", nil, newError(CodeSyntax, "42000", nil, "table %s: STORED AS <format> is required", st.Table)
	case format == "":
		format = serdeFmt
	case serdeFmt != "" && serdeFmt != format:
		// Text files are read by whatever SerDe the table names (JSON,
		// regex, CSV); binary formats need their own SerDe.
		if format != "csv" {
			return "", nil, newError(CodeNotSupported, "0A000", nil, "table %s: SerDe '%s' cannot read STORED AS %s files", st.Table, st.RowFormat.SerDe, strings.ToUpper(stored))
		}
		format = serdeFmt
	}
	if format != "csv" && st.RowFormat != nil && serde == "" {
		return "", nil, newError(CodeSyntax, "42000", nil, "table %s: ROW FORMAT DELIMITED does not apply to %s", st.Table, strings.ToUpper(format))
	}
	opts := map[string]string{}
	if st.RowFormat != nil {
		for k, v := range st.RowFormat.SerDeProps {
			opts[k] = v
		}
		rf := st.RowFormat
		if rf.FieldsTerminatedBy != "" {
			opts["field.delim"] = rf.FieldsTerminatedBy
		}
		if rf.EscapedBy != "" {
			opts["escape.delim"] = rf.EscapedBy
			opts["escapeChar"] = rf.EscapedBy
		}
		if rf.LinesTerminatedBy != "" {
			if rf.LinesTerminatedBy != "\n" {
				return "", nil, newError(CodeNotSupported, "0A000", nil, "table %s: LINES TERMINATED BY only supports '\\n'", st.Table)
			}
			opts["line.delim"] = rf.LinesTerminatedBy
		}
		if rf.HasNullDefinedAs {
			opts["serialization.null.format"] = rf.NullDefinedAs
		}
	}
	if format == "regex" && opts["input.regex"] == "" {
		return "", nil, newError(CodeSyntax, "42000", nil, "table %s: RegexSerDe needs WITH SERDEPROPERTIES ('input.regex'='...')", st.Table)
	}
	if format == "csv" && opts["field.delim"] == "" && opts["separatorChar"] == "" {
		switch {
		case stored == "csv" || strings.Contains(serde, "opencsvserde"):
			opts["field.delim"] = ","
		case stored == "tsv":
			opts["field.delim"] = "\t"
		default:
			// Hive's LazySimpleSerDe default: Ctrl-A.
			opts["field.delim"] = "\x01"
		}
	}
	if len(opts) == 0 {
		opts = nil
	}
	return format, opts, nil
}
