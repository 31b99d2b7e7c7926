package governancetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// RunRetention is the retention scenario on the store open makes, with two
// instances starting the day's sweep at once.
func RunRetention(t *testing.T, open Open) {
	t.Run("Sweep", func(t *testing.T) { testRetention(t, newEnv(t, open)) })
}

func (e *env) logAs(t *testing.T, v discreet.Visibility, to ...string) discreet.Email {
	t.Helper()
	res, err := e.a.LogEmail(e.ctx, e.rep, service.LogRequest{Raw: e.raw(e.rep.Email, to...), Visibility: v, Log: ptr(true)})
	if err != nil || res.Email == nil {
		t.Fatalf("LogEmail to %v: %+v, %v", to, res.Decision, err)
	}
	return res.Email.Email
}

// testRetention: the setting is validated; its preview counts what it
// would delete (held emails apart) before it is saved; owners see what of
// theirs expires within 30 days; the day's sweep, started by two instances
// at once, is one job that deletes each expired email once, keeps the held
// one (audited), and changes nothing when started again.
func testRetention(t *testing.T, e *env) {
	ctx := e.ctx
	oldPublic := e.logAs(t, discreet.VisibilityPublic, lisa)
	oldPrivate := e.logAs(t, discreet.VisibilityPrivate, lisa)
	heldPrivate := e.logAs(t, discreet.VisibilityPrivate, bob)
	e.clock.Add(40 * 24 * time.Hour)
	recent := e.logAs(t, discreet.VisibilityPrivate, lisa)
	if _, err := e.a.CreateLegalHold(ctx, e.admin, service.HoldRequest{Contact: bob, Reason: "case"}); err != nil {
		t.Fatal(err)
	}

	org, err := e.a.OrgSettings(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []discreet.Retention{{Private: "P30"}, {Private: "30 days"}, {Teams: map[string]discreet.RetentionPeriods{"de": {Team: "PT1H"}}}} {
		o := org
		o.Retention = bad
		if _, err := e.a.PutOrgSettings(ctx, e.admin, o); discreet.ErrorCode(err) != discreet.EInvalid {
			t.Fatalf("retention %+v: %v, want invalid", bad, err)
		}
		if _, err := e.a.PreviewRetention(ctx, e.admin, bad); discreet.ErrorCode(err) != discreet.EInvalid {
			t.Fatalf("preview of %+v: %v, want invalid", bad, err)
		}
	}
	policy := discreet.Retention{Private: "P30D", Public: "P1Y", Teams: map[string]discreet.RetentionPeriods{"ch": {Private: "P1D"}}}
	if _, err := e.a.PreviewRetention(ctx, e.rep, policy); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep's preview: %v", err)
	}
	p, err := e.b.PreviewRetention(ctx, e.admin, policy)
	if err != nil {
		t.Fatal(err)
	}
	if want := (service.RetentionCounts{Expired: 1, Held: 1, ExpiringSoon: 1}); p.Effect != want || p.Current != (service.RetentionCounts{}) {
		t.Fatalf("preview = %+v, want effect %+v and nothing now", p, want)
	}
	if x, err := e.a.ExpiringSoon(ctx, e.rep); err != nil || len(x.Emails) != 0 {
		t.Fatalf("before the setting is saved: %+v, %v", x, err)
	}
	if j, err := e.a.StartRetentionSweep(ctx, e.admin); err != nil || j != nil {
		t.Fatalf("a sweep with no retention set: %+v, %v; want none", j, err)
	}
	org.Retention = policy
	if _, err := e.a.PutOrgSettings(ctx, e.admin, org); err != nil {
		t.Fatal(err)
	}

	x, err := e.b.ExpiringSoon(ctx, e.rep)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]service.ExpiringEmail{}
	for _, m := range x.Emails {
		got[m.ID] = m
	}
	if len(got) != 3 || !got[heldPrivate.ID].Held || got[oldPrivate.ID].Held || !got[recent.ID].ExpiresAt.Equal(recent.Date.AddDate(0, 0, 30)) {
		t.Fatalf("expiring soon = %+v: want the old private (due), the held one (marked) and the recent private (in 30 days)", x)
	}
	if _, ok := got[oldPublic.ID]; ok {
		t.Fatal("a public email kept a year is listed as expiring")
	}
	if x, _ := e.a.ExpiringSoon(ctx, e.admin); len(x.Emails) != 0 {
		t.Fatalf("the admin owns none of these: %+v", x)
	}

	if _, err := e.a.StartRetentionSweep(ctx, e.rep); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep starts the sweep: %v", err)
	}
	// Cron on one instance and an admin on another start it at once.
	var wg sync.WaitGroup
	jobs := make([]*service.JobView, 2)
	errs := make([]error, 2)
	for i, start := range []struct {
		svc   *service.Service
		actor discreet.User
	}{{e.a, discreet.User{Email: service.SystemActor}}, {e.b, e.admin}} {
		wg.Go(func() { jobs[i], errs[i] = start.svc.StartRetentionSweep(ctx, start.actor) })
	}
	wg.Wait()
	for i := range jobs {
		if errs[i] != nil || jobs[i] == nil {
			t.Fatalf("start %d: %+v, %v", i, jobs[i], errs[i])
		}
	}
	if jobs[0].ID != jobs[1].ID {
		t.Fatalf("two sweeps started the same day: %s and %s", jobs[0].ID, jobs[1].ID)
	}
	job := e.runJob(t, e.b, jobs[0].ID)
	var rep struct{ Deleted, Held int }
	if err := json.Unmarshal(job.Report, &rep); err != nil || job.State != store.JobDone || rep.Deleted != 1 || rep.Held != 1 {
		t.Fatalf("sweep: %+v report %s, want 1 deleted and 1 held", job, job.Report)
	}
	if _, err := e.st.Email(ctx, oldPrivate.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("the expired email: %v, want deleted", err)
	}
	for _, keep := range []discreet.Email{oldPublic, heldPrivate, recent} {
		if _, err := e.st.Email(ctx, keep.ID); err != nil {
			t.Fatalf("email %s (%s): %v, want kept", keep.ID, keep.Visibility, err)
		}
	}
	// No copy left behind: not in the purge index, not on a timeline.
	if n, err := e.st.CountMatching(ctx, store.Match{Address: lisa}); err != nil || n != 2 {
		t.Fatalf("index: %d emails name lisa (%v), want 2 (the deleted one gone)", n, err)
	}
	page, err := e.st.Timeline(ctx, store.TimelineQuery{Contact: lisa, All: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range page.Entries {
		if en.EmailID == oldPrivate.ID {
			t.Fatal("the deleted email is still on lisa's timeline")
		}
	}
	if len(page.Entries) != 2 {
		t.Fatalf("lisa's timeline has %d entries, want 2", len(page.Entries))
	}
	if skips := e.auditOf(t, service.AuditHoldSkip); len(skips) != 1 || skips[0].EmailID != heldPrivate.ID {
		t.Fatalf("hold.skip records = %+v", skips)
	}
	if sw := e.auditOf(t, service.AuditRetention); len(sw) != 1 || sw[0].Count != 1 {
		t.Fatalf("retention.sweep records = %+v", sw)
	}
	// Started again the same day: the same, finished job; nothing more.
	again, err := e.a.StartRetentionSweep(ctx, e.admin)
	if err != nil || again.ID != jobs[0].ID || again.State != store.JobDone {
		t.Fatalf("again = %+v, %v", again, err)
	}
	if sw := e.auditOf(t, service.AuditRetention); len(sw) != 1 {
		t.Fatalf("a second start wrote another audit: %+v", sw)
	}
}
