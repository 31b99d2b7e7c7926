package firestore

import (
	"context"

	"github.com/discreet-crm/discreet/store"
)

var _ store.LegacyIDs = (*Store)(nil)

// MayHoldLegacyIDs is always true: nothing here records whether every
// email was written with a keyed id, and proving it would mean keeping
// such a record transactionally with every log across the fleet, so the
// service keeps its legacy-id read on Firestore.
func (s *Store) MayHoldLegacyIDs(context.Context) (bool, error) {
	return true, nil
}
