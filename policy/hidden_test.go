package policy

import (
	"testing"

	"github.com/discreet-crm/discreet"
)

// SeesEveryEmail holds exactly for viewers who share a key with every
// email, whatever its visibility, owner and team.
func TestSeesEveryEmail(t *testing.T) {
	emails := []discreet.Email{
		{Owner: "x@acme.com", Team: "ch", Visibility: discreet.VisibilityPrivate},
		{Owner: "y@acme.com", Visibility: discreet.VisibilityTeam},
		{Owner: "z@acme.com", Team: "de", Visibility: discreet.VisibilityPublic, Internal: []string{"w@acme.com"}},
	}
	for _, readPrivate := range []bool{false, true} {
		s := discreet.DefaultOrgSettings()
		s.AdminsReadPrivate = readPrivate
		for _, v := range []discreet.User{
			{Email: "admin@acme.com", Role: discreet.RoleAdmin},
			{Email: "rep@acme.com", Role: discreet.RoleRep, Teams: []string{"de", "ch"}},
			{Email: "mgr@acme.com", Role: discreet.RoleManager, Teams: []string{"ch"}},
		} {
			keys := ViewerAudience(v, s, discreet.AccessFull)
			all := true
			for _, e := range emails {
				all = all && SharesKey(EmailAudience(e), keys)
			}
			if got := SeesEveryEmail(keys); got != (v.Role == discreet.RoleAdmin && readPrivate) || got && !all {
				t.Errorf("%s (adminsReadPrivate %v): SeesEveryEmail %v, reads all three: %v", v.Email, readPrivate, got, all)
			}
		}
	}
}

// Every email's audience carries the key CarriedByEveryEmail names, and
// exactly one key of any audience or viewer's keys is that key or none is.
func TestCarriedByEveryEmail(t *testing.T) {
	for _, vis := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic, "unknown"} {
		for _, e := range []discreet.Email{
			{Owner: "x@acme.com", Team: "ch", Visibility: vis},
			{Owner: "y@acme.com", Visibility: vis, Internal: []string{"w@acme.com"}},
			{Owner: "z@acme.com", Team: "de", Visibility: vis, Shares: []discreet.Share{{Users: []string{"v@acme.com"}, Teams: []string{"fr"}}}},
		} {
			n := 0
			for _, k := range EmailAudience(e) {
				if CarriedByEveryEmail(k) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%+v: %d keys carried by every email in %q, want 1", e, n, EmailAudience(e))
			}
		}
	}
	for _, k := range []string{"", "u:x@acme.com", "t:de", "x:public", "x:shared", "x:ALL", " x:all"} {
		if CarriedByEveryEmail(k) {
			t.Errorf("CarriedByEveryEmail(%q) = true", k)
		}
	}
}
