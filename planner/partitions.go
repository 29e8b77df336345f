package planner

import (
	"context"
	"sort"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
)

// PartitionLister is an optional interface of Catalog: it lists the
// partitions of a table that any of filters accepts — one listing per
// filter, concatenated in order; the planner passes filters over
// disjoint first-key ranges, in key order — or all partitions when
// filters is empty, and reports the table's total number of partitions.
// The planner prunes the partitions of every scan of a partitioned
// table through it.
type PartitionLister interface {
	Partitions(ctx context.Context, db, table string, filters []*catalog.PartitionFilter) (parts []catalog.Partition, total int, err error)
}

// prunePartitions selects the partitions of every partitioned-table scan
// in the plan from the scan's conjuncts on partition keys: through
// partition projection when the table is configured for it, else
// through the catalog's PartitionLister. Conjuncts that every selected
// partition satisfies are dropped from the scan's filter.
func prunePartitions(ctx context.Context, root logical.Node, cat Catalog) error {
	seen := map[*logical.Scan]bool{}
	var walk func(n logical.Node) error
	walk = func(n logical.Node) error {
		if s, ok := n.(*logical.Scan); ok && !seen[s] {
			seen[s] = true
			if err := pruneScan(ctx, s, cat, time.Now()); err != nil {
				return err
			}
		}
		for _, in := range n.Inputs() {
			if err := walk(in); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// scanKeys describes the partition keys of a scan.
type scanKeys struct {
	ct    *catalog.Table
	kc    *keyCompiler
	names []string
	// conj are the scan conjuncts over keys only that compiled; fns[i]
	// evaluates conj[i].
	conj []expr.Expr
	pred *keyPredicate
}

func newScanKeys(s *logical.Scan, ct *catalog.Table) (*scanKeys, bool) {
	nData, nKeys := len(ct.Columns), len(ct.PartitionKeys)
	if nKeys == 0 || len(s.All) < nData+nKeys { // (hidden file columns follow the keys)
		return nil, false
	}
	sk := &scanKeys{ct: ct, kc: &keyCompiler{keyOf: map[int]int{}}, pred: &keyPredicate{}}
	for k := range nKeys {
		c := s.All[nData+k]
		sk.kc.keyOf[c.ID] = k
		sk.kc.keyTypes = append(sk.kc.keyTypes, c.T)
		sk.names = append(sk.names, ct.PartitionKeys[k].Name)
	}
	for _, f := range s.Filter {
		if !sk.kc.refsOnlyKeys(f) {
			continue
		}
		fn, ok := sk.kc.compile(f)
		if !ok {
			continue
		}
		sk.conj = append(sk.conj, f)
		sk.pred.fns = append(sk.pred.fns, fn)
		sk.pred.text = append(sk.pred.text, f.String())
	}
	// Cheap conjuncts first: Match stops at the first one that rejects.
	idx := make([]int, len(sk.conj))
	size := make([]int, len(sk.conj))
	for i, c := range sk.conj {
		idx[i] = i
		expr.Walk(c, func(expr.Expr) bool { size[i]++; return true })
	}
	sort.SliceStable(idx, func(a, b int) bool { return size[idx[a]] < size[idx[b]] })
	conj, fns, text := make([]expr.Expr, len(idx)), make([]keyFn, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		conj[i], fns[i], text[i] = sk.conj[j], sk.pred.fns[j], sk.pred.text[j]
	}
	sk.conj, sk.pred.fns, sk.pred.text = conj, fns, text
	return sk, true
}

func pruneScan(ctx context.Context, s *logical.Scan, cat Catalog, now time.Time) error {
	pt, ok := s.Table.(connectors.PartitionedTable)
	if !ok {
		return nil
	}
	if sel, _ := pt.PartitionCounts(); sel >= 0 {
		return nil // already selected
	}
	ct := pt.CatalogTable()
	if ct == nil {
		return nil
	}
	sk, ok := newScanKeys(s, ct)
	if !ok {
		return nil
	}
	var parts []catalog.Partition
	var total int
	var err error
	if projectionEnabled(ct) {
		parts, total, err = projectPartitions(ct, sk, now)
		if err != nil {
			return newErr(CodeOther, "table %s.%s: partition projection: %v", ct.Database, ct.Name, err)
		}
	} else {
		pl, ok := cat.(PartitionLister)
		if !ok {
			return nil // the table discovers its partition folders itself
		}
		parts, total, err = sk.list(ctx, pl)
		if err != nil {
			return newErr(CodeOther, "table %s.%s: listing partitions: %v", ct.Database, ct.Name, err)
		}
	}
	nt, err := pt.WithPartitions(parts, total)
	if err != nil {
		return newErr(CodeOther, "%v", err)
	}
	s.Table = nt
	sk.dropDecided(s, parts)
	if rows, _ := nt.Estimate(ctx); rows >= 0 {
		s.BaseRows = float64(rows)
	}
	return nil
}

// maxSeeks is the most first-key ranges listed separately; more are
// listed as their hull.
const maxSeeks = 64

// list lists the partitions the key predicate may accept: one listing
// per disjoint range of the first key the predicate implies (a seek
// each), in key order.
func (sk *scanKeys) list(ctx context.Context, pl PartitionLister) ([]catalog.Partition, int, error) {
	ct := sk.ct
	if len(sk.pred.fns) == 0 {
		return pl.Partitions(ctx, ct.Database, ct.Name, nil)
	}
	set := sk.keyRanges(0)
	var fs []*catalog.PartitionFilter
	switch {
	case set.all || len(set.rs) > maxSeeks:
		f := &catalog.PartitionFilter{Match: sk.pred.match}
		f.Lo, f.Hi = set.hull()
		fs = append(fs, f)
	case len(set.rs) == 0:
		// Contradiction: an empty range still reports the total.
		lo, hi := "b", "a"
		fs = append(fs, &catalog.PartitionFilter{Match: sk.pred.match, Lo: &lo, Hi: &hi})
	default:
		for _, r := range set.rs {
			fs = append(fs, &catalog.PartitionFilter{Match: sk.pred.match, Lo: r.lo, Hi: r.hi})
		}
	}
	return pl.Partitions(ctx, ct.Database, ct.Name, fs)
}

// dropDecided removes from the scan's filter the key conjuncts that are
// TRUE on every selected partition (they would be re-evaluated on
// constant columns for every row).
func (sk *scanKeys) dropDecided(s *logical.Scan, parts []catalog.Partition) {
	if len(sk.conj) == 0 {
		return
	}
	decided := map[expr.Expr]bool{}
	for i, f := range sk.pred.fns {
		all := true
		for p := range parts {
			x, err := f(parts[p].Values)
			if b, ok := x.(bool); err != nil || !ok || !b {
				all = false
				break
			}
		}
		if all {
			decided[sk.conj[i]] = true
		}
	}
	if len(decided) == 0 {
		return
	}
	kept := make([]expr.Expr, 0, len(s.Filter))
	for _, f := range s.Filter {
		if !decided[f] {
			kept = append(kept, f)
		}
	}
	s.Filter = kept
}
