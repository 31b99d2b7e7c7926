package policy

import (
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy/sensitive"
)

// TestDecideSensitive: a never_log rule refuses after erased_subject and
// before unreadable participants, naming the rule; a private rule narrows
// what is logged to private; with no rules nothing changes.
func TestDecideSensitive(t *testing.T) {
	internal, _ := NewDomains([]string{"corp.example"})
	yes, no := true, false
	sc, err := sensitive.Compile([]discreet.SensitivityRule{
		{ID: "kw", Detector: discreet.DetectorKeyword, Keyword: "Falke", Action: discreet.ActionPrivate, AddedBy: "admin@corp.example"},
		{ID: "iban", Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog},
	})
	if err != nil {
		t.Fatal(err)
	}
	org := Compile([]Entry{{Kind: KindAddress, Value: "blocked@acme.example"}})
	const iban = "DE89 3704 0044 0532 0130 00"
	for _, tc := range []struct {
		name, to, body string
		toggle         *bool
		vis            discreet.Visibility
		want           discreet.Reason
		wantVis        discreet.Visibility
		wantRule       string
	}{
		{"iban", "bob@acme.example", "pay " + iban, &yes, "", discreet.ReasonSensitiveContent, "", "iban"},
		{"never log list first", "blocked@acme.example", iban, &yes, "", discreet.ReasonNeverLogList, "", ""},
		{"before unreadable", "bob@acme.example, \"broken", iban, &yes, "", discreet.ReasonSensitiveContent, "", "iban"},
		{"before toggled off", "bob@acme.example", iban, &no, "", discreet.ReasonSensitiveContent, "", "iban"},
		{"private rule", "bob@acme.example", "Projekt Falke", &yes, discreet.VisibilityPublic, discreet.ReasonLogged, discreet.VisibilityPrivate, "kw"},
		{"never log beats private", "bob@acme.example", "Falke " + iban, &yes, "", discreet.ReasonSensitiveContent, "", "iban"},
		{"private rule, toggled off", "bob@acme.example", "Falke", &no, "", discreet.ReasonToggledOff, "", ""},
		{"nothing fires", "bob@acme.example", "Order 4111111111111112", &yes, discreet.VisibilityTeam, discreet.ReasonLogged, discreet.VisibilityTeam, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{Participants: ParseAddressList("to", tc.to), Toggle: tc.toggle, Visibility: tc.vis,
				DefaultVisibility: discreet.VisibilityPublic, Internal: internal, Org: org,
				Rules: Sensitivity{Scanner: sc, Message: sensitive.Message{Body: tc.body}}})
			rule := ""
			if d.Rule != nil {
				rule = d.Rule.ID
				if d.Rule.AddedBy != "" {
					t.Fatalf("the decision names who added the rule: %+v", d.Rule)
				}
			}
			if d.Reason != tc.want || d.Visibility != tc.wantVis || rule != tc.wantRule {
				t.Fatalf("Decide = %s %s rule %q, want %s %s rule %q", d.Reason, d.Visibility, rule, tc.want, tc.wantVis, tc.wantRule)
			}
		})
	}
	// No rules: the zero Sensitivity decides nothing.
	if d := Decide(Input{Participants: ParseAddressList("to", "bob@acme.example"), Toggle: &yes, Internal: internal,
		Rules: Sensitivity{Message: sensitive.Message{Body: iban}}}); d.Reason != discreet.ReasonLogged || d.Rule != nil {
		t.Fatalf("without rules: %+v", d)
	}
}
