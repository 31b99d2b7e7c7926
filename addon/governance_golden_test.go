package addon

import (
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// governanceScenarios are the admin governance cards, and the message
// card naming a sensitivity rule, for hand-built service results.
func governanceScenarios() map[string]Response {
	en, de := enView(), deView()
	iban := discreet.SensitivityRule{ID: "r-iban", Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog,
		AddedBy: "admin@acme.example", AddedAt: at("2026-10-01T08:00:00Z")}
	falke := discreet.SensitivityRule{ID: "r-falke", Detector: discreet.DetectorKeyword, Keyword: "Projekt Falke", Action: discreet.ActionPrivate,
		AddedBy: "admin@acme.example", AddedAt: at("2026-10-02T08:00:00Z")}
	holds := []service.HoldView{
		{LegalHold: discreet.LegalHold{ID: "h1", Contact: "lisa@kunde.example", Reason: "Müller v. Kunde AG", CreatedBy: "admin@acme.example", CreatedAt: at("2026-09-01T10:00:00Z")}},
		{LegalHold: discreet.LegalHold{ID: "h2", From: at("2026-01-01T00:00:00Z"), To: at("2026-03-31T23:59:59Z"), Reason: "Tax audit 2026", CreatedBy: "admin@acme.example", CreatedAt: at("2026-09-02T10:00:00Z")}},
		{LegalHold: discreet.LegalHold{ID: "h3", Contact: "not an address"}, Broken: true},
	}
	blocked := messageModel{GmailMessageID: "gm-1", Subject: "Zahlung", Decision: &discreet.Decision{Reason: discreet.ReasonSensitiveContent, Rule: &iban},
		DefaultVisibility: discreet.VisibilityPublic}
	private := messageModel{GmailMessageID: "gm-2", Subject: "Status Projekt Falke", Rule: &falke, DefaultVisibility: discreet.VisibilityPublic}
	return map[string]Response{
		"rules":             pushCard(en.rulesCard(rulesModel{Rules: []discreet.SensitivityRule{iban, falke}})),
		"rules_empty_error": pushCard(en.rulesCard(rulesModel{Error: "keyword: is empty; a keyword rule needs a word or phrase"})),
		"rules_dry_run":     render("", Navigation{UpdateCard: en.rulesCard(rulesModel{Rules: []discreet.SensitivityRule{iban, falke}, DryRun: &service.RulePurgeResult{Rule: iban, DryRun: true, Matching: 3, Note: "The purge reads each logged email's subject and stored text."}})}),
		"holds":             pushCard(en.holdsCard(holdsModel{Holds: holds})),
		"holds_empty":       pushCard(en.holdsCard(holdsModel{Error: "reason: is missing; say why the hold is needed, e.g. the case it is for"})),
		"erasure":           pushCard(en.erasureCard(erasureModel{})),
		"erasure_dry_run":   render("", Navigation{UpdateCard: en.erasureCard(erasureModel{Subject: "lisa@kunde.example", Counts: &service.ErasureCounts{Emails: 12, Contacts: 1, Intents: 2, AuditRecords: 5}})}),
		"retention":         pushCard(en.retentionCard(retentionModel{Retention: discreet.Retention{Private: "P12M", Public: "P3Y", Teams: map[string]discreet.RetentionPeriods{"ch": {Private: "P6M"}}}})),
		"retention_preview": render("", Navigation{UpdateCard: en.retentionCard(retentionModel{Retention: discreet.Retention{Private: "P6M"}, Preview: &service.RetentionPreview{Effect: service.RetentionCounts{Expired: 120, Held: 3, ExpiringSoon: 14}, Current: service.RetentionCounts{Expired: 0, ExpiringSoon: 2}}})}),
		"retention_error":   pushCard(en.retentionCard(retentionModel{Retention: discreet.Retention{Private: "12 months"}, Error: `retention.private: "12 months" is not an ISO 8601 duration; write one like P12M (12 months), P2Y or P30D`})),
		"compose_rules": pushCard(en.composeCard(composeModel{To: []string{"kunde@zurich-bank.example"},
			State: service.ComposeState{Log: true, Visibility: discreet.VisibilityPublic, Rules: []discreet.SensitivityRule{
				{ID: "r1", Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog},
				{ID: "r2", Detector: discreet.DetectorKeyword, Action: discreet.ActionPrivate},
				{ID: "r3", Detector: discreet.DetectorKeyword, Action: discreet.ActionPrivate}}}})),
		"message_sensitive":       pushCard(en.messageCard(blocked)),
		"message_rule_private_de": pushCard(de.messageCard(private)),
	}
}

func TestGovernanceCards(t *testing.T) {
	for name, resp := range governanceScenarios() {
		t.Run(name, func(t *testing.T) { checkGolden(t, "governance_"+name, marshal(t, resp)) })
	}
}
