package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Erasure of a person (PRODUCT.md, "Data governance"): an admin names an
// address or a domain; a dry run counts what names it; the erasure puts a
// tombstone at once (so nothing naming it is logged from then on) and runs
// a job that deletes the emails, the contacts, the intents and the audit
// records that name it. The address lives only in the running job's
// checkpoint and is dropped from it when the job ends; the audit record of
// the erasure holds the tombstone's kind and the counts, never the address.

// JobErasure is the job kind of an erasure.
const JobErasure = "subject.erase"

// AuditErasure is the audit action of a finished erasure.
const AuditErasure = "subject.erase"

// erasureBatch bounds one page of a scan (contacts, intents, audit) and
// one purge batch.
const erasureBatch = 200

// ErasureRequest is the body of POST /v1/erasures.
type ErasureRequest struct {
	// Subject is an address or a domain ("@example.com").
	Subject string `json:"subject"`
	DryRun  bool   `json:"dryRun"`
}

// ErasureCounts are what names a subject: what a dry run would delete, or
// what an erasure deleted.
type ErasureCounts struct {
	Emails       int `json:"emails"`
	Contacts     int `json:"contacts"`
	Intents      int `json:"intents"`
	AuditRecords int `json:"auditRecords"`
}

// ErasureResult is a dry run's counts (DryRun) or the started job.
type ErasureResult struct {
	DryRun bool           `json:"dryRun,omitempty"`
	Counts *ErasureCounts `json:"counts,omitempty"`
	Job    *JobView       `json:"job,omitempty"`
}

// Erase counts (dry run) or erases what names req.Subject (admin only).
// The tombstone is stored before the job starts: once Erase returns, no
// decision that starts later logs an email with the subject, on any
// instance. Erasing again is harmless: one tombstone, and a job that finds
// nothing left.
func (s *Service) Erase(ctx context.Context, actor discreet.User, req ErasureRequest) (ErasureResult, error) {
	if err := requireAdmin(actor, "erase a person's data"); err != nil {
		return ErasureResult{}, err
	}
	secret, err := s.tombstoneSecret(ctx)
	if err != nil {
		return ErasureResult{}, err
	}
	ts, e, err := policy.TombstoneFor(secret, req.Subject)
	if err != nil {
		if discreet.ErrorCode(err) == discreet.EInvalid {
			return ErasureResult{}, discreet.FieldError("subject", "%s", discreet.ErrorMessage(err))
		}
		return ErasureResult{}, err
	}
	if h, held, err := s.heldSubject(ctx, e); err != nil {
		return ErasureResult{}, err
	} else if held {
		return ErasureResult{}, discreet.Errorf(discreet.EConflict, "legal hold %s covers this subject (%s); lift it before erasing", h.ID, h.Reason)
	}
	m := matchOf(e, e.String())
	if req.DryRun {
		c, err := s.countErasure(ctx, e, m)
		if err != nil {
			return ErasureResult{}, err
		}
		return ErasureResult{DryRun: true, Counts: &c}, nil
	}
	now := s.now()
	ts.ErasedBy, ts.ErasedAt = actor.Email, now
	if _, err := s.store.PutTombstone(ctx, ts); err != nil {
		return ErasureResult{}, err
	}
	p, _ := json.Marshal(erasureParams{Hash: ts.Hash, Kind: ts.Kind, SecondPassAt: now.Add(s.decisionWindow)})
	cp, _ := json.Marshal(erasureCheckpoint{Subject: e.String(), Pass: 1})
	r, _ := json.Marshal(erasureReport{Kind: ts.Kind})
	// Not startJob: the subject goes in the checkpoint, which the job
	// rewrites (and empties of it when done); params are kept for good.
	j := store.Job{ID: s.cfg.NewID(), Kind: JobErasure, Params: p, Checkpoint: cp, Report: r, State: store.JobRunning,
		StartedBy: actor.Email, CreatedAt: now, UpdatedAt: now, RunAfter: now}
	if err := s.store.CreateJob(ctx, j, nil); err != nil {
		return ErasureResult{}, err
	}
	s.enqueue(ctx, j.ID, now)
	v := jobView(j)
	return ErasureResult{Job: &v}, nil
}

// heldSubject reports the legal hold that covers the subject itself, read
// from the store now; an unreadable store is an error and a hold that no
// longer parses holds every subject (fail closed).
func (s *Service) heldSubject(ctx context.Context, e policy.Entry) (discreet.LegalHold, bool, error) {
	holds, err := s.holds(ctx)
	if err != nil {
		return discreet.LegalHold{}, false, err
	}
	h, held := holds.HoldsSubject(e)
	return h, held, nil
}

type erasureParams struct {
	Hash string                 `json:"hash"`
	Kind discreet.TombstoneKind `json:"kind"`
	// SecondPassAt: decisions that read the tombstones before this one was
	// put have committed by then; the second pass deletes what they logged.
	SecondPassAt time.Time `json:"secondPassAt"`
}

// erasureCheckpoint: pass 1 purges the emails, pass 2 (from SecondPassAt)
// purges again, then contacts (3), intents (4), audit records (5), and the
// audit of the erasure (6). After is the scan's position in passes 3-5.
type erasureCheckpoint struct {
	Subject string `json:"subject,omitempty"`
	Pass    int    `json:"pass"`
	After   string `json:"after,omitempty"`
	// Counted: Contacts holds the contacts counted when the job began.
	Counted bool `json:"counted,omitempty"`
	ErasureCounts
	// Held counts the emails a legal hold kept (each audited) in pass 1;
	// Kept says a hold kept some in either pass.
	Held int  `json:"held,omitempty"`
	Kept bool `json:"kept,omitempty"`
}

type erasureReport struct {
	Kind discreet.TombstoneKind `json:"kind"`
	ErasureCounts
	Held int `json:"held,omitempty"`
}

func (s *Service) erasureStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p erasureParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the erasure job's parameters cannot be read")
	}
	var cp erasureCheckpoint
	if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the erasure job's checkpoint cannot be read")
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(erasureReport{Kind: p.Kind, ErasureCounts: cp.ErasureCounts, Held: cp.Held})
		n := cp.Emails + cp.Contacts + cp.Intents + cp.AuditRecords
		j.Done, j.Total = n, max(j.Total, n)
	}()
	if cp.Pass >= 6 {
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: AuditErasure, Count: cp.Emails,
			Detail: map[string]string{"kind": string(p.Kind), "tombstone": p.Hash, "job": j.ID,
				"emails": strconv.Itoa(cp.Emails), "contacts": strconv.Itoa(cp.Contacts),
				"intents": strconv.Itoa(cp.Intents), "auditRecords": strconv.Itoa(cp.AuditRecords), "held": strconv.Itoa(cp.Held)}})
		if err == nil {
			cp.Subject = "" // the job keeps no copy of the address
		}
		return stepNext{finished: err == nil}, err
	}
	e, err := policy.ParseEntry(cp.Subject)
	if err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the erasure's subject no longer parses")
	}
	m := matchOf(e, cp.Subject)
	if !cp.Counted {
		// The purge deletes a contact with its last email; the report
		// counts the contacts that named the subject when the job began.
		n, err := s.countContacts(ctx, e, m)
		if err != nil {
			return stepNext{}, err
		}
		cp.Contacts, cp.Counted = n, true
	}
	switch cp.Pass {
	case 1, 2:
		holds, err := s.holds(ctx)
		if err != nil {
			return stepNext{}, err
		}
		if holds.Len() == 0 && !cp.Kept && cp.After == "" {
			return s.purgePass(ctx, m, erasureBatch, &cp.Pass, &cp.Emails, p.SecondPassAt)
		}
		return s.heldPass(ctx, j, m, holds, &cp, p.SecondPassAt)
	case 3:
		if e.Kind == policy.KindAddress {
			for _, a := range append([]string{m.Address}, m.Spellings...) {
				if _, err := s.store.Contact(ctx, a); isNotFound(err) {
					continue
				} else if err != nil {
					return stepNext{}, err
				}
				if keep, err := s.keepContact(ctx, cp.Kept, a); err != nil || keep {
					if err != nil {
						return stepNext{}, err
					}
					continue
				}
				if err := s.store.EraseContact(ctx, a); err != nil {
					return stepNext{}, err
				}
			}
			cp.Pass, cp.After = 4, ""
			return stepNext{}, nil
		}
		page, err := s.store.ContactAddresses(ctx, cp.After, erasureBatch)
		if err != nil {
			return stepNext{}, err
		}
		for _, a := range page {
			if !covers(m, a) {
				continue
			}
			if keep, err := s.keepContact(ctx, cp.Kept, a); err != nil {
				return stepNext{}, err
			} else if keep {
				continue
			}
			if err := s.store.EraseContact(ctx, a); err != nil {
				return stepNext{}, err
			}
		}
		if len(page) < erasureBatch {
			cp.Pass, cp.After = 4, ""
		} else {
			cp.After = page[len(page)-1]
		}
		return stepNext{}, nil
	case 4:
		page, err := s.store.Intents(ctx, cp.After, erasureBatch)
		if err != nil {
			return stepNext{}, err
		}
		var ids []string
		for _, in := range page {
			if slices.ContainsFunc(in.Recipients, func(a string) bool { return covers(m, a) }) {
				ids = append(ids, in.ID)
			}
		}
		if err := s.store.DeleteIntents(ctx, ids); err != nil {
			return stepNext{}, err
		}
		cp.Intents += len(ids)
		if len(page) < erasureBatch {
			cp.Pass, cp.After = 5, ""
		} else {
			cp.After = page[len(page)-1].ID
		}
		return stepNext{}, nil
	case 5:
		recs, next, err := s.store.Audit(ctx, store.AuditQuery{Limit: erasureBatch, Cursor: cp.After})
		if err != nil {
			return stepNext{}, err
		}
		var ids []string
		for _, r := range recs {
			if auditNames(m, r) {
				ids = append(ids, r.ID)
			}
		}
		if err := s.store.DeleteAudit(ctx, ids); err != nil {
			return stepNext{}, err
		}
		cp.AuditRecords += len(ids)
		if next == "" {
			cp.Pass, cp.After = 6, ""
		} else {
			cp.After = next
		}
		return stepNext{}, nil
	}
	return stepNext{}, discreet.Errorf(discreet.EInvalid, "the erasure job is at an unknown pass %d", cp.Pass)
}

// heldPass is an email pass (1 or 2) when legal holds exist: it reads the
// subject's emails page by page from cp.After and deletes each one no hold
// covers; a held one stays, counted in cp.Held and audited (once per email
// and job). Holds are read at every step, so a hold placed mid-erasure
// keeps what it covers from then on.
func (s *Service) heldPass(ctx context.Context, j *store.Job, m store.Match, holds *policy.LegalHolds, cp *erasureCheckpoint, secondAt time.Time) (stepNext, error) {
	if cp.Pass == 2 && s.now().Before(secondAt) {
		return stepNext{wait: secondAt}, nil
	}
	page, err := s.store.MatchingEmails(ctx, m, cp.After, erasureBatch)
	if err != nil {
		return stepNext{}, err
	}
	for _, e := range page {
		if h, held := holds.HeldBy(e); held {
			if err := s.auditSkip(ctx, j, e, h); err != nil {
				return stepNext{}, err
			}
			if cp.Pass == 1 {
				cp.Held++ // pass 2 meets the same held emails again
			}
			cp.Kept = true
		} else if err := s.store.DeleteEmail(ctx, e.ID); err != nil && !isNotFound(err) {
			return stepNext{}, err
		} else if err == nil {
			cp.Emails++
		}
		cp.After = e.ID
	}
	if len(page) == erasureBatch {
		return stepNext{}, nil
	}
	cp.Pass++
	cp.After = ""
	if cp.Pass == 2 {
		return stepNext{wait: secondAt}, nil
	}
	return stepNext{}, nil
}

// keepContact reports whether an erasure must keep contact a: some of the
// subject's emails were held, and a still has emails on its timeline.
func (s *Service) keepContact(ctx context.Context, kept bool, a string) (bool, error) {
	if !kept {
		return false, nil
	}
	page, err := s.store.Timeline(ctx, store.TimelineQuery{Contact: a, All: true, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(page.Entries) > 0, nil
}

// countErasure is the dry run: the emails by the purge index, the contacts,
// intents and audit records by scanning them (admin-only and rare, so a
// full scan is an acceptable price for exact counts).
func (s *Service) countErasure(ctx context.Context, e policy.Entry, m store.Match) (ErasureCounts, error) {
	var c ErasureCounts
	var err error
	if c.Emails, err = s.store.CountMatching(ctx, m); err != nil {
		return c, err
	}
	if c.Contacts, err = s.countContacts(ctx, e, m); err != nil {
		return c, err
	}
	for after := ""; ; {
		page, err := s.store.Intents(ctx, after, erasureBatch)
		if err != nil {
			return c, err
		}
		for _, in := range page {
			if slices.ContainsFunc(in.Recipients, func(a string) bool { return covers(m, a) }) {
				c.Intents++
			}
		}
		if len(page) < erasureBatch {
			break
		}
		after = page[len(page)-1].ID
	}
	for cursor := ""; ; {
		recs, next, err := s.store.Audit(ctx, store.AuditQuery{Limit: erasureBatch, Cursor: cursor})
		if err != nil {
			return c, err
		}
		for _, r := range recs {
			if auditNames(m, r) {
				c.AuditRecords++
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return c, nil
}

// countContacts counts the contacts m names.
func (s *Service) countContacts(ctx context.Context, e policy.Entry, m store.Match) (int, error) {
	n := 0
	if e.Kind == policy.KindAddress {
		for _, a := range append([]string{m.Address}, m.Spellings...) {
			if _, err := s.store.Contact(ctx, a); err == nil {
				n++
			} else if !isNotFound(err) {
				return 0, err
			}
		}
		return n, nil
	}
	for after := ""; ; {
		page, err := s.store.ContactAddresses(ctx, after, erasureBatch)
		if err != nil {
			return 0, err
		}
		for _, a := range page {
			if covers(m, a) {
				n++
			}
		}
		if len(page) < erasureBatch {
			return n, nil
		}
		after = page[len(page)-1]
	}
}

// covers reports whether the normalized address a is m's subject: the
// address or one of its spellings, or at the domain or a subdomain.
func covers(m store.Match, a string) bool {
	if m.Domain == "" {
		return a == m.Address || slices.Contains(m.Spellings, a)
	}
	d := policy.DomainOf(a)
	return d == m.Domain || strings.HasSuffix(d, "."+m.Domain)
}

// auditNames reports whether an audit record names m's subject in any of
// its texts. It errs towards naming: a text that merely contains the
// address or "@domain" / ".domain" counts, so no spelling inside a longer
// text (a Never Log pattern, a CSV line) is left behind.
func auditNames(m store.Match, r discreet.AuditRecord) bool {
	texts := []string{r.Actor, r.Target, r.EmailOwner}
	for _, v := range r.Detail {
		texts = append(texts, v)
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		if m.Domain != "" {
			if strings.Contains(t, "@"+m.Domain) || strings.Contains(t, "."+m.Domain) || t == m.Domain {
				return true
			}
			continue
		}
		for _, a := range append([]string{m.Address}, m.Spellings...) {
			if a != "" && strings.Contains(t, strings.ToLower(a)) {
				return true
			}
		}
	}
	return false
}

// tombstoneSecret keys tombstones: derived from the store's email-id key,
// which every instance shares and which never changes (store.Secrets), so
// no second secret has to be made, kept and backed up. The derivation
// label keeps the two uses apart.
func (s *Service) tombstoneSecret(ctx context.Context) ([]byte, error) {
	key, err := s.emailIDKey(ctx)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("discreet tombstone key v1"))
	return mac.Sum(nil), nil
}

// erasedCache is the instance's compiled tombstones and the version they
// are at. Every decision learns the version from the Never Log version it
// reads anyway (store.NeverLogChanges.Tombstones) and recompiles from one
// read of the list when it moved:
// tombstones are few and only ever added, so no change log is needed. A
// decision therefore sees every tombstone stored before it started, on any
// instance; what was in flight when one was stored is purged by the
// erasure's second pass. Memory: every tombstone, ~100 bytes each.
type erasedCache = versioned[*policy.Tombstones]

// erased returns the org's tombstones at version v or later; nil when
// there are none. An error (store unreadable) must stop the decision: fail
// closed.
func (s *Service) erased(ctx context.Context, v int64) (*policy.Tombstones, error) {
	return s.erasedSet.at(v, func() (*policy.Tombstones, int64, error) {
		list, lv, err := s.store.Tombstones(ctx)
		if err != nil {
			return nil, 0, discreet.Wrap(err, discreet.EUnavailable, "the erasure list could not be read; nothing was logged")
		}
		secret, err := s.tombstoneSecret(ctx)
		if err != nil {
			return nil, 0, err
		}
		set, err := policy.CompileTombstones(secret, list)
		return set, lv, err
	})
}
