package store

import "context"

// LegacyIDs tells whether emails may be stored under legacy ids
// (policy.LegacyEmailID, the ids from before content fingerprints). The
// service looks every message up under its legacy id before logging it,
// so that an email logged by the old code is found again; a store that can
// prove it holds no such email lets it skip that read.
type LegacyIDs interface {
	// MayHoldLegacyIDs is false only when the store proves that every
	// email it holds was written with EmailWrite.KeyedID set: none can be
	// under a legacy id. A store that cannot tell answers true.
	MayHoldLegacyIDs(ctx context.Context) (bool, error)
}
