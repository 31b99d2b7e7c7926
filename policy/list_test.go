package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustCompile(t testing.TB, patterns ...string) *NeverLogList {
	t.Helper()
	l, bad := CompilePatterns(patterns)
	if len(bad) > 0 {
		t.Fatalf("CompilePatterns: bad patterns %q", bad)
	}
	return l
}

func TestMatch(t *testing.T) {
	l := mustCompile(t,
		"anna@example.com",
		"@example.com",
		"*@deep.sub.example.com",
		"partner.example",
		"boss@sub.partner.example",
		"a.b@googlemail.com",
		"googlemail.com",
		"bücher.example",
	)
	tests := []struct {
		addr      string
		want      string // canonical entry; "" when nothing matches
		wantMatch bool
	}{
		// Exact beats domain.
		{"anna@example.com", "anna@example.com", true},
		{"beat@example.com", "@example.com", true},
		// A domain entry covers its subdomains, the longest one wins.
		{"x@sub.example.com", "@example.com", true},
		{"x@deep.sub.example.com", "@deep.sub.example.com", true},
		{"x@very.deep.sub.example.com", "@deep.sub.example.com", true},
		{"boss@sub.partner.example", "boss@sub.partner.example", true},
		{"other@sub.partner.example", "@partner.example", true},
		// Normalized addresses meet normalized entries.
		{"ab@gmail.com", "ab@gmail.com", true},
		{"zz@gmail.com", "@gmail.com", true},
		{"info@xn--bcher-kva.example", "@xn--bcher-kva.example", true},
		// No match: a suffix that is not at a label boundary, a parent, others.
		{"x@notexample.com", "", false},
		{"x@com", "", false},
		{"x@example.org", "", false},
		{"x@partner.example.org", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		e, ok := l.Match(tt.addr)
		if ok != tt.wantMatch || ok && e.String() != tt.want {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.addr, e, ok, tt.want, tt.wantMatch)
		}
	}
}

func TestMatchNilAndEmpty(t *testing.T) {
	var nilList *NeverLogList
	if e, ok := nilList.Match("anna@example.com"); ok {
		t.Errorf("nil list matched %v", e)
	}
	if n := nilList.Len(); n != 0 {
		t.Errorf("nil list Len = %d", n)
	}
	empty := Compile(nil)
	if e, ok := empty.Match("anna@example.com"); ok {
		t.Errorf("empty list matched %v", e)
	}
	// Compile takes hand-made entries too, a single label included.
	tld := Compile([]Entry{{Kind: KindDomain, Value: "com"}, {Kind: KindDomain, Value: "a.b.c.example"}})
	for addr, want := range map[string]string{"a@x.com": "@com", "a@x.y.z.com": "@com", "a@q.a.b.c.example": "@a.b.c.example", "a@b.c.example": ""} {
		if e, ok := tld.Match(addr); ok != (want != "") || ok && e.String() != want {
			t.Errorf("Match(%q) = %v, %v; want %q", addr, e, ok, want)
		}
		if m, ok := tld.matchRounds([]Participant{{Address: addr}}); ok != (want != "") || ok && m.Entry.String() != want {
			t.Errorf("matchRounds(%q) = %v, %v; want %q", addr, m, ok, want)
		}
	}
	addrOnly := mustCompile(t, "anna@example.com")
	if e, ok := addrOnly.Match("beat@example.com"); ok {
		t.Errorf("address-only list matched %v", e)
	}
}

func TestCompilePatterns(t *testing.T) {
	l, bad := CompilePatterns([]string{"anna@example.com", "Anna <ANNA@example.com>", "@example.com", "*@example.com", "example.com", "bad pattern", "*.x.com"})
	if diff := cmp.Diff([]string{"bad pattern", "*.x.com"}, bad); diff != "" {
		t.Errorf("bad mismatch (-want +got):\n%s", diff)
	}
	if l.Len() != 2 {
		t.Errorf("Len = %d, want 2: duplicates collapse", l.Len())
	}
}

func TestDomains(t *testing.T) {
	ds, err := NewDomains([]string{"acme.com", "ACME.ch.", "bücher.example", "googlemail.com"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"anna@acme.com":               true,
		"anna@eu.acme.com":            true,
		"carla@acme.ch":               true,
		"x@xn--bcher-kva.example":     true,
		"x@gmail.com":                 true,
		"x@notacme.com":               false,
		"x@acme.com.evil.example":     false,
		"x@com":                       false,
		"":                            false,
		"x@sub.xn--bcher-kva.example": true,
	} {
		if got := ds.Covers(addr); got != want {
			t.Errorf("Covers(%q) = %v, want %v", addr, got, want)
		}
	}
	var none *Domains
	if none.Covers("anna@acme.com") {
		t.Error("nil Domains covers an address")
	}
	if _, err := NewDomains([]string{"acme.com", "not a domain"}); err == nil {
		t.Error("NewDomains accepted a bad domain")
	}
}

// TestMatchRounds checks the batched matcher against Match, one
// participant key at a time, including batches that overflow, keys with
// more labels than a batch holds, and participants matched by lenient keys.
func TestMatchRounds(t *testing.T) {
	deep := "x@" + strings.Repeat("a.", 70) + "deep.example"
	tall := strings.Repeat("t.", 20) + "example" // an entry of more labels than a scan records
	l := mustCompile(t, "@deep.example", "anna@example.com", "@sub.example.com", "x@y.example", "@"+tall)
	addrs := []string{"", "beat@example.org", "anna@example.com", "z@sub.example.com", "q@other.sub.example.com", deep, "x@y.example",
		"n@" + strings.Repeat("b.", 40) + "example.net", "t@" + tall, "t@u.v." + tall, "t@" + strings.Repeat("t.", 19) + "example"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var ps []Participant
		for range r.IntN(12) {
			if r.IntN(3) == 0 { // a participant read leniently: several keys
				var keys []string
				for range 1 + r.IntN(3) {
					if a := addrs[r.IntN(len(addrs))]; a != "" {
						keys = append(keys, a)
					}
				}
				ps = append(ps, Participant{Lenient: keys})
				continue
			}
			ps = append(ps, Participant{Address: addrs[r.IntN(len(addrs))]})
		}
		want, found := NeverLogMatch{}, false
	search:
		for i := range ps {
			for k := range participantKeys(&ps[i]) {
				key := participantKey(&ps[i], k)
				if e, ok := l.Match(key); ok {
					want, found = NeverLogMatch{Entry: e, Key: key, Participant: i}, true
					break search
				}
			}
		}
		m, ok := l.matchRounds(ps)
		if m != want || ok != found {
			t.Fatalf("matchRounds(%v) = %v, %v; one by one: %v, %v", ps, m, ok, want, found)
		}
		want.List = "org"
		m, ok = MatchNeverLog(l, nil, ps)
		if m != (map[bool]NeverLogMatch{true: want}[found]) || ok != found {
			t.Fatalf("MatchNeverLog(%v) = %v, %v; one by one: %v, %v", ps, m, ok, want, found)
		}
	}
	var none *NeverLogList
	if _, ok := none.matchRounds([]Participant{{Address: "anna@example.com"}}); ok {
		t.Error("nil list matched")
	}
}

// TestDomainsMany covers a set too large for the suffix scan.
func TestDomainsMany(t *testing.T) {
	var list []string
	for i := range 20 {
		list = append(list, "acme"+string(rune('a'+i))+".com")
	}
	ds, err := NewDomains(list)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"x@acmea.com": true, "x@eu.acmet.com": true, "x@acmez.com": false, "x@com": false} {
		if got := ds.Covers(addr); got != want {
			t.Errorf("Covers(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestFilterFalseHits keeps the filter (and the hash under it) honest: a
// key that is not on a list of 100k entries passes the filter rarely, so
// the entry table is seldom read for nothing.
func TestFilterFalseHits(t *testing.T) {
	l, bad := CompilePatterns(benchPatterns(100_000, 3))
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	falseHits := 0
	const probes = 200_000
	for i := range probes {
		key := fmt.Sprintf("nobody%d@nowhere%d.example", i, i%977)
		if l.mayHold(hashKey(key)) {
			falseHits++
		}
	}
	if rate := float64(falseHits) / probes; rate > 0.01 {
		t.Errorf("%.2f%% of keys not on the list pass the filter, want under 1%%", 100*rate)
	}
}
