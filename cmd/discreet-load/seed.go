package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// The big timeline: one contact with many emails, of which Viewer may read
// one in a hundred (half their own private emails, half team emails of
// their team); the rest are private or team emails of reps in other teams.
const (
	BigContact = "big@load-customer.example"
	Viewer     = "viewer@acme.example"
	TeamMate   = "mate@acme.example"
	LoadTeam   = "lt"
)

// seedOrg loads the demo org and adds the viewer's team and two users.
func seedOrg(ctx context.Context, svc *service.Service, st store.Store) error {
	if err := demo.Load(ctx, svc, st, time.Now()); err != nil {
		return err
	}
	admin, err := st.User(ctx, demo.Admin)
	if err != nil {
		return err
	}
	if _, err := svc.PutTeam(ctx, admin, discreet.Team{ID: LoadTeam, Name: "Load test"}); err != nil {
		return err
	}
	for _, u := range []discreet.User{
		{Email: Viewer, Name: "Vera Viewer", Role: discreet.RoleRep, Teams: []string{LoadTeam}},
		{Email: TeamMate, Name: "Mats Mate", Role: discreet.RoleRep, Teams: []string{LoadTeam}},
	} {
		if _, err := svc.PutUser(ctx, admin, u); err != nil {
			return err
		}
	}
	return nil
}

// bigEmail is email i of the big timeline.
func bigEmail(i int, t0 time.Time) discreet.Email {
	owner := fmt.Sprintf("rep%d@acme.example", i%50)
	team := []string{"de", "ch", "fr"}[i%3]
	vis := discreet.VisibilityPrivate
	if i%7 < 3 {
		vis = discreet.VisibilityTeam
	}
	switch {
	case i == 0: // logged first, so another team owns the contact: the viewer has stub access
		owner, team, vis = "rep0@acme.example", "ch", discreet.VisibilityPrivate
	case i%200 == 0:
		owner, team, vis = Viewer, LoadTeam, discreet.VisibilityPrivate
	case i%100 == 0:
		owner, team, vis = TeamMate, LoadTeam, discreet.VisibilityTeam
	}
	date := t0.Add(time.Duration(i) * 7 * time.Minute)
	return discreet.Email{
		ID:           policy.LegacyEmailID(fmt.Sprintf("<big-%d@load.example>", i), ""),
		MessageID:    fmt.Sprintf("big-%d@load.example", i),
		Subject:      fmt.Sprintf("Quote %d for the spring order", i),
		From:         owner,
		To:           []string{BigContact},
		Date:         date,
		Direction:    discreet.Outbound,
		Snippet:      "Dear customer, please find attached our quote for the spring order …",
		Body:         "Dear customer,\n\nplease find attached our quote for the spring order.\n",
		Owner:        owner,
		Team:         team,
		Visibility:   vis,
		Contacts:     []string{BigContact},
		Internal:     []string{owner},
		Participants: []string{BigContact, owner},
		Source:       discreet.SourceSync,
		LoggedAt:     date.Add(time.Minute),
	}
}

// seedBig logs n emails on BigContact through the store, from workers
// goroutines, and reports progress every 10%. Email 0 goes first.
func seedBig(ctx context.Context, st store.Store, n, workers int, progress io.Writer) error {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := st.LogEmail(ctx, written(bigEmail(0, t0))); err != nil {
		return err
	}
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if _, _, err := st.LogEmail(ctx, written(bigEmail(i, t0))); err != nil {
					errc <- fmt.Errorf("seeding email %d: %w", i, err)
					return
				}
				if step := max(n/10, 1); i%step == 0 {
					fmt.Fprintf(progress, "  seeded %d/%d\n", i, n)
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

// copyDB copies the SQLite file of a closed store from one directory to
// another.
func copyDB(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// written is e as the service hands it to LogEmail, with its audience.
func written(e discreet.Email) store.EmailWrite {
	return store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)}
}
