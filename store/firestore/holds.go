package firestore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var (
	_ store.Holds            = (*Store)(nil)
	_ store.SensitivityRules = (*Store)(nil)
)

// Legal holds live in legalHolds/{id}: few, read whole by what deletes,
// never by a decision. Sensitivity rules live in config/rules/rules/{id};
// config/rules holds their version, moved in the transaction that adds or
// deletes one, and mirrored into config/neverLog (versionDoc.Rules), which
// every decision reads anyway.
const (
	colLegalHolds = "legalHolds"
	docRules      = "rules"
	colRules      = "rules"
)

type holdDoc struct {
	ID        string `firestore:"id"`
	Contact   string `firestore:"contact"`
	Domain    string `firestore:"domain"`
	User      string `firestore:"user"`
	From      string `firestore:"from"`
	To        string `firestore:"to"`
	Reason    string `firestore:"reason"`
	CreatedBy string `firestore:"createdBy"`
	CreatedAt string `firestore:"createdAt"`
}

func toHoldDoc(h discreet.LegalHold) holdDoc {
	return holdDoc{ID: h.ID, Contact: h.Contact, Domain: h.Domain, User: h.User, From: optTS(h.From), To: optTS(h.To),
		Reason: h.Reason, CreatedBy: h.CreatedBy, CreatedAt: optTS(h.CreatedAt)}
}

func (d holdDoc) hold() discreet.LegalHold {
	return discreet.LegalHold{ID: d.ID, Contact: d.Contact, Domain: d.Domain, User: d.User, From: parseTS(d.From), To: parseTS(d.To),
		Reason: d.Reason, CreatedBy: d.CreatedBy, CreatedAt: parseTS(d.CreatedAt)}
}

func (s *Store) holdRef(id string) (*firestore.DocumentRef, error) {
	did, err := docID("id", id)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colLegalHolds).Doc(did), nil
}

func (s *Store) PutLegalHold(ctx context.Context, h discreet.LegalHold) (discreet.LegalHold, bool, error) {
	ref, err := s.holdRef(h.ID)
	if err != nil {
		return h, false, err
	}
	var out discreet.LegalHold
	var created bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		created = false
		snap, err := tx.Get(ref)
		if err == nil {
			var d holdDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			out = d.hold()
			return nil
		} else if !isNotFound(err) {
			return err
		}
		created, out = true, toHoldDoc(h).hold()
		return tx.Create(ref, toHoldDoc(h))
	})
	return out, created, wrap(err, "cannot store the legal hold")
}

func (s *Store) LegalHolds(ctx context.Context) ([]discreet.LegalHold, error) {
	snaps, err := s.c.Collection(colLegalHolds).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot read the legal holds")
	}
	out := make([]discreet.LegalHold, 0, len(snaps))
	for _, sn := range snaps {
		var d holdDoc
		if err := sn.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot read the legal holds")
		}
		out = append(out, d.hold())
	}
	// Sorted here: holds are few, and an ordered query on two fields would
	// need a composite index.
	slices.SortFunc(out, func(a, b discreet.LegalHold) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) DeleteLegalHold(ctx context.Context, id string) (discreet.LegalHold, error) {
	ref, err := s.holdRef(id)
	if err != nil {
		return discreet.LegalHold{}, err
	}
	var out discreet.LegalHold
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := txDoc[holdDoc](tx, ref, "legal hold")
		if err != nil {
			return err
		}
		out = d.hold()
		return tx.Delete(ref)
	})
	return out, wrap(err, "cannot lift the legal hold")
}

type ruleDoc struct {
	ID       string `firestore:"id"`
	Detector string `firestore:"detector"`
	Keyword  string `firestore:"keyword"`
	Action   string `firestore:"action"`
	AddedBy  string `firestore:"addedBy"`
	AddedAt  string `firestore:"addedAt"`
}

func (d ruleDoc) rule() discreet.SensitivityRule {
	return discreet.SensitivityRule{ID: d.ID, Detector: discreet.Detector(d.Detector), Keyword: d.Keyword,
		Action: discreet.RuleAction(d.Action), AddedBy: d.AddedBy, AddedAt: parseTS(d.AddedAt)}
}

type rulesVersionDoc struct {
	Version int64 `firestore:"version"`
}

func (s *Store) rulesVersionRef() *firestore.DocumentRef {
	return s.c.Collection(colConfig).Doc(docRules)
}

func (s *Store) ruleRef(id string) (*firestore.DocumentRef, error) {
	did, err := docID("id", id)
	if err != nil {
		return nil, err
	}
	return s.rulesVersionRef().Collection(colRules).Doc(did), nil
}

// moveRulesVersion moves the rules' version inside tx (prev as tx read
// it) and mirrors it into the Never Log version document.
func (s *Store) moveRulesVersion(tx *firestore.Transaction, prev int64) error {
	if err := tx.Set(s.rulesVersionRef(), rulesVersionDoc{Version: prev + 1}); err != nil {
		return err
	}
	return tx.Set(s.versionRef(), map[string]any{"rules": prev + 1}, firestore.MergeAll)
}

func (s *Store) readRulesVersion(tx *firestore.Transaction) (int64, error) {
	snap, err := tx.Get(s.rulesVersionRef())
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var v rulesVersionDoc
	err = snap.DataTo(&v)
	return v.Version, err
}

func (s *Store) AddRule(ctx context.Context, r discreet.SensitivityRule) (discreet.SensitivityRule, bool, error) {
	ref, err := s.ruleRef(r.ID)
	if err != nil {
		return r, false, err
	}
	d := ruleDoc{ID: r.ID, Detector: string(r.Detector), Keyword: r.Keyword, Action: string(r.Action), AddedBy: r.AddedBy, AddedAt: optTS(r.AddedAt)}
	var out discreet.SensitivityRule
	var added bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		added = false
		snap, err := tx.Get(ref)
		if err == nil {
			var old ruleDoc
			if err := snap.DataTo(&old); err != nil {
				return err
			}
			out = old.rule()
			return nil
		} else if !isNotFound(err) {
			return err
		}
		v, err := s.readRulesVersion(tx)
		if err != nil {
			return err
		}
		added, out = true, d.rule()
		if err := tx.Create(ref, d); err != nil {
			return err
		}
		return s.moveRulesVersion(tx, v)
	})
	return out, added, wrap(err, "cannot store the rule")
}

// Rules reads the version and the rules in one read-only transaction.
func (s *Store) Rules(ctx context.Context) ([]discreet.SensitivityRule, int64, error) {
	var out []discreet.SensitivityRule
	var v int64
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		out = nil
		var err error
		if v, err = s.readRulesVersion(tx); err != nil {
			return err
		}
		snaps, err := tx.Documents(s.rulesVersionRef().Collection(colRules)).GetAll()
		if err != nil {
			return err
		}
		for _, sn := range snaps {
			var d ruleDoc
			if err := sn.DataTo(&d); err != nil {
				return err
			}
			out = append(out, d.rule())
		}
		return nil
	}, firestore.ReadOnly)
	slices.SortFunc(out, func(a, b discreet.SensitivityRule) int {
		return cmp.Or(a.AddedAt.Compare(b.AddedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, v, wrap(err, "cannot read the rules")
}

func (s *Store) Rule(ctx context.Context, id string) (discreet.SensitivityRule, error) {
	ref, err := s.ruleRef(id)
	if err != nil {
		return discreet.SensitivityRule{}, err
	}
	d, err := getDoc[ruleDoc](ctx, ref, "rule")
	return d.rule(), err
}

func (s *Store) DeleteRule(ctx context.Context, id string) (discreet.SensitivityRule, error) {
	ref, err := s.ruleRef(id)
	if err != nil {
		return discreet.SensitivityRule{}, err
	}
	var out discreet.SensitivityRule
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := txDoc[ruleDoc](tx, ref, "rule")
		if err != nil {
			return err
		}
		out = d.rule()
		v, err := s.readRulesVersion(tx)
		if err != nil {
			return err
		}
		if err := tx.Delete(ref); err != nil {
			return err
		}
		return s.moveRulesVersion(tx, v)
	})
	return out, wrap(err, "cannot delete the rule")
}

func (s *Store) RulesVersion(ctx context.Context) (int64, error) {
	d, found, err := readDoc[rulesVersionDoc](ctx, s.rulesVersionRef(), "rules version")
	if err != nil || !found {
		return 0, err
	}
	return d.Version, nil
}

// MatchingEmails pages the emails m covers by document id (an email's
// document id is its id, escaped only for characters ids do not use).
func (s *Store) MatchingEmails(ctx context.Context, m store.Match, after string, limit int) ([]discreet.Email, error) {
	q, err := s.matchQuery(m)
	if err != nil {
		return nil, err
	}
	return s.emailPage(ctx, q, after, limit)
}

func (s *Store) Emails(ctx context.Context, after string, limit int) ([]discreet.Email, error) {
	return s.emailPage(ctx, s.c.Collection(colEmails).Query, after, limit)
}

func (s *Store) emailPage(ctx context.Context, q firestore.Query, after string, limit int) ([]discreet.Email, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q = q.OrderBy(firestore.DocumentID, firestore.Asc)
	if after != "" {
		did, err := docID("after", after)
		if err != nil {
			return nil, err
		}
		q = q.StartAfter(did)
	}
	return emailsOf(q.Limit(limit).Documents(ctx), "cannot list emails")
}

// emailsOf reads every email it yields; what says what failed.
func emailsOf(it *firestore.DocumentIterator, what string) ([]discreet.Email, error) {
	defer it.Stop()
	var out []discreet.Email
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return out, nil
		}
		if err != nil {
			return nil, wrap(err, what)
		}
		var d emailDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, wrap(err, what)
		}
		out = append(out, d.email())
	}
}

type periodsDoc struct {
	Private string `firestore:"private,omitempty"`
	Team    string `firestore:"team,omitempty"`
	Public  string `firestore:"public,omitempty"`
}

type retentionDoc struct {
	periodsDoc
	Teams map[string]periodsDoc `firestore:"teams,omitempty"`
}

func toRetentionDoc(r discreet.Retention) *retentionDoc {
	if r.Private == "" && r.Team == "" && r.Public == "" && len(r.Teams) == 0 {
		return nil
	}
	d := &retentionDoc{periodsDoc: periodsDoc{Private: r.Private, Team: r.Team, Public: r.Public}}
	if len(r.Teams) > 0 {
		d.Teams = make(map[string]periodsDoc, len(r.Teams))
		for id, p := range r.Teams {
			d.Teams[id] = periodsDoc(p)
		}
	}
	return d
}

func (d *retentionDoc) retention() discreet.Retention {
	if d == nil {
		return discreet.Retention{}
	}
	r := discreet.Retention{Private: d.Private, Team: d.Team, Public: d.Public}
	if len(d.Teams) > 0 {
		r.Teams = make(map[string]discreet.RetentionPeriods, len(d.Teams))
		for id, p := range d.Teams {
			r.Teams[id] = discreet.RetentionPeriods(p)
		}
	}
	return r
}

// OwnedEmailsBefore is one query on (owner, date): dates are stored as
// fixed-width UTC text, so text order is time order.
func (s *Store) OwnedEmailsBefore(ctx context.Context, owner string, before time.Time, limit int) ([]discreet.Email, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return emailsOf(s.c.Collection(colEmails).Where("owner", "==", owner).Where("date", "<", ts(before)).
		OrderBy("date", firestore.Asc).Limit(limit).Documents(ctx), "cannot list the owner's emails")
}
