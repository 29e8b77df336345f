package likepat

import (
	"math/rand"
	"strings"
	"testing"
)

// TestLikeMatcherRandom checks the LIKE matcher against a regexp
// translation on random patterns and strings (including multi-byte
// characters and escapes).
func TestLikeMatcherRandom(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	patAlpha := []string{"a", "b", "é", "%", "_", `\%`, `\_`, "%"}
	strAlpha := []string{"a", "b", "é", "%", "_"}
	for i := 0; i < 30000; i++ {
		var p, s strings.Builder
		for k := r.Intn(7); k > 0; k-- {
			p.WriteString(patAlpha[r.Intn(len(patAlpha))])
		}
		maxLen := 9
		if i%3 == 0 { // longer strings: several candidates per segment
			maxLen = 25
		}
		for k := r.Intn(maxLen); k > 0; k-- {
			s.WriteString(strAlpha[r.Intn(len(strAlpha))])
		}
		m, err := Compile(p.String(), '\\')
		if err != nil {
			t.Fatal(err)
		}
		want := Regexp(p.String()).MatchString(s.String())
		if got := m.Match([]byte(s.String())); got != want {
			t.Fatalf("%q LIKE %q: got %v want %v (kind %d)", s.String(), p.String(), got, want, m.kind)
		}
	}
}
