package policy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/discreet-crm/discreet"
)

// The visibility policy (org setting visibilityPolicy): per role and per
// team a ceiling (Max), a default and a lock. A user is under their role's
// rule and the rule of each of their teams; the strictest of each part
// wins: the lowest ceiling, the narrowest default, a lock if any rule
// locks. A value that is not a visibility reads as private (fail closed).

// visibilityRank orders visibilities by how far they reach; an unknown one
// ranks as private.
func visibilityRank(v discreet.Visibility) int {
	switch v {
	case discreet.VisibilityTeam:
		return 1
	case discreet.VisibilityPublic:
		return 2
	}
	return 0
}

// Visibilities lists every visibility, narrowest first.
var Visibilities = []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic}

// VisibilityInForce is the policy as it applies to one user.
type VisibilityInForce struct {
	// Max is the widest visibility allowed (public without a ceiling).
	Max discreet.Visibility `json:"max"`
	// Default is the policy's default, "" when no rule sets one.
	Default discreet.Visibility `json:"default,omitempty"`
	Locked  bool                `json:"locked,omitempty"`
	// MaxBy, DefaultBy and LockedBy name the rule that set each part
	// ("role rep", "team legal"); "" when no rule did.
	MaxBy     string `json:"maxBy,omitempty"`
	DefaultBy string `json:"defaultBy,omitempty"`
	LockedBy  string `json:"lockedBy,omitempty"`
}

// Any reports whether some rule applies.
func (f VisibilityInForce) Any() bool { return f.MaxBy != "" || f.DefaultBy != "" || f.LockedBy != "" }

// VisibilityPolicyFor is the policy in force for u.
func VisibilityPolicyFor(u discreet.User, p *discreet.VisibilityPolicy) VisibilityInForce {
	f := VisibilityInForce{Max: discreet.VisibilityPublic}
	if p == nil {
		return f
	}
	apply := func(name string, r discreet.VisibilityRule) {
		if r.Max != "" && (f.MaxBy == "" || visibilityRank(r.Max) < visibilityRank(f.Max)) {
			f.Max, f.MaxBy = rankedVisibility(r.Max), name
		}
		if r.Default != "" && (f.DefaultBy == "" || visibilityRank(r.Default) < visibilityRank(f.Default)) {
			f.Default, f.DefaultBy = rankedVisibility(r.Default), name
		}
		if r.Locked && f.LockedBy == "" {
			f.Locked, f.LockedBy = true, name
		}
	}
	if r, ok := p.Roles[u.Role]; ok {
		apply("role "+string(u.Role), r)
	}
	for _, t := range u.Teams {
		if r, ok := p.Teams[t]; ok {
			apply("team "+t, r)
		}
	}
	return f
}

// rankedVisibility is v, or private for what is not a visibility.
func rankedVisibility(v discreet.Visibility) discreet.Visibility {
	if v.Valid() {
		return v
	}
	return discreet.VisibilityPrivate
}

// DefaultVisibility is the visibility used when the user does not choose:
// the policy's default, else fallback (the user's or org's default), never
// wider than the ceiling.
func (f VisibilityInForce) DefaultVisibility(fallback discreet.Visibility) discreet.Visibility {
	d := f.Default
	if d == "" {
		d = fallback
	}
	d = rankedVisibility(d)
	if f.Max == "" {
		return discreet.VisibilityPrivate
	}
	if visibilityRank(d) > visibilityRank(f.Max) {
		return rankedVisibility(f.Max)
	}
	return d
}

// Allowed lists the visibilities a user may choose, narrowest first: only
// the default when locked, else every one up to the ceiling.
func (f VisibilityInForce) Allowed(fallback discreet.Visibility) []discreet.Visibility {
	if f.Locked {
		return []discreet.Visibility{f.DefaultVisibility(fallback)}
	}
	var out []discreet.Visibility
	for _, v := range Visibilities {
		if f.Max != "" && visibilityRank(v) <= visibilityRank(f.Max) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = []discreet.Visibility{discreet.VisibilityPrivate}
	}
	return out
}

// VisibilityRefusal says why the policy forbids a choice.
type VisibilityRefusal struct {
	Chosen discreet.Visibility
	// Rule names the rule ("team legal"); Locked: the rule locks the
	// visibility at Allowed[0], else it caps it at Max.
	Rule   string
	Locked bool
	Max    discreet.Visibility
	// Owners: the rule is the email's owner's, not the caller's.
	Owners bool
}

// Message is the sentence the 403 carries: it names the rule and what it
// allows.
func (r VisibilityRefusal) Message() string {
	if r.Locked {
		return fmt.Sprintf("the visibility policy (%s) locks the visibility at %s: %s is not allowed", r.Rule, r.Max, r.Chosen)
	}
	if r.Owners {
		return fmt.Sprintf("the visibility policy of the email's owner (%s) allows at most %s: %s is not allowed", r.Rule, r.Max, r.Chosen)
	}
	return fmt.Sprintf("the visibility policy (%s) allows at most %s: %s is not allowed", r.Rule, r.Max, r.Chosen)
}

// Cap is the refusal of v when it is wider than the ceiling, nil when it
// is within. The ceiling of an email's owner binds whoever changes the
// email: an admin under no rule may not widen a Legal rep's email past
// Legal's ceiling. Only the ceiling: the default and the lock are about
// the owner's own choices.
func (f VisibilityInForce) Cap(v discreet.Visibility) *VisibilityRefusal {
	if f.MaxBy == "" || visibilityRank(v) <= visibilityRank(f.Max) {
		return nil
	}
	return &VisibilityRefusal{Chosen: v, Rule: f.MaxBy, Max: rankedVisibility(f.Max)}
}

// Resolve is the visibility to use for chosen ("" when the user did not
// choose; fallback is then their or the org's default): chosen when the
// policy allows it, the policy's default when no choice was made, and a
// refusal when chosen is beyond the ceiling or other than a locked default.
func (f VisibilityInForce) Resolve(chosen, fallback discreet.Visibility) (discreet.Visibility, *VisibilityRefusal) {
	def := f.DefaultVisibility(fallback)
	if chosen == "" {
		return def, nil
	}
	if f.Locked {
		if chosen != def {
			return "", &VisibilityRefusal{Chosen: chosen, Rule: f.LockedBy, Locked: true, Max: def}
		}
		return def, nil
	}
	if !chosen.Valid() || !slices.Contains(f.Allowed(fallback), chosen) {
		return "", &VisibilityRefusal{Chosen: chosen, Rule: f.MaxBy, Max: rankedVisibility(f.Max)}
	}
	return chosen, nil
}

// CheckVisibilityPolicy says what is wrong with a policy an admin puts,
// as a field path and a message; "" when it is valid. teams are the
// org's team ids.
func CheckVisibilityPolicy(p *discreet.VisibilityPolicy, teams []string) (field, msg string) {
	if p == nil {
		return "", ""
	}
	check := func(name string, r discreet.VisibilityRule) (string, string) {
		if r.Max != "" && !r.Max.Valid() {
			return name + ".max", "must be private, team or public"
		}
		if r.Default != "" && !r.Default.Valid() {
			return name + ".default", "must be private, team or public"
		}
		if r.Max != "" && r.Default != "" && visibilityRank(r.Default) > visibilityRank(r.Max) {
			return name + ".default", fmt.Sprintf("%s is wider than the rule's max %s", r.Default, r.Max)
		}
		return "", ""
	}
	for _, role := range slices.Sorted(maps.Keys(p.Roles)) {
		if !role.Valid() {
			return "visibilityPolicy.roles", fmt.Sprintf("%q is not a role (admin, manager or rep)", role)
		}
		if f, m := check("visibilityPolicy.roles."+string(role), p.Roles[role]); f != "" {
			return f, m
		}
	}
	for _, t := range slices.Sorted(maps.Keys(p.Teams)) {
		if !slices.Contains(teams, t) {
			return "visibilityPolicy.teams", fmt.Sprintf("there is no team %q", t)
		}
		if f, m := check("visibilityPolicy.teams."+t, p.Teams[t]); f != "" {
			return f, m
		}
	}
	return "", ""
}
