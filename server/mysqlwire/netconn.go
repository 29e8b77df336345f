package mysqlwire

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/mysql/sqlerror"
	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"

	"github.com/tarnsql/tarn/catalog/types"
)

// maxBuffered bounds what the background reader reads ahead of vitess.
const maxBuffered = 1 << 20

const (
	capClientSSL          = 0x00000800
	capClientDeprecateEOF = 0x01000000
	comFieldList          = 0x04
	comStatistics         = 0x09
)

// watchConn wraps a client's net.Conn with a background reader, so that:
//   - a client that disconnects while its query runs is noticed at once
//     (nobody else reads the socket while a query runs) and the query is
//     cancelled;
//   - COM_FIELD_LIST, which vitess does not implement, is answered here
//     on plaintext connections (under TLS the packets are opaque at this
//     layer and vitess answers with an error, which clients tolerate).
//
// The reader never runs more than maxBuffered bytes ahead of vitess.
type watchConn struct {
	net.Conn
	mu   sync.Mutex
	cond *sync.Cond
	data []byte // bytes ready for vitess, from off
	off  int
	err  error // the socket's read error (the client is gone)

	closed      bool
	onGone      func()
	passthrough bool   // TLS: packets are opaque
	stage       []byte // bytes not yet framed into packets
	seenFirst   bool
	clientCaps  uint32

	cs    *connState
	h     *handler
	ready bool // authenticated: commands may be intercepted
}

func newWatchConn(c net.Conn) *watchConn {
	w := &watchConn{Conn: c}
	w.cond = sync.NewCond(&w.mu)
	go w.readLoop()
	return w
}

func (w *watchConn) setHooks(cs *connState, h *handler) {
	w.mu.Lock()
	w.cs, w.h = cs, h
	w.mu.Unlock()
}

// setReady is called once the client has authenticated: only then are
// COM_FIELD_LIST and COM_STATISTICS answered here.
func (w *watchConn) setReady() {
	w.mu.Lock()
	w.ready = true
	w.mu.Unlock()
}

// watch sets (or with nil clears) the function called when the client
// goes away; if it already has, fn runs at once.
func (w *watchConn) watch(fn func()) {
	w.mu.Lock()
	w.onGone = fn
	gone := w.err != nil && !w.closed && w.off == len(w.data)
	w.mu.Unlock()
	if gone && fn != nil {
		fn()
	}
}

func (w *watchConn) readLoop() {
	chunk := make([]byte, 32<<10)
	for {
		n, err := w.Conn.Read(chunk)
		w.mu.Lock()
		if n > 0 {
			w.ingest(chunk[:n])
		}
		if err != nil {
			w.err = err
			gone := w.onGone
			w.cond.Broadcast()
			w.mu.Unlock()
			if gone != nil {
				gone()
			}
			return
		}
		w.cond.Broadcast()
		for len(w.data)-w.off > maxBuffered && !w.closed {
			w.cond.Wait()
		}
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return
		}
	}
}

// ingest frames client packets (until TLS starts) to answer
// COM_FIELD_LIST; everything else goes to vitess unchanged. Called with
// w.mu held.
func (w *watchConn) ingest(b []byte) {
	if w.passthrough {
		w.data = append(w.data, b...)
		return
	}
	w.stage = append(w.stage, b...)
	for len(w.stage) >= 4 {
		plen := int(w.stage[0]) | int(w.stage[1])<<8 | int(w.stage[2])<<16
		seq := w.stage[3]
		if len(w.stage) < 4+plen {
			return
		}
		pkt := w.stage[:4+plen]
		payload := pkt[4:]
		switch {
		case !w.seenFirst:
			w.seenFirst = true
			if len(payload) >= 4 {
				w.clientCaps = binary.LittleEndian.Uint32(payload)
			}
			w.data = append(w.data, pkt...)
			if w.clientCaps&capClientSSL != 0 && plen == 32 {
				// SSLRequest: from here on the stream is TLS.
				w.passthrough = true
				w.data = append(w.data, w.stage[4+plen:]...)
				w.stage = nil
				return
			}
		case seq == 0 && plen >= 1 && payload[0] == comFieldList && w.off == len(w.data) && w.ready:
			w.answerFieldList(payload[1:])
		case seq == 0 && plen == 1 && payload[0] == comStatistics && w.off == len(w.data) && w.ready:
			w.answerStatistics()
		default:
			w.data = append(w.data, pkt...)
		}
		w.stage = w.stage[4+plen:]
	}
	if len(w.stage) == 0 {
		w.stage = w.stage[:0:0]
	}
}

// Read serves vitess from the buffer.
func (w *watchConn) Read(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.off == len(w.data) && w.err == nil && !w.closed {
		w.cond.Wait()
	}
	if w.off < len(w.data) {
		n := copy(p, w.data[w.off:])
		w.off += n
		if w.off == len(w.data) {
			w.data, w.off = w.data[:0], 0
		}
		w.cond.Broadcast()
		return n, nil
	}
	if w.closed {
		return 0, net.ErrClosed
	}
	return 0, w.err
}

// Close closes the socket and stops the reader.
func (w *watchConn) Close() error {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	return w.Conn.Close()
}

// SetDeadline sets only the write deadline: reads are served from the
// buffer.
func (w *watchConn) SetDeadline(t time.Time) error { return w.Conn.SetWriteDeadline(t) }

// SetReadDeadline is not supported on the buffered side (vitess sets no
// read timeouts here).
func (w *watchConn) SetReadDeadline(time.Time) error { return nil }

// answerStatistics writes the COM_STATISTICS string (mysql's "status"
// command and mysqladmin status read it).
func (w *watchConn) answerStatistics() {
	h := w.h
	h.mu.Lock()
	threads := len(h.conns)
	h.mu.Unlock()
	up := time.Since(h.started).Seconds()
	q := h.queries.Load()
	msg := fmt.Sprintf("Uptime: %d  Threads: %d  Questions: %d  Slow queries: 0  Opens: 0  Flush tables: 1  Open tables: 0  Queries per second avg: %.3f",
		int64(up), threads, q, float64(q)/max(up, 1))
	out := []byte{byte(len(msg)), byte(len(msg) >> 8), byte(len(msg) >> 16), 1}
	_, _ = w.Conn.Write(append(out, msg...))
}

// answerFieldList writes the COM_FIELD_LIST response: one column
// definition (with a default-value field) per matching column, then EOF
// (or OK with DEPRECATE_EOF).
func (w *watchConn) answerFieldList(args []byte) {
	table, wild := string(args), ""
	if i := strings.IndexByte(table, 0); i >= 0 {
		table, wild = table[:i], table[i+1:]
	}
	w.cs.mu.Lock()
	db := w.cs.curDB
	w.cs.mu.Unlock()
	w.h.log.Debug("field list", "id", w.cs.id, "db", db, "table", table, "wildcard", wild)
	var out []byte
	seq := byte(1)
	pkt := func(payload []byte) {
		out = append(out, byte(len(payload)), byte(len(payload)>>8), byte(len(payload)>>16), seq)
		out = append(out, payload...)
		seq++
	}
	t, err := w.h.table(withUser(context.Background(), connUser(w.cs)), db, table)
	if err != nil {
		code, state, msg := uint16(1146), "42S02", err.Error()
		if se, ok := toSQLError(err).(*sqlerror.SQLError); ok {
			code, state, msg = uint16(se.Num), se.State, se.Message
		}
		p := []byte{0xff, byte(code), byte(code >> 8), '#'}
		p = append(p, state...)
		p = append(p, msg...)
		pkt(p)
		_, _ = w.Conn.Write(out)
		return
	}
	for _, c := range t.Columns {
		if wild != "" && !likeMatch(wild, c.Name) {
			continue
		}
		dt, err := types.Parse(c.Type)
		if err != nil {
			dt = arrow.BinaryTypes.String
		}
		f := fieldFor(arrow.Field{Name: c.Name, Type: dt, Nullable: true})
		f.Table, f.OrgTable, f.Database = t.Name, t.Name, db
		pkt(columnDef41(f, true))
	}
	status := []byte{0x02, 0x00} // SERVER_STATUS_AUTOCOMMIT
	if w.clientCaps&capClientDeprecateEOF != 0 {
		pkt(append([]byte{0xfe, 0, 0}, status[0], status[1], 0, 0))
	} else {
		pkt([]byte{0xfe, 0, 0, status[0], status[1]})
	}
	_, _ = w.Conn.Write(out)
}

// columnDef41 encodes a Protocol::ColumnDefinition41 payload.
func columnDef41(f *querypb.Field, fieldList bool) []byte {
	var p []byte
	lenenc := func(s string) {
		p = appendLenEnc(p, uint64(len(s)))
		p = append(p, s...)
	}
	lenenc("def")
	lenenc(f.Database)
	lenenc(f.Table)
	lenenc(f.OrgTable)
	lenenc(f.Name)
	lenenc(f.OrgName)
	p = append(p, 0x0c)
	p = binary.LittleEndian.AppendUint16(p, uint16(f.Charset))
	p = binary.LittleEndian.AppendUint32(p, f.ColumnLength)
	typ, flags := sqltypes.TypeToMySQL(f.Type)
	if f.Flags != 0 {
		flags = int64(f.Flags)
	}
	p = append(p, typ)
	p = binary.LittleEndian.AppendUint16(p, uint16(flags))
	p = append(p, byte(f.Decimals), 0, 0)
	if fieldList {
		p = append(p, 0xfb) // default value: NULL
	}
	return p
}

func appendLenEnc(p []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(p, byte(n))
	case n < 1<<16:
		return append(p, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(p, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	p = append(p, 0xfe)
	return binary.LittleEndian.AppendUint64(p, n)
}
