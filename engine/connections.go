package engine

// Federated connections: CREATE CONNECTION / DROP CONNECTION / SHOW
// CONNECTIONS, and the resolution of federated table names
// (conn.schema.table, written `conn.schema`.table or conn__schema.table,
// and conn.table for the connection's default schema) for queries.
//
// Connections are kept in the data directory's bbolt file (bucket
// "connections"), beside the query history: like the history they are
// local to this server, also when the catalog lives in PostgreSQL. A
// password written in the URL is stored there (the file is only readable
// by its owner); WITH (password_env='VAR') stores only the variable's
// name and reads it whenever the connection is opened. Passwords never
// appear in SHOW CONNECTIONS, EXPLAIN, errors or the query history
// (CREATE CONNECTION statements are recorded with the URL's password
// masked).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/postgres"
	"github.com/tarnsql/tarn/planner/ddl"
)

// KindFederated marks tables of federated connections.
const KindFederated catalog.TableKind = "FEDERATED_TABLE"

var bucketConnections = []byte("connections")

// connDef is a stored connection.
type connDef struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	URL     string            `json:"url"`
	Props   map[string]string `json:"props,omitempty"`
	Created time.Time         `json:"created"`
}

// connProps are the WITH (...) properties CREATE CONNECTION accepts.
var connProps = map[string]string{
	"password_env":    "environment variable holding the password",
	"schema":          "default schema of conn.table names (default public)",
	"max_connections": "pool size (default 4)",
	"split_pages":     "heap pages per parallel split of big tables (default 16384; 0 never splits)",
	"validate":        "connect when the connection is created (default true)",
}

// federation is the engine's connections: definitions loaded from bbolt
// on first use, sources (pools) opened on first query.
type federation struct {
	mu      sync.Mutex
	loaded  bool
	defs    map[string]connDef
	sources map[string]*postgres.Source
}

func (e *Engine) fedLoad() error {
	f := &e.fed
	if f.loaded {
		return nil
	}
	defs := map[string]connDef{}
	err := e.store.DB().View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConnections)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d connDef
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("connection %s: corrupt entry: %w", k, err)
			}
			defs[d.Name] = d
			return nil
		})
	})
	if err != nil {
		return err
	}
	f.defs, f.sources, f.loaded = defs, map[string]*postgres.Source{}, true
	return nil
}

// connection returns the definition of a connection (ok false if none).
func (e *Engine) connection(name string) (connDef, bool, error) {
	e.fed.mu.Lock()
	defer e.fed.mu.Unlock()
	if err := e.fedLoad(); err != nil {
		return connDef{}, false, err
	}
	d, ok := e.fed.defs[name]
	return d, ok, nil
}

// sourceConfig turns a definition into the connector's configuration
// (reading password_env now).
func (d connDef) sourceConfig() (postgres.Config, error) {
	cfg := postgres.Config{Name: d.Name, URL: d.URL, DefaultSchema: d.Props["schema"]}
	if v := d.Props["password_env"]; v != "" {
		pw, ok := os.LookupEnv(v)
		if !ok {
			return cfg, newError(CodeOther, "HY000", nil, "connection %s: environment variable %s (password_env) is not set", d.Name, v)
		}
		cfg.Password = pw
	}
	if v := d.Props["max_connections"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return cfg, newError(CodeOther, "HY000", nil, "connection %s: max_connections must be an integer from 1 to 1000, got %q", d.Name, v)
		}
		cfg.MaxConns = int32(n)
	}
	if v := d.Props["split_pages"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return cfg, newError(CodeOther, "HY000", nil, "connection %s: split_pages must be a non-negative integer, got %q", d.Name, v)
		}
		cfg.SplitPages = n
		if n == 0 {
			cfg.SplitPages = -1
		}
	}
	return cfg, nil
}

// source returns the open source of a connection.
func (e *Engine) source(ctx context.Context, d connDef) (*postgres.Source, error) {
	e.fed.mu.Lock()
	defer e.fed.mu.Unlock()
	if err := e.fedLoad(); err != nil {
		return nil, err
	}
	if s := e.fed.sources[d.Name]; s != nil {
		return s, nil
	}
	cfg, err := d.sourceConfig()
	if err != nil {
		return nil, err
	}
	s, err := postgres.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	e.fed.sources[d.Name] = s
	return s, nil
}

// closeFederation closes every open pool.
func (e *Engine) closeFederation() {
	e.fed.mu.Lock()
	defer e.fed.mu.Unlock()
	for n, s := range e.fed.sources {
		s.Close()
		delete(e.fed.sources, n)
	}
}

// splitFederatedName splits the database part of a federated name into
// connection and schema: "conn.schema" (from `conn.schema`.table),
// "conn__schema", or "conn" (default schema).
func splitFederatedName(db string) (conn, schema string) {
	if c, s, ok := strings.Cut(db, "."); ok {
		return c, s
	}
	if c, s, ok := strings.Cut(db, "__"); ok && c != "" && s != "" {
		return c, s
	}
	return db, ""
}

// federatedTable resolves db.name to a federated table when db names a
// connection (ok false otherwise: the catalog resolves it). A database
// of the same name as a connection wins for the conn.table form.
func (s *Session) federatedTable(ctx context.Context, db, name string) (ct *catalog.Table, tbl connectors.Table, ok bool, err error) {
	connName, schema := splitFederatedName(db)
	d, found, err := s.e.connection(connName)
	if err != nil {
		return nil, nil, true, err
	}
	if !found {
		return nil, nil, false, nil
	}
	if schema == "" {
		if _, derr := s.e.store.GetDatabase(ctx, db); derr == nil {
			return nil, nil, false, nil
		}
	}
	src, err := s.e.source(ctx, d)
	if err != nil {
		return nil, nil, true, err
	}
	t, err := src.Table(ctx, schema, name)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, nil, true, newError(CodeNoTable, "42S02", catalog.ErrNotFound, "table '%s.%s' doesn't exist (%v)", db, name, err)
		}
		return nil, nil, true, newError(CodeOther, "HY000", err, "%v", err)
	}
	ct = &catalog.Table{Database: db, Name: name, Kind: KindFederated, Columns: t.Columns(), Format: d.Type,
		Location: postgres.RedactURL(d.URL) + " " + t.RemoteName(), Comment: "federated " + d.Type + " table"}
	return ct, t, true, nil
}

// runConnectionDDL runs the statements of planner/ddl/connection.go (ok
// false for other statements).
func (s *Session) runConnectionDDL(ctx context.Context, r *Result, st ddl.Statement) (bool, error) {
	switch st := st.(type) {
	case *ddl.CreateConnection:
		return true, s.createConnection(ctx, st)
	case *ddl.DropConnection:
		return true, s.dropConnection(st)
	case *ddl.ShowConnections:
		return true, s.showConnections(r, st)
	case *ddl.ExplainIO:
		return true, s.explainIO(ctx, r, st)
	}
	return false, nil
}

func (s *Session) createConnection(ctx context.Context, st *ddl.CreateConnection) error {
	name := catalog.Normalize(st.Name)
	if name == SystemDatabase || name == InfoSchemaDatabase {
		return newError(CodeOther, "HY000", nil, "connection name '%s' is reserved", name)
	}
	for k := range st.Props {
		if _, ok := connProps[k]; !ok {
			return newError(CodeOther, "HY000", nil, "CREATE CONNECTION %s: unknown property %s (known: %s)", name, k, strings.Join(sortedMapKeys(connProps), ", "))
		}
	}
	if _, err := s.e.store.GetDatabase(ctx, name); err == nil {
		return newError(CodeOther, "HY000", catalog.ErrExists, "connection name '%s' is already a database name: tables would be ambiguous", name)
	}
	if _, exists, err := s.e.connection(name); err != nil {
		return err
	} else if exists && st.IfNotExists {
		return nil
	}
	d := connDef{Name: name, Type: st.Type, URL: st.URL, Props: st.Props, Created: time.Now().UTC()}
	cfg, err := d.sourceConfig()
	if err != nil {
		return err
	}
	// Validate the URL (and, unless validate='false', connect).
	src, err := postgres.Open(ctx, cfg)
	if err != nil {
		return newError(CodeOther, "HY000", err, "%v", err)
	}
	defer src.Close()
	if v := strings.ToLower(st.Props["validate"]); v != "false" && v != "0" && v != "no" {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := src.Ping(pctx)
		cancel()
		if err != nil {
			return newError(CodeOther, "HY000", err, "%v (use WITH (validate='false') to create it anyway)", err)
		}
	}
	e := s.e
	e.fed.mu.Lock()
	defer e.fed.mu.Unlock()
	if err := e.fedLoad(); err != nil {
		return err
	}
	if _, ok := e.fed.defs[name]; ok {
		if st.IfNotExists {
			return nil
		}
		return newError(CodeOther, "HY000", catalog.ErrExists, "connection '%s' already exists", name)
	}
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := e.store.DB().Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketConnections)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), v)
	}); err != nil {
		return err
	}
	e.fed.defs[name] = d
	return nil
}

func (s *Session) dropConnection(st *ddl.DropConnection) error {
	name := catalog.Normalize(st.Name)
	e := s.e
	e.fed.mu.Lock()
	defer e.fed.mu.Unlock()
	if err := e.fedLoad(); err != nil {
		return err
	}
	if _, ok := e.fed.defs[name]; !ok {
		if st.IfExists {
			return nil
		}
		return newError(CodeOther, "HY000", catalog.ErrNotFound, "connection '%s' doesn't exist", name)
	}
	if err := e.store.DB().Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketConnections)
		if err != nil {
			return err
		}
		return b.Delete([]byte(name))
	}); err != nil {
		return err
	}
	delete(e.fed.defs, name)
	if src := e.fed.sources[name]; src != nil {
		src.Close()
		delete(e.fed.sources, name)
	}
	return nil
}

func (s *Session) showConnections(r *Result, st *ddl.ShowConnections) error {
	e := s.e
	e.fed.mu.Lock()
	if err := e.fedLoad(); err != nil {
		e.fed.mu.Unlock()
		return err
	}
	defs := make([]connDef, 0, len(e.fed.defs))
	for _, d := range e.fed.defs {
		defs = append(defs, d)
	}
	e.fed.mu.Unlock()
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	var rows [][]any
	for _, d := range defs {
		if st.HasLike && !likeMatch(st.Like, d.Name) {
			continue
		}
		var props []string
		for _, k := range sortedKeys(d.Props) {
			props = append(props, k+"="+d.Props[k])
		}
		rows = append(rows, []any{d.Name, d.Type, postgres.RedactURL(d.URL), nullIfEmpty(strings.Join(props, ", ")), d.Created.UnixMicro()})
	}
	r.setStatic([]string{"name", "type", "url", "properties", "created"},
		[]arrow.DataType{strT, strT, strT, strT, &arrow.TimestampType{Unit: arrow.Microsecond}}, rows)
	return nil
}

// RedactStatement masks the password of a CREATE CONNECTION statement's
// URL (for the query history and logs); other statements are returned
// as they are.
func RedactStatement(sql string) string {
	if !ddl.IsCatalogStatement(sql) {
		return sql
	}
	st, err := ddl.Parse(sql)
	if err != nil {
		// Unparsable CREATE CONNECTION text may still hold a URL.
		if f := strings.Fields(strings.ToUpper(sql)); len(f) >= 2 && f[0] == "CREATE" && f[1] == "CONNECTION" {
			return "CREATE CONNECTION ... (text withheld: it may hold a password)"
		}
		if accountText(sql) {
			return strings.Join(strings.Fields(sql)[:2], " ") + " ... (text withheld: it may hold a password)"
		}
		return sql
	}
	if red, ok := redactAccount(st); ok {
		return red
	}
	cc, ok := st.(*ddl.CreateConnection)
	if !ok {
		return sql
	}
	red := postgres.RedactURL(cc.URL)
	if red == cc.URL {
		return sql
	}
	if !strings.Contains(sql, cc.URL) {
		return "CREATE CONNECTION " + cc.Name + " TYPE " + cc.Type + " URL '" + strings.ReplaceAll(red, "'", "''") + "' ..."
	}
	return strings.Replace(sql, cc.URL, red, 1)
}
