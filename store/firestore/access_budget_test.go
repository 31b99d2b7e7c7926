package firestore_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// TestAccessTimelineBudget: a page of 20 of a contact's timeline, read
// through the service by a rep who holds a contact-emails grant and to
// whom five private emails are shared, costs the page's one query, its
// counts, the grants query and one read per grantor: grants and shares
// add keys, not queries per email (docs/PERFORMANCE.md).
func TestAccessTimelineBudget(t *testing.T) {
	s, r := openCounting(t)
	ctx := context.Background()
	const contact = "budget@kunde.example"
	anna := discreet.User{Email: "anna@acme.com", Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de"}}
	beat := discreet.User{Email: "rep1@acme.com", Name: "Beat", Role: discreet.RoleRep, Teams: []string{"ch"}}
	for _, u := range []discreet.User{anna, beat} {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	org := discreet.DefaultOrgSettings()
	org.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleRep: discreet.ScopeOwned, discreet.RoleManager: discreet.ScopeTeam}
	if err := s.PutOrgSettings(ctx, org); err != nil {
		t.Fatal(err)
	}
	seedMixed(t, s, contact, "someone@acme.com", 60)
	c, err := s.Contact(ctx, contact)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc := service.New(service.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return clock }})

	// Five of the contact's private emails shared with anna by their owners.
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, All: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, en := range p.Entries {
		e, err := s.Email(ctx, en.EmailID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Visibility != discreet.VisibilityPrivate || shared == 5 {
			continue
		}
		shared++
		sh := discreet.Share{ID: "sh-" + e.ID, Users: []string{anna.Email}, By: e.Owner, Basis: e.Visibility, At: clock}
		if _, err := s.ChangeShares(ctx, e.ID, func(e discreet.Email) ([]discreet.Share, error) {
			return append(slices.Clone(e.Shares), sh), nil
		}, policy.EmailAudience); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		grants bool
		budget int64
	}{
		// timelineBudget, plus the grants query (one read when it finds
		// none).
		{"shares only", false, 24 + 1},
		// plus the grant and its grantor, and the protected contacts'
		// version, read with the grants (a protected contact's grants
		// give nothing): timelineBudget's slack absorbs it above.
		{"shares and a contact-emails grant", true, 24 + 1 + 1 + 1},
	} {
		if tc.grants {
			req := discreet.AccessRequest{ID: "req-b", Requester: anna.Email, Contact: contact, Scope: discreet.GrantContactEmails,
				Status: discreet.RequestPending, CreatedAt: clock, Deciders: policy.RequestDeciders(c, "")}
			if _, _, err := s.PutAccessRequest(ctx, req); err != nil {
				t.Fatal(err)
			}
			g := discreet.Grant{ID: "grant-b", RequestID: req.ID, Grantee: anna.Email, Scope: discreet.GrantContactEmails, Contact: contact,
				GrantedBy: c.Owner, GrantedAt: clock, ExpiresAt: clock.Add(time.Hour)}
			if _, err := s.DecideAccessRequest(ctx, req.ID, store.AccessDecision{Status: discreet.RequestGranted, By: c.Owner, At: clock, Grant: &g}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutUser(ctx, discreet.User{Email: c.Owner, Role: discreet.RoleRep, Teams: []string{"ch"}}); err != nil {
				t.Fatal(err)
			}
		}
		svc.Timeline(ctx, anna, contact, 20, "") // warm the name cache
		r.reset()
		tl, err := svc.Timeline(ctx, anna, contact, 20, "")
		if err != nil {
			t.Fatal(err)
		}
		visible := 0
		for _, it := range tl.Items {
			if it.Visible {
				visible++
			}
		}
		t.Logf("%s: %d visible of 20, hidden %+v; %s", tc.name, visible, tl.Hidden, r)
		if got := r.billed.Load(); got > tc.budget {
			t.Errorf("%s: %d reads, budget %d", tc.name, got, tc.budget)
		}
		if !tc.grants && visible == 0 {
			t.Errorf("%s: the shared emails do not show", tc.name)
		}
	}
}
