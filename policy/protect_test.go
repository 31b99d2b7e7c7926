package policy

import (
	"testing"

	"github.com/discreet-crm/discreet"
)

// TestDecideProtected: an email with a protected participant is logged
// private whatever the rep chose and whatever the defaults, and the
// decision says why; a decision that does not log is left alone.
func TestDecideProtected(t *testing.T) {
	internal, _ := NewDomains([]string{"corp.example"})
	prot, bad := CompileProtected([]discreet.ProtectedEntry{{Pattern: "ceo@bank.example"}, {Pattern: "@secret.example"}})
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	org := Compile([]Entry{{Kind: KindAddress, Value: "blocked@bank.example"}})
	no := false
	for _, tc := range []struct {
		name, to  string
		chosen    discreet.Visibility
		toggle    *bool
		wantVis   discreet.Visibility
		wantWhy   string
		wantWho   string
		wantLog   bool
		wantReasn discreet.Reason
	}{
		{"address, public chosen", "ceo@bank.example", discreet.VisibilityPublic, nil, discreet.VisibilityPrivate, discreet.ForcedProtected, "ceo@bank.example", true, discreet.ReasonLogged},
		{"spelling", "CEO+x@Bank.example", discreet.VisibilityTeam, nil, discreet.VisibilityPrivate, discreet.ForcedProtected, "ceo@bank.example", true, discreet.ReasonLogged},
		{"default applies", "ceo@bank.example", "", nil, discreet.VisibilityPrivate, discreet.ForcedProtected, "ceo@bank.example", true, discreet.ReasonLogged},
		{"subdomain", "x@eu.secret.example", discreet.VisibilityPublic, nil, discreet.VisibilityPrivate, discreet.ForcedProtected, "x@eu.secret.example", true, discreet.ReasonLogged},
		{"among others in cc", "bob@other.example, x@secret.example", discreet.VisibilityPublic, nil, discreet.VisibilityPrivate, discreet.ForcedProtected, "x@secret.example", true, discreet.ReasonLogged},
		{"someone else", "bob@other.example", discreet.VisibilityPublic, nil, discreet.VisibilityPublic, "", "", true, discreet.ReasonLogged},
		{"lookalike domain", "x@notsecret.example", discreet.VisibilityPublic, nil, discreet.VisibilityPublic, "", "", true, discreet.ReasonLogged},
		{"never log first", "blocked@bank.example, ceo@bank.example", discreet.VisibilityPublic, nil, "", "", "", false, discreet.ReasonNeverLogList},
		{"toggled off", "ceo@bank.example", discreet.VisibilityPublic, &no, "", "", "", false, discreet.ReasonToggledOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := append(ParseAddressList("from", "anna@corp.example"), ParseAddressList("to", tc.to)...)
			d := Decide(Input{Participants: ps, DefaultLog: true, Toggle: tc.toggle, Visibility: tc.chosen,
				DefaultVisibility: discreet.VisibilityPublic, Internal: internal, Org: org, Protected: prot})
			if d.Logged != tc.wantLog || d.Reason != tc.wantReasn || d.Visibility != tc.wantVis || d.VisibilityForced != tc.wantWhy || d.Protected != tc.wantWho {
				t.Fatalf("got logged=%v reason=%s vis=%q forced=%q protected=%q; want %v %s %q %q %q",
					d.Logged, d.Reason, d.Visibility, d.VisibilityForced, d.Protected, tc.wantLog, tc.wantReasn, tc.wantVis, tc.wantWhy, tc.wantWho)
			}
		})
	}
	// No protection: nothing changes, nil is safe.
	ps := ParseAddressList("to", "ceo@bank.example, anna@corp.example")
	if d := Decide(Input{Participants: ps, DefaultLog: true, Visibility: discreet.VisibilityPublic, Internal: internal}); d.Visibility != discreet.VisibilityPublic || d.VisibilityForced != "" {
		t.Fatalf("without protection: %+v", d)
	}
}

// TestProtectedCoversEmail: a stored email is covered by any address it
// names, including lenient keys of unreadable participants.
func TestProtectedCoversEmail(t *testing.T) {
	prot, _ := CompileProtected([]discreet.ProtectedEntry{{Pattern: "@secret.example"}})
	for _, tc := range []struct {
		name string
		e    discreet.Email
		want bool
	}{
		{"contact", discreet.Email{Contacts: []string{"a@secret.example"}}, true},
		{"participant only", discreet.Email{Contacts: []string{"b@other.example"}, Participants: []string{"x@mail.secret.example"}}, true},
		{"lenient key", discreet.Email{Lenient: []string{"odd@secret.example"}}, true},
		{"none", discreet.Email{Contacts: []string{"b@other.example"}, Participants: []string{"b@other.example"}}, false},
	} {
		if _, _, got := prot.CoversEmail(tc.e); got != tc.want {
			t.Errorf("%s: covered = %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *Protected
	if _, _, ok := none.CoversEmail(discreet.Email{Contacts: []string{"a@secret.example"}}); ok || none.Len() != 0 {
		t.Fatal("a nil Protected protects nothing")
	}
}
