package bench

import (
	"context"
	"fmt"
	"io"
	"strings"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/shopspring/decimal"

	"github.com/tarnsql/tarn/catalog"
)

// GMS is go-mysql-server with the tables loaded into its in-memory
// database (the row-at-a-time engine a Go program would embed).
type GMS struct {
	eng  *sqle.Engine
	pro  *memory.DbProvider
	sess *memory.Session
	db   string
	Rows int64 // rows loaded
}

// OpenGMS creates database db in go-mysql-server's memory provider and
// loads every table, reading the files through DuckDB.
func OpenGMS(ctx context.Context, duck *DuckDB, db string, tables []catalog.Table) (*GMS, error) {
	mdb := memory.NewDatabase(db)
	pro := memory.NewDBProvider(mdb)
	g := &GMS{eng: sqle.NewDefault(pro), pro: pro, sess: memory.NewSession(sql.NewBaseSession(), pro), db: db}
	sctx := g.context(ctx)
	for _, t := range tables {
		var sch sql.Schema
		for _, c := range t.Columns {
			typ, err := gmsType(c.Type)
			if err != nil {
				return nil, fmt.Errorf("gms: %s.%s: %w", t.Name, c.Name, err)
			}
			sch = append(sch, &sql.Column{Name: c.Name, Type: typ, Nullable: false, Source: t.Name})
		}
		tbl := memory.NewTable(mdb, t.Name, sql.NewPrimaryKeySchema(sch), mdb.GetForeignKeyCollection())
		mdb.AddTable(t.Name, tbl)
		rows, err := duck.conn.QueryContext(ctx, "SELECT * FROM "+t.Name)
		if err != nil {
			return nil, fmt.Errorf("gms: read %s: %w", t.Name, err)
		}
		ins := tbl.Inserter(sctx)
		ins.StatementBegin(sctx)
		vals := make([]any, len(sch))
		ptrs := make([]any, len(sch))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("gms: read %s: %w", t.Name, err)
			}
			row := make(sql.Row, len(vals))
			for i, v := range vals {
				switch x := v.(type) {
				case duckdb.Decimal:
					row[i] = decimal.NewFromBigInt(x.Value, -int32(x.Scale))
				case int32:
					row[i] = x
				default:
					row[i] = v
				}
			}
			if err := ins.Insert(sctx, row); err != nil {
				rows.Close()
				return nil, fmt.Errorf("gms: insert into %s: %w", t.Name, err)
			}
			g.Rows++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("gms: read %s: %w", t.Name, err)
		}
		if err := ins.StatementComplete(sctx); err != nil {
			return nil, fmt.Errorf("gms: insert into %s: %w", t.Name, err)
		}
		if err := ins.Close(sctx); err != nil {
			return nil, fmt.Errorf("gms: insert into %s: %w", t.Name, err)
		}
	}
	return g, nil
}

func gmsType(t string) (sql.Type, error) {
	switch u := strings.ToUpper(t); {
	case u == "BIGINT":
		return types.Int64, nil
	case u == "INT":
		return types.Int32, nil
	case u == "DATE":
		return types.Date, nil
	case u == "VARCHAR":
		return types.LongText, nil
	case strings.HasPrefix(u, "DECIMAL("):
		var p, s uint8
		if _, err := fmt.Sscanf(u, "DECIMAL(%d,%d)", &p, &s); err != nil {
			return nil, err
		}
		return types.CreateDecimalType(p, s)
	}
	return nil, fmt.Errorf("type %s not supported", t)
}

func (g *GMS) context(ctx context.Context) *sql.Context {
	c := sql.NewContext(ctx, sql.WithSession(g.sess))
	c.SetCurrentDatabase(g.db)
	return c
}

// Drain runs q and reads every row; it returns the row count.
func (g *GMS) Drain(ctx context.Context, q string) (int64, error) {
	sctx := g.context(ctx)
	_, iter, _, err := g.eng.Query(sctx, q)
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		_, err := iter.Next(sctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			iter.Close(sctx)
			return n, err
		}
		n++
	}
	return n, iter.Close(sctx)
}

// Close releases the engine.
func (g *GMS) Close() error { g.eng.Close(); return nil }
