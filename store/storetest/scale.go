package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// RunScale checks what a fleet at scale relies on: AppendAudit creates a
// record only if its id is absent (the service derives read audits' ids
// from viewer, email and day); and a body is cut below the document limit
// with a marker, never dropped.
func RunScale(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AuditIfAbsent", func(t *testing.T) { testAuditIfAbsent(t, open(t)) })
	t.Run("BodyCap", func(t *testing.T) { testBodyCap(t, open(t)) })
	t.Run("LogAudit", func(t *testing.T) { testLogAudit(t, open(t)) })
}

// testLogAudit: LogEmail writes the log's audit record in the email's
// commit. Concurrent and repeated logs of one email, each with a record of
// its own, leave one email and one record: the committing log's, never
// none and never two. A log whose record cannot be written stores nothing.
func testLogAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := email("audited", "rep.de@acme.com", "de", discreet.VisibilityTeam, at(0), []string{"kunde@kunde.example"})
	record := func(id string) *discreet.AuditRecord {
		return &discreet.AuditRecord{ID: id, At: at(1), Actor: "rep.de@acme.com", Action: discreet.AuditLog, EmailID: e.ID,
			EmailOwner: "rep.de@acme.com", Detail: map[string]string{"visibility": "team"}}
	}
	const n = 20
	var wg sync.WaitGroup
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, created[i], errs[i] = s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: policy.EmailAudience(e), Audit: record(fmt.Sprintf("log-%02d", i))})
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		must(t, errs[i], "concurrent LogEmail")
		if created[i] {
			if winner >= 0 {
				t.Fatalf("logs %d and %d both created the email", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no log created the email")
	}
	// A retry (the email exists) writes no record.
	_, again, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: policy.EmailAudience(e), Audit: record("log-retry")})
	must(t, err, "LogEmail again")
	if again {
		t.Fatal("a retried log created the email again")
	}
	logs := func() []discreet.AuditRecord {
		all, _, err := s.Audit(ctx, store.AuditQuery{Limit: 1000})
		must(t, err, "Audit")
		var out []discreet.AuditRecord
		for _, r := range all {
			if r.Action == discreet.AuditLog {
				out = append(out, r)
			}
		}
		return out
	}
	if got := logs(); len(got) != 1 || got[0].ID != fmt.Sprintf("log-%02d", winner) || got[0].EmailID != e.ID || got[0].EmailOwner != "rep.de@acme.com" {
		t.Fatalf("audit records of the log: %+v, want log-%02d alone", got, winner)
	}

	// The record's id is taken: the log fails whole, the email is not stored.
	other := email("unaudited", "rep.de@acme.com", "de", discreet.VisibilityTeam, at(2), []string{"kunde@kunde.example"})
	_, _, err = s.LogEmail(ctx, store.EmailWrite{Email: other, Audience: policy.EmailAudience(other), Audit: record(fmt.Sprintf("log-%02d", winner))})
	wantCode(t, err, discreet.EConflict, "LogEmail with a taken audit id")
	if _, err := s.Email(ctx, other.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("the email of a log whose audit failed: %v, want not_found", err)
	}
	if got := logs(); len(got) != 1 {
		t.Fatalf("%d log records after a failed log, want 1", len(got))
	}
}

// testBodyCap: a 10 MiB body (what an org may let the service keep, and
// ten times what a Firestore document holds) is stored cut to
// store.MaxBodyBytes, ending with the marker; the email and its timeline
// entry are there.
func testBodyCap(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := email("big", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(0), []string{"kunde@kunde.example"})
	e.Body = strings.Repeat("Zeile mit Umlauten: äöü ✓\n", 10<<20/28)
	if len(e.Body) < 10<<20-100 {
		t.Fatalf("test body has %d bytes", len(e.Body))
	}
	got, created, err := s.LogEmail(ctx, written(e))
	must(t, err, "LogEmail with a 10 MiB body")
	if !created {
		t.Fatal("not created")
	}
	for _, g := range []discreet.Email{got, mustEmail(t, s, e.ID)} {
		if len(g.Body) > store.MaxBodyBytes || !store.BodyTruncated(g.Body) || !utf8.ValidString(g.Body) {
			t.Fatalf("stored body: %d bytes, marker %v, valid %v", len(g.Body), store.BodyTruncated(g.Body), utf8.ValidString(g.Body))
		}
		kept := g.Body[:strings.LastIndex(g.Body, "\n\n[Discreet")]
		if len(kept) < store.MaxBodyBytes-200 || !strings.HasPrefix(e.Body, kept) {
			t.Fatalf("kept %d bytes, not the body's beginning", len(kept))
		}
	}
	page, err := s.Timeline(ctx, store.TimelineQuery{Contact: e.Contacts[0], All: true, Limit: 10})
	must(t, err, "Timeline")
	if len(page.Entries) != 1 || page.Entries[0].EmailID != e.ID {
		t.Fatalf("timeline after logging a large body: %+v", page.Entries)
	}
}

func mustEmail(t *testing.T, s store.Store, id string) discreet.Email {
	t.Helper()
	e, err := s.Email(t.Context(), id)
	must(t, err, "Email")
	return e
}

// testAuditIfAbsent: concurrent appends of one id (two instances auditing
// one read) store one record; the others are conflicts, and the record is
// the first's, never overwritten.
func testAuditIfAbsent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.AppendAudit(ctx, discreet.AuditRecord{ID: "read-2026-03-02-abc", At: at(i), Actor: "carla@acme.com",
				Action: discreet.AuditRead, EmailID: "e1", EmailOwner: "beat@acme.com", Detail: map[string]string{"via": "timeline"}})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantCode(t, err, discreet.EConflict, "AppendAudit of an existing id")
	}
	if ok != 1 {
		t.Fatalf("%d of %d appends of one id succeeded, want 1", ok, n)
	}
	got, _, err := s.Audit(ctx, store.AuditQuery{Limit: 100})
	must(t, err, "Audit")
	if len(got) != 1 || got[0].ID != "read-2026-03-02-abc" {
		t.Fatalf("audit after concurrent appends of one id: %+v", got)
	}
	first := got[0].At
	if err := s.AppendAudit(ctx, discreet.AuditRecord{ID: "read-2026-03-02-abc", At: at(99), Actor: "mallory@acme.com", Action: discreet.AuditRead}); discreet.ErrorCode(err) != discreet.EConflict {
		t.Fatalf("a later append of the id: %v, want conflict", err)
	}
	got, _, err = s.Audit(ctx, store.AuditQuery{Limit: 100})
	must(t, err, "Audit")
	if len(got) != 1 || got[0].Actor != "carla@acme.com" || !got[0].At.Equal(first) {
		t.Fatalf("the record was overwritten: %+v", got)
	}
}
