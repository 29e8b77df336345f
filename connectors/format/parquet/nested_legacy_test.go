package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

// relabel rewrites a file's footer, annotating the schema elements
// named in ann with a converted type (LIST, MAP, MAP_KEY_VALUE): the
// legacy layouts other writers produce, which parquet-go does not write.
// The data pages are unchanged: the annotation changes only the meaning.
func relabel(t testing.TB, data []byte, ann map[string]deprecated.ConvertedType) []byte {
	t.Helper()
	size := len(data)
	flen := int(binary.LittleEndian.Uint32(data[size-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[size-8-flen:size-8], &md); err != nil {
		t.Fatal(err)
	}
	done := 0
	for i := range md.Schema {
		if ct, ok := ann[md.Schema[i].Name]; ok {
			md.Schema[i].ConvertedType.V, md.Schema[i].ConvertedType.Valid = ct, true
			done++
		}
	}
	if done != len(ann) {
		t.Fatalf("relabel: %d of %d elements found", done, len(ann))
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:size-8-flen]), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

func writeRows[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[T](&buf, pq.PageBufferSize(64))
	for _, r := range rows {
		if _, err := w.Write([]T{r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type (
	// optional group l (LIST) { repeated int32 x }
	legacyPrim struct {
		L *struct {
			X []int32 `parquet:"x"`
		} `parquet:"l,optional"`
	}
	legacyOne struct {
		V *int32 `parquet:"v,optional"`
	}
	// optional group l (LIST) { repeated group array { optional int32 v } }
	legacyArray struct {
		L *struct {
			Array []legacyOne `parquet:"array"`
		} `parquet:"l,optional"`
	}
	// optional group l (LIST) { repeated group l_tuple { optional int32 v } }
	legacyTuple struct {
		L *struct {
			T []legacyOne `parquet:"l_tuple"`
		} `parquet:"l,optional"`
	}
	legacyTwo struct {
		A int32  `parquet:"a"`
		B string `parquet:"b"`
	}
	// optional group l (LIST) { repeated group e { required int32 a; required binary b } }
	legacyMulti struct {
		L *struct {
			E []legacyTwo `parquet:"e"`
		} `parquet:"l,optional"`
	}
	// optional group l (LIST) { repeated group bag { optional int32 array_element } }
	legacyBag struct {
		L *struct {
			Bag []struct {
				V *int32 `parquet:"array_element,optional"`
			} `parquet:"bag"`
		} `parquet:"l,optional"`
	}
	legacyKV struct {
		Key   string `parquet:"key"`
		Value *int32 `parquet:"value,optional"`
	}
	// optional group m (MAP_KEY_VALUE) { repeated group map { key; value } },
	// and the parquet-mr form with MAP outside and MAP_KEY_VALUE inside.
	legacyMap struct {
		M *struct {
			Map []legacyKV `parquet:"map"`
		} `parquet:"m,optional"`
	}
)

func TestNestedLegacyForms(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	ones := func(vs ...*int32) []legacyOne {
		out := []legacyOne{}
		for _, v := range vs {
			out = append(out, legacyOne{V: v})
		}
		return out
	}
	cases := []struct {
		name string
		data []byte
		typ  string
		want []string
	}{
		{"2-level primitive", relabel(t, writeRows(t, []legacyPrim{
			{}, {L: &struct {
				X []int32 `parquet:"x"`
			}{}}, {L: &struct {
				X []int32 `parquet:"x"`
			}{X: []int32{1, 2, 3}}},
		}), map[string]deprecated.ConvertedType{"l": deprecated.List}),
			"ARRAY<INT>", []string{`[null]`, `[[]]`, `[[1,2,3]]`}},
		{"array element", relabel(t, writeRows(t, []legacyArray{
			{}, {L: &struct {
				Array []legacyOne `parquet:"array"`
			}{Array: ones(i32(4), nil)}},
		}), map[string]deprecated.ConvertedType{"l": deprecated.List}),
			"ARRAY<STRUCT<v:INT>>", []string{`[null]`, `[[{"v":4},{"v":null}]]`}},
		{"tuple element", relabel(t, writeRows(t, []legacyTuple{
			{L: &struct {
				T []legacyOne `parquet:"l_tuple"`
			}{T: ones(nil, i32(5))}}, {},
		}), map[string]deprecated.ConvertedType{"l": deprecated.List}),
			"ARRAY<STRUCT<v:INT>>", []string{`[[{"v":null},{"v":5}]]`, `[null]`}},
		{"multi-field element", relabel(t, writeRows(t, []legacyMulti{
			{L: &struct {
				E []legacyTwo `parquet:"e"`
			}{E: []legacyTwo{{1, "x"}, {2, "y"}}}},
		}), map[string]deprecated.ConvertedType{"l": deprecated.List}),
			"ARRAY<STRUCT<a:INT,b:VARCHAR>>", []string{`[[{"a":1,"b":"x"},{"a":2,"b":"y"}]]`}},
		{"3-level, other names", relabel(t, writeRows(t, []legacyBag{
			{L: &struct {
				Bag []struct {
					V *int32 `parquet:"array_element,optional"`
				} `parquet:"bag"`
			}{Bag: []struct {
				V *int32 `parquet:"array_element,optional"`
			}{{i32(7)}, {nil}}}}, {},
		}), map[string]deprecated.ConvertedType{"l": deprecated.List}),
			"ARRAY<INT>", []string{`[[7,null]]`, `[null]`}},
		{"MAP_KEY_VALUE", relabel(t, writeRows(t, []legacyMap{
			{M: &struct {
				Map []legacyKV `parquet:"map"`
			}{Map: []legacyKV{{"a", i32(1)}, {"b", nil}}}}, {}, {M: &struct {
				Map []legacyKV `parquet:"map"`
			}{}},
		}), map[string]deprecated.ConvertedType{"m": deprecated.MapKeyValue}),
			"MAP<VARCHAR,INT>", []string{`[[{"key":"a","value":1},{"key":"b","value":null}]]`, `[null]`, `[[]]`}},
		{"MAP with MAP_KEY_VALUE inside", relabel(t, writeRows(t, []legacyMap{
			{M: &struct {
				Map []legacyKV `parquet:"map"`
			}{Map: []legacyKV{{"c", i32(3)}}}},
		}), map[string]deprecated.ConvertedType{"m": deprecated.Map, "map": deprecated.MapKeyValue}),
			"MAP<VARCHAR,INT>", []string{`[[{"key":"c","value":3}]]`}},
	}
	ctx := context.Background()
	for _, c := range cases {
		fs := memfs.New()
		sc, err := (&Format{cache: newFooterCache(4)}).InferSchema(ctx, fs, fs.Put("x", c.data), nil)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := types.SQLName(sc.Field(0).Type); got != c.typ {
			t.Errorf("%s: inferred %s, want %s", c.name, got, c.typ)
		}
		// pqarrow applies the same compatibility rules.
		if want := oracleJSON(t, c.data); strings.Join(want, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: pqarrow reads %v, the test expects %v", c.name, want, c.want)
		}
		for _, batch := range []int{1, 2, 1024} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			got, err := readJSON(t, mem, c.data, sc, []int{0}, batch)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s batch %d:\n got %v\nwant %v", c.name, batch, got, c.want)
			}
			mem.AssertSize(t, 0)
		}
	}
}
