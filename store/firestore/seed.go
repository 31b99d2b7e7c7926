package firestore

import (
	"context"

	"cloud.google.com/go/firestore"

	"github.com/discreet-crm/discreet"
)

// SeedInternalDomains reads config/org and, while it names no internal
// domain, writes it with domains and creates the audit record, in one
// transaction: instances racing at start-up, or an admin saving settings
// meanwhile, make Firestore retry the losers, which then find domains set.
func (s *Store) SeedInternalDomains(ctx context.Context, domains []string, audit discreet.AuditRecord) (bool, error) {
	if len(domains) == 0 {
		return false, discreet.FieldError("internalDomains", "is empty")
	}
	auditID, err := docID("id", audit.ID)
	if err != nil {
		return false, err
	}
	orgRef := s.c.Collection(colConfig).Doc(docOrg)
	auditRef := s.c.Collection(colAudit).Doc(auditID)
	var seeded bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		seeded = false
		o := discreet.DefaultOrgSettings()
		snap, err := tx.Get(orgRef)
		switch {
		case err == nil:
			var d orgDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			if len(d.InternalDomains) > 0 {
				return nil
			}
			d.InternalDomains = domains
			seeded = true
			if err := tx.Set(orgRef, d); err != nil {
				return err
			}
		case isNotFound(err):
			o.InternalDomains = domains
			seeded = true
			if err := tx.Set(orgRef, toOrgDoc(o)); err != nil {
				return err
			}
		default:
			return err
		}
		return tx.Create(auditRef, newAuditDoc(audit))
	})
	if err != nil {
		return false, wrap(err, "cannot seed the org's internal domains")
	}
	return seeded, nil
}
