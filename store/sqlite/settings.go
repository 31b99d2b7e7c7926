package sqlite

import (
	"context"
	"maps"
	"slices"

	"github.com/discreet-crm/discreet"
)

// orgColumns are the org_settings row, in orgArgs' order.
const orgColumns = `internal_domains, default_log, default_visibility, contact_access, hidden_emails,
	admins_read_private, store_bodies, max_body_bytes, uploads, retention, visibility_policy`

func orgArgs(o discreet.OrgSettings) [11]arg {
	return [11]arg{listArg(o.InternalDomains), flag(o.DefaultLog), text(string(o.DefaultVisibility)),
		mapArg(o.ContactAccess), text(string(o.HiddenEmails)), flag(o.AdminsReadPrivate),
		flag(o.StoreBodies), num(o.MaxBodyBytes), text(string(o.Uploads)), retentionArg(o.Retention),
		visibilityPolicyArg(o.VisibilityPolicy)}
}

func scanOrg(r *stmt) (discreet.OrgSettings, error) {
	o := discreet.OrgSettings{
		DefaultLog:        r.int(1) != 0,
		DefaultVisibility: discreet.Visibility(r.text(2)),
		HiddenEmails:      discreet.HiddenEmails(r.text(4)),
		AdminsReadPrivate: r.int(5) != 0,
		StoreBodies:       r.int(6) != 0,
		MaxBodyBytes:      int(r.int(7)),
		Uploads:           discreet.Uploads(r.text(8)),
	}
	var err error
	if o.InternalDomains, err = r.list(0); err != nil {
		return o, err
	}
	if o.ContactAccess, err = stringMap[discreet.Role, discreet.Scope](r, 3); err != nil {
		return o, err
	}
	if o.Retention, err = scanRetention(r, 9); err != nil {
		return o, err
	}
	o.VisibilityPolicy, err = scanVisibilityPolicy(r, 10)
	return o, err
}

const putOrg = `INSERT INTO org_settings (id, ` + orgColumns + `) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET internal_domains = excluded.internal_domains, default_log = excluded.default_log,
		default_visibility = excluded.default_visibility, contact_access = excluded.contact_access,
		hidden_emails = excluded.hidden_emails, admins_read_private = excluded.admins_read_private,
		store_bodies = excluded.store_bodies, max_body_bytes = excluded.max_body_bytes, uploads = excluded.uploads,
		retention = excluded.retention, visibility_policy = excluded.visibility_policy`

// OrgSettings returns the org's settings, the defaults before any were put
// (memo.go).
func (s *Store) OrgSettings(ctx context.Context) (discreet.OrgSettings, error) {
	return s.org.get(struct{}{}, func() (discreet.OrgSettings, error) {
		var o discreet.OrgSettings
		err := s.read(ctx, "org settings", func(c *conn) error {
			var err error
			o, err = getOrg(ctx, c)
			return err
		})
		return o, err
	}, func(o discreet.OrgSettings) discreet.OrgSettings {
		o.InternalDomains, o.ContactAccess = slices.Clone(o.InternalDomains), maps.Clone(o.ContactAccess)
		o.Retention.Teams = maps.Clone(o.Retention.Teams)
		o.VisibilityPolicy = o.VisibilityPolicy.Clone()
		return o
	})
}

func getOrg(ctx context.Context, c *conn) (discreet.OrgSettings, error) {
	var o discreet.OrgSettings
	found, err := c.one(ctx, func(r *stmt) (err error) {
		o, err = scanOrg(r)
		return err
	}, "SELECT "+orgColumns+" FROM org_settings WHERE id = 1")
	if err == nil && !found {
		o = discreet.DefaultOrgSettings()
	}
	return o, err
}

// PutOrgSettings replaces the org's settings.
func (s *Store) PutOrgSettings(ctx context.Context, v discreet.OrgSettings) error {
	return s.write(ctx, "put org settings", func(ctx context.Context, c *conn) error {
		a := orgArgs(v)
		_, err := c.exec(ctx, putOrg, a[:]...)
		return err
	})
}

// UserSettings returns a user's settings, the zero value before any were
// put (memo.go).
func (s *Store) UserSettings(ctx context.Context, email string) (discreet.UserSettings, error) {
	return s.userSettings.get(email, func() (discreet.UserSettings, error) {
		var us discreet.UserSettings
		err := s.read(ctx, "user settings", func(c *conn) error {
			_, err := c.one(ctx, func(r *stmt) error {
				us = discreet.UserSettings{DefaultLog: r.boolPtr(0), DefaultVisibility: discreet.Visibility(r.text(1)), NeverLogVersion: r.int(2)}
				return nil
			}, "SELECT default_log, default_visibility, never_log_version FROM user_settings WHERE email = ?", text(email))
			return err
		})
		return us, err
	}, func(us discreet.UserSettings) discreet.UserSettings {
		if us.DefaultLog != nil {
			b := *us.DefaultLog
			us.DefaultLog = &b
		}
		return us
	})
}

// putUserSettings writes the settings PutUserSettings replaces; the
// personal list's version stays.
const putUserSettings = `INSERT INTO user_settings (email, default_log, default_visibility) VALUES (?, ?, ?)
	ON CONFLICT (email) DO UPDATE SET default_log = excluded.default_log, default_visibility = excluded.default_visibility`

// PutUserSettings replaces a user's settings.
func (s *Store) PutUserSettings(ctx context.Context, email string, v discreet.UserSettings) error {
	return s.write(ctx, "put user settings", func(ctx context.Context, c *conn) error {
		_, err := c.exec(ctx, putUserSettings, text(email), boolPtrArg(v.DefaultLog), text(string(v.DefaultVisibility)))
		return err
	})
}
