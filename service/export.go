package service

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Access export (GDPR Art. 15): everything logged about an address or a
// domain as one zip archive, written as it is read: a page of emails at a
// time from the store, each email written to the archive (and so to the
// response) before the next page is read. Memory holds one page and the
// archive's directory (about a hundred bytes per file), never the archive.

// AuditExport is the audit action of an access export.
const AuditExport = "subject.export"

// exportPage is how many emails one store read returns.
const exportPage = 100

// Export is a started access export: who and what it is about, checked and
// audited; Stream writes the archive.
type Export struct {
	s        *Service
	subject  string
	match    store.Match
	contacts []discreet.Contact
	// Filename is what the archive is called for download.
	Filename string
}

// ExportSubject checks and audits an access export of subject (an address
// or "@domain"; admin only) and returns it, ready to stream. Everything
// that can be refused is refused here, before a byte of the archive is
// written.
func (s *Service) ExportSubject(ctx context.Context, actor discreet.User, subject string) (*Export, error) {
	if err := requireAdmin(actor, "export a person's data"); err != nil {
		return nil, err
	}
	e, err := policy.ParseEntry(subject)
	if err != nil {
		return nil, discreet.FieldError("address", "%s", discreet.ErrorMessage(err))
	}
	m := matchOf(e, e.String())
	n, err := s.store.CountMatching(ctx, m)
	if err != nil {
		return nil, err
	}
	x := &Export{s: s, subject: e.String(), match: m,
		Filename: "discreet-export-" + strings.NewReplacer("@", "_at_", ".", "_").Replace(strings.TrimPrefix(e.String(), "@")) + ".zip"}
	if e.Kind == policy.KindAddress {
		for _, a := range append([]string{m.Address}, m.Spellings...) {
			c, err := s.store.Contact(ctx, a)
			if err == nil {
				x.contacts = append(x.contacts, c)
			} else if !isNotFound(err) {
				return nil, err
			}
		}
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: AuditExport, Target: x.subject, Count: n}); err != nil {
		return nil, err
	}
	return x, nil
}

const exportReadme = `Discreet access export

Subject: %s
Exported: %s

This archive holds every email Discreet logged that names the subject, as
Discreet stores it (Discreet keeps a record of each logged email, not the
message Gmail delivered):

  emails/<date>-<id>.eml   the email rebuilt from the stored record: its
                           Message-ID, Date, From, To, Cc and Subject, and
                           as body the text Discreet kept. When the
                           organization logs metadata only, Discreet kept
                           no body and the .eml has none (it says so).
                           Attachments are never kept.
  emails/<date>-<id>.json  the record's metadata: who logged it, when, its
                           visibility, team, contacts and colleagues, and
                           how it was logged (button, compose, capture,
                           uploaded copy).
  contact.json             the contact record(s) for the address, if any.
`

// Stream writes the archive to w, reading the store a page at a time. An
// error after the first byte leaves w with a truncated archive, which a
// reader recognizes as broken (its directory is missing).
func (x *Export) Stream(ctx context.Context, w io.Writer) error {
	z := zip.NewWriter(w)
	now := x.s.now().UTC()
	if err := writeZipFile(z, "README.txt", now, []byte(fmt.Sprintf(exportReadme, x.subject, now.Format(time.RFC3339)))); err != nil {
		return err
	}
	if len(x.contacts) > 0 {
		b, _ := json.MarshalIndent(x.contacts, "", "  ")
		if err := writeZipFile(z, "contact.json", now, b); err != nil {
			return err
		}
	}
	for after := ""; ; {
		page, err := x.s.store.MatchingEmails(ctx, x.match, after, exportPage)
		if err != nil {
			return err
		}
		for _, e := range page {
			name := "emails/" + e.Date.UTC().Format("20060102T150405Z") + "-" + safeName(e.ID)
			if err := writeZipFile(z, name+".eml", e.Date, emlOf(e)); err != nil {
				return err
			}
			b, _ := json.MarshalIndent(exportMeta(e), "", "  ")
			if err := writeZipFile(z, name+".json", e.Date, b); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			break
		}
		after = page[len(page)-1].ID
	}
	return z.Close()
}

func writeZipFile(z *zip.Writer, name string, mod time.Time, data []byte) error {
	f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod.UTC()})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

// safeName keeps an id to the characters a file name may hold anywhere.
func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, id)
}

// exportedEmail is an email's metadata in the export.
type exportedEmail struct {
	ID         string              `json:"id"`
	MessageID  string              `json:"messageId,omitempty"`
	ThreadID   string              `json:"threadId,omitempty"`
	Subject    string              `json:"subject"`
	From       string              `json:"from"`
	To         []string            `json:"to"`
	Cc         []string            `json:"cc"`
	Date       time.Time           `json:"date"`
	Direction  discreet.Direction  `json:"direction"`
	Owner      string              `json:"loggedBy"`
	Team       string              `json:"team"`
	Visibility discreet.Visibility `json:"visibility"`
	Contacts   []string            `json:"contacts"`
	Internal   []string            `json:"colleagues"`
	Source     discreet.Source     `json:"source"`
	Uploaded   bool                `json:"uploaded"`
	LoggedAt   time.Time           `json:"loggedAt"`
	BodyKept   bool                `json:"bodyKept"`
}

func exportMeta(e discreet.Email) exportedEmail {
	return exportedEmail{ID: e.ID, MessageID: e.MessageID, ThreadID: e.ThreadID, Subject: e.Subject, From: e.From, To: e.To, Cc: e.Cc,
		Date: e.Date, Direction: e.Direction, Owner: e.Owner, Team: e.Team, Visibility: e.Visibility, Contacts: e.Contacts,
		Internal: e.Internal, Source: e.Source, Uploaded: e.Uploaded(), LoggedAt: e.LoggedAt, BodyKept: e.Body != ""}
}

// headerText makes a stored text safe as a header value: one line, and
// RFC 2047 encoded when it is not ASCII.
func headerText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// emlOf rebuilds an RFC 5322 message from a stored email.
func emlOf(e discreet.Email) []byte {
	var b strings.Builder
	h := func(name, value string) {
		if value != "" {
			b.WriteString(name + ": " + value + "\r\n")
		}
	}
	if e.MessageID != "" {
		id := headerText(e.MessageID)
		if !strings.HasPrefix(id, "<") {
			id = "<" + id + ">"
		}
		h("Message-ID", id)
	}
	if !e.Date.IsZero() {
		h("Date", e.Date.Format(time.RFC1123Z))
	}
	h("From", headerText(e.From))
	h("To", headerText(strings.Join(e.To, ", ")))
	h("Cc", headerText(strings.Join(e.Cc, ", ")))
	h("Subject", headerText(e.Subject))
	h("X-Discreet-Logged-By", headerText(e.Owner))
	h("X-Discreet-Logged-At", e.LoggedAt.UTC().Format(time.RFC3339))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	body := e.Body
	if body == "" {
		body = "[Rebuilt by Discreet from the logged record. The organization logs metadata only: no body was kept.]\n"
	}
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(body))
	_ = qp.Close()
	return []byte(b.String())
}
