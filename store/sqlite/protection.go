package sqlite

import (
	"context"
	"encoding/json"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Protection = (*Store)(nil)

// protectedCounter is the counters row holding the protection version.
const protectedCounter = "protected"

func bumpProtected(ctx context.Context, c *conn) error {
	_, err := c.exec(ctx, `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1`, text(protectedCounter))
	return err
}

// PutProtected inserts or replaces the entry with p's pattern.
func (s *Store) PutProtected(ctx context.Context, p discreet.ProtectedEntry) (bool, error) {
	if p.Pattern == "" {
		return false, discreet.FieldError("pattern", "is required")
	}
	var added bool
	err := s.write(ctx, "put protected", func(ctx context.Context, c *conn) error {
		found, err := c.one(ctx, func(*stmt) error { return nil }, "SELECT 1 FROM protected WHERE pattern = ?", text(p.Pattern))
		if err != nil {
			return err
		}
		added = !found
		if _, err := c.exec(ctx, `INSERT INTO protected (pattern, note, added_by, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (pattern) DO UPDATE SET note = excluded.note, added_by = excluded.added_by, added_at = excluded.added_at`,
			text(p.Pattern), text(p.Note), text(p.AddedBy), text(tsKey(p.AddedAt))); err != nil {
			return err
		}
		return bumpProtected(ctx, c)
	})
	return added, err
}

// DeleteProtected removes the entry with pattern.
func (s *Store) DeleteProtected(ctx context.Context, pattern string) (discreet.ProtectedEntry, error) {
	var out discreet.ProtectedEntry
	err := s.write(ctx, "delete protected", func(ctx context.Context, c *conn) error {
		var err error
		if out, err = takeRow(ctx, c, "protected", "pattern, note, added_by, added_at", "pattern", pattern, "protected entry", scanProtected); err != nil {
			return err
		}
		return bumpProtected(ctx, c)
	})
	return out, err
}

func scanProtected(r *stmt) discreet.ProtectedEntry {
	p := discreet.ProtectedEntry{Pattern: r.text(0), Note: r.text(1), AddedBy: r.text(2)}
	p.AddedAt, _ = parseTSKey(r.text(3))
	return p
}

// Protected reads the entries and their version in one read.
func (s *Store) Protected(ctx context.Context) ([]discreet.ProtectedEntry, int64, error) {
	var out []discreet.ProtectedEntry
	var v int64
	err := s.read(ctx, "protected", func(c *conn) error {
		out = nil
		var err error
		if v, err = counter(ctx, c, protectedCounter); err != nil {
			return err
		}
		out, err = queryAll(ctx, c, scanProtected, "SELECT pattern, note, added_by, added_at FROM protected ORDER BY pattern")
		return err
	})
	return out, v, err
}

// ProtectedVersion reads the counter.
func (s *Store) ProtectedVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read(ctx, "protected version", func(c *conn) error {
		var err error
		v, err = counter(ctx, c, protectedCounter)
		return err
	})
	return v, err
}

func checkPage(limit int) error {
	if limit < 1 || limit > 1000 {
		return discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return nil
}

// firstText is a row's first column as text.
func firstText(r *stmt) string { return r.text(0) }

// ids runs a query whose one column is the listing.
func (s *Store) ids(ctx context.Context, op, q string, args ...arg) ([]string, error) {
	var out []string
	err := s.read(ctx, op, func(c *conn) error {
		var err error
		out, err = queryAll(ctx, c, firstText, q, args...)
		return err
	})
	return out, err
}

// MatchingEmailIDs reads the match index, as CountMatching does.
func (s *Store) MatchingEmailIDs(ctx context.Context, m store.Match, after string, limit int) ([]string, error) {
	terms, err := matchTermsOf(m)
	if err != nil {
		return nil, err
	}
	if err := checkPage(limit); err != nil {
		return nil, err
	}
	args := append(terms[:len(terms):len(terms)], text(after), num(limit))
	return s.ids(ctx, "matching emails", "SELECT DISTINCT email_id FROM email_match WHERE term IN ("+marks(len(terms))+
		") AND email_id > ? ORDER BY email_id LIMIT ?", args...)
}

// OwnedEmails walks emails_owner.
func (s *Store) OwnedEmails(ctx context.Context, owner, after string, limit int) ([]string, error) {
	if err := checkPage(limit); err != nil {
		return nil, err
	}
	return s.ids(ctx, "owned emails", "SELECT id FROM emails WHERE owner = ? AND id > ? ORDER BY id LIMIT ?",
		text(owner), text(after), num(limit))
}

// OwnedContacts walks contacts_owner.
func (s *Store) OwnedContacts(ctx context.Context, owner, after string, limit int) ([]string, error) {
	if err := checkPage(limit); err != nil {
		return nil, err
	}
	return s.ids(ctx, "owned contacts", "SELECT email FROM contacts WHERE owner = ? AND email > ? ORDER BY email LIMIT ?",
		text(owner), text(after), num(limit))
}

// SetEmailOwner rewrites the owner of the email and of its timeline rows,
// and their audience rows, in one transaction.
func (s *Store) SetEmailOwner(ctx context.Context, id, owner string, audience store.Audience) (discreet.Email, error) {
	if owner == "" {
		return discreet.Email{}, discreet.FieldError("owner", "is required")
	}
	if audience == nil {
		return discreet.Email{}, store.CheckAudience(nil)
	}
	var out discreet.Email
	err := s.write(ctx, "set email owner", func(ctx context.Context, c *conn) error {
		e, err := getEmail(ctx, c, id)
		if err != nil {
			return err
		}
		if e.Owner == owner {
			out = e
			return nil
		}
		// The index names the owner too: drop the terms the row holds.
		var oldTerms []string
		if _, err := c.one(ctx, func(r *stmt) (err error) {
			oldTerms, err = r.list(0)
			return err
		}, "SELECT match_terms FROM emails WHERE id = ?", text(id)); err != nil {
			return err
		}
		e.Owner = owner
		if err := rewriteAudience(ctx, c, e, audience); err != nil {
			return err
		}
		sk := store.SortKey(e.Date, e.ID)
		for _, ct := range unique(e.Contacts) {
			if _, err := c.exec(ctx, "UPDATE timeline SET owner = ? WHERE contact = ? AND sort_key = ?",
				text(owner), text(ct), text(sk)); err != nil {
				return err
			}
		}
		newTerms := matchTerms(e)
		for _, t := range oldTerms {
			if _, err := c.exec(ctx, "DELETE FROM email_match WHERE term = ? AND email_id = ?", text(t), text(id)); err != nil {
				return err
			}
		}
		if err := addMatch(ctx, c, id, newTerms); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE emails SET owner = ?, match_terms = ? WHERE id = ?",
			text(owner), text(encodeList(newTerms)), text(id)); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// visibilityPolicyArg keeps the org's visibility policy as JSON; nil as NULL.
func visibilityPolicyArg(p *discreet.VisibilityPolicy) arg {
	if p == nil {
		return null()
	}
	b, err := json.Marshal(p)
	if err != nil {
		return null() // a map of strings always marshals
	}
	return text(string(b))
}

func scanVisibilityPolicy(r *stmt, i int) (*discreet.VisibilityPolicy, error) {
	if r.null(i) {
		return nil, nil
	}
	var p discreet.VisibilityPolicy
	if err := json.Unmarshal([]byte(r.text(i)), &p); err != nil {
		return nil, err
	}
	return &p, nil
}
