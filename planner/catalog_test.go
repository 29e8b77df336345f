package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
)

// statTable is a table with a schema and an injected row estimate but no
// data: plans are computed from statistics alone (TiDB-style).
type statTable struct {
	name   string
	schema *arrow.Schema
	rows   int64
}

func (t *statTable) Name() string          { return t.name }
func (t *statTable) Schema() *arrow.Schema { return t.schema }
func (t *statTable) Splits(context.Context, *connectors.ScanRequest) ([]connectors.Split, error) {
	return nil, nil
}
func (t *statTable) Open(context.Context, connectors.Split, *connectors.ScanRequest) (connectors.BatchReader, error) {
	return nil, errors.New("statTable has no data")
}
func (t *statTable) Estimate(context.Context) (int64, int64) { return t.rows, -1 }

// testCatalog maps db.name to tables and views.
type testCatalog struct {
	tables map[string]*catalog.Table
	rows   map[string]int64
}

func (c *testCatalog) Table(_ context.Context, db, name string) (*catalog.Table, connectors.Table, error) {
	if db == "" {
		db = "tpch"
	}
	key := strings.ToLower(db + "." + name)
	ct, ok := c.tables[key]
	if !ok {
		return nil, nil, fmt.Errorf("table %s.%s: %w", db, name, catalog.ErrNotFound)
	}
	if ct.Kind == catalog.KindView {
		return ct, nil, nil
	}
	sch, err := ct.ArrowSchema()
	if err != nil {
		return nil, nil, err
	}
	return ct, &statTable{name: ct.Database + "." + ct.Name, schema: sch, rows: c.rows[key]}, nil
}

func (c *testCatalog) add(db, name string, rows int64, cols string) {
	ct := &catalog.Table{Database: db, Name: name, Kind: catalog.KindExternal}
	for _, part := range splitTop(cols) {
		f := strings.Fields(strings.TrimSpace(part))
		ct.Columns = append(ct.Columns, catalog.Column{Name: f[0], Type: strings.Join(f[1:], " ")})
	}
	for _, col := range ct.Columns {
		if _, err := types.Parse(col.Type); err != nil {
			panic(err)
		}
	}
	c.tables[db+"."+name] = ct
	c.rows[db+"."+name] = rows
}

func (c *testCatalog) addView(db, name, sql string) {
	c.tables[db+"."+name] = &catalog.Table{Database: db, Name: name, Kind: catalog.KindView, ViewSQL: sql}
}

// tpchCatalog is the TPC-H schema (dbgen types) with SF1 row counts,
// plus a few small tables for unit tests.
func tpchCatalog() *testCatalog {
	c := &testCatalog{tables: map[string]*catalog.Table{}, rows: map[string]int64{}}
	c.add("tpch", "part", 200000, "p_partkey int, p_name varchar(55), p_mfgr char(25), p_brand char(10), p_type varchar(25), p_size int, p_container char(10), p_retailprice decimal(15,2), p_comment varchar(23)")
	c.add("tpch", "supplier", 10000, "s_suppkey int, s_name char(25), s_address varchar(40), s_nationkey int, s_phone char(15), s_acctbal decimal(15,2), s_comment varchar(101)")
	c.add("tpch", "partsupp", 800000, "ps_partkey int, ps_suppkey int, ps_availqty int, ps_supplycost decimal(15,2), ps_comment varchar(199)")
	c.add("tpch", "customer", 150000, "c_custkey int, c_name varchar(25), c_address varchar(40), c_nationkey int, c_phone char(15), c_acctbal decimal(15,2), c_mktsegment char(10), c_comment varchar(117)")
	c.add("tpch", "orders", 1500000, "o_orderkey bigint, o_custkey int, o_orderstatus char(1), o_totalprice decimal(15,2), o_orderdate date, o_orderpriority char(15), o_clerk char(15), o_shippriority int, o_comment varchar(79)")
	c.add("tpch", "lineitem", 6001215, "l_orderkey bigint, l_partkey int, l_suppkey int, l_linenumber int, l_quantity decimal(15,2), l_extendedprice decimal(15,2), l_discount decimal(15,2), l_tax decimal(15,2), l_returnflag char(1), l_linestatus char(1), l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct char(25), l_shipmode char(10), l_comment varchar(44)")
	c.add("tpch", "nation", 25, "n_nationkey int, n_name char(25), n_regionkey int, n_comment varchar(152)")
	c.add("tpch", "region", 5, "r_regionkey int, r_name char(25), r_comment varchar(152)")
	// distinct counts of the key columns at SF1 (as ANALYZE would report)
	ndv := map[string]map[string]int64{
		"part":     {"p_partkey": 200000},
		"supplier": {"s_suppkey": 10000, "s_nationkey": 25},
		"partsupp": {"ps_partkey": 200000, "ps_suppkey": 10000},
		"customer": {"c_custkey": 150000, "c_nationkey": 25},
		"orders":   {"o_orderkey": 1500000, "o_custkey": 99996},
		"lineitem": {"l_orderkey": 1500000, "l_partkey": 200000, "l_suppkey": 10000},
		"nation":   {"n_nationkey": 25, "n_regionkey": 5},
		"region":   {"r_regionkey": 5},
	}
	for tbl, cols := range ndv {
		st := &catalog.TableStats{Rows: c.rows["tpch."+tbl], Cols: map[string]catalog.ColumnStats{}}
		for col, d := range cols {
			st.Cols[col] = catalog.ColumnStats{Distinct: d}
		}
		c.tables["tpch."+tbl].Stats = st
	}
	// small tables for unit tests
	c.add("tpch", "t", 1000, "a int, b bigint, c varchar, d decimal(10,2), e double, f date, g timestamp, h tinyint, k decimal(30,5), s smallint, bo boolean")
	c.add("tpch", "u", 100, "a int, x varchar, y decimal(12,3)")
	c.add("other", "w", 10, "a int, z varchar")
	c.addView("tpch", "v_big", "select a, d * 2 as d2 from t where e > 1")
	c.addView("other", "v_other", "select a, z from w")
	return c
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
