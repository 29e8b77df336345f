package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/connectors/memtable"
)

// SystemDatabase is the virtual database of system tables.
const SystemDatabase = "system"

// KindSystem marks the virtual system tables.
const KindSystem catalog.TableKind = "SYSTEM_TABLE"

// systemTable is a virtual table built on the fly.
type systemTable struct {
	columns []catalog.Column
	comment string
	rows    func(e *Engine) [][]any
}

var systemTables = map[string]*systemTable{
	"query_history": {
		comment: "one row per statement (most recent 10,000 by default), persisted in catalog.db",
		columns: []catalog.Column{
			{Name: "query_id", Type: "VARCHAR"},
			{Name: "user_name", Type: "VARCHAR"},
			{Name: "query_text", Type: "VARCHAR"},
			{Name: "state", Type: "VARCHAR", Comment: "FINISHED, FAILED or CANCELLED"},
			{Name: "start_time", Type: "TIMESTAMP", Comment: "UTC"},
			{Name: "end_time", Type: "TIMESTAMP", Comment: "UTC"},
			{Name: "elapsed_ms", Type: "BIGINT"},
			{Name: "rows_returned", Type: "BIGINT"},
			{Name: "bytes_scanned", Type: "BIGINT"},
			{Name: "files_scanned", Type: "BIGINT"},
			{Name: "error", Type: "VARCHAR", Comment: "NULL when the statement succeeded"},
			{Name: "partitions_total", Type: "BIGINT", Comment: "partitions of the partitioned tables scanned (projected range for projection)"},
			{Name: "partitions_scanned", Type: "BIGINT", Comment: "partitions left after pruning"},
			{Name: "queue", Type: "VARCHAR", Comment: "WLM queue the query ended in (NULL for statements WLM does not admit)"},
			{Name: "queue_wait_ms", Type: "BIGINT", Comment: "time waiting for WLM slots"},
			{Name: "exec_ms", Type: "BIGINT", Comment: "execution time (elapsed minus queue wait)"},
			{Name: "memory_peak_bytes", Type: "BIGINT"},
			{Name: "row_groups_total", Type: "BIGINT", Comment: "Parquet row groups of the files scanned, before pruning"},
			{Name: "row_groups_scanned", Type: "BIGINT", Comment: "Parquet row groups read after pruning"},
		},
		rows: func(e *Engine) [][]any {
			hs := e.hist.snapshot()
			out := make([][]any, len(hs))
			for i, h := range hs {
				var errv any
				if h.Error != "" {
					errv = h.Error
				}
				out[i] = []any{h.QueryID, h.User, h.Query, h.State, h.Start.UnixMicro(), h.End.UnixMicro(),
					h.ElapsedMs, h.Rows, h.BytesScanned, h.FilesScanned, errv, h.PartitionsTotal, h.PartitionsScanned,
					nullIfEmpty(h.Queue), h.QueueWaitMs, h.ExecMs, h.MemoryPeakBytes, h.RowGroupsTotal, h.RowGroupsScanned}
			}
			return out
		},
	},
	"tables": {
		comment: "every table and view in the catalog",
		columns: []catalog.Column{
			{Name: "table_schema", Type: "VARCHAR"},
			{Name: "table_name", Type: "VARCHAR"},
			{Name: "table_type", Type: "VARCHAR"},
			{Name: "format", Type: "VARCHAR"},
			{Name: "location", Type: "VARCHAR"},
			{Name: "version", Type: "BIGINT"},
			{Name: "column_count", Type: "BIGINT"},
		},
		rows: func(e *Engine) [][]any {
			ctx := context.Background()
			dbs, _ := e.store.ListDatabases(ctx)
			var out [][]any
			for _, d := range dbs {
				ts, _ := e.store.ListTables(ctx, d.Name)
				for _, t := range ts {
					out = append(out, []any{t.Database, t.Name, string(t.Kind), nullIfEmpty(t.Format), nullIfEmpty(t.Location),
						int64(t.Version), int64(len(t.Columns))})
				}
			}
			return out
		},
	},
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func systemCatalogTable(name string) (*catalog.Table, *systemTable) {
	st, ok := systemTables[name]
	if !ok {
		return nil, nil
	}
	return &catalog.Table{Database: SystemDatabase, Name: name, Kind: KindSystem, Columns: st.columns, Comment: st.comment}, st
}

// sessionCatalog resolves names for one query (planner.Catalog). Tables
// referenced several times are opened once; system tables are
// snapshotted once per query.
type sessionCatalog struct {
	s     *Session
	mu    sync.Mutex
	cache map[string]cached
	// definer, inside a view, is the user whose rights reads are checked
	// against (auth.go); "" means the session user.
	definer string
}

type cached struct {
	ct  *catalog.Table
	tbl connectors.Table
}

func (s *Session) catalog() *sessionCatalog {
	return &sessionCatalog{s: s, cache: map[string]cached{}}
}

// Table implements planner.Catalog.
func (c *sessionCatalog) Table(ctx context.Context, db, name string) (*catalog.Table, connectors.Table, error) {
	if db == "" {
		db = c.s.db
	}
	if db == "" {
		return nil, nil, newError(CodeNoDatabase, "3D000", nil,
			"no database selected (USE a database or qualify the name as db.%s)", name)
	}
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	key := db + "." + name
	if err := c.authorizeRead(ctx, db, name); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.cache[key]; ok {
		return h.ct, h.tbl, nil
	}
	if ct, tbl, ok, err := c.s.virtualTable(ctx, db, name); ok {
		if err == nil {
			c.cache[key] = cached{ct, tbl}
		}
		return ct, tbl, err
	}
	if ct, tbl, ok, err := c.s.federatedTable(ctx, db, name); ok {
		if err == nil {
			c.cache[key] = cached{ct, tbl}
		}
		return ct, tbl, err
	}
	var ct *catalog.Table
	var tbl connectors.Table
	if db == SystemDatabase {
		var st *systemTable
		ct, st = systemCatalogTable(name)
		if ct == nil {
			return nil, nil, newError(CodeNoTable, "42S02", catalog.ErrNotFound, "table 'system.%s' doesn't exist", name)
		}
		schema, err := ct.ArrowSchema()
		if err != nil {
			return nil, nil, err
		}
		rows, err := c.filterSystemRows(ctx, name, ct, st.rows(c.s.e))
		if err != nil {
			return nil, nil, err
		}
		tbl = memtable.New(key, schema, rows)
	} else {
		var err error
		ct, err = c.s.e.store.GetTable(ctx, db, name)
		if err != nil {
			if _, derr := c.s.e.store.GetDatabase(ctx, db); derr != nil {
				return nil, nil, catalogError(derr, "database", db)
			}
			return nil, nil, catalogError(err, "table", key)
		}
		if ct.Kind != catalog.KindView {
			if tbl, err = openTable(ct); err != nil {
				return nil, nil, err
			}
		}
	}
	c.cache[key] = cached{ct, tbl}
	return ct, tbl, nil
}

// Partitions implements planner.PartitionLister over the store's
// partitions: those any filter accepts, one listing per filter (all when
// there is none), and the table's total.
func (c *sessionCatalog) Partitions(ctx context.Context, db, table string, filters []*catalog.PartitionFilter) ([]catalog.Partition, int, error) {
	ps, ok := any(c.s.e.store).(catalog.PartitionStore)
	if !ok {
		return nil, 0, newError(CodeNotSupported, "0A000", nil, "table %s.%s is partitioned but the catalog store does not keep partitions", db, table)
	}
	if len(filters) == 0 {
		parts, err := ps.ListPartitions(ctx, db, table, nil)
		if err != nil {
			return nil, 0, catalogError(err, "table", db+"."+table)
		}
		return parts, len(parts), nil
	}
	var parts []catalog.Partition
	for _, f := range filters {
		p, err := ps.ListPartitions(ctx, db, table, f)
		if err != nil {
			return nil, 0, catalogError(err, "table", db+"."+table)
		}
		parts = append(parts, p...)
	}
	total, err := ps.CountPartitions(ctx, db, table)
	if err != nil {
		return nil, 0, catalogError(err, "table", db+"."+table)
	}
	return parts, total, nil
}

// openTable opens a catalog table through its storage and format.
func openTable(ct *catalog.Table) (connectors.Table, error) {
	for _, col := range ct.Columns {
		if _, err := types.Parse(col.Type); err != nil {
			return nil, newError(CodeNotSupported, "0A000", err, "table %s.%s column %s: type %s is not supported yet", ct.Database, ct.Name, col.Name, col.Type)
		}
	}
	t, err := filetable.New(ct)
	if err != nil {
		return nil, fmt.Errorf("table %s.%s: %w", ct.Database, ct.Name, err)
	}
	return t, nil
}
