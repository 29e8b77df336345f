package crawler

import (
	"fmt"
	"path"
	"strings"
)

// glob is an exclude pattern over paths relative to the crawl location,
// Glue style: '*', '?' and [classes] match within one path segment and
// '**' matches any number of segments (including none). A pattern that
// matches a folder excludes everything below it.
type glob struct {
	text string
	segs []string
}

func compileGlob(p string) (*glob, error) {
	t := strings.Trim(strings.TrimSpace(p), "/")
	if t == "" {
		return nil, fmt.Errorf("exclude pattern %q is empty", p)
	}
	g := &glob{text: p, segs: strings.Split(t, "/")}
	for _, s := range g.segs {
		if s == "**" {
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("exclude pattern %q: %v", p, err)
		}
	}
	return g, nil
}

// match reports whether the relative path rel, or one of its folders,
// matches.
func (g *glob) match(rel string) bool {
	segs := strings.Split(rel, "/")
	for n := 1; n <= len(segs); n++ {
		if matchSegs(g.segs, segs[:n]) {
			return true
		}
	}
	return false
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for k := 0; k <= len(segs); k++ {
				if matchSegs(rest, segs[k:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
