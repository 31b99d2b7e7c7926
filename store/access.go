package store

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
)

// Access is what access requests, grants and shares need (PRODUCT.md,
// "Access requests and sharing"). Who may do what is the service's and
// policy's decision; the store keeps the records and changes them
// atomically.
type Access interface {
	// PutAccessRequest stores r (ID set by the caller) unless a request
	// with its ID exists, and returns the stored one and whether it was
	// created: a retried request is one request.
	PutAccessRequest(ctx context.Context, r discreet.AccessRequest) (discreet.AccessRequest, bool, error)
	// AccessRequest returns one request; not_found when absent.
	AccessRequest(ctx context.Context, id string) (discreet.AccessRequest, error)
	// AccessRequests lists requests newest first, at most q.Limit: with
	// Requester set, that user's requests; else with Deciders set, the
	// pending requests whose Deciders share one of those keys (at most
	// 30).
	AccessRequests(ctx context.Context, q AccessRequestQuery) ([]discreet.AccessRequest, error)
	// DecideAccessRequest moves a pending request to d.Status (granted
	// with d.Grant, or denied) and stores the grant, in one atomic step;
	// a request that is no longer pending is a conflict, and the request
	// is returned as it stands.
	DecideAccessRequest(ctx context.Context, id string, d AccessDecision) (discreet.AccessRequest, error)

	// Grants lists grants, by grantee or (when Grantee is "") by grantor,
	// ordered by id.
	Grants(ctx context.Context, q GrantQuery) ([]discreet.Grant, error)
	// DeleteGrant removes a grant (after its expiry is audited); absent
	// is not an error.
	DeleteGrant(ctx context.Context, id string) error
	// ExpiredGrants lists grants whose expiry is at or before now, at
	// most limit, for the expiry sweep.
	ExpiredGrants(ctx context.Context, now time.Time, limit int) ([]discreet.Grant, error)

	// ChangeShares replaces an email's shares with change(the email as
	// stored) and, in the same atomic step, its timeline entries'
	// audience keys with audience(the changed email), as SetVisibility
	// does. change returning an error aborts with it; returning the
	// shares unchanged (same ids) writes nothing.
	ChangeShares(ctx context.Context, emailID string, change func(discreet.Email) ([]discreet.Share, error), audience Audience) (discreet.Email, error)
	// ExpiredShares lists the ids of emails holding a share whose expiry
	// is at or before now, at most limit.
	ExpiredShares(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// AccessRequestQuery selects access requests.
type AccessRequestQuery struct {
	Requester string
	Deciders  []string
	Limit     int
}

// AccessDecision is an approver's answer to a request.
type AccessDecision struct {
	Status discreet.RequestStatus
	By     string
	At     time.Time
	// Grant is stored with a granted request.
	Grant *discreet.Grant
}

// GrantQuery selects grants by grantee or grantor.
type GrantQuery struct {
	Grantee   string
	GrantedBy string
}

// SameShares reports whether two share lists hold the same ids in order:
// a ChangeShares that changed nothing writes nothing.
func SameShares(a, b []discreet.Share) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
