package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/discreet-crm/discreet"
)

// Reads of private and team emails by anyone but their owner are audited,
// once per viewer, email, day (UTC) and way of reading ("timeline": the
// subject and snippet on a timeline; "email": the whole email; "log": the
// record a log met). The record's id is derived from those four and the
// store creates it only if absent (AppendAudit: an existing id is a
// conflict), so a card that re-renders, and instances that serve the same
// viewer, write one record a day; never none.

// readAuditID names the read audit of viewer, email, day and way.
func readAuditID(viewer, emailID, day, via string) string {
	sum := sha256.Sum256([]byte(viewer + "\x00" + emailID + "\x00" + day + "\x00" + via))
	return "read-" + day + "-" + hex.EncodeToString(sum[:12])
}

// auditRead records that actor read e when e is private or team and actor
// is not its owner. A read that cannot be audited fails.
func (s *Service) auditRead(ctx context.Context, actor discreet.User, e discreet.Email, via string) error {
	if e.Visibility == discreet.VisibilityPublic || e.Owner == actor.Email {
		return nil
	}
	now := s.now()
	id := readAuditID(actor.Email, e.ID, now.Format("2006-01-02"), via)
	if s.readAudit.has(id) {
		return nil
	}
	err := s.store.AppendAudit(ctx, discreet.AuditRecord{ID: id, At: now, Actor: actor.Email, Action: discreet.AuditRead,
		EmailID: e.ID, EmailOwner: e.Owner, Detail: map[string]string{"visibility": string(e.Visibility), "via": via}})
	switch {
	case discreet.ErrorCode(err) == discreet.EConflict:
		// Written before: by this instance, another, or a request racing
		// this one.
	case err != nil:
		s.log.ErrorContext(ctx, "audit append failed", "action", discreet.AuditRead, "actor", actor.Email, "err", err)
		return err
	}
	s.readAudit.add(id)
	return nil
}

// auditTimelineRead audits an email's subject and snippet shown on a
// timeline.
func (s *Service) auditTimelineRead(ctx context.Context, actor discreet.User, e discreet.Email) error {
	return s.auditRead(ctx, actor, e, "timeline")
}

// writtenAudits remembers read audits this instance knows are stored, to
// spare the store a create it would refuse: a timeline page re-rendered
// all day writes nothing after its first render. It only saves round
// trips; the store's create-if-absent is what keeps the records single
// across instances. Ids name their day, so a remembered id never hides a
// record of another day; the set is dropped when full.
type writtenAudits struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

const maxWrittenAudits = 100_000

func (w *writtenAudits) has(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.seen[id]
	return ok
}

func (w *writtenAudits) add(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil || len(w.seen) >= maxWrittenAudits {
		w.seen = map[string]struct{}{}
	}
	w.seen[id] = struct{}{}
}
