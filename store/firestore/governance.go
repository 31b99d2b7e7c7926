package firestore

import (
	"context"
	"errors"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Governance = (*Store)(nil)

// Tombstones live in config/tombstones/tombstones/{hash}; the document
// config/tombstones holds their version, moved in the transaction that
// adds one, so a decision reads one small document to know whether its
// compiled set is current.
const (
	docTombstones = "tombstones"
	colTombstones = "tombstones"
)

type tombstoneDoc struct {
	Hash     string `firestore:"hash"`
	Kind     string `firestore:"kind"`
	ErasedBy string `firestore:"erasedBy"`
	ErasedAt string `firestore:"erasedAt"`
}

type tombstoneVersionDoc struct {
	Version int64 `firestore:"version"`
}

func (s *Store) tombstoneVersionRef() *firestore.DocumentRef {
	return s.c.Collection(colConfig).Doc(docTombstones)
}

func (s *Store) PutTombstone(ctx context.Context, t discreet.Tombstone) (bool, error) {
	id, err := docID("hash", t.Hash)
	if err != nil {
		return false, err
	}
	vref := s.tombstoneVersionRef()
	ref := vref.Collection(colTombstones).Doc(id)
	var added bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		added = false
		if _, err := tx.Get(ref); err == nil {
			return nil // erased before: one tombstone
		} else if status.Code(err) != codes.NotFound {
			return err
		}
		var v tombstoneVersionDoc
		snap, err := tx.Get(vref)
		switch {
		case err == nil:
			if err := snap.DataTo(&v); err != nil {
				return err
			}
		case status.Code(err) != codes.NotFound:
			return err
		}
		added = true
		if err := tx.Create(ref, tombstoneDoc{Hash: t.Hash, Kind: string(t.Kind), ErasedBy: t.ErasedBy, ErasedAt: ts(t.ErasedAt)}); err != nil {
			return err
		}
		if err := tx.Set(vref, tombstoneVersionDoc{Version: v.Version + 1}); err != nil {
			return err
		}
		// The Never Log version document carries it too: decisions read
		// only that one.
		return tx.Set(s.versionRef(), map[string]any{"tombstones": v.Version + 1}, firestore.MergeAll)
	})
	return added, wrap(err, "cannot store the tombstone")
}

// Tombstones reads the version and the list in one read-only transaction.
func (s *Store) Tombstones(ctx context.Context) ([]discreet.Tombstone, int64, error) {
	var out []discreet.Tombstone
	var v tombstoneVersionDoc
	vref := s.tombstoneVersionRef()
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		out, v = nil, tombstoneVersionDoc{}
		snap, err := tx.Get(vref)
		switch {
		case err == nil:
			if err := snap.DataTo(&v); err != nil {
				return err
			}
		case status.Code(err) != codes.NotFound:
			return err
		}
		snaps, err := tx.Documents(vref.Collection(colTombstones).OrderBy("hash", firestore.Asc)).GetAll()
		if err != nil {
			return err
		}
		for _, sn := range snaps {
			var d tombstoneDoc
			if err := sn.DataTo(&d); err != nil {
				return err
			}
			out = append(out, discreet.Tombstone{Hash: d.Hash, Kind: discreet.TombstoneKind(d.Kind), ErasedBy: d.ErasedBy, ErasedAt: parseTS(d.ErasedAt)})
		}
		return nil
	}, firestore.ReadOnly)
	return out, v.Version, wrap(err, "cannot read the tombstones")
}

func (s *Store) TombstoneVersion(ctx context.Context) (int64, error) {
	snap, err := s.tombstoneVersionRef().Get(ctx)
	if status.Code(err) == codes.NotFound {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err, "cannot read the tombstone version")
	}
	var v tombstoneVersionDoc
	if err := snap.DataTo(&v); err != nil {
		return 0, wrap(err, "cannot read the tombstone version")
	}
	return v.Version, nil
}

func (s *Store) ContactAddresses(ctx context.Context, after string, limit int) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q := s.c.Collection(colContacts).OrderBy("email", firestore.Asc).Select("email")
	if after != "" {
		q = q.StartAfter(after)
	}
	snaps, err := q.Limit(limit).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot list contacts")
	}
	out := make([]string, 0, len(snaps))
	for _, sn := range snaps {
		e, _ := sn.DataAt("email")
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// EraseContact deletes the contact document and every document of its
// subcollections (its timeline and anything kept beside it).
func (s *Store) EraseContact(ctx context.Context, email string) error {
	ref, err := s.contactRef(email)
	if err != nil {
		return err
	}
	cols := ref.Collections(ctx)
	for {
		col, err := cols.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return wrap(err, "cannot erase the contact")
		}
		for {
			snaps, err := col.Select().Limit(maxWrites).Documents(ctx).GetAll()
			if err != nil {
				return wrap(err, "cannot erase the contact")
			}
			if len(snaps) == 0 {
				break
			}
			if err := s.deleteRefs(ctx, snaps); err != nil {
				return err
			}
		}
	}
	_, err = ref.Delete(ctx)
	return wrap(err, "cannot erase the contact")
}

func (s *Store) deleteRefs(ctx context.Context, snaps []*firestore.DocumentSnapshot) error {
	bw := s.c.BulkWriter(ctx)
	jobs := make([]*firestore.BulkWriterJob, 0, len(snaps))
	for _, sn := range snaps {
		j, err := bw.Delete(sn.Ref)
		if err != nil {
			bw.End()
			return wrap(err, "cannot delete")
		}
		jobs = append(jobs, j)
	}
	bw.End()
	for _, j := range jobs {
		if _, err := j.Results(); err != nil {
			return wrap(err, "cannot delete")
		}
	}
	return nil
}

func (s *Store) Intents(ctx context.Context, after string, limit int) ([]discreet.Intent, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q := s.c.Collection(colIntents).OrderBy("id", firestore.Asc)
	if after != "" {
		q = q.StartAfter(after)
	}
	snaps, err := q.Limit(limit).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot list intents")
	}
	out := make([]discreet.Intent, 0, len(snaps))
	for _, sn := range snaps {
		var d intentDoc
		if err := sn.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot list intents")
		}
		out = append(out, d.intent())
	}
	return out, nil
}

func (s *Store) DeleteIntents(ctx context.Context, ids []string) error {
	return s.deleteIDs(ctx, colIntents, ids)
}

func (s *Store) DeleteAudit(ctx context.Context, ids []string) error {
	return s.deleteIDs(ctx, colAudit, ids)
}

// deleteIDs deletes documents of col by id, in commits of at most
// maxWrites; deleting an absent document succeeds.
func (s *Store) deleteIDs(ctx context.Context, col string, ids []string) error {
	for start := 0; start < len(ids); start += maxWrites {
		err := s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			for _, id := range ids[start:min(start+maxWrites, len(ids))] {
				did, err := docID("id", id)
				if err != nil {
					return err
				}
				if err := tx.Delete(s.c.Collection(col).Doc(did)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return wrap(err, "cannot delete")
		}
	}
	return nil
}
