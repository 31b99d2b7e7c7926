package service

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// MaxBodyBytesLimit is the largest maxBodyBytes an org may set.
const MaxBodyBytesLimit = 10 << 20

// maxPersonalEntries bounds one user's personal Never Log List.
const maxPersonalEntries = 1000

// OrgSettings returns the org settings (any user).
func (s *Service) OrgSettings(ctx context.Context, actor discreet.User) (discreet.OrgSettings, error) {
	if err := requireUser(actor); err != nil {
		return discreet.OrgSettings{}, err
	}
	o, err := s.store.OrgSettings(ctx)
	return withDefaults(o), err
}

// withDefaults fills settings that were stored before they existed.
func withDefaults(o discreet.OrgSettings) discreet.OrgSettings {
	if o.Uploads == "" {
		o.Uploads = discreet.UploadsAll
	}
	return o
}

// PutOrgSettings replaces the org settings (admin), audited.
func (s *Service) PutOrgSettings(ctx context.Context, actor discreet.User, o discreet.OrgSettings) (discreet.OrgSettings, error) {
	if err := requireAdmin(actor, "change the org settings"); err != nil {
		return discreet.OrgSettings{}, err
	}
	domains := make([]string, 0, len(o.InternalDomains))
	for i, d := range o.InternalDomains {
		n, err := policy.NormalizeDomain(d)
		if err != nil {
			return discreet.OrgSettings{}, discreet.FieldError("internalDomains", "entry %d: %v", i+1, err)
		}
		if !slices.Contains(domains, n) {
			domains = append(domains, n)
		}
	}
	o.InternalDomains = domains
	if !o.DefaultVisibility.Valid() {
		return discreet.OrgSettings{}, discreet.FieldError("defaultVisibility", "must be private, team or public")
	}
	access := make(map[discreet.Role]discreet.Scope, len(o.ContactAccess))
	for r, sc := range o.ContactAccess {
		if !r.Valid() {
			return discreet.OrgSettings{}, discreet.FieldError("contactAccess", "%q is not a role (admin, manager or rep)", r)
		}
		if !sc.Valid() {
			return discreet.OrgSettings{}, discreet.FieldError("contactAccess", "%s: %q is not a scope (all, team or owned)", r, sc)
		}
		access[r] = sc
	}
	o.ContactAccess = access
	if !o.HiddenEmails.Valid() {
		return discreet.OrgSettings{}, discreet.FieldError("hiddenEmails", "must be none, count or stubs")
	}
	if o.Uploads == "" {
		o.Uploads = discreet.UploadsAll
	}
	if !o.Uploads.Valid() {
		return discreet.OrgSettings{}, discreet.FieldError("uploads", "must be all, admins or off")
	}
	if o.MaxBodyBytes < 0 || o.MaxBodyBytes > MaxBodyBytesLimit {
		return discreet.OrgSettings{}, discreet.FieldError("maxBodyBytes", "must be between 0 and %d", MaxBodyBytesLimit)
	}
	// Retention (retention.go): ISO 8601 periods, per visibility and team.
	if _, err := policy.CompileRetention(o.Retention); err != nil {
		return discreet.OrgSettings{}, err
	}
	if err := s.checkVisibilityPolicy(ctx, o.VisibilityPolicy); err != nil {
		return discreet.OrgSettings{}, err
	}
	prev, err := s.store.OrgSettings(ctx)
	if err != nil {
		return discreet.OrgSettings{}, err
	}
	if err := s.store.PutOrgSettings(ctx, o); err != nil {
		return discreet.OrgSettings{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditSettings,
		Detail: map[string]string{"changed": strings.Join(changedSettings(prev, o), ",")}}); err != nil {
		return discreet.OrgSettings{}, err
	}
	return o, nil
}

// changedSettings names the fields that differ, for the audit record.
func changedSettings(a, b discreet.OrgSettings) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("internalDomains", !slices.Equal(a.InternalDomains, b.InternalDomains))
	add("defaultLog", a.DefaultLog != b.DefaultLog)
	add("defaultVisibility", a.DefaultVisibility != b.DefaultVisibility)
	add("contactAccess", !maps.Equal(a.ContactAccess, b.ContactAccess))
	add("hiddenEmails", a.HiddenEmails != b.HiddenEmails)
	add("adminsReadPrivate", a.AdminsReadPrivate != b.AdminsReadPrivate)
	add("storeBodies", a.StoreBodies != b.StoreBodies)
	add("maxBodyBytes", a.MaxBodyBytes != b.MaxBodyBytes)
	add("uploads", a.Uploads != b.Uploads)
	add("visibilityPolicy", !reflect.DeepEqual(a.VisibilityPolicy, b.VisibilityPolicy))
	return out
}

// MySettings returns the caller's settings and personal Never Log entries.
func (s *Service) MySettings(ctx context.Context, actor discreet.User) (MySettings, error) {
	if err := requireUser(actor); err != nil {
		return MySettings{}, err
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return MySettings{}, err
	}
	entries, _, err := s.store.NeverLog(ctx, actor.Email)
	if err != nil {
		return MySettings{}, err
	}
	if entries == nil {
		entries = []discreet.NeverLogEntry{}
	}
	return MySettings{DefaultLog: us.DefaultLog, DefaultVisibility: us.DefaultVisibility, NeverLog: entries}, nil
}

// PutMySettings replaces the caller's settings and personal entries. Every
// pattern is checked first; one bad pattern changes nothing. Entries whose
// pattern stays keep their id, note and date.
func (s *Service) PutMySettings(ctx context.Context, actor discreet.User, m MySettings) (MySettings, error) {
	if err := requireUser(actor); err != nil {
		return MySettings{}, err
	}
	if m.DefaultVisibility != "" && !m.DefaultVisibility.Valid() {
		return MySettings{}, discreet.FieldError("defaultVisibility", "must be private, team or public, or empty for the org default")
	}
	if len(m.NeverLog) > maxPersonalEntries {
		return MySettings{}, discreet.FieldError("neverLog", "at most %d entries", maxPersonalEntries)
	}
	wanted := map[string]discreet.NeverLogEntry{}
	var order []string
	var bad []LineError
	for i, e := range m.NeverLog {
		pe, err := policy.ParseEntry(e.Pattern)
		if err != nil {
			bad = append(bad, LineError{Line: i + 1, Text: e.Pattern, Message: discreet.ErrorMessage(err)})
			continue
		}
		p := pe.String()
		if _, dup := wanted[p]; !dup {
			wanted[p] = discreet.NeverLogEntry{Pattern: p, Note: strings.TrimSpace(e.Note)}
			order = append(order, p)
		}
	}
	if len(bad) > 0 {
		err := discreet.FieldError("neverLog", "%s; nothing was changed", lineErrorSummary(bad, len(bad)))
		err.Details = bad
		return MySettings{}, err
	}
	for _, p := range order {
		if len(wanted[p].Note) > maxNoteLen {
			return MySettings{}, discreet.FieldError("neverLog", "the note of %s is longer than %d bytes", p, maxNoteLen)
		}
	}

	current, _, err := s.store.NeverLog(ctx, actor.Email)
	if err != nil {
		return MySettings{}, err
	}
	have := map[string]bool{}
	var remove []discreet.NeverLogEntry
	for _, e := range current {
		have[e.Pattern] = true
		if _, keep := wanted[e.Pattern]; !keep {
			remove = append(remove, e)
		}
	}
	var add []discreet.NeverLogEntry
	now := s.now()
	for _, p := range order {
		if have[p] {
			continue
		}
		e := wanted[p]
		e.ID, e.Scope, e.AddedBy, e.AddedAt = s.cfg.NewID(), actor.Email, actor.Email, now
		add = append(add, e)
	}

	if err := s.store.PutUserSettings(ctx, actor.Email, discreet.UserSettings{DefaultLog: m.DefaultLog, DefaultVisibility: m.DefaultVisibility}); err != nil {
		return MySettings{}, err
	}
	// Additions first, atomically, then removals: an interruption leaves the
	// list blocking more, never less.
	if len(add) > 0 {
		err := s.store.AddNeverLog(ctx, add)
		if err != nil {
			return MySettings{}, err
		}
		for _, e := range add {
			if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogAdd, Target: e.Pattern,
				Detail: map[string]string{"list": "personal", "entryId": e.ID}}); err != nil {
				return MySettings{}, err
			}
		}
	}
	for _, e := range remove {
		_, err := s.store.DeleteNeverLog(ctx, actor.Email, e.ID)
		if err != nil && !isNotFound(err) {
			return MySettings{}, err
		}
		if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogRemove, Target: e.Pattern,
			Detail: map[string]string{"list": "personal", "entryId": e.ID}}); err != nil {
			return MySettings{}, err
		}
	}
	return s.MySettings(ctx, actor)
}

// lineErrorSummary is the message of an all-or-nothing rejection.
func lineErrorSummary(bad []LineError, total int) string {
	if total == 1 {
		return fmt.Sprintf("line %d: %s", bad[0].Line, bad[0].Message)
	}
	return fmt.Sprintf("%d lines are not valid patterns (first: line %d: %s)", total, bad[0].Line, bad[0].Message)
}
