package sqlite

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
)

const contactColumns = "email, name, owner, team, created_at"

func scanContact(r *stmt) (discreet.Contact, error) {
	c := discreet.Contact{Email: r.text(0), Name: r.text(1), Owner: r.text(2), Team: r.text(3)}
	var err error
	c.CreatedAt, err = time.Parse(time.RFC3339Nano, r.text(4))
	return c, err
}

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, email string) (discreet.Contact, error) {
	var ct discreet.Contact
	err := s.read(ctx, "contact", func(c *conn) error {
		found, err := c.one(ctx, func(r *stmt) (err error) {
			ct, err = scanContact(r)
			return err
		}, "SELECT "+contactColumns+" FROM contacts WHERE email = ?", text(email))
		if err == nil && !found {
			err = notFound("contact")
		}
		return err
	})
	return ct, err
}

// prefixEnd is the smallest string greater than every string with prefix
// p, or "" when there is none; [p, prefixEnd(p)) is an index range.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// SearchContacts lists contacts whose address or domain starts with prefix.
func (s *Store) SearchContacts(ctx context.Context, prefix string, limit int) ([]discreet.Contact, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	var out []discreet.Contact
	err := s.read(ctx, "search contacts", func(c *conn) error {
		var rows *stmt
		var err error
		if end := prefixEnd(prefix); prefix == "" || end == "" {
			rows, err = c.query(ctx, `SELECT `+contactColumns+` FROM contacts
				WHERE email >= ? ORDER BY email LIMIT ?`, text(prefix), num(limit))
		} else {
			// Each arm walks its own index; the union is small (2 × limit).
			rows, err = c.query(ctx, `SELECT `+contactColumns+` FROM (
					SELECT * FROM (SELECT * FROM contacts WHERE email >= ?1 AND email < ?2 ORDER BY email LIMIT ?3)
					UNION
					SELECT * FROM (SELECT * FROM contacts WHERE domain >= ?1 AND domain < ?2 ORDER BY domain, email LIMIT ?3)
				) ORDER BY email LIMIT ?3`, text(prefix), text(end), num(limit))
		}
		if err != nil {
			return err
		}
		defer rows.close()
		for rows.next() {
			ct, err := scanContact(rows)
			if err != nil {
				return err
			}
			out = append(out, ct)
		}
		return rows.error()
	})
	return out, err
}

// SetContactOwner reassigns a contact.
func (s *Store) SetContactOwner(ctx context.Context, email, owner, team string) (discreet.Contact, error) {
	var ct discreet.Contact
	err := s.write(ctx, "set contact owner", func(ctx context.Context, c *conn) error {
		found, err := c.one(ctx, func(r *stmt) (err error) {
			ct, err = scanContact(r)
			return err
		}, `UPDATE contacts SET owner = ?, team = ? WHERE email = ? RETURNING `+contactColumns, text(owner), text(team), text(email))
		if err == nil && !found {
			err = notFound("contact")
		}
		return err
	})
	return ct, err
}
