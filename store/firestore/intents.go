package firestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

type intentDoc struct {
	ID         string   `firestore:"id"`
	User       string   `firestore:"user"`
	Recipients []string `firestore:"recipients"`
	// RecipientsKey is a hash of the sorted recipients: one equality
	// filter, whatever their number (Firestore indexes 1,500 bytes of a
	// string).
	RecipientsKey string `firestore:"recipientsKey"`
	Subject       string `firestore:"subject"`
	Log           bool   `firestore:"log"`
	Visibility    string `firestore:"visibility"`
	CreatedAt     string `firestore:"createdAt"`
	ExpiresAt     string `firestore:"expiresAt"`
	// ExpireAt is ExpiresAt as a timestamp, for a TTL policy that deletes
	// old intents (see doc.go).
	ExpireAt time.Time `firestore:"expireAt"`
	Consumed bool      `firestore:"consumed"`
}

func (d intentDoc) intent() discreet.Intent {
	return discreet.Intent{
		ID: d.ID, User: d.User, Recipients: d.Recipients, Subject: d.Subject, Log: d.Log,
		Visibility: discreet.Visibility(d.Visibility), CreatedAt: parseTS(d.CreatedAt), ExpiresAt: parseTS(d.ExpiresAt),
	}
}

func recipientsKey(recipients []string) string {
	sum := sha256.Sum256([]byte(strings.Join(recipients, "\n")))
	return hex.EncodeToString(sum[:])
}

func (s *Store) PutIntent(ctx context.Context, in discreet.Intent) error {
	id, err := docID("id", in.ID)
	if err != nil {
		return err
	}
	d := intentDoc{
		ID: in.ID, User: in.User, Recipients: in.Recipients, RecipientsKey: recipientsKey(in.Recipients),
		Subject: in.Subject, Log: in.Log, Visibility: string(in.Visibility),
		CreatedAt: ts(in.CreatedAt), ExpiresAt: ts(in.ExpiresAt), ExpireAt: in.ExpiresAt.UTC(),
	}
	_, err = s.c.Collection(colIntents).Doc(id).Set(ctx, d)
	return wrap(err, "cannot save the compose intent")
}

// ConsumeIntent finds the intent to consume with a query (a handful of
// documents: one per compose window) and marks it consumed with an update
// conditioned on the update time it read: of concurrent consumers exactly
// one update succeeds, and the others look again. This compare-and-set
// holds no locks, unlike a transaction that reads and then writes, where
// concurrent consumers wait on each other's read locks.
func (s *Store) ConsumeIntent(ctx context.Context, user string, recipients []string, subject string, now time.Time) (discreet.Intent, error) {
	q := s.c.Collection(colIntents).
		Where("user", "==", user).
		Where("recipientsKey", "==", recipientsKey(recipients)).
		Where("consumed", "==", false).
		OrderBy("createdAt", firestore.Desc)
	nowKey := ts(now)
	for {
		got, snap, err := pickIntent(ctx, q, subject, nowKey)
		if err != nil {
			return discreet.Intent{}, wrap(err, "cannot read compose intents")
		}
		if snap == nil {
			return discreet.Intent{}, discreet.Errorf(discreet.ENotFound, "there is no open compose intent for these recipients")
		}
		_, err = snap.Ref.Update(ctx, []firestore.Update{{Path: "consumed", Value: true}}, firestore.LastUpdateTime(snap.UpdateTime))
		switch status.Code(err) {
		case codes.OK:
			return got.intent(), nil
		case codes.FailedPrecondition, codes.NotFound:
			continue // another consumer was first
		}
		return discreet.Intent{}, wrap(err, "cannot consume the compose intent")
	}
}

// ReleaseIntent marks a consumed intent unconsumed again.
func (s *Store) ReleaseIntent(ctx context.Context, id string) error {
	_, err := s.c.Collection(colIntents).Doc(id).Update(ctx, []firestore.Update{{Path: "consumed", Value: false}})
	if status.Code(err) == codes.NotFound {
		return discreet.Errorf(discreet.ENotFound, "there is no compose intent %s", id)
	}
	return wrap(err, "cannot release the compose intent")
}

// pickIntent returns the newest unexpired intent of q with subject, or
// else the newest unexpired one; a nil snapshot when there is none.
func pickIntent(ctx context.Context, q firestore.Query, subject, nowKey string) (intentDoc, *firestore.DocumentSnapshot, error) {
	it := q.Documents(ctx)
	defer it.Stop()
	var got intentDoc
	var pick *firestore.DocumentSnapshot
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return got, pick, nil
		}
		if err != nil {
			return got, nil, err
		}
		var d intentDoc
		if err := snap.DataTo(&d); err != nil {
			return got, nil, err
		}
		if d.ExpiresAt <= nowKey {
			continue
		}
		if pick == nil || (d.Subject == subject && got.Subject != subject) {
			got, pick = d, snap
		}
		if d.Subject == subject {
			return got, pick, nil // the newest with this subject
		}
	}
}

type auditDoc struct {
	ID         string            `firestore:"id"`
	At         string            `firestore:"at"`
	SortKey    string            `firestore:"sortKey"`
	Actor      string            `firestore:"actor"`
	Action     string            `firestore:"action"`
	EmailID    string            `firestore:"emailId"`
	EmailOwner string            `firestore:"emailOwner"`
	Target     string            `firestore:"target"`
	Count      int               `firestore:"count"`
	Detail     map[string]string `firestore:"detail"`
}

func (d auditDoc) record() discreet.AuditRecord {
	return discreet.AuditRecord{
		ID: d.ID, At: parseTS(d.At), Actor: d.Actor, Action: d.Action, EmailID: d.EmailID,
		EmailOwner: d.EmailOwner, Target: d.Target, Count: d.Count, Detail: d.Detail,
	}
}

// AppendAudit creates the record; an existing id is a conflict, never an
// overwrite (the log is append-only).
func (s *Store) AppendAudit(ctx context.Context, r discreet.AuditRecord) error {
	id, err := docID("id", r.ID)
	if err != nil {
		return err
	}
	_, err = s.c.Collection(colAudit).Doc(id).Create(ctx, newAuditDoc(r))
	return wrap(err, "cannot append to the audit log")
}

func newAuditDoc(r discreet.AuditRecord) auditDoc {
	return auditDoc{
		ID: r.ID, At: ts(r.At), SortKey: store.SortKey(r.At, r.ID), Actor: r.Actor, Action: r.Action,
		EmailID: r.EmailID, EmailOwner: r.EmailOwner, Target: r.Target, Count: r.Count, Detail: r.Detail,
	}
}

// Audit reads Limit+1 records: the audit log is read by admins now and
// then, so one extra read buys an exact end of the list.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]discreet.AuditRecord, string, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, "", discreet.FieldError("limit", "must be between 1 and 1000")
	}
	scope := store.AuditCursorScope(q.EmailOwner)
	query := s.c.Collection(colAudit).OrderBy("sortKey", firestore.Desc)
	if q.EmailOwner != "" {
		query = query.Where("emailOwner", "==", q.EmailOwner)
	}
	if q.Cursor != "" {
		after, err := store.DecodeCursor(q.Cursor, scope)
		if err != nil {
			return nil, "", err
		}
		query = query.StartAfter(after)
	}
	snaps, err := query.Limit(q.Limit + 1).Documents(ctx).GetAll()
	if err != nil {
		return nil, "", wrap(err, "cannot read the audit log")
	}
	var out []discreet.AuditRecord
	var next, last string
	for i, snap := range snaps {
		if i == q.Limit {
			next = store.EncodeCursor(scope, last)
			break
		}
		var d auditDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, "", wrap(err, "cannot read the audit log")
		}
		out = append(out, d.record())
		last = d.SortKey
	}
	return out, next, nil
}
