package policy

import (
	"net/mail"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
)

// trickyAddresses seed every fuzz target: forms people write, forms mail
// clients emit, and forms that broke parsers before.
var trickyAddresses = []string{
	"anna@example.com",
	"Anna <anna@example.com>",
	`"Muster, Anna" <Anna+crm@Example.COM>`,
	"anna@example.com (Anna)",
	"A.n.n.a+x@googlemail.com",
	"müller@bücher.example",
	"MÜLLER@BÜCHER.EXAMPLE.",
	"info@xn--bcher-kva.example",
	`"a,b"@example.com`,
	`"\"q\""@example.com`,
	`".a"@example.com`,
	`"a@b"@example.com`,
	`"a b"@example.com`,
	"a..b@example.com",
	".a@example.com",
	"a@b@example.com",
	"@example.com",
	"*@example.com",
	"example.com",
	"*.example.com",
	"anna@",
	"anna@localhost",
	"anna@[192.0.2.1]",
	"anna@-x.com",
	"anna@x_y.com",
	"anna@example..com",
	"an\u00a0na@example.com",
	"an\x00na@example.com",
	"\xff@example.com",
	"İ@example.com",
	"ß@straße.example",
	"a@ａｂｃ.example",
	"a@xn--.example",
	"a@xn--a.example",
	"+tag@example.com",
	"=?utf-8?q?Anna?= <anna@example.com>",
	"<anna@example.com",
	"anna@example.com>",
	"\"unclosed@example.com",
	"(comment) anna@example.com",
	"a@" + strings.Repeat("b", 63) + ".com",
	"a@" + strings.Repeat("b", 64) + ".com",
}

var trickyHeaders = []string{
	"",
	"undisclosed-recipients:;",
	"Team: a@x.com, b@y.com;",
	"Team: a@x.com, b@y.com;, c@z.com",
	`"Keller, Beat" <beat@kunde.ch>, anna@acme.com`,
	"a@x.com; b@y.com",
	"a@x.com,, b@y.com",
	"x@y.com <a@b.com>",
	`"x, a@ok.com, s@b.com`,
	"a@x.com (unclosed, b@y.com",
	"a@x.com, <b@y.com",
	`a\, b@y.com`,
	"mailto:a@x.com",
	`"a@b": c@d.com;`,
	"a@x.com, not an address, b@y.com",
	"=?utf-8?q?x@y.com?= <a@b.com>",
	"root@localhost, a@x.com",
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range trickyAddresses {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeAddress(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("NormalizeAddress(%q): empty error message", s)
			}
			return
		}
		again, err := NormalizeAddress(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeAddress(%q) = %q, but NormalizeAddress(%q) = %q, %v", s, n, n, again, err)
		}
		if !utf8.ValidString(n) || strings.Count(DomainOf(n), "@") > 0 || DomainOf(n) != strings.ToLower(DomainOf(n)) {
			t.Fatalf("NormalizeAddress(%q) = %q is not a normalized address", s, n)
		}
		// A normalized address read as an entry is that address ('*' has its
		// own meaning in entries).
		e, err := ParseEntry(n)
		if err == nil && !strings.Contains(n, "*") && (e.Kind != KindAddress || e.Value != n) {
			t.Fatalf("ParseEntry(%q) = %#v, want the address itself", n, e)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range trickyAddresses {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEntry(s)
		if err != nil {
			if discreet.ErrorCode(err) != discreet.EInvalid || discreet.ErrorMessage(err) == "" {
				t.Fatalf("ParseEntry(%q): error %v is not a readable invalid_argument", s, err)
			}
			return
		}
		again, err := ParseEntry(e.String())
		if err != nil || again != e {
			t.Fatalf("ParseEntry(%q) = %#v, but ParseEntry(%q) = %#v, %v", s, e, e.String(), again, err)
		}
		switch e.Kind {
		case KindAddress:
			if n, err := NormalizeAddress(s); err != nil || n != e.Value {
				t.Fatalf("ParseEntry(%q) = %q, but NormalizeAddress gives %q, %v", s, e.Value, n, err)
			}
			if strings.Contains(e.Value, "*") {
				t.Fatalf("ParseEntry(%q) = %q holds a '*'", s, e.Value)
			}
		case KindDomain:
			if e.Value == "" || strings.ContainsAny(e.Value, "@* ") {
				t.Fatalf("ParseEntry(%q) = bad domain %q", s, e.Value)
			}
		default:
			t.Fatalf("ParseEntry(%q) kind %d", s, e.Kind)
		}
		// The entry matches what it names.
		probe := e.Value
		if e.Kind == KindDomain {
			probe = "someone@" + e.Value
		}
		if n, err := NormalizeAddress(probe); err == nil && n == probe {
			if got, ok := Compile([]Entry{e}).Match(probe); !ok || got != e {
				t.Fatalf("entry %q does not match %q (got %v, %v)", e, probe, got, ok)
			}
		}
	})
}

// plainLocal turns arbitrary bytes into a dot-atom local part, so the
// constructed header item is a well-formed address whatever the fuzzer
// picks.
func plainLocal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 20; i++ {
		b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[int(s[i])%36])
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// FuzzParseAddressList checks, for any header, that participants are well
// formed or reported with lenient keys or as unreadable, that a header
// net/mail reads whole is read the same, and that no well-formed address
// placed next to arbitrary text (unbalanced quotes, brackets, comments,
// groups, escapes) ever vanishes: it comes back as a participant's Address
// or lenient key.
func FuzzParseAddressList(f *testing.F) {
	for i, h := range trickyHeaders {
		f.Add(h, "anna", "beat")
		f.Add(h, trickyAddresses[i%len(trickyAddresses)], "")
	}
	for _, a := range trickyAddresses {
		f.Add(a, "c", "d")
	}
	f.Fuzz(func(t *testing.T, garbage, l1, l2 string) {
		check(t, garbage, ParseAddressList("cc", garbage))

		first, last := plainLocal(l1)+"@first.example", plainLocal(l2)+"@sub.last.example"
		header := first + ", " + garbage + ", " + last
		ps := ParseAddressList("cc", header)
		check(t, header, ps)
		for _, want := range []string{first, last} {
			found := false
			for _, p := range ps {
				found = found || p.Address == want || slices.Contains(p.Lenient, want)
			}
			if !found {
				t.Fatalf("ParseAddressList(%q) lost %s: %+v", header, want, ps)
			}
		}
	})
}

// check asserts the invariants of any ParseAddressList result.
func check(t *testing.T, header string, ps []Participant) {
	t.Helper()
	for _, p := range ps {
		if p.Field != "cc" || p.Raw == "" {
			t.Fatalf("ParseAddressList(%q): participant %+v lacks field or raw text", header, p)
		}
		if p.Err == nil && p.Address == "" {
			t.Fatalf("ParseAddressList(%q): well-formed participant %+v has no address", header, p)
		}
		if p.Address != "" {
			if n, err := normalizeAgain(p.Address); err != nil || n != p.Address {
				t.Fatalf("ParseAddressList(%q): address %q is not normalized (%q, %v)", header, p.Address, n, err)
			}
			if p.Err != nil || len(p.Lenient) > 0 || p.Unreadable {
				t.Fatalf("ParseAddressList(%q): participant %+v with an address is also malformed", header, p)
			}
		} else if len(p.Lenient) == 0 && !p.Unreadable {
			t.Fatalf("ParseAddressList(%q): participant %+v can be neither matched nor refused", header, p)
		}
		for _, k := range p.Lenient {
			if strings.Count(k, "@") != 1 && !strings.HasPrefix(k, `"`) || !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) {
				t.Fatalf("ParseAddressList(%q): lenient key %q of %+v is not address-shaped", header, k, p)
			}
		}
	}
	list, err := mail.ParseAddressList(header)
	if err != nil || strings.TrimSpace(header) == "" {
		// Text beyond separators and white space that neither reader reads
		// whole is a participant (lenient or unreadable), never nothing.
		text := strings.ContainsFunc(header, func(r rune) bool { return r > ' ' && !strings.ContainsRune(",;:", r) })
		if _, ours := readAddressList(header); text && len(ps) == 0 && ours != nil {
			t.Fatalf("ParseAddressList(%q): a header neither reader reads whole gave no participant at all", header)
		}
		return
	}
	// net/mail reads a subset of what RFC 5322 allows; on that subset the
	// two readers agree.
	if len(ps) != len(list) {
		t.Fatalf("ParseAddressList(%q) = %d participants, net/mail reads %d", header, len(ps), len(list))
	}
	for i, a := range list {
		n, err := normalizeSpec(a.Address)
		if err == nil && (ps[i].Address != n || ps[i].Err != nil) || err != nil && ps[i].Err == nil && !strings.Contains(ps[i].Address, `"`) {
			t.Fatalf("ParseAddressList(%q)[%d] = %+v, net/mail reads %q (%q, %v)", header, i, ps[i], a.Address, n, err)
		}
	}
}

// normalizeAgain normalizes a normalized address, whose local part may be
// quoted.
func normalizeAgain(addr string) (string, error) {
	if !strings.HasPrefix(addr, `"`) {
		return normalizeSpec(addr)
	}
	mb, err := readMailbox(addr)
	if err != nil {
		return "", err
	}
	return normalizeParts(mb.local, mb.domain)
}

// FuzzDecide checks the rule that matters most: an email is never logged
// when any participant matches an entry of the org or the personal list.
// The entry's own address (or an address at its domain) is always added to
// the header, next to arbitrary text, so every run exercises a match.
func FuzzDecide(f *testing.F) {
	for i, h := range trickyHeaders {
		f.Add(h, trickyAddresses[i%len(trickyAddresses)], false, false, true)
		f.Add(h, "@competitor.example", true, true, false)
	}
	f.Fuzz(func(t *testing.T, header, pattern string, personal, toggle, defaultLog bool) {
		internal, _ := NewDomains([]string{"acme.com"})
		in := Input{
			Toggle:     &toggle,
			DefaultLog: defaultLog,
			Internal:   internal,
			Org:        Compile(nil),
		}
		e, err := ParseEntry(pattern)
		list := Compile(nil)
		if err == nil {
			list = Compile([]Entry{e})
			probe := e.Value
			if e.Kind == KindDomain {
				probe = "spy@mail." + e.Value
			}
			local, _, _ := strings.Cut(probe, "@")
			if isDotAtom(local) {
				header += ", " + probe
			}
		}
		if personal {
			in.Personal = list
		} else {
			in.Org = list
		}
		in.Participants = append(ParseAddressList("from", "anna@acme.com"), ParseAddressList("to", header)...)
		d := Decide(in)

		var matched string
		for _, p := range in.Participants {
			if p.Address != "" && err == nil && naiveMatches(e, p.Address) {
				matched = p.Address
				break
			}
		}
		if matched != "" && (d.Logged || d.Reason != discreet.ReasonNeverLogList) {
			t.Fatalf("participant %q matches entry %q but Decide = %+v (header %q)", matched, e, d, header)
		}
		if d.Reason == discreet.ReasonNeverLogList && (d.Logged || d.Entry == "" || d.Address == "") {
			t.Fatalf("never_log_list decision without entry or address: %+v", d)
		}
		if d.Logged && (len(d.Contacts) == 0 || !d.Visibility.Valid()) {
			t.Fatalf("logged without contacts or visibility: %+v", d)
		}
		for _, c := range d.Contacts {
			if err == nil && naiveMatches(e, c) {
				t.Fatalf("contact %q matches entry %q: %+v", c, e, d)
			}
			if internal.Covers(c) {
				t.Fatalf("contact %q is internal: %+v", c, d)
			}
		}
	})
}

// naiveMatches is the Never Log rule read straight from PRODUCT.md.
func naiveMatches(e Entry, addr string) bool {
	if e.Kind == KindAddress {
		return addr == e.Value
	}
	d := DomainOf(addr)
	return d == e.Value || strings.HasSuffix(d, "."+e.Value)
}

// FuzzContentAddresses: the shortcut for plain headers reads exactly what
// the frozen reading does, so no email's fingerprint depends on which of
// the two read it.
func FuzzContentAddresses(f *testing.F) {
	for _, s := range trickyAddresses {
		f.Add(s)
	}
	for _, s := range []string{
		"Urs Huber <kunde@zurich-bank.example>, carla@acme-ch.example",
		"a@x.example,b@y.example", "a@x.example,, b@y.example", "a@localhost", "x@10.0.0.1",
		"=?bogus?q?x?= <a@b.example>", "Anna\t<A.Nna+x@GoogleMail.com>", "<a@b.example>", " <a@b.example> ",
		"a@b.example>", "a<a@b.example>", "a@@b.example", "a@b..example", ".a@b.example",
		`"Keller, Beat" <beat@acme-ch.example>, "" <a@b.example>`, `"a" "b" <a@b.example>`, `"=?utf-8?q?x?=" <a@b.example>`, `"unclosed <a@b.example>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		fast, ok := contentPlain(header)
		slow := contentRead(header)
		if ok && !slices.Equal(fast, slow) {
			t.Fatalf("ContentAddresses(%q): the shortcut reads %+v, the reading %+v", header, fast, slow)
		}
		if got := ContentAddresses(header); !slices.Equal(got, slow) {
			t.Fatalf("ContentAddresses(%q) = %+v, the reading %+v", header, got, slow)
		}
	})
}

// FuzzLDHHostName: a domain ldhHostName takes as it is, the IDNA profile
// takes as it is too.
func FuzzLDHHostName(f *testing.F) {
	for _, s := range []string{"acme.example", "a.b", "xn--bcher-kva.example", "ab--c.example", "abc--d.example", "-a.example",
		"a-.example", "a..example", ".a.example", "a.example.", "Acme.example", "a_b.example", "1.2", strings.Repeat("a", 63) + ".example",
		strings.Repeat("a", 64) + ".example", strings.Repeat("a.", 126) + "ab", "b\u00fccher.example", "a b.example", "example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if !ldhHostName(d) {
			return
		}
		if a, err := idnaProfile.ToASCII(d); err != nil || a != d {
			t.Fatalf("ldhHostName(%q) but ToASCII = %q, %v", d, a, err)
		}
		if !strings.Contains(d, ".") {
			t.Fatalf("ldhHostName(%q) without a dot", d)
		}
	})
}
