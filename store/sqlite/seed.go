package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
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
	auditData, err := json.Marshal(audit)
	if err != nil {
		return false, s.fail(ctx, err, "seed internal domains")
	}
	var seeded bool
	err = s.write(ctx, "seed internal domains", func(ctx context.Context, tx *sql.Tx) error {
		seeded = false
		o := discreet.DefaultOrgSettings()
		var data string
		err := tx.QueryRowContext(ctx, "SELECT data FROM org_settings WHERE id = 1").Scan(&data)
		switch {
		case err == nil:
			o = discreet.OrgSettings{} // as OrgSettings reads it
			if err := json.Unmarshal([]byte(data), &o); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if len(o.InternalDomains) > 0 {
			return nil
		}
		o.InternalDomains = domains
		out, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_settings (id, data) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data`, string(out)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO audit (id, sort_key, email_owner, data) VALUES (?, ?, ?, ?)",
			audit.ID, store.SortKey(audit.At, audit.ID), audit.EmailOwner, string(auditData)); err != nil {
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
