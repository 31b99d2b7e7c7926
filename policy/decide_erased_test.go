package policy

import (
	"bytes"
	"testing"

	"github.com/discreet-crm/discreet"
)

// TestDecideErased: a tombstone refuses the email after the Never Log List
// and before everything else, and the decision names nothing of who.
func TestDecideErased(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, MinTombstoneSecret)
	addr, _, err := TombstoneFor(secret, "Lisa@Acme.example")
	if err != nil {
		t.Fatal(err)
	}
	dom, _, err := TombstoneFor(secret, "@gone.example")
	if err != nil {
		t.Fatal(err)
	}
	erased, err := CompileTombstones(secret, []discreet.Tombstone{addr, dom})
	if err != nil {
		t.Fatal(err)
	}
	internal, _ := NewDomains([]string{"corp.example"})
	yes := true
	org := Compile([]Entry{{Kind: KindAddress, Value: "blocked@acme.example"}})
	for _, tc := range []struct {
		name, to string
		want     discreet.Reason
	}{
		{"address", "lisa@acme.example", discreet.ReasonErasedSubject},
		{"spelling", "LISA@acme.example", discreet.ReasonErasedSubject},
		{"subdomain of an erased domain", "x@eu.gone.example", discreet.ReasonErasedSubject},
		{"among others", "bob@other.example, lisa@acme.example", discreet.ReasonErasedSubject},
		{"never log first", "blocked@acme.example, lisa@acme.example", discreet.ReasonNeverLogList},
		{"before unreadable", "lisa@acme.example, \"broken", discreet.ReasonErasedSubject},
		{"someone else", "bob@acme.example", discreet.ReasonLogged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{
				Participants: ParseAddressList("to", tc.to), Toggle: &yes, DefaultVisibility: discreet.VisibilityPublic,
				Internal: internal, Org: org, Erased: erased,
			})
			if d.Reason != tc.want {
				t.Fatalf("Decide(%q) = %+v, want %s", tc.to, d, tc.want)
			}
			if d.Reason == discreet.ReasonErasedSubject && (d.Address != "" || d.Entry != "" || d.Text != "" || len(d.Malformed) > 0 || len(d.Contacts) > 0) {
				t.Fatalf("erased_subject names something: %+v", d)
			}
		})
	}
	// No tombstones: nil costs nothing and decides nothing.
	if d := Decide(Input{Participants: ParseAddressList("to", "lisa@acme.example"), Toggle: &yes, Internal: internal}); d.Reason != discreet.ReasonLogged {
		t.Fatalf("without tombstones: %+v", d)
	}
}
