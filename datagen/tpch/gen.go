package tpch

import (
	"fmt"
	"math"
	"strconv"
)

// Constants of dbgen 2.4.0 (dss.h, dsstypes.h).
const (
	suppPerPart   = 4
	oLcntMin      = 1
	oLcntMax      = 7
	oClrkScl      = 1000
	ordersPerCust = 10

	baseParts     = 200000
	baseSuppliers = 10000
	baseCustomers = 150000
	baseOrders    = baseCustomers * ordersPerCust

	// Dates are day numbers since 1992-01-01 (dbgen's STARTDATE).
	totDate     = 2557 // days from 1992-01-01 through 1998-12-31
	currentDate = 1263 // 1995-06-17 (dbgen's CURRENTDATE), as a day number
	epochOffset = 8035 // 1992-01-01 in days since 1970-01-01
	lSdteMax    = 121
	lRdteMax    = 30
	oDateMax    = totDate - (lSdteMax + lRdteMax) - 1
)

// scale holds the row counts of one scale factor, as dbgen computes them:
// for SF >= 1 (whole numbers only) every base count is multiplied by SF;
// for SF < 1, dbgen keeps its scale at 1 and scales the base counts by
// int(1000·SF)/1000 (so SF 0.01 has 1,500 customers and 15,000 orders).
type scale struct {
	sf                          float64
	mult                        int64 // dbgen's integer `scale`
	parts, supps, custs, orders int64
}

func newScale(sf float64) (scale, error) {
	switch {
	case math.IsNaN(sf) || sf <= 0:
		return scale{}, fmt.Errorf("tpch: scale factor %v must be positive", sf)
	case sf >= 30000:
		return scale{}, fmt.Errorf("tpch: scale factor %v not supported (must be below 30000)", sf)
	case sf >= 1:
		if sf != math.Trunc(sf) {
			return scale{}, fmt.Errorf("tpch: scale factor %v must be a whole number when >= 1 (dbgen truncates it)", sf)
		}
		m := int64(sf)
		return scale{sf: sf, mult: m, parts: baseParts * m, supps: baseSuppliers * m,
			custs: baseCustomers * m, orders: baseOrders * m}, nil
	}
	is := int64(1000 * sf)
	if is < 1 {
		return scale{}, fmt.Errorf("tpch: scale factor %v too small (minimum 0.001)", sf)
	}
	f := func(base int64) int64 { return max(is*base/1000, 1) }
	return scale{sf: sf, mult: 1, parts: f(baseParts), supps: f(baseSuppliers),
		custs: f(baseCustomers), orders: f(baseOrders)}, nil
}

// Rows of the eight tables. Money and quantities are DECIMAL(15,2)
// unscaled (cents), dates are days since 1970-01-01.

type regionRow struct {
	RegionKey int64  `parquet:"r_regionkey"`
	Name      string `parquet:"r_name"`
	Comment   string `parquet:"r_comment"`
}

type nationRow struct {
	NationKey int64  `parquet:"n_nationkey"`
	Name      string `parquet:"n_name"`
	RegionKey int64  `parquet:"n_regionkey"`
	Comment   string `parquet:"n_comment"`
}

type supplierRow struct {
	SuppKey   int64  `parquet:"s_suppkey"`
	Name      string `parquet:"s_name"`
	Address   string `parquet:"s_address"`
	NationKey int64  `parquet:"s_nationkey"`
	Phone     string `parquet:"s_phone"`
	AcctBal   int64  `parquet:"s_acctbal,decimal(2:15)"`
	Comment   string `parquet:"s_comment"`
}

type customerRow struct {
	CustKey    int64  `parquet:"c_custkey"`
	Name       string `parquet:"c_name"`
	Address    string `parquet:"c_address"`
	NationKey  int64  `parquet:"c_nationkey"`
	Phone      string `parquet:"c_phone"`
	AcctBal    int64  `parquet:"c_acctbal,decimal(2:15)"`
	MktSegment string `parquet:"c_mktsegment,dict"`
	Comment    string `parquet:"c_comment"`
}

type partRow struct {
	PartKey     int64  `parquet:"p_partkey"`
	Name        string `parquet:"p_name"`
	Mfgr        string `parquet:"p_mfgr,dict"`
	Brand       string `parquet:"p_brand,dict"`
	Type        string `parquet:"p_type,dict"`
	Size        int32  `parquet:"p_size"`
	Container   string `parquet:"p_container,dict"`
	RetailPrice int64  `parquet:"p_retailprice,decimal(2:15)"`
	Comment     string `parquet:"p_comment"`
}

type partsuppRow struct {
	PartKey    int64  `parquet:"ps_partkey"`
	SuppKey    int64  `parquet:"ps_suppkey"`
	AvailQty   int32  `parquet:"ps_availqty"`
	SupplyCost int64  `parquet:"ps_supplycost,decimal(2:15)"`
	Comment    string `parquet:"ps_comment"`
}

type orderRow struct {
	OrderKey      int64  `parquet:"o_orderkey"`
	CustKey       int64  `parquet:"o_custkey"`
	OrderStatus   string `parquet:"o_orderstatus,dict"`
	TotalPrice    int64  `parquet:"o_totalprice,decimal(2:15)"`
	OrderDate     int32  `parquet:"o_orderdate,date"`
	OrderPriority string `parquet:"o_orderpriority,dict"`
	Clerk         string `parquet:"o_clerk"`
	ShipPriority  int32  `parquet:"o_shippriority"`
	Comment       string `parquet:"o_comment"`
}

type lineitemRow struct {
	OrderKey      int64  `parquet:"l_orderkey"`
	PartKey       int64  `parquet:"l_partkey"`
	SuppKey       int64  `parquet:"l_suppkey"`
	LineNumber    int32  `parquet:"l_linenumber"`
	Quantity      int64  `parquet:"l_quantity,decimal(2:15)"`
	ExtendedPrice int64  `parquet:"l_extendedprice,decimal(2:15)"`
	Discount      int64  `parquet:"l_discount,decimal(2:15)"`
	Tax           int64  `parquet:"l_tax,decimal(2:15)"`
	ReturnFlag    string `parquet:"l_returnflag,dict"`
	LineStatus    string `parquet:"l_linestatus,dict"`
	ShipDate      int32  `parquet:"l_shipdate,date"`
	CommitDate    int32  `parquet:"l_commitdate,date"`
	ReceiptDate   int32  `parquet:"l_receiptdate,date"`
	ShipInstruct  string `parquet:"l_shipinstruct,dict"`
	ShipMode      string `parquet:"l_shipmode,dict"`
	Comment       string `parquet:"l_comment"`
}

// generator produces the rows of one table group for a range of keys.
type generator struct {
	sc   scale
	d    *dists
	pool string
	r    *rng
	// scratch for aggStr's permutation and formatted names
	perm []int
	buf  []byte
}

func newGenerator(sc scale, g group, first int64, pool *textPool) *generator {
	return &generator{sc: sc, d: loadDists(), pool: pool.s, r: newRNG(g, first)}
}

// text is dbgen's TEXT(avg, sd): a random slice of the text pool whose
// length is uniform in [0.4·avg, 1.6·avg].
func (g *generator) text(avg int, s int) string {
	lo := int64(float64(avg) * 0.4)
	hi := int64(float64(avg) * 1.6)
	off := g.r.random(0, int64(len(g.pool))-hi, s)
	n := g.r.random(lo, hi, s)
	return g.pool[off : off+n]
}

const alphaNum = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,"

// vstr is dbgen's V_STR: a random alphanumeric string of average length avg.
func (g *generator) vstr(avg int, s int) string {
	n := g.r.random(int64(float64(avg)*0.4), int64(float64(avg)*1.6), s)
	b := make([]byte, n)
	var c int64
	for i := range b {
		if i%5 == 0 {
			c = g.r.random(0, maxLong, s)
		}
		b[i] = alphaNum[c&0o77]
		c >>= 6
	}
	return string(b)
}

// phone is dbgen's gen_phone: CC-AAA-EEE-NNNN with CC = 10 + nation.
func (g *generator) phone(nation int64, s int) string {
	a := g.r.random(100, 999, s)
	e := g.r.random(100, 999, s)
	n := g.r.random(1000, 9999, s)
	b := g.buf[:0]
	b = appendPad(b, 10+nation%90, 2)
	b = append(b, '-')
	b = appendPad(b, a, 3)
	b = append(b, '-')
	b = appendPad(b, e, 3)
	b = append(b, '-')
	b = appendPad(b, n, 4)
	g.buf = b
	return string(b)
}

// named formats prefix followed by n zero-padded to width digits.
func (g *generator) named(prefix string, n int64, width int) string {
	b := append(g.buf[:0], prefix...)
	b = appendPad(b, n, width)
	g.buf = b
	return string(b)
}

func appendPad(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// retailPrice is dbgen's rpb_routine (in cents).
func retailPrice(p int64) int64 {
	return 90000 + (p/10)%20001 + (p%1000)*100
}

// partSupp is dbgen's PART_SUPP_BRIDGE: the supplier of part p's s-th
// supply record.
func (sc *scale) partSupp(p, s int64) int64 {
	tot := sc.supps
	return (p+s*(tot/suppPerPart+(p-1)/tot))%tot + 1
}

// orderKey is dbgen's mk_sparse: only the first 8 of every 32 keys are
// used (index 1..7 -> keys 1..7, 8..15 -> 32..39, 16..23 -> 64..71, ...),
// leaving room for the refresh functions' inserts.
func orderKey(idx int64) int64 {
	return (idx>>3)<<5 | idx&7
}

func (g *generator) region(idx int64, row *regionRow) {
	row.RegionKey = idx - 1
	row.Name = g.d.regions.text[idx-1]
	row.Comment = g.text(72, rCmntSd)
	g.r.rowStop()
}

func (g *generator) nation(idx int64, row *nationRow) {
	row.NationKey = idx - 1
	row.Name = g.d.nations.text[idx-1]
	row.RegionKey = g.d.nations.weight[idx-1]
	row.Comment = g.text(72, nCmntSd)
	g.r.rowStop()
}

const (
	bbbBase     = "Customer "
	bbbComplain = "Complaints"
	bbbCommend  = "Recommends"
	bbbCmntLen  = 19
)

func (g *generator) supplier(idx int64, row *supplierRow) {
	r := g.r
	row.SuppKey = idx
	row.Name = g.named("Supplier#", idx, 9)
	row.Address = g.vstr(25, sAddrSd)
	row.NationKey = r.random(0, int64(len(g.d.nations.text)-1), sNtrgSd)
	row.Phone = g.phone(row.NationKey, sPhneSd)
	row.AcctBal = r.random(-99999, 999999, sAbalSd)
	cmnt := g.text(63, sCmntSd)

	// Better Business Bureau comments: a few suppliers get
	// "Customer ... Complaints" / "Customer ... Recommends" written into
	// their comment (Q16 looks for them).
	bad := r.random(1, 10000, bbbCmntSd)
	kind := r.random(0, 100, bbbTypeSd)
	noise := r.random(0, int64(len(cmnt)-bbbCmntLen), bbbJnkSd)
	off := r.random(0, int64(len(cmnt))-(bbbCmntLen+noise), bbbOffSd)
	if bad <= 10 {
		b := []byte(cmnt)
		copy(b[off:], bbbBase)
		word := bbbComplain
		if kind >= 50 {
			word = bbbCommend
		}
		copy(b[off+int64(len(bbbBase))+noise:], word)
		cmnt = string(b)
	}
	row.Comment = cmnt
	r.rowStop()
}

func (g *generator) customer(idx int64, row *customerRow) {
	r := g.r
	row.CustKey = idx
	row.Name = g.named("Customer#", idx, 9)
	row.Address = g.vstr(25, cAddrSd)
	row.NationKey = r.random(0, int64(len(g.d.nations.text)-1), cNtrgSd)
	row.Phone = g.phone(row.NationKey, cPhneSd)
	row.AcctBal = r.random(-99999, 999999, cAbalSd)
	row.MktSegment = g.d.cMseg.pickStr(r, cMsegSd)
	row.Comment = g.text(73, cCmntSd)
	r.rowStop()
}

// part fills a part and its suppPerPart partsupp rows.
func (g *generator) part(idx int64, row *partRow, ps []partsuppRow) {
	r := g.r
	row.PartKey = idx
	row.Name = g.aggStr(g.d.colors, 5, pNameSd)
	mfgr := r.random(1, 5, pMfgSd)
	row.Mfgr = g.named("Manufacturer#", mfgr, 1)
	brand := r.random(1, 5, pBrndSd)
	row.Brand = g.named("Brand#", mfgr*10+brand, 2)
	row.Type = g.d.pTypes.pickStr(r, pTypeSd)
	row.Size = int32(r.random(1, 50, pSizeSd))
	row.Container = g.d.pCntr.pickStr(r, pCntrSd)
	row.RetailPrice = retailPrice(idx)
	row.Comment = g.text(14, pCmntSd)
	for s := range ps[:suppPerPart] {
		p := &ps[s]
		p.PartKey = idx
		p.SuppKey = g.sc.partSupp(idx, int64(s))
		p.AvailQty = int32(r.random(1, 9999, psQtySd))
		p.SupplyCost = r.random(100, 100000, psScstSd)
		p.Comment = g.text(124, psCmntSd)
	}
	r.rowStop()
}

// aggStr is dbgen's agg_str: count distinct members of a distribution in
// a random order (a partial Fisher–Yates over the whole set), joined by
// spaces.
func (g *generator) aggStr(d *distribution, count int, s int) string {
	n := len(d.text)
	if cap(g.perm) < n {
		g.perm = make([]int, n)
	}
	perm := g.perm[:n]
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < n; i++ {
		j := g.r.random(int64(i), int64(n-1), s)
		perm[i], perm[j] = perm[j], perm[i]
	}
	b := g.buf[:0]
	for i := 0; i < count; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, d.text[perm[i]]...)
	}
	g.buf = b
	return string(b)
}

// order fills an order and its lineitems; it returns the lineitems used.
func (g *generator) order(idx int64, o *orderRow, lines []lineitemRow) []lineitemRow {
	r, sc := g.r, &g.sc
	o.OrderKey = orderKey(idx)
	ck := r.random(1, sc.custs, oCkeySd)
	// A third of the customers (keys divisible by 3) have no orders.
	delta := int64(1)
	for ck%3 == 0 {
		ck = min(ck+delta, sc.custs)
		delta = -delta
	}
	o.CustKey = ck
	odate := r.random(0, oDateMax, oOdateSd)
	o.OrderDate = int32(odate + epochOffset)
	o.OrderPriority = g.d.oPriority.pickStr(r, oPrioSd)
	o.Clerk = g.named("Clerk#", r.random(1, max(sc.mult*oClrkScl, oClrkScl), oClrkSd), 9)
	o.Comment = g.text(49, oCmntSd)
	o.ShipPriority = 0

	n := r.random(oLcntMin, oLcntMax, oLcntSd)
	lines = lines[:n]
	var total int64
	shipped := 0
	for i := range lines {
		l := &lines[i]
		l.OrderKey = o.OrderKey
		l.LineNumber = int32(i + 1)
		qty := r.random(1, 50, lQtySd)
		l.Discount = r.random(0, 10, lDcntSd)
		l.Tax = r.random(0, 8, lTaxSd)
		l.ShipInstruct = g.d.lInstruct.pickStr(r, lShipSd)
		l.ShipMode = g.d.lSmode.pickStr(r, lSmodeSd)
		l.Comment = g.text(27, lCmntSd)
		l.PartKey = r.random(1, sc.parts, lPkeySd)
		price := retailPrice(l.PartKey)
		l.SuppKey = sc.partSupp(l.PartKey, r.random(0, 3, lSkeySd))
		l.Quantity = qty * 100
		l.ExtendedPrice = price * qty
		total += ((l.ExtendedPrice * (100 - l.Discount)) / 100) * (100 + l.Tax) / 100

		sdate := odate + r.random(1, lSdteMax, lSdteSd)
		cdate := odate + r.random(30, 90, lCdteSd)
		rdate := sdate + r.random(1, lRdteMax, lRdteSd)
		l.ShipDate = int32(sdate + epochOffset)
		l.CommitDate = int32(cdate + epochOffset)
		l.ReceiptDate = int32(rdate + epochOffset)
		if rdate <= currentDate {
			l.ReturnFlag = g.d.lRflag.pickStr(r, lRflgSd)[:1]
		} else {
			l.ReturnFlag = "N"
		}
		if sdate <= currentDate {
			shipped++
			l.LineStatus = "F"
		} else {
			l.LineStatus = "O"
		}
	}
	o.TotalPrice = total
	switch shipped {
	case 0:
		o.OrderStatus = "O"
	case len(lines):
		o.OrderStatus = "F"
	default:
		o.OrderStatus = "P"
	}
	r.rowStop()
	return lines
}
