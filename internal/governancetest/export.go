package governancetest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// RunExport is the access export scenario on the store open makes.
func RunExport(t *testing.T, open Open) {
	t.Run("Archive", func(t *testing.T) { testExport(t, newEnv(t, open)) })
}

// pagedStore counts the pages an export reads.
type pagedStore struct {
	store.Store
	pages atomic.Int32
}

func (p *pagedStore) MatchingEmails(ctx context.Context, m store.Match, after string, limit int) ([]discreet.Email, error) {
	p.pages.Add(1)
	return p.Store.MatchingEmails(ctx, m, after, limit)
}

// streamWriter records how many pages had been read when each write came.
type streamWriter struct {
	buf          bytes.Buffer
	st           *pagedStore
	pagesAtFirst int32 // pages read when the first email's bytes were written
}

func (w *streamWriter) Write(b []byte) (int, error) {
	if w.pagesAtFirst == 0 && bytes.Contains(b, []byte("emails/")) {
		w.pagesAtFirst = w.st.pages.Load()
	}
	return w.buf.Write(b)
}

// testExport: every email naming the address — and no other — is in the
// archive as a .eml a mail reader parses and as metadata JSON; an email
// logged without its body says so; the archive is written while the store
// is still being read (one page in memory, not the archive); only admins
// export, and the export is audited.
func testExport(t *testing.T, e *env) {
	ctx := e.ctx
	const n = 230 // three pages of service.exportPage (100)
	want := map[string]discreet.Email{}
	for i := range n {
		to := []string{lisa}
		if i%3 == 0 {
			to = []string{"Lisa M. <LISA@kunde.example>", bob}
		}
		r := e.log(t, e.a, to...)
		want[r.Email.ID] = r.Email.Email
	}
	e.log(t, e.a, bob) // not lisa's
	// Metadata only from here: the next email keeps no body.
	org, err := e.a.OrgSettings(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	org.StoreBodies = false
	if _, err := e.a.PutOrgSettings(ctx, e.admin, org); err != nil {
		t.Fatal(err)
	}
	bare := e.log(t, e.a, lisa)
	want[bare.Email.ID] = bare.Email.Email

	if _, err := e.a.ExportSubject(ctx, e.rep, lisa); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep's export: %v, want permission", err)
	}
	if _, err := e.a.ExportSubject(ctx, e.admin, "no address"); discreet.ErrorCode(err) != discreet.EInvalid {
		t.Fatalf("a bad address: %v, want invalid", err)
	}

	ps := &pagedStore{Store: e.st}
	svc := service.New(service.Config{Store: ps, Now: e.clock.Now, BootstrapAdmins: []string{"admin@corp.example"}, Instance: "export"})
	x, err := svc.ExportSubject(ctx, e.admin, "Lisa@Kunde.example")
	if err != nil {
		t.Fatal(err)
	}
	w := &streamWriter{st: ps}
	if err := x.Stream(ctx, w); err != nil {
		t.Fatal(err)
	}
	if total := ps.pages.Load(); total < 3 || w.pagesAtFirst != 1 {
		t.Fatalf("the first email was written after %d of %d page reads: the archive must stream, a page at a time", w.pagesAtFirst, total)
	}

	z, err := zip.NewReader(bytes.NewReader(w.buf.Bytes()), int64(w.buf.Len()))
	if err != nil {
		t.Fatalf("not a valid zip: %v", err)
	}
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	for _, name := range []string{"README.txt", "contact.json"} {
		if files[name] == nil {
			t.Fatalf("the archive has no %s", name)
		}
	}
	got := 0
	dec := new(mime.WordDecoder)
	for name, f := range files {
		if !strings.HasSuffix(name, ".eml") {
			continue
		}
		got++
		var meta struct {
			ID       string `json:"id"`
			BodyKept bool   `json:"bodyKept"`
			Subject  string `json:"subject"`
		}
		if err := json.Unmarshal(read(t, files[strings.TrimSuffix(name, ".eml")+".json"]), &meta); err != nil {
			t.Fatalf("%s: metadata: %v", name, err)
		}
		stored, ok := want[meta.ID]
		if !ok {
			t.Fatalf("%s: email %s does not name lisa", name, meta.ID)
		}
		delete(want, meta.ID)
		msg, err := mail.ReadMessage(bytes.NewReader(read(t, f)))
		if err != nil {
			t.Fatalf("%s: not a message: %v", name, err)
		}
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != stored.Subject || meta.Subject != stored.Subject {
			t.Fatalf("%s: subject %q (%v), want %q", name, subject, err, stored.Subject)
		}
		if _, err := msg.Header.AddressList("To"); err != nil {
			t.Fatalf("%s: To does not parse: %v", name, err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case meta.ID == bare.Email.ID:
			if meta.BodyKept || !strings.Contains(string(body), "no body was kept") {
				t.Fatalf("%s: an email logged without its body: %q (bodyKept %v)", name, body, meta.BodyKept)
			}
		case !meta.BodyKept || !strings.Contains(string(body), "Dear customer, offer"):
			t.Fatalf("%s: body %q, want the stored text", name, body)
		}
	}
	if got != n+1 || len(want) != 0 {
		t.Fatalf("%d emails in the archive, want %d; missing %d", got, n+1, len(want))
	}
	recs := e.auditOf(t, service.AuditExport)
	if len(recs) != 1 || recs[0].Actor != e.admin.Email || recs[0].Count != n+1 {
		t.Fatalf("export audit = %+v", recs)
	}
	if !strings.Contains(string(read(t, files["README.txt"])), fmt.Sprint(lisa)) {
		t.Fatal("the README does not name the subject")
	}
}

func read(t *testing.T, f *zip.File) []byte {
	t.Helper()
	if f == nil {
		t.Fatal("missing file")
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return b
}
