package eval

import (
	"context"
	"fmt"
	"math/rand"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

const benchRows = vec.DefaultBatchSize

var benchWords = []string{"almond", "antique", "aquamarine", "azure", "beige", "bisque", "black", "blanched",
	"blue", "blush", "brown", "burlywood", "burnished", "chartreuse", "chiffon", "chocolate", "coral",
	"cornflower", "cornsilk", "cream", "cyan", "dark", "deep", "dim", "dodger", "drab", "firebrick",
	"floral", "forest", "frosted", "gainsboro", "ghost", "goldenrod", "green", "grey", "honeydew"}

func benchBatch(b *testing.B, mem memory.Allocator, dt arrow.DataType, gen func(r *rand.Rand) any, ncols int, withSel bool) *vec.Batch {
	r := rand.New(rand.NewSource(1))
	var arrs []arrow.Array
	for c := 0; c < ncols; c++ {
		vals := make([]any, benchRows)
		for i := range vals {
			vals[i] = gen(r)
		}
		a, err := vec.FromValues(mem, dt, vals)
		if err != nil {
			b.Fatal(err)
		}
		arrs = append(arrs, a)
	}
	bt := vec.New(arrs, benchRows)
	if withSel {
		for i := 0; i < benchRows; i++ {
			if i%10 != 0 {
				bt.Sel = append(bt.Sel, int32(i))
			}
		}
	}
	return bt
}

func benchEval(b *testing.B, e expr.Expr, bt *vec.Batch, mem memory.Allocator) {
	ev, err := Compile(e, &Env{Mem: mem})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := 0; i < b.N; i++ {
		a, err := ev.Eval(ctx, bt)
		if err != nil {
			b.Fatal(err)
		}
		a.Release()
	}
	reportRows(b, bt.NumRows(), cpu0)
}

func benchSelect(b *testing.B, e expr.Expr, bt *vec.Batch, mem memory.Allocator) {
	p, err := CompilePredicate(e, &Env{Mem: mem})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	buf := make([]int32, benchRows)
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := 0; i < b.N; i++ {
		if _, err := p.Select(ctx, bt, buf); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, bt.NumRows(), cpu0)
}

// cpuNanos is the process's user+system CPU time: on a loaded machine it
// is a steadier measure than wall time.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func reportRows(b *testing.B, rows int, cpu0 int64) {
	per := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/row")
	b.ReportMetric(float64(cpuNanos()-cpu0)/per, "cpu-ns/row")
}

func sels() []bool { return []bool{false, true} }

func BenchmarkInt64Add(b *testing.B) {
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, tI64, func(r *rand.Rand) any { return r.Int63n(1 << 40) }, 2, s)
			benchEval(b, call("+", tI64, col(0, tI64), col(1, tI64)), bt, mem)
		})
	}
}

func BenchmarkDecimal64Mul(b *testing.B) {
	d := dec(15, 2)
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, d, func(r *rand.Rand) any { return r.Int63n(10000000) }, 2, s)
			benchEval(b, call("*", dec(30, 4), col(0, d), col(1, d)), bt, mem)
		})
	}
}

func BenchmarkDecimal64MulNarrow(b *testing.B) {
	d := dec(9, 2)
	mem := memory.NewGoAllocator()
	bt := benchBatch(b, mem, d, func(r *rand.Rand) any { return r.Int63n(10000000) }, 2, false)
	benchEval(b, call("*", dec(18, 4), col(0, d), col(1, d)), bt, mem)
}

// Q1's l_extendedprice * (1 - l_discount)
func BenchmarkDecimalPriceTimesOneMinusDiscount(b *testing.B) {
	d := dec(15, 2)
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, d, func(r *rand.Rand) any { return r.Int63n(10000) }, 2, s)
			e := call("*", dec(18, 4), col(0, dec(9, 2)), call("-", dec(9, 2), lit(int64(100), dec(9, 2)), col(1, dec(9, 2))))
			benchEval(b, e, bt, mem)
		})
	}
}

func BenchmarkDateLEConst(b *testing.B) {
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, tDate, func(r *rand.Rand) any { return int32(8000 + r.Intn(2600)) }, 1, s)
			benchSelect(b, call("<=", tBool, col(0, tDate), lit(date("1998-09-02"), tDate)), bt, mem)
		})
	}
}

func BenchmarkDateRangeAnd(b *testing.B) {
	mem := memory.NewGoAllocator()
	bt := benchBatch(b, mem, tDate, func(r *rand.Rand) any { return int32(8000 + r.Intn(2600)) }, 1, false)
	e := call("and", tBool,
		call(">=", tBool, col(0, tDate), lit(date("1994-01-01"), tDate)),
		call("<", tBool, col(0, tDate), lit(date("1995-01-01"), tDate)))
	benchSelect(b, e, bt, mem)
}

func randWords(r *rand.Rand) any {
	s := ""
	for k := 0; k < 5; k++ {
		if k > 0 {
			s += " "
		}
		s += benchWords[r.Intn(len(benchWords))]
	}
	return s
}

func BenchmarkLikeContains(b *testing.B) {
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, tStr, randWords, 1, s)
			benchSelect(b, call("like", tBool, col(0, tStr), lit("%green%", tStr)), bt, mem)
		})
	}
}

// BenchmarkLikeTwoWords is a general pattern ('%a%b%', TPC-H Q13's shape).
func BenchmarkLikeTwoWords(b *testing.B) {
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			bt := benchBatch(b, mem, tStr, randWords, 1, s)
			benchSelect(b, call("like", tBool, col(0, tStr), lit("%green%blue%", tStr)), bt, mem)
		})
	}
}

func BenchmarkInList5Strings(b *testing.B) {
	for _, s := range sels() {
		b.Run(fmt.Sprintf("sel=%v", s), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			modes := []string{"AIR", "AIR REG", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
			bt := benchBatch(b, mem, tStr, func(r *rand.Rand) any { return modes[r.Intn(len(modes))] }, 1, s)
			e := &expr.InList{E: col(0, tStr), List: []expr.Expr{lit("MAIL", tStr), lit("SHIP", tStr), lit("AIR", tStr), lit("FOB", tStr), lit("TRUCK", tStr)}}
			benchSelect(b, e, bt, mem)
		})
	}
}

func BenchmarkCaseWhen(b *testing.B) {
	mem := memory.NewGoAllocator()
	bt := benchBatch(b, mem, tI64, func(r *rand.Rand) any { return r.Int63n(100) }, 1, false)
	e := &expr.Case{Whens: []expr.When{{Cond: call("<", tBool, col(0, tI64), lit(int64(50), tI64)), Then: call("*", tI64, col(0, tI64), lit(int64(2), tI64))}}, Else: lit(int64(0), tI64), T: tI64}
	benchEval(b, e, bt, mem)
}

func BenchmarkExtractYear(b *testing.B) {
	mem := memory.NewGoAllocator()
	bt := benchBatch(b, mem, tDate, func(r *rand.Rand) any { return int32(8000 + r.Intn(2600)) }, 1, false)
	benchEval(b, call("extract_year", tI64, col(0, tDate)), bt, mem)
}

func BenchmarkStringEqConst(b *testing.B) {
	mem := memory.NewGoAllocator()
	modes := []string{"AIR", "AIR REG", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
	bt := benchBatch(b, mem, tStr, func(r *rand.Rand) any { return modes[r.Intn(len(modes))] }, 1, false)
	benchSelect(b, call("=", tBool, col(0, tStr), lit("MAIL", tStr)), bt, mem)
}
