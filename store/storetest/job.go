package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunJobs runs the conformance tests of store.Jobs.
func RunJobs(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"JobCreate", testJobCreate},
		{"JobList", testJobList},
		{"JobLease", testJobLease},
		{"JobClaimConcurrent", testJobClaimConcurrent},
		{"JobDue", testJobDue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func newJob(id, startedBy string, created time.Time) store.Job {
	return store.Job{ID: id, Kind: "purge", Params: json.RawMessage(`{"pattern":"@x.example"}`), StartedBy: startedBy,
		Total: 10, CreatedAt: created, UpdatedAt: created, RunAfter: created}
}

func testJobCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Job(ctx, "j1")
	wantCode(t, err, discreet.ENotFound, "Job before any")
	big := bytes.Repeat([]byte("x"), store.MaxJobPartBytes)
	must(t, s.CreateJob(ctx, newJob("j1", "admin@acme.com", at(0)), [][]byte{[]byte("part zero"), big}), "CreateJob")
	j, err := s.Job(ctx, "j1")
	must(t, err, "Job")
	if j.ID != "j1" || j.Kind != "purge" || j.State != store.JobRunning || j.Parts != 2 || j.Total != 10 || j.StartedBy != "admin@acme.com" ||
		!j.CreatedAt.Equal(at(0)) || string(j.Params) != `{"pattern":"@x.example"}` || j.Holder != "" {
		t.Fatalf("Job = %+v", j)
	}
	p, err := s.JobPart(ctx, "j1", 0)
	must(t, err, "JobPart 0")
	if string(p) != "part zero" {
		t.Fatalf("part 0 = %q", p)
	}
	if p, err = s.JobPart(ctx, "j1", 1); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("part 1: %d bytes, %v", len(p), err)
	}
	_, err = s.JobPart(ctx, "j1", 2)
	wantCode(t, err, discreet.ENotFound, "JobPart past the end")
	wantCode(t, s.CreateJob(ctx, newJob("j1", "admin@acme.com", at(1)), nil), discreet.EConflict, "CreateJob twice")
	wantCode(t, s.CreateJob(ctx, newJob("j2", "admin@acme.com", at(1)), [][]byte{append(big, 'x')}), discreet.ETooLarge, "CreateJob with a part too large")
	if _, err := s.Job(ctx, "j2"); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("a job whose input was refused exists: %v", err)
	}
}

func testJobList(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 5 {
		by := "anna@acme.com"
		if i%2 == 1 {
			by = "admin@acme.com"
		}
		must(t, s.CreateJob(ctx, newJob(fmt.Sprintf("j%d", i), by, at(i)), nil), "CreateJob")
	}
	ids := func(js []store.Job) []string {
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		return out
	}
	var all []string
	cursor := ""
	for range 5 {
		page, next, err := s.ListJobs(ctx, store.JobQuery{Limit: 2, Cursor: cursor})
		must(t, err, "ListJobs")
		all = append(all, ids(page)...)
		if cursor = next; cursor == "" {
			break
		}
	}
	sameIDs(t, all, []string{"j4", "j3", "j2", "j1", "j0"}, "ListJobs newest first")
	annas, next, err := s.ListJobs(ctx, store.JobQuery{StartedBy: "anna@acme.com", Limit: 10})
	must(t, err, "ListJobs by starter")
	sameIDs(t, ids(annas), []string{"j4", "j2", "j0"}, "ListJobs by starter")
	if next != "" {
		t.Fatalf("a complete page has a next cursor %q", next)
	}
	_, c, _ := s.ListJobs(ctx, store.JobQuery{Limit: 1})
	_, _, err = s.ListJobs(ctx, store.JobQuery{StartedBy: "anna@acme.com", Limit: 1, Cursor: c})
	wantCode(t, err, discreet.EInvalid, "a cursor of another listing")
}

// One holder at a time; a lease that ran out is taken over, and the old
// holder can no longer save.
func testJobLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateJob(ctx, newJob("j", "admin@acme.com", at(0)), nil), "CreateJob")
	j, claim, err := s.ClaimJob(ctx, "j", "a", at(0), time.Minute)
	must(t, err, "ClaimJob a")
	if claim != store.ClaimAcquired || j.Holder != "a" || !j.LeaseUntil.Equal(at(1)) {
		t.Fatalf("ClaimJob a = %v %+v", claim, j)
	}
	if _, claim, _ = s.ClaimJob(ctx, "j", "b", at(0).Add(59*time.Second), time.Minute); claim != store.ClaimHeld {
		t.Fatalf("b claimed a leased job: %v", claim)
	}
	if _, claim, _ = s.ClaimJob(ctx, "j", "a", at(0).Add(30*time.Second), time.Minute); claim != store.ClaimAcquired {
		t.Fatalf("the holder could not renew its claim: %v", claim)
	}
	j.Checkpoint, j.Done, j.LeaseUntil = json.RawMessage(`{"pass":1}`), 4, at(2)
	must(t, s.SaveJob(ctx, j, "a"), "SaveJob by the holder")
	got, _ := s.Job(ctx, "j")
	if got.Done != 4 || string(got.Checkpoint) != `{"pass":1}` || string(got.Params) != `{"pattern":"@x.example"}` || got.Holder != "a" {
		t.Fatalf("after SaveJob: %+v", got)
	}

	// a dies; its lease runs out and b takes over from the checkpoint.
	j2, claim, err := s.ClaimJob(ctx, "j", "b", at(2), time.Minute)
	must(t, err, "ClaimJob b")
	if claim != store.ClaimAcquired || j2.Holder != "b" || j2.Done != 4 || string(j2.Checkpoint) != `{"pass":1}` {
		t.Fatalf("takeover = %v %+v", claim, j2)
	}
	j.Done = 5
	wantCode(t, s.SaveJob(ctx, j, "a"), discreet.EConflict, "SaveJob by the old holder")
	j2.Params = json.RawMessage(`{"changed":true}`)
	j2.State, j2.Done, j2.Holder, j2.Report = store.JobDone, 10, "", json.RawMessage(`{"deleted":10}`)
	must(t, s.SaveJob(ctx, j2, "b"), "SaveJob done")
	got, _ = s.Job(ctx, "j")
	if got.State != store.JobDone || got.Done != 10 || string(got.Report) != `{"deleted":10}` || string(got.Params) != `{"pattern":"@x.example"}` {
		t.Fatalf("finished job: %+v (params are fixed at creation)", got)
	}
	if _, claim, _ := s.ClaimJob(ctx, "j", "c", at(10), time.Minute); claim != store.ClaimDone {
		t.Fatalf("ClaimJob of a finished job: %v", claim)
	}
	wantCode(t, s.SaveJob(ctx, j2, "b"), discreet.EConflict, "SaveJob of a finished job")
	_, _, err = s.ClaimJob(ctx, "nope", "a", at(0), time.Minute)
	wantCode(t, err, discreet.ENotFound, "ClaimJob unknown")
}

func testJobClaimConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateJob(ctx, newJob("j", "admin@acme.com", at(0)), nil), "CreateJob")
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, claim, err := s.ClaimJob(ctx, "j", fmt.Sprintf("h%d", i), at(0), time.Minute)
			if err != nil {
				t.Errorf("ClaimJob: %v", err)
				return
			}
			if claim == store.ClaimAcquired {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d concurrent claims acquired the job, want 1", won)
	}
}

// The sweep finds running jobs nobody holds, or whose holder's lease ran
// out, once their wait is over; never finished ones.
func testJobDue(t *testing.T, s store.Store) {
	ctx := t.Context()
	waiting := newJob("waiting", "admin@acme.com", at(0))
	waiting.RunAfter = at(5)
	for _, j := range []store.Job{newJob("fresh", "admin@acme.com", at(0)), newJob("held", "admin@acme.com", at(0)), waiting, newJob("finished", "admin@acme.com", at(0))} {
		must(t, s.CreateJob(ctx, j, nil), "CreateJob "+j.ID)
	}
	held, _, err := s.ClaimJob(ctx, "held", "a", at(1), time.Minute)
	must(t, err, "ClaimJob held")
	fin, _, err := s.ClaimJob(ctx, "finished", "a", at(1), time.Minute)
	must(t, err, "ClaimJob finished")
	fin.State, fin.Holder = store.JobDone, ""
	must(t, s.SaveJob(ctx, fin, "a"), "SaveJob finished")
	due := func(now time.Time) []string {
		js, err := s.DueJobs(ctx, now, 10)
		must(t, err, "DueJobs")
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		return out
	}
	sameIDs(t, due(at(1)), []string{"fresh"}, "due at 1")
	sameIDs(t, due(at(3)), []string{"fresh", "held"}, "due at 3, after the lease")
	sameIDs(t, due(at(6)), []string{"fresh", "held", "waiting"}, "due at 6, after the wait")
	// Releasing makes a job due at once.
	held.Holder = ""
	held.LeaseUntil = time.Time{}
	// The lease ran out but nobody took it: the holder may still save.
	must(t, s.SaveJob(ctx, held, "a"), "SaveJob release after the lease")
	sameIDs(t, due(at(1)), []string{"fresh", "held"}, "due at 1 after the release")
}
