package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// heldLogs holds LogEmail of emails with a marked subject until released:
// a request that decided on the Never Log List and has not committed yet.
type heldLogs struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (h *heldLogs) LogEmail(ctx context.Context, w store.EmailWrite) (discreet.Email, bool, error) {
	if strings.Contains(w.Email.Subject, "in flight") {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.Store.LogEmail(ctx, w)
}

func auditCount(t *testing.T, s *seed, action, target string) (n, count int) {
	t.Helper()
	p, err := s.svc.Audit(context.Background(), s.admin, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Items {
		if r.Action == action && r.Target == target {
			n++
			count = r.Count
		}
	}
	return n, count
}

// An email decided on the old list by a request in flight while the entry
// is added commits after the purge's first pass; the second pass, once
// every such request has ended, purges it. One audit record counts all.
func TestPurgeSecondPass(t *testing.T) {
	ctx := context.Background()
	held := &heldLogs{Store: openStore(t), entered: make(chan struct{}), release: make(chan struct{})}
	s := newSeedWith(t, service.Config{Store: held, DecisionWindow: time.Minute})
	for i := range 2 {
		s.logAs(t, s.beat, mail{From: fmt.Sprintf("p%d@late-spam.example", i), To: []string{s.beat.Email}}, "")
	}
	var inFlight service.LogResult
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		inFlight, err = s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: mail{From: "p9@late-spam.example", To: []string{s.beat.Email}, Subject: "in flight"}.raw()})
		if err != nil {
			t.Errorf("the request in flight: %v", err)
		}
	})
	<-held.entered // decided: logged, on the list without the entry

	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@late-spam.example", PurgeExisting: true})
	if err != nil || added.Matching != 2 || added.Purge == nil {
		t.Fatalf("add with purge: %+v, %v", added, err)
	}
	run, err := s.svc.RunJob(ctx, added.Purge.ID)
	if err != nil || run.State != store.JobRunning || !run.Wait.Equal(s.clock.Now().Add(time.Minute)) {
		t.Fatalf("first pass: %+v, %v; want a wait of one decision window", run, err)
	}
	if j, _ := s.svc.Job(ctx, s.admin, added.Purge.ID); j.Done != 2 {
		t.Fatalf("after the first pass: %+v", j)
	}
	close(held.release)
	wg.Wait()
	if !inFlight.Decision.Logged || inFlight.Email == nil {
		t.Fatalf("the request in flight did not log: %+v", inFlight)
	}
	if _, err := s.svc.Email(ctx, s.beat, inFlight.Email.ID); err != nil {
		t.Fatalf("the email in flight is not there to purge: %v", err)
	}
	// Early runs change nothing: the second pass waits for its time.
	s.clock.Add(time.Minute - time.Second)
	if run, err := s.svc.RunJob(ctx, added.Purge.ID); err != nil || run.Wait.IsZero() {
		t.Fatalf("before the second pass: %+v, %v", run, err)
	}
	job := runJob(t, s, added.Purge.ID)
	if job.State != store.JobDone || job.Done != 3 || job.Total != 3 {
		t.Fatalf("purge job: %+v, want done with 3", job)
	}
	_, err = s.svc.Email(ctx, s.beat, inFlight.Email.ID)
	wantCode(t, err, discreet.ENotFound, "")
	if n, count := auditCount(t, s, discreet.AuditPurge, "@late-spam.example"); n != 1 || count != 3 {
		t.Fatalf("%d purge audit records (count %d), want one of 3", n, count)
	}
	// Delivered again: nothing changes.
	if run, err := s.svc.RunJob(ctx, added.Purge.ID); err != nil || run.State != store.JobDone {
		t.Fatalf("running a finished job: %+v, %v", run, err)
	}
	if n, _ := auditCount(t, s, discreet.AuditPurge, "@late-spam.example"); n != 1 {
		t.Fatalf("%d purge audit records after a second run, want 1", n)
	}
}

// failingSaves fails the nth SaveJob: the instance died after a step's
// work but before its checkpoint.
type failingSaves struct {
	store.Store
	fail  int64
	calls atomic.Int64
}

func (f *failingSaves) SaveJob(ctx context.Context, j store.Job, holder string) error {
	if f.calls.Add(1) == f.fail {
		return discreet.Errorf(discreet.EUnavailable, "the instance died")
	}
	return f.Store.SaveJob(ctx, j, holder)
}

func importText(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "@%s%04d.example,note %d\n", prefix, i, i)
	}
	return b.String()
}

// A large import is a job. When the instance running it dies after a step
// added its entries but before the checkpoint, another instance takes the
// job over after the lease and adds nothing twice.
func TestImportJobTakeover(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dying := &failingSaves{Store: st, fail: 1}
	s := newSeedWith(t, service.Config{Store: dying, Instance: "dying"})
	if _, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@imp0003.example"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.svc.ImportNeverLog(ctx, s.admin, importText("imp", 450)+"@imp0003.example\n")
	if err != nil || res.Job == nil || res.Added != 0 || res.Duplicates != 2 || res.Job.Total != 449 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if _, err := s.svc.RunJob(ctx, res.Job.ID); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("the dying instance's slice: %v", err)
	}
	list, _, _ := st.NeverLog(ctx, "")
	if len(list) != 1+200 {
		t.Fatalf("%d entries after the first step, want its 200 and the one from before", len(list))
	}

	other := service.New(service.Config{Store: st, Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler), Instance: "other"})
	if run, err := other.RunJob(ctx, res.Job.ID); err != nil || !run.Held {
		t.Fatalf("another instance took the job before the lease ran out: %+v, %v", run, err)
	}
	s.clock.Add(service.DefaultJobLease)
	if ids, _ := other.DueJobs(ctx); len(ids) != 1 || ids[0] != res.Job.ID {
		t.Fatalf("due jobs after the lease: %v", ids)
	}
	for {
		run, err := other.RunJob(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !run.More {
			break
		}
	}
	job, err := other.Job(ctx, s.admin, res.Job.ID)
	if err != nil || job.State != store.JobDone || job.Done != 449 || string(job.Report) != `{"added":449,"duplicates":2}` {
		t.Fatalf("import job: %+v, %v", job, err)
	}
	list, _, _ = st.NeverLog(ctx, "")
	if len(list) != 450 {
		t.Fatalf("%d entries, want 450", len(list))
	}
	for _, e := range list {
		if e.Pattern == "@imp0007.example" && (e.Note != "note 7" || e.AddedBy != s.admin.Email) {
			t.Errorf("entry history lost: %+v", e)
		}
	}
	if n, count := auditCount(t, s, discreet.AuditNeverLogImport, ""); n != 1 || count != 449 {
		t.Fatalf("%d import audit records (count %d), want one of 449", n, count)
	}
	// A small import stays synchronous.
	res, err = s.svc.ImportNeverLog(ctx, s.admin, importText("small", 5))
	if err != nil || res.Job != nil || res.Added != 5 {
		t.Fatalf("small import: %+v, %v", res, err)
	}
}

// A large import into a database that was closed with a small list (so
// PRAGMA optimize recorded the list as small) runs through. Each entry's
// check used to scan the whole list there, and 20,000 entries held the
// one writer for minutes; this test only has to finish.
func TestLargeImportIntoReopenedStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := newSeedWith(t, service.Config{Store: st})
	if res, err := s.svc.ImportNeverLog(ctx, s.admin, importText("small", 5)); err != nil || res.Added != 5 {
		t.Fatalf("small import: %+v, %v", res, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s.svc = service.New(service.Config{Store: st, Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	const n = 20000
	res, err := s.svc.ImportNeverLog(ctx, s.admin, importText("large", n))
	if err != nil || res.Job == nil {
		t.Fatalf("import of %d entries: %+v, %v", n, res, err)
	}
	job := runJob(t, s, res.Job.ID)
	if job.State != store.JobDone || job.Done != n || string(job.Report) != fmt.Sprintf(`{"added":%d,"duplicates":0}`, n) {
		t.Fatalf("import job: %+v", job)
	}
	list, _, err := st.NeverLog(ctx, "")
	if err != nil || len(list) != n+5 {
		t.Fatalf("%d entries after the import (%v), want %d", len(list), err, n+5)
	}
}

// brokenPurges fails every purge: a store outage that does not end.
type brokenPurges struct{ store.Store }

func (brokenPurges) PurgeMatching(context.Context, store.Match, int) (store.PurgeReport, error) {
	return store.PurgeReport{}, discreet.Errorf(discreet.EUnavailable, "the store is down")
}

// A failing step backs off and tries again, and fails the job for good
// after too many failures in a row, saying why.
func TestJobFailsAfterRetries(t *testing.T) {
	ctx := context.Background()
	s := newSeedWith(t, service.Config{Store: brokenPurges{openStore(t)}})
	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@x.example", PurgeExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for range 20 {
		run, err := s.svc.RunJob(ctx, added.Purge.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.State == store.JobFailed {
			break
		}
		d := run.Wait.Sub(s.clock.Now())
		waits = append(waits, d)
		s.clock.Add(d)
	}
	job, err := s.svc.Job(ctx, s.admin, added.Purge.ID)
	if err != nil || job.State != store.JobFailed || job.Error != "the store is down" {
		t.Fatalf("job: %+v, %v", job, err)
	}
	if len(waits) != 9 || waits[0] != 2*time.Second || waits[1] != 4*time.Second || waits[8] <= waits[7] {
		t.Fatalf("back-offs %v, want 9 growing ones", waits)
	}
}

// Admins see every job; others only the jobs they started, and a 404 for
// any other.
func TestJobVisibility(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@x.example", PurgeExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := s.svc.Job(ctx, s.admin, added.Purge.ID); err != nil || j.StartedBy != s.admin.Email || j.Kind != service.JobPurge {
		t.Fatalf("admin: %+v, %v", j, err)
	}
	_, err = s.svc.Job(ctx, s.anna, added.Purge.ID)
	wantCode(t, err, discreet.ENotFound, "")
	_, err = s.svc.Job(ctx, s.admin, "nope")
	wantCode(t, err, discreet.ENotFound, "")
	if p, err := s.svc.Jobs(ctx, s.anna, 0, ""); err != nil || len(p.Items) != 0 {
		t.Fatalf("anna's jobs: %+v, %v", p, err)
	}
	if p, err := s.svc.Jobs(ctx, s.admin, 0, ""); err != nil || len(p.Items) != 1 {
		t.Fatalf("admin's jobs: %+v, %v", p, err)
	}
	_, err = s.svc.Jobs(ctx, discreet.User{}, 0, "")
	wantCode(t, err, discreet.EUnauthenticated, "")
}
