package service

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// The visibility policy (org setting visibilityPolicy, policy/vispolicy.go)
// in the service: a choice the policy forbids is refused with a 403 that
// names the rule, when logging (the Log button, REST), composing (intents)
// and changing an email's visibility; without a choice the policy's
// default applies. The cards are given the choices the policy allows.

// VisibilityChoices is what a card may offer: the visibilities allowed,
// the one preselected, and why (the rules in force; a protected
// participant forces private).
type VisibilityChoices struct {
	Allowed []discreet.Visibility `json:"allowed"`
	Default discreet.Visibility   `json:"default"`
	// Policy is the visibility policy in force for the caller; nil when no
	// rule applies.
	Policy *policy.VisibilityInForce `json:"policy,omitempty"`
	// Forced and Protected: a participant is protected, so the email is
	// logged private whatever is picked (discreet.ForcedProtected).
	Forced    string `json:"forced,omitempty"`
	Protected string `json:"protected,omitempty"`
}

// visibilityChoices are the caller's choices under the policy in force.
func visibilityChoices(actor discreet.User, org discreet.OrgSettings, us discreet.UserSettings) VisibilityChoices {
	_, fallback := defaults(org, us)
	f := policy.VisibilityPolicyFor(actor, org.VisibilityPolicy)
	c := VisibilityChoices{Allowed: f.Allowed(fallback), Default: f.DefaultVisibility(fallback)}
	if f.Any() {
		c.Policy = &f
	}
	return c
}

// policyRefusal is the 403 of a choice the policy forbids: its message
// names the rule and what it allows.
func policyRefusal(r *policy.VisibilityRefusal) error {
	return &discreet.Error{Code: discreet.EPermission, Field: "visibility", Message: r.Message()}
}

// chosenVisibility is the visibility to log with for chosen ("" for the
// caller's default) under the policy in force. explicit: the caller chose
// in this request and is told when the policy forbids it; otherwise (a
// compose choice captured later, under a policy changed since) the choice
// is narrowed to the policy's default instead, which only ever narrows.
func (s *Service) chosenVisibility(actor discreet.User, org discreet.OrgSettings, us discreet.UserSettings, chosen discreet.Visibility, explicit bool) (discreet.Visibility, error) {
	_, fallback := defaults(org, us)
	f := policy.VisibilityPolicyFor(actor, org.VisibilityPolicy)
	v, refused := f.Resolve(chosen, fallback)
	if refused == nil {
		return v, nil
	}
	if explicit {
		return "", policyRefusal(refused)
	}
	return f.DefaultVisibility(fallback), nil
}

// checkVisibilityPolicy refuses a policy with unknown roles, teams or
// visibilities, or a default wider than its rule's ceiling.
func (s *Service) checkVisibilityPolicy(ctx context.Context, p *discreet.VisibilityPolicy) error {
	if p == nil {
		return nil
	}
	ts, err := s.store.Teams(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	if field, msg := policy.CheckVisibilityPolicy(p, ids); field != "" {
		return discreet.FieldError(field, "%s", msg)
	}
	return nil
}
