package firestore

import (
	"context"
	"math"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// Sent-mail capture: watches/{user} holds the mailbox's capture state and
// watches/{user}/messages/{gmail id} the claims of single messages.
const (
	colWatches  = "watches"
	colMessages = "messages"
)

var _ store.Watches = (*Store)(nil)

type watchDoc struct {
	User string `firestore:"user"`
	// HistoryID is a Gmail history id; they stay far below 2^63.
	HistoryID  int64  `firestore:"historyId"`
	HistoryAt  string `firestore:"historyAt"`
	Expiration string `firestore:"expiration"`
	RenewedAt  string `firestore:"renewedAt"`
}

func (d watchDoc) watch() store.Watch {
	return store.Watch{User: d.User, HistoryID: uint64(d.HistoryID), HistoryAt: parseTS(d.HistoryAt),
		Expiration: parseTS(d.Expiration), RenewedAt: parseTS(d.RenewedAt)}
}

type claimDoc struct {
	MessageID  string `firestore:"messageId"`
	Done       bool   `firestore:"done"`
	LeaseUntil string `firestore:"leaseUntil"`
	UpdatedAt  string `firestore:"updatedAt"`
}

func historyArg(id uint64) (int64, error) {
	if id > math.MaxInt64 {
		return 0, discreet.FieldError("historyId", "is out of range")
	}
	return int64(id), nil
}

func tsOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

func (s *Store) watchRef(user string) (*firestore.DocumentRef, error) {
	id, err := docID("user", user)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colWatches).Doc(id), nil
}

func (s *Store) claimRef(user, messageID string) (*firestore.DocumentRef, error) {
	w, err := s.watchRef(user)
	if err != nil {
		return nil, err
	}
	id, err := docID("messageId", messageID)
	if err != nil {
		return nil, err
	}
	return w.Collection(colMessages).Doc(id), nil
}

// WatchState returns the user's capture state.
func (s *Store) WatchState(ctx context.Context, user string) (store.Watch, error) {
	ref, err := s.watchRef(user)
	if err != nil {
		return store.Watch{}, err
	}
	d, err := getDoc[watchDoc](ctx, ref, "Gmail watch")
	if err != nil {
		return store.Watch{}, err
	}
	return d.watch(), nil
}

// readWatch reads the watch in tx; a missing one is the zero doc.
func readWatch(tx *firestore.Transaction, ref *firestore.DocumentRef, user string) (watchDoc, error) {
	d := watchDoc{User: user}
	snap, err := tx.Get(ref)
	if isNotFound(err) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	err = snap.DataTo(&d)
	return d, err
}

// RenewWatch records a watch; it sets the history id only when none is.
func (s *Store) RenewWatch(ctx context.Context, user string, historyID uint64, expiration, now time.Time) (store.Watch, error) {
	id, err := historyArg(historyID)
	if err != nil {
		return store.Watch{}, err
	}
	ref, err := s.watchRef(user)
	if err != nil {
		return store.Watch{}, err
	}
	var out watchDoc
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := readWatch(tx, ref, user)
		if err != nil {
			return err
		}
		if d.HistoryID == 0 && id > 0 {
			d.HistoryID, d.HistoryAt = id, ts(now)
		}
		d.Expiration, d.RenewedAt = tsOrEmpty(expiration), ts(now)
		out = d
		return tx.Set(ref, d)
	})
	if err != nil {
		return store.Watch{}, wrap(err, "cannot save the Gmail watch")
	}
	return out.watch(), nil
}

// AdvanceHistory moves the history id forward only, in a transaction, so
// concurrent notifications never move it back.
func (s *Store) AdvanceHistory(ctx context.Context, user string, historyID uint64, now time.Time) (bool, error) {
	id, err := historyArg(historyID)
	if err != nil {
		return false, err
	}
	ref, err := s.watchRef(user)
	if err != nil {
		return false, err
	}
	var moved bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		moved = false
		d, err := readWatch(tx, ref, user)
		if err != nil {
			return err
		}
		if id <= d.HistoryID {
			return nil
		}
		moved = true
		d.HistoryID, d.HistoryAt = id, ts(now)
		return tx.Set(ref, d)
	})
	if err != nil {
		return false, wrap(err, "cannot save the Gmail history id")
	}
	return moved, nil
}

// ClaimMessage takes a message for capture unless it is done or leased.
func (s *Store) ClaimMessage(ctx context.Context, user, messageID string, now time.Time, lease time.Duration) (store.Claim, error) {
	ref, err := s.claimRef(user, messageID)
	if err != nil {
		return 0, err
	}
	var out store.Claim
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		switch {
		case err == nil:
			var d claimDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			if d.Done {
				out = store.ClaimDone
				return nil
			}
			if d.LeaseUntil > ts(now) {
				out = store.ClaimHeld
				return nil
			}
		case !isNotFound(err):
			return err
		}
		out = store.ClaimAcquired
		return tx.Set(ref, claimDoc{MessageID: messageID, LeaseUntil: ts(now.Add(lease)), UpdatedAt: ts(now)})
	})
	if err != nil {
		return 0, wrap(err, "cannot claim the Gmail message")
	}
	return out, nil
}

// ReleaseMessage marks a claimed message done, or drops the claim.
func (s *Store) ReleaseMessage(ctx context.Context, user, messageID string, done bool, now time.Time) error {
	ref, err := s.claimRef(user, messageID)
	if err != nil {
		return err
	}
	if done {
		_, err = ref.Set(ctx, claimDoc{MessageID: messageID, Done: true, LeaseUntil: ts(now), UpdatedAt: ts(now)})
		return wrap(err, "cannot release the Gmail message")
	}
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		var d claimDoc
		if err := snap.DataTo(&d); err != nil {
			return err
		}
		if d.Done {
			return nil
		}
		return tx.Delete(ref)
	})
	return wrap(err, "cannot release the Gmail message")
}

// PruneMessages forgets the user's message claims last touched before
// before, in batches.
func (s *Store) PruneMessages(ctx context.Context, user string, before time.Time) (int, error) {
	ref, err := s.watchRef(user)
	if err != nil {
		return 0, err
	}
	q := ref.Collection(colMessages).Where("updatedAt", "<", ts(before)).Limit(maxWrites)
	total := 0
	for {
		snaps, err := q.Documents(ctx).GetAll()
		if err != nil {
			return total, wrap(err, "cannot prune captured Gmail messages")
		}
		if len(snaps) == 0 {
			return total, nil
		}
		err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			for _, snap := range snaps {
				if err := tx.Delete(snap.Ref); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, wrap(err, "cannot prune captured Gmail messages")
		}
		total += len(snaps)
	}
}
