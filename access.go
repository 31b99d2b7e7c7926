package discreet

import "time"

// GrantScope is what an access grant opens: one email, every email on a
// contact that the grantor may pass on, or the contact itself (full access).
type GrantScope string

const (
	GrantEmail         GrantScope = "email"
	GrantContactEmails GrantScope = "contact_emails"
	GrantContact       GrantScope = "contact"
)

// Valid reports whether g is a known scope.
func (g GrantScope) Valid() bool {
	return g == GrantEmail || g == GrantContactEmails || g == GrantContact
}

// RequestStatus is where an access request stands.
type RequestStatus string

const (
	RequestPending RequestStatus = "pending"
	RequestGranted RequestStatus = "granted"
	RequestDenied  RequestStatus = "denied"
)

// DefaultGrantPeriod is how long a grant lasts when the approver names no
// end.
const DefaultGrantPeriod = 30 * 24 * time.Hour

// AccessRequest is a user's request for more than a stub shows. It names
// the contact and, for one email, its id: never a subject.
type AccessRequest struct {
	ID        string `json:"id"`
	Requester string `json:"requester"`
	Contact   string `json:"contact"`
	EmailID   string `json:"emailId,omitempty"`
	// Scope is what the requester wishes; the approver may grant another.
	Scope     GrantScope    `json:"scope"`
	Note      string        `json:"note,omitempty"`
	Status    RequestStatus `json:"status"`
	CreatedAt time.Time     `json:"createdAt"`
	DecidedBy string        `json:"decidedBy,omitempty"`
	DecidedAt *time.Time    `json:"decidedAt,omitempty"`
	// Grant is what was granted (status granted).
	Grant *Grant `json:"grant,omitempty"`
	// Deciders are the audience-style keys of who may decide it
	// (policy.RequestDeciders), kept while it is pending so that "requests
	// I may decide" is one indexed query; the decision itself is checked
	// against the contact and email as they are then.
	Deciders []string `json:"-"`
	// ContactOwner is the contact's owner when it was asked: the audit
	// record of the request is theirs to read.
	ContactOwner string `json:"-"`
}

// Grant is an approver's answer to a request: Grantee may read what Scope
// says until ExpiresAt (zero: without end). An email grant is carried by
// a Share on the email (ShareID); contact grants are read with the
// grantee's other grants when they look at the contact.
type Grant struct {
	ID        string     `json:"id"`
	RequestID string     `json:"requestId"`
	Grantee   string     `json:"grantee"`
	Scope     GrantScope `json:"scope"`
	Contact   string     `json:"contact"`
	EmailID   string     `json:"emailId,omitempty"`
	ShareID   string     `json:"shareId,omitempty"`
	GrantedBy string     `json:"grantedBy"`
	GrantedAt time.Time  `json:"grantedAt"`
	ExpiresAt time.Time  `json:"expiresAt,omitzero"`
	// ContactOwner is the contact's owner when granted (audit visibility).
	ContactOwner string `json:"-"`
}

// LiveAt reports whether the grant is in force at now: an expiry is the
// first instant it is not.
func (g Grant) LiveAt(now time.Time) bool {
	return g.ExpiresAt.IsZero() || now.Before(g.ExpiresAt)
}

// Share lets named users and teams read one email, read-only, until
// ExpiresAt (zero: without end). Shares are kept on the email itself, so
// every recomputation of its audience keys (policy.EmailAudience) keeps
// them.
type Share struct {
	ID    string   `json:"id"`
	Users []string `json:"users,omitempty"`
	Teams []string `json:"teams,omitempty"`
	By    string   `json:"by"`
	// ByAdmin: By shared it as an admin (not its owner).
	ByAdmin bool `json:"byAdmin,omitempty"`
	// Basis is the email's visibility when shared; a share by someone
	// other than the owner or an admin (an email grant by the contact's
	// owner) dies when the email is narrowed below it (policy.ShareLive).
	Basis     Visibility `json:"basis,omitempty"`
	At        time.Time  `json:"at"`
	ExpiresAt time.Time  `json:"expiresAt,omitzero"`
	// RequestID is set when the share carries an email grant.
	RequestID string `json:"requestId,omitempty"`
}

// Audit actions of access requests, grants and shares.
const (
	AuditAccessRequest = "access.request"
	AuditAccessGrant   = "access.grant"
	AuditAccessDeny    = "access.deny"
	AuditAccessExpire  = "access.expire"
	AuditShare         = "email.share"
	AuditShareRevoke   = "email.share_revoke"
	AuditShareExpire   = "email.share_expire"
)
