package message_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
)

const fixtures = "../testdata/mail"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t *testing.T, raw []byte, opts message.Options) *message.Message {
	t.Helper()
	m, err := message.Parse(raw, opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

var store = message.Options{StoreBody: true, MaxBodyBytes: 64 << 10}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

type participant struct{ field, addr string }

func participants(m *message.Message) (ok []participant, bad []string) {
	for _, p := range m.Participants {
		if p.Err != nil {
			bad = append(bad, p.Field+":"+p.Raw)
			continue
		}
		ok = append(ok, participant{p.Field, p.Address})
	}
	return ok, bad
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file          string
		messageID     string
		subject       string
		date          time.Time
		participants  []participant
		malformed     int
		inReplyTo     string
		references    []string
		bodyHas       []string
		bodyHasNot    []string
		snippetPrefix string
		attachments   int
		warning       string // a substring one warning must contain
	}{
		{
			file:      "multi-recipient.eml",
			messageID: "20260303081420.4711@mail.berlin-tools.example",
			subject:   "Bestellung 2026-031: 40 Akkuschrauber",
			date:      date("2026-03-03T08:14:20Z"),
			participants: []participant{
				{"from", "einkauf@berlin-tools.example"},
				{"to", "anna@acme.example"}, {"to", "beat@acme-ch.example"}, {"to", "logistik@berlin-tools.example"},
				{"cc", "carla@acme-ch.example"}, {"cc", "buchhaltung@berlin-tools.example"},
			},
			bodyHas:       []string{"89,00 € netto", "Jörg Wagner"},
			snippetPrefix: "Hallo Frau Schmidt, hallo Herr Keller, wir bestellen",
		},
		{
			file:          "idn.eml",
			messageID:     "CAF3xq9-Zh7a@mail.zürich-bank.example",
			subject:       "Anfrage: Wartungsvertrag für 2027",
			date:          date("2026-03-04T15:02:11Z"),
			participants:  []participant{{"from", "kunde@xn--zrich-bank-9db.example"}, {"to", "beat@acme-ch.example"}},
			bodyHas:       []string{"Könnten Sie uns bis Ende März", "Verlängerung"},
			snippetPrefix: "Grüezi Herr Keller Könnten",
		},
		{
			file:          "reply-chain.eml",
			messageID:     "reply-3.8812@zurich-bank.example",
			subject:       "Re: AW: Offerte Wartungsvertrag 2027",
			date:          date("2026-03-05T09:30:00Z"),
			participants:  []participant{{"from", "kunde@zurich-bank.example"}, {"to", "beat@acme-ch.example"}, {"cc", "carla@acme-ch.example"}},
			inReplyTo:     "reply-2.7741@acme-ch.example",
			references:    []string{"initial-1.1200@zurich-bank.example", "reply-2.7741@acme-ch.example"},
			bodyHas:       []string{"Variante B", "> anbei die Offerte", ">> Könnten Sie"},
			snippetPrefix: "Danke, Herr Keller.",
		},
		{
			file:          "html-only.eml",
			messageID:     "newsletter-8842@berlin-tools.example",
			subject:       "Quartalsplanung Q2",
			date:          date("2026-03-06T08:00:00Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			bodyHas:       []string{"Hallo Anna", "April: 120 Stück", "Jörg"},
			bodyHasNot:    []string{"<p>", "<b>", "color: #333", "<title>"},
			snippetPrefix: "Hallo Anna, hier unsere",
			warning:       "text/plain",
		},
		{
			file:          "alternative.eml",
			messageID:     "CAJx+alt-99@mail.gmail.com",
			subject:       "Ihre Bestellung 2026-031 ist unterwegs",
			date:          date("2026-03-09T13:20:00Z"),
			participants:  []participant{{"from", "anna@acme.example"}, {"to", "einkauf@berlin-tools.example"}},
			bodyHas:       []string{"Sendungsnummer: 00340434161234567890.", "Viele Grüße"},
			bodyHasNot:    []string{"HTML-VERSION", "<div"},
			snippetPrefix: "Guten Tag Herr Wagner,",
		},
		{
			file:          "attachments.eml",
			messageID:     "att-5521@berlin-tools.example",
			subject:       "Rechnung 2026-0311",
			date:          date("2026-03-10T10:11:11Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			bodyHas:       []string{"Anbei die Rechnung"},
			bodyHasNot:    []string{"GEHEIM-LIEFERLISTE", "PDF"},
			snippetPrefix: "Anbei die Rechnung und die Lieferliste.",
			attachments:   2,
		},
		{
			file:          "no-message-id.eml",
			messageID:     "",
			subject:       "Kurze Frage",
			date:          date("2026-03-11T12:45:00Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			snippetPrefix: "Haben Sie die Preisliste 2026 schon?",
		},
		{
			file:          "latin1.eml",
			messageID:     "latin1-7@berlin-tools.example",
			subject:       "Maße und Gewicht",
			date:          date("2026-03-12T11:00:00Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			bodyHas:       []string{"Maße", "Geräte", "Grüße aus Köln"},
			snippetPrefix: "Sehr geehrte Frau Schmidt,",
		},
		{
			file:          "windows-1252.eml",
			messageID:     "cp1252-13@berlin-tools.example",
			subject:       "Angebot „Sommeraktion“ – 15 € Rabatt",
			date:          date("2026-03-13T08:30:00Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			bodyHas:       []string{"„Sommeraktion“: 15 € Rabatt je Gerät – gültig"},
			snippetPrefix: "Hallo Anna, unser Angebot",
			warning:       "Subject header has 8-bit bytes",
		},
		{
			file:          "bad-charset.eml",
			messageID:     "badcs-14@zurich-bank.example",
			subject:       "Offerte bestätigt",
			date:          date("2026-03-14T17:00:00Z"),
			participants:  []participant{{"from", "kunde@zurich-bank.example"}, {"to", "beat@acme-ch.example"}},
			bodyHas:       []string{"Die Offerte ist bestätigt."},
			snippetPrefix: "Die Offerte ist bestätigt.",
			warning:       "x-klingon-1",
		},
		{
			file:          "broken-boundary.eml",
			messageID:     "broken-15@berlin-tools.example",
			subject:       "Lieferschein (kaputt)",
			date:          date("2026-03-15T19:00:00Z"),
			participants:  []participant{{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}},
			bodyHas:       []string{"Der Lieferschein kommt im Anhang."},
			bodyHasNot:    []string{"AAECAwQF"},
			snippetPrefix: "Der Lieferschein kommt im Anhang.",
			attachments:   1,
			warning:       "outer-boundary",
		},
		{
			file:      "never-log.eml",
			messageID: "hr-16@acme.example",
			subject:   "Vertraulich: Personalgespräch",
			date:      date("2026-03-16T09:00:00Z"),
			participants: []participant{
				{"from", "anna@acme.example"}, {"to", "anna@hr-partner.example"}, {"cc", "einkauf@berlin-tools.example"},
			},
			snippetPrefix: "Liebe Frau Berger,",
		},
		{
			file:      "sent-bcc.eml",
			messageID: "CAGsent+17@mail.gmail.com",
			subject:   "Einladung Kundentag 2026",
			date:      date("2026-03-17T14:05:00Z"),
			participants: []participant{
				{"from", "beat@acme-ch.example"}, {"sender", "carla@acme-ch.example"},
				{"reply-to", "team-ch@acme-ch.example"}, {"to", "kunde@zurich-bank.example"},
				{"bcc", "beat@acme-ch.example"}, {"bcc", "admin@acme.example"},
			},
			snippetPrefix: "Grüezi Herr Meier,",
		},
		{
			file:      "malformed-addresses.eml",
			messageID: "malformed-18@berlin-tools.example",
			subject:   "Adressen",
			date:      date("2026-03-18T08:00:00Z"),
			participants: []participant{
				{"from", "einkauf@berlin-tools.example"}, {"to", "anna@acme.example"}, {"cc", "buchhaltung@berlin-tools.example"},
			},
			malformed:     3,
			bodyHas:       []string{"Bitte prüfen Sie die Empfänger."}, // 8-bit UTF-8 without Content-Type
			snippetPrefix: "Bitte prüfen",
		},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			m := parse(t, fixture(t, tt.file), store)
			if m.MessageID != tt.messageID {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.messageID)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if !m.Date.Equal(tt.date) || m.Date.Location() != time.UTC {
				t.Errorf("Date = %v, want %v UTC", m.Date, tt.date)
			}
			ok, bad := participants(m)
			if !slices.Equal(ok, tt.participants) {
				t.Errorf("participants = %v, want %v", ok, tt.participants)
			}
			if len(bad) != tt.malformed {
				t.Errorf("malformed = %q, want %d", bad, tt.malformed)
			}
			if m.InReplyTo != tt.inReplyTo || !slices.Equal(m.References, tt.references) {
				t.Errorf("InReplyTo, References = %q, %q; want %q, %q", m.InReplyTo, m.References, tt.inReplyTo, tt.references)
			}
			for _, s := range tt.bodyHas {
				if !strings.Contains(m.BodyText, s) {
					t.Errorf("body lacks %q:\n%s", s, m.BodyText)
				}
			}
			for _, s := range tt.bodyHasNot {
				if strings.Contains(m.BodyText, s) || strings.Contains(m.Snippet, s) {
					t.Errorf("body or snippet has %q:\n%s", s, m.BodyText)
				}
			}
			if !strings.HasPrefix(m.Snippet, tt.snippetPrefix) {
				t.Errorf("Snippet = %q, want prefix %q", m.Snippet, tt.snippetPrefix)
			}
			if m.AttachmentCount != tt.attachments || m.HasAttachments != (tt.attachments > 0) {
				t.Errorf("attachments = %d/%v, want %d", m.AttachmentCount, m.HasAttachments, tt.attachments)
			}
			if tt.warning != "" && !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, tt.warning) }) {
				t.Errorf("Warnings = %q, want one containing %q", m.Warnings, tt.warning)
			}
			if tt.warning == "" && len(m.Warnings) > 0 {
				t.Errorf("unexpected Warnings %q", m.Warnings)
			}
			for _, s := range []string{m.Subject, m.From, m.To, m.Cc, m.BodyText, m.Snippet} {
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8: %q", s)
				}
			}
		})
	}
	all, _ := filepath.Glob(filepath.Join(fixtures, "*.eml"))
	for _, f := range all {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no test case", filepath.Base(f))
		}
	}
}

// Display names are decoded, and a decoded comma stays inside quotes so the
// header still reads as one address.
func TestParseDecodedHeaders(t *testing.T) {
	m := parse(t, fixture(t, "idn.eml"), store)
	if want := `"Zürcher Privatbank, Einkauf" <kunde@zürich-bank.example>`; m.From != want {
		t.Errorf("From = %q, want %q", m.From, want)
	}
	if want := "Beat Käller <beat@acme-ch.example>"; m.To != want {
		t.Errorf("To = %q, want %q", m.To, want)
	}
	m = parse(t, fixture(t, "multi-recipient.eml"), store)
	if got := m.Addresses("to"); !slices.Equal(got, []string{"anna@acme.example", "beat@acme-ch.example", "logistik@berlin-tools.example"}) {
		t.Errorf("Addresses(to) = %q", got)
	}
	m = parse(t, fixture(t, "malformed-addresses.eml"), store)
	if got := m.Malformed(); len(got) != 3 || !strings.Contains(got[0], "lager@@") {
		t.Errorf("Malformed() = %q", got)
	}
}

func TestParseEncodedWordEdgeCases(t *testing.T) {
	tests := []struct{ header, want string }{
		{`=?utf-8?q?Keller=2C_Beat?= <beat@acme-ch.example>`, `"Keller, Beat" <beat@acme-ch.example>`},
		{`"=?utf-8?q?Keller=2C_Beat?=" <beat@acme-ch.example>`, `"Keller, Beat" <beat@acme-ch.example>`},
		{`=?utf-8?q?Say_=22hi=22?= <a@acme.example>`, `"Say \"hi\"" <a@acme.example>`},
		{`=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_Wagner?= <j@acme.example>`, `Jörg Wagner <j@acme.example>`},
		{`=?utf-8?b?!!!?= <a@acme.example>`, `=?utf-8?b?!!!?= <a@acme.example>`},
	}
	for _, tt := range tests {
		raw := "From: " + tt.header + "\r\nSubject: x\r\n\r\nhi\r\n"
		m := parse(t, []byte(raw), store)
		if m.From != tt.want {
			t.Errorf("From(%s) = %q, want %q", tt.header, m.From, tt.want)
		}
		if len(m.Participants) != 1 {
			t.Errorf("From(%s): %d participants, want 1", tt.header, len(m.Participants))
		}
	}
}

func TestParseBodyOptions(t *testing.T) {
	raw := fixture(t, "multi-recipient.eml")
	m := parse(t, raw, message.Options{StoreBody: false})
	if m.BodyText != "" {
		t.Errorf("StoreBody=false kept a body: %q", m.BodyText)
	}
	if !strings.HasPrefix(m.Snippet, "Hallo Frau Schmidt") {
		t.Errorf("Snippet without body = %q", m.Snippet)
	}
	// The € at body byte 125 and the umlauts around it put cuts inside characters.
	for n := 120; n < 160; n++ {
		m := parse(t, raw, message.Options{StoreBody: true, MaxBodyBytes: n})
		if len(m.BodyText) > n || !utf8.ValidString(m.BodyText) || !m.BodyTruncated {
			t.Fatalf("MaxBodyBytes=%d: len %d, valid %v, truncated %v", n, len(m.BodyText), utf8.ValidString(m.BodyText), m.BodyTruncated)
		}
	}
	if r := []rune(parse(t, fixture(t, "reply-chain.eml"), store).Snippet); len(r) > message.SnippetRunes+1 {
		t.Errorf("snippet is %d runes", len(r))
	}
}

// largeAttachment builds a real-looking message with a 5 MB PDF attachment
// (deterministic bytes) so the repository does not carry 7 MB of base64.
func largeAttachment(t testing.TB) []byte {
	t.Helper()
	data := make([]byte, 5<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	var b bytes.Buffer
	b.WriteString("MIME-Version: 1.0\r\n" +
		"Date: Thu, 19 Mar 2026 10:00:00 +0100\r\n" +
		"Message-ID: <big-19@zurich-bank.example>\r\n" +
		"From: Urs Meier <kunde@zurich-bank.example>\r\n" +
		"To: \"Keller, Beat\" <beat@acme-ch.example>\r\n" +
		"Subject: Vertragsunterlagen (5 MB)\r\n" +
		"Content-Type: multipart/mixed; boundary=\"big-boundary\"\r\n\r\n" +
		"--big-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Anbei die unterschriebenen Unterlagen.\r\n\r\n" +
		"--big-boundary\r\nContent-Type: application/pdf; name=\"Vertrag.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"Vertrag.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--big-boundary--\r\n")
	return b.Bytes()
}

func TestParseLargeAttachment(t *testing.T) {
	raw := largeAttachment(t)
	path := filepath.Join(t.TempDir(), "large-attachment.eml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, raw, message.Options{StoreBody: true, MaxBodyBytes: 1024})
	if m.AttachmentCount != 1 || !m.HasAttachments {
		t.Errorf("AttachmentCount = %d", m.AttachmentCount)
	}
	if m.BodyText != "Anbei die unterschriebenen Unterlagen.\n" || m.BodyTruncated {
		t.Errorf("BodyText = %q (truncated %v)", m.BodyText, m.BodyTruncated)
	}
}

func TestParseRejects(t *testing.T) {
	bigHeader := "From: a@acme.example\r\nX-Filler: " + strings.Repeat("x", message.MaxHeaderBytes) + "\r\n\r\nbody"
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", "raw: not an RFC 5322 message: it is empty"},
		{"blank", " \r\n\r\n", "raw: not an RFC 5322 message: it is empty"},
		{"prose", "Hello Anna,\nplease log this.\n", "raw: not an RFC 5322 message: the first line is not a header field"},
		{"no header", "\r\nbody only\r\n", "raw: not an RFC 5322 message: the first line is not a header field"},
		{"json", `{"raw":"RnJvbTogYUBhY21lLmV4YW1wbGU="}`, "raw: not an RFC 5322 message: it has none of"},
		{"base64", "RnJvbTogYUBhY21lLmV4YW1wbGUNClN1YmplY3Q6IHgNCg0KaGk=", "raw: not an RFC 5322 message: the first line"},
		{"header too large", bigHeader, "raw: the header block is larger than 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := message.Parse([]byte(tt.raw), store)
			var de *discreet.Error
			if !errors.As(err, &de) || de.Code != discreet.EInvalid || de.Field != "raw" {
				t.Fatalf("Parse = %v, %v; want invalid_argument on raw", m, err)
			}
			if !strings.HasPrefix(de.Message, tt.want) {
				t.Errorf("message = %q, want prefix %q", de.Message, tt.want)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"headers only", "From: a@acme.example\nSubject: nur Betreff"},
		{"mbox separator", "From a@acme.example Thu Mar 19 10:00:00 2026\nFrom: a@acme.example\nSubject: x\n\nbody\n"},
		{"bad date", "From: a@acme.example\nDate: yesterday-ish\n\nbody\n"},
		{"multipart without boundary", "From: a@acme.example\nContent-Type: multipart/mixed\n\nbody\n"},
		{"bad content type", "From: a@acme.example\nContent-Type: ;;;\n\nbody\n"},
		{"unknown encoding", "From: a@acme.example\nContent-Transfer-Encoding: x-weird\n\nbody\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, []byte(tt.raw), store)
			if len(m.Participants) == 0 || m.Participants[0].Address != "a@acme.example" {
				t.Errorf("Participants = %+v", m.Participants)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	all, _ := filepath.Glob(filepath.Join(fixtures, "*.eml"))
	for _, p := range all {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 256)
	}
	f.Add([]byte("From: =?utf-8?q?a=2C_b?= <x@y.example>\n\n"), 10)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		m, err := message.Parse(raw, message.Options{StoreBody: true, MaxBodyBytes: max})
		if err != nil {
			if discreet.ErrorCode(err) != discreet.EInvalid {
				t.Fatalf("error code %q: %v", discreet.ErrorCode(err), err)
			}
			return
		}
		limit := max
		if limit <= 0 {
			limit = message.DefaultMaxBodyBytes
		}
		if len(m.BodyText) > limit {
			t.Fatalf("body %d bytes over cap %d", len(m.BodyText), limit)
		}
		for _, s := range []string{m.Subject, m.Snippet, m.BodyText} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		_ = fmt.Sprint(m.Participants)
	})
}

// TestParseParticipantForms: every participant header is read, however
// its name and value are written, and nothing else is a participant.
func TestParseParticipantForms(t *testing.T) {
	const tail = "Subject: x\r\nMessage-ID: <forms@x.example>\r\n\r\nbody\r\n"
	type want struct{ field, key string } // key: the address, or a lenient key
	tests := []struct {
		name, head string
		want       []want
	}{
		{"From with white space before the colon, first line", "From : lisa@hr-partner.example\r\nTo: anna@acme.example\r\n",
			[]want{{"from", "lisa@hr-partner.example"}, {"to", "anna@acme.example"}}},
		{"an mbox separator is still skipped", "From lisa@hr-partner.example Mon Nov  2 10:00:00 2026\r\nFrom: kunde@x.example\r\n",
			[]want{{"from", "kunde@x.example"}}},
		{"tab before the colon", "From: kunde@x.example\r\nCc\t: lisa@hr-partner.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"a control character in the name", "From: kunde@x.example\r\nC\x00c: lisa@hr-partner.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"any case", "FROM: kunde@x.example\r\nrEsEnT-tO: lisa@hr-partner.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"resent-to", "lisa@hr-partner.example"}}},
		{"every participant field of PRODUCT.md", "From: a@x.example\r\nSender: b@x.example\r\nReply-To: c@x.example\r\nTo: d@x.example\r\n" +
			"Cc: e@x.example\r\nBcc: f@x.example\r\nResent-From: g@x.example\r\nResent-Sender: h@x.example\r\nResent-To: i@x.example\r\n" +
			"Resent-Cc: j@x.example\r\nMail-Followup-To: k@x.example\r\nMail-Reply-To: l@x.example\r\nResent-Bcc: m@x.example\r\n" +
			"Delivered-To: rep@acme.example\r\nX-Original-To: rep@acme.example\r\nReturn-Path: <bounce@x.example>\r\n",
			[]want{{"from", "a@x.example"}, {"sender", "b@x.example"}, {"reply-to", "c@x.example"}, {"to", "d@x.example"},
				{"cc", "e@x.example"}, {"bcc", "f@x.example"}, {"resent-from", "g@x.example"}, {"resent-sender", "h@x.example"},
				{"resent-to", "i@x.example"}, {"resent-cc", "j@x.example"}, {"resent-bcc", "m@x.example"},
				{"mail-followup-to", "k@x.example"}, {"mail-reply-to", "l@x.example"}}},
		{"every occurrence, each its own list", "From: kunde@x.example\r\nTo: Lisa <lisa@hr-partner.example\r\nTo: anna@acme.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"to", "lisa@hr-partner.example"}, {"to", "anna@acme.example"}}},
		{"a NUL in the value", "From: kunde@x.example\r\nCc: lisa@hr-partner.example\x00\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"a NUL smuggled in an encoded word separates", "From: kunde@x.example\r\nCc: =?utf-8?q?lisa=40hr-partner.example=00kunde=40zurich.example?=\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"a line without a colon folds into the field before it", "From: kunde@x.example\r\nCc: a@x.example,\r\nlisa@hr-partner.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "a@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"a line of white space does not end the header", "From: kunde@x.example\r\n \r\nCc: lisa@hr-partner.example\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@hr-partner.example"}}},
		{"comments and obsolete forms", "From: Lisa <lisa(hr)@hr-partner.example>\r\nCc: lisa . m @ hr-partner . example\r\n",
			[]want{{"from", "lisa@hr-partner.example"}, {"cc", "lisa.m@hr-partner.example"}}},
		{"forms only real servers accept", "From: kunde@x.example\r\nCc: lisa@mail_gw.hr-partner.example, lisa@hr-partner.example..\r\n",
			[]want{{"from", "kunde@x.example"}, {"cc", "lisa@mail_gw.hr-partner.example"}, {"cc", "lisa@hr-partner.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, []byte(tt.head+tail), store)
			ok := len(m.Participants) == len(tt.want)
			for i := 0; ok && i < len(tt.want); i++ {
				p := m.Participants[i]
				ok = p.Field == tt.want[i].field && !p.Unreadable &&
					(p.Address == tt.want[i].key || p.Address == "" && slices.Contains(p.Lenient, tt.want[i].key))
			}
			if !ok {
				t.Errorf("participants\n got %+v\nwant %q", m.Participants, tt.want)
			}
		})
	}
}

// TestParseStripsControls: C0 and C1 control characters (terminal escape
// codes) never survive into a decoded header value.
func TestParseStripsControls(t *testing.T) {
	raw := "From: =?utf-8?q?Evil=1B=5B31m?= <kunde@x.example>\r\nTo: anna@acme.example\r\n" +
		"Subject: Red \x1b[31malert\x07 =?utf-8?q?and_=C2=9B1m_more?=\r\nMessage-ID: <c@x.example>\r\n\r\nbody\r\n"
	m := parse(t, []byte(raw), store)
	for name, v := range map[string]string{"Subject": m.Subject, "From": m.From} {
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || 0x7f <= r && r < 0xa0 }) {
			t.Errorf("%s = %q keeps a control character", name, v)
		}
	}
	if m.Subject != "Red [31malert and 1m more" {
		t.Errorf("Subject = %q", m.Subject)
	}
}
