package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// TestHomeJobs: the homepage lists the running jobs and those that failed
// lately, not the finished ones nor old failures; a rep sees only the jobs
// they started, and no org areas.
func TestHomeJobs(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	now := s.clock.Now()
	create := func(id, by string, state store.JobState, updated time.Time) {
		t.Helper()
		j := store.Job{ID: id, Kind: service.JobImport, State: store.JobRunning, StartedBy: by, CreatedAt: updated, UpdatedAt: updated}
		if err := s.store.CreateJob(ctx, j, nil); err != nil {
			t.Fatal(err)
		}
		if state == store.JobRunning {
			return
		}
		got, claim, err := s.store.ClaimJob(ctx, id, "test", now, time.Minute)
		if err != nil || claim != store.ClaimAcquired {
			t.Fatalf("claim %s: %v %v", id, claim, err)
		}
		got.State, got.UpdatedAt, got.Holder, got.Error = state, updated, "", "broken"
		if err := s.store.SaveJob(ctx, got, "test"); err != nil {
			t.Fatal(err)
		}
	}
	create("running", s.admin.Email, store.JobRunning, now.Add(-time.Hour))
	create("done", s.admin.Email, store.JobDone, now.Add(-2*time.Hour))
	create("failed-lately", s.admin.Email, store.JobFailed, now.Add(-3*time.Hour))
	create("failed-long-ago", s.admin.Email, store.JobFailed, now.Add(-service.HomeFailedJobs-time.Hour))
	create("annas", s.anna.Email, store.JobRunning, now.Add(-4*time.Hour))

	ids := func(h service.Home) []string {
		var out []string
		for _, j := range h.Jobs {
			out = append(out, j.ID)
		}
		return out
	}
	h, err := s.svc.Home(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(h), []string{"running", "failed-lately", "annas"}; !slices.Equal(got, want) || !h.Admin {
		t.Errorf("admin home: jobs %v admin %v, want %v and admin", got, h.Admin, want)
	}
	h, err = s.svc.Home(ctx, s.anna)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(h), []string{"annas"}; !slices.Equal(got, want) || h.Admin {
		t.Errorf("rep home: jobs %v admin %v, want %v and not admin", got, h.Admin, want)
	}
	h, err = s.svc.Home(ctx, s.beat)
	if err != nil || len(h.Jobs) != 0 || h.Jobs == nil {
		t.Errorf("a rep without jobs: %+v, %v; want an empty list", h, err)
	}
}
