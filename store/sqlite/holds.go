package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var (
	_ store.Holds            = (*Store)(nil)
	_ store.SensitivityRules = (*Store)(nil)
)

const rulesCounter = "sensitivity_rules_version"

// optTS stores an optional time: "" for the zero time.
func optTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return tsKey(t)
}

func parseOptTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := parseTSKey(s)
	return t
}

const holdColumns = "id, contact, domain, user_email, from_date, to_date, reason, created_by, created_at"

func scanHold(r *stmt) discreet.LegalHold {
	return discreet.LegalHold{ID: r.text(0), Contact: r.text(1), Domain: r.text(2), User: r.text(3),
		From: parseOptTS(r.text(4)), To: parseOptTS(r.text(5)), Reason: r.text(6), CreatedBy: r.text(7),
		CreatedAt: parseOptTS(r.text(8))}
}

func (s *Store) PutLegalHold(ctx context.Context, h discreet.LegalHold) (discreet.LegalHold, bool, error) {
	if h.ID == "" {
		return h, false, discreet.FieldError("id", "is required")
	}
	var out discreet.LegalHold
	var created bool
	err := s.write(ctx, "put legal hold", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, "INSERT INTO legal_holds ("+holdColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, text(h.ID), text(h.Contact), text(h.Domain), text(h.User),
			text(optTS(h.From)), text(optTS(h.To)), text(h.Reason), text(h.CreatedBy), text(optTS(h.CreatedAt)))
		if err != nil {
			return err
		}
		created = n == 1
		_, err = c.one(ctx, func(r *stmt) error { out = scanHold(r); return nil },
			"SELECT "+holdColumns+" FROM legal_holds WHERE id = ?", text(h.ID))
		return err
	})
	return out, created, err
}

func (s *Store) LegalHolds(ctx context.Context) ([]discreet.LegalHold, error) {
	var out []discreet.LegalHold
	err := s.read(ctx, "legal holds", func(c *conn) error {
		var err error
		out, err = queryAll(ctx, c, scanHold, "SELECT "+holdColumns+" FROM legal_holds ORDER BY created_at, id")
		return err
	})
	return out, err
}

func (s *Store) DeleteLegalHold(ctx context.Context, id string) (discreet.LegalHold, error) {
	var out discreet.LegalHold
	err := s.write(ctx, "lift legal hold", func(ctx context.Context, c *conn) error {
		var err error
		out, err = takeRow(ctx, c, "legal_holds", holdColumns, "id", id, "legal hold", scanHold)
		return err
	})
	return out, err
}

const ruleColumns = "id, detector, keyword, action, added_by, added_at"

func scanRule(r *stmt) discreet.SensitivityRule {
	return discreet.SensitivityRule{ID: r.text(0), Detector: discreet.Detector(r.text(1)), Keyword: r.text(2),
		Action: discreet.RuleAction(r.text(3)), AddedBy: r.text(4), AddedAt: parseOptTS(r.text(5))}
}

func bumpRules(ctx context.Context, c *conn) error {
	_, err := c.exec(ctx, `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1`, text(rulesCounter))
	return err
}

func (s *Store) AddRule(ctx context.Context, r discreet.SensitivityRule) (discreet.SensitivityRule, bool, error) {
	if r.ID == "" {
		return r, false, discreet.FieldError("id", "is required")
	}
	var out discreet.SensitivityRule
	var added bool
	err := s.write(ctx, "add rule", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, "INSERT INTO sensitivity_rules ("+ruleColumns+`) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, text(r.ID), text(string(r.Detector)), text(r.Keyword), text(string(r.Action)),
			text(r.AddedBy), text(optTS(r.AddedAt)))
		if err != nil {
			return err
		}
		if added = n == 1; added {
			if err := bumpRules(ctx, c); err != nil {
				return err
			}
		}
		_, err = c.one(ctx, func(st *stmt) error { out = scanRule(st); return nil },
			"SELECT "+ruleColumns+" FROM sensitivity_rules WHERE id = ?", text(r.ID))
		return err
	})
	return out, added, err
}

func (s *Store) Rules(ctx context.Context) ([]discreet.SensitivityRule, int64, error) {
	var out []discreet.SensitivityRule
	var v int64
	err := s.snapshot(ctx, "rules", func(c *conn) error {
		out = nil
		var err error
		if v, err = rulesVersion(ctx, c); err != nil {
			return err
		}
		out, err = queryAll(ctx, c, scanRule, "SELECT "+ruleColumns+" FROM sensitivity_rules ORDER BY added_at, id")
		return err
	})
	return out, v, err
}

func (s *Store) Rule(ctx context.Context, id string) (discreet.SensitivityRule, error) {
	var out discreet.SensitivityRule
	err := s.read(ctx, "rule", func(c *conn) error {
		found, err := c.one(ctx, func(r *stmt) error { out = scanRule(r); return nil },
			"SELECT "+ruleColumns+" FROM sensitivity_rules WHERE id = ?", text(id))
		if err == nil && !found {
			err = notFound("rule")
		}
		return err
	})
	return out, err
}

func (s *Store) DeleteRule(ctx context.Context, id string) (discreet.SensitivityRule, error) {
	var out discreet.SensitivityRule
	err := s.write(ctx, "delete rule", func(ctx context.Context, c *conn) error {
		var err error
		if out, err = takeRow(ctx, c, "sensitivity_rules", ruleColumns, "id", id, "rule", scanRule); err != nil {
			return err
		}
		return bumpRules(ctx, c)
	})
	return out, err
}

func (s *Store) RulesVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read(ctx, "rules version", func(c *conn) error {
		var err error
		v, err = rulesVersion(ctx, c)
		return err
	})
	return v, err
}

func rulesVersion(ctx context.Context, c *conn) (int64, error) {
	var v int64
	_, err := c.one(ctx, func(r *stmt) error { v = r.int(0); return nil },
		"SELECT coalesce((SELECT value FROM counters WHERE name = ?), 0)", text(rulesCounter))
	return v, err
}

// MatchingEmails pages the emails the purge index says m covers.
func (s *Store) MatchingEmails(ctx context.Context, m store.Match, after string, limit int) ([]discreet.Email, error) {
	terms, err := matchTermsOf(m)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.emailPage(ctx, "matching emails", "SELECT "+emailColumns+" FROM emails WHERE id IN (SELECT email_id FROM email_match WHERE term IN ("+
		marks(len(terms))+")) AND id > ? ORDER BY id LIMIT ?", append(terms, text(after), num(limit))...)
}

func (s *Store) Emails(ctx context.Context, after string, limit int) ([]discreet.Email, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.emailPage(ctx, "emails", "SELECT "+emailColumns+" FROM emails WHERE id > ? ORDER BY id LIMIT ?", text(after), num(limit))
}

func (s *Store) emailPage(ctx context.Context, op, q string, args ...arg) ([]discreet.Email, error) {
	var out []discreet.Email
	err := s.read(ctx, op, func(c *conn) error {
		out = nil
		rows, err := c.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.close()
		for rows.next() {
			e, err := scanEmail(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.error()
	})
	return out, err
}

// retentionArg stores the retention setting as JSON; NULL when unset.
func retentionArg(r discreet.Retention) arg {
	if r.Private == "" && r.Team == "" && r.Public == "" && len(r.Teams) == 0 {
		return null()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return null() // a struct of strings always marshals
	}
	return text(string(b))
}

func scanRetention(r *stmt, i int) (discreet.Retention, error) {
	var out discreet.Retention
	if r.null(i) || r.text(i) == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(r.text(i)), &out); err != nil {
		return out, discreet.Wrap(err, discreet.EInternal, "the stored retention setting cannot be read")
	}
	return out, nil
}

// OwnedEmailsBefore reads owner's emails by the owner index; dates are
// kept with their zone, so they are compared as instants (julianday).
func (s *Store) OwnedEmailsBefore(ctx context.Context, owner string, before time.Time, limit int) ([]discreet.Email, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.emailPage(ctx, "owned emails", "SELECT "+emailColumns+` FROM emails WHERE owner = ? AND julianday(date) < julianday(?)
		ORDER BY julianday(date), id LIMIT ?`, text(owner), text(before.UTC().Format(time.RFC3339Nano)), num(limit))
}
