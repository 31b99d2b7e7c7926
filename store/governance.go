package store

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
)

// Governance is what erasure of a person (PRODUCT.md, "Data governance")
// needs beyond the Never Log purge (CountMatching, PurgeMatching), which
// it reuses for the emails.
type Governance interface {
	Holds            // legal holds, see holds.go
	SensitivityRules // sensitivity rules, see rules.go

	// MatchingEmails lists the logged emails m covers (as PurgeMatching
	// would delete them), ordered by id, after after (exclusive), at most
	// limit (1..1000): an erasure checks each against the legal holds, an
	// access export streams them.
	MatchingEmails(ctx context.Context, m Match, after string, limit int) ([]discreet.Email, error)
	// Emails lists every logged email, ordered by id, after after
	// (exclusive), at most limit (1..1000): a sensitivity rule's purge and
	// the retention sweep read them all.
	Emails(ctx context.Context, after string, limit int) ([]discreet.Email, error)
	// OwnedEmailsBefore lists owner's emails whose message date is before
	// before, oldest first, at most limit (1..1000): what of theirs may
	// expire soon is among them.
	OwnedEmailsBefore(ctx context.Context, owner string, before time.Time, limit int) ([]discreet.Email, error)

	// PutTombstone stores t unless a tombstone with its Hash exists, and
	// reports whether it added one; adding moves the tombstone version.
	// Tombstones are never removed, so the version never goes back.
	PutTombstone(ctx context.Context, t discreet.Tombstone) (bool, error)
	// Tombstones lists every tombstone, ordered by hash, and a version
	// they are at least as new as.
	Tombstones(ctx context.Context) ([]discreet.Tombstone, int64, error)
	// TombstoneVersion is the tombstones' version: a compiled set at this
	// version or later holds every tombstone put before the call. Log
	// decisions get it from NeverLogVersion (NeverLogChanges.Tombstones),
	// which always equals it, so they read one document for both lists.
	TombstoneVersion(ctx context.Context) (int64, error)

	// ContactAddresses lists contact addresses ordered, after after
	// (exclusive), at most limit: an erasure by domain scans them for
	// contacts left with no email.
	ContactAddresses(ctx context.Context, after string, limit int) ([]string, error)
	// EraseContact deletes a contact and whatever is kept under it; absent
	// is not an error. The erasure calls it once the contact's emails are
	// purged.
	EraseContact(ctx context.Context, email string) error
	// Intents lists compose intents by id, after after (exclusive), at most
	// limit, consumed or not.
	Intents(ctx context.Context, after string, limit int) ([]discreet.Intent, error)
	// DeleteIntents deletes intents by id; absent ids are skipped.
	DeleteIntents(ctx context.Context, ids []string) error
	// DeleteAudit deletes audit records by id; absent ids are skipped. Only
	// an erasure deletes audit records, and it audits that it did.
	DeleteAudit(ctx context.Context, ids []string) error
}
