package store

import (
	"context"
	"time"
)

// Watch is the sent-mail capture state of one user's mailbox: how far its
// Gmail history has been captured, and when its users.watch expires.
type Watch struct {
	User string
	// HistoryID is the Gmail history id up to which sent mail is captured;
	// 0 before the first notification or watch. It only moves forward.
	HistoryID uint64
	// HistoryAt is when HistoryID last moved.
	HistoryAt time.Time
	// Expiration is when Gmail stops notifying unless the watch is renewed.
	Expiration time.Time
	// RenewedAt is when the watch was last started or renewed.
	RenewedAt time.Time
}

// Claim is what ClaimMessage found.
type Claim int

const (
	// ClaimAcquired: the caller now holds the message until the lease ends
	// and must ReleaseMessage it.
	ClaimAcquired Claim = iota + 1
	// ClaimDone: the message was captured before; skip it.
	ClaimDone
	// ClaimHeld: another worker holds an unexpired lease; try again later.
	ClaimHeld
)

// Watches is what sent-mail capture stores per mailbox. Notifications for
// one mailbox may arrive twice, out of order and concurrently on several
// instances; these methods make that harmless.
type Watches interface {
	// WatchState returns the user's watch; not_found before any was stored.
	WatchState(ctx context.Context, user string) (Watch, error)
	// RenewWatch records a started or renewed users.watch. It sets
	// HistoryID to historyID only while none is stored: a renewal never
	// skips history that was not captured yet.
	RenewWatch(ctx context.Context, user string, historyID uint64, expiration, now time.Time) (Watch, error)
	// AdvanceHistory moves HistoryID to historyID (HistoryAt to now) if that
	// is forward, creating the watch when needed; it reports whether it
	// moved. An older or equal id changes nothing.
	AdvanceHistory(ctx context.Context, user string, historyID uint64, now time.Time) (bool, error)
	// ClaimMessage takes the Gmail message of user for capture, atomically:
	// acquired when it is new or its previous holder's lease has ended
	// (the lease then lasts until now+lease), done once released as done,
	// held otherwise.
	ClaimMessage(ctx context.Context, user, messageID string, now time.Time, lease time.Duration) (Claim, error)
	// ReleaseMessage ends a claim: done marks the message captured for
	// good; !done drops the claim so the next attempt may take it at once.
	ReleaseMessage(ctx context.Context, user, messageID string, done bool, now time.Time) error
	// PruneMessages forgets the user's message claims last touched before
	// before (Gmail history does not reach back that far), and returns how
	// many it forgot.
	PruneMessages(ctx context.Context, user string, before time.Time) (int, error)
}
