package discreet

import "time"

// Protected contacts and domains, the visibility policy and custodian
// transfer (PRODUCT.md, "Access requests and sharing"). The rules that use
// these types are pure functions in policy/protect.go and
// policy/vispolicy.go.

// ProtectedEntry is one protected contact ("ceo@bank.example") or domain
// ("@bank.example", its subdomains too): every email with it is private to
// its participants, and its stub shows nothing beyond the stub. Pattern is
// the canonical form (policy.ParseEntry(...).String()) and the entry's key.
type ProtectedEntry struct {
	Pattern string    `json:"pattern"`
	Note    string    `json:"note,omitempty"`
	AddedBy string    `json:"addedBy,omitempty"`
	AddedAt time.Time `json:"addedAt,omitzero"`
}

// Why a decision's visibility is not the rep's choice
// (Decision.VisibilityForced).
const (
	// ForcedProtected: a participant is a protected contact or at a
	// protected domain (Decision.Protected names the participant).
	ForcedProtected = "protected"
)

// VisibilityRule is one line of the visibility policy: a ceiling, a
// default and a lock. "" Max means no ceiling, "" Default no default of the
// policy's own (the user's or org's default applies, under the ceiling).
type VisibilityRule struct {
	Max     Visibility `json:"max,omitempty"`
	Default Visibility `json:"default,omitempty"`
	// Locked: users under the rule may not choose; the default applies.
	Locked bool `json:"locked,omitempty"`
}

// VisibilityPolicy is the org setting visibilityPolicy: rules per role and
// per team (by team id). A user is under their role's rule and the rule of
// every team they are in; the strictest wins (policy.VisibilityInForce).
type VisibilityPolicy struct {
	Roles map[Role]VisibilityRule   `json:"roles,omitempty"`
	Teams map[string]VisibilityRule `json:"teams,omitempty"`
}

// Audit actions of protection, policy and transfer.
const (
	AuditProtect       = "protected.add"
	AuditUnprotect     = "protected.remove"
	AuditNarrow        = "protected.narrow"
	AuditNarrowDone    = "protected.narrowed"
	AuditTransfer      = "user.transfer"
	AuditTransferEmail = "email.transfer"
)

// Clone is a deep copy of p (nil for nil): settings are shared by caches.
func (p *VisibilityPolicy) Clone() *VisibilityPolicy {
	if p == nil {
		return nil
	}
	c := &VisibilityPolicy{}
	if p.Roles != nil {
		c.Roles = make(map[Role]VisibilityRule, len(p.Roles))
		for k, v := range p.Roles {
			c.Roles[k] = v
		}
	}
	if p.Teams != nil {
		c.Teams = make(map[string]VisibilityRule, len(p.Teams))
		for k, v := range p.Teams {
			c.Teams[k] = v
		}
	}
	return c
}
