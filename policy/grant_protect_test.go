package policy

import (
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

// TestProtectionBeatsGrants: a protected contact is a stub to all but its
// owner and admins whatever was granted, and no share reaches an email
// with it; without the protection the same grants and shares give access.
func TestProtectionBeatsGrants(t *testing.T) {
	s := settingsWith(discreet.ScopeTeam, discreet.ScopeTeam, false)
	later := grantNow.Add(time.Hour)
	prot, bad := CompileProtected([]discreet.ProtectedEntry{{Pattern: "@kunde.ch"}})
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	shared := beatsEmail(discreet.VisibilityPrivate)
	shared.Shares = []discreet.Share{{ID: "s", Users: []string{annaRep.Email}, By: beatRep.Email}}
	contact := func(string) (discreet.Contact, bool) { return kundeCH, true }
	for _, tc := range []struct {
		name string
		g    Grants
		e    discreet.Email
	}{
		{"contact grant", grantOf(discreet.GrantContact, beatRep, annaRep, later), beatsEmail(discreet.VisibilityPublic)},
		{"contact-emails grant", grantOf(discreet.GrantContactEmails, beatRep, annaRep, later), beatsEmail(discreet.VisibilityTeam)},
		{"share", Grants{Now: grantNow}, shared},
	} {
		open := tc.g
		if !CanReadEmailWith(annaRep, tc.e, s, contact, open) {
			t.Fatalf("%s: unprotected, the grant or share should let Anna read the email", tc.name)
		}
		closed := tc.g
		closed.Protected = prot
		if CanReadEmailWith(annaRep, tc.e, s, contact, closed) {
			t.Errorf("%s: Anna reads an email with a protected contact", tc.name)
		}
		if CanReadOnTimelineWith(annaRep, tc.e, s, kundeCH, closed) {
			t.Errorf("%s: Anna reads it on the protected contact's timeline", tc.name)
		}
		if a := ContactAccessWith(annaRep, kundeCH, s, closed); a != discreet.AccessStub {
			t.Errorf("%s: Anna's access to the protected contact = %v, want stub", tc.name, a)
		}
		for _, k := range ViewerAudienceWith(annaRep, s, kundeCH, closed) {
			if k == keyPublic || k == keyTeam+"ch" || k == keyUser+beatRep.Email {
				t.Errorf("%s: Anna presents %q on the protected contact's timeline", tc.name, k)
			}
		}
	}
	// Its owner and admins keep full access.
	for _, v := range []discreet.User{beatRep, rootAdm} {
		if a := ContactAccessWith(v, kundeCH, s, Grants{Now: grantNow, Protected: prot}); a != discreet.AccessFull {
			t.Errorf("%s's access to their protected contact = %v, want full", v.Email, a)
		}
	}
}
