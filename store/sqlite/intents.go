package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
)

// recipientsKey is one text for a recipient set; addresses hold no newline.
func recipientsKey(r []string) string { return strings.Join(r, "\n") }

// intentColumns are an intents row but consumed, in intentArgs' order.
const intentColumns = "id, user, recipients, recipient_list, subject, log, visibility, created_at, expires_at"

func intentArgs(in discreet.Intent) [9]arg {
	return [9]arg{text(in.ID), text(in.User), text(recipientsKey(in.Recipients)), listArg(in.Recipients), text(in.Subject),
		flag(in.Log), text(string(in.Visibility)), text(tsKey(in.CreatedAt)), text(tsKey(in.ExpiresAt))}
}

func scanIntent(r *stmt) (discreet.Intent, error) {
	in := discreet.Intent{ID: r.text(0), User: r.text(1), Subject: r.text(4), Log: r.int(5) != 0, Visibility: discreet.Visibility(r.text(6))}
	var err error
	if in.Recipients, err = r.list(3); err != nil {
		return in, err
	}
	if in.CreatedAt, err = parseTSKey(r.text(7)); err != nil {
		return in, err
	}
	in.ExpiresAt, err = parseTSKey(r.text(8))
	return in, err
}

// parseTSKey reads a tsKey back: the instant, in UTC.
func parseTSKey(s string) (time.Time, error) {
	return time.Parse("2006-01-02T15:04:05.000000000Z", s)
}

const insertIntent = "INSERT INTO intents (" + intentColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

// PutIntent stores a compose intent; putting it again keeps it consumed if
// it was.
func (s *Store) PutIntent(ctx context.Context, in discreet.Intent) error {
	if in.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	return s.write(ctx, "put intent", func(ctx context.Context, c *conn) error {
		a := intentArgs(in)
		_, err := c.exec(ctx, insertIntent+` ON CONFLICT (id) DO UPDATE SET user = excluded.user,
			recipients = excluded.recipients, recipient_list = excluded.recipient_list, subject = excluded.subject,
			log = excluded.log, visibility = excluded.visibility, created_at = excluded.created_at,
			expires_at = excluded.expires_at`, a[:]...)
		return err
	})
}

// ConsumeIntent takes the best unexpired, unconsumed intent of user for
// exactly these recipients: one with this subject first, then the newest.
func (s *Store) ConsumeIntent(ctx context.Context, user string, recipients []string, subject string, now time.Time) (discreet.Intent, error) {
	var out discreet.Intent
	err := s.write(ctx, "consume intent", func(ctx context.Context, c *conn) error {
		found, err := c.one(ctx, func(r *stmt) (err error) {
			out, err = scanIntent(r)
			return err
		}, `SELECT `+intentColumns+` FROM intents
			WHERE user = ? AND recipients = ? AND consumed = 0 AND expires_at > ?
			ORDER BY subject = ? DESC, created_at DESC, id DESC LIMIT 1`,
			text(user), text(recipientsKey(recipients)), text(tsKey(now)), text(subject))
		if err != nil {
			return err
		}
		if !found {
			return notFound("intent")
		}
		_, err = c.exec(ctx, "UPDATE intents SET consumed = 1 WHERE id = ?", text(out.ID))
		return err
	})
	return out, err
}

// ReleaseIntent marks a consumed intent unconsumed again.
func (s *Store) ReleaseIntent(ctx context.Context, id string) error {
	return s.write(ctx, "release intent", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, "UPDATE intents SET consumed = 0 WHERE id = ?", text(id))
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("intent")
		}
		return nil
	})
}
