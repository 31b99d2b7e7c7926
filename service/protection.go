package service

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Protected contacts and domains (PRODUCT.md, "Access requests and
// sharing"): an admin protects an address or a domain; from then on every
// email with it is logged private (policy.Protect, in the log decision),
// its existing emails are narrowed to private by a job, their visibility
// cannot be widened again, and its timeline shows no hidden count and no
// hidden rows to anyone: nothing beyond the stub.

// JobNarrow is the job kind that narrows a protected contact's emails.
const JobNarrow = "protected.narrow"

// narrowBatch bounds one narrowing step.
const narrowBatch = 100

// maxProtectedNote bounds an entry's note.
const maxProtectedNote = 500

// ProtectRequest is the body of PUT /v1/protected/{pattern}.
type ProtectRequest struct {
	Note string `json:"note"`
	// DryRun counts what protecting would narrow and changes nothing.
	DryRun bool `json:"dryRun"`
}

// ProtectResult is a protection (or its dry run): the entry, how many
// logged emails name it and, of those, how many are not private yet and
// will be narrowed; and the narrowing job.
type ProtectResult struct {
	Entry    discreet.ProtectedEntry `json:"entry"`
	DryRun   bool                    `json:"dryRun,omitempty"`
	Matching int                     `json:"matching"`
	Job      *JobView                `json:"job,omitempty"`
}

// protectedCache is the instance's compiled protected entries and their
// version. Every decision reads the version (one small read) and
// recompiles from one read of the entries when it moved, so a decision
// sees every protection stored before it started, on any instance; what
// decisions in flight logged meanwhile is narrowed by the job's second
// pass (Config.DecisionWindow). Memory: every entry, ~100 bytes each.
type protectedCache = versioned[*policy.Protected]

// protectedSet returns the org's protected entries, current as of the
// call. An error (store unreadable) stops the caller: fail closed.
func (s *Service) protectedSet(ctx context.Context) (*policy.Protected, error) {
	v, err := s.store.ProtectedVersion(ctx)
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EUnavailable, "the protected contacts could not be read; nothing was changed")
	}
	return s.protectedAt(ctx, v)
}

// orgLists are what a decision matches participants against beyond the
// personal list: the org's Never Log view, whose one document carries the
// versions of the tombstones, the sensitivity rules and the protected
// contacts, and the protected set at its version.
type orgLists struct {
	view *orgView
	prot *policy.Protected
}

// readOrgLists reads the org's lists as they are now: one document read,
// and what moved since this instance compiled it.
func (s *Service) readOrgLists(ctx context.Context) (orgLists, error) {
	view, err := s.orgNeverLog(ctx)
	if err != nil {
		return orgLists{}, err
	}
	prot, err := s.protectedAt(ctx, view.head.Protected)
	return orgLists{view: view, prot: prot}, err
}

// protectedAt is the protected set at version v or later: the compiled one
// when it is that new, else read again.
func (s *Service) protectedAt(ctx context.Context, v int64) (*policy.Protected, error) {
	return s.protection.at(v, func() (*policy.Protected, int64, error) {
		entries, lv, err := s.store.Protected(ctx)
		if err != nil {
			return nil, 0, discreet.Wrap(err, discreet.EUnavailable, "the protected contacts could not be read; nothing was changed")
		}
		set, bad := policy.CompileProtected(entries)
		if len(bad) > 0 {
			// Stored entries were parsed when put: one that no longer
			// parses is a bug, and matching without it could widen: refuse.
			return nil, 0, discreet.Errorf(discreet.EInternal, "a protected entry no longer reads as a pattern: %s", strings.Join(bad, ", "))
		}
		return set, lv, nil
	})
}

// protectedPattern parses what a caller names an entry by.
func protectedPattern(pattern string) (policy.Entry, error) {
	e, err := policy.ParseEntry(pattern)
	if err != nil {
		return policy.Entry{}, discreet.FieldError("pattern", "%s", discreet.ErrorMessage(err))
	}
	return e, nil
}

// ProtectedEntries lists the protected contacts and domains (admin).
func (s *Service) ProtectedEntries(ctx context.Context, actor discreet.User) ([]discreet.ProtectedEntry, error) {
	if err := requireAdmin(actor, "list protected contacts"); err != nil {
		return nil, err
	}
	entries, _, err := s.store.Protected(ctx)
	if entries == nil {
		entries = []discreet.ProtectedEntry{}
	}
	return entries, err
}

// Protect protects an address or a domain (admin): a dry run counts the
// logged emails with it; otherwise the entry is stored (every decision
// from then on logs its emails private, on every instance) and a job
// narrows the emails already logged. Protecting again updates the note
// and runs the narrowing again, which finds nothing left to narrow.
func (s *Service) Protect(ctx context.Context, actor discreet.User, pattern string, req ProtectRequest) (ProtectResult, error) {
	if err := requireAdmin(actor, "protect contacts"); err != nil {
		return ProtectResult{}, err
	}
	e, err := protectedPattern(pattern)
	if err != nil {
		return ProtectResult{}, err
	}
	if err := s.notColleagues(ctx, e); err != nil {
		return ProtectResult{}, err
	}
	note := strings.TrimSpace(req.Note)
	if len(note) > maxProtectedNote {
		return ProtectResult{}, discreet.FieldError("note", "at most %d bytes", maxProtectedNote)
	}
	entry := discreet.ProtectedEntry{Pattern: e.String(), Note: note, AddedBy: actor.Email, AddedAt: s.now()}
	matching, err := s.store.CountMatching(ctx, matchOf(e, e.String()))
	if err != nil {
		return ProtectResult{}, err
	}
	res := ProtectResult{Entry: entry, Matching: matching}
	if req.DryRun {
		res.DryRun = true
		return res, nil
	}
	added, err := s.store.PutProtected(ctx, entry)
	if err != nil {
		return ProtectResult{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditProtect, Target: entry.Pattern, Count: matching,
		Detail: map[string]string{"new": boolText(added)}}); err != nil {
		return ProtectResult{}, err
	}
	// Always a job, even with nothing matching now: a decision in flight
	// that read the entries before this one may still log an email with
	// it, and the job's second pass narrows that.
	j, err := s.startJob(ctx, actor, JobNarrow, narrowParams{Pattern: entry.Pattern, SecondPassAt: s.now().Add(s.decisionWindow)},
		narrowReport{Pattern: entry.Pattern}, matching, nil)
	if err != nil {
		return ProtectResult{}, err
	}
	res.Job = &j
	return res, nil
}

// notColleagues refuses a pattern that covers colleagues: protecting an
// internal domain would make every email of the org private at once.
func (s *Service) notColleagues(ctx context.Context, e policy.Entry) error {
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return err
	}
	domains, err := policy.NewDomains(org.InternalDomains)
	if err != nil {
		return discreet.Wrap(err, discreet.EInternal, "the org's internal domains are not valid")
	}
	if e.Kind == policy.KindAddress {
		if domains.Covers(e.Value) {
			return discreet.FieldError("pattern", "%s is a colleague: protect contacts and their domains, not the org's own", e.Value)
		}
		return nil
	}
	for _, d := range org.InternalDomains {
		if domains.Covers("x@"+e.Value) || d == e.Value || strings.HasSuffix(d, "."+e.Value) {
			return discreet.FieldError("pattern", "@%s covers the org's own domain %s: protect contacts and their domains", e.Value, d)
		}
	}
	return nil
}

// Unprotect removes a protection (admin). Emails narrowed while it stood
// stay private: widening them again is their owner's choice, one by one.
func (s *Service) Unprotect(ctx context.Context, actor discreet.User, pattern string) error {
	if err := requireAdmin(actor, "remove protected contacts"); err != nil {
		return err
	}
	e, err := protectedPattern(pattern)
	if err != nil {
		return err
	}
	old, err := s.store.DeleteProtected(ctx, e.String())
	if isNotFound(err) {
		return discreet.Errorf(discreet.ENotFound, "%s is not protected", e.String())
	}
	if err != nil {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditUnprotect, Target: old.Pattern})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

type narrowParams struct {
	Pattern      string    `json:"pattern"`
	SecondPassAt time.Time `json:"secondPassAt"`
}

// narrowCheckpoint: pass 1 narrows what is logged, pass 2 (from
// SecondPassAt) what decisions in flight logged meanwhile, pass 3 audits.
// After is the scan's position in the pass.
type narrowCheckpoint struct {
	Pass     int    `json:"pass"`
	After    string `json:"after,omitempty"`
	Narrowed int    `json:"narrowed"`
	Checked  int    `json:"checked"`
}

type narrowReport struct {
	Pattern  string `json:"pattern"`
	Narrowed int    `json:"narrowed"`
	Checked  int    `json:"checked"`
}

// narrowStep narrows one page of the emails the pattern covers: each not
// private yet becomes private through the store's SetVisibility, which
// recomputes its audience keys in the same transaction, and its owner
// finds an audit record of it. Record ids derive from the job and the
// email, so a step run twice writes each once.
func (s *Service) narrowStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p narrowParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the narrowing job's parameters cannot be read")
	}
	e, err := policy.ParseEntry(p.Pattern)
	if err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the pattern %q no longer parses", p.Pattern)
	}
	var cp narrowCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the narrowing job's checkpoint cannot be read")
		}
	}
	if cp.Pass == 0 {
		cp.Pass = 1
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(narrowReport{Pattern: p.Pattern, Narrowed: cp.Narrowed, Checked: cp.Checked})
		j.Done, j.Total = cp.Checked, max(j.Total, cp.Checked)
	}()
	switch {
	case cp.Pass >= 3:
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: discreet.AuditNarrowDone, Target: p.Pattern, Count: cp.Narrowed,
			Detail: map[string]string{"job": j.ID}})
		return stepNext{finished: err == nil}, err
	case cp.Pass == 2 && s.now().Before(p.SecondPassAt):
		return stepNext{wait: p.SecondPassAt}, nil
	}
	ids, err := s.store.MatchingEmailIDs(ctx, matchOf(e, p.Pattern), cp.After, narrowBatch)
	if err != nil {
		return stepNext{}, err
	}
	for _, id := range ids {
		narrowed, err := s.narrowEmail(ctx, j, id, p.Pattern)
		if err != nil {
			return stepNext{}, err
		}
		if narrowed {
			cp.Narrowed++
		}
		cp.Checked++
		cp.After = id
	}
	if len(ids) < narrowBatch {
		cp.Pass++
		cp.After = ""
		if cp.Pass == 2 {
			return stepNext{wait: p.SecondPassAt}, nil
		}
	}
	return stepNext{}, nil
}

// narrowEmail makes one email private unless it is already, and audits
// it for its owner.
func (s *Service) narrowEmail(ctx context.Context, j *store.Job, id, pattern string) (bool, error) {
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) {
		return false, nil // unlogged since it was listed
	}
	if err != nil {
		return false, err
	}
	if e.Visibility == discreet.VisibilityPrivate {
		return false, nil
	}
	// The record first: a narrowing is never left unaudited, and a step
	// run again writes it once.
	r := discreet.AuditRecord{ID: "job-" + j.ID + "-" + id, At: s.now(), Actor: j.StartedBy, Action: discreet.AuditVisibility,
		EmailID: e.ID, EmailOwner: e.Owner, Target: pattern,
		Detail: map[string]string{"from": string(e.Visibility), "to": string(discreet.VisibilityPrivate), "reason": discreet.ForcedProtected, "job": j.ID}}
	if err := s.store.AppendAudit(ctx, r); err != nil && discreet.ErrorCode(err) != discreet.EConflict {
		return false, err
	}
	if _, err := s.store.SetVisibility(ctx, id, discreet.VisibilityPrivate, policy.EmailAudience); err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
