package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet/store"
)

var _ store.LegacyIDs = (*Store)(nil)

// MayHoldLegacyIDs reads the legacy_ids row (migration 0012): present once
// any email was written without a keyed id, or held before that
// migration. It is served from memory between writes (memo.go), so the
// service's check costs no read per log.
func (s *Store) MayHoldLegacyIDs(ctx context.Context) (bool, error) {
	return s.legacyIDs.get(struct{}{}, func() (bool, error) {
		var may bool
		err := s.read(ctx, "legacy ids", func(c *conn) error {
			var err error
			may, err = c.one(ctx, func(*stmt) error { return nil }, "SELECT 1 FROM legacy_ids")
			return err
		})
		return may, err
	}, func(b bool) bool { return b })
}

// markLegacyIDs records, in the transaction that writes an email without a
// keyed id, that emails may now be under legacy ids. It never goes away:
// deleting that email would not prove there is no other.
func markLegacyIDs(ctx context.Context, c *conn) error {
	_, err := c.exec(ctx, "INSERT INTO legacy_ids (id) VALUES (1) ON CONFLICT DO NOTHING")
	return err
}
