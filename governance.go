package discreet

import "time"

// Data governance (PRODUCT.md "Data governance"): sensitivity rules,
// erasure tombstones, retention and legal holds. The rules that use these
// types are pure functions in policy/ and policy/sensitive.

// Reasons the log decision gives for data governance. In the decision order
// of PRODUCT.md they come right after never_log_list and before
// unreadable_participant:
//
//	never_log_list → erased_subject → sensitive_content → unreadable_participant → toggled_off → internal_only → logged
//
// erased_subject comes before sensitive_content because it concerns who the
// email is with, which needs no reading of its text; both come before
// unreadable_participant because they block whatever the unreadable header
// says. A sensitivity rule with action "private" is not a reason: the email
// is logged (reason logged) with visibility private.
const (
	// ReasonErasedSubject: a participant, or a domain one is at, was erased
	// on request. The decision names no address and no tombstone to the rep.
	ReasonErasedSubject Reason = "erased_subject"
	// ReasonSensitiveContent: a sensitivity rule with action never_log
	// fired; the decision names the rule, never the matched text.
	ReasonSensitiveContent Reason = "sensitive_content"
)

// Detector is what a sensitivity rule looks for.
type Detector string

const (
	DetectorIBAN      Detector = "iban"      // an IBAN of a registered country, mod-97 checked
	DetectorCard      Detector = "card"      // a payment card number of a known issuer, Luhn checked
	DetectorAutomated Detector = "automated" // Auto-Submitted other than "no", List-Id, Precedence bulk/list/junk
	DetectorKeyword   Detector = "keyword"   // an admin's word or phrase, case-insensitive, on word boundaries
)

// Detectors lists every detector.
var Detectors = []Detector{DetectorIBAN, DetectorCard, DetectorAutomated, DetectorKeyword}

// Valid reports whether d is a known detector.
func (d Detector) Valid() bool {
	return d == DetectorIBAN || d == DetectorCard || d == DetectorAutomated || d == DetectorKeyword
}

// RuleAction is what a sensitivity rule does when it fires.
type RuleAction string

const (
	ActionNeverLog RuleAction = "never_log" // the email is not logged (sensitive_content)
	ActionPrivate  RuleAction = "private"   // the email is logged, private whatever the rep chose
)

// Valid reports whether a is a known action.
func (a RuleAction) Valid() bool { return a == ActionNeverLog || a == ActionPrivate }

// SensitivityRule is one admin rule. Keyword is set for the keyword
// detector only.
type SensitivityRule struct {
	ID       string     `json:"id"`
	Detector Detector   `json:"detector"`
	Keyword  string     `json:"keyword,omitempty"`
	Action   RuleAction `json:"action"`
	AddedBy  string     `json:"addedBy,omitempty"`
	AddedAt  time.Time  `json:"addedAt,omitzero"`
}

// TombstoneKind says whether a tombstone stands for one address or for a
// domain and its subdomains.
type TombstoneKind string

const (
	TombstoneAddress TombstoneKind = "address"
	TombstoneDomain  TombstoneKind = "domain"
)

// Tombstone is what an erasure leaves behind: a keyed hash (HMAC-SHA256 with
// the org's secret) of the normalized address or domain, never the address.
// Its Hash is also its identity, so erasing twice leaves one tombstone.
type Tombstone struct {
	Hash     string        `json:"hash"`
	Kind     TombstoneKind `json:"kind"`
	ErasedBy string        `json:"erasedBy,omitempty"`
	ErasedAt time.Time     `json:"erasedAt,omitzero"`
}

// RetentionPeriods are how long emails of each visibility are kept, as ISO
// 8601 durations ("P12M", "P2Y", "P30D"); "" keeps them.
type RetentionPeriods struct {
	Private string `json:"private,omitempty"`
	Team    string `json:"team,omitempty"`
	Public  string `json:"public,omitempty"`
}

// Of is the period for visibility v ("" when unset or v is unknown).
func (p RetentionPeriods) Of(v Visibility) string {
	switch v {
	case VisibilityPrivate:
		return p.Private
	case VisibilityTeam:
		return p.Team
	case VisibilityPublic:
		return p.Public
	}
	return ""
}

// Retention is the org setting `retention`: periods per visibility, counted
// from the message date, and per-team overrides. A team's period that is
// unset falls back to the org's; an org period that is unset keeps emails
// of that visibility for ever.
type Retention struct {
	Private string `json:"private,omitempty"`
	Team    string `json:"team,omitempty"`
	Public  string `json:"public,omitempty"`
	// Teams overrides the periods for the emails of a team (the email's
	// team at log time), by team id.
	Teams map[string]RetentionPeriods `json:"teams,omitempty"`
}

// Periods are the org-wide periods.
func (r Retention) Periods() RetentionPeriods {
	return RetentionPeriods{Private: r.Private, Team: r.Team, Public: r.Public}
}

// LegalHold suspends retention and erasure for what it covers: a contact, a
// domain (and its subdomains), a user (the emails they own or were on) or a
// range of message dates. Exactly one of those is set.
type LegalHold struct {
	ID      string `json:"id"`
	Contact string `json:"contact,omitempty"` // a normalized address
	Domain  string `json:"domain,omitempty"`  // a normalized domain
	User    string `json:"user,omitempty"`    // a user's normalized email
	// From and To bound the message dates held, both included.
	From      time.Time `json:"from,omitzero"`
	To        time.Time `json:"to,omitzero"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
}
