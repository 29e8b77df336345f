package tpch

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
)

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		sf                          float64
		parts, supps, custs, orders int64
		err                         bool
	}{
		{sf: 1, parts: 200000, supps: 10000, custs: 150000, orders: 1500000},
		{sf: 10, parts: 2000000, supps: 100000, custs: 1500000, orders: 15000000},
		{sf: 0.1, parts: 20000, supps: 1000, custs: 15000, orders: 150000},
		{sf: 0.01, parts: 2000, supps: 100, custs: 1500, orders: 15000},
		{sf: 0.001, parts: 200, supps: 10, custs: 150, orders: 1500},
		{sf: 1.5, err: true},
		{sf: 0, err: true},
		{sf: -1, err: true},
		{sf: 0.0001, err: true},
		{sf: 30000, err: true},
	} {
		sc, err := newScale(tc.sf)
		if tc.err {
			if err == nil {
				t.Errorf("SF %v: no error", tc.sf)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SF %v: %v", tc.sf, err)
		}
		if sc.parts != tc.parts || sc.supps != tc.supps || sc.custs != tc.custs || sc.orders != tc.orders {
			t.Errorf("SF %v: got %+v", tc.sf, sc)
		}
	}
}

// TestLineitemCountSF1 generates SF 1's orders in parallel chunks without
// writing them and checks dbgen's lineitem count.
func TestLineitemCountSF1(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1.5M orders")
	}
	sc, _ := newScale(1)
	pool := getTextPool()
	var total atomic.Int64
	var wg sync.WaitGroup
	const chunks = 4
	per := sc.orders / chunks
	for c := range chunks {
		wg.Go(func() {
			g := newGenerator(sc, grpOrder, int64(c)*per+1, pool)
			lines := make([]lineitemRow, oLcntMax)
			var o orderRow
			n := 0
			for i := int64(c)*per + 1; i <= int64(c+1)*per; i++ {
				n += len(g.order(i, &o, lines))
			}
			total.Add(int64(n))
		})
	}
	wg.Wait()
	if got := total.Load(); got != 6001215 {
		t.Fatalf("SF 1 lineitem count = %d, want 6001215", got)
	}
}

var (
	sf001Once sync.Once
	sf001Dir  string
	sf001Tbls []catalog.Table
	sf001Err  error
)

// sf001 generates SF 0.01 once per test binary.
func sf001(t *testing.T) (string, []catalog.Table) {
	t.Helper()
	sf001Once.Do(func() {
		sf001Dir, sf001Err = os.MkdirTemp("", "tpch-sf001-")
		if sf001Err == nil {
			sf001Tbls, sf001Err = Generate(context.Background(), Options{SF: 0.01, Dir: sf001Dir, Database: "tpch"})
		}
	})
	if sf001Err != nil {
		t.Fatal(sf001Err)
	}
	return sf001Dir, sf001Tbls
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sf001Dir != "" {
		os.RemoveAll(sf001Dir)
	}
	os.Exit(code)
}

func TestGenerateSF001(t *testing.T) {
	dir, tbls := sf001(t)
	want := map[string]int64{"region": 5, "nation": 25, "supplier": 100, "customer": 1500,
		"part": 2000, "partsupp": 8000, "orders": 15000, "lineitem": 60175}
	if len(tbls) != len(want) {
		t.Fatalf("%d tables", len(tbls))
	}
	for _, tb := range tbls {
		if tb.Stats == nil || tb.Stats.Rows != want[tb.Name] {
			t.Errorf("%s: stats %+v, want %d rows", tb.Name, tb.Stats, want[tb.Name])
			continue
		}
		if tb.Kind != catalog.KindExternal || tb.Format != "parquet" || tb.Database != "tpch" || tb.Location != filepath.Join(dir, tb.Name) {
			t.Errorf("%s: bad entry %+v", tb.Name, tb)
		}
		if _, err := tb.ArrowSchema(); err != nil {
			t.Errorf("%s: %v", tb.Name, err)
		}
		// Rows and bytes as recorded match the files.
		files, _ := filepath.Glob(filepath.Join(tb.Location, "*.parquet"))
		var rows, size int64
		for _, f := range files {
			pf := openParquet(t, f)
			rows += pf.NumRows()
			size += pf.Size()
		}
		if rows != tb.Stats.Rows || size != tb.Stats.Bytes || int64(len(files)) != tb.Stats.Files {
			t.Errorf("%s: files hold %d rows, %d bytes in %d files; stats say %+v", tb.Name, rows, size, len(files), tb.Stats)
		}
	}
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pf
}

// TestParquetSchema reads the files' schemas back and checks physical and
// logical types against the catalog columns.
func TestParquetSchema(t *testing.T) {
	_, tbls := sf001(t)
	for _, tb := range tbls {
		files, _ := filepath.Glob(filepath.Join(tb.Location, "*.parquet"))
		pf := openParquet(t, files[0])
		fields := pf.Schema().Fields()
		if len(fields) != len(tb.Columns) {
			t.Fatalf("%s: %d parquet columns, %d catalog columns", tb.Name, len(fields), len(tb.Columns))
		}
		for i, f := range fields {
			c := tb.Columns[i]
			if f.Name() != c.Name {
				t.Errorf("%s column %d: parquet %s, catalog %s", tb.Name, i, f.Name(), c.Name)
			}
			if f.Optional() || f.Repeated() {
				t.Errorf("%s.%s: not REQUIRED", tb.Name, c.Name)
			}
			dt, err := types.Parse(c.Type)
			if err != nil {
				t.Fatal(err)
			}
			lt := f.Type().LogicalType()
			if lt == nil {
				lt = &format.LogicalType{}
			}
			kind := f.Type().Kind()
			switch {
			case types.IsDecimal(dt):
				if d, ok := lt.Value.(*format.DecimalType); kind != parquet.Int64 || !ok || d.Precision != 15 || d.Scale != 2 {
					t.Errorf("%s.%s: %v %v, want INT64 DECIMAL(15,2)", tb.Name, c.Name, kind, lt)
				}
			case dt.ID() == types.Date.ID():
				if _, ok := lt.Value.(*format.DateType); kind != parquet.Int32 || !ok {
					t.Errorf("%s.%s: %v %v, want INT32 DATE", tb.Name, c.Name, kind, lt)
				}
			case types.IsString(dt):
				if _, ok := lt.Value.(*format.StringType); kind != parquet.ByteArray || !ok {
					t.Errorf("%s.%s: %v %v, want BYTE_ARRAY STRING", tb.Name, c.Name, kind, lt)
				}
			case dt.ID() == types.Int64.ID():
				if kind != parquet.Int64 || !plainInt(lt, 64) {
					t.Errorf("%s.%s: %v, want INT64", tb.Name, c.Name, kind)
				}
			case dt.ID() == types.Int32.ID():
				if kind != parquet.Int32 || !plainInt(lt, 32) {
					t.Errorf("%s.%s: %v, want INT32", tb.Name, c.Name, kind)
				}
			default:
				t.Errorf("%s.%s: unexpected catalog type %s", tb.Name, c.Name, c.Type)
			}
		}
		for _, rg := range pf.Metadata().RowGroups {
			for _, cc := range rg.Columns {
				if cc.MetaData.Codec != format.Snappy {
					t.Errorf("%s.%v: codec %v, want SNAPPY", tb.Name, cc.MetaData.PathInSchema, cc.MetaData.Codec)
				}
			}
		}
	}
}

// plainInt: no logical type, or a signed INTEGER of the given width.
func plainInt(lt *format.LogicalType, bits int8) bool {
	if lt.Value == nil {
		return true
	}
	it, ok := lt.Value.(*format.IntType)
	return ok && it.IsSigned && it.BitWidth == bits
}

func readAll[T any](t *testing.T, dir, table string) []T {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, table, "*.parquet"))
	var out []T
	for _, f := range files {
		r := parquet.NewGenericReader[T](openParquet(t, f))
		buf := make([]T, 1024)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		r.Close()
	}
	return out
}

// TestValueDomains checks the spec's value domains and the relations
// between tables on the written SF 0.01 data.
func TestValueDomains(t *testing.T) {
	dir, _ := sf001(t)
	sc, _ := newScale(0.01)
	parts := readAll[partRow](t, dir, "part")
	supps := readAll[supplierRow](t, dir, "supplier")
	custs := readAll[customerRow](t, dir, "customer")
	psupp := readAll[partsuppRow](t, dir, "partsupp")
	orders := readAll[orderRow](t, dir, "orders")
	lines := readAll[lineitemRow](t, dir, "lineitem")
	nations := readAll[nationRow](t, dir, "nation")

	for i, p := range parts {
		if p.PartKey != int64(i+1) || p.RetailPrice != retailPrice(p.PartKey) || p.Size < 1 || p.Size > 50 ||
			!strings.HasPrefix(p.Brand, "Brand#") || len(strings.Fields(p.Name)) != 5 {
			t.Fatalf("bad part %+v", p)
		}
	}
	for _, s := range supps {
		if s.NationKey < 0 || s.NationKey > 24 || s.AcctBal < -99999 || s.AcctBal > 999999 {
			t.Fatalf("bad supplier %+v", s)
		}
	}
	for _, c := range custs {
		if c.NationKey < 0 || c.NationKey > 24 || len(c.Phone) != 15 || c.Phone[:2] != string(appendInt(nil, 10+c.NationKey)) {
			t.Fatalf("bad customer %+v", c)
		}
	}
	for _, n := range nations {
		if n.RegionKey < 0 || n.RegionKey > 4 {
			t.Fatalf("bad nation %+v", n)
		}
	}
	type pk struct{ p, s int64 }
	ps := map[pk]bool{}
	for _, x := range psupp {
		ps[pk{x.PartKey, x.SuppKey}] = true
		if x.SuppKey < 1 || x.SuppKey > sc.supps || x.AvailQty < 1 || x.AvailQty > 9999 || x.SupplyCost < 100 || x.SupplyCost > 100000 {
			t.Fatalf("bad partsupp %+v", x)
		}
	}
	if len(ps) != len(psupp) {
		t.Fatalf("partsupp keys not unique: %d distinct of %d", len(ps), len(psupp))
	}
	const minDate, maxDate = epochOffset, epochOffset + totDate - 1
	byOrder := map[int64][]lineitemRow{}
	for _, l := range lines {
		byOrder[l.OrderKey] = append(byOrder[l.OrderKey], l)
		switch {
		case !strings.Contains("ANR", l.ReturnFlag) || len(l.ReturnFlag) != 1,
			l.LineStatus != "O" && l.LineStatus != "F",
			l.ShipDate < minDate || l.ShipDate > maxDate || l.ReceiptDate <= l.ShipDate || l.ReceiptDate > maxDate,
			l.CommitDate < minDate || l.CommitDate > maxDate,
			l.Quantity < 100 || l.Quantity > 5000 || l.Quantity%100 != 0,
			l.Discount < 0 || l.Discount > 10 || l.Tax < 0 || l.Tax > 8,
			l.ExtendedPrice != retailPrice(l.PartKey)*l.Quantity/100,
			!ps[pk{l.PartKey, l.SuppKey}]:
			t.Fatalf("bad lineitem %+v", l)
		}
		// R and A only for received lines (receipt <= 1995-06-17), N after.
		if (l.ReceiptDate <= epochOffset+currentDate) == (l.ReturnFlag == "N") {
			t.Fatalf("lineitem return flag %s with receipt date %s", l.ReturnFlag, date(l.ReceiptDate))
		}
	}
	for _, o := range orders {
		ls := byOrder[o.OrderKey]
		if len(ls) < 1 || len(ls) > 7 {
			t.Fatalf("order %d has %d lines", o.OrderKey, len(ls))
		}
		if o.CustKey%3 == 0 || o.CustKey < 1 || o.CustKey > sc.custs {
			t.Fatalf("order %d customer %d", o.OrderKey, o.CustKey)
		}
		var total int64
		shipped := 0
		for _, l := range ls {
			total += l.ExtendedPrice * (100 - l.Discount) / 100 * (100 + l.Tax) / 100
			if l.LineStatus == "F" {
				shipped++
			}
			if l.ShipDate <= o.OrderDate {
				t.Fatalf("line shipped before its order: %+v %+v", o, l)
			}
		}
		if total != o.TotalPrice {
			t.Fatalf("order %d total %d, lines sum to %d", o.OrderKey, o.TotalPrice, total)
		}
		want := "P"
		if shipped == 0 {
			want = "O"
		} else if shipped == len(ls) {
			want = "F"
		}
		if o.OrderStatus != want {
			t.Fatalf("order %d status %s, want %s", o.OrderKey, o.OrderStatus, want)
		}
	}
	if len(byOrder) != len(orders) {
		t.Fatalf("lineitems reference %d orders, %d exist", len(byOrder), len(orders))
	}
}

// TestDeterministic: a second generation, with a different degree of
// parallelism and into another directory, writes identical bytes.
func TestDeterministic(t *testing.T) {
	dir, _ := sf001(t)
	dir2 := t.TempDir()
	if _, err := Generate(context.Background(), Options{SF: 0.01, Dir: dir2, Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	for _, tb := range Tables {
		files, _ := filepath.Glob(filepath.Join(dir, tb, "*"))
		files2, _ := filepath.Glob(filepath.Join(dir2, tb, "*"))
		if len(files) != len(files2) || len(files) == 0 {
			t.Fatalf("%s: %d vs %d files", tb, len(files), len(files2))
		}
		for i := range files {
			a, _ := os.ReadFile(files[i])
			b, _ := os.ReadFile(files2[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s and %s differ", tb, files[i], files2[i])
			}
		}
	}
}

// TestPlanTasks checks how SF 1 is cut into files.
func TestPlanTasks(t *testing.T) {
	sc, _ := newScale(1)
	files := map[string]int{}
	var orders int64
	for _, tk := range planTasks(sc) {
		files[tk.kind]++
		if tk.kind == "orders" {
			if tk.first != orders+1 {
				t.Fatalf("orders chunk starts at %d, want %d", tk.first, orders+1)
			}
			orders += tk.count
		}
	}
	if orders != sc.orders || files["orders"] != 4 || files["part"] != 1 || files["region"] != 1 {
		t.Fatalf("plan: %v, %d orders", files, orders)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string]int64{}
	tbls, err := Generate(context.Background(), Options{SF: 0.001, Dir: dir, Format: "csv",
		Progress: func(table string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			if done > total || done < seen[table] {
				t.Errorf("progress %s: %d of %d after %d", table, done, total, seen[table])
			}
			seen[table] = done
		}})
	if err != nil {
		t.Fatal(err)
	}
	pdir := t.TempDir()
	if _, err := Generate(context.Background(), Options{SF: 0.001, Dir: pdir}); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tbls {
		if seen[tb.Name] != tb.Stats.Rows {
			t.Errorf("%s: progress ended at %d, %d rows", tb.Name, seen[tb.Name], tb.Stats.Rows)
		}
		if tb.Format != "csv" || tb.Props["skip.header.line.count"] != "1" {
			t.Errorf("%s: %+v", tb.Name, tb)
		}
		files, _ := filepath.Glob(filepath.Join(tb.Location, "*.csv"))
		var recs [][]string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			r := csv.NewReader(bytes.NewReader(b))
			all, err := r.ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for i, h := range all[0] {
				if h != tb.Columns[i].Name {
					t.Fatalf("%s header %v", tb.Name, all[0])
				}
			}
			recs = append(recs, all[1:]...)
		}
		if int64(len(recs)) != tb.Stats.Rows {
			t.Fatalf("%s: %d records, want %d", tb.Name, len(recs), tb.Stats.Rows)
		}
		// The CSV holds the Parquet data, value for value.
		if tb.Name == "lineitem" {
			ls := readAll[lineitemRow](t, pdir, "lineitem")
			for i, l := range ls {
				want := strings.TrimSuffix(string(l.appendCSV(nil)), "\n")
				var buf bytes.Buffer
				w := csv.NewWriter(&buf)
				w.Write(recs[i])
				w.Flush()
				got := strings.TrimSuffix(buf.String(), "\n")
				if normalizeCSV(got) != normalizeCSV(want) {
					t.Fatalf("lineitem %d: csv %q, parquet %q", i, got, want)
				}
			}
		}
	}
}

// normalizeCSV re-encodes a record so quoting differences do not count.
func normalizeCSV(line string) string {
	rec, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(rec, "\x00")
}

func TestReuse(t *testing.T) {
	dir := t.TempDir()
	tbls, err := Generate(context.Background(), Options{SF: 0.001, Dir: dir, Database: "a"})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "lineitem", "lineitem-00000.parquet")
	st, _ := os.Stat(f)
	again, err := Generate(context.Background(), Options{SF: 0.001, Dir: dir, Database: "b", Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(f)
	if !st2.ModTime().Equal(st.ModTime()) || again[7].Stats.Rows != tbls[7].Stats.Rows || again[7].Database != "b" {
		t.Fatal("Reuse regenerated or lost stats")
	}
	// A truncated file forces regeneration.
	os.Truncate(f, 10)
	if _, err := Generate(context.Background(), Options{SF: 0.001, Dir: dir, Reuse: true}); err != nil {
		t.Fatal(err)
	}
	if st3, _ := os.Stat(f); st3.Size() != st.Size() {
		t.Fatalf("truncated file not regenerated: %d bytes", st3.Size())
	}
	// A foreign file in a table directory is an error, not deleted.
	os.WriteFile(filepath.Join(dir, "orders", "mine.txt"), []byte("x"), 0o644)
	if _, err := Generate(context.Background(), Options{SF: 0.001, Dir: dir}); err == nil || !strings.Contains(err.Error(), "mine.txt") {
		t.Fatalf("foreign file: err = %v", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	ctx := context.Background()
	for _, o := range []Options{{SF: 0.01}, {SF: 1.5, Dir: t.TempDir()}, {SF: 0.01, Dir: t.TempDir(), Format: "orc"}} {
		if _, err := Generate(ctx, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	dir := t.TempDir()
	if _, err := Generate(cctx, Options{SF: 0.01, Dir: dir}); err == nil {
		t.Fatal("cancelled context: no error")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(left) != 0 {
		t.Fatalf("cancelled generation left %v", left)
	}
}

func BenchmarkGenerateSF001(b *testing.B) {
	getTextPool()
	for b.Loop() {
		if _, err := Generate(context.Background(), Options{SF: 0.01, Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrders(b *testing.B) {
	sc, _ := newScale(1)
	g := newGenerator(sc, grpOrder, 1, getTextPool())
	lines := make([]lineitemRow, oLcntMax)
	var o orderRow
	i := int64(1)
	for b.Loop() {
		g.order(i, &o, lines)
		i++
	}
}
