package service_test

import (
	"context"
	"fmt"
	"mime"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

// The property of the Never Log List: NO message with a listed address in
// a participant header, in any spelling, is ever logged. These tests build
// the spellings (they do not only fuzz the parser) and send each whole
// message down the real path: message.Parse and service.LogEmail.

// listed is a mailbox on the org's list, and the entry that lists it.
type listed struct {
	local, domain string
	entry         string
	byDomain      bool // the entry is the domain: subdomains are listed too
}

var listedTargets = []listed{
	{"lisa", "hr-partner.example", "@hr-partner.example", true},
	{"payroll", "mail.hr-partner.example", "@hr-partner.example", true},
	{"jürgen", "berlin-hr.example", "jürgen@berlin-hr.example", false},
	{"lisa.hr", "gmail.com", "lisa.hr@gmail.com", false},
	{"info", "bücher.example", "@bücher.example", true},
}

// choices reads spelling decisions from fuzz bytes, cyclically; with no
// bytes every decision is 0, the plain form.
type choices struct {
	b []byte
	i int
}

func (c *choices) pick(n int) int {
	if len(c.b) == 0 || n <= 1 {
		return 0
	}
	v := int(c.b[c.i%len(c.b)])
	c.i++
	return v % n
}

func (c *choices) flag() bool { return c.pick(4) == 0 }

// spelling is a listed address written one way, and the header line it
// sits in.
type spelling struct {
	target   listed
	field    string // the header name as written, colon included
	value    string
	first    bool // the field is the first line of the message
	describe string
}

// spell writes target in the header forms real mail and RFC 5322 allow,
// and forms only real servers accept, as c chooses.
func spell(t listed, c *choices) spelling {
	var how []string
	note := func(s string) { how = append(how, s) }

	local := t.local
	switch c.pick(3) {
	case 1:
		local = strings.ToUpper(local)
		note("upper-case local")
	case 2:
		local = strings.ToUpper(local[:1]) + local[1:]
		note("capitalized local")
	}
	if strings.ContainsRune(local, 'ü') && c.flag() {
		local = strings.ReplaceAll(local, "ü", "u\u0308")
		note("NFD local")
	}
	if t.domain == "gmail.com" && c.flag() {
		local = strings.Join(strings.Split(strings.ReplaceAll(local, ".", ""), ""), ".")
		note("gmail dots")
	}
	if c.flag() {
		local += "+crm"
		note("+tag")
	}
	switch c.pick(6) {
	case 1:
		local = `"` + local + `"`
		note("quoted local part")
	case 2:
		if strings.Contains(local, ".") {
			local = strings.ReplaceAll(local, ".", " . ")
			note("obs-local-part")
		}
	case 3:
		if strings.Contains(local, ".") {
			local = `"` + strings.ReplaceAll(local, ".", `"."`) + `"`
			note("quoted words")
		}
	case 4:
		local = mime.QEncoding.Encode("utf-8", local)
		if !strings.HasPrefix(local, "=?") {
			local = "=?utf-8?q?" + local + "?="
		}
		note("encoded-word local part")
	case 5:
		local += "(hr)"
		note("comment after the local part")
	}

	domain := t.domain
	if t.domain == "gmail.com" && c.flag() {
		domain = "googlemail.com"
		note("googlemail")
	}
	switch c.pick(4) {
	case 1:
		domain = strings.ToUpper(domain)
		note("upper-case domain")
	case 2:
		domain = strings.ReplaceAll(domain, "ü", "u\u0308")
		note("NFD domain")
	case 3:
		if strings.ContainsRune(domain, 'ü') {
			domain = "xn--bcher-kva.example"
			note("punycode")
		}
	}
	switch c.pick(4) {
	case 1:
		domain = strings.Replace(domain, "e", "ｅ", 1)
		note("fullwidth letter")
	case 2:
		domain = strings.Replace(domain, ".", "。", 1)
		note("ideographic full stop")
	case 3:
		domain = strings.Replace(domain, ".", " . ", 1)
		note("obs-domain")
	}
	if t.byDomain {
		switch c.pick(7) {
		case 1:
			domain = "mail_gw." + domain
			note("underscore label")
		case 2:
			domain = strings.Repeat("a", 70) + "." + domain
			note("label over 63 characters")
		case 3:
			domain = "x.." + domain
			note("empty label")
		case 4:
			domain = "sub." + domain
			note("subdomain")
		case 5:
			domain = ".." + domain
			note("leading dots")
		case 6:
			domain = "-x-." + domain
			note("hyphen label")
		}
	}
	switch c.pick(5) {
	case 1:
		domain += "."
		note("root dot")
	case 2:
		domain += ".."
		note("stray dots")
	case 3:
		domain += "\x00"
		note("trailing NUL")
	case 4:
		domain = "(c)" + domain
		note("comment after @")
	}
	at := "@"
	if c.flag() {
		at = " @ "
		note("CFWS around @")
	}
	addr := local + at + domain

	var value string
	switch c.pick(10) {
	case 0:
		value = addr
	case 1:
		value = "Lisa Müller <" + addr + ">"
		note("name-addr")
	case 2:
		value = `"Müller, Lisa" <` + addr + ">"
		note("quoted display name")
	case 3:
		value = mime.QEncoding.Encode("utf-8", "Müller, Lisa") + " <" + addr + ">"
		note("encoded display name")
	case 4:
		value = "HR: " + addr + ";"
		note("group")
	case 5:
		value = "Lisa <@relay.example,@b.example:" + addr + ">"
		note("obs-route")
	case 6:
		value = addr + " (Lisa, HR)"
		note("trailing comment")
	case 7:
		value = "Lisa <" + addr
		note("unclosed angle")
	case 8:
		if strings.Contains(addr, "=?") {
			value = addr // an encoded word inside an encoded word is no spelling: decoders make one pass
			break
		}
		value = mime.QEncoding.Encode("utf-8", strings.ReplaceAll(addr, " ", "")+" ")
		note("the whole address as an encoded word")
	case 9:
		value = "<" + addr + ">"
		note("angle-addr")
	}
	switch c.pick(4) {
	case 1:
		value = "kunde@zurich-bank.example, " + value
		note("after another recipient")
	case 2:
		value += "; kunde@zurich-bank.example"
		note("before another, ';'")
	case 3:
		value = "undisclosed-recipients:;, " + value
		note("after an empty group")
	}
	if i := strings.IndexByte(value, ' '); i > 0 && c.flag() {
		value = value[:i] + "\r\n\t" + value[i+1:]
		note("folded")
	}

	fields := policy.ParticipantFields
	field := fields[c.pick(len(fields))]
	first := false
	switch c.pick(6) {
	case 1:
		field += " :"
		first = true
		note("'" + field + "' as the first line")
	case 2:
		field += "\t:"
		note("tab before the colon")
	case 3:
		field = strings.ToUpper(field) + ":"
	case 4:
		field = strings.ToLower(field) + ":"
	default:
		field += ":"
	}
	return spelling{target: t, field: field, value: value, first: first, describe: strings.Join(how, ", ")}
}

// message is a whole email that names sp in its header: from a customer
// to Anna, so it would be logged but for the List.
func (sp spelling) message(n int, junk string) []byte {
	var b strings.Builder
	line := sp.field + " " + sp.value + "\r\n"
	if sp.first {
		b.WriteString(line)
	}
	b.WriteString("From: Kunde <" + kunde + ">\r\nTo: Anna Schmidt <anna@acme.example>\r\n")
	if !sp.first {
		b.WriteString(line)
	}
	if junk != "" {
		junk = strings.NewReplacer("\r", " ", "\n", " ").Replace(junk)
		b.WriteString("Cc: " + junk + "\r\n")
		b.WriteString("X-Junk: " + junk + "\r\n")
	}
	fmt.Fprintf(&b, "Subject: Payroll %d\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <spell-%d@acme.example>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nSalary details.\r\n", n, n)
	return []byte(b.String())
}

// spellingService is an org whose list holds every target's entry.
func spellingService(t testing.TB) (*service.Service, discreet.User) {
	s := newSeed(t)
	for _, p := range []string{"@hr-partner.example", "jürgen@berlin-hr.example", "lisa.hr@gmail.com", "@bücher.example"} {
		if _, err := s.svc.AddNeverLog(context.Background(), s.admin, service.AddNeverLogRequest{Pattern: p}); err != nil {
			t.Fatal(err)
		}
	}
	return s.svc, s.anna
}

// notLogged fails unless logging msg leaves nothing logged.
func notLogged(t *testing.T, svc *service.Service, anna discreet.User, msg []byte, what string) discreet.Decision {
	t.Helper()
	res, err := svc.LogEmail(context.Background(), anna, service.LogRequest{Raw: msg, Log: ptr(true)})
	if err != nil {
		return discreet.Decision{} // refused as a whole: nothing logged
	}
	if res.Decision.Logged || res.Email != nil {
		t.Fatalf("LOGGED (%s): %+v\n%s", what, res.Decision, msg)
	}
	return res.Decision
}

// TestNeverLogSpellings sends every target in every single spelling, and a
// few thousand combinations, through the whole path: each is blocked by
// the List (never merely unreadable), and nothing reaches a timeline.
func TestNeverLogSpellings(t *testing.T) {
	svc, anna := spellingService(t)
	n := 0
	try := func(sp spelling) {
		n++
		d := notLogged(t, svc, anna, sp.message(n, ""), sp.describe)
		if d.Reason != discreet.ReasonNeverLogList || d.Entry == "" {
			t.Errorf("%s: %s %q → %+v, want never_log_list", sp.describe, sp.field, sp.value, d)
		}
	}
	// Each decision alone: a byte sequence that picks option k at one
	// decision and the plain form everywhere else.
	const decisions = 24
	for _, target := range listedTargets {
		for d := range decisions {
			for k := 1; k < 12; k++ {
				b := make([]byte, decisions) // zero: the plain form
				b[d] = byte(k)
				try(spell(target, &choices{b: b}))
			}
		}
	}
	// Combinations, from a fixed pseudo-random stream.
	x := uint32(1)
	for range 3000 {
		b := make([]byte, decisions)
		for i := range b {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b[i] = byte(x)
		}
		try(spell(listedTargets[int(x>>8)%len(listedTargets)], &choices{b: b}))
	}
	// Nothing was logged, so nothing names the customer either.
	if _, err := svc.Contact(context.Background(), anna, kunde); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Errorf("the customer became a contact: %v", err)
	}
	t.Logf("%d messages", n)
}

// FuzzNeverLogSpellings: for any choice of spelling and any junk beside it
// in the header, the message is not logged.
//
//	go test -run='^$' -fuzz=FuzzNeverLogSpellings -fuzztime=60s ./service
func FuzzNeverLogSpellings(f *testing.F) {
	for _, seed := range []string{"", "\x01\x02\x03\x04\x05", "\x07\x07\x07\x07", "\xff\x10\x20\x30\x40\x50\x60\x70"} {
		f.Add([]byte(seed), uint8(0), "")
		f.Add([]byte(seed), uint8(2), `"unclosed, (comment, <angle`)
	}
	// One org for the whole run: nothing it is given is ever logged, so
	// it never changes.
	svc, anna := spellingService(f)
	n := 0
	f.Fuzz(func(t *testing.T, b []byte, which uint8, junk string) {
		sp := spell(listedTargets[int(which)%len(listedTargets)], &choices{b: b})
		n++
		notLogged(t, svc, anna, sp.message(n, junk), sp.describe+" with junk "+fmt.Sprintf("%q", junk))
	})
}
