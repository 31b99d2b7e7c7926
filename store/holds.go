package store

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// Holds are the org's legal holds (PRODUCT.md, "Data governance"). They
// are few and read whole by what deletes (an erasure, the retention sweep),
// never by a log decision, so no version is kept: every reader sees every
// hold stored before it read.
type Holds interface {
	// PutLegalHold stores h (ID set by the caller) unless a hold with its
	// ID exists; it returns the stored hold and whether this call created
	// it, so a retried create stores one hold.
	PutLegalHold(ctx context.Context, h discreet.LegalHold) (discreet.LegalHold, bool, error)
	// LegalHolds lists every hold, oldest first (by CreatedAt, then ID).
	LegalHolds(ctx context.Context) ([]discreet.LegalHold, error)
	// DeleteLegalHold lifts a hold and returns it; not_found when absent.
	DeleteLegalHold(ctx context.Context, id string) (discreet.LegalHold, error)
}
