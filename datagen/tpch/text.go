package tpch

import (
	"fmt"
	"strings"
	"sync"
	"weak"

	"github.com/pingcap/go-tpc/tpch/dbgen/dist"
)

// distribution is a dbgen weighted set: weights are cumulative, and a
// pick draws j in [1, total] and takes the first member whose weight
// reaches j.
type distribution struct {
	text   []string
	weight []int64 // cumulative
	tokens [][]string
}

func loadDist(name string) *distribution {
	items, ok := dist.Maps[name]
	if !ok {
		panic(fmt.Sprintf("tpch: dbgen distribution %q missing", name)) // static data; cannot happen
	}
	d := &distribution{}
	var total int64
	for _, it := range items {
		total += int64(it.Weight)
		d.text = append(d.text, it.Text)
		d.weight = append(d.weight, total)
		d.tokens = append(d.tokens, strings.Split(it.Text, " "))
	}
	return d
}

// pick draws a member index from stream s.
func (d *distribution) pick(r *rng, s int) int {
	j := r.random(1, d.weight[len(d.weight)-1], s)
	pos := 0
	for d.weight[pos] < j {
		pos++
	}
	return pos
}

func (d *distribution) pickStr(r *rng, s int) string { return d.text[d.pick(r, s)] }

// dists are dbgen's distributions (dists.dss), read once.
type dists struct {
	nations, regions, oPriority, lInstruct, lSmode, lRflag, cMseg *distribution
	colors, pTypes, pCntr                                         *distribution
	articles, nouns, adjectives, adverbs, prepositions, verbs     *distribution
	terminators, auxillaries, np, vp, grammar                     *distribution
}

var loadDists = sync.OnceValue(func() *dists {
	return &dists{
		nations: loadDist("nations"), regions: loadDist("regions"),
		oPriority: loadDist("o_oprio"), lInstruct: loadDist("instruct"),
		lSmode: loadDist("smode"), lRflag: loadDist("rflag"), cMseg: loadDist("msegmnt"),
		colors: loadDist("colors"), pTypes: loadDist("p_types"), pCntr: loadDist("p_cntr"),
		articles: loadDist("articles"), nouns: loadDist("nouns"), adjectives: loadDist("adjectives"),
		adverbs: loadDist("adverbs"), prepositions: loadDist("prepositions"), verbs: loadDist("verbs"),
		terminators: loadDist("terminators"), auxillaries: loadDist("auxillaries"),
		np: loadDist("np"), vp: loadDist("vp"), grammar: loadDist("grammar"),
	}
})

// textPoolSize is dbgen's TEXT_POOL_SIZE. Comments are random slices of
// this pool, so the whole pool is needed at any scale factor.
const textPoolSize = 300 * 1024 * 1024

type textPool struct{ s string }

var (
	poolMu   sync.Mutex
	poolWeak weak.Pointer[textPool]
)

// getTextPool returns the text pool, building it if no live copy exists.
// The pool is held weakly so a long-running process does not keep 300 MB
// after generation, while back-to-back generations share one copy.
func getTextPool() *textPool {
	poolMu.Lock()
	defer poolMu.Unlock()
	if p := poolWeak.Value(); p != nil {
		return p
	}
	p := &textPool{s: buildTextPool(loadDists(), textPoolSize)}
	poolWeak = weak.Make(p)
	return p
}

// buildTextPool produces dbgen's text pool: grammatical sentences drawn
// from stream 5, separated by single spaces, cut at size bytes.
func buildTextPool(d *dists, size int) string {
	r := newRNG(grpNone, 1)
	var b strings.Builder
	b.Grow(size)
	sent := make([]byte, 0, 512)
	for b.Len() < size {
		sent = d.sentence(r, sent[:0])
		needed := size - b.Len()
		if needed >= len(sent)+1 {
			b.Write(sent)
			b.WriteByte(' ')
		} else {
			b.Write(sent[:needed])
		}
	}
	return b.String()
}

// phrase appends a noun or verb phrase (dbgen's txtNp / txtVp): every
// word is followed by its optional punctuation and a space.
func (d *dists) phrase(r *rng, syntax *distribution, buf []byte) []byte {
	for _, item := range syntax.tokens[syntax.pick(r, textSd)] {
		var src *distribution
		switch item[0] {
		case 'A':
			src = d.articles
		case 'J':
			src = d.adjectives
		case 'D':
			src = d.adverbs
		case 'N':
			src = d.nouns
		case 'V':
			src = d.verbs
		case 'X':
			src = d.auxillaries
		}
		buf = append(buf, src.pickStr(r, textSd)...)
		if len(item) > 1 {
			buf = append(buf, item[1])
		}
		buf = append(buf, ' ')
	}
	return buf
}

// sentence appends one sentence (dbgen's txtSentence).
func (d *dists) sentence(r *rng, buf []byte) []byte {
	for _, item := range d.grammar.tokens[d.grammar.pick(r, textSd)] {
		switch item[0] {
		case 'V':
			buf = d.phrase(r, d.vp, buf)
		case 'N':
			buf = d.phrase(r, d.np, buf)
		case 'P':
			buf = append(buf, d.prepositions.pickStr(r, textSd)...)
			buf = append(buf, " the "...)
			buf = d.phrase(r, d.np, buf)
		case 'T':
			buf = buf[:len(buf)-1]
			buf = append(buf, d.terminators.pickStr(r, textSd)...)
		}
		if len(item) > 1 {
			buf = append(buf, item[1])
		}
	}
	return buf
}
