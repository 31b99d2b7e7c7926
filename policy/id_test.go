package policy

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

func TestNormalizeMessageID(t *testing.T) {
	for in, want := range map[string]string{
		"<CAF=abc.DEF@mail.Gmail.COM>":    "CAF=abc.DEF@mail.gmail.com",
		"  <CAF=abc.DEF@mail.gmail.com> ": "CAF=abc.DEF@mail.gmail.com",
		"CAF=abc.DEF@mail.gmail.com":      "CAF=abc.DEF@mail.gmail.com",
		"< spaced@Example.com >":          "spaced@example.com",
		"no-at-sign":                      "no-at-sign",
		"":                                "",
	} {
		if got := NormalizeMessageID(in); got != want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLegacyEmailID(t *testing.T) {
	a := LegacyEmailID("<CAF=abc@mail.gmail.com>", "18c1")
	if b := LegacyEmailID(" CAF=abc@MAIL.gmail.com ", "other"); a != b {
		t.Errorf("the same Message-ID written two ways gives %s and %s", a, b)
	}
	if b := LegacyEmailID("<caf=abc@mail.gmail.com>", "18c1"); a == b {
		t.Error("the case-sensitive left side of a Message-ID is ignored")
	}
	if LegacyEmailID("", "18c1") != LegacyEmailID("  <>  ", " 18c1 ") {
		t.Error("the Gmail id fallback is not stable")
	}
	if LegacyEmailID("", "18c1") == LegacyEmailID("18c1", "") {
		t.Error("a Gmail id and a Message-ID with the same text collide")
	}
	if len(a) != 32 {
		t.Errorf("LegacyEmailID length %d, want 32 hex digits", len(a))
	}
	// The ids of emails already stored must never change: this is the
	// hash the stores hold (sha256("mid:a@b.example"), first 16 bytes).
	if got := LegacyEmailID("<a@B.example>", ""); got != "e38b9e1b43a7907cbabaf4fd9a06a5c2" {
		t.Errorf("LegacyEmailID changed: %s", got)
	}
}

var sampleContent = Content{
	From:     []string{"beat@acme-ch.example"},
	To:       []string{"kunde@zurich-bank.example", "carla@acme-ch.example"},
	Cc:       []string{"anna@acme.example"},
	Date:     time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
	Subject:  "Offer 2027",
	BodyHash: strings.Repeat("ab", 32),
}

// TestFingerprintSameCopies: what differs between genuine copies of one
// email (order of addresses, time zone of the date, folded subjects,
// composed or decomposed letters) does not change the fingerprint.
func TestFingerprintSameCopies(t *testing.T) {
	want := sampleContent.Fingerprint()
	for name, mod := range map[string]func(c *Content){
		"addresses in another order": func(c *Content) { c.To = []string{"carla@acme-ch.example", "kunde@zurich-bank.example"} },
		"an address twice":           func(c *Content) { c.Cc = []string{"anna@acme.example", "anna@acme.example"} },
		"an address in upper case":   func(c *Content) { c.Cc = []string{"ANNA@acme.example"} },
		"the date in UTC":            func(c *Content) { c.Date = c.Date.UTC() },
		"the date with nanoseconds":  func(c *Content) { c.Date = c.Date.Add(300 * time.Millisecond) },
		"a folded subject":           func(c *Content) { c.Subject = "Offer\t 2027 " },
		"a control in the subject":   func(c *Content) { c.Subject = "Offer\x1b 2027" },
	} {
		c := sampleContent
		mod(&c)
		if got := c.Fingerprint(); got != want {
			t.Errorf("%s changes the fingerprint", name)
		}
	}
	nfc, nfd := sampleContent, sampleContent
	nfc.Subject, nfd.Subject = "Gr\u00fcezi", "Gru\u0308ezi"
	if nfc.Fingerprint() != nfd.Fingerprint() {
		t.Error("a subject in NFD fingerprints unlike the same subject in NFC")
	}
}

// TestFingerprintOtherContent: each field of the content is in it; Bcc,
// Reply-To and the rest are not fields of Content at all.
func TestFingerprintOtherContent(t *testing.T) {
	want := sampleContent.Fingerprint()
	for name, mod := range map[string]func(c *Content){
		"another sender":           func(c *Content) { c.From = []string{"eve@evil.example"} },
		"a recipient more":         func(c *Content) { c.To = append(c.To, "eve@evil.example") },
		"a recipient moved to Cc":  func(c *Content) { c.To, c.Cc = c.To[:1], append(c.Cc, c.To[1]) },
		"no Cc":                    func(c *Content) { c.Cc = nil },
		"another second":           func(c *Content) { c.Date = c.Date.Add(time.Second) },
		"no date":                  func(c *Content) { c.Date = time.Time{} },
		"another subject":          func(c *Content) { c.Subject = "Offer 2028" },
		"another body":             func(c *Content) { c.BodyHash = strings.Repeat("cd", 32) },
		"a body where none was":    func(c *Content) { c.BodyHash = "" },
		"a subject glued together": func(c *Content) { c.Subject = "Offer2027" },
	} {
		c := sampleContent
		mod(&c)
		if c.Fingerprint() == want {
			t.Errorf("%s keeps the fingerprint", name)
		}
	}
	// Field boundaries count: an address cannot move between fields.
	a := Content{From: []string{"x@a.example"}}
	b := Content{To: []string{"x@a.example"}}
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("the same address in From and in To fingerprints alike")
	}
}

func TestIdentityKey(t *testing.T) {
	fp := sampleContent.Fingerprint()
	if IdentityKey("<a@B.example>", "gm1", fp) != IdentityKey(" a@b.example ", "gm2", fp) {
		t.Error("with a Message-ID the Gmail id must not count")
	}
	if IdentityKey("<a@b.example>", "", fp) == IdentityKey("<a@b.example>", "", strings.Repeat("0", 64)) {
		t.Error("the fingerprint does not count")
	}
	if IdentityKey("", "gm1", fp) == IdentityKey("", "gm2", fp) {
		t.Error("without a Message-ID the Gmail id must count")
	}
	if IdentityKey("", "gm1", fp) == IdentityKey("gm1", "", fp) || IdentityKey("", "", fp) == IdentityKey("", "gm1", fp) {
		t.Error("ids of different kinds collide")
	}
	key := IdentityKey("<a@b.example>", "", fp)
	if OwnCopyKey(key, "anna@acme.example") == key || OwnCopyKey(key, "anna@acme.example") == OwnCopyKey(key, "beat@acme.example") {
		t.Error("own-copy keys are not per owner")
	}
}

func TestEmailID(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	key := IdentityKey("<a@b.example>", "", sampleContent.Fingerprint())
	if a, b := EmailID(k1, key), EmailID(bytes.Clone(k1), key); a != b {
		t.Error("EmailID is not stable")
	}
	if EmailID(k1, key) == EmailID(k2, key) {
		t.Error("EmailID ignores the secret")
	}
	if EmailID(k1, key) == EmailID(k1, OwnCopyKey(key, "anna@acme.example")) {
		t.Error("an own copy has the first record's id")
	}
	if id := EmailID(k1, key); len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("EmailID %q: want 32 hex digits", id)
	}
}

func TestSameAsLegacy(t *testing.T) {
	logged := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	date := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	stored := discreet.Email{
		From: "beat@acme-ch.example", To: []string{"kunde@zurich-bank.example"}, Cc: []string{"anna@acme.example"},
		Date: date, Subject: "Offer", Body: "Dear customer,\nthe offer", Snippet: "Dear customer, the offer follows", LoggedAt: logged,
	}
	same := LegacyContent{
		From: "beat@acme-ch.example", To: []string{"kunde@zurich-bank.example"}, Cc: []string{"anna@acme.example"},
		Date: date, Subject: "Offer", Body: "Dear customer,\nthe offer follows", Snippet: "Dear customer, the offer follows",
	}
	if !SameAsLegacy(stored, same) {
		t.Fatal("the message stored (body capped) is not recognised")
	}
	for name, mod := range map[string]func(e *discreet.Email, c *LegacyContent){
		"another sender":       func(e *discreet.Email, c *LegacyContent) { c.From = "eve@evil.example" },
		"another recipient":    func(e *discreet.Email, c *LegacyContent) { c.To = []string{"eve@evil.example"} },
		"a Cc more":            func(e *discreet.Email, c *LegacyContent) { c.Cc = append(c.Cc, "eve@evil.example") },
		"another date":         func(e *discreet.Email, c *LegacyContent) { c.Date = date.Add(time.Minute) },
		"another subject":      func(e *discreet.Email, c *LegacyContent) { c.Subject = "Offer!" },
		"another body":         func(e *discreet.Email, c *LegacyContent) { c.Body = "Dear customer,\nwire the money" },
		"another snippet only": func(e *discreet.Email, c *LegacyContent) { e.Body = ""; c.Snippet = "Wire the money" },
		"no date, not logged then": func(e *discreet.Email, c *LegacyContent) {
			c.Date = time.Time{}
		},
	} {
		e, c := stored, same
		mod(&e, &c)
		if SameAsLegacy(e, c) {
			t.Errorf("%s: taken for the stored email", name)
		}
	}
	// Without a stored body the snippet decides; with neither, the header.
	e := stored
	e.Body = ""
	if !SameAsLegacy(e, same) {
		t.Error("metadata-only record with the same snippet not recognised")
	}
	e.Snippet = ""
	if !SameAsLegacy(e, same) {
		t.Error("record without body or snippet not recognised by its header")
	}
	// An unusable Date was stored as the time of logging.
	e, c := stored, same
	e.Date, c.Date = logged, time.Time{}
	if !SameAsLegacy(e, c) {
		t.Error("a message without a date, filed under its logging time, not recognised")
	}
}
