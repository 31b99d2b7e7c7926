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
		{`"a@b"@example.com`, "more than one '@'"},
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
	for _, in := range []string{"", ".", "com", "exa mple.com", "[1.2.3.4]", "-a.com", "a..com", "a_b.com", "a.com..", strings.Repeat("a", 64) + ".com"} {
		if got, err := NormalizeDomain(in); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want an error", in, got)
		}
	}
}

// participants is a comparable view of ParseAddressList's result.
type parsed struct {
	Field, Raw, Address string
	Bad                 bool
}

func view(ps []Participant) []parsed {
	var out []parsed
	for _, p := range ps {
		out = append(out, parsed{p.Field, p.Raw, p.Address, p.Err != nil})
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
		{"one", "anna@example.com", []parsed{{"to", "<anna@example.com>", "anna@example.com", false}}},
		{"display names", `Anna <Anna@Example.com>, "Keller, Beat" <beat+x@example.ch>`, []parsed{
			{"to", `"Anna" <Anna@Example.com>`, "anna@example.com", false},
			{"to", `"Keller, Beat" <beat+x@example.ch>`, "beat@example.ch", false},
		}},
		{"quoted local part", `"a,b"@example.com, c@example.com`, []parsed{
			{"to", `<"a,b"@example.com>`, `"a,b"@example.com`, false},
			{"to", "<c@example.com>", "c@example.com", false},
		}},
		{"comments", "anna@example.com (Anna, sales), beat@example.ch", []parsed{
			{"to", `"Anna, sales" <anna@example.com>`, "anna@example.com", false},
			{"to", "<beat@example.ch>", "beat@example.ch", false},
		}},
		{"empty group", "undisclosed-recipients:;", []parsed{}},
		{"group", "Team: a@x.com, b@y.com;", []parsed{
			{"to", "<a@x.com>", "a@x.com", false},
			{"to", "<b@y.com>", "b@y.com", false},
		}},
		{"group and more", "Team: a@x.com, b@y.com;, c@z.com", []parsed{
			{"to", "<a@x.com>", "a@x.com", false},
			{"to", "<b@y.com>", "b@y.com", false},
			{"to", "<c@z.com>", "c@z.com", false},
		}},
		{"idna", "Müller <müller@bücher.example>", []parsed{
			{"to", "=?utf-8?q?M=C3=BCller?= <müller@bücher.example>", "müller@xn--bcher-kva.example", false},
		}},
		// From here on net/mail cannot read the header whole: each item is
		// read alone and a bad one is reported, never dropped.
		{"one bad among good", "a@x.com, not an address, b@y.com", []parsed{
			{"to", "a@x.com", "a@x.com", false},
			{"to", "not an address", "", true},
			{"to", "b@y.com", "b@y.com", false},
		}},
		{"semicolons", "a@x.com; b@y.com", []parsed{
			{"to", "a@x.com", "a@x.com", false},
			{"to", "b@y.com", "b@y.com", false},
		}},
		{"group among bad", "bad, Team: c@x.com, d@y.com;, e@z.com", []parsed{
			{"to", "bad", "", true},
			{"to", "c@x.com", "c@x.com", false},
			{"to", "d@y.com", "d@y.com", false},
			{"to", "e@z.com", "e@z.com", false},
		}},
		{"single-label domain salvaged nothing", "a@x.com, root@localhost", []parsed{
			{"to", "<a@x.com>", "a@x.com", false},
			{"to", "<root@localhost>", "", true},
		}},
		{"address in display name", "x@y.com <a@b.com>", []parsed{
			{"to", "x@y.com <a@b.com>", "x@y.com", true},
			{"to", "x@y.com <a@b.com>", "a@b.com", true},
		}},
		{"unclosed quote hides nothing", `"x, a@ok.com, s@b.com`, []parsed{
			{"to", `"x, a@ok.com, s@b.com`, "a@ok.com", true},
			{"to", `"x, a@ok.com, s@b.com`, "s@b.com", true},
		}},
		{"unclosed angle", "Anna <anna@example.com", []parsed{
			{"to", "Anna <anna@example.com", "anna@example.com", true},
		}},
		{"two at signs", "a@b@example.com, c@x.com", []parsed{
			{"to", "a@b@example.com", "b@example.com", true},
			{"to", "c@x.com", "c@x.com", false},
		}},
		{"space in address", "an na@example.com", []parsed{
			{"to", "an na@example.com", "na@example.com", true},
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
var cmpEmpty = cmp.Transformer("nilEmpty", func(s []parsed) []parsed {
	if len(s) == 0 {
		return nil
	}
	return s
})

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
