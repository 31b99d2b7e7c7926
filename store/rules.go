package store

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// SensitivityRules are the org's sensitivity rules. Every log decision
// applies them, so they are versioned like the Never Log List: the version
// travels in the document a decision reads anyway (NeverLogChanges.Rules),
// and an instance re-reads the rules only when it moved. A decision thus
// applies every rule stored before it started, on any instance, at no
// extra read.
type SensitivityRules interface {
	// AddRule stores r (ID set by the caller) unless a rule with its ID
	// exists, and returns the stored rule and whether this call added it;
	// adding moves the rules' version.
	AddRule(ctx context.Context, r discreet.SensitivityRule) (discreet.SensitivityRule, bool, error)
	// Rules lists every rule, oldest first (by AddedAt, then ID: the order
	// the scanner ranks them in), with the version they were read at.
	Rules(ctx context.Context) ([]discreet.SensitivityRule, int64, error)
	// Rule returns one rule; not_found when absent.
	Rule(ctx context.Context, id string) (discreet.SensitivityRule, error)
	// DeleteRule removes a rule, moving the version, and returns it;
	// not_found when absent.
	DeleteRule(ctx context.Context, id string) (discreet.SensitivityRule, error)
	// RulesVersion is the rules' version; it never goes back.
	RulesVersion(ctx context.Context) (int64, error)
}
