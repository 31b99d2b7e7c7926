package sqlite

import (
	"context"
	"database/sql"
	"errors"
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

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02T15:04:05.000000000Z", s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func timeArg(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return tsKey(t)
}

// WatchState returns the user's capture state.
func (s *Store) WatchState(ctx context.Context, user string) (store.Watch, error) {
	return s.watch(ctx, s.r, user)
}

func (s *Store) watch(ctx context.Context, q queryer, user string) (store.Watch, error) {
	var id int64
	var historyAt, expiration, renewedAt string
	err := q.QueryRowContext(ctx, `SELECT history_id, history_at, expiration, renewed_at FROM watches WHERE user = ?`, user).
		Scan(&id, &historyAt, &expiration, &renewedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Watch{}, notFound("watch")
	}
	if err != nil {
		return store.Watch{}, s.fail(ctx, err, "watch")
	}
	return store.Watch{User: user, HistoryID: uint64(id), HistoryAt: parseTime(historyAt),
		Expiration: parseTime(expiration), RenewedAt: parseTime(renewedAt)}, nil
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
	err = s.write(ctx, "renew watch", func(ctx context.Context, tx *sql.Tx) error {
		historyAt := ""
		if id > 0 {
			historyAt = tsKey(now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO watches (user, history_id, history_at, expiration, renewed_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user) DO UPDATE SET expiration = excluded.expiration, renewed_at = excluded.renewed_at,
				history_at = CASE WHEN watches.history_id = 0 THEN excluded.history_at ELSE watches.history_at END,
				history_id = CASE WHEN watches.history_id = 0 THEN excluded.history_id ELSE watches.history_id END`,
			user, id, historyAt, timeArg(expiration), tsKey(now)); err != nil {
			return err
		}
		w, err := s.watch(ctx, tx, user)
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
	err = s.write(ctx, "advance history", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO watches (user, history_id, history_at) VALUES (?, ?, ?)
			ON CONFLICT (user) DO UPDATE SET history_id = excluded.history_id, history_at = excluded.history_at
			WHERE excluded.history_id > watches.history_id`, user, id, tsKey(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
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
	err := s.write(ctx, "claim message", func(ctx context.Context, tx *sql.Tx) error {
		var done bool
		var until string
		err := tx.QueryRowContext(ctx, `SELECT done, lease_until FROM captured WHERE user = ? AND message_id = ?`,
			user, messageID).Scan(&done, &until)
		switch {
		case err == nil && done:
			out = store.ClaimDone
			return nil
		case err == nil && until > tsKey(now):
			out = store.ClaimHeld
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		out = store.ClaimAcquired
		_, err = tx.ExecContext(ctx, `INSERT INTO captured (user, message_id, done, lease_until, updated_at) VALUES (?, ?, 0, ?, ?)
			ON CONFLICT (user, message_id) DO UPDATE SET lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
			user, messageID, tsKey(now.Add(lease)), tsKey(now))
		return err
	})
	return out, err
}

// ReleaseMessage marks a claimed message done, or drops the claim.
func (s *Store) ReleaseMessage(ctx context.Context, user, messageID string, done bool, now time.Time) error {
	return s.write(ctx, "release message", func(ctx context.Context, tx *sql.Tx) error {
		if !done {
			_, err := tx.ExecContext(ctx, `DELETE FROM captured WHERE user = ? AND message_id = ? AND done = 0`, user, messageID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO captured (user, message_id, done, lease_until, updated_at) VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (user, message_id) DO UPDATE SET done = 1, lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
			user, messageID, tsKey(now), tsKey(now))
		return err
	})
}

// PruneMessages forgets the user's message claims last touched before before.
func (s *Store) PruneMessages(ctx context.Context, user string, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "prune messages", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM captured WHERE user = ? AND updated_at < ?`, user, tsKey(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
