package governancetest

import (
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// testHolds: a hold on the subject refuses its erasure, naming the hold; a
// date-range hold keeps the emails it covers through an erasure (each
// skip audited) while the rest go; lifting is audited and lets the next
// erasure finish; a stored hold that no longer parses refuses everything.
func testHolds(t *testing.T, e *env) {
	ctx := e.ctx
	if _, err := e.a.CreateLegalHold(ctx, e.rep, service.HoldRequest{Contact: lisa, Reason: "case"}); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep places a hold: %v, want permission", err)
	}
	if _, err := e.a.CreateLegalHold(ctx, e.admin, service.HoldRequest{Contact: lisa}); discreet.ErrorCode(err) != discreet.EInvalid {
		t.Fatalf("a hold without a reason: %v, want invalid", err)
	}
	onLisa, err := e.a.CreateLegalHold(ctx, e.admin, service.HoldRequest{Contact: "Lisa@Kunde.example", Reason: "Müller v. Kunde AG"})
	if err != nil || onLisa.Contact != lisa {
		t.Fatalf("CreateLegalHold = %+v, %v", onLisa, err)
	}
	// The other instance sees it at once: holds are read, not cached.
	for _, subject := range []string{lisa, "@kunde.example"} {
		_, err := e.b.Erase(ctx, e.admin, service.ErasureRequest{Subject: subject})
		if discreet.ErrorCode(err) != discreet.EConflict || !strings.Contains(discreet.ErrorMessage(err), onLisa.ID) {
			t.Fatalf("erasing %s under a hold: %v, want conflict naming the hold", subject, err)
		}
	}
	if ts, _, _ := e.st.Tombstones(ctx); len(ts) != 0 {
		t.Fatalf("a refused erasure left tombstones %+v", ts)
	}

	// Bob: one email in a held date range, one outside it.
	old := e.log(t, e.a, bob)
	e.clock.Add(40 * 24 * time.Hour)
	recent := e.log(t, e.a, bob)
	day := old.Email.Date.UTC().Format(time.DateOnly)
	byDate, err := e.b.CreateLegalHold(ctx, e.admin, service.HoldRequest{From: day, To: day, Reason: "audit 2026"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: bob})
	if err != nil {
		t.Fatal(err)
	}
	job := e.runJob(t, e.b, res.Job.ID)
	if job.State != store.JobDone {
		t.Fatalf("erasure job = %+v", job)
	}
	if _, err := e.st.Email(ctx, old.Email.ID); err != nil {
		t.Fatalf("the held email: %v, want kept", err)
	}
	if _, err := e.st.Email(ctx, recent.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("the unheld email: %v, want erased", err)
	}
	if _, err := e.st.Contact(ctx, bob); err != nil {
		t.Fatalf("bob's contact, which a held email is on: %v, want kept", err)
	}
	skips := e.auditOf(t, service.AuditHoldSkip)
	if len(skips) != 1 || skips[0].EmailID != old.Email.ID || skips[0].Detail["hold"] != byDate.ID || skips[0].EmailOwner != e.rep.Email {
		t.Fatalf("hold.skip records = %+v, want one for the held email", skips)
	}
	if c := e.auditOf(t, service.AuditHoldCreate); len(c) != 2 {
		t.Fatalf("hold.create records = %+v, want 2", c)
	}

	// Lifting is audited; a second erasure then takes the rest.
	if _, err := e.a.LiftLegalHold(ctx, e.rep, byDate.ID); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep lifts a hold: %v", err)
	}
	if _, err := e.a.LiftLegalHold(ctx, e.admin, byDate.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.LiftLegalHold(ctx, e.admin, byDate.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("lifting twice: %v, want not_found", err)
	}
	if l := e.auditOf(t, service.AuditHoldLift); len(l) != 1 || l[0].Detail["hold"] != byDate.ID {
		t.Fatalf("hold.lift records = %+v", l)
	}
	res, err = e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: bob})
	if err != nil {
		t.Fatal(err)
	}
	e.runJob(t, e.a, res.Job.ID)
	if _, err := e.st.Email(ctx, old.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("the once-held email after the hold was lifted: %v, want erased", err)
	}
	if _, err := e.st.Contact(ctx, bob); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("bob's contact: %v, want erased", err)
	}

	// A hold stored by an older release that no longer parses holds
	// everything: no erasure of anyone goes ahead.
	if _, _, err := e.st.PutLegalHold(ctx, discreet.LegalHold{ID: "broken", Contact: "not an address", Reason: ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "z@anyone.example"}); discreet.ErrorCode(err) != discreet.EConflict {
		t.Fatalf("erasure under a broken hold: %v, want conflict", err)
	}
	hs, err := e.a.LegalHolds(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	broken := 0
	for _, h := range hs {
		if h.Broken {
			broken++
		}
	}
	if len(hs) != 2 || broken != 1 {
		t.Fatalf("LegalHolds = %+v, want lisa's and the broken one, marked", hs)
	}
}

func (e *env) auditOf(t *testing.T, action string) []discreet.AuditRecord {
	t.Helper()
	recs, _, err := e.st.Audit(e.ctx, store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []discreet.AuditRecord
	for _, r := range recs {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}
