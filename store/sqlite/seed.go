package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// SeedInternalDomains reads and writes the org settings and appends the
// audit record in one write transaction; writes are serialized, so of
// many concurrent calls the first seeds and the rest find domains set.
func (s *Store) SeedInternalDomains(ctx context.Context, domains []string, audit discreet.AuditRecord) (bool, error) {
	if len(domains) == 0 {
		return false, discreet.FieldError("internalDomains", "is empty")
	}
	if audit.ID == "" {
		return false, discreet.FieldError("id", "is required")
	}
	var seeded bool
	err := s.write(ctx, "seed internal domains", func(ctx context.Context, c *conn) error {
		seeded = false
		o, err := getOrg(ctx, c)
		if err != nil {
			return err
		}
		if len(o.InternalDomains) > 0 {
			return nil
		}
		o.InternalDomains = domains
		a := orgArgs(o)
		if _, err := c.exec(ctx, putOrg, a[:]...); err != nil {
			return err
		}
		if err := appendAudit(ctx, c, audit); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return seeded, nil
}
