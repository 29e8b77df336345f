package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/vec"
)

// aggBenchComments returns n TPC-H-comment-like strings (10..43 bytes of
// lower-case words).
func aggBenchComments(rng *rand.Rand, n int) []string {
	words := []string{"carefully", "final", "deposits", "sleep", "quickly", "ironic", "packages", "across", "the", "furiously", "regular", "accounts", "blithely", "pending", "requests"}
	out := make([]string, n)
	for i := range out {
		s := ""
		for len(s) < 10+rng.IntN(34) {
			if s != "" {
				s += " "
			}
			s += words[rng.IntN(len(words))]
		}
		out[i] = s
	}
	return out
}

// aggBenchStrColumn builds one batch column of strs: plain, or a
// dictionary over dict with the strings' indexes.
func aggBenchStrColumn(mem memory.Allocator, strs []string, dict arrow.Array, index map[string]int32) arrow.Array {
	if dict == nil {
		sb := vec.NewStringBuilder(mem, len(strs))
		for _, s := range strs {
			sb.AppendString(s)
		}
		return sb.Finish()
	}
	ib := vec.NewBuilder[int32](mem, arrow.PrimitiveTypes.Int32, len(strs))
	for i, s := range strs {
		ib.Values[i] = index[s]
	}
	ix := ib.Finish()
	defer ix.Release()
	return array.NewDictionaryArray(aggDictStrType, ix, dict)
}

var aggDictStrType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// BenchmarkAggMinMaxStr measures the string min/max accumulator alone
// over 1M rows in batches of vec.DefaultBatchSize (8K distinct rows fed
// 128 times, so that the batches are in cache as a scan's are):
// high-cardinality comments (plain) and a 4-entry column like
// l_shipinstruct (plain and as a dictionary), without and with 16 groups.
func BenchmarkAggMinMaxStr(b *testing.B) {
	const rows, rounds = 1 << 13, 128
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	comments := aggBenchComments(rng, rows)
	instr := []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
	low := make([]string, rows)
	for i := range low {
		low[i] = instr[rng.IntN(len(instr))]
	}
	db := vec.NewStringBuilder(mem, len(instr))
	index := map[string]int32{}
	for i, s := range instr {
		db.AppendString(s)
		index[s] = int32(i)
	}
	dict := db.Finish()
	defer dict.Release()
	for _, c := range []struct {
		name string
		strs []string
		dict arrow.Array
	}{{"comments", comments, nil}, {"low/plain", low, nil}, {"low/dict", low, dict}} {
		var cols []arrow.Array
		for off := 0; off < rows; off += vec.DefaultBatchSize {
			cols = append(cols, aggBenchStrColumn(mem, c.strs[off:off+vec.DefaultBatchSize], c.dict, index))
		}
		for _, groups := range []int{1, 16} {
			gids := make([]int32, vec.DefaultBatchSize)
			for i := range gids {
				gids[i] = int32(i*7919) % int32(groups)
			}
			for _, mode := range []int{aggModeMin, aggModeMax} {
				name := fmt.Sprintf("%s/groups=%d/%s", c.name, groups, map[int]string{aggModeMin: "min", aggModeMax: "max"}[mode])
				b.Run(name, func(b *testing.B) {
					var in aggInput
					for range b.N {
						a := &aggMinMaxStrAcc{mode: mode}
						a.resize(groups)
						for range rounds {
							for _, col := range cols {
								in.prepare(gids, col, nil)
								if err := a.update(&in); err != nil {
									b.Fatal(err)
								}
							}
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(rows*rounds), "ns/row")
				})
			}
		}
		for _, col := range cols {
			col.Release()
		}
	}
}
