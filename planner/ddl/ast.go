package ddl

// Statement is a parsed catalog statement: one of the types below.
type Statement interface{ stmt() }

// Name is a possibly database-qualified name. Database is "" when
// unqualified (the session database applies).
type Name struct {
	Database string
	Name     string
}

func (n Name) String() string {
	if n.Database == "" {
		return n.Name
	}
	return n.Database + "." + n.Name
}

// Column is a column definition. Type is tarn's canonical type text
// (types.SQLName of the parsed type) for scalar types; for Hive complex
// types (ARRAY<..>, MAP<..>, STRUCT<..>) it is the normalized type text
// and Complex is true.
type Column struct {
	Name    string
	Type    string
	Complex bool
	Comment string
	Line    int // position of the column name, for later errors
	Col     int
}

// CreateDatabase is CREATE DATABASE|SCHEMA.
type CreateDatabase struct {
	Name        string
	IfNotExists bool
	Comment     string
	Location    string
	Props       map[string]string // WITH DBPROPERTIES (...)
}

// DropDatabase is DROP DATABASE|SCHEMA.
type DropDatabase struct {
	Name     string
	IfExists bool
	Cascade  bool
}

// RowFormat is ROW FORMAT DELIMITED ... or ROW FORMAT SERDE ....
type RowFormat struct {
	// Delimited options (empty when not given).
	FieldsTerminatedBy string
	EscapedBy          string
	CollectionItemsBy  string
	MapKeysBy          string
	LinesTerminatedBy  string
	NullDefinedAs      string
	HasNullDefinedAs   bool
	// SerDe is the SerDe class for ROW FORMAT SERDE ("" for DELIMITED).
	SerDe      string
	SerDeProps map[string]string
}

// CreateTable is CREATE [EXTERNAL] TABLE ... STORED AS ... LOCATION ....
type CreateTable struct {
	Table       Name
	External    bool
	IfNotExists bool
	Columns     []Column
	Partitions  []Column // PARTITIONED BY
	Comment     string
	RowFormat   *RowFormat
	// StoredAs is the lower-case format name as written (parquet,
	// textfile, csv, jsonfile, orc, avro, ...); InputFormat/OutputFormat
	// are set for STORED AS INPUTFORMAT '..' OUTPUTFORMAT '..'.
	StoredAs     string
	InputFormat  string
	OutputFormat string
	Location     string
	Props        map[string]string // TBLPROPERTIES
}

// CreateView is CREATE [OR REPLACE] VIEW name [(cols)] AS query.
type CreateView struct {
	View        Name
	OrReplace   bool
	IfNotExists bool
	Columns     []string
	Query       string // the SELECT text
	QueryOffset int    // byte offset of Query in the statement
}

// DropTable is DROP TABLE or DROP VIEW.
type DropTable struct {
	Table    Name
	IfExists bool
	View     bool
}

// ShowDatabases is SHOW DATABASES|SCHEMAS [LIKE '..'].
type ShowDatabases struct {
	Like    string
	HasLike bool
}

// ShowTables is SHOW TABLES [IN|FROM db] [LIKE '..'].
type ShowTables struct {
	Database string
	Like     string
	HasLike  bool
}

// ShowCreateTable is SHOW CREATE TABLE|VIEW name.
type ShowCreateTable struct {
	Table Name
}

// Describe is DESCRIBE|DESC [TABLE] [EXTENDED|FORMATTED] name.
type Describe struct {
	Table    Name
	Extended bool
	// Formatted is DESCRIBE FORMATTED (Extended is set too).
	Formatted bool
	// ColumnsOnly is SHOW COLUMNS: one row per column (no sections).
	ColumnsOnly bool
}

// Use is USE db.
type Use struct {
	Database string
}

// Explain is EXPLAIN [ANALYZE] query. Query is the statement text after
// the keywords, handed to the planner as is; QueryOffset is its byte
// offset in the original text (for mapping error positions back).
type Explain struct {
	Analyze     bool
	Query       string
	QueryOffset int
	QueryLine   int // 1-based line and column where Query starts
	QueryCol    int
}

func (*CreateDatabase) stmt()  {}
func (*DropDatabase) stmt()    {}
func (*CreateTable) stmt()     {}
func (*CreateView) stmt()      {}
func (*DropTable) stmt()       {}
func (*ShowDatabases) stmt()   {}
func (*ShowTables) stmt()      {}
func (*ShowCreateTable) stmt() {}
func (*Describe) stmt()        {}
func (*Use) stmt()             {}
func (*Explain) stmt()         {}
