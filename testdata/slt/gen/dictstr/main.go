// Command gen writes part-0.parquet (dictionary-encoded, one dictionary
// per 300 rows) and part-1.parquet (plain) for agg_minmax_dict.slt:
//
//	go run ./testdata/slt/gen/dictstr testdata/slt/data/dictstr
//
// (testdata is ignored by go build ./..., so this is run by hand.)
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"

	pq "github.com/parquet-go/parquet-go"
)

type rowDict struct {
	ID int64   `parquet:"id"`
	G  int64   `parquet:"g"`
	S  *string `parquet:"s,optional,dict"`
	C  *string `parquet:"c,optional,dict"`
}

type rowPlain struct {
	ID int64   `parquet:"id"`
	G  int64   `parquet:"g"`
	S  *string `parquet:"s,optional"`
	C  *string `parquet:"c,optional"`
}

var low = []string{"", "a", "ab", "abcdefg", "abcdefgh", "abcdefghA", "abcdefghB", "abcdefghAAAAAAAAz", "abcdefghAAAAAAAA",
	"abcdefgi", "b", "é", "e\u0301", "ÿ", "\U0001F600", "DELIVER IN PERSON", "DELIVER BY HAND", "COLLECT COD", "NONE", "zzzz"}

func main() {
	rng := rand.New(rand.NewPCG(42, 7))
	var all []rowPlain
	mk := func(i int) rowPlain {
		r := rowPlain{ID: int64(i), G: int64(rng.IntN(5))}
		if rng.IntN(7) != 0 {
			s := low[rng.IntN(len(low))]
			if r.G == 4 { // group 4 has only a few values
				s = low[rng.IntN(3)]
			}
			r.S = &s
		}
		if rng.IntN(9) != 0 {
			c := fmt.Sprintf("c%04d %s", rng.IntN(700), low[rng.IntN(len(low))])
			r.C = &c
		}
		if r.G == 3 { // group 3 is all NULL
			r.S, r.C = nil, nil
		}
		return r
	}
	// part-0: dictionary-encoded, 300-row row groups (one dictionary each).
	f, _ := os.Create(os.Args[1] + "/part-0.parquet")
	w := pq.NewGenericWriter[rowDict](f, pq.MaxRowsPerRowGroup(300), pq.PageBufferSize(256))
	var rows []rowDict
	for i := range 1500 {
		r := mk(i)
		all = append(all, r)
		rows = append(rows, rowDict{r.ID, r.G, r.S, r.C})
	}
	if _, err := w.Write(rows); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	f.Close()
	// part-1: plain-encoded.
	f, _ = os.Create(os.Args[1] + "/part-1.parquet")
	w2 := pq.NewGenericWriter[rowPlain](f, pq.MaxRowsPerRowGroup(250))
	var prow []rowPlain
	for i := 1500; i < 2000; i++ {
		r := mk(i)
		all = append(all, r)
		prow = append(prow, r)
	}
	if _, err := w2.Write(prow); err != nil {
		panic(err)
	}
	if err := w2.Close(); err != nil {
		panic(err)
	}
	f.Close()
	// Oracle: per group min/max/count of s and c.
	type st struct {
		smin, smax, cmin, cmax *string
		ns, nc, n              int
	}
	res := map[int64]*st{}
	for _, r := range all {
		x := res[r.G]
		if x == nil {
			x = &st{}
			res[r.G] = x
		}
		x.n++
		upd := func(v *string, lo, hi **string, n *int) {
			if v == nil {
				return
			}
			*n++
			if *lo == nil || *v < **lo {
				*lo = v
			}
			if *hi == nil || *v > **hi {
				*hi = v
			}
		}
		upd(r.S, &x.smin, &x.smax, &x.ns)
		upd(r.C, &x.cmin, &x.cmax, &x.nc)
	}
	var gs []int64
	for g := range res {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i] < gs[j] })
	p := func(s *string) string {
		if s == nil {
			return "NULL"
		}
		if *s == "" {
			return "(empty)"
		}
		return *s
	}
	for _, g := range gs {
		x := res[g]
		fmt.Println(g, p(x.smin), p(x.smax), x.ns, p(x.cmin), p(x.cmax), x.nc, x.n)
	}
}
