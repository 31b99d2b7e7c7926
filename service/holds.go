package service

import (
	"context"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Legal holds (PRODUCT.md, "Data governance"): a hold on a contact, a
// domain, a rep or a range of message dates suspends retention and erasure
// for what it covers. Holds are read from the store by whatever deletes,
// every time it decides (never cached): a hold created on one instance
// stops a deletion on any other from the moment it is stored.

// Audit actions of legal holds.
const (
	AuditHoldCreate = "hold.create"
	AuditHoldLift   = "hold.lift"
	// AuditHoldSkip: a deletion (erasure, retention) left an email alone
	// because a hold covers it.
	AuditHoldSkip = "hold.skip"
)

// HoldRequest is the body of POST /v1/legal-holds: one of contact, domain,
// user, or from and to (RFC 3339 instants, or dates: a "to" date includes
// that whole day, UTC).
type HoldRequest struct {
	Contact string `json:"contact,omitempty"`
	Domain  string `json:"domain,omitempty"`
	User    string `json:"user,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Reason  string `json:"reason"`
}

// HoldView is a stored hold as an admin sees it. Broken: it no longer
// passes today's checks, and holds every email until it is lifted.
type HoldView struct {
	discreet.LegalHold
	Broken bool `json:"broken,omitempty"`
}

// holdDate reads from or to: an RFC 3339 instant or a date.
func holdDate(field, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, discreet.FieldError(field, "%q is not a date (2026-03-31) or an RFC 3339 time", s)
	}
	if end {
		return d.Add(24*time.Hour - time.Nanosecond), nil
	}
	return d, nil
}

// CreateLegalHold stores a hold (admin only) and audits it.
func (s *Service) CreateLegalHold(ctx context.Context, actor discreet.User, req HoldRequest) (HoldView, error) {
	if err := requireAdmin(actor, "place legal holds"); err != nil {
		return HoldView{}, err
	}
	from, err := holdDate("from", req.From, false)
	if err != nil {
		return HoldView{}, err
	}
	to, err := holdDate("to", req.To, true)
	if err != nil {
		return HoldView{}, err
	}
	h, err := policy.ParseLegalHold(discreet.LegalHold{Contact: req.Contact, Domain: req.Domain, User: req.User, From: from, To: to, Reason: req.Reason})
	if err != nil {
		return HoldView{}, err
	}
	h.ID, h.CreatedBy, h.CreatedAt = s.cfg.NewID(), actor.Email, s.now()
	h, _, err = s.store.PutLegalHold(ctx, h)
	if err != nil {
		return HoldView{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: AuditHoldCreate, Target: holdTarget(h),
		Detail: map[string]string{"hold": h.ID, "reason": h.Reason}}); err != nil {
		return HoldView{}, err
	}
	return HoldView{LegalHold: h}, nil
}

// LegalHolds lists the holds (admin only), the broken ones marked.
func (s *Service) LegalHolds(ctx context.Context, actor discreet.User) ([]HoldView, error) {
	if err := requireAdmin(actor, "see legal holds"); err != nil {
		return nil, err
	}
	hs, err := s.store.LegalHolds(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]HoldView, 0, len(hs))
	for _, h := range hs {
		_, err := policy.ParseLegalHold(h)
		out = append(out, HoldView{LegalHold: h, Broken: err != nil})
	}
	return out, nil
}

// LiftLegalHold deletes a hold (admin only) and audits it.
func (s *Service) LiftLegalHold(ctx context.Context, actor discreet.User, id string) (HoldView, error) {
	if err := requireAdmin(actor, "lift legal holds"); err != nil {
		return HoldView{}, err
	}
	h, err := s.store.DeleteLegalHold(ctx, id)
	if err != nil {
		return HoldView{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: AuditHoldLift, Target: holdTarget(h),
		Detail: map[string]string{"hold": h.ID, "reason": h.Reason}}); err != nil {
		return HoldView{}, err
	}
	return HoldView{LegalHold: h}, nil
}

// holdTarget names what a hold covers, for the audit.
func holdTarget(h discreet.LegalHold) string {
	switch {
	case h.Contact != "":
		return h.Contact
	case h.Domain != "":
		return "@" + h.Domain
	case h.User != "":
		return h.User
	}
	return h.From.Format(time.DateOnly) + ".." + h.To.Format(time.DateOnly)
}

// holds compiles the stored holds, read now. A store that cannot be read
// is an error the caller must stop on; a stored hold that no longer parses
// holds everything (policy.CompileHolds).
func (s *Service) holds(ctx context.Context) (*policy.LegalHolds, error) {
	hs, err := s.store.LegalHolds(ctx)
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EUnavailable, "the legal holds could not be read; nothing was deleted")
	}
	l, broken := policy.CompileHolds(hs)
	for _, b := range broken {
		s.log.WarnContext(ctx, "a legal hold no longer parses: it holds every email until it is lifted", "hold", b.ID)
	}
	return l, nil
}

// auditSkip audits that a deletion left email e alone because hold h
// covers it. The record's id derives from the job and the email, so a pass
// that runs again writes it once.
func (s *Service) auditSkip(ctx context.Context, j *store.Job, e discreet.Email, h discreet.LegalHold) error {
	err := s.store.AppendAudit(ctx, discreet.AuditRecord{ID: "job-" + j.ID + "-held-" + e.ID, At: s.now(), Actor: j.StartedBy,
		Action: AuditHoldSkip, EmailID: e.ID, EmailOwner: e.Owner, Detail: map[string]string{"hold": h.ID, "job": j.ID, "kind": j.Kind}})
	if discreet.ErrorCode(err) == discreet.EConflict {
		return nil
	}
	return err
}
