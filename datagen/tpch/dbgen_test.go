package tpch

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// The go-tpc port of dbgen keeps its state in package globals and can be
// initialized only once per process; it only supports SF >= 1. These
// tests check that this package's generators produce exactly the port's
// rows at SF 1 (whose output matches dbgen and the official answers),
// both from the start of a table and from a chunk in the middle.

var initPort = sync.OnceFunc(func() { dbgen.InitDbGen(1) })

var errStop = errors.New("tpch test: stop the port")

// capture is a dbgen.Loader that keeps the items it is given and stops
// the port after limit items.
type capture struct {
	limit int
	items []any
}

func (c *capture) Load(item any) error {
	c.items = append(c.items, item)
	if len(c.items) >= c.limit {
		return errStop
	}
	return nil
}

func (c *capture) Flush() error { return nil }

func portRows(t *testing.T, tbl dbgen.Table, limit int) []any {
	t.Helper()
	initPort()
	c := &capture{limit: limit}
	err := dbgen.DbGen(map[dbgen.Table]dbgen.Loader{tbl: c}, []dbgen.Table{tbl})
	// The port wraps loader errors with %v, losing the chain.
	if err != nil && !strings.Contains(err.Error(), errStop.Error()) {
		t.Fatalf("port: %v", err)
	}
	return c.items
}

func row(v ...any) string { return strings.TrimSuffix(fmt.Sprintln(v...), "\n") }

func date(days int32) string { return string(appendDate(nil, days)) }

func money(v int64) string { return string(appendDecimal2(nil, v)) }

func TestMatchesDbgenPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 300 MB text pools")
	}
	sc, err := newScale(1)
	if err != nil {
		t.Fatal(err)
	}
	pool := getTextPool()

	t.Run("orders", func(t *testing.T) {
		want := portRows(t, dbgen.TOrderLine, 3000)
		for _, first := range []int64{1, 1237} {
			g := newGenerator(sc, grpOrder, first, pool)
			lines := make([]lineitemRow, oLcntMax)
			for i := first - 1; i < int64(len(want)); i++ {
				var o orderRow
				ls := g.order(i+1, &o, lines)
				w := want[i].(*dbgen.Order)
				got := row(o.OrderKey, o.CustKey, o.OrderStatus, money(o.TotalPrice), date(o.OrderDate), o.OrderPriority, o.Clerk, o.ShipPriority, o.Comment)
				exp := row(int64(w.OKey), int64(w.CustKey), w.Status, dbgen.FmtMoney(w.TotalPrice), w.Date, w.OrderPriority, w.Clerk, w.ShipPriority, w.Comment)
				if got != exp {
					t.Fatalf("first=%d order %d:\n got %s\nwant %s", first, i+1, got, exp)
				}
				if len(ls) != len(w.Lines) {
					t.Fatalf("order %d: %d lines, want %d", i+1, len(ls), len(w.Lines))
				}
				for j, l := range ls {
					wl := w.Lines[j]
					got := row(l.OrderKey, l.PartKey, l.SuppKey, l.LineNumber, money(l.Quantity), money(l.ExtendedPrice), money(l.Discount), money(l.Tax),
						l.ReturnFlag, l.LineStatus, date(l.ShipDate), date(l.CommitDate), date(l.ReceiptDate), l.ShipInstruct, l.ShipMode, l.Comment)
					exp := row(int64(wl.OKey), int64(wl.PartKey), int64(wl.SuppKey), int64(wl.LCnt), dbgen.FmtMoney(wl.Quantity*100), dbgen.FmtMoney(wl.EPrice),
						dbgen.FmtMoney(wl.Discount), dbgen.FmtMoney(wl.Tax), wl.RFlag, wl.LStatus, wl.SDate, wl.CDate, wl.RDate, wl.ShipInstruct, wl.ShipMode, wl.Comment)
					if got != exp {
						t.Fatalf("first=%d order %d line %d:\n got %s\nwant %s", first, i+1, j+1, got, exp)
					}
				}
			}
		}
	})

	t.Run("part", func(t *testing.T) {
		want := portRows(t, dbgen.TPartPsupp, 3000)
		for _, first := range []int64{1, 999} {
			g := newGenerator(sc, grpPart, first, pool)
			ps := make([]partsuppRow, suppPerPart)
			for i := first - 1; i < int64(len(want)); i++ {
				var p partRow
				g.part(i+1, &p, ps)
				w := want[i].(*dbgen.Part)
				got := row(p.PartKey, p.Name, p.Mfgr, p.Brand, p.Type, p.Size, p.Container, money(p.RetailPrice), p.Comment)
				exp := row(int64(w.PartKey), w.Name, w.Mfgr, w.Brand, w.Type, int64(w.Size), w.Container, dbgen.FmtMoney(w.RetailPrice), w.Comment)
				if got != exp {
					t.Fatalf("first=%d part %d:\n got %s\nwant %s", first, i+1, got, exp)
				}
				for j, s := range ps {
					ws := w.S[j]
					got := row(s.PartKey, s.SuppKey, s.AvailQty, money(s.SupplyCost), s.Comment)
					exp := row(int64(ws.PartKey), int64(ws.SuppKey), int64(ws.Qty), dbgen.FmtMoney(ws.SCost), ws.Comment)
					if got != exp {
						t.Fatalf("first=%d partsupp %d/%d:\n got %s\nwant %s", first, i+1, j, got, exp)
					}
				}
			}
		}
	})

	t.Run("customer", func(t *testing.T) {
		want := portRows(t, dbgen.TCust, 3000)
		for _, first := range []int64{1, 1500} {
			g := newGenerator(sc, grpCust, first, pool)
			for i := first - 1; i < int64(len(want)); i++ {
				var c customerRow
				g.customer(i+1, &c)
				w := want[i].(*dbgen.Cust)
				got := row(c.CustKey, c.Name, c.Address, c.NationKey, c.Phone, money(c.AcctBal), c.MktSegment, c.Comment)
				exp := row(int64(w.CustKey), w.Name, w.Address, int64(w.NationCode), w.Phone, dbgen.FmtMoney(w.Acctbal), w.MktSegment, w.Comment)
				if got != exp {
					t.Fatalf("first=%d customer %d:\n got %s\nwant %s", first, i+1, got, exp)
				}
			}
		}
	})

	t.Run("supplier", func(t *testing.T) {
		want := portRows(t, dbgen.TSupp, 10000) // all of SF 1: ~10 carry BBB comments
		bbb := 0
		for _, first := range []int64{1, 5001} {
			g := newGenerator(sc, grpSupp, first, pool)
			for i := first - 1; i < int64(len(want)); i++ {
				var s supplierRow
				g.supplier(i+1, &s)
				w := want[i].(*dbgen.Supp)
				got := row(s.SuppKey, s.Name, s.Address, s.NationKey, s.Phone, money(s.AcctBal), s.Comment)
				exp := row(int64(w.SuppKey), w.Name, w.Address, int64(w.NationCode), w.Phone, dbgen.FmtMoney(w.Acctbal), w.Comment)
				if got != exp {
					t.Fatalf("first=%d supplier %d:\n got %s\nwant %s", first, i+1, got, exp)
				}
				if first == 1 && containsAny(s.Comment, bbbComplain, bbbCommend) {
					bbb++
				}
			}
		}
		if bbb == 0 {
			t.Fatal("no supplier has a Better Business Bureau comment")
		}
	})

	t.Run("nation+region", func(t *testing.T) {
		wn := portRows(t, dbgen.TNation, 25)
		g := newGenerator(sc, grpNation, 1, pool)
		for i, w := range wn {
			var n nationRow
			g.nation(int64(i+1), &n)
			w := w.(*dbgen.Nation)
			if got, exp := row(n.NationKey, n.Name, n.RegionKey, n.Comment), row(int64(w.Code), w.Text, int64(w.Join), w.Comment); got != exp {
				t.Fatalf("nation %d:\n got %s\nwant %s", i, got, exp)
			}
		}
		wr := portRows(t, dbgen.TRegion, 5)
		g = newGenerator(sc, grpRegion, 1, pool)
		for i, w := range wr {
			var r regionRow
			g.region(int64(i+1), &r)
			w := w.(*dbgen.Region)
			if got, exp := row(r.RegionKey, r.Name, r.Comment), row(int64(w.Code), w.Text, w.Comment); got != exp {
				t.Fatalf("region %d:\n got %s\nwant %s", i, got, exp)
			}
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestOfficialRows checks rows against dbgen's published SF 1 output
// (the first lines of orders.tbl, lineitem.tbl and supplier.tbl).
func TestOfficialRows(t *testing.T) {
	sc, _ := newScale(1)
	pool := getTextPool()
	g := newGenerator(sc, grpOrder, 1, pool)
	var o orderRow
	ls := g.order(1, &o, make([]lineitemRow, oLcntMax))
	if got := row(o.OrderKey, o.CustKey, o.OrderStatus, money(o.TotalPrice), date(o.OrderDate), o.OrderPriority, o.Clerk); got != "1 36901 O 173665.47 1996-01-02 5-LOW Clerk#000000951" {
		t.Errorf("order 1 = %s", got)
	}
	if o.Comment != "nstructions sleep furiously among " {
		t.Errorf("order 1 comment = %q", o.Comment)
	}
	if len(ls) != 6 {
		t.Fatalf("order 1 has %d lines, want 6", len(ls))
	}
	l := ls[0]
	if got := row(l.PartKey, l.SuppKey, l.LineNumber, money(l.Quantity), money(l.ExtendedPrice), money(l.Discount), money(l.Tax), l.ReturnFlag, l.LineStatus,
		date(l.ShipDate), date(l.CommitDate), date(l.ReceiptDate), l.ShipInstruct, l.ShipMode, l.Comment); got != "155190 7706 1 17.00 21168.23 0.04 0.02 N O 1996-03-13 1996-02-12 1996-03-22 DELIVER IN PERSON TRUCK egular courts above the" {
		t.Errorf("lineitem 1/1 = %s", got)
	}
	// Order 3 is the first with shipped and returned lines.
	g.order(2, &o, ls[:cap(ls)])
	ls = g.order(3, &o, ls[:cap(ls)])
	if got := row(o.OrderKey, o.OrderStatus, money(o.TotalPrice), ls[2].ReturnFlag, ls[2].LineStatus); got != "3 F 193846.25 A F" {
		t.Errorf("order 3 = %s", got)
	}
	gs := newGenerator(sc, grpSupp, 5, pool)
	var s supplierRow
	gs.supplier(5, &s)
	if got := row(s.SuppKey, s.Name, s.Address, s.NationKey, s.Phone, money(s.AcctBal), s.Comment); got != "5 Supplier#000000005 Gcdm2rJRzl5qlTVzc 11 21-151-690-3663 -283.84 . slyly regular pinto bea" {
		t.Errorf("supplier 5 = %s", got)
	}
}
