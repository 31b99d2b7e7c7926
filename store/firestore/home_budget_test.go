package firestore_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// homeReadBudget is the most the add-on homepage may read: one page of
// the newest jobs (service's homeJobScan, 20) and the one more the store
// reads to tell whether a next page exists, whatever the org holds.
const homeReadBudget = 21

// TestHomeBudget: what the add-on homepage reads, before (the one long
// card: the user's settings and personal list, a page of the org list, the
// org settings and the newest jobs) and after (service.Home only), and what
// each area reads when it is opened; docs/PERFORMANCE.md records the
// figures. A page of the org list reads the whole list (service.NeverLog
// pages in memory), so "before" grew with the list; "after" does not.
func TestHomeBudget(t *testing.T) {
	s, r := openCounting(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.com"}
	must(s.PutOrgSettings(ctx, org))
	admin := discreet.User{Email: "admin@acme.com", Name: "Ada", Role: discreet.RoleAdmin}
	must(s.PutUser(ctx, admin))
	svc := service.New(service.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	for i := range 30 {
		_, err := svc.AddNeverLog(ctx, admin, service.AddNeverLogRequest{Pattern: fmt.Sprintf("@partner%d.example", i)})
		must(err)
	}
	for i := range 3 {
		_, err := svc.AddPersonalNeverLog(ctx, admin, fmt.Sprintf("friend%d@private.example", i), "")
		must(err)
	}
	// 40 jobs, newest first: one running, one failed, the rest done.
	base := time.Now().Add(-time.Hour)
	for i := range 40 {
		j := store.Job{ID: fmt.Sprintf("job-%02d", i), Kind: service.JobImport, State: store.JobRunning, StartedBy: admin.Email,
			CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base.Add(time.Duration(i) * time.Second)}
		must(s.CreateJob(ctx, j, nil))
		if i == 39 {
			continue // the newest runs
		}
		got, claim, err := s.ClaimJob(ctx, j.ID, "budget", time.Now(), time.Minute)
		must(err)
		if claim != store.ClaimAcquired {
			t.Fatalf("claim %s: %v", j.ID, claim)
		}
		got.State, got.Holder = store.JobDone, ""
		if i == 38 {
			got.State, got.Error = store.JobFailed, "broken"
		}
		must(s.SaveJob(ctx, got, "budget"))
	}

	measure := func(name string, f func() error) int64 {
		t.Helper()
		r.reset()
		must(f())
		t.Logf("%s: %s", name, r)
		return r.billed.Load()
	}
	before := measure("the long homepage (before)", func() error {
		if _, err := svc.Me(ctx, admin); err != nil {
			return err
		}
		if _, err := svc.MySettings(ctx, admin); err != nil {
			return err
		}
		if _, err := svc.NeverLog(ctx, admin, 10, ""); err != nil {
			return err
		}
		if _, err := svc.OrgSettings(ctx, admin); err != nil {
			return err
		}
		_, err := svc.Jobs(ctx, admin, 3, "")
		return err
	})
	var home service.Home
	after := measure("the short homepage (after)", func() error {
		var err error
		home, err = svc.Home(ctx, admin)
		return err
	})
	if after > homeReadBudget {
		t.Errorf("the homepage read %d documents; budget %d", after, homeReadBudget)
	}
	if len(home.Jobs) != 2 {
		t.Errorf("the homepage shows %d jobs, want the running and the failed one", len(home.Jobs))
	}
	t.Logf("homepage: %d reads before, %d after", before, after)
	measure("area Your settings / Your Never Log List", func() error {
		if _, err := svc.Me(ctx, admin); err != nil {
			return err
		}
		_, err := svc.MySettings(ctx, admin)
		return err
	})
	measure("area Never Log List (a page of 10)", func() error { _, err := svc.NeverLog(ctx, admin, 10, ""); return err })
	measure("area Org settings", func() error { _, err := svc.OrgSettings(ctx, admin); return err })
	measure("area Jobs (a page of 10)", func() error { _, err := svc.Jobs(ctx, admin, 10, ""); return err })
}
