package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeAddress(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"anna@example.com", "anna@example.com"},
		{"  anna@example.com\t\n", "anna@example.com"},
		{"Anna@Example.COM", "anna@example.com"},
		{"<anna@example.com>", "anna@example.com"},
		{"Anna Muster <anna@example.com>", "anna@example.com"},
		{`"Muster, Anna" <Anna@Example.com>`, "anna@example.com"},
		{"anna@example.com (Anna Muster)", "anna@example.com"},
		{"anna+crm@example.com", "anna@example.com"},
		{"anna+crm+more@example.com", "anna@example.com"},
		{"+only@example.com", "+only@example.com"}, // a leading '+' is the name, not a tag
		{"a.n.n.a@example.com", "a.n.n.a@example.com"},
		{"A.n.N.a+news@Gmail.com", "anna@gmail.com"},
		{"anna@googlemail.com", "anna@gmail.com"},
		{"a.nna+x@GoogleMail.com", "anna@gmail.com"},
		{"anna@mail.gmail.com", "anna@mail.gmail.com"}, // only the two mailbox domains are folded
		{"anna@example.com.", "anna@example.com"},
		{"anna@sub.example.com", "anna@sub.example.com"},
		// IDNA: the domain becomes punycode; the local part stays UTF-8
		// (RFC 6532), lower-cased.
		{"müller@bücher.example", "müller@xn--bcher-kva.example"},
		{"MÜLLER@BÜCHER.example", "müller@xn--bcher-kva.example"},
		{"info@xn--bcher-kva.example", "info@xn--bcher-kva.example"},
		// Local parts compare in NFC: a decomposed ü is the composed one.
		{"mu\u0308ller@bücher.example", "müller@xn--bcher-kva.example"},
		{"MU\u0308LLER@bu\u0308cher.example", "müller@xn--bcher-kva.example"},
		// Quoted local parts that are dot-atoms lose their quotes; others keep them.
		{`"anna"@example.com`, "anna@example.com"},
		{`"a,b"@example.com`, `"a,b"@example.com`},
		{`".anna"@example.com`, `".anna"@example.com`},
		{`"\"q\""@example.com`, `"\"q\""@example.com`},
		{`"A(b)"@example.com`, `"a(b)"@example.com`},
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in)
		if err != nil {
			t.Errorf("NormalizeAddress(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again, err := NormalizeAddress(got); err != nil || again != got {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}
}

func TestNormalizeAddressRejects(t *testing.T) {
	tests := []struct {
		in, says string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"anna", "no '@'"},
		{"anna@x@example.com", "more than one '@'"},
		{"@example.com", "empty local part"},
		{"anna@", "empty domain"},
		{"an na@example.com", "contains a space"},
		{"anna@exa mple.com", "contains a space"},
		{"an\u00a0na@example.com", "contains a space"},
		{"anna@localhost", "two labels"},
		{"anna@-bad.com", "bad label"},
		{"anna@bad-.com", "bad label"},
		{"anna@ex_ample.com", "bad label"},
		{"anna@example..com", "bad label"},
		{"anna@[192.0.2.1]", "address literal"},
		{".anna@example.com", "local part"},
		{"anna.@example.com", "local part"},
		{"an..na@example.com", "local part"},
		{"a,b@example.com", "local part"},
		{"<anna@example.com", "not an email address"},
		{`"unclosed@example.com`, "not an email address"},
		{`"a b"@example.com`, "contains a space"},
		{`"a@b"@example.com`, "more than one '@'"}, // RFC 5322 allows it; a pattern with two is a mistake
		{`"..."@gmail.com`, "empty local part"},
		{"an\x01na@example.com", "local part"},
		{"an\xffna@example.com", "local part"},
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in)
		if err == nil {
			t.Errorf("NormalizeAddress(%q) = %q, want an error saying %q", tt.in, got, tt.says)
			continue
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("NormalizeAddress(%q) error %q does not say %q", tt.in, err, tt.says)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM":           "example.com",
		" example.com. ":        "example.com",
		"bücher.example":        "xn--bcher-kva.example",
		"BÜCHER.Example":        "xn--bcher-kva.example",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
		"a.b.c.example.com":     "a.b.c.example.com",
	} {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "com", "exa mple.com", "[1.2.3.4]", "-a.com", "a..com", "a_b.com", "a.com..", strings.Repeat("a", 64) + ".com", "192.0.2.1", "x.123"} {
		if got, err := NormalizeDomain(in); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want an error", in, got)
		}
	}
}

// parsed is a comparable view of ParseAddressList's result.
type parsed struct {
	Field, Raw, Address string
	Bad                 bool
	Lenient             []string
	Unreadable          bool
}

func view(ps []Participant) []parsed {
	var out []parsed
	for _, p := range ps {
		out = append(out, parsed{p.Field, p.Raw, p.Address, p.Err != nil, p.Lenient, p.Unreadable})
	}
	return out
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name, header string
		want         []parsed
	}{
		{"empty", "", nil},
		{"blank", "  \t ", nil},
		{"one", "anna@example.com", []parsed{{Field: "to", Raw: "anna@example.com", Address: "anna@example.com"}}},
		{"display names", `Anna <Anna@Example.com>, "Keller, Beat" <beat+x@example.ch>`, []parsed{
			{Field: "to", Raw: "Anna <Anna@Example.com>", Address: "anna@example.com"},
			{Field: "to", Raw: `"Keller, Beat" <beat+x@example.ch>`, Address: "beat@example.ch"},
		}},
		{"quoted local part", `"a,b"@example.com, c@example.com`, []parsed{
			{Field: "to", Raw: `"a,b"@example.com`, Address: `"a,b"@example.com`},
			{Field: "to", Raw: "c@example.com", Address: "c@example.com"},
		}},
		{"quoted at sign", `"a@b"@example.com`, []parsed{
			{Field: "to", Raw: `"a@b"@example.com`, Address: `"a@b"@example.com`},
		}},
		{"comments", "anna@example.com (Anna, sales), beat@example.ch", []parsed{
			{Field: "to", Raw: "anna@example.com (Anna, sales)", Address: "anna@example.com"},
			{Field: "to", Raw: "beat@example.ch", Address: "beat@example.ch"},
		}},
		{"empty group", "undisclosed-recipients:;", []parsed{}},
		{"empty group without its semicolon", "undisclosed-recipients:", []parsed{}},
		{"group", "Team: a@x.com, b@y.com;", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "b@y.com", Address: "b@y.com"},
		}},
		{"group and more", "Team: a@x.com, b@y.com;, c@z.com", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "b@y.com", Address: "b@y.com"},
			{Field: "to", Raw: "c@z.com", Address: "c@z.com"},
		}},
		{"empty list elements", "a@x.com,, ,b@y.com,", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "b@y.com", Address: "b@y.com"},
		}},
		{"idna", "Müller <müller@bücher.example>", []parsed{
			{Field: "to", Raw: "Müller <müller@bücher.example>", Address: "müller@xn--bcher-kva.example"},
		}},
		// RFC 5322's comments, folding white space and obsolete forms are
		// read as what they are.
		{"comment in the local part", "Lisa <lisa(hr)@hr-partner.example>", []parsed{
			{Field: "to", Raw: "Lisa <lisa(hr)@hr-partner.example>", Address: "lisa@hr-partner.example"},
		}},
		{"comment after the at sign", "lisa@(c)hr-partner.example", []parsed{
			{Field: "to", Raw: "lisa@(c)hr-partner.example", Address: "lisa@hr-partner.example"},
		}},
		{"obs-local-part", "lisa . m @ hr-partner.example", []parsed{
			{Field: "to", Raw: "lisa . m @ hr-partner.example", Address: "lisa.m@hr-partner.example"},
		}},
		{"obs-domain", "lisa@hr-partner . example", []parsed{
			{Field: "to", Raw: "lisa@hr-partner . example", Address: "lisa@hr-partner.example"},
		}},
		{"quoted words in a local part", `"li"."sa"@hr-partner.example`, []parsed{
			{Field: "to", Raw: `"li"."sa"@hr-partner.example`, Address: "li.sa@hr-partner.example"},
		}},
		{"quoted-pair", `"li\sa"@hr-partner.example`, []parsed{
			{Field: "to", Raw: `"li\sa"@hr-partner.example`, Address: "lisa@hr-partner.example"},
		}},
		{"obs-route", "Lisa <@relay.example,@b.example:lisa@hr-partner.example>", []parsed{
			{Field: "to", Raw: "Lisa <@relay.example,@b.example:lisa@hr-partner.example>", Address: "lisa@hr-partner.example"},
		}},
		{"folding white space", "Lisa\r\n <lisa@hr-partner.example>", []parsed{
			{Field: "to", Raw: "Lisa\r\n <lisa@hr-partner.example>", Address: "lisa@hr-partner.example"},
		}},
		{"nested comments", "lisa@hr-partner.example (a (b) \\) c)", []parsed{
			{Field: "to", Raw: "lisa@hr-partner.example (a (b) \\) c)", Address: "lisa@hr-partner.example"},
		}},
		// From here on the header cannot be read whole: each item is read
		// alone and a bad one is read leniently, never dropped.
		{"one bad among good", "a@x.com, not an address, b@y.com", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "not an address", Bad: true, Unreadable: true},
			{Field: "to", Raw: "b@y.com", Address: "b@y.com"},
		}},
		{"semicolons", "a@x.com; b@y.com", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "b@y.com", Address: "b@y.com"},
		}},
		{"group among bad", "bad, Team: c@x.com, d@y.com;, e@z.com", []parsed{
			{Field: "to", Raw: "bad", Bad: true, Unreadable: true},
			{Field: "to", Raw: "c@x.com", Address: "c@x.com"},
			{Field: "to", Raw: "d@y.com", Address: "d@y.com"},
			{Field: "to", Raw: "e@z.com", Address: "e@z.com"},
		}},
		{"single-label domain is unreadable", "a@x.com, root@localhost", []parsed{
			{Field: "to", Raw: "a@x.com", Address: "a@x.com"},
			{Field: "to", Raw: "root@localhost", Bad: true, Lenient: []string{"root@localhost", "@localhost"}, Unreadable: true},
		}},
		{"address literal is unreadable", "lisa@[192.0.2.1]", []parsed{
			{Field: "to", Raw: "lisa@[192.0.2.1]", Bad: true, Unreadable: true},
		}},
		{"numeric host is unreadable", "lisa@192.0.2.1", []parsed{
			{Field: "to", Raw: "lisa@192.0.2.1", Bad: true, Lenient: []string{"lisa@192.0.2.1", "@192.0.2.1"}, Unreadable: true},
		}},
		{"address in display name", "x@y.com <a@b.com>", []parsed{
			{Field: "to", Raw: "x@y.com <a@b.com>", Bad: true, Lenient: []string{"x@y.com", "@y.com", "a@b.com", "@b.com"}},
		}},
		{"unclosed quote hides nothing", `"x, a@ok.com, s@b.com`, []parsed{
			{Field: "to", Raw: `"x, a@ok.com, s@b.com`, Bad: true, Lenient: []string{"a@ok.com", "@ok.com", "s@b.com", "@b.com"}},
		}},
		{"unclosed angle", "Anna <anna@example.com", []parsed{
			{Field: "to", Raw: "Anna <anna@example.com", Bad: true, Lenient: []string{"anna@example.com", "@example.com"}},
		}},
		{"two at signs", "a@b@example.com, c@x.com", []parsed{
			{Field: "to", Raw: "a@b@example.com", Bad: true, Lenient: []string{"a@b", "@b", "b@example.com", `"a@b"@example.com`, "@example.com"}, Unreadable: true},
			{Field: "to", Raw: "c@x.com", Address: "c@x.com"},
		}},
		{"space in address", "an na@example.com", []parsed{
			{Field: "to", Raw: "an na@example.com", Bad: true, Lenient: []string{"anna@example.com", "@example.com", "na@example.com"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := view(ParseAddressList("to", tt.header))
			if diff := cmp.Diff(tt.want, got, cmpEmpty); diff != "" {
				t.Errorf("ParseAddressList(%q) mismatch (-want +got):\n%s", tt.header, diff)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Options{
	cmp.Transformer("nilEmpty", func(s []parsed) []parsed {
		if len(s) == 0 {
			return nil
		}
		return s
	}),
	cmp.Transformer("nilEmptyKeys", func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}),
}

func TestParticipants(t *testing.T) {
	h := map[string]string{
		"From":     "Beat <beat@kunde.ch>",
		"Sender":   "assistant@kunde.ch",
		"Reply-To": "sales+reply@kunde.ch",
		"To":       "anna@acme.com",
		"Cc":       "carla@acme.ch, boss@partner.example",
		"Bcc":      "archive@acme.com",
		"Subject":  "not a participant <x@y.com>",
	}
	var got []string
	for _, p := range Participants(func(f string) string { return h[f] }) {
		if p.Err != nil {
			t.Errorf("participant %+v is malformed", p)
		}
		got = append(got, p.Field+":"+p.Address)
	}
	want := []string{
		"from:beat@kunde.ch", "sender:assistant@kunde.ch", "reply-to:sales@kunde.ch",
		"to:anna@acme.com", "cc:carla@acme.ch", "cc:boss@partner.example", "bcc:archive@acme.com",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Participants mismatch (-want +got):\n%s", diff)
	}
}

func TestDomainSuffixes(t *testing.T) {
	for addr, want := range map[string][]string{
		"a@example.com":           {"example.com"},
		"a@x.y.example.com":       {"x.y.example.com", "y.example.com", "example.com"},
		"a@xn--bcher-kva.example": {"xn--bcher-kva.example"},
	} {
		if diff := cmp.Diff(want, DomainSuffixes(addr)); diff != "" {
			t.Errorf("DomainSuffixes(%q) mismatch (-want +got):\n%s", addr, diff)
		}
	}
}

func TestLDHHostName(t *testing.T) {
	for d, want := range map[string]bool{
		"acme.example": true, "mail.kunde-1.example": true, "a.b": true, "1.2": true,
		"example": false, "Acme.example": false, "xn--bcher-kva.example": false, "ab--c.example": false,
		"-a.example": false, "a-.example": false, "a..example": false, "a.example.": false, "a_b.example": false,
		"b\u00fccher.example": false, "a b.example": false, "": false,
	} {
		if got := ldhHostName(d); got != want {
			t.Errorf("ldhHostName(%q) = %v, want %v", d, got, want)
		}
	}
}
