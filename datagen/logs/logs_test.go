package logs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

func gen(t testing.TB, dir string, par int) *Result {
	t.Helper()
	res, err := Generate(context.Background(), Options{Dir: dir, Database: "weblogs", Days: 3,
		Start: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), RowsPerDay: 3000, RowGroupRows: 1000, Parallelism: par})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readRows(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[row](pf)
	defer r.Close()
	out := make([]row, pf.NumRows())
	n, err := r.Read(out)
	if int64(n) != pf.NumRows() {
		t.Fatalf("%s: read %d of %d rows: %v", path, n, pf.NumRows(), err)
	}
	return out
}

func TestGenerateDeterministicAndCounts(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	r1 := gen(t, d1, 1)
	r2 := gen(t, d2, 3)
	if len(r1.Partitions) != 3 || len(r1.Tables) != 2 {
		t.Fatalf("%d partitions, %d tables", len(r1.Partitions), len(r1.Tables))
	}
	if r1.Rows != r2.Rows {
		t.Fatalf("rows %d vs %d", r1.Rows, r2.Rows)
	}
	var sum int64
	for i, p := range r1.Partitions {
		want := []string{"2024-06-01", "2024-06-02", "2024-06-03"}[i]
		if p.Values[0] != want || filepath.Base(p.Location) != "dt="+want {
			t.Fatalf("partition %d = %v at %s", i, p.Values, p.Location)
		}
		f1 := filepath.Join(p.Location, "part-00000.parquet")
		f2 := filepath.Join(r2.Partitions[i].Location, "part-00000.parquet")
		b1, err := os.ReadFile(f1)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := os.ReadFile(f2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("day %s differs between parallelism 1 and 3", want)
		}
		rows := readRows(t, f1)
		if int64(len(rows)) != p.Stats.Rows {
			t.Fatalf("day %s: %d rows in file, stats say %d", want, len(rows), p.Stats.Rows)
		}
		// Weekend (2024-06-01/02) days are lighter than the weekday.
		if i < 2 && (len(rows) < 2000 || len(rows) > 2800) || i == 2 && (len(rows) < 2900 || len(rows) > 3500) {
			t.Fatalf("day %s: %d rows", want, len(rows))
		}
		sum += int64(len(rows))
		day := time.Date(2024, 6, 1+i, 0, 0, 0, 0, time.UTC)
		for j, r := range rows {
			if r.TS < day.UnixMicro() || r.TS >= day.AddDate(0, 0, 1).UnixMicro() || j > 0 && r.TS < rows[j-1].TS {
				t.Fatalf("day %s row %d: ts %d out of the day or out of order", want, j, r.TS)
			}
		}
	}
	if sum != r1.Rows || r1.Tables[0].Stats.Rows != sum {
		t.Fatalf("total %d, result %d, table stats %d", sum, r1.Rows, r1.Tables[0].Stats.Rows)
	}
	proj := r1.Tables[1]
	if proj.Name != TableProjected || proj.Props["projection.dt.range"] != "2024-06-01,2024-06-03" ||
		proj.Props["storage.location.template"] != r1.Tables[0].Location+"/dt=${dt}" {
		t.Fatalf("projected table %+v", proj)
	}
}

func TestDistributions(t *testing.T) {
	res := gen(t, t.TempDir(), 2)
	var rows []row
	for _, p := range res.Partitions {
		rows = append(rows, readRows(t, filepath.Join(p.Location, "part-00000.parquet"))...)
	}
	status := map[int32]int{}
	paths := map[string]int{}
	var nullRef, nullUser, night, afternoon int
	for _, r := range rows {
		status[r.Status]++
		paths[r.Path]++
		if r.Referrer == "" {
			nullRef++
		}
		if r.UserID == 0 {
			nullUser++
		}
		h := time.UnixMicro(r.TS).UTC().Hour()
		if h >= 2 && h < 6 {
			night++
		}
		if h >= 13 && h < 17 {
			afternoon++
		}
		if r.Status == 304 && r.Bytes != 0 {
			t.Fatalf("304 with %d bytes", r.Bytes)
		}
	}
	n := len(rows)
	frac := func(c int) float64 { return float64(c) / float64(n) }
	if f := frac(status[200]); f < 0.75 || f > 0.92 {
		t.Errorf("200s are %.2f of requests", f)
	}
	var s5, s4 int
	for st, c := range status {
		if st >= 500 {
			s5 += c
		} else if st >= 400 {
			s4 += c
		}
	}
	if s5 == 0 || frac(s5) > 0.05 || frac(s4) < 0.02 || frac(s4) > 0.1 {
		t.Errorf("5xx %.3f, 4xx %.3f", frac(s5), frac(s4))
	}
	if frac(paths["/"]) < 0.05 || len(paths) < 200 {
		t.Errorf("path distribution: / is %.3f, %d distinct paths", frac(paths["/"]), len(paths))
	}
	if f := frac(nullRef); f < 0.35 || f > 0.65 {
		t.Errorf("NULL referrers %.2f", f)
	}
	if f := frac(nullUser); f < 0.25 || f > 0.5 {
		t.Errorf("anonymous users %.2f", f)
	}
	if afternoon < 3*night {
		t.Errorf("no diurnal shape: %d rows 13-17h, %d rows 2-6h", afternoon, night)
	}
}

func TestReuse(t *testing.T) {
	dir := t.TempDir()
	r1 := gen(t, dir, 2)
	f := filepath.Join(r1.Partitions[0].Location, "part-00000.parquet")
	st1, _ := os.Stat(f)
	time.Sleep(10 * time.Millisecond)
	r2, err := Generate(context.Background(), Options{Dir: dir, Database: "other", Days: 3,
		Start: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), RowsPerDay: 3000, RowGroupRows: 1000, Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(f)
	if !st2.ModTime().Equal(st1.ModTime()) || r2.Rows != r1.Rows || r2.Tables[0].Database != "other" {
		t.Fatal("reuse regenerated the files or lost the result")
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Options{{Days: 1}, {Dir: t.TempDir()}, {Dir: t.TempDir(), Days: 1, RowsPerDay: -1}} {
		if _, err := Generate(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func BenchmarkGenerateDay(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		if _, err := Generate(context.Background(), Options{Dir: dir, Days: 1, RowsPerDay: 100000, Parallelism: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
