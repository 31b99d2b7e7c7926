package service

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Retention (PRODUCT.md, "Data governance"): the org setting says how long
// emails are kept, per visibility and team, counted from the message date;
// a daily sweep deletes what expired, except what a legal hold covers
// (each skip audited); a change of the setting can be previewed first;
// owners see what of theirs expires within 30 days.
//
// The sweep is one job a day with an id derived from the day, so every
// starter (App Engine cron, the embedded ticker, an admin, several
// instances at once) starts the same job: the store keeps one, its lease
// gives it one runner at a time, and a deletion that finds the email gone
// counts nothing. Running it twice changes nothing.

// Job kind and audit action of the retention sweep.
const (
	JobRetention   = "retention.sweep"
	AuditRetention = "retention.sweep"
)

// retentionBatch is how many emails one sweep step reads.
const retentionBatch = 200

// RetentionCounts are what a retention setting does now.
type RetentionCounts struct {
	// Expired emails a sweep now would delete; Held of them a legal hold
	// keeps (they are not in Expired).
	Expired int `json:"expired"`
	Held    int `json:"held"`
	// ExpiringSoon are due within 30 days, not yet.
	ExpiringSoon int `json:"expiringSoon"`
}

// RetentionPreview compares a proposed setting with the one in force.
type RetentionPreview struct {
	Proposed discreet.Retention `json:"proposed"`
	Effect   RetentionCounts    `json:"effect"`
	Current  RetentionCounts    `json:"current"`
}

// PreviewRetention is the dry run of a retention change (admin only): it
// checks the proposed setting as saving would and counts, over every
// logged email, what it and the setting in force would delete now and
// within 30 days. Nothing is changed.
func (s *Service) PreviewRetention(ctx context.Context, actor discreet.User, proposed discreet.Retention) (RetentionPreview, error) {
	if err := requireAdmin(actor, "preview a retention change"); err != nil {
		return RetentionPreview{}, err
	}
	next, err := policy.CompileRetention(proposed)
	if err != nil {
		return RetentionPreview{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return RetentionPreview{}, err
	}
	cur, err := policy.CompileRetention(org.Retention)
	if err != nil {
		cur = nil // a setting in force that no longer compiles deletes nothing
	}
	holds, err := s.holds(ctx)
	if err != nil {
		return RetentionPreview{}, err
	}
	now := s.now()
	p := RetentionPreview{Proposed: proposed}
	count := func(r *policy.Retention, e discreet.Email, c *RetentionCounts) {
		switch {
		case r.Expired(e, now):
			if _, held := holds.HeldBy(e); held {
				c.Held++
			} else {
				c.Expired++
			}
		default:
			if _, soon := r.ExpiresSoon(e, now); soon {
				c.ExpiringSoon++
			}
		}
	}
	// Every logged email is read: admin-only and rare, like the other dry
	// runs, and bounded by the route's long deadline.
	for after := ""; ; {
		page, err := s.store.Emails(ctx, after, retentionBatch)
		if err != nil {
			return RetentionPreview{}, err
		}
		for _, e := range page {
			count(next, e, &p.Effect)
			count(cur, e, &p.Current)
		}
		if len(page) < retentionBatch {
			return p, nil
		}
		after = page[len(page)-1].ID
	}
}

// retentionSweepID is the day's sweep.
func retentionSweepID(now time.Time) string { return "retention-" + now.UTC().Format("2006-01-02") }

// StartRetentionSweep starts the day's retention sweep, or returns it when
// it was started already today (by anyone, on any instance); nil when the
// org keeps every email. Cron (SystemActor) and admins may.
func (s *Service) StartRetentionSweep(ctx context.Context, actor discreet.User) (*JobView, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	if !policy.CanRenewWatches(actor) { // the deployment's own cron, and admins
		return nil, discreet.Errorf(discreet.EPermission, "only admins may start the retention sweep")
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return nil, err
	}
	r, err := policy.CompileRetention(org.Retention)
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInvalid, "the retention setting in force cannot be read; nothing is deleted until an admin saves it again")
	}
	if _, ok := r.DueBy(s.now()); !ok {
		return nil, nil
	}
	id := retentionSweepID(s.now())
	j, err := s.createJob(ctx, id, actor.Email, JobRetention, struct{}{}, retentionReport{}, 0)
	if discreet.ErrorCode(err) != discreet.EConflict {
		if err != nil {
			return nil, err
		}
		return &j, nil
	}
	prev, err := s.store.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	if prev.State == store.JobRunning {
		s.enqueue(ctx, id, s.now()) // it may have been waiting for the sweep
	}
	v := jobView(prev)
	return &v, nil
}

type retentionCheckpoint struct {
	After   string `json:"after,omitempty"`
	Deleted int    `json:"deleted"`
	Held    int    `json:"held"`
	Done    bool   `json:"done,omitempty"`
}

type retentionReport struct {
	Deleted int `json:"deleted"`
	Held    int `json:"held"`
}

// retentionStep reads one page of emails and deletes the expired ones no
// hold covers. The setting and the holds are read at every step: a
// setting made longer, or a hold placed, mid-sweep is obeyed from then
// on. A setting that no longer compiles stops the sweep (fail closed).
func (s *Service) retentionStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var cp retentionCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the retention sweep's checkpoint cannot be read")
		}
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(retentionReport{Deleted: cp.Deleted, Held: cp.Held})
		j.Done, j.Total = cp.Deleted, max(j.Total, cp.Deleted)
	}()
	if cp.Done {
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: AuditRetention, Count: cp.Deleted,
			Detail: map[string]string{"job": j.ID, "deleted": strconv.Itoa(cp.Deleted), "held": strconv.Itoa(cp.Held)}})
		return stepNext{finished: err == nil}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return stepNext{}, err
	}
	r, err := policy.CompileRetention(org.Retention)
	if err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the retention setting cannot be read; nothing more is deleted")
	}
	holds, err := s.holds(ctx)
	if err != nil {
		return stepNext{}, err
	}
	page, err := s.store.Emails(ctx, cp.After, retentionBatch)
	if err != nil {
		return stepNext{}, err
	}
	now := s.now()
	for _, e := range page {
		if r.Expired(e, now) {
			if h, held := holds.HeldBy(e); held {
				if err := s.auditSkip(ctx, j, e, h); err != nil {
					return stepNext{}, err
				}
				cp.Held++
			} else if err := s.store.DeleteEmail(ctx, e.ID); err == nil {
				cp.Deleted++
			} else if !isNotFound(err) {
				return stepNext{}, err
			}
		}
		cp.After = e.ID
	}
	if len(page) < retentionBatch {
		cp.Done = true
	}
	return stepNext{}, nil
}

// ExpiringEmail is one of an owner's emails due for deletion soon.
type ExpiringEmail struct {
	ID         string              `json:"id"`
	Subject    string              `json:"subject"`
	Date       time.Time           `json:"date"`
	Visibility discreet.Visibility `json:"visibility"`
	Contacts   []string            `json:"contacts"`
	ExpiresAt  time.Time           `json:"expiresAt"`
	// Held: a legal hold keeps it past its expiry.
	Held bool `json:"held,omitempty"`
}

// Expiring is what of the caller's expires within 30 days.
type Expiring struct {
	Emails []ExpiringEmail `json:"emails"`
	// More: there are more than the listed ones.
	More bool `json:"more,omitempty"`
}

// expiringShown bounds the list; the homepage shows a few.
const expiringShown = 50

// ExpiringSoon lists the caller's own emails that retention deletes within
// 30 days, soonest first: one bounded store read of their oldest emails
// (nothing dated later can expire that soon), decided by the same policy
// the sweep applies.
func (s *Service) ExpiringSoon(ctx context.Context, actor discreet.User) (Expiring, error) {
	out := Expiring{Emails: []ExpiringEmail{}}
	if err := requireUser(actor); err != nil {
		return out, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return out, err
	}
	r, err := policy.CompileRetention(org.Retention)
	if err != nil {
		return out, nil // nothing is deleted under a setting that cannot be read
	}
	now := s.now()
	bound, ok := r.DueBy(now.AddDate(0, 0, policy.ExpiryNotice))
	if !ok {
		return out, nil
	}
	// The read is by message date. An email whose Date header lies after
	// its logging counts from its logging (policy.RetentionStart) and may
	// be missed here when that header is past the bound; the sweep, which
	// reads every email, still deletes it on time.
	emails, err := s.store.OwnedEmailsBefore(ctx, actor.Email, bound.Add(time.Nanosecond), expiringShown+1)
	if err != nil {
		return out, err
	}
	if len(emails) > expiringShown {
		emails, out.More = emails[:expiringShown], true
	}
	holds, err := s.holds(ctx)
	if err != nil {
		return out, err
	}
	for _, e := range emails {
		t, soon := r.ExpiresSoon(e, now)
		if !soon {
			continue
		}
		_, held := holds.HeldBy(e)
		out.Emails = append(out.Emails, ExpiringEmail{ID: e.ID, Subject: e.Subject, Date: e.Date, Visibility: e.Visibility,
			Contacts: e.Contacts, ExpiresAt: t, Held: held})
	}
	return out, nil
}
