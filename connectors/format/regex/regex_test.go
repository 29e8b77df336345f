package regex

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

func read(t *testing.T, data []byte, path string, sc *arrow.Schema, cols []int, opts map[string]string) ([]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fs := memfs.New()
	fi := fs.Put(path, data)
	f := New()
	splits, err := f.Splits(context.Background(), fs, fi, opts)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range splits {
		r, err := f.Open(context.Background(), fs, s, &connectors.ScanRequest{Schema: sc, Columns: cols, BatchSize: 3, Mem: mem, Options: opts})
		if err != nil {
			return nil, err
		}
		for {
			rec, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var p []string
				for _, c := range rec.Columns() {
					p = append(p, c.ValueStr(i))
				}
				out = append(out, strings.Join(p, "|"))
			}
			rec.Release()
		}
		r.Close()
	}
	return out, nil
}

const apacheRegex = `([^ ]*) ([^ ]*) ([^ ]*) (-|\[[^\]]*\]) "([^ ]*) ([^ ]*) ([^"]*)" (-|[0-9]*) (-|[0-9]*)(?: "([^"]*)" "([^"]*)")?`

const apacheLog = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"
10.0.0.2 - - [10/Oct/2000:13:56:01 -0700] "POST /login HTTP/1.1" 302 - "-" "curl/7.1"
garbage line that does not match
192.168.1.9 - - [11/Oct/2000:01:00:00 +0000] "GET /x HTTP/1.1" 404 12
`

func TestApacheCombined(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "host", Type: types.String}, {Name: "identity", Type: types.String}, {Name: "user", Type: types.String},
		{Name: "time", Type: types.String}, {Name: "method", Type: types.String}, {Name: "path", Type: types.String},
		{Name: "protocol", Type: types.String}, {Name: "status", Type: types.Int32}, {Name: "size", Type: types.Int64},
		{Name: "referer", Type: types.String}, {Name: "agent", Type: types.String},
	}, nil)
	opts := map[string]string{"input.regex": apacheRegex}
	want := []string{
		`127.0.0.1|frank|[10/Oct/2000:13:55:36 -0700]|GET|200|2326|Mozilla/4.08 [en] (Win98; I ;Nav)`,
		`10.0.0.2|-|[10/Oct/2000:13:56:01 -0700]|POST|302|(null)|curl/7.1`,
		`(null)|(null)|(null)|(null)|(null)|(null)|(null)`,
		`192.168.1.9|-|[11/Oct/2000:01:00:00 +0000]|GET|404|12|(null)`,
	}
	cols := []int{0, 2, 3, 4, 7, 8, 10}
	for _, tc := range []struct {
		name, path string
		data       []byte
		split      int64
	}{
		{"plain", "logs/access.log", []byte(apacheLog), 0},
		{"gzip", "logs/access.log.gz", gzipped(apacheLog), 0},
		{"split", "logs/access.log", []byte(apacheLog), 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.split > 0 {
				old := SplitSize
				SplitSize = tc.split
				defer func() { SplitSize = old }()
			}
			got, err := read(t, tc.data, tc.path, sc, cols, opts)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// The regex of the AWS documentation for Classic Load Balancer logs.
const elbRegex = `([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) \"([^ ]*) ([^ ]*) (- |[^ ]*)\" (\"[^\"]*\") ([A-Z0-9-]+) ([A-Za-z0-9.-]*)$`

const elbLog = `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2
2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 503 0 0 0 "GET http://www.example.com:80/ HTTP/1.1" "-" - -
`

func TestELB(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "request_timestamp", Type: types.Timestamp}, {Name: "elb_name", Type: types.String},
		{Name: "request_ip", Type: types.String}, {Name: "request_port", Type: types.Int32},
		{Name: "backend_ip", Type: types.String}, {Name: "backend_port", Type: types.Int32},
		{Name: "request_processing_time", Type: types.Float64}, {Name: "backend_processing_time", Type: types.Float64},
		{Name: "client_response_time", Type: types.Float64}, {Name: "elb_response_code", Type: types.String},
		{Name: "backend_response_code", Type: types.String}, {Name: "received_bytes", Type: types.Int64},
		{Name: "sent_bytes", Type: types.Int64}, {Name: "request_verb", Type: types.String},
		{Name: "url", Type: types.String}, {Name: "protocol", Type: types.String},
		{Name: "user_agent", Type: types.String}, {Name: "ssl_cipher", Type: types.String},
		{Name: "ssl_protocol", Type: types.String},
	}, nil)
	got, err := read(t, []byte(elbLog), "elb/log.txt", sc, []int{0, 2, 3, 5, 6, 9, 12, 14, 18}, map[string]string{"input.regex": elbRegex})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`2015-05-13T23:39:43.945958|192.168.131.39|2817|80|8.6e-05|200|57|https://www.example.com:443/|TLSv1.2`,
		`2015-05-13T23:39:43.945958|192.168.131.39|2817|(null)|-1|503|0|http://www.example.com:80/|-`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrors(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "a", Type: types.String}, {Name: "b", Type: types.String}}, nil)
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{nil, "needs the SerDe property 'input.regex'"},
		{map[string]string{"input.regex": `(a)(?=b)`}, "RE2 syntax"},
		{map[string]string{"input.regex": `(a)`}, "1 capture groups for 2 columns"},
	} {
		_, err := read(t, []byte("ab\n"), "x.log", sc, []int{0}, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("opts %v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// FuzzRegex reads arbitrary text with the Apache log expression into
// typed columns: any input gives rows or an I/O error, never a panic or
// a leak, and every line gives a row.
func FuzzRegex(f *testing.F) {
	f.Add([]byte(apacheLog))
	f.Add([]byte("\r\n\n-\n"))
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "host", Type: types.String}, {Name: "identity", Type: types.Boolean}, {Name: "user", Type: types.Date},
		{Name: "time", Type: types.Timestamp}, {Name: "method", Type: types.String}, {Name: "path", Type: types.Decimal(9, 2)},
		{Name: "protocol", Type: types.Float32}, {Name: "status", Type: types.Int8}, {Name: "size", Type: types.Int64},
		{Name: "referer", Type: types.String}, {Name: "agent", Type: types.Decimal(30, 3)},
	}, nil)
	cols := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	opts := map[string]string{"input.regex": apacheRegex}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := read(t, data, "f.log", sc, cols, opts)
		if err != nil {
			t.Fatal(err)
		}
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSuffix(l, []byte("\r"))) > 0 {
				lines++
			}
		}
		if len(rows) != lines {
			t.Fatalf("%d rows for %d non-empty lines", len(rows), lines)
		}
	})
}
