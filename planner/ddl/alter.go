package ddl

// Partition maintenance and statistics statements: ALTER TABLE, MSCK
// REPAIR TABLE, SHOW PARTITIONS and ANALYZE TABLE.

import (
	"strings"
)

func init() {
	for _, kw := range []string{"ALTER", "MSCK", "ANALYZE"} {
		leadKeywords[kw] = true
	}
}

// PartitionSpec is PARTITION (k='v', ...). Values are the text of the
// literals as written (a quoted string's value, a number's digits);
// HasValue[i] is false for a key written without a value (ANALYZE
// TABLE t PARTITION (dt) means every dt).
type PartitionSpec struct {
	Keys     []string
	Values   []string
	HasValue []bool
	Line     int // position of the PARTITION keyword, for errors
	Col      int
}

// PartitionDef is one partition of ALTER TABLE ADD PARTITION.
type PartitionDef struct {
	Spec     PartitionSpec
	Location string // "" means the default <table location>/k=v/...
}

// AlterAddPartitions is ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (...)
// [LOCATION '...'] [PARTITION (...) [LOCATION '...'] ...].
type AlterAddPartitions struct {
	Table       Name
	IfNotExists bool
	Parts       []PartitionDef
}

// AlterDropPartitions is ALTER TABLE t DROP [IF EXISTS] PARTITION (...)
// [, PARTITION (...) ...].
type AlterDropPartitions struct {
	Table    Name
	IfExists bool
	Specs    []PartitionSpec
}

// AlterAddColumns is ALTER TABLE t ADD COLUMNS (c type [COMMENT '..'], ...).
type AlterAddColumns struct {
	Table   Name
	Columns []Column
}

// AlterSetProps is ALTER TABLE t SET TBLPROPERTIES (...) or
// ALTER TABLE t SET SERDEPROPERTIES (...) (SerDe true).
type AlterSetProps struct {
	Table Name
	SerDe bool
	Props map[string]string
}

// AlterSetLocation is ALTER TABLE t [PARTITION (...)] SET LOCATION '...'.
type AlterSetLocation struct {
	Table     Name
	Partition *PartitionSpec // nil: the table's own location
	Location  string
}

// MSCK repair modes.
const (
	RepairAdd  = "ADD"
	RepairDrop = "DROP"
	RepairSync = "SYNC"
)

// MsckRepair is MSCK REPAIR TABLE t [ADD|DROP|SYNC PARTITIONS].
type MsckRepair struct {
	Table Name
	Mode  string // RepairAdd (default), RepairDrop or RepairSync
}

// ShowPartitions is SHOW PARTITIONS t [PARTITION (...)].
type ShowPartitions struct {
	Table     Name
	Partition *PartitionSpec
}

// Analyze is ANALYZE TABLE t [PARTITION (...)] COMPUTE STATISTICS
// [NOSCAN | FOR COLUMNS [c, ...]].
type Analyze struct {
	Table      Name
	Partition  *PartitionSpec
	NoScan     bool
	ForColumns bool
	Columns    []string // empty with ForColumns: every column
}

func (*AlterAddPartitions) stmt()  {}
func (*AlterDropPartitions) stmt() {}
func (*AlterAddColumns) stmt()     {}
func (*AlterSetProps) stmt()       {}
func (*AlterSetLocation) stmt()    {}
func (*MsckRepair) stmt()          {}
func (*ShowPartitions) stmt()      {}
func (*Analyze) stmt()             {}

// extStatement parses the statements of this file; ok is false when the
// next token starts none of them.
func (p *parser) extStatement() (st Statement, ok bool, err error) {
	switch {
	case p.acceptKw("ALTER"):
		st, err = p.alter()
	case p.acceptKw("MSCK"):
		st, err = p.msck()
	case p.acceptKw("ANALYZE"):
		st, err = p.analyze()
	default:
		return nil, false, nil
	}
	return st, true, err
}

// showExt parses the SHOW forms of this file (after SHOW).
func (p *parser) showExt() (Statement, bool, error) {
	if !p.acceptKw("PARTITIONS") {
		return nil, false, nil
	}
	n, err := p.name("table name")
	if err != nil {
		return nil, true, err
	}
	st := &ShowPartitions{Table: n}
	if p.isKw("PARTITION") {
		if st.Partition, err = p.partitionSpec(true); err != nil {
			return nil, true, err
		}
	}
	return st, true, nil
}

// partitionSpec parses PARTITION (k = 'v', ...). allowBare accepts keys
// without values.
func (p *parser) partitionSpec(allowBare bool) (*PartitionSpec, error) {
	kw := p.peek()
	if err := p.expectKw("PARTITION"); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	spec := &PartitionSpec{Line: kw.line, Col: kw.col}
	seen := map[string]bool{}
	for {
		kt := p.peek()
		k, err := p.ident("partition key name")
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(k)] {
			return nil, p.errAtTok(kt, "partition key "+k+" given twice")
		}
		seen[strings.ToLower(k)] = true
		val, has := "", false
		if p.accept("=") {
			vt := p.next()
			switch vt.kind {
			case tokString, tokNumber:
				val = vt.text
			case tokIdent:
				// Hive allows bare words for booleans and unquoted dates
				// are rejected; NULL is not a partition value.
				if strings.EqualFold(vt.text, "true") || strings.EqualFold(vt.text, "false") {
					val = strings.ToLower(vt.text)
				} else {
					return nil, p.errAtTok(vt, "expected a quoted string or a number as the value of partition key "+k)
				}
			default:
				// A negative number: '-' then a number.
				if vt.kind == tokPunct && vt.text == "-" && p.peek().kind == tokNumber {
					val = "-" + p.next().text
				} else {
					return nil, p.errAtTok(vt, "expected a quoted string or a number as the value of partition key "+k)
				}
			}
			has = true
		} else if !allowBare {
			return nil, p.errf("expected '=' and a value for partition key %s", k)
		}
		spec.Keys = append(spec.Keys, k)
		spec.Values = append(spec.Values, val)
		spec.HasValue = append(spec.HasValue, has)
		if p.accept(")") {
			return spec, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

func (p *parser) alter() (Statement, error) {
	if !p.acceptKw("TABLE") {
		return nil, p.errf("expected TABLE after ALTER")
	}
	n, err := p.name("table name")
	if err != nil {
		return nil, err
	}
	switch {
	case p.acceptKw("ADD"):
		if p.acceptKw("COLUMNS") {
			cols, err := p.columns()
			if err != nil {
				return nil, err
			}
			p.acceptKw("CASCADE")
			return &AlterAddColumns{Table: n, Columns: cols}, nil
		}
		st := &AlterAddPartitions{Table: n}
		if st.IfNotExists, err = p.ifNotExists(); err != nil {
			return nil, err
		}
		if !p.isKw("PARTITION") {
			return nil, p.errf("expected PARTITION or COLUMNS after ADD")
		}
		for p.isKw("PARTITION") {
			spec, err := p.partitionSpec(false)
			if err != nil {
				return nil, err
			}
			d := PartitionDef{Spec: *spec}
			if p.acceptKw("LOCATION") {
				if d.Location, err = p.str("partition location"); err != nil {
					return nil, err
				}
			}
			st.Parts = append(st.Parts, d)
			p.accept(",")
		}
		return st, nil
	case p.acceptKw("DROP"):
		st := &AlterDropPartitions{Table: n}
		if st.IfExists, err = p.ifExists(); err != nil {
			return nil, err
		}
		if !p.isKw("PARTITION") {
			return nil, p.errf("expected PARTITION after DROP")
		}
		for {
			spec, err := p.partitionSpec(false)
			if err != nil {
				return nil, err
			}
			st.Specs = append(st.Specs, *spec)
			if !p.accept(",") && !p.isKw("PARTITION") {
				break
			}
		}
		p.acceptKw("PURGE")
		return st, nil
	case p.isKw("PARTITION"):
		spec, err := p.partitionSpec(false)
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("SET", "LOCATION"); err != nil {
			return nil, err
		}
		loc, err := p.str("partition location")
		if err != nil {
			return nil, err
		}
		return &AlterSetLocation{Table: n, Partition: spec, Location: loc}, nil
	case p.acceptKw("SET"):
		switch {
		case p.acceptKw("TBLPROPERTIES"):
			props, err := p.props()
			if err != nil {
				return nil, err
			}
			return &AlterSetProps{Table: n, Props: props}, nil
		case p.acceptKw("SERDEPROPERTIES"):
			props, err := p.props()
			if err != nil {
				return nil, err
			}
			return &AlterSetProps{Table: n, SerDe: true, Props: props}, nil
		case p.acceptKw("LOCATION"):
			loc, err := p.str("table location")
			if err != nil {
				return nil, err
			}
			return &AlterSetLocation{Table: n, Location: loc}, nil
		}
		return nil, p.errf("expected TBLPROPERTIES, SERDEPROPERTIES or LOCATION after SET")
	}
	return nil, p.errf("expected ADD PARTITION, DROP PARTITION, ADD COLUMNS, PARTITION (...) SET LOCATION or SET TBLPROPERTIES after ALTER TABLE %s", n)
}

func (p *parser) msck() (Statement, error) {
	if err := p.expectKw("REPAIR", "TABLE"); err != nil {
		return nil, err
	}
	n, err := p.name("table name")
	if err != nil {
		return nil, err
	}
	st := &MsckRepair{Table: n, Mode: RepairAdd}
	switch {
	case p.acceptKw("ADD"):
		st.Mode = RepairAdd
	case p.acceptKw("DROP"):
		st.Mode = RepairDrop
	case p.acceptKw("SYNC"):
		st.Mode = RepairSync
	default:
		return st, nil
	}
	if err := p.expectKw("PARTITIONS"); err != nil {
		return nil, err
	}
	return st, nil
}

func (p *parser) analyze() (Statement, error) {
	if err := p.expectKw("TABLE"); err != nil {
		return nil, err
	}
	n, err := p.name("table name")
	if err != nil {
		return nil, err
	}
	st := &Analyze{Table: n}
	if p.isKw("PARTITION") {
		if st.Partition, err = p.partitionSpec(true); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("COMPUTE", "STATISTICS"); err != nil {
		return nil, err
	}
	switch {
	case p.acceptKw("NOSCAN"):
		st.NoScan = true
	case p.acceptKw("FOR"):
		if err := p.expectKw("COLUMNS"); err != nil {
			return nil, err
		}
		st.ForColumns = true
		t := p.peek()
		if t.kind == tokIdent || t.kind == tokQIdent {
			for {
				c, err := p.ident("column name")
				if err != nil {
					return nil, err
				}
				st.Columns = append(st.Columns, c)
				if !p.accept(",") {
					break
				}
			}
		}
	}
	return st, nil
}
