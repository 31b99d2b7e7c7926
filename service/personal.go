package service

import (
	"context"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// The personal Never Log List is edited one entry at a time: each add or
// removal is one atomic store write, so two quick clicks (or two devices)
// never lose an edit, as a read-modify-write of the whole list would.

// AddPersonalNeverLog adds pattern to the caller's personal Never Log
// List. A pattern already on it is a conflict that names it.
func (s *Service) AddPersonalNeverLog(ctx context.Context, actor discreet.User, pattern, note string) (discreet.NeverLogEntry, error) {
	if err := requireUser(actor); err != nil {
		return discreet.NeverLogEntry{}, err
	}
	pe, err := policy.ParseEntry(pattern)
	if err != nil {
		return discreet.NeverLogEntry{}, discreet.FieldError("pattern", "%s", discreet.ErrorMessage(err))
	}
	note = strings.TrimSpace(note)
	if len(note) > maxNoteLen {
		return discreet.NeverLogEntry{}, discreet.FieldError("note", "at most %d bytes", maxNoteLen)
	}
	current, _, err := s.store.NeverLog(ctx, actor.Email)
	if err != nil {
		return discreet.NeverLogEntry{}, err
	}
	// Concurrent adds may pass this check together and overshoot by a
	// few: the bound is on memory, not a promise.
	if len(current) >= maxPersonalEntries {
		return discreet.NeverLogEntry{}, discreet.FieldError("pattern", "your list already holds %d entries, the most it may", maxPersonalEntries)
	}
	e := discreet.NeverLogEntry{ID: s.cfg.NewID(), Scope: actor.Email, Pattern: pe.String(), Note: note, AddedBy: actor.Email, AddedAt: s.now()}
	if err := s.store.AddNeverLog(ctx, []discreet.NeverLogEntry{e}); err != nil {
		if discreet.ErrorCode(err) == discreet.EConflict {
			return discreet.NeverLogEntry{}, discreet.Errorf(discreet.EConflict, "%s is already on your personal Never Log List", e.Pattern)
		}
		return discreet.NeverLogEntry{}, err
	}
	return e, s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogAdd, Target: e.Pattern,
		Detail: map[string]string{"list": "personal", "entryId": e.ID}})
}

// RemovePersonalNeverLog removes the entry id from the caller's personal
// Never Log List; not_found when it is not on it.
func (s *Service) RemovePersonalNeverLog(ctx context.Context, actor discreet.User, id string) (discreet.NeverLogEntry, error) {
	if err := requireUser(actor); err != nil {
		return discreet.NeverLogEntry{}, err
	}
	if id == "" {
		return discreet.NeverLogEntry{}, discreet.FieldError("id", "is required")
	}
	e, err := s.store.DeleteNeverLog(ctx, actor.Email, id)
	if isNotFound(err) {
		return discreet.NeverLogEntry{}, discreet.Errorf(discreet.ENotFound, "that entry is not on your personal Never Log List")
	}
	if err != nil {
		return discreet.NeverLogEntry{}, err
	}
	return e, s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogRemove, Target: e.Pattern,
		Detail: map[string]string{"list": "personal", "entryId": e.ID}})
}

// PutMyDefaults changes the caller's Log and visibility defaults only,
// leaving the personal Never Log List as it is.
func (s *Service) PutMyDefaults(ctx context.Context, actor discreet.User, defaultLog *bool, vis discreet.Visibility) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	if vis != "" && !vis.Valid() {
		return discreet.FieldError("defaultVisibility", "must be private, team or public, or empty for the org default")
	}
	return s.store.PutUserSettings(ctx, actor.Email, discreet.UserSettings{DefaultLog: defaultLog, DefaultVisibility: vis})
}
