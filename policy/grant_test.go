package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

var (
	grantNow = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	kundeCH  = discreet.Contact{Email: "kunde@kunde.ch", Owner: "beat@acme.ch", Team: "ch"}
	beatRep  = discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}
	carlaMgr = discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}
	chrisRep = discreet.User{Email: "chris@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}
	annaRep  = discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	doraMgr  = discreet.User{Email: "dora@acme.com", Role: discreet.RoleManager, Teams: []string{"de"}}
	rootAdm  = discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}
)

func beatsEmail(v discreet.Visibility) discreet.Email {
	return discreet.Email{ID: "e-" + string(v), Owner: beatRep.Email, Team: "ch", Visibility: v,
		Contacts: []string{kundeCH.Email}, Internal: []string{beatRep.Email, "ivo@acme.com"}}
}

func grantOf(scope discreet.GrantScope, by discreet.User, to discreet.User, expires time.Time) Grants {
	return Grants{Now: grantNow, Held: []discreet.Grant{{ID: "g", Grantee: to.Email, Scope: scope, Contact: kundeCH.Email,
		GrantedBy: by.Email, ExpiresAt: expires}}, Grantors: map[string]discreet.User{by.Email: by}}
}

func TestShareLive(t *testing.T) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	sOn := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, true)
	later := grantNow.Add(time.Hour)
	for _, tc := range []struct {
		name string
		vis  discreet.Visibility
		sh   discreet.Share
		s    discreet.OrgSettings
		want bool
	}{
		{"owner, no end", discreet.VisibilityPrivate, discreet.Share{By: beatRep.Email}, s, true},
		{"owner, before expiry", discreet.VisibilityPrivate, discreet.Share{By: beatRep.Email, ExpiresAt: later}, s, true},
		{"owner, at expiry", discreet.VisibilityPrivate, discreet.Share{By: beatRep.Email, ExpiresAt: grantNow}, s, false},
		{"owner, after expiry", discreet.VisibilityPublic, discreet.Share{By: beatRep.Email, ExpiresAt: grantNow.Add(-time.Nanosecond)}, s, false},
		{"no sharer", discreet.VisibilityPublic, discreet.Share{}, s, false},
		{"admin, team email", discreet.VisibilityTeam, discreet.Share{By: rootAdm.Email, ByAdmin: true}, s, true},
		{"admin, private email", discreet.VisibilityPrivate, discreet.Share{By: rootAdm.Email, ByAdmin: true}, s, false},
		{"admin, private email, adminsReadPrivate", discreet.VisibilityPrivate, discreet.Share{By: rootAdm.Email, ByAdmin: true}, sOn, true},
		{"admin, unknown visibility", "secret", discreet.Share{By: rootAdm.Email, ByAdmin: true}, s, false},
		{"contact owner's grant, as wide as shared", discreet.VisibilityTeam, discreet.Share{By: carlaMgr.Email, Basis: discreet.VisibilityTeam}, s, true},
		{"contact owner's grant, widened", discreet.VisibilityPublic, discreet.Share{By: carlaMgr.Email, Basis: discreet.VisibilityTeam}, s, true},
		{"contact owner's grant, narrowed", discreet.VisibilityTeam, discreet.Share{By: carlaMgr.Email, Basis: discreet.VisibilityPublic}, s, false},
		{"contact owner's grant, now private", discreet.VisibilityPrivate, discreet.Share{By: carlaMgr.Email, Basis: discreet.VisibilityPrivate}, sOn, false},
	} {
		if got := ShareLive(beatsEmail(tc.vis), tc.sh, tc.s, grantNow); got != tc.want {
			t.Errorf("%s: ShareLive = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestGrantScopes: each scope gives exactly what it says, before and at
// its expiry, for every visibility.
func TestGrantScopes(t *testing.T) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	before, at := grantNow.Add(time.Minute), grantNow
	type want struct{ private, team, public bool }
	for _, tc := range []struct {
		name   string
		g      Grants
		access discreet.Access
		read   want
	}{
		{"none", Grants{Now: grantNow}, discreet.AccessStub, want{}},
		{"contact by owner", grantOf(discreet.GrantContact, beatRep, annaRep, before), discreet.AccessFull, want{public: true}},
		{"contact by owner, expired", grantOf(discreet.GrantContact, beatRep, annaRep, at), discreet.AccessStub, want{}},
		{"contact by one who does not manage it", grantOf(discreet.GrantContact, chrisRep, annaRep, before), discreet.AccessStub, want{}},
		{"contact by a grantor who left", Grants{Now: grantNow, Held: grantOf(discreet.GrantContact, beatRep, annaRep, before).Held}, discreet.AccessStub, want{}},
		{"contact emails by owner", grantOf(discreet.GrantContactEmails, beatRep, annaRep, before), discreet.AccessStub, want{true, true, true}},
		{"contact emails by owner, no end", grantOf(discreet.GrantContactEmails, beatRep, annaRep, time.Time{}), discreet.AccessStub, want{true, true, true}},
		{"contact emails by owner, expired", grantOf(discreet.GrantContactEmails, beatRep, annaRep, at), discreet.AccessStub, want{}},
		{"contact emails by manager: not the private one", grantOf(discreet.GrantContactEmails, carlaMgr, annaRep, before), discreet.AccessStub, want{team: true, public: true}},
		{"contact emails by admin: not the private one", grantOf(discreet.GrantContactEmails, rootAdm, annaRep, before), discreet.AccessStub, want{team: true, public: true}},
		{"contact emails to someone else", grantOf(discreet.GrantContactEmails, beatRep, doraMgr, before), discreet.AccessStub, want{}},
		{"email scope is a share, not a held grant", grantOf(discreet.GrantEmail, beatRep, annaRep, before), discreet.AccessStub, want{}},
	} {
		if got := ContactAccessWith(annaRep, kundeCH, s, tc.g); got != tc.access {
			t.Errorf("%s: ContactAccessWith = %s, want %s", tc.name, got, tc.access)
		}
		for vis, w := range map[discreet.Visibility]bool{discreet.VisibilityPrivate: tc.read.private, discreet.VisibilityTeam: tc.read.team, discreet.VisibilityPublic: tc.read.public} {
			e := beatsEmail(vis)
			onTimeline := CanReadOnTimelineWith(annaRep, e, s, kundeCH, tc.g)
			byID := CanReadEmailWith(annaRep, e, s, func(string) (discreet.Contact, bool) { return kundeCH, true }, tc.g)
			if onTimeline != w || byID != w {
				t.Errorf("%s, %s email: timeline %v, by id %v, want %v", tc.name, vis, onTimeline, byID, w)
			}
			if w && !SharesKey(EmailAudience(e), ViewerAudienceWith(annaRep, s, kundeCH, tc.g)) {
				t.Errorf("%s, %s email: readable but the timeline's keys miss it", tc.name, vis)
			}
		}
	}
}

func TestSharesRead(t *testing.T) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	e := beatsEmail(discreet.VisibilityPrivate)
	e.Shares = []discreet.Share{
		{ID: "to-anna", Users: []string{annaRep.Email}, By: beatRep.Email},
		{ID: "to-de", Teams: []string{"de"}, By: beatRep.Email, ExpiresAt: grantNow.Add(time.Hour)},
	}
	g := Grants{Now: grantNow}
	load := func(string) (discreet.Contact, bool) { return kundeCH, true }
	for _, v := range []discreet.User{annaRep, doraMgr} {
		if !CanReadEmailWith(v, e, s, load, g) || !CanReadOnTimelineWith(v, e, s, kundeCH, g) {
			t.Errorf("%s: the share does not let them read", v.Email)
		}
		if !SharesKey(EmailAudience(e), ViewerAudienceWith(v, s, kundeCH, g)) {
			t.Errorf("%s: the share's keys miss", v.Email)
		}
	}
	if CanReadEmailWith(chrisRep, e, s, load, g) || CanReadEmailWith(rootAdm, e, s, load, g) {
		t.Error("a share reaches someone it does not name")
	}
	g.Now = grantNow.Add(time.Hour)
	if CanReadEmailWith(doraMgr, e, s, load, g) || CanReadOnTimelineWith(doraMgr, e, s, kundeCH, g) {
		t.Error("the team share outlives its expiry")
	}
	if !CanReadEmailWith(annaRep, e, s, load, g) {
		t.Error("anna's share (no end) ended with the team's")
	}
	// An admin who may not read private email reads it when its owner
	// shares it with the admin's team: the admin's team keys find it.
	admDE := discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin, Teams: []string{"de"}}
	if !CanReadOnTimelineWith(admDE, e, s, kundeCH, Grants{Now: grantNow}) || !SharesKey(EmailAudience(e), ViewerAudienceWith(admDE, s, kundeCH, Grants{Now: grantNow})) {
		t.Error("an admin in a team an email is shared with")
	}
}

func TestDecideAndGrant(t *testing.T) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	priv, team := beatsEmail(discreet.VisibilityPrivate), beatsEmail(discreet.VisibilityTeam)
	ask := func(e *discreet.Email) discreet.AccessRequest {
		r := discreet.AccessRequest{Requester: annaRep.Email, Contact: kundeCH.Email, Scope: discreet.GrantContactEmails}
		if e != nil {
			r.EmailID, r.Scope = e.ID, discreet.GrantEmail
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		v     discreet.User
		e     *discreet.Email
		scope discreet.GrantScope
		want  bool
	}{
		{"owner, contact", beatRep, nil, discreet.GrantContact, true},
		{"manager, contact emails", carlaMgr, nil, discreet.GrantContactEmails, true},
		{"admin, contact", rootAdm, nil, discreet.GrantContact, true},
		{"rep in team, contact", chrisRep, nil, discreet.GrantContact, false},
		{"manager of another team", doraMgr, nil, discreet.GrantContact, false},
		{"requester", annaRep, nil, discreet.GrantContact, false},
		{"owner, private email", beatRep, &priv, discreet.GrantEmail, true},
		{"manager, private email", carlaMgr, &priv, discreet.GrantEmail, false},
		{"admin, private email", rootAdm, &priv, discreet.GrantEmail, false},
		{"manager, team email", carlaMgr, &team, discreet.GrantEmail, true},
		{"email scope without an email", beatRep, nil, discreet.GrantEmail, false},
	} {
		if got := CanGrant(tc.v, ask(tc.e), tc.scope, kundeCH, tc.e, s); got != tc.want {
			t.Errorf("%s: CanGrant = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The email's owner decides a request for their email on someone
	// else's contact, and nothing else there.
	ivoEmail := discreet.Email{ID: "e-ivo", Owner: "ivo@acme.com", Visibility: discreet.VisibilityPrivate, Contacts: []string{kundeCH.Email}}
	ivo := discreet.User{Email: "ivo@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	r := ask(&ivoEmail)
	if !CanDecideRequest(ivo, r, kundeCH, &ivoEmail) || !CanGrant(ivo, r, discreet.GrantEmail, kundeCH, &ivoEmail, s) ||
		CanGrant(ivo, r, discreet.GrantContactEmails, kundeCH, &ivoEmail, s) {
		t.Error("the email's owner as decider")
	}
	// Decider keys find every decider and the listing check agrees.
	keys := RequestDeciders(kundeCH, ivoEmail.Owner)
	for _, v := range []discreet.User{beatRep, carlaMgr, rootAdm, ivo} {
		if !SharesKey(keys, DeciderKeys(v)) {
			t.Errorf("%s decides but their keys miss the request", v.Email)
		}
	}
	for _, v := range []discreet.User{chrisRep, doraMgr, annaRep} {
		if CanDecideRequest(v, r, kundeCH, &ivoEmail) {
			t.Errorf("%s may decide", v.Email)
		}
	}
}

// TestGrantKeysCoverRule: whatever CanReadOnTimelineWith lets a viewer
// read, the keys ViewerAudienceWith presents find (the store's one query
// never hides what the rule allows), for random emails, viewers, grants
// and shares.
func TestGrantKeysCoverRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	users := []discreet.User{beatRep, carlaMgr, chrisRep, annaRep, doraMgr, rootAdm,
		{Email: "ivo@acme.com", Role: discreet.RoleRep, Teams: []string{"de", "ch"}}}
	vis := []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic}
	scopes := []discreet.GrantScope{discreet.GrantContact, discreet.GrantContactEmails, discreet.GrantEmail}
	pick := func() discreet.User { return users[rng.IntN(len(users))] }
	for i := range 20000 {
		s := settingsWith(discreet.ScopeTeam, discreet.ScopeOwned, rng.IntN(2) == 0)
		owner := pick()
		e := discreet.Email{ID: "e", Owner: owner.Email, Team: owner.PrimaryTeam(), Visibility: vis[rng.IntN(3)],
			Contacts: []string{kundeCH.Email}, Internal: []string{owner.Email}}
		if rng.IntN(3) == 0 {
			e.Internal = append(e.Internal, pick().Email)
		}
		for range rng.IntN(3) {
			sh := discreet.Share{By: pick().Email, ByAdmin: rng.IntN(2) == 0, Basis: vis[rng.IntN(3)],
				ExpiresAt: grantNow.Add(time.Duration(rng.IntN(3)-1) * time.Hour)}
			if rng.IntN(2) == 0 {
				sh.Users = []string{pick().Email}
			} else {
				sh.Teams = []string{[]string{"ch", "de"}[rng.IntN(2)]}
			}
			e.Shares = append(e.Shares, sh)
		}
		v := pick()
		g := Grants{Now: grantNow, Grantors: map[string]discreet.User{}}
		for range rng.IntN(3) {
			by := pick()
			g.Held = append(g.Held, discreet.Grant{Grantee: v.Email, Scope: scopes[rng.IntN(3)], Contact: kundeCH.Email,
				GrantedBy: by.Email, ExpiresAt: grantNow.Add(time.Duration(rng.IntN(3)-1) * time.Hour)})
			g.Grantors[by.Email] = by
		}
		if CanReadOnTimelineWith(v, e, s, kundeCH, g) && !SharesKey(EmailAudience(e), ViewerAudienceWith(v, s, kundeCH, g)) {
			t.Fatalf("case %d: %s reads %+v under %+v but the keys miss it", i, v.Email, e, g)
		}
		// One rule: reading by id on the email's only contact is reading
		// on its timeline.
		byID := CanReadEmailWith(v, e, s, func(string) (discreet.Contact, bool) { return kundeCH, true }, g)
		if byID != CanReadOnTimelineWith(v, e, s, kundeCH, g) {
			t.Fatalf("case %d: by id %v, on the timeline %v for %s, %+v", i, byID, !byID, v.Email, e)
		}
	}
}

func BenchmarkCanReadOnTimelineWith(b *testing.B) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	e := beatsEmail(discreet.VisibilityPrivate)
	e.Shares = []discreet.Share{{ID: "a", Users: []string{"x@acme.com", "y@acme.com"}, By: beatRep.Email, ExpiresAt: grantNow.Add(time.Hour)}}
	g := grantOf(discreet.GrantContactEmails, carlaMgr, annaRep, grantNow.Add(time.Hour))
	for b.Loop() {
		CanReadOnTimelineWith(annaRep, e, s, kundeCH, g)
	}
}
