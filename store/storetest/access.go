package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// RunAccess checks store.Access: access requests, grants and shares.
func RunAccess(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RequestOnce", func(t *testing.T) { testRequestOnce(t, open(t)) })
	t.Run("RequestDecide", func(t *testing.T) { testRequestDecide(t, open(t)) })
	t.Run("RequestDecideConcurrent", func(t *testing.T) { testRequestDecideConcurrent(t, open(t)) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, open(t)) })
	t.Run("Shares", func(t *testing.T) { testShares(t, open(t)) })
	t.Run("SharesSurviveVisibility", func(t *testing.T) { testSharesSurviveVisibility(t, open(t)) })
}

func request(id, requester string, created time.Time, deciders ...string) discreet.AccessRequest {
	return discreet.AccessRequest{ID: id, Requester: requester, Contact: "kunde@client.example", Scope: discreet.GrantContactEmails,
		Note: "note " + id, Status: discreet.RequestPending, CreatedAt: created, Deciders: deciders, ContactOwner: "beat@corp.example"}
}

// testRequestOnce: a request stored twice is one request; listings by
// requester and by decider keys are newest first.
func testRequestOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	r1 := request("req-1", "anna@corp.example", at(1), "u:beat@corp.example", "m:ch", "x:admin")
	got, created, err := s.PutAccessRequest(ctx, r1)
	must(t, err, "PutAccessRequest")
	if !created || got.ID != r1.ID {
		t.Fatalf("PutAccessRequest = %+v, %v; want created", got, created)
	}
	again := r1
	again.Note = "other"
	got, created, err = s.PutAccessRequest(ctx, again)
	must(t, err, "PutAccessRequest again")
	if created || got.Note != r1.Note || got.ContactOwner != r1.ContactOwner {
		t.Fatalf("PutAccessRequest again = %+v, %v; want the first, not created", got, created)
	}
	_, _, err = s.PutAccessRequest(ctx, request("req-2", "anna@corp.example", at(2), "u:carl@corp.example"))
	must(t, err, "PutAccessRequest 2")
	_, _, err = s.PutAccessRequest(ctx, request("req-3", "dora@corp.example", at(3), "u:beat@corp.example"))
	must(t, err, "PutAccessRequest 3")

	ids := func(l []discreet.AccessRequest) []string {
		var out []string
		for _, r := range l {
			out = append(out, r.ID)
		}
		return out
	}
	mine, err := s.AccessRequests(ctx, store.AccessRequestQuery{Requester: "anna@corp.example", Limit: 10})
	must(t, err, "AccessRequests by requester")
	if want := []string{"req-2", "req-1"}; !slices.Equal(ids(mine), want) {
		t.Fatalf("anna's requests = %v, want %v", ids(mine), want)
	}
	beat, err := s.AccessRequests(ctx, store.AccessRequestQuery{Deciders: []string{"u:beat@corp.example"}, Limit: 10})
	must(t, err, "AccessRequests by decider")
	if want := []string{"req-3", "req-1"}; !slices.Equal(ids(beat), want) {
		t.Fatalf("beat decides %v, want %v", ids(beat), want)
	}
	if got, err := s.AccessRequest(ctx, "req-1"); err != nil || got.Requester != r1.Requester || !got.CreatedAt.Equal(r1.CreatedAt) ||
		got.Note != r1.Note || got.Scope != r1.Scope || !slices.Contains(got.Deciders, "m:ch") {
		t.Fatalf("AccessRequest = %+v, %v", got, err)
	}
	_, err = s.AccessRequest(ctx, "nope")
	wantCode(t, err, discreet.ENotFound, "AccessRequest of an unknown id")
	one, err := s.AccessRequests(ctx, store.AccessRequestQuery{Requester: "anna@corp.example", Limit: 1})
	must(t, err, "AccessRequests limit 1")
	if len(one) != 1 {
		t.Fatalf("limit 1 gave %d", len(one))
	}
}

// testRequestDecide: a decision moves a pending request once, stores its
// grant, and drops it from the deciders' pending list.
func testRequestDecide(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, _, err := s.PutAccessRequest(ctx, request("req-d", "anna@corp.example", at(1), "u:beat@corp.example"))
	must(t, err, "PutAccessRequest")
	g := discreet.Grant{ID: "grant-d", RequestID: "req-d", Grantee: "anna@corp.example", Scope: discreet.GrantContact,
		Contact: "kunde@client.example", GrantedBy: "beat@corp.example", GrantedAt: at(2), ExpiresAt: at(60), ContactOwner: "beat@corp.example"}
	r, err := s.DecideAccessRequest(ctx, "req-d", store.AccessDecision{Status: discreet.RequestGranted, By: "beat@corp.example", At: at(2), Grant: &g})
	must(t, err, "DecideAccessRequest")
	if r.Status != discreet.RequestGranted || r.Grant == nil || r.Grant.ID != g.ID || r.DecidedAt == nil || !r.DecidedAt.Equal(at(2)) {
		t.Fatalf("decided = %+v", r)
	}
	r, err = s.DecideAccessRequest(ctx, "req-d", store.AccessDecision{Status: discreet.RequestDenied, By: "carl@corp.example", At: at(3)})
	wantCode(t, err, discreet.EConflict, "deciding twice")
	if r.Status != discreet.RequestGranted {
		t.Fatalf("a conflicting decision returned %+v; want the request as it stands", r)
	}
	pending, err := s.AccessRequests(ctx, store.AccessRequestQuery{Deciders: []string{"u:beat@corp.example"}, Limit: 10})
	must(t, err, "AccessRequests")
	if len(pending) != 0 {
		t.Fatalf("a decided request is still pending for its deciders: %+v", pending)
	}
	stored, err := s.AccessRequest(ctx, "req-d")
	must(t, err, "AccessRequest")
	if stored.Status != discreet.RequestGranted || stored.Grant == nil || !stored.Grant.ExpiresAt.Equal(at(60)) {
		t.Fatalf("stored = %+v", stored)
	}
	gs, err := s.Grants(ctx, store.GrantQuery{Grantee: "anna@corp.example"})
	must(t, err, "Grants")
	if len(gs) != 1 || gs[0].ID != g.ID || !gs[0].ExpiresAt.Equal(g.ExpiresAt) || gs[0].ContactOwner != g.ContactOwner || gs[0].Scope != g.Scope {
		t.Fatalf("Grants = %+v, want %+v", gs, g)
	}
	_, err = s.DecideAccessRequest(ctx, "nope", store.AccessDecision{Status: discreet.RequestDenied, By: "x", At: at(1)})
	wantCode(t, err, discreet.ENotFound, "deciding an unknown request")
	_, err = s.DecideAccessRequest(ctx, "req-d", store.AccessDecision{Status: discreet.RequestGranted, By: "x", At: at(1)})
	wantCode(t, err, discreet.EInvalid, "granting without a grant")
}

// testRequestDecideConcurrent: of two approvers deciding at once, exactly
// one wins; the other gets a conflict.
func testRequestDecideConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, _, err := s.PutAccessRequest(ctx, request("req-c", "anna@corp.example", at(1), "u:beat@corp.example"))
	must(t, err, "PutAccessRequest")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			d := store.AccessDecision{Status: discreet.RequestDenied, By: "beat@corp.example", At: at(2)}
			if i%2 == 0 {
				d = store.AccessDecision{Status: discreet.RequestGranted, By: "beat@corp.example", At: at(2),
					Grant: &discreet.Grant{ID: "grant-c", RequestID: "req-c", Grantee: "anna@corp.example", Scope: discreet.GrantContact,
						Contact: "kunde@client.example", GrantedBy: "beat@corp.example", GrantedAt: at(2)}}
			}
			_, errs[i] = s.DecideAccessRequest(ctx, "req-c", d)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantCode(t, err, discreet.EConflict, "a losing decision")
		}
	}
	if won != 1 {
		t.Fatalf("%d decisions won, want 1", won)
	}
	r, err := s.AccessRequest(ctx, "req-c")
	must(t, err, "AccessRequest")
	gs, err := s.Grants(ctx, store.GrantQuery{Grantee: "anna@corp.example"})
	must(t, err, "Grants")
	if (r.Status == discreet.RequestGranted) != (len(gs) == 1) || len(gs) > 1 {
		t.Fatalf("status %s with grants %+v", r.Status, gs)
	}
}

// testGrants: listing by grantee and grantor, expired ones for the sweep,
// deletion.
func testGrants(t *testing.T, s store.Store) {
	ctx := t.Context()
	mk := func(id, grantee, by string, exp time.Time) {
		t.Helper()
		_, _, err := s.PutAccessRequest(ctx, request("r-"+id, grantee, at(0), "u:"+by))
		must(t, err, "PutAccessRequest")
		_, err = s.DecideAccessRequest(ctx, "r-"+id, store.AccessDecision{Status: discreet.RequestGranted, By: by, At: at(1),
			Grant: &discreet.Grant{ID: id, RequestID: "r-" + id, Grantee: grantee, Scope: discreet.GrantContactEmails,
				Contact: "kunde@client.example", GrantedBy: by, GrantedAt: at(1), ExpiresAt: exp}})
		must(t, err, "DecideAccessRequest")
	}
	mk("g1", "anna@corp.example", "beat@corp.example", at(10))
	mk("g2", "anna@corp.example", "carl@corp.example", time.Time{})
	mk("g3", "dora@corp.example", "beat@corp.example", at(20))
	ids := func(l []discreet.Grant) []string {
		var out []string
		for _, g := range l {
			out = append(out, g.ID)
		}
		return out
	}
	gs, err := s.Grants(ctx, store.GrantQuery{Grantee: "anna@corp.example"})
	must(t, err, "Grants by grantee")
	if !slices.Equal(ids(gs), []string{"g1", "g2"}) || !gs[1].ExpiresAt.IsZero() {
		t.Fatalf("anna's grants = %+v", gs)
	}
	gs, err = s.Grants(ctx, store.GrantQuery{GrantedBy: "beat@corp.example"})
	must(t, err, "Grants by grantor")
	if !slices.Equal(ids(gs), []string{"g1", "g3"}) {
		t.Fatalf("beat's grants = %v", ids(gs))
	}
	exp, err := s.ExpiredGrants(ctx, at(10), 10)
	must(t, err, "ExpiredGrants")
	if !slices.Equal(ids(exp), []string{"g1"}) {
		t.Fatalf("expired at its expiry = %v, want [g1]: an expiry is the first instant a grant is out", ids(exp))
	}
	exp, err = s.ExpiredGrants(ctx, at(30), 10)
	must(t, err, "ExpiredGrants")
	if !slices.Equal(ids(exp), []string{"g1", "g3"}) {
		t.Fatalf("expired later = %v, want [g1 g3] (a grant without end never)", ids(exp))
	}
	must(t, s.DeleteGrant(ctx, "g1"), "DeleteGrant")
	must(t, s.DeleteGrant(ctx, "g1"), "DeleteGrant again")
	gs, err = s.Grants(ctx, store.GrantQuery{Grantee: "anna@corp.example"})
	must(t, err, "Grants")
	if !slices.Equal(ids(gs), []string{"g2"}) {
		t.Fatalf("after delete = %v", ids(gs))
	}
}

func share(id, by string, exp time.Time, users, teams []string) discreet.Share {
	return discreet.Share{ID: id, Users: users, Teams: teams, By: by, Basis: discreet.VisibilityPrivate, At: at(1), ExpiresAt: exp}
}

func addShare(sh discreet.Share) func(discreet.Email) ([]discreet.Share, error) {
	return func(e discreet.Email) ([]discreet.Share, error) {
		for _, x := range e.Shares {
			if x.ID == sh.ID {
				return e.Shares, nil
			}
		}
		return append(slices.Clone(e.Shares), sh), nil
	}
}

// testShares: a share is kept on the email and its timeline entries
// (audience keys and summary), a removal takes its keys away, expired
// shares are found for the sweep.
func testShares(t *testing.T, s store.Store) {
	ctx := t.Context()
	contact := "kunde@client.example"
	e := email("share-1", "beat@corp.example", "ch", discreet.VisibilityPrivate, at(1), []string{contact})
	_, _, err := s.LogEmail(ctx, written(e))
	must(t, err, "LogEmail")
	annaKeys := []string{"u:anna@corp.example"}
	visible := func(keys []string) []store.TimelineEntry {
		t.Helper()
		p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, Keys: keys, Limit: 10})
		must(t, err, "Timeline")
		return p.Entries
	}
	if n := len(visible(annaKeys)); n != 0 {
		t.Fatalf("before the share anna sees %d entries", n)
	}
	sh := share("sh-1", e.Owner, at(30), []string{"anna@corp.example"}, []string{"de"})
	got, err := s.ChangeShares(ctx, e.ID, addShare(sh), policy.EmailAudience)
	must(t, err, "ChangeShares")
	if len(got.Shares) != 1 || got.Shares[0].ID != "sh-1" {
		t.Fatalf("ChangeShares returned shares %+v", got.Shares)
	}
	_, err = s.ChangeShares(ctx, e.ID, addShare(sh), policy.EmailAudience)
	must(t, err, "ChangeShares again")
	stored := mustEmail(t, s, e.ID)
	if len(stored.Shares) != 1 || !stored.Shares[0].ExpiresAt.Equal(at(30)) || !slices.Equal(stored.Shares[0].Teams, []string{"de"}) ||
		stored.Shares[0].By != e.Owner || stored.Shares[0].Basis != discreet.VisibilityPrivate {
		t.Fatalf("stored shares = %+v", stored.Shares)
	}
	for _, keys := range [][]string{annaKeys, {"t:de"}} {
		en := visible(keys)
		if len(en) != 1 || en[0].Email == nil || len(en[0].Email.Shares) != 1 || en[0].Email.Shares[0].ID != "sh-1" {
			t.Fatalf("keys %v: entries %+v; want the email with its share in the summary", keys, en)
		}
	}
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, Keys: annaKeys, All: true, Limit: 10})
	must(t, err, "Timeline all")
	if len(p.Entries) != 1 || !p.Entries[0].Visible || p.Entries[0].Email == nil || len(p.Entries[0].Email.Shares) != 1 {
		t.Fatalf("All page = %+v", p.Entries)
	}
	ids, err := s.ExpiredShares(ctx, at(29), 10)
	must(t, err, "ExpiredShares")
	if len(ids) != 0 {
		t.Fatalf("expired before the expiry: %v", ids)
	}
	ids, err = s.ExpiredShares(ctx, at(30), 10)
	must(t, err, "ExpiredShares")
	if !slices.Equal(ids, []string{e.ID}) {
		t.Fatalf("expired at the expiry = %v", ids)
	}
	_, err = s.ChangeShares(ctx, e.ID, func(e discreet.Email) ([]discreet.Share, error) {
		return slices.DeleteFunc(slices.Clone(e.Shares), func(x discreet.Share) bool { return x.ID == "sh-1" }), nil
	}, policy.EmailAudience)
	must(t, err, "ChangeShares remove")
	if n := len(visible(annaKeys)); n != 0 {
		t.Fatalf("after removing the share anna's keys admit %d entries", n)
	}
	if n := len(visible([]string{"u:beat@corp.example"})); n != 1 {
		t.Fatalf("the owner sees %d entries after a removal", n)
	}
	if ids, _ := s.ExpiredShares(ctx, at(60), 10); len(ids) != 0 {
		t.Fatalf("a removed share is still found expired: %v", ids)
	}
	_, err = s.ChangeShares(ctx, "nope", addShare(sh), policy.EmailAudience)
	wantCode(t, err, discreet.ENotFound, "ChangeShares of an unknown email")
	_, err = s.ChangeShares(ctx, e.ID, func(discreet.Email) ([]discreet.Share, error) {
		return nil, discreet.Errorf(discreet.EPermission, "no")
	}, policy.EmailAudience)
	wantCode(t, err, discreet.EPermission, "a change that refuses")
}

// testSharesSurviveVisibility: a recomputation of the audience (here a
// visibility change, as a custodian transfer or protection also makes)
// keeps the shares' keys, since they are part of the email.
func testSharesSurviveVisibility(t *testing.T, s store.Store) {
	ctx := t.Context()
	contact := "kunde@client.example"
	e := email("share-2", "beat@corp.example", "ch", discreet.VisibilityTeam, at(1), []string{contact})
	_, _, err := s.LogEmail(ctx, written(e))
	must(t, err, "LogEmail")
	_, err = s.ChangeShares(ctx, e.ID, addShare(share("sh-2", e.Owner, time.Time{}, []string{"anna@corp.example"}, nil)), policy.EmailAudience)
	must(t, err, "ChangeShares")
	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityPrivate, policy.EmailAudience)
	must(t, err, "SetVisibility")
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, Keys: []string{"u:anna@corp.example"}, Limit: 10})
	must(t, err, "Timeline")
	if len(p.Entries) != 1 || p.Entries[0].Email.Visibility != discreet.VisibilityPrivate || len(p.Entries[0].Email.Shares) != 1 {
		t.Fatalf("after a visibility change the share's reader gets %+v", p.Entries)
	}
	if got := mustEmail(t, s, e.ID); len(got.Shares) != 1 {
		t.Fatalf("after a visibility change the email holds shares %+v", got.Shares)
	}
}
