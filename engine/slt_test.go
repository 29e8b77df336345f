package engine

// sqllogictest runner. Every testdata/slt/*.slt file runs under the
// matrix slices {1,4} x batch size {1, 7, 1024, random 2..100}, each
// configuration with a fresh engine in a temp data directory and
// arrow's checked allocator (leaks fail the test).
//
// File format (a subset of sqllogictest; records end at a blank line):
//
//	# comment
//	statement ok
//	<SQL, one or more lines>
//
//	statement error <regexp>          (matched against "ERROR <code>: <message>")
//	<SQL>
//
//	query <types> [rowsort|nosort]    types: one letter per column:
//	<SQL>                             I integer, R float/decimal, T text,
//	----                              B boolean, D date/timestamp
//	<rows>
//
//	query explain                     the SQL is EXPLAINed (unless it already
//	<SQL>                             starts with EXPLAIN) and the plan lines
//	----                              must match exactly (golden block)
//	<plan lines>
//
// Rows: the values of a row are joined by a single space, NULL prints
// as NULL, the empty string as (empty), floats with 12 significant
// digits (results of parallel float sums differ in the last bits).
// rowsort sorts the rendered rows of both sides before comparing.
//
// ${DATA} in SQL expands to the absolute path of testdata/slt/data and
// ${TPCH} to a TPC-H SF 0.001 Parquet warehouse generated in TestMain
// (tables under ${TPCH}/<table>/); in query results those paths print as
// ${DATA} and ${TPCH}.
//
// Rewrite expected output in place (from the slices=1, batch=1024 run):
//
//	go test ./engine -run TestSLT -rewrite

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

var rewrite = flag.Bool("rewrite", false, "rewrite expected output of .slt files in place")

const sltDir = "../testdata/slt"

type sltRecord struct {
	kind      string // statement, query
	errRe     string // statement error regexp ("" = ok)
	expectErr bool
	types     string
	sortMode  string // rowsort, nosort
	explain   bool
	sql       string
	line      int      // first line of the record (1-based)
	expected  []string // query output lines
	// header lines and span in the file, for rewriting
	start, end int // [start, end) line indices of the whole record
	sqlEnd     int // index of the line after the SQL ("----" for queries)
}

func parseSLT(lines []string) ([]*sltRecord, error) {
	var recs []*sltRecord
	i := 0
	for i < len(lines) {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		r := &sltRecord{line: i + 1, start: i}
		f := strings.Fields(l)
		switch {
		case f[0] == "statement" && len(f) >= 2 && f[1] == "ok":
			r.kind = "statement"
		case f[0] == "statement" && len(f) >= 2 && f[1] == "error":
			r.kind, r.expectErr = "statement", true
			r.errRe = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(l, "statement")), "error"))
		case f[0] == "query" && len(f) >= 2 && f[1] == "explain":
			r.kind, r.explain = "query", true
		case f[0] == "query" && len(f) >= 2:
			r.kind, r.types = "query", f[1]
			r.sortMode = "nosort"
			if len(f) >= 3 {
				r.sortMode = f[2]
				if r.sortMode != "rowsort" && r.sortMode != "nosort" {
					return nil, fmt.Errorf("line %d: unknown sort mode %q", i+1, r.sortMode)
				}
			}
		default:
			return nil, fmt.Errorf("line %d: expected 'statement ok', 'statement error', 'query <types>' or 'query explain', got %q", i+1, l)
		}
		i++
		var sql []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			sql = append(sql, lines[i])
			i++
		}
		r.sqlEnd = i
		r.sql = strings.Join(sql, "\n")
		if r.sql == "" {
			return nil, fmt.Errorf("line %d: record without SQL", r.line)
		}
		if r.kind == "query" {
			if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
				i++
				for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
					r.expected = append(r.expected, strings.TrimRight(lines[i], " \t"))
					i++
				}
			}
		}
		r.end = i
		recs = append(recs, r)
	}
	return recs, nil
}

type sltConfig struct {
	slices, batch int
}

func (c sltConfig) String() string { return fmt.Sprintf("slices=%d/batch=%d", c.slices, c.batch) }

func TestSLT(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sltDir, "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .slt files found in " + sltDir)
	}
	dataDir, err := filepath.Abs(filepath.Join(sltDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"${DATA}": dataDir, "${TPCH}": tpchDir}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(src), "\n")
			recs, err := parseSLT(lines)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			seed := rand.Int63()
			rnd := rand.New(rand.NewSource(seed))
			configs := []sltConfig{{1, 1024}, {1, 1}, {1, 7}, {1, 2 + rnd.Intn(99)}, {4, 1024}, {4, 1}, {4, 7}, {4, 2 + rnd.Intn(99)}}
			if *rewrite || testing.Short() {
				configs = configs[:1]
			}
			for ci, cfg := range configs {
				t.Run(cfg.String(), func(t *testing.T) {
					if ci == 3 || ci == 7 {
						t.Logf("random batch size %d (seed %d)", cfg.batch, seed)
					}
					runSLT(t, file, recs, cfg, vars, *rewrite && ci == 0)
				})
			}
			if *rewrite {
				out := rewriteSLT(lines, recs)
				if out != string(src) {
					if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("rewrote %s", file)
				}
			}
		})
	}
}

func runSLT(t *testing.T, file string, recs []*sltRecord, cfg sltConfig, vars map[string]string, record bool) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: t.TempDir(), Slices: cfg.slices, BatchSize: cfg.batch, Allocator: mem, MemoryLimit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	s := e.NewSession("slt")
	for _, r := range recs {
		sql := r.sql
		for k, v := range vars {
			sql = strings.ReplaceAll(sql, k, v)
		}
		where := fmt.Sprintf("%s:%d", filepath.Base(file), r.line)
		if r.kind == "statement" {
			err := s.Exec(ctx, sql)
			switch {
			case r.expectErr && err == nil:
				t.Errorf("%s: statement succeeded, want error matching %q\n%s", where, r.errRe, sql)
			case r.expectErr:
				msg := errText(err)
				re, rerr := regexp.Compile(r.errRe)
				if rerr != nil {
					t.Fatalf("%s: bad regexp: %v", where, rerr)
				}
				if !re.MatchString(msg) {
					t.Errorf("%s: error %q does not match %q", where, msg, r.errRe)
				}
			case err != nil:
				t.Errorf("%s: statement failed: %s\n%s", where, errText(err), sql)
			}
			continue
		}
		if r.explain && !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(sql)), "EXPLAIN") {
			sql = "EXPLAIN " + sql
		}
		got, types, err := queryRows(ctx, s, sql, r.explain)
		if err != nil {
			t.Errorf("%s: query failed: %s\n%s", where, errText(err), sql)
			if record {
				r.expected = []string{"<error: " + errText(err) + ">"}
			}
			continue
		}
		// Machine-specific paths in results print as their variables.
		for i := range got {
			for k, v := range vars {
				got[i] = strings.ReplaceAll(got[i], v, k)
			}
		}
		if r.sortMode == "rowsort" {
			sort.Strings(got)
		}
		if record {
			r.expected = got
			if !r.explain {
				r.types = types
			}
			continue
		}
		if !r.explain && len(types) != len(r.types) {
			t.Errorf("%s: query returns %d columns (%s), record says %q", where, len(types), types, r.types)
		} else if !r.explain && types != r.types {
			t.Errorf("%s: column types %s, record says %s", where, types, r.types)
		}
		want := append([]string(nil), r.expected...)
		if r.sortMode == "rowsort" {
			sort.Strings(want)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %s\n%s\n---- got\n%s\n---- want\n%s", where, cfg, sql, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if err := e.Close(); err != nil {
		t.Error(err)
	}
	mem.AssertSize(t, 0)
}

func errText(err error) string {
	code, _ := ErrorCode(err)
	return fmt.Sprintf("ERROR %d: %s", code, err.Error())
}

func typeLetter(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return 'I'
	case arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL64, arrow.DECIMAL128:
		return 'R'
	case arrow.BOOL:
		return 'B'
	case arrow.DATE32, arrow.TIMESTAMP:
		return 'D'
	}
	return 'T'
}

func queryRows(ctx context.Context, s *Session, sql string, raw bool) ([]string, string, error) {
	r, err := s.Query(ctx, sql)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	var types []byte
	for _, f := range r.Schema().Fields() {
		types = append(types, typeLetter(f.Type))
	}
	var out []string
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			return nil, "", err
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]string, rec.NumCols())
			for j := range vals {
				vals[j] = sltValue(rec.Column(j), i)
			}
			line := strings.Join(vals, " ")
			if raw {
				line = strings.TrimRight(line, " ")
			}
			out = append(out, line)
		}
		rec.Release()
	}
	return out, string(types), r.Close()
}

func sltValue(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	v := vec.Value(a, i)
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', 12, 64)
	}
	s := expr.FormatPlain(v, a.DataType())
	if s == "" {
		return "(empty)"
	}
	return s
}

// rewriteSLT regenerates the file with recorded query output.
func rewriteSLT(lines []string, recs []*sltRecord) string {
	var out []string
	prev := 0
	for _, r := range recs {
		out = append(out, lines[prev:r.start]...)
		if r.kind == "statement" {
			out = append(out, lines[r.start:r.end]...)
		} else {
			header := "query explain"
			if !r.explain {
				header = "query " + r.types
				if r.sortMode == "rowsort" {
					header += " rowsort"
				}
			}
			out = append(out, header)
			out = append(out, lines[r.start+1:r.sqlEnd]...)
			out = append(out, "----")
			out = append(out, r.expected...)
		}
		prev = r.end
	}
	out = append(out, lines[prev:]...)
	return strings.Join(out, "\n")
}

func TestParseSLT(t *testing.T) {
	src := "# c\nstatement ok\nCREATE DATABASE d\n\nstatement error ^ERROR 1049: .*nope\nUSE nope\n\nquery IT rowsort\nSELECT 1,\n 'a'\n----\n1 a\n\nquery explain\nSELECT 1\n----\nValues rows=1\n  x\n"
	recs, err := parseSLT(strings.Split(src, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[1].errRe != "^ERROR 1049: .*nope" || !recs[1].expectErr {
		t.Fatalf("error record %+v", recs[1])
	}
	if recs[2].types != "IT" || recs[2].sortMode != "rowsort" || recs[2].sql != "SELECT 1,\n 'a'" || recs[2].expected[0] != "1 a" {
		t.Fatalf("query record %+v", recs[2])
	}
	if !recs[3].explain || len(recs[3].expected) != 2 || recs[3].expected[1] != "  x" {
		t.Fatalf("explain record %+v", recs[3])
	}
	recs[2].expected = []string{"2 b", "3 c"}
	got := rewriteSLT(strings.Split(src, "\n"), recs)
	if !strings.Contains(got, "----\n2 b\n3 c\n\nquery explain") {
		t.Fatalf("rewrite:\n%s", got)
	}
	if _, err := parseSLT([]string{"bogus"}); err == nil {
		t.Fatal("bad header accepted")
	}
}
