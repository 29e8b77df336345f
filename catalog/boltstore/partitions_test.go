package boltstore

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
)

// The key encoding must round-trip any values and order keys exactly as
// the value tuples compare (value by value, as Go strings).
func TestKeyEncodingOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte{0x00, 0x01, 0x02, 'a', 'b', 0xFE, 0xFF}
	randValue := func() string {
		b := make([]byte, rng.Intn(4))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return string(b)
	}
	tuples := make([][]string, 2000)
	for i := range tuples {
		tuples[i] = make([]string, 1+rng.Intn(3))
		for j := range tuples[i] {
			tuples[i][j] = randValue()
		}
	}
	for i := 0; i < len(tuples); i++ {
		a := tuples[i]
		ka := encodeValues(a)
		dec, err := decodeValues(ka, nil)
		if err != nil || !reflect.DeepEqual(dec, a) {
			t.Fatalf("round trip of %q: %q, %v", a, dec, err)
		}
		b := tuples[(i*7+3)%len(tuples)]
		if len(a) != len(b) {
			continue // keys of one table always have the same arity
		}
		want := slices.Compare(a, b)
		if got := bytes.Compare(ka, encodeValues(b)); got != want {
			t.Fatalf("compare(%q, %q) = %d, want %d", a, b, got, want)
		}
		// The first-value comparison used for Hi.
		want = strings.Compare(a[0], b[0])
		if got := bytes.Compare(firstValue(ka), escapeValue(b[0])); got != want {
			t.Fatalf("first-value compare(%q, %q) = %d, want %d", a[0], b[0], got, want)
		}
	}
	for _, bad := range []string{"a", "a\x00", "a\x00\x02", "a\x00\x01b"} {
		if _, err := decodeValues([]byte(bad), nil); err == nil {
			t.Errorf("corrupt key %q decoded", bad)
		}
	}
}

// Partitions of different tables and databases never mix, including
// tables whose names are prefixes of each other.
func TestPartitionsIsolated(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, db := range []string{"d", "d2"} {
		if err := s.CreateDatabase(ctx, catalog.Database{Name: db}, false); err != nil {
			t.Fatal(err)
		}
		for _, tb := range []string{"t", "t2"} {
			if err := s.CreateTable(ctx, catalogtest.PartitionedTable(db, tb, "dt"), false); err != nil {
				t.Fatal(err)
			}
			if err := s.AddPartitions(ctx, db, tb, []catalog.Partition{{Values: []string{db + "." + tb}, Location: "/x"}}, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, db := range []string{"d", "d2"} {
		for _, tb := range []string{"t", "t2"} {
			ps, err := s.ListPartitions(ctx, db, tb, nil)
			if err != nil || len(ps) != 1 || ps[0].Values[0] != db+"."+tb {
				t.Fatalf("%s.%s: %+v %v", db, tb, ps, err)
			}
		}
	}
	if err := s.DropTable(ctx, "d", "t", false); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountPartitions(ctx, "d", "t2"); err != nil || n != 1 {
		t.Fatalf("dropping d.t touched d.t2: %d %v", n, err)
	}
}

// The listing must not touch bodies of partitions it rejects: a corrupt
// body outside the selection does not matter, inside it is an error.
func TestListDecodesOnlyMatches(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(ctx, catalogtest.PartitionedTable("d", "t", "dt"), false); err != nil {
		t.Fatal(err)
	}
	if err := catalogtest.FillPartitions(ctx, s, "d", "t", 10); err != nil {
		t.Fatal(err)
	}
	bad := catalogtest.Day(3)
	err = s.db.Update(func(tx *bolt.Tx) error {
		pb, _ := partitionsBucket(tx, "d", "t", false)
		return pb.Put(encodeValues([]string{bad}), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.ListPartitions(ctx, "d", "t", &catalog.PartitionFilter{Match: func(v []string) bool { return v[0] != bad }})
	if err != nil || len(ps) != 9 {
		t.Fatalf("listing around a corrupt body: %d partitions, %v", len(ps), err)
	}
	if _, err := s.ListPartitions(ctx, "d", "t", nil); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt body in the selection: err %v", err)
	}
}

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
	benchDir   string // removed by TestMain
)

const benchParts = 100_000

// benchCatalog returns a store with d.t holding 100,000 daily partitions
// (shared by the benchmarks; built once per process).
func benchCatalog(b *testing.B) *Store {
	benchOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "tarn-bolt-bench")
		benchDir = dir
		if err != nil {
			benchErr = err
			return
		}
		s, err := Open(dir)
		if err != nil {
			benchErr = err
			return
		}
		if err := s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false); err != nil {
			benchErr = err
			return
		}
		if err := s.CreateTable(ctx, catalogtest.PartitionedTable("d", "t", "dt"), false); err != nil {
			benchErr = err
			return
		}
		start := time.Now()
		benchErr = catalogtest.FillPartitions(ctx, s, "d", "t", benchParts)
		b.Logf("FillPartitions(%d): %v", benchParts, time.Since(start))
		benchStore = s
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func BenchmarkListPartitions(b *testing.B) {
	ctx := context.Background()
	s := benchCatalog(b)
	one := catalogtest.Day(54321)
	lo, hi := catalogtest.Day(70000), catalogtest.Day(70006)
	for _, bc := range []struct {
		name string
		f    *catalog.PartitionFilter
		want int
	}{
		// dt = X: Lo = Hi = X seeks to the one partition.
		{"eq_1of100k", &catalog.PartitionFilter{Lo: &one, Hi: &one, Match: func(v []string) bool { return v[0] == one }}, 1},
		// dt BETWEEN: 7 partitions by seeking.
		{"range_7of100k", &catalog.PartitionFilter{Lo: &lo, Hi: &hi, Match: func(v []string) bool { return v[0] >= lo && v[0] <= hi }}, 7},
		// No bound on the first key: Match runs on all 100k values.
		{"match_1of100k", &catalog.PartitionFilter{Match: func(v []string) bool { return v[0] == one }}, 1},
		{"all_100k", nil, benchParts},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ps, err := s.ListPartitions(ctx, "d", "t", bc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(ps) != bc.want {
					b.Fatalf("%d partitions, want %d", len(ps), bc.want)
				}
			}
		})
	}
}

func BenchmarkCountPartitions(b *testing.B) {
	ctx := context.Background()
	s := benchCatalog(b)
	for i := 0; i < b.N; i++ {
		if n, err := s.CountPartitions(ctx, "d", "t"); err != nil || n != benchParts {
			b.Fatal(n, err)
		}
	}
}
