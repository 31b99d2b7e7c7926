package sqlite

import (
	"context"
	"math"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Watches = (*Store)(nil)

// SQLite integers are signed; Gmail history ids stay far below 2^63.
func historyArg(id uint64) (int64, error) {
	if id > math.MaxInt64 {
		return 0, discreet.FieldError("historyId", "is out of range")
	}
	return int64(id), nil
}

// Watch times are tsKey, "" for none.
func parseWatchTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := parseTSKey(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func watchTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return tsKey(t)
}

// WatchState returns the user's capture state.
func (s *Store) WatchState(ctx context.Context, user string) (store.Watch, error) {
	var w store.Watch
	err := s.read(ctx, "watch", func(c *conn) error {
		var err error
		w, err = getWatch(ctx, c, user)
		return err
	})
	return w, err
}

func getWatch(ctx context.Context, c *conn, user string) (store.Watch, error) {
	w := store.Watch{User: user}
	found, err := c.one(ctx, func(r *stmt) error {
		w.HistoryID, w.HistoryAt = uint64(r.int(0)), parseWatchTime(r.text(1))
		w.Expiration, w.RenewedAt = parseWatchTime(r.text(2)), parseWatchTime(r.text(3))
		return nil
	}, `SELECT history_id, history_at, expiration, renewed_at FROM watches WHERE user = ?`, text(user))
	if err == nil && !found {
		err = notFound("watch")
	}
	if err != nil {
		return store.Watch{}, err
	}
	return w, nil
}

// RenewWatch records a watch; it sets the history id only when none is.
func (s *Store) RenewWatch(ctx context.Context, user string, historyID uint64, expiration, now time.Time) (store.Watch, error) {
	if user == "" {
		return store.Watch{}, discreet.FieldError("user", "is required")
	}
	id, err := historyArg(historyID)
	if err != nil {
		return store.Watch{}, err
	}
	var out store.Watch
	err = s.write(ctx, "renew watch", func(ctx context.Context, c *conn) error {
		historyAt := ""
		if id > 0 {
			historyAt = tsKey(now)
		}
		if _, err := c.exec(ctx, `INSERT INTO watches (user, history_id, history_at, expiration, renewed_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user) DO UPDATE SET expiration = excluded.expiration, renewed_at = excluded.renewed_at,
				history_at = CASE WHEN watches.history_id = 0 THEN excluded.history_at ELSE watches.history_at END,
				history_id = CASE WHEN watches.history_id = 0 THEN excluded.history_id ELSE watches.history_id END`,
			text(user), num(id), text(historyAt), text(watchTime(expiration)), text(tsKey(now))); err != nil {
			return err
		}
		w, err := getWatch(ctx, c, user)
		out = w
		return err
	})
	return out, err
}

// AdvanceHistory moves the history id forward only.
func (s *Store) AdvanceHistory(ctx context.Context, user string, historyID uint64, now time.Time) (bool, error) {
	if user == "" {
		return false, discreet.FieldError("user", "is required")
	}
	id, err := historyArg(historyID)
	if err != nil {
		return false, err
	}
	var moved bool
	err = s.write(ctx, "advance history", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, `INSERT INTO watches (user, history_id, history_at) VALUES (?, ?, ?)
			ON CONFLICT (user) DO UPDATE SET history_id = excluded.history_id, history_at = excluded.history_at
			WHERE excluded.history_id > watches.history_id`, text(user), num(id), text(tsKey(now)))
		moved = n > 0
		return err
	})
	return moved, err
}

// ClaimMessage takes a message for capture unless it is done or leased.
func (s *Store) ClaimMessage(ctx context.Context, user, messageID string, now time.Time, lease time.Duration) (store.Claim, error) {
	if user == "" || messageID == "" {
		return 0, discreet.FieldError("messageId", "is required")
	}
	var out store.Claim
	err := s.write(ctx, "claim message", func(ctx context.Context, c *conn) error {
		var done bool
		var until string
		found, err := c.one(ctx, func(r *stmt) error { done, until = r.int(0) != 0, r.text(1); return nil },
			`SELECT done, lease_until FROM captured WHERE user = ? AND message_id = ?`, text(user), text(messageID))
		switch {
		case err != nil:
			return err
		case found && done:
			out = store.ClaimDone
			return nil
		case found && until > tsKey(now):
			out = store.ClaimHeld
			return nil
		}
		out = store.ClaimAcquired
		_, err = c.exec(ctx, `INSERT INTO captured (user, message_id, done, lease_until, updated_at) VALUES (?, ?, 0, ?, ?)
			ON CONFLICT (user, message_id) DO UPDATE SET lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
			text(user), text(messageID), text(tsKey(now.Add(lease))), text(tsKey(now)))
		return err
	})
	return out, err
}

// ReleaseMessage marks a claimed message done, or drops the claim.
func (s *Store) ReleaseMessage(ctx context.Context, user, messageID string, done bool, now time.Time) error {
	return s.write(ctx, "release message", func(ctx context.Context, c *conn) error {
		if !done {
			_, err := c.exec(ctx, `DELETE FROM captured WHERE user = ? AND message_id = ? AND done = 0`, text(user), text(messageID))
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO captured (user, message_id, done, lease_until, updated_at) VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (user, message_id) DO UPDATE SET done = 1, lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
			text(user), text(messageID), text(tsKey(now)), text(tsKey(now)))
		return err
	})
}

// PruneMessages forgets the user's message claims last touched before before.
func (s *Store) PruneMessages(ctx context.Context, user string, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "prune messages", func(ctx context.Context, c *conn) error {
		var err error
		n, err = c.exec(ctx, `DELETE FROM captured WHERE user = ? AND updated_at < ?`, text(user), text(tsKey(before)))
		return err
	})
	return int(n), err
}
