package store

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// Protection is what protected contacts and custodian transfer need
// (PRODUCT.md, "Access requests and sharing").
type Protection interface {
	// PutProtected stores p under its Pattern (the canonical form),
	// replacing an entry with that pattern; it reports whether the pattern
	// was new. Adding moves the protection version.
	PutProtected(ctx context.Context, p discreet.ProtectedEntry) (bool, error)
	// DeleteProtected removes the entry with pattern and returns it;
	// not_found if absent. Removing moves the protection version.
	DeleteProtected(ctx context.Context, pattern string) (discreet.ProtectedEntry, error)
	// Protected lists every entry ordered by pattern, and the protection
	// version they are at least as new as, read at one point in time.
	Protected(ctx context.Context) ([]discreet.ProtectedEntry, int64, error)
	// ProtectedVersion is the protection version: one small read, made by
	// every decision, so an instance's compiled entries are never stale.
	ProtectedVersion(ctx context.Context) (int64, error)

	// MatchingEmailIDs lists the ids of the logged emails m covers (as
	// CountMatching counts them), ordered by id, after after (exclusive),
	// at most limit (1..1000): protecting a contact narrows them.
	MatchingEmailIDs(ctx context.Context, m Match, after string, limit int) ([]string, error)
	// OwnedEmails lists the ids of emails owned by owner, ordered by id,
	// after after (exclusive), at most limit (1..1000).
	OwnedEmails(ctx context.Context, owner, after string, limit int) ([]string, error)
	// OwnedContacts lists the addresses of contacts owned by owner,
	// ordered, after after (exclusive), at most limit (1..1000).
	OwnedContacts(ctx context.Context, owner, after string, limit int) ([]string, error)
	// SetEmailOwner changes an email's owner and, in the same atomic step,
	// its timeline entries' owner and audience keys to audience(the
	// changed email), as SetVisibility does; team and visibility stay.
	// Setting the owner it already has changes nothing.
	SetEmailOwner(ctx context.Context, id, owner string, audience Audience) (discreet.Email, error)
}
