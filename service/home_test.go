package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
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

// TestHomeDecisions: the homepage carries what waits on each user: the
// owner (and the team's manager, and admins) the pending request on their
// contact; the requester their request, then its outcome for a week; both
// the grant ending within a week; the owner their own emails retention
// deletes within 30 days, and nobody else's.
func TestHomeDecisions(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Kreditlinie", Date: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}, discreet.VisibilityTeam)
	s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Neu"}, discreet.VisibilityTeam)
	home := func(u discreet.User) service.Home {
		t.Helper()
		h, err := s.svc.Home(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	req, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde, Note: "quote"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []discreet.User{s.beat, s.carla, s.admin} {
		if h := home(u); len(h.Requests) != 1 || h.Requests[0].ID != req.ID || h.Requests[0].RequesterName != "Anna Schmidt" {
			t.Errorf("%s's homepage: requests %+v, want Anna's", u.Email, h.Requests)
		}
	}
	h := home(s.anna)
	if len(h.Requests) != 0 || len(h.MyRequests) != 1 || h.MyRequests[0].Status != discreet.RequestPending {
		t.Errorf("Anna's homepage: decides %+v, her requests %+v; want none and her pending one", h.Requests, h.MyRequests)
	}

	soon := s.clock.Now().Add(3 * 24 * time.Hour)
	if _, err := s.svc.GrantAccess(ctx, s.beat, req.ID, service.GrantInput{ExpiresAt: &soon}); err != nil {
		t.Fatal(err)
	}
	h = home(s.anna)
	if len(h.MyRequests) != 1 || h.MyRequests[0].Status != discreet.RequestGranted || len(h.Expiring) != 1 {
		t.Errorf("Anna after the grant: her requests %+v, expiring %+v; want it granted and ending", h.MyRequests, h.Expiring)
	}
	if h := home(s.beat); len(h.Requests) != 0 || len(h.Expiring) != 1 {
		t.Errorf("Beat after granting: requests %+v, expiring %+v; want none and his grant ending", h.Requests, h.Expiring)
	}
	s.clock.Add(service.HomeDecidedRequests + time.Hour)
	if h := home(s.anna); len(h.MyRequests) != 0 || len(h.Expiring) != 0 {
		t.Errorf("Anna a week later: %+v, %+v; want the outcome and the ended grant gone", h.MyRequests, h.Expiring)
	}

	// Retention: team emails are kept a year; Beat's of 2025-11-20 goes
	// within 30 days (the clock is now 2026-11-10), his new one does not.
	org, err := s.svc.OrgSettings(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	org.Retention = discreet.Retention{Team: "P1Y"}
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	if h := home(s.beat); len(h.ExpiringEmails.Emails) != 1 || h.ExpiringEmails.Emails[0].Subject != "Kreditlinie" {
		t.Errorf("Beat's expiring emails: %+v, want the Kreditlinie", h.ExpiringEmails)
	}
	for _, u := range []discreet.User{s.anna, s.carla, s.admin} {
		if h := home(u); len(h.ExpiringEmails.Emails) != 0 {
			t.Errorf("%s sees expiring emails they do not own: %+v", u.Email, h.ExpiringEmails)
		}
	}
}
