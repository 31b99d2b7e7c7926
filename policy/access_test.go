package policy

import (
	"fmt"
	"testing"

	"github.com/discreet-crm/discreet"
)

func settingsWith(rep, manager discreet.Scope, adminsReadPrivate bool) discreet.OrgSettings {
	s := discreet.DefaultOrgSettings()
	s.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleAdmin: discreet.ScopeOwned, discreet.RoleManager: manager, discreet.RoleRep: rep}
	s.AdminsReadPrivate = adminsReadPrivate
	return s
}

func TestContactAccess(t *testing.T) {
	const full, stub = discreet.AccessFull, discreet.AccessStub
	contact := discreet.Contact{Email: "kunde@kunde.ch", Owner: "beat@acme.ch", Team: "ch"}
	viewers := map[string]discreet.User{
		"owner rep":          {Email: "beat@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}},
		"rep in team":        {Email: "rita@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}},
		"rep in other team":  {Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}},
		"rep in both":        {Email: "otto@acme.com", Role: discreet.RoleRep, Teams: []string{"de", "ch"}},
		"rep without team":   {Email: "nina@acme.com", Role: discreet.RoleRep},
		"manager of team":    {Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}},
		"manager elsewhere":  {Email: "max@acme.com", Role: discreet.RoleManager, Teams: []string{"de"}},
		"admin":              {Email: "root@acme.com", Role: discreet.RoleAdmin},
		"unknown role":       {Email: "who@acme.com", Role: "intern", Teams: []string{"ch"}},
		"nobody (no e-mail)": {Role: discreet.RoleRep, Teams: []string{"ch"}},
	}
	// want[viewer][scope] for that viewer's role.
	want := map[string]map[discreet.Scope]discreet.Access{
		"owner rep":          {discreet.ScopeAll: full, discreet.ScopeTeam: full, discreet.ScopeOwned: full},
		"rep in team":        {discreet.ScopeAll: full, discreet.ScopeTeam: full, discreet.ScopeOwned: stub},
		"rep in other team":  {discreet.ScopeAll: full, discreet.ScopeTeam: stub, discreet.ScopeOwned: stub},
		"rep in both":        {discreet.ScopeAll: full, discreet.ScopeTeam: full, discreet.ScopeOwned: stub},
		"rep without team":   {discreet.ScopeAll: full, discreet.ScopeTeam: stub, discreet.ScopeOwned: stub},
		"manager of team":    {discreet.ScopeAll: full, discreet.ScopeTeam: full, discreet.ScopeOwned: stub},
		"manager elsewhere":  {discreet.ScopeAll: full, discreet.ScopeTeam: stub, discreet.ScopeOwned: stub},
		"admin":              {discreet.ScopeAll: full, discreet.ScopeTeam: full, discreet.ScopeOwned: full},
		"unknown role":       {discreet.ScopeAll: stub, discreet.ScopeTeam: stub, discreet.ScopeOwned: stub}, // no scope: owned
		"nobody (no e-mail)": {discreet.ScopeAll: stub, discreet.ScopeTeam: stub, discreet.ScopeOwned: stub},
	}
	for name, v := range viewers {
		for _, scope := range []discreet.Scope{discreet.ScopeAll, discreet.ScopeTeam, discreet.ScopeOwned} {
			s := settingsWith(scope, scope, false)
			if got := ContactAccess(v, contact, s); got != want[name][scope] {
				t.Errorf("%s, scope %s: ContactAccess = %s, want %s", name, scope, got, want[name][scope])
			}
		}
	}
	// A contact without a team is only reachable through all or ownership.
	teamless := discreet.Contact{Email: "x@kunde.ch", Owner: "beat@acme.ch"}
	if got := ContactAccess(viewers["rep without team"], teamless, settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)); got != stub {
		t.Errorf("teamless contact, team scope: %s, want stub", got)
	}
	// Nobody owns an ownerless contact, least of all a user without an email.
	ownerless := discreet.Contact{Email: "x@kunde.ch", Team: "de"}
	if got := ContactAccess(discreet.User{Role: discreet.RoleRep}, ownerless, settingsWith(discreet.ScopeOwned, discreet.ScopeOwned, false)); got != stub {
		t.Errorf("ownerless contact, user without email: %s, want stub", got)
	}
}

func TestCanManageContact(t *testing.T) {
	c := discreet.Contact{Email: "kunde@kunde.ch", Owner: "beat@acme.ch", Team: "ch"}
	for _, tt := range []struct {
		v    discreet.User
		want bool
	}{
		{discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}, true},
		{discreet.User{Email: "rita@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}, false},
		{discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}, true},
		{discreet.User{Email: "max@acme.com", Role: discreet.RoleManager, Teams: []string{"de"}}, false},
		{discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}, true},
		{discreet.User{Role: discreet.RoleRep}, false},
	} {
		if got := CanManageContact(tt.v, c); got != tt.want {
			t.Errorf("CanManageContact(%s %s) = %v, want %v", tt.v.Role, tt.v.Email, got, tt.want)
		}
	}
	if CanManageContact(discreet.User{Role: discreet.RoleRep}, discreet.Contact{Email: "x@kunde.ch"}) {
		t.Error("a user without email manages an ownerless contact")
	}
}

func TestCanManageEmail(t *testing.T) {
	e := discreet.Email{Owner: "beat@acme.ch", Team: "ch", Internal: []string{"rita@acme.ch"}}
	for _, tt := range []struct {
		v    discreet.User
		want bool
	}{
		{discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep}, true},
		{discreet.User{Email: "rita@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}, false}, // participant, not owner
		{discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}, false},
		{discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}, true},
	} {
		if got := CanManageEmail(tt.v, e); got != tt.want {
			t.Errorf("CanManageEmail(%s %s) = %v, want %v", tt.v.Role, tt.v.Email, got, tt.want)
		}
	}
	if CanManageEmail(discreet.User{Role: discreet.RoleRep}, discreet.Email{}) {
		t.Error("a user without email manages an ownerless email")
	}
}

func TestCanReadEmail(t *testing.T) {
	beat := discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}
	rita := discreet.User{Email: "rita@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}
	otto := discreet.User{Email: "otto@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	paul := discreet.User{Email: "paul@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}} // internal participant
	carla := discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}
	max := discreet.User{Email: "max@acme.com", Role: discreet.RoleManager, Teams: []string{"de"}}
	root := discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}
	foreign := discreet.User{Email: "eve@evil.example", Role: discreet.RoleRep}
	nobody := discreet.User{Role: discreet.RoleRep, Teams: []string{"ch"}}

	email := func(v discreet.Visibility) discreet.Email {
		return discreet.Email{Owner: "beat@acme.ch", Team: "ch", Visibility: v, Contacts: []string{"a@kunde.ch", "b@kunde.ch"}, Internal: []string{"beat@acme.ch", "paul@acme.com"}}
	}
	fullOn := func(contacts ...string) func(string) discreet.Access {
		return func(c string) discreet.Access {
			for _, x := range contacts {
				if x == c {
					return discreet.AccessFull
				}
			}
			return discreet.AccessStub
		}
	}
	none, onB := fullOn(), fullOn("b@kunde.ch")
	type row struct {
		v                     discreet.User
		access                func(string) discreet.Access
		adminsReadPrivate     bool
		private, team, public bool
	}
	for name, r := range map[string]row{
		"owner":                         {beat, none, false, true, true, true},
		"internal participant":          {paul, none, false, true, true, true},
		"team member":                   {rita, none, false, false, true, true},
		"manager of the team":           {carla, none, false, false, true, true},
		"manager of another team":       {max, none, false, false, false, false},
		"other team, full on a contact": {otto, onB, false, false, false, true},
		"other team, stubs only":        {otto, none, false, false, false, false},
		"other team, nil access":        {otto, nil, false, false, false, false},
		"admin":                         {root, none, false, false, true, true},
		"admin, adminsReadPrivate":      {root, none, true, true, true, true},
		"foreign viewer":                {foreign, none, true, false, false, false},
		"foreign viewer with access":    {foreign, onB, false, false, false, true},
		"user without email":            {nobody, none, true, false, false, false},
	} {
		s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, r.adminsReadPrivate)
		for v, want := range map[discreet.Visibility]bool{discreet.VisibilityPrivate: r.private, discreet.VisibilityTeam: r.team, discreet.VisibilityPublic: r.public} {
			if got := CanReadEmail(r.v, email(v), s, r.access); got != want {
				t.Errorf("%s, %s email: CanReadEmail = %v, want %v", name, v, got, want)
			}
		}
	}
	// An email whose visibility is unknown reads as private: only admins
	// with adminsReadPrivate, beside owner and participants.
	odd := email("")
	if CanReadEmail(root, odd, settingsWith(discreet.ScopeAll, discreet.ScopeAll, false), fullOn("a@kunde.ch")) {
		t.Error("admin reads an email of unknown visibility without adminsReadPrivate")
	}
	if CanReadEmail(rita, odd, settingsWith(discreet.ScopeAll, discreet.ScopeAll, false), fullOn("a@kunde.ch")) {
		t.Error("team member reads an email of unknown visibility")
	}
}

func TestCanChangeVisibility(t *testing.T) {
	beat := discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep, Teams: []string{"ch"}}
	paul := discreet.User{Email: "paul@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}} // internal participant
	carla := discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}
	root := discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}
	rootOnIt := discreet.User{Email: "paul@acme.com", Role: discreet.RoleAdmin} // an admin who took part
	nobody := discreet.User{Role: discreet.RoleAdmin}
	email := func(v discreet.Visibility) discreet.Email {
		return discreet.Email{Owner: "beat@acme.ch", Team: "ch", Visibility: v, Contacts: []string{"a@kunde.ch"}, Internal: []string{"beat@acme.ch", "paul@acme.com"}}
	}
	type row struct {
		v                          discreet.User
		adminsReadPrivate          bool
		private, team, public, odd bool // odd: a visibility this code does not know
	}
	for name, r := range map[string]row{
		"owner":                               {beat, false, true, true, true, true},
		"internal participant (not owner)":    {paul, true, false, false, false, false},
		"manager of the team":                 {carla, true, false, false, false, false},
		"admin":                               {root, false, false, true, true, false},
		"admin, adminsReadPrivate":            {root, true, true, true, true, true},
		"admin on the email":                  {rootOnIt, false, true, true, true, true},
		"admin without email (not signed in)": {nobody, true, false, false, false, false},
	} {
		s := settingsWith(discreet.ScopeAll, discreet.ScopeAll, r.adminsReadPrivate)
		for v, want := range map[discreet.Visibility]bool{discreet.VisibilityPrivate: r.private, discreet.VisibilityTeam: r.team, discreet.VisibilityPublic: r.public, "secret": r.odd} {
			if got := CanChangeVisibility(r.v, email(v), s); got != want {
				t.Errorf("%s, %q email: CanChangeVisibility = %v, want %v", name, v, got, want)
			}
		}
	}
}

// TestCanChangeVisibilityIsManageAndRead: the rule is exactly "manages it
// and may read it", whatever the viewer's access to the contacts, so
// SetVisibility needs no contact reads.
func TestCanChangeVisibilityIsManageAndRead(t *testing.T) {
	users := []discreet.User{{}, {Role: discreet.RoleAdmin}}
	for _, role := range []discreet.Role{discreet.RoleAdmin, discreet.RoleManager, discreet.RoleRep, "intern"} {
		for _, addr := range []string{"beat@acme.ch", "paul@acme.com", "otto@acme.com"} {
			for _, teams := range [][]string{nil, {"ch"}, {"de"}} {
				users = append(users, discreet.User{Email: addr, Role: role, Teams: teams})
			}
		}
	}
	accesses := map[string]func(string) discreet.Access{
		"nil":  nil,
		"stub": func(string) discreet.Access { return discreet.AccessStub },
		"full": func(string) discreet.Access { return discreet.AccessFull },
	}
	for _, v := range users {
		for _, vis := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic, "", "secret"} {
			for _, owner := range []string{"beat@acme.ch", ""} {
				e := discreet.Email{Owner: owner, Team: "ch", Visibility: vis, Contacts: []string{"a@kunde.ch"}, Internal: []string{"paul@acme.com"}}
				for _, arp := range []bool{false, true} {
					s := settingsWith(discreet.ScopeAll, discreet.ScopeAll, arp)
					for name, access := range accesses {
						want := CanManageEmail(v, e) && CanReadEmail(v, e, s, access)
						if got := CanChangeVisibility(v, e, s); got != want {
							t.Fatalf("viewer %+v, email %+v, adminsReadPrivate %v, access %s: CanChangeVisibility = %v, manage && read = %v", v, e, arp, name, got, want)
						}
					}
				}
			}
		}
	}
}

func TestCanRenewWatches(t *testing.T) {
	for _, tt := range []struct {
		v    discreet.User
		want bool
	}{
		{discreet.User{Email: System}, true},
		{discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}, true},
		{discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}, false},
		{discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep}, false},
		{discreet.User{Email: "who@acme.com", Role: "intern"}, false},
		{discreet.User{Role: discreet.RoleAdmin}, false}, // not signed in
		{discreet.User{}, false},
		{discreet.User{Email: "System"}, false}, // only the exact actor
	} {
		if got := CanRenewWatches(tt.v); got != tt.want {
			t.Errorf("CanRenewWatches(%q %q) = %v, want %v", tt.v.Role, tt.v.Email, got, tt.want)
		}
	}
}

func TestCanReadAudit(t *testing.T) {
	rec := discreet.AuditRecord{Action: discreet.AuditRead, EmailOwner: "beat@acme.ch"}
	setting := discreet.AuditRecord{Action: discreet.AuditSettings}
	for _, tt := range []struct {
		v    discreet.User
		r    discreet.AuditRecord
		want bool
		name string
	}{
		{discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}, rec, true, "admin, email record"},
		{discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}, setting, true, "admin, settings record"},
		{discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep}, rec, true, "owner of the email"},
		{discreet.User{Email: "carla@acme.ch", Role: discreet.RoleManager, Teams: []string{"ch"}}, rec, false, "manager"},
		{discreet.User{Email: "beat@acme.ch", Role: discreet.RoleRep}, setting, false, "rep, settings record"},
		{discreet.User{Role: discreet.RoleRep}, setting, false, "user without email, record without owner"},
	} {
		if got := CanReadAudit(tt.v, tt.r); got != tt.want {
			t.Errorf("%s: CanReadAudit = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSeedScenario is the story of PRODUCT.md: anna in Germany finds beat's
// Swiss customer as a stub, not as nothing, and reads none of its email.
func TestSeedScenario(t *testing.T) {
	anna := discreet.User{Email: "anna@acme.com", Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de"}}
	beat := discreet.User{Email: "beat@acme.ch", Name: "Beat Keller", Role: discreet.RoleRep, Teams: []string{"ch"}}
	carla := discreet.User{Email: "carla@acme.ch", Name: "Carla", Role: discreet.RoleManager, Teams: []string{"ch"}}
	admin := discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}
	contact := discreet.Contact{Email: "kunde@kunde.ch", Owner: beat.Email, Team: "ch"}
	s := discreet.DefaultOrgSettings()
	s.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleRep: discreet.ScopeTeam, discreet.RoleManager: discreet.ScopeTeam}

	if got := ContactAccess(anna, contact, s); got != discreet.AccessStub {
		t.Fatalf("anna's access to beat's contact = %s, want stub", got)
	}
	// The stub tells her who to ask.
	if contact.Owner != beat.Email || contact.Team != "ch" {
		t.Fatalf("stub = owner %q team %q", contact.Owner, contact.Team)
	}
	emails := map[discreet.Visibility]discreet.Email{}
	for _, v := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic} {
		emails[v] = discreet.Email{Owner: beat.Email, Team: "ch", Visibility: v, Contacts: []string{contact.Email}, Internal: []string{beat.Email}}
	}
	access := func(u discreet.User) func(string) discreet.Access {
		return func(string) discreet.Access { return ContactAccess(u, contact, s) }
	}
	for v, e := range emails {
		if CanReadEmail(anna, e, s, access(anna)) {
			t.Errorf("anna reads beat's %s email", v)
		}
		// Unless she was on it.
		onIt := e
		onIt.Internal = append([]string{anna.Email}, e.Internal...)
		if !CanReadEmail(anna, onIt, s, access(anna)) {
			t.Errorf("anna cannot read a %s email she was on", v)
		}
		wantCarla := v != discreet.VisibilityPrivate
		if got := CanReadEmail(carla, e, s, access(carla)); got != wantCarla {
			t.Errorf("carla reads beat's %s email: %v, want %v", v, got, wantCarla)
		}
		for _, arp := range []bool{false, true} {
			s := s
			s.AdminsReadPrivate = arp
			want := v != discreet.VisibilityPrivate || arp
			if got := CanReadEmail(admin, e, s, access(admin)); got != want {
				t.Errorf("admin (adminsReadPrivate=%v) reads beat's %s email: %v, want %v", arp, v, got, want)
			}
		}
	}
}

// TestAudienceAgreesWithReadCheck proves, over a population that covers
// every role, scope, visibility and team shape, that the store's audience
// key query shows exactly the emails the read check allows.
func TestAudienceAgreesWithReadCheck(t *testing.T) {
	teamSets := [][]string{nil, {"de"}, {"ch"}, {"de", "ch"}, {"", "fr"}, {"ch", "ch"}}
	var users []discreet.User
	for _, role := range []discreet.Role{discreet.RoleAdmin, discreet.RoleManager, discreet.RoleRep, "intern"} {
		for i, teams := range teamSets {
			users = append(users, discreet.User{Email: fmt.Sprintf("%s%d@acme.com", role, i), Role: role, Teams: teams})
		}
	}
	many := make([]string, MaxTeamsPerUser)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	many[len(many)-1] = "ch"
	users = append(users,
		discreet.User{Email: "busy@acme.com", Role: discreet.RoleRep, Teams: many},
		discreet.User{Email: "busyboss@acme.com", Role: discreet.RoleManager, Teams: many},
		discreet.User{Role: discreet.RoleRep, Teams: []string{"ch"}}, // no email
	)
	var contacts []discreet.Contact
	for i, owner := range []string{"rep1@acme.com", "manager2@acme.com", "rep3@acme.com", "admin0@acme.com", "", "gone@acme.com"} {
		for _, team := range []string{"", "de", "ch", "fr"} {
			contacts = append(contacts, discreet.Contact{Email: fmt.Sprintf("c%d%s@kunde.example", i, team), Owner: owner, Team: team})
		}
	}
	var emails []discreet.Email
	owners := []string{"rep1@acme.com", "manager2@acme.com", "admin0@acme.com", "gone@acme.com", "busy@acme.com"}
	internals := [][]string{nil, {"rep2@acme.com"}, {"manager1@acme.com", "rep4@acme.com"}}
	visibilities := []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic, ""}
	n := 0
	for _, owner := range owners {
		for _, team := range []string{"", "de", "ch", "fr", "t3"} {
			for _, internal := range internals {
				for _, vis := range visibilities {
					// One to three contacts, rotating through the population.
					k := 1 + n%3
					var cs []string
					for j := 0; j < k; j++ {
						cs = append(cs, contacts[(n*7+j*5)%len(contacts)].Email)
					}
					n++
					emails = append(emails, discreet.Email{Owner: owner, Team: team, Visibility: vis, Contacts: cs, Internal: append([]string{owner}, internal...)})
				}
			}
		}
	}
	contactByEmail := map[string]discreet.Contact{}
	for _, c := range contacts {
		contactByEmail[c.Email] = c
	}
	scopes := []discreet.Scope{discreet.ScopeAll, discreet.ScopeTeam, discreet.ScopeOwned, ""}
	var settings []discreet.OrgSettings
	for _, rep := range scopes {
		for _, mgr := range scopes {
			for _, arp := range []bool{false, true} {
				settings = append(settings, settingsWith(rep, mgr, arp))
			}
		}
	}
	checks := 0
	for _, s := range settings {
		for _, v := range users {
			for _, e := range emails {
				access := func(c string) discreet.Access { return ContactAccess(v, contactByEmail[c], s) }
				ea := EmailAudience(e)
				any := false
				for _, c := range e.Contacts {
					acc := access(c)
					va := ViewerAudience(v, s, acc)
					if len(va) > MaxViewerKeys {
						t.Fatalf("ViewerAudience(%+v) has %d keys, limit %d", v, len(va), MaxViewerKeys)
					}
					keys := SharesKey(ea, va)
					read := CanReadOnTimeline(v, e, s, acc)
					if keys != read {
						t.Fatalf("viewer %+v, email %+v, contact %s (%s), settings %v/%v:\nSharesKey(%q, %q) = %v, CanReadOnTimeline = %v",
							v, e, c, acc, s.ContactAccess, s.AdminsReadPrivate, ea, va, keys, read)
					}
					any = any || read
					checks++
				}
				if got := CanReadEmail(v, e, s, access); got != any {
					t.Fatalf("viewer %+v, email %+v: CanReadEmail = %v, OR of CanReadOnTimeline = %v", v, e, got, any)
				}
			}
		}
	}
	t.Logf("%d (viewer, email, contact, settings) cases agree", checks)
}

// TestAudienceTooManyTeams: a user beyond MaxTeamsPerUser (the service
// refuses to save one) loses keys, never gains them.
func TestAudienceTooManyTeams(t *testing.T) {
	teams := make([]string, MaxViewerKeys+5)
	for i := range teams {
		teams[i] = fmt.Sprintf("t%d", i)
	}
	v := discreet.User{Email: "busy@acme.com", Role: discreet.RoleRep, Teams: teams}
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	for _, acc := range []discreet.Access{discreet.AccessFull, discreet.AccessStub} {
		va := ViewerAudience(v, s, acc)
		if len(va) > MaxViewerKeys {
			t.Fatalf("%d keys, limit %d", len(va), MaxViewerKeys)
		}
		for _, team := range teams {
			e := discreet.Email{Owner: "x@acme.com", Team: team, Visibility: discreet.VisibilityTeam, Contacts: []string{"c@kunde.example"}}
			if SharesKey(EmailAudience(e), va) && !CanReadOnTimeline(v, e, s, acc) {
				t.Errorf("audience shows team %s email the read check denies", team)
			}
		}
	}
}
