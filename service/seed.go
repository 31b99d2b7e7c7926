package service

import (
	"context"
	"slices"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// SystemActor is the audit actor of what the deployment does on its own,
// like seeding the internal domains at start-up or App Engine cron.
const SystemActor = policy.System

// SeedInternalDomains gives an org that has no internal domains yet the
// deployment's (DISCREET_INTERNAL_DOMAINS), so that colleagues can sign in
// on a first deploy. It changes nothing once the org has any, and reports
// whether it set them; of many instances starting at once exactly one
// does, and that one change is audited in the same step.
func (s *Service) SeedInternalDomains(ctx context.Context, domains []string) (bool, error) {
	var norm []string
	for i, d := range domains {
		n, err := policy.NormalizeDomain(d)
		if err != nil {
			return false, discreet.FieldError("internalDomains", "entry %d: %v", i+1, err)
		}
		if !slices.Contains(norm, n) {
			norm = append(norm, n)
		}
	}
	if len(norm) == 0 {
		return false, nil
	}
	if _, err := policy.NewDomains(norm); err != nil {
		return false, discreet.Wrap(err, discreet.EInvalid, "the internal domains are not valid")
	}
	seeded, err := s.store.SeedInternalDomains(ctx, norm, discreet.AuditRecord{
		ID: s.cfg.NewID(), At: s.now(), Actor: SystemActor, Action: discreet.AuditSettings,
		Detail: map[string]string{
			"changed": "internalDomains", "internalDomains": strings.Join(norm, ","),
			"reason": "first start with DISCREET_INTERNAL_DOMAINS",
		},
	})
	if err != nil {
		return false, err
	}
	if seeded {
		s.log.InfoContext(ctx, "seeded the org's internal domains", "internalDomains", norm)
	}
	return seeded, nil
}

// Warm loads what the service caches, so the first requests an instance
// serves do not wait for it: the org's Never Log List, compiled at the
// version the store holds now. Decisions still read the version document
// (the cache's coherence across instances does not depend on warming).
func (s *Service) Warm(ctx context.Context) error {
	_, err := s.exactOrgNeverLog(ctx)
	return err
}
