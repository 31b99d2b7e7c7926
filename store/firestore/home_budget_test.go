package firestore_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// homeReadBudget is what the add-on homepage reads when nothing but jobs
// waits: one page of the newest jobs (service's homeJobScan, 20) and the
// one more the store reads to tell whether a next page exists; the
// pending-requests query, the two grant queries and the user's own
// requests query (an empty query is billed one read each); and the org
// settings (retention unset: nothing more).
const homeReadBudget = 21 + 4 + 1

// homeBusyBudget is the homepage of an admin with 3 pending requests to
// decide, a grant of theirs ending within a week, and 10 of their emails
// expiring within 30 days: homeReadBudget's jobs; the 3 requests, one
// contact lookup each and one requester's name each (cold name cache);
// the two grant queries (the grant, and one billed empty); the empty
// own-requests query; the org settings; the owner's 10 oldest emails
// (the query reads up to 51) and the holds query (empty: one read).
const homeBusyBudget = 21 + (3 + 3 + 3) + 2 + 1 + 1 + 10 + 1

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

	// What waits on the admin besides jobs: three requests on a rep's
	// contact, a grant ending in two days, ten old private emails under
	// a one-year retention.
	now := time.Now()
	const contact = "budget@kunde.example"
	rep := discreet.User{Email: "rep1@acme.com", Name: "Rep", Role: discreet.RoleRep, Teams: []string{"ch"}}
	must(s.PutUser(ctx, rep))
	seedMixed(t, s, contact, rep.Email, 20)
	for i := range 10 {
		id := fmt.Sprintf("<old-%d@mail.example>", i)
		e := discreet.Email{ID: policy.LegacyEmailID(id, ""), MessageID: id, Subject: fmt.Sprintf("Old %d", i), From: admin.Email,
			To: []string{contact}, Date: now.AddDate(-1, 0, 10).Add(time.Duration(i) * time.Minute), Direction: discreet.Outbound,
			Owner: admin.Email, Visibility: discreet.VisibilityPrivate, Contacts: []string{contact},
			Participants: []string{admin.Email, contact}, Source: discreet.SourceButton, LoggedAt: now.AddDate(-1, 0, 10)}
		_, _, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)})
		must(err)
	}
	c, err := s.Contact(ctx, contact)
	must(err)
	for i := range 4 {
		req := discreet.AccessRequest{ID: fmt.Sprintf("req-%d", i), Requester: fmt.Sprintf("asker%d@acme.com", i), Contact: contact,
			Scope: discreet.GrantContactEmails, Status: discreet.RequestPending, CreatedAt: now, Deciders: policy.RequestDeciders(c, "")}
		_, _, err := s.PutAccessRequest(ctx, req)
		must(err)
		if i == 3 {
			g := discreet.Grant{ID: "grant-3", RequestID: req.ID, Grantee: req.Requester, Scope: req.Scope, Contact: contact,
				GrantedBy: admin.Email, GrantedAt: now, ExpiresAt: now.Add(48 * time.Hour)}
			_, err := s.DecideAccessRequest(ctx, req.ID, store.AccessDecision{Status: discreet.RequestGranted, By: admin.Email, At: now, Grant: &g})
			must(err)
		}
	}
	org.Retention = discreet.Retention{Private: "P1Y"}
	must(s.PutOrgSettings(ctx, org))
	busy := measure("the short homepage, busy", func() error {
		var err error
		home, err = svc.Home(ctx, admin)
		return err
	})
	if len(home.Requests) != 3 || len(home.Expiring) != 1 || len(home.ExpiringEmails.Emails) != 10 {
		t.Errorf("busy homepage: %d requests, %d grants ending, %d emails expiring; want 3, 1, 10",
			len(home.Requests), len(home.Expiring), len(home.ExpiringEmails.Emails))
	}
	if busy > homeBusyBudget {
		t.Errorf("the busy homepage read %d documents; budget %d", busy, homeBusyBudget)
	}
	// Its parts, for docs/PERFORMANCE.md.
	measure("  of which pending decisions", func() error { _, err := svc.PendingDecisions(ctx, admin); return err })
	measure("  of which expiring emails", func() error { _, err := svc.ExpiringSoon(ctx, admin); return err })

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
