package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// TestPendingDecisions: what the homepage shows each user: the pending
// requests they may decide, and grants they made or hold that end within
// a week, soonest first; decided requests leave the list.
func TestPendingDecisions(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Kreditlinie"}, discreet.VisibilityTeam)
	r1, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde, Note: "quote"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde, Scope: discreet.GrantContact})
	if err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]int{s.beat.Email: 2, s.carla.Email: 2, s.admin.Email: 2, s.anna.Email: 0} {
		u := map[string]discreet.User{s.beat.Email: s.beat, s.carla.Email: s.carla, s.admin.Email: s.admin, s.anna.Email: s.anna}[who]
		pd, err := s.svc.PendingDecisions(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(pd.Requests) != want {
			t.Errorf("%s decides %d requests, want %d", who, len(pd.Requests), want)
		}
	}
	week := s.clock.Now().Add(5 * 24 * time.Hour)
	if _, err := s.svc.GrantAccess(ctx, s.beat, r1.ID, service.GrantInput{ExpiresAt: &week}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.GrantAccess(ctx, s.carla, r2.ID, service.GrantInput{}); err != nil { // 30 days: not soon
		t.Fatal(err)
	}
	for _, u := range []discreet.User{s.beat, s.anna} {
		pd, err := s.svc.PendingDecisions(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(pd.Requests) != 0 || len(pd.Expiring) != 1 || pd.Expiring[0].RequestID != r1.ID {
			t.Errorf("%s: %+v; want no request and the grant ending in 5 days", u.Email, pd)
		}
	}
	s.clock.Add(5 * 24 * time.Hour)
	pd, err := s.svc.PendingDecisions(ctx, s.beat)
	if err != nil {
		t.Fatal(err)
	}
	if len(pd.Expiring) != 0 {
		t.Errorf("an ended grant still shows as ending: %+v", pd.Expiring)
	}
	if _, err := s.svc.PendingDecisions(ctx, discreet.User{}); discreet.ErrorCode(err) != discreet.EUnauthenticated {
		t.Errorf("anonymous: %v", err)
	}
}

// TestExpireAccessFleet: instances sweeping expired grants and shares at
// once write one expiry record each and leave none behind.
func TestExpireAccessFleet(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Kreditlinie"}, discreet.VisibilityPrivate)
	r, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde})
	if err != nil {
		t.Fatal(err)
	}
	soon := s.clock.Now().Add(time.Hour)
	if _, err := s.svc.GrantAccess(ctx, s.beat, r.ID, service.GrantInput{ExpiresAt: &soon}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ShareEmail(ctx, s.beat, res.Email.ID, service.ShareInput{Teams: []string{"de"}, ExpiresAt: &soon}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Email(ctx, s.anna, res.Email.ID); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	s.clock.Add(time.Hour)
	if _, err := s.svc.Email(ctx, s.anna, res.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("at expiry, before any sweep: %v", err)
	}
	var fleet []*service.Service
	for range 3 {
		svc, c := newService(t, service.Config{Store: s.store})
		c.Set(s.clock.Now())
		fleet = append(fleet, svc)
	}
	var wg sync.WaitGroup
	for _, svc := range fleet {
		wg.Go(func() {
			if _, err := svc.ExpireAccess(ctx, discreet.User{Email: policy.System}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs, _, err := s.store.Audit(ctx, store.AuditQuery{EmailOwner: s.beat.Email, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, rec := range recs {
		n[rec.Action]++
	}
	if n[discreet.AuditAccessExpire] != 1 || n[discreet.AuditShareExpire] != 1 {
		t.Errorf("expiry records %v; want one per grant and per share", n)
	}
	e, err := s.store.Email(ctx, res.Email.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Shares) != 0 {
		t.Errorf("the expired share is still on the email: %+v", e.Shares)
	}
	if gs, _ := s.store.Grants(ctx, store.GrantQuery{Grantee: s.anna.Email}); len(gs) != 0 {
		t.Errorf("the expired grant is still stored: %+v", gs)
	}
	if _, err := s.svc.ExpireAccess(ctx, s.anna); discreet.ErrorCode(err) != discreet.EPermission {
		t.Errorf("a rep runs the sweep: %v", err)
	}
}

// TestMessageCardAgreesAtExpiry: the message card (MessageState) shows a
// shared email, and its timeline row, until the share ends, and neither
// at the instant it ends, as GET /v1/emails/{id} does.
func TestMessageCardAgreesAtExpiry(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	beatsCopy := strings.Replace(offerSent, "Cc: Anna Schmidt <anna@acme.example>\r\n", "", 1)
	res, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: []byte(beatsCopy), Visibility: discreet.VisibilityPrivate})
	if err != nil || !res.Created {
		t.Fatalf("Beat's log: %+v, %v", res, err)
	}
	annasCopy := "Bcc: anna@acme.example\n" + strings.Replace(offerUploaded, "Cc: anna@acme.example\n", "", 1)
	until := s.clock.Now().Add(time.Hour)
	if _, err := s.svc.ShareEmail(ctx, s.beat, res.Email.ID, service.ShareInput{Users: []string{s.anna.Email}, ExpiresAt: &until}); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want bool) {
		t.Helper()
		st, err := s.svc.MessageState(ctx, s.anna, []byte(annasCopy), "")
		if err != nil {
			t.Fatal(err)
		}
		_, errGet := s.svc.Email(ctx, s.anna, res.Email.ID)
		tl := st.Contacts[0].Timeline
		onTimeline := tl != nil && len(tl.Items) == 1 && tl.Items[0].Visible
		if (st.Email != nil) != want || onTimeline != want || (errGet == nil) != want {
			t.Errorf("%s: card email %v, timeline row %v, GET error %v; want readable %v", when, st.Email != nil, onTimeline, errGet, want)
		}
		if !want && (tl == nil || tl.Hidden == nil || tl.Hidden.Count != 1) {
			t.Errorf("%s: hidden count %+v, want 1", when, tl)
		}
	}
	check("before the end", true)
	s.clock.Add(time.Hour - time.Nanosecond)
	check("a nanosecond before the end", true)
	s.clock.Add(time.Nanosecond)
	check("at the end", false)
}

// TestContactGrantEverywhere: a contact grant shows the contact in full on
// the contact route, in search and on the compose card alike, and none of
// them after it ends.
func TestContactGrantEverywhere(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Kreditlinie"}, discreet.VisibilityPublic)
	r, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde, Scope: discreet.GrantContact})
	if err != nil {
		t.Fatal(err)
	}
	until := s.clock.Now().Add(time.Hour)
	if _, err := s.svc.GrantAccess(ctx, s.carla, r.ID, service.GrantInput{ExpiresAt: &until}); err != nil {
		t.Fatal(err)
	}
	access := func() []discreet.Access {
		t.Helper()
		c, err := s.svc.Contact(ctx, s.anna, kunde)
		if err != nil {
			t.Fatal(err)
		}
		found, err := s.svc.SearchContacts(ctx, s.anna, "kunde", 10)
		if err != nil || len(found) != 1 {
			t.Fatalf("search: %+v, %v", found, err)
		}
		st, err := s.svc.ComposeState(ctx, s.anna, []string{kunde})
		if err != nil || len(st.Contacts) != 1 {
			t.Fatalf("compose: %+v, %v", st, err)
		}
		return []discreet.Access{c.Access, found[0].Access, st.Contacts[0].Access}
	}
	for _, a := range access() {
		if a != discreet.AccessFull {
			t.Errorf("with the grant: %v, want full everywhere", access())
			break
		}
	}
	s.clock.Add(time.Hour)
	for _, a := range access() {
		if a != discreet.AccessStub {
			t.Errorf("at its end: %v, want stub everywhere", access())
			break
		}
	}
}

// TestProtectionRefusesGrantsAndShares: once a contact is protected its
// approver cannot grant a pending request on it, its emails cannot be
// shared, and a share made before the protection gives nothing.
func TestProtectionRefusesGrantsAndShares(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}, Subject: "Kreditlinie"}, discreet.VisibilityTeam)
	if _, err := s.svc.ShareEmail(ctx, s.beat, res.Email.ID, service.ShareInput{Users: []string{s.anna.Email}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Email(ctx, s.anna, res.Email.ID); err != nil {
		t.Fatalf("before the protection Anna reads the shared email: %v", err)
	}
	r, err := s.svc.RequestAccess(ctx, s.anna, service.AccessRequestInput{Contact: kunde, Scope: discreet.GrantContact})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Protect(ctx, s.admin, kunde, service.ProtectRequest{Note: "M&A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.GrantAccess(ctx, s.beat, r.ID, service.GrantInput{}); discreet.ErrorCode(err) != discreet.EPermission {
		t.Errorf("grant on a protected contact: %v, want permission_denied", err)
	}
	if _, err := s.svc.ShareEmail(ctx, s.beat, res.Email.ID, service.ShareInput{Users: []string{s.carla.Email}}); discreet.ErrorCode(err) != discreet.EPermission {
		t.Errorf("share of an email with a protected contact: %v, want permission_denied", err)
	}
	if _, err := s.svc.Email(ctx, s.anna, res.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Errorf("Anna reads through an old share of a protected contact's email: %v, want not_found", err)
	}
}
