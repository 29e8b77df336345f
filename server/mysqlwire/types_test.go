package mysqlwire

import (
	"encoding/binary"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"

	"github.com/tarnsql/tarn/catalog/types"
)

func TestEncodeTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ts := arrow.FixedWidthTypes.Timestamp_us
	tests := []struct {
		name   string
		typ    arrow.DataType
		build  func(b array.Builder)
		want   []string // "NULL" for NULL
		mysql  sqltypes.Type
		length uint32
		dec    uint32
	}{
		{"bigint", arrow.PrimitiveTypes.Int64, func(b array.Builder) {
			b.(*array.Int64Builder).AppendValues([]int64{0, -1, math.MaxInt64, math.MinInt64}, nil)
			b.AppendNull()
		}, []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "NULL"}, sqltypes.Int64, 20, 0},
		{"int", arrow.PrimitiveTypes.Int32, func(b array.Builder) { b.(*array.Int32Builder).AppendValues([]int32{7, -7}, nil) }, []string{"7", "-7"}, sqltypes.Int32, 11, 0},
		{"bool", arrow.FixedWidthTypes.Boolean, func(b array.Builder) {
			b.(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
			b.AppendNull()
		}, []string{"1", "0", "NULL"}, sqltypes.Int8, 1, 0},
		{"double", arrow.PrimitiveTypes.Float64, func(b array.Builder) {
			b.(*array.Float64Builder).AppendValues([]float64{0.1, 1e20, -1.5e-7, 123456789012, 2.5}, nil)
		}, []string{"0.1", "1e20", "-1.5e-7", "123456789012", "2.5"}, sqltypes.Float64, 22, 31},
		{"decimal(15,2)", types.Decimal(15, 2), func(b array.Builder) {
			b.(*array.Decimal64Builder).Append(1250)
			b.(*array.Decimal64Builder).Append(-5)
			b.(*array.Decimal64Builder).Append(0)
			b.AppendNull()
		}, []string{"12.50", "-0.05", "0.00", "NULL"}, sqltypes.Decimal, 17, 2},
		{"decimal(38,4)", types.Decimal(38, 4), func(b array.Builder) {
			n, _ := decimal128.FromString("-123456789012345678901234.5678", 38, 4)
			b.(*array.Decimal128Builder).Append(n)
			b.(*array.Decimal128Builder).Append(decimal128.FromI64(15))
		}, []string{"-123456789012345678901234.5678", "0.0015"}, sqltypes.Decimal, 40, 4},
		{"date", arrow.FixedWidthTypes.Date32, func(b array.Builder) {
			b.(*array.Date32Builder).AppendValues([]arrow.Date32{0, 9204, -1, 2932896}, nil)
		}, []string{"1970-01-01", "1995-03-15", "1969-12-31", "9999-12-31"}, sqltypes.Date, 10, 0},
		{"timestamp", ts, func(b array.Builder) {
			b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{0, 1_700_000_000_123_456, -1}, nil)
		}, []string{"1970-01-01 00:00:00.000000", "2023-11-14 22:13:20.123456", "1969-12-31 23:59:59.999999"}, sqltypes.Datetime, 26, 6},
		{"varchar", arrow.BinaryTypes.String, func(b array.Builder) {
			b.(*array.StringBuilder).AppendValues([]string{"", "héllo", "a\x00b"}, nil)
			b.AppendNull()
		}, []string{"", "héllo", "a\x00b", "NULL"}, sqltypes.VarChar, maxStringLen, 0},
		{"varbinary", arrow.BinaryTypes.Binary, func(b array.Builder) {
			b.(*array.BinaryBuilder).AppendValues([][]byte{{0xff, 0}}, nil)
		}, []string{"\xff\x00"}, sqltypes.VarBinary, maxStringLen, 0},
		{"null", arrow.Null, func(b array.Builder) { b.AppendNull() }, []string{"NULL"}, sqltypes.Null, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := array.NewBuilder(mem, tc.typ)
			defer b.Release()
			tc.build(b)
			arr := b.NewArray()
			defer arr.Release()
			schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: tc.typ, Nullable: true}}, nil)
			rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
			defer rec.Release()
			fields := fieldsFor(schema)
			f := fields[0]
			if f.Type != tc.mysql || f.ColumnLength != tc.length || f.Decimals != tc.dec {
				t.Fatalf("field: type %v len %d dec %d; want %v %d %d", f.Type, f.ColumnLength, f.Decimals, tc.mysql, tc.length, tc.dec)
			}
			wantCharset := uint32(collBinary)
			if tc.mysql == sqltypes.VarChar {
				wantCharset = collUTF8MB4
			}
			if f.Charset != wantCharset {
				t.Fatalf("charset %d, want %d", f.Charset, wantCharset)
			}
			enc := newRowEncoder(fields)
			for range 2 { // buffers are reused
				rows, err := enc.encode(rec)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != len(tc.want) {
					t.Fatalf("%d rows, want %d", len(rows), len(tc.want))
				}
				for i, w := range tc.want {
					v := rows[i][0]
					got := v.ToString()
					if v.IsNull() {
						got = "NULL"
					}
					if got != w {
						t.Errorf("row %d: got %q want %q", i, got, w)
					}
				}
			}
		})
	}
}

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"%", "", true}, {"a%", "ABC", true}, {"a_c", "abc", true}, {"a_c", "abbc", false},
		{"%tables%", "Tables_in_x", true}, {`a\%`, "a%", true}, {`a\%`, "ab", false}, {"", "", true}, {"x", "", false},
	} {
		if got := likeMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestBindParams(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		args []*querypbBind
		want string
	}{
		{"SELECT ?", []*querypbBind{sqltypes.Int64BindVariable(-5)}, "SELECT -5"},
		{"SELECT '?', ? /* ? */, `?` -- ?\n, ?", []*querypbBind{sqltypes.StringBindVariable("it's"), sqltypes.Float64BindVariable(2)},
			"SELECT '?', 'it''s' /* ? */, `?` -- ?\n, 2e0"},
		{"SELECT ?, ?", []*querypbBind{sqltypes.NullBindVariable, sqltypes.BytesBindVariable([]byte{0xff, 'a'})}, "SELECT NULL, X'FF61'"},
		{"SELECT ?", []*querypbBind{{Type: sqltypes.Datetime, Value: []byte("2024-01-02 03:04:05")}}, "SELECT TIMESTAMP '2024-01-02 03:04:05'"},
		{"SELECT ?", []*querypbBind{{Type: sqltypes.Date, Value: []byte("2024-01-02")}}, "SELECT DATE '2024-01-02'"},
		{"SELECT ?", []*querypbBind{sqltypes.StringBindVariable("a\\b\n")}, `SELECT 'a\\b\n'`},
	} {
		m := map[string]*querypbBind{}
		for i, a := range tc.args {
			m["v"+itoa(int64(i+1))] = a
		}
		n, err := countParams(tc.sql)
		if err != nil || n != len(tc.args) {
			t.Fatalf("%q: countParams = %d, %v", tc.sql, n, err)
		}
		got, err := bindParams(tc.sql, n, m)
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q (%v), want %q", tc.sql, got, err, tc.want)
		}
	}
	if _, err := bindParams("SELECT ?, ?", 2, map[string]*querypbBind{"v1": sqltypes.Int64BindVariable(1)}); err == nil {
		t.Error("missing parameter accepted")
	}
	if _, err := bindParams("SELECT ?", 1, map[string]*querypbBind{"v1": {Type: sqltypes.Int64, Value: []byte("1; DROP")}}); err == nil {
		t.Error("malformed integer accepted")
	}
	if _, err := countParams("SELECT 'unterminated ?"); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// readPacket reads one MySQL packet from c.
func readPacket(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [4]byte
	if _, err := ioReadFull(c, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p := make([]byte, n)
	if _, err := ioReadFull(c, p); err != nil {
		t.Fatal(err)
	}
	return h[3], p
}

func packet(seq byte, payload []byte) []byte {
	return append([]byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}, payload...)
}

func TestFieldListAndStatistics(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	w := newWatchConn(server)
	defer w.Close()
	cs := &connState{id: 999, curDB: "tpch"}
	w.setHooks(cs, testSrv.h)
	// The client's handshake response goes through to vitess untouched.
	resp := make([]byte, 40)
	binary.LittleEndian.PutUint32(resp, capClientDeprecateEOF|0x200)
	go client.Write(packet(1, resp))
	got := make([]byte, 44)
	if _, err := ioReadFull(w, got); err != nil || got[3] != 1 {
		t.Fatalf("handshake passthrough: %v %v", err, got[:4])
	}
	// Before authentication completes, COM_FIELD_LIST is not answered
	// here (it goes to vitess, which refuses it).
	go client.Write(packet(0, append([]byte{comFieldList}, "region\x00"...)))
	early := make([]byte, 12)
	if _, err := ioReadFull(w, early); err != nil || early[4] != comFieldList {
		t.Fatalf("unauthenticated field list must pass through: %v %x", err, early)
	}
	w.setReady()
	go client.Write(packet(0, append([]byte{comFieldList}, "region\x00r_n%"...)))
	seq, p := readPacket(t, client)
	if seq != 1 || !strings.Contains(string(p), "r_name") || strings.Contains(string(p), "r_comment") {
		t.Fatalf("field list column: seq %d %q", seq, p)
	}
	if seq, p = readPacket(t, client); seq != 2 || p[0] != 0xfe {
		t.Fatalf("field list end: seq %d %x", seq, p)
	}
	go client.Write(packet(0, append([]byte{comFieldList}, "nosuch\x00"...)))
	if _, p = readPacket(t, client); p[0] != 0xff || binary.LittleEndian.Uint16(p[1:]) != 1146 {
		t.Fatalf("field list of a missing table: %x", p)
	}
	go client.Write(packet(0, []byte{comStatistics}))
	if _, p = readPacket(t, client); !strings.HasPrefix(string(p), "Uptime: ") {
		t.Fatalf("statistics: %q", p)
	}
	// Other commands reach vitess.
	go client.Write(packet(0, []byte{0x0e})) // COM_PING
	ping := make([]byte, 5)
	if _, err := ioReadFull(w, ping); err != nil || ping[4] != 0x0e {
		t.Fatalf("ping passthrough: %v %x", err, ping)
	}
}

type querypbBind = querypb.BindVariable

var ioReadFull = io.ReadFull
