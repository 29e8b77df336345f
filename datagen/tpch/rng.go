package tpch

import "math"

// The random number streams of dbgen 2.4.0. Every column (or group of
// columns) draws from its own stream: a Park–Miller generator
// (x' = 16807·x mod 2³¹−1) with a fixed initial seed. After each row a
// stream is advanced to a fixed boundary (the most numbers any row can
// draw from it), so row i of a table always starts at seed·16807^(b·(i−1))
// and any range of rows can be generated on its own: this is what makes
// the output identical whether it is produced in one piece or in parallel
// chunks.

// Stream numbers (dbgen's *_SD constants).
const (
	pMfgSd    = 0
	pBrndSd   = 1
	pTypeSd   = 2
	pSizeSd   = 3
	pCntrSd   = 4
	textSd    = 5 // the text pool's sentences
	pCmntSd   = 6
	psQtySd   = 7
	psScstSd  = 8
	psCmntSd  = 9
	oSuppSd   = 10
	oClrkSd   = 11
	oCmntSd   = 12
	oOdateSd  = 13
	lQtySd    = 14
	lDcntSd   = 15
	lTaxSd    = 16
	lShipSd   = 17
	lSmodeSd  = 18
	lPkeySd   = 19
	lSkeySd   = 20
	lSdteSd   = 21
	lCdteSd   = 22
	lRdteSd   = 23
	lRflgSd   = 24
	lCmntSd   = 25
	cAddrSd   = 26
	cNtrgSd   = 27
	cPhneSd   = 28
	cAbalSd   = 29
	cMsegSd   = 30
	cCmntSd   = 31
	sAddrSd   = 32
	sNtrgSd   = 33
	sPhneSd   = 34
	sAbalSd   = 35
	sCmntSd   = 36
	pNameSd   = 37
	oPrioSd   = 38
	oCkeySd   = 40
	nCmntSd   = 41
	rCmntSd   = 42
	oLcntSd   = 43
	bbbJnkSd  = 44
	bbbTypeSd = 45
	bbbCmntSd = 46
	bbbOffSd  = 47
	numStream = 48
)

// group is the set of tables a stream belongs to; a generator for a
// group advances exactly the streams of its group.
type group int8

const (
	grpNone  group = iota
	grpPart        // part and partsupp (generated together)
	grpOrder       // orders and lineitem (generated together)
	grpCust
	grpSupp
	grpNation
	grpRegion
)

type streamDef struct {
	grp      group
	seed     int64
	boundary int64
}

// streamDefs are dbgen's initial seeds and per-row boundaries.
var streamDefs = [numStream]streamDef{
	{grpPart, 1, 1},
	{grpPart, 46831694, 1},
	{grpPart, 1841581359, 1},
	{grpPart, 1193163244, 1},
	{grpPart, 727633698, 1},
	{grpNone, 933588178, 1},
	{grpPart, 804159733, 2},
	{grpPart, 1671059989, suppPerPart},
	{grpPart, 1051288424, suppPerPart},
	{grpPart, 1961692154, suppPerPart * 2},
	{grpOrder, 1227283347, 1},
	{grpOrder, 1171034773, 1},
	{grpOrder, 276090261, 2},
	{grpOrder, 1066728069, 1},
	{grpOrder, 209208115, oLcntMax},
	{grpOrder, 554590007, oLcntMax},
	{grpOrder, 721958466, oLcntMax},
	{grpOrder, 1371272478, oLcntMax},
	{grpOrder, 675466456, oLcntMax},
	{grpOrder, 1808217256, oLcntMax},
	{grpOrder, 2095021727, oLcntMax},
	{grpOrder, 1769349045, oLcntMax},
	{grpOrder, 904914315, oLcntMax},
	{grpOrder, 373135028, oLcntMax},
	{grpOrder, 717419739, oLcntMax},
	{grpOrder, 1095462486, oLcntMax * 2},
	{grpCust, 881155353, 9},
	{grpCust, 1489529863, 1},
	{grpCust, 1521138112, 3},
	{grpCust, 298370230, 1},
	{grpCust, 1140279430, 1},
	{grpCust, 1335826707, 2},
	{grpSupp, 706178559, 9},
	{grpSupp, 110356601, 1},
	{grpSupp, 884434366, 3},
	{grpSupp, 962338209, 1},
	{grpSupp, 1341315363, 2},
	{grpPart, 709314158, 92},
	{grpOrder, 591449447, 1},
	{grpOrder, 431918286, 1},
	{grpOrder, 851767375, 1},
	{grpNation, 606179079, 2},
	{grpRegion, 1500869201, 2},
	{grpOrder, 1434868289, 1},
	{grpSupp, 263032577, 1},
	{grpSupp, 753643799, 1},
	{grpSupp, 202794285, 1},
	{grpSupp, 715851524, 1},
}

const (
	modulus    = 2147483647
	multiplier = 16807
	maxLong    = math.MaxInt32
	dM         = 2147483647.0
)

// rng holds the streams of one generator. It is not safe for concurrent
// use; every chunk generator owns one.
type rng struct {
	grp   group
	seed  [numStream]int64
	usage [numStream]int64
}

// newRNG returns the streams of group g positioned at row first (1-based).
func newRNG(g group, first int64) *rng {
	r := &rng{grp: g}
	for i, d := range streamDefs {
		r.seed[i] = d.seed
		if d.grp == g && first > 1 {
			r.seed[i] = advance(d.seed, d.boundary*(first-1))
		}
	}
	return r
}

// advance returns the seed n steps further along a Park–Miller stream.
func advance(seed, n int64) int64 {
	mult := int64(multiplier)
	z := seed
	for n > 0 {
		if n&1 != 0 {
			z = (mult * z) % modulus
		}
		n >>= 1
		mult = (mult * mult) % modulus
	}
	return z
}

// random draws a uniform integer in [lo, hi] from stream s, exactly as
// dbgen's RANDOM/UnifInt (including its float arithmetic and the 32-bit
// overflow of the range when [lo, hi] is [0, MaxInt32]).
func (r *rng) random(lo, hi int64, s int) int64 {
	r.usage[s]++
	var dRange float64
	if hi == maxLong && lo == 0 {
		// dbgen computes the range in 32 bits here: MaxInt32-0+1 wraps
		// to MinInt32, which makes the draw negative. aRand relies on it.
		dRange = math.MinInt32
	} else {
		dRange = float64(hi - lo + 1)
	}
	r.seed[s] = (r.seed[s] * multiplier) % modulus
	return lo + int64(float64(r.seed[s])/dM*dRange)
}

// rowStop advances every stream of the generator's group to the row
// boundary and resets the usage counters.
func (r *rng) rowStop() {
	for i := range streamDefs {
		d := &streamDefs[i]
		if d.grp != r.grp {
			r.usage[i] = 0
			continue
		}
		if n := d.boundary - r.usage[i]; n > 0 {
			r.seed[i] = advance(r.seed[i], n)
		}
		r.usage[i] = 0
	}
}
