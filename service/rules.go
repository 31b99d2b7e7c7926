package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/policy/sensitive"
	"github.com/discreet-crm/discreet/store"
)

// Sensitivity rules (PRODUCT.md, "Data governance"): an admin's rule looks
// for IBANs, payment card numbers, automated mail or a keyword, and either
// blocks logging (sensitive_content) or forces the email private. Every
// decision — button, REST, capture of a compose intent or of sent mail —
// applies the rules stored before it started, on any instance: their
// version travels in the Never Log version document every decision reads
// (store.NeverLogChanges.Rules), and an instance re-reads the rules only
// when it moved. With no rule stored the version is 0 and the decision
// adds nothing: no read, no scan.

// Audit actions and job kind of sensitivity rules.
const (
	AuditRuleAdd    = "rule.add"
	AuditRuleRemove = "rule.remove"
	AuditRulePurge  = "rule.purge"
	JobRulePurge    = "rule.purge"
)

// rulePurgeBatch is how many emails one purge step reads.
const rulePurgeBatch = 200

// RuleRequest is the body of POST /v1/rules.
type RuleRequest struct {
	Detector discreet.Detector   `json:"detector"`
	Keyword  string              `json:"keyword,omitempty"`
	Action   discreet.RuleAction `json:"action"`
}

// RulePurgeResult is a rule's dry run (the logged emails it matches now)
// or its purge job. A never_log rule's purge deletes them (held ones
// excepted); a private rule's makes them private.
type RulePurgeResult struct {
	Rule     discreet.SensitivityRule `json:"rule"`
	DryRun   bool                     `json:"dryRun"`
	Matching int                      `json:"matching"`
	Job      *JobView                 `json:"job,omitempty"`
	// Note says what a purge can and cannot see of stored emails.
	Note string `json:"note,omitempty"`
}

// purgeNote: stored emails keep their subject and, when the org stores
// bodies, their text; not their headers.
const purgeNote = "The purge reads each logged email's subject and stored text; emails logged without their body are matched on the subject only, and automated mail (a header) is recognized only when an email is logged."

// Rules lists the sensitivity rules (admin only), in rank order.
func (s *Service) Rules(ctx context.Context, actor discreet.User) ([]discreet.SensitivityRule, error) {
	if err := requireAdmin(actor, "see sensitivity rules"); err != nil {
		return nil, err
	}
	rules, _, err := s.store.Rules(ctx)
	if rules == nil {
		rules = []discreet.SensitivityRule{}
	}
	return rules, err
}

// AddRule checks and stores a rule (admin only), in force for every
// decision that starts once it returns; audited.
func (s *Service) AddRule(ctx context.Context, actor discreet.User, req RuleRequest) (discreet.SensitivityRule, error) {
	if err := requireAdmin(actor, "add sensitivity rules"); err != nil {
		return discreet.SensitivityRule{}, err
	}
	r, err := sensitive.ParseRule(discreet.SensitivityRule{Detector: req.Detector, Keyword: req.Keyword, Action: req.Action})
	if err != nil {
		return discreet.SensitivityRule{}, err
	}
	existing, _, err := s.store.Rules(ctx)
	if err != nil {
		return discreet.SensitivityRule{}, err
	}
	for _, x := range existing {
		if x.Detector == r.Detector && x.Action == r.Action && strings.EqualFold(x.Keyword, r.Keyword) {
			return discreet.SensitivityRule{}, discreet.Errorf(discreet.EConflict, "rule %s already does this", x.ID)
		}
	}
	r.ID, r.AddedBy, r.AddedAt = s.cfg.NewID(), actor.Email, s.now()
	if r, _, err = s.store.AddRule(ctx, r); err != nil {
		return discreet.SensitivityRule{}, err
	}
	return r, s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: AuditRuleAdd, Target: ruleName(r),
		Detail: map[string]string{"rule": r.ID, "action": string(r.Action)}})
}

// RemoveRule deletes a rule (admin only); audited.
func (s *Service) RemoveRule(ctx context.Context, actor discreet.User, id string) error {
	if err := requireAdmin(actor, "remove sensitivity rules"); err != nil {
		return err
	}
	r, err := s.store.DeleteRule(ctx, id)
	if err != nil {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: AuditRuleRemove, Target: ruleName(r),
		Detail: map[string]string{"rule": r.ID, "action": string(r.Action)}})
}

// ruleName is how the audit and the cards name a rule.
func ruleName(r discreet.SensitivityRule) string {
	if r.Detector == discreet.DetectorKeyword {
		return "keyword " + strconv.Quote(r.Keyword)
	}
	return string(r.Detector)
}

// PurgeRule counts (dryRun) the logged emails a rule matches, or starts
// the job that applies it to them (admin only).
func (s *Service) PurgeRule(ctx context.Context, actor discreet.User, id string, dryRun bool) (RulePurgeResult, error) {
	if err := requireAdmin(actor, "purge logged emails"); err != nil {
		return RulePurgeResult{}, err
	}
	r, err := s.store.Rule(ctx, id)
	if err != nil {
		return RulePurgeResult{}, err
	}
	sc, err := sensitive.Compile([]discreet.SensitivityRule{r})
	if err != nil {
		return RulePurgeResult{}, discreet.Wrap(err, discreet.EInvalid, "the stored rule %s no longer compiles; remove it and add it again", id)
	}
	res := RulePurgeResult{Rule: r, DryRun: dryRun, Note: purgeNote}
	// The dry run reads every logged email: admin-only and rare, like the
	// erasure's dry run, and bounded by the route's long deadline.
	for after := ""; ; {
		page, err := s.store.Emails(ctx, after, rulePurgeBatch)
		if err != nil {
			return RulePurgeResult{}, err
		}
		for _, e := range page {
			if ruleMatches(sc, e) {
				res.Matching++
			}
		}
		if len(page) < rulePurgeBatch {
			break
		}
		after = page[len(page)-1].ID
	}
	if dryRun {
		return res, nil
	}
	job, err := s.startJob(ctx, actor, JobRulePurge, rulePurgeParams{Rule: r, SecondPassAt: s.now().Add(s.decisionWindow)},
		rulePurgeReport{RuleID: r.ID}, res.Matching, nil)
	if err != nil {
		return RulePurgeResult{}, err
	}
	res.Job = &job
	return res, nil
}

// ruleMatches scans what a stored email keeps: subject and body.
func ruleMatches(sc *sensitive.Scanner, e discreet.Email) bool {
	return sc.Scan(sensitive.Message{Subject: e.Subject, Body: e.Body}).Fired()
}

type rulePurgeParams struct {
	Rule discreet.SensitivityRule `json:"rule"`
	// SecondPassAt: decisions that read the rules before this rule took
	// effect have committed by then; pass 2 applies it to what they logged.
	SecondPassAt time.Time `json:"secondPassAt"`
}

type rulePurgeCheckpoint struct {
	Pass    int    `json:"pass"`
	After   string `json:"after,omitempty"`
	Deleted int    `json:"deleted"`
	Private int    `json:"private"`
	Held    int    `json:"held"`
}

type rulePurgeReport struct {
	RuleID  string `json:"ruleId"`
	Deleted int    `json:"deleted"`
	Private int    `json:"private"`
	Held    int    `json:"held"`
}

func (s *Service) rulePurgeStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p rulePurgeParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the rule purge's parameters cannot be read")
	}
	var cp rulePurgeCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the rule purge's checkpoint cannot be read")
		}
	}
	if cp.Pass == 0 {
		cp.Pass = 1
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(rulePurgeReport{RuleID: p.Rule.ID, Deleted: cp.Deleted, Private: cp.Private, Held: cp.Held})
		n := cp.Deleted + cp.Private
		j.Done, j.Total = n, max(j.Total, n)
	}()
	if cp.Pass >= 3 {
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: AuditRulePurge, Target: ruleName(p.Rule), Count: cp.Deleted + cp.Private,
			Detail: map[string]string{"rule": p.Rule.ID, "job": j.ID, "deleted": strconv.Itoa(cp.Deleted), "private": strconv.Itoa(cp.Private), "held": strconv.Itoa(cp.Held)}})
		return stepNext{finished: err == nil}, err
	}
	if cp.Pass == 2 && s.now().Before(p.SecondPassAt) {
		return stepNext{wait: p.SecondPassAt}, nil
	}
	sc, err := sensitive.Compile([]discreet.SensitivityRule{p.Rule})
	if err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the rule no longer compiles")
	}
	var holds *policy.LegalHolds
	if p.Rule.Action == discreet.ActionNeverLog {
		if holds, err = s.holds(ctx); err != nil {
			return stepNext{}, err
		}
	}
	page, err := s.store.Emails(ctx, cp.After, rulePurgeBatch)
	if err != nil {
		return stepNext{}, err
	}
	for _, e := range page {
		cp.After = e.ID
		if !ruleMatches(sc, e) {
			continue
		}
		if p.Rule.Action == discreet.ActionPrivate {
			if e.Visibility == discreet.VisibilityPrivate {
				continue
			}
			if _, err := s.store.SetVisibility(ctx, e.ID, discreet.VisibilityPrivate, policy.EmailAudience); err != nil && !isNotFound(err) {
				return stepNext{}, err
			} else if err == nil {
				cp.Private++
			}
			continue
		}
		if h, held := holds.HeldBy(e); held {
			if err := s.auditSkip(ctx, j, e, h); err != nil {
				return stepNext{}, err
			}
			if cp.Pass == 1 {
				cp.Held++
			}
			continue
		}
		if err := s.store.DeleteEmail(ctx, e.ID); err != nil && !isNotFound(err) {
			return stepNext{}, err
		} else if err == nil {
			cp.Deleted++
		}
	}
	if len(page) == rulePurgeBatch {
		return stepNext{}, nil
	}
	cp.Pass++
	cp.After = ""
	if cp.Pass == 2 {
		return stepNext{wait: p.SecondPassAt}, nil
	}
	return stepNext{}, nil
}

// rulesCache is the instance's compiled rules at a version. A decision
// learns the version from the Never Log version it reads anyway, and
// recompiles from one read of the rules when it moved, so it applies every
// rule stored before it started. Memory: the rules, a few KB.
type rulesCache = versioned[*sensitive.Scanner]

// sensitivityRules returns the org's compiled rules at version v or later;
// nil when there are none. An error (rules unreadable, or a stored rule
// that no longer compiles) must stop the decision: fail closed.
func (s *Service) sensitivityRules(ctx context.Context, v int64) (*sensitive.Scanner, error) {
	return s.rules.at(v, func() (*sensitive.Scanner, int64, error) {
		list, lv, err := s.store.Rules(ctx)
		if err != nil {
			return nil, 0, discreet.Wrap(err, discreet.EUnavailable, "the sensitivity rules could not be read; nothing was logged")
		}
		sc, err := sensitive.Compile(list)
		if err != nil {
			return nil, 0, discreet.Wrap(err, discreet.EUnavailable, "a stored sensitivity rule cannot be applied; nothing was logged until an admin removes it")
		}
		return sc, lv, nil
	})
}

// contentOf is what the rules read of a parsed message.
func contentOf(msg *message.Message) sensitive.Message {
	m := sensitive.Message{Subject: msg.Subject, Body: msg.BodyText}
	if msg.SubjectAsUTF8 != "" {
		m.Alternates = append(m.Alternates, sensitive.Reading{Where: sensitive.WhereSubject, Text: msg.SubjectAsUTF8})
	}
	if msg.BodyAsUTF8 != "" {
		m.Alternates = append(m.Alternates, sensitive.Reading{Where: sensitive.WhereBody, Text: msg.BodyAsUTF8})
	}
	if a := msg.Automation; a != nil {
		m.Header = func(name string) string { return a[strings.ToLower(name)] }
	} else {
		m.Header = func(string) string { return "" }
	}
	return m
}

// composeRules are the rules the decision just made applied (the cache
// decide refreshed: no read more), as a rep may see them: what each looks
// for and does, a keyword rule without its keyword (which may itself be
// confidential, like a project's name).
func (s *Service) composeRules() []discreet.SensitivityRule {
	sc := s.rules.current()
	var out []discreet.SensitivityRule
	for _, r := range sc.Rules() {
		out = append(out, discreet.SensitivityRule{ID: r.ID, Detector: r.Detector, Action: r.Action})
	}
	return out
}
