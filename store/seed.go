package store

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// Seeding is what a new deployment's start-up writes once, whichever of
// its instances gets there first.
type Seeding interface {
	// SeedInternalDomains sets the org's internal domains to domains and
	// appends audit, in one atomic step, only while the org has none; the
	// other settings stay as they are. It reports whether this call set
	// them: many instances starting at once seed (and audit) once, and an
	// org whose admin has set domains is never changed.
	SeedInternalDomains(ctx context.Context, domains []string, audit discreet.AuditRecord) (bool, error)
}
