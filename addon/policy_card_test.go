package addon

import (
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

// policyScenarios are the cards of the protection and visibility policy
// areas, and the compose and message cards under a policy or with a
// protected contact.
func policyScenarios() map[string]Response {
	en, de := enView(), deView()
	entries := []discreet.ProtectedEntry{
		{Pattern: "@secret-bank.example", Note: "M&A <project>", AddedBy: "admin@acme.example", AddedAt: at("2026-03-01T10:00:00Z")},
		{Pattern: "ceo@zurich-bank.example", AddedBy: "admin@acme.example", AddedAt: at("2026-03-02T10:00:00Z")},
	}
	dry := service.ProtectResult{Entry: discreet.ProtectedEntry{Pattern: "kunde@zurich-bank.example"}, DryRun: true, Matching: 3}
	pol := &discreet.VisibilityPolicy{
		Roles: map[discreet.Role]discreet.VisibilityRule{discreet.RoleRep: {Default: discreet.VisibilityTeam}},
		Teams: map[string]discreet.VisibilityRule{"legal": {Max: discreet.VisibilityTeam, Default: discreet.VisibilityPrivate, Locked: true}},
	}
	teams := []discreet.Team{{ID: "ch", Name: "Switzerland"}, {ID: "de", Name: "Germany"}, {ID: "legal", Name: "Legal"}}

	capped := policy.VisibilityPolicyFor(discreet.User{Role: discreet.RoleRep, Teams: []string{"ch"}},
		&discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"ch": {Max: discreet.VisibilityTeam}}})
	composeCapped := composeModel{To: []string{"kunde@zurich-bank.example"},
		State: service.ComposeState{Log: true, Visibility: discreet.VisibilityTeam, Contacts: []service.ContactView{beatStub},
			Choices: service.VisibilityChoices{Allowed: []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam}, Default: discreet.VisibilityTeam, Policy: &capped}}}
	composeProtected := composeModel{To: []string{"ceo@secret-bank.example"},
		State: service.ComposeState{Log: true, Visibility: discreet.VisibilityPrivate,
			Choices: service.VisibilityChoices{Allowed: []discreet.Visibility{discreet.VisibilityPrivate}, Default: discreet.VisibilityPrivate,
				Forced: discreet.ForcedProtected, Protected: "ceo@secret-bank.example"}}}
	protectedStub := service.ContactView{Email: "ceo@secret-bank.example", Access: discreet.AccessStub,
		Owner: "beat@acme-ch.example", OwnerName: "Beat Keller", Team: "ch", TeamName: "Switzerland"}
	messageProtected := messageModel{GmailMessageID: "msg-secret", Subject: "Board", DefaultVisibility: discreet.VisibilityPrivate,
		Choices: composeProtected.State.Choices,
		// A protected contact's timeline: no hidden count, no hidden rows.
		Contacts: []contactModel{{Address: "ceo@secret-bank.example", Contact: &protectedStub, Timeline: &service.TimelineView{Contact: protectedStub}}}}

	return map[string]Response{
		"protect_list":      render("", Navigation{PushCard: en.protectCard(protectModel{Entries: entries})}),
		"protect_dry_run":   render("", Navigation{UpdateCard: en.protectCard(protectModel{Entries: entries, Pattern: "kunde@zurich-bank.example", DryRun: &dry})}),
		"protect_error_de":  render("", Navigation{UpdateCard: de.protectCard(protectModel{Pattern: "bad@@x", Error: `pattern: "bad@@x" has more than one '@'`})}),
		"policy":            render("", Navigation{PushCard: en.policyCard(policyModel{Policy: pol, Teams: teams})}),
		"compose_policy":    pushCard(en.composeCard(composeCapped)),
		"compose_protected": pushCard(en.composeCard(composeProtected)),
		"message_protected": pushCard(en.messageCard(messageProtected)),
	}
}

func TestGoldenPolicyCards(t *testing.T) {
	for name, resp := range policyScenarios() {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, marshal(t, resp)) })
	}
}

// TestPolicyFromForm: the card's inputs read back into the policy they
// show; rules left empty are dropped.
func TestPolicyFromForm(t *testing.T) {
	ev := &Event{Common: CommonEvent{FormInputs: map[string]FormInput{}}}
	set := func(k, v string) {
		ev.Common.FormInputs[k] = FormInput{StringInputs: &StringInputs{Value: []string{v}}}
	}
	set("max:team:legal", "team")
	set("default:team:legal", "private")
	set("locked:team:legal", "true")
	set("max:role:rep", "none")
	set("default:role:rep", "none")
	got := policyFromForm(ev, []discreet.Team{{ID: "legal"}, {ID: "de"}})
	want := discreet.VisibilityRule{Max: discreet.VisibilityTeam, Default: discreet.VisibilityPrivate, Locked: true}
	if got == nil || got.Teams["legal"] != want || len(got.Teams) != 1 || got.Roles != nil {
		t.Fatalf("policyFromForm = %+v", got)
	}
	if p := policyFromForm(&Event{}, nil); p != nil {
		t.Fatalf("an empty form: %+v", p)
	}
}
