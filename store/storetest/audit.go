package storetest

import (
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunAudits checks what makes audit records single: AppendAudit creates
// a record only if its id is absent (the service derives read audits' ids
// from viewer, email and day), and LogEmail writes the log's record in
// the email's own commit.
func RunAudits(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AppendIfAbsent", func(t *testing.T) { testAuditIfAbsent(t, open(t)) })
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
