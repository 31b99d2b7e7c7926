// Package message reads an RFC 5322 message (as Gmail or a rep hands it over)
// into what Discreet logs: identity, subject, date, participants, a snippet and
// a size-capped plain-text body. Real-world mail is broken in many ways (bad
// charsets, unclosed multipart boundaries, raw 8-bit headers); Parse keeps
// going, notes each problem in Message.Warnings, and fails only when the input
// is not a message at all.
package message

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// MaxHeaderBytes is the largest header block Parse accepts; real headers,
// even with long Received chains, stay far below it.
const MaxHeaderBytes = 256 << 10

// DefaultMaxBodyBytes caps the stored body when Options.MaxBodyBytes is not
// positive; it matches the org default.
const DefaultMaxBodyBytes = 64 << 10

// SnippetRunes is the length of Message.Snippet in characters.
const SnippetRunes = 200

// maxWarnings keeps a pathological message from producing an unbounded list.
const maxWarnings = 50

// Options say what of the body to keep.
type Options struct {
	// MaxBodyBytes caps BodyText (cut on a UTF-8 boundary); <= 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int
	// StoreBody false keeps metadata and the snippet only (org setting
	// storeBodies).
	StoreBody bool
}

// Message is a parsed email. Header strings are decoded to UTF-8 (RFC 2047
// encoded words, raw 8-bit text); address headers stay parseable: a decoded
// display name that needs quoting is quoted.
type Message struct {
	// MessageID is normalized with policy.NormalizeMessageID; "" when the
	// message has none.
	MessageID string
	Subject   string
	// Date is the Date header in UTC; zero when missing or unreadable.
	Date time.Time

	From    string
	Sender  string
	ReplyTo string
	To      string
	Cc      string
	Bcc     string
	// Participants are every address of policy.ParticipantFields (From,
	// Sender, Reply-To, To, Cc, Bcc, the Resent- fields, Mail-Followup-To
	// and Mail-Reply-To), in that order; malformed ones are kept with Err
	// set and their lenient keys.
	Participants []policy.Participant

	// InReplyTo and References are normalized message ids.
	InReplyTo  string
	References []string

	// BodyText is the plain-text body (text/plain preferred, else HTML
	// stripped to text), capped at MaxBodyBytes; "" unless StoreBody.
	// Attachments are never part of it.
	BodyText string
	// BodyTruncated says the body was longer than MaxBodyBytes.
	BodyTruncated bool
	// Snippet is the start of the whitespace-collapsed body text, computed
	// whether or not the body is stored.
	Snippet string
	// BodyHash is the SHA-256 (hex) of the whole body text with line ends
	// and trailing white space normalized: the same for every copy of one
	// message whatever Options say (see Content).
	BodyHash string

	HasAttachments  bool
	AttachmentCount int

	// Automation holds the header fields that mark mail sent by a machine
	// (Auto-Submitted, List-Id, Precedence), by lower-case name, as they
	// stand: what the "automated" sensitivity rule reads.
	Automation map[string]string

	// Warnings lists what was wrong with the message but did not stop the
	// parse (bad charsets, broken multipart, unreadable date).
	Warnings []string

	// BodyAsUTF8 is the body's bytes read as UTF-8 when BodyText is
	// another reading of them; "" otherwise. Either the body is not valid
	// in its declared charset (BodyText reads it as Windows-1252, and here
	// what is not UTF-8 is U+FFFD), or it reads as UTF-8 that was labelled
	// Windows-1252 or Latin-1 ("KÃ¼ndigung"). The sensitivity rules read
	// both: otherwise "Kündigung" and a card number's no-break spaces ("Â ")
	// hide in the reading that was recorded. Never stored.
	BodyAsUTF8 string
	// SubjectAsUTF8 is the same for the Subject: a header with 8-bit bytes
	// that are not UTF-8, or an encoded word in the wrong charset.
	SubjectAsUTF8 string

	// content holds From, To, Cc and Subject as the email's identity reads
	// them (Content, LegacyContent): frozen, unlike the fields above.
	content struct {
		from, to, cc []policy.ContentAddress
		fromText     string // the From header as identity read it
		subject      string
	}
}

// Addresses returns the normalized, well-formed addresses of one participant
// field ("from", "sender", "reply-to", "to", "cc", "bcc"), in header order.
func (m *Message) Addresses(field string) []string {
	var out []string
	for _, p := range m.Participants {
		if p.Field == field && p.Err == nil && p.Address != "" {
			out = append(out, p.Address)
		}
	}
	return out
}

// Malformed returns the raw text of every participant that is not a
// readable address.
func (m *Message) Malformed() []string {
	var out []string
	for _, p := range m.Participants {
		if p.Err != nil {
			out = append(out, p.Raw)
		}
	}
	return out
}

// Content is what identifies this message beyond its Message-ID (see
// policy.Content): From, To and Cc, Date, Subject and the body's hash.
//
// Stored ids derive from it, so it does not read Participants or Subject:
// the Never Log reading of participants grows to fail closed (new forms,
// new fields) and Subject drops terminal controls, and either would give
// the next copy of an email already logged another id. From, To, Cc and
// Subject are read as when ids were first keyed on content
// (policy.ContentAddresses, header.contentList, header.contentText).
func (m *Message) Content() policy.Content {
	return policy.Content{
		From: contentTexts(m.content.from, false), To: contentTexts(m.content.to, false), Cc: contentTexts(m.content.cc, false),
		Date: m.Date, Subject: m.content.subject, BodyHash: m.BodyHash,
	}
}

// LegacyContent is this message as the service stored emails before
// content fingerprints (policy.SameAsLegacy), read as they were read then:
// the first well-formed From address (else the header's text), the
// well-formed To and Cc addresses, the Subject, and the body.
func (m *Message) LegacyContent() policy.LegacyContent {
	c := policy.LegacyContent{From: m.content.fromText, Date: m.Date, Subject: m.content.subject, Body: m.BodyText, Snippet: m.Snippet}
	if from := contentTexts(m.content.from, true); len(from) > 0 {
		c.From = from[0]
	}
	c.To = contentTexts(m.content.to, true)
	c.Cc = contentTexts(m.content.cc, true)
	return c
}

// contentTexts are the texts of as; only the well-formed ones when
// wellFormed.
func contentTexts(as []policy.ContentAddress, wellFormed bool) []string {
	var out []string
	for _, a := range as {
		if a.WellFormed || !wellFormed {
			out = append(out, a.Text)
		}
	}
	return out
}

func (m *Message) warn(format string, args ...any) {
	if len(m.Warnings) >= maxWarnings {
		return
	}
	w := sprintf(format, args...)
	for _, seen := range m.Warnings {
		if seen == w {
			return
		}
	}
	m.Warnings = append(m.Warnings, w)
}

// Parse reads raw as an RFC 5322 message. It returns an invalid_argument
// *discreet.Error when raw is not a message (empty, no header fields, or a
// header block over MaxHeaderBytes); any other problem is a warning.
func Parse(raw []byte, opts Options) (*Message, error) {
	return parse(raw, opts, true)
}

// parse is Parse; plain false skips readPlainText, for the tests that hold
// it to the full parse.
func parse(raw []byte, opts Options, plain bool) (*Message, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	m := &Message{}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a BOM some tools prepend
	// Identity was first keyed when "From : …" was taken for a separator
	// too; it still reads the message without that field (contentList).
	fromColonFirst := false
	if isMboxFromLine(raw) {
		raw = raw[bytes.IndexByte(raw, '\n')+1:]
		m.warn("skipped an mbox \"From \" separator line")
	} else {
		fromColonFirst = bytes.HasPrefix(raw, []byte("From ")) && bytes.IndexByte(raw, '\n') > 0
	}
	if err := checkHeader(raw); err != nil {
		return nil, err
	}

	root, env, err := readEnvelope(raw, plain)
	if err != nil {
		return nil, notMessage("%v", err)
	}
	h := newHeader(root.Header, raw, m.warn)
	if fromColonFirst && len(h.parsed["from"]) > 0 {
		h.parsed["from"] = h.parsed["from"][1:]
	}
	if !h.hasAny("From", "Sender", "To", "Cc", "Bcc", "Date", "Subject", "Message-ID") {
		return nil, notMessage("it has none of the From, To, Date, Subject or Message-ID header fields")
	}
	if env == nil {
		m.warn("the MIME structure could not be read; the body is kept as plain text")
	}

	m.MessageID = messageID(h.raw("Message-ID"))
	for _, name := range []string{"Auto-Submitted", "List-Id", "Precedence"} {
		if v := h.raw(name); v != "" {
			if m.Automation == nil {
				m.Automation = map[string]string{}
			}
			m.Automation[strings.ToLower(name)] = v
		}
	}
	m.Subject = h.text("Subject")
	if vs := h.fields["subject"]; len(vs) > 0 && !utf8.ValidString(vs[0]) {
		m.SubjectAsUTF8 = strings.TrimSpace(stripControls(strings.ToValidUTF8(vs[0], "\uFFFD")))
	} else {
		m.SubjectAsUTF8 = mislabelled(m.Subject)
	}
	m.content.fromText = h.contentList("From")
	m.content.from = policy.ContentAddresses(m.content.fromText)
	m.content.to, m.content.cc = policy.ContentAddresses(h.contentList("To")), policy.ContentAddresses(h.contentList("Cc"))
	m.content.subject = h.contentText("Subject")
	m.Date = parseDate(h.raw("Date"), m.warn)

	m.From, m.Sender, m.ReplyTo = h.addresses("From"), h.addresses("Sender"), h.addresses("Reply-To")
	m.To, m.Cc, m.Bcc = h.addresses("To"), h.addresses("Cc"), h.addresses("Bcc")
	for _, f := range policy.ParticipantFields {
		for _, list := range h.addressLists(f) {
			m.Participants = append(m.Participants, policy.ParseAddressList(lowerName(f), list)...)
		}
	}

	if ids := messageIDs(h.raw("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = messageIDs(h.raw("References"))

	var text string
	if env != nil {
		text = env.Text
		m.AttachmentCount = len(env.Attachments)
		for _, p := range env.Inlines {
			if p.FileName != "" || !strings.HasPrefix(p.ContentType, "text/") {
				m.AttachmentCount++
			}
		}
		for _, e := range env.Errors {
			m.warn("%s", e.Error())
		}
	} else {
		text = string(bodyOf(raw))
	}
	m.HasAttachments = m.AttachmentCount > 0

	if !utf8.ValidString(text) {
		m.BodyAsUTF8 = normalizeNewlines(strings.ToValidUTF8(text, "\uFFFD"))
	}
	text = validUTF8(text, func() { m.warn("the body is not valid in its declared charset; read as Windows-1252") })
	text = normalizeNewlines(text)
	if m.BodyAsUTF8 == "" {
		m.BodyAsUTF8 = mislabelled(text)
	}
	m.Snippet = snippet(text, SnippetRunes)
	m.BodyHash = bodyHash(text)
	if opts.StoreBody {
		m.BodyText, m.BodyTruncated = capUTF8(text, opts.MaxBodyBytes)
	}
	return m, nil
}

// readEnvelope parses the MIME structure leniently. A part with a file name
// is an attachment whatever its disposition says, so attached .txt files
// never become body text. When the structure cannot be read at all, env is
// nil and only the header is returned.
func readEnvelope(raw []byte, plain bool) (*enmime.Part, *enmime.Envelope, error) {
	if plain {
		if root, env, ok := readPlainText(raw); ok {
			return root, env, nil
		}
	}
	return readParts(raw)
}

// readParts is readEnvelope with enmime's full MIME parse.
func readParts(raw []byte) (*enmime.Part, *enmime.Envelope, error) {
	p := enmime.NewParser(
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.DisableCharacterDetection(true), // trust a declared charset over a guess
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
		enmime.MaxStoredPartErrors(maxWarnings),
	)
	root, err := p.ReadParts(bytes.NewReader(raw))
	if err != nil {
		// Fall back to the header alone; the body is then read as text.
		hdr, herr := enmime.ReadHeader(bufioReader(raw), discardErrors{})
		if herr != nil {
			return nil, nil, err
		}
		return &enmime.Part{Header: hdr}, nil, nil
	}
	_ = root.DepthMatchAll(func(part *enmime.Part) bool {
		recoverUTF8(part)
		if part.Parent != nil && part.FileName != "" && !strings.HasPrefix(part.ContentType, "multipart/") {
			part.Disposition = "attachment"
		}
		return false
	})
	env, err := p.EnvelopeFromPart(root)
	if err != nil {
		return root, nil, nil
	}
	return root, env, nil
}

// mislabelled is s's bytes read as UTF-8 when s looks like UTF-8 that was
// read as Windows-1252 or Latin-1 (a part labelled with the wrong charset:
// "KÃ¼ndigung" for "Kündigung"), else "". Only texts with Ã or Â, what the
// first byte of a Latin-1 letter or symbol in UTF-8 reads as, are tried:
// German mail has Ä, Ö, Ü and ß but seldom these, so it pays nothing.
func mislabelled(s string) string {
	if !strings.Contains(s, "Ã") && !strings.Contains(s, "Â") {
		return ""
	}
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil || b == s || !utf8.ValidString(b) {
		return ""
	}
	return b
}

// recoverUTF8 undoes enmime's reading of a us-ascii part as Windows-1252
// when the bytes were really UTF-8: mailers that omit Content-Type (RFC 2045
// default us-ascii) still write 8-bit UTF-8.
func recoverUTF8(p *enmime.Part) {
	cs := strings.ToLower(p.Charset)
	if cs != "us-ascii" && cs != "ascii" || !strings.HasPrefix(p.ContentType, "text/") || isASCII(p.Content) {
		return
	}
	b, err := charmap.Windows1252.NewEncoder().Bytes(p.Content)
	if err == nil && utf8.Valid(b) {
		p.Content = b
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// checkHeader refuses input that is not a message before the MIME parser
// sees it: empty input, a first line that is not a header field, a header
// block over MaxHeaderBytes.
func checkHeader(raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return notMessage("it is empty")
	}
	line := raw
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		line = raw[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return notMessage("the first line is not a header field (Name: value)")
	}
	for _, c := range bytes.TrimRight(line[:colon], " \t") {
		if c < 33 || c > 126 {
			return notMessage("the first line is not a header field (Name: value)")
		}
	}
	if headerLen(raw) > MaxHeaderBytes {
		return discreet.FieldError("raw", "the header block is larger than %d KiB", MaxHeaderBytes>>10)
	}
	return nil
}

func notMessage(format string, args ...any) error {
	return discreet.FieldError("raw", "not an RFC 5322 message: "+format, args...)
}

// headerLen is the length of the header block: up to the first empty line,
// or all of raw when there is none.
func headerLen(raw []byte) int {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		line := raw[i : i+j]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
		i += j + 1
	}
	return len(raw)
}

// bodyOf is everything after the header block.
func bodyOf(raw []byte) []byte {
	n := headerLen(raw)
	rest := raw[n:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		return rest[i+1:]
	}
	return nil
}

// isMboxFromLine reports an mbox separator ("From sender date") as some
// exports put before the header. "From : lisa@…" is a From field with
// white space before its colon (RFC 5322 obs-optional), not a separator.
func isMboxFromLine(raw []byte) bool {
	if !bytes.HasPrefix(raw, []byte("From ")) || bytes.IndexByte(raw, '\n') <= 0 {
		return false
	}
	rest := bytes.TrimLeft(raw[len("From "):], " \t")
	return len(rest) > 0 && rest[0] != ':'
}

// messageID extracts one id: the first <…> token, else the trimmed value.
func messageID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// messageIDs extracts the <…> ids of In-Reply-To or References (falling
// back to whitespace-separated tokens when nobody used brackets), normalized
// and without duplicates.
func messageIDs(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var toks []string
	for rest := v; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		toks = append(toks, rest[i:i+j+1])
		rest = rest[i+j+1:]
	}
	if len(toks) == 0 {
		toks = strings.Fields(v)
	}
	var out []string
	seen := map[string]bool{}
	for _, t := range toks {
		id := policy.NormalizeMessageID(t)
		if id == "" || strings.ContainsAny(id, " \t\r\n") || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// dateLayouts are forms net/mail refuses but mail clients still send.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	time.RFC3339,
}

func parseDate(v string, warn func(string, ...any)) time.Time {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return time.Time{}
	}
	// The form nearly every mailer writes, first: mail.ParseDate reads it
	// the same way, after trying (and allocating an error for) about two
	// dozen other layouts.
	if t, err := time.Parse(time.RFC1123Z, v); err == nil {
		return t.UTC()
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t.UTC()
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC()
		}
	}
	warn("the Date header %q is not a date", truncate(v, 80))
	return time.Time{}
}

// snippet is the first n characters of s with runs of white space
// collapsed to one space, "…" appended when cut.
func snippet(s string, n int) string {
	var b strings.Builder
	count := 0
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' {
			space = count > 0
			continue
		}
		if !unicode.IsPrint(r) {
			continue
		}
		if count == n {
			return strings.TrimRightFunc(b.String(), unicode.IsSpace) + "…"
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
			if count == n {
				return strings.TrimRightFunc(b.String(), unicode.IsSpace) + "…"
			}
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// capUTF8 cuts s to at most n bytes without splitting a character.
func capUTF8(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// bodyHash hashes text (line ends already normalized) without the white
// space that transports add or strip at line ends and at the end.
func bodyHash(text string) string {
	h := sha256.New()
	lines := strings.Split(strings.TrimRight(text, " \t\n"), "\n")
	for i, l := range lines {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(strings.TrimRight(l, " \t")))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func truncate(s string, n int) string {
	out, cut := capUTF8(s, n)
	if cut {
		return out + "…"
	}
	return out
}
