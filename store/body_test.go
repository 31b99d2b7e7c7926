package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateBody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		limit int
	}{
		{"short", "Hallo", 100},
		{"exact", strings.Repeat("a", 100), 100},
		{"ascii", strings.Repeat("a", 10<<20), MaxBodyBytes},
		{"multibyte at the cut", strings.Repeat("ü", 1000), 501},
		{"limit below the marker", strings.Repeat("x", 500), 10},
	} {
		got := TruncateBody(tc.body, tc.limit)
		cut := len(tc.body) > tc.limit
		switch {
		case !cut && got != tc.body:
			t.Errorf("%s: a body within the limit changed", tc.name)
		case cut && !BodyTruncated(got):
			t.Errorf("%s: no marker: …%q", tc.name, got[max(len(got)-80, 0):])
		case cut && len(got) > tc.limit && !strings.HasPrefix(got, "\n\n[Discreet"):
			t.Errorf("%s: %d bytes, limit %d", tc.name, len(got), tc.limit)
		case !utf8.ValidString(got):
			t.Errorf("%s: cut inside a character", tc.name)
		case cut && !strings.HasPrefix(tc.body, got[:strings.LastIndex(got, "\n\n[Discreet")]):
			t.Errorf("%s: the kept part is not the body's beginning", tc.name)
		}
	}
	if BodyTruncated("Dear customer,\n\nregards") {
		t.Error("an ordinary body reads as truncated")
	}
}
