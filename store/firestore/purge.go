package firestore

import (
	"context"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// matchQuery selects the emails m covers: one array-contains filter on
// the address or domain terms every email carries (single-field array
// indexes, which Firestore keeps automatically).
func (s *Store) matchQuery(m store.Match) (firestore.Query, error) {
	switch {
	case m.Address != "" && m.Domain == "" && len(m.Spellings) == 0:
		return s.c.Collection(colEmails).Where("matchAddresses", "array-contains", m.Address), nil
	case m.Address != "" && m.Domain == "":
		if len(m.Spellings) > 29 {
			return firestore.Query{}, discreet.FieldError("match", "at most 29 spellings")
		}
		// array-contains-any returns each email once, whichever spellings
		// it holds.
		return s.c.Collection(colEmails).Where("matchAddresses", "array-contains-any", append([]string{m.Address}, m.Spellings...)), nil
	case m.Domain != "" && m.Address == "" && len(m.Spellings) == 0:
		return s.c.Collection(colEmails).Where("matchDomains", "array-contains", m.Domain), nil
	}
	return firestore.Query{}, discreet.FieldError("match", "set exactly one of address and domain")
}

// CountMatching is one COUNT aggregation: it reads index entries, not the
// emails.
func (s *Store) CountMatching(ctx context.Context, m store.Match) (int, error) {
	q, err := s.matchQuery(m)
	if err != nil {
		return 0, err
	}
	n, err := countQuery(ctx, q)
	if err != nil {
		return 0, wrap(err, "cannot count the matching emails")
	}
	return int(n), nil
}

// PurgeMatching deletes the covered emails one transaction per batch: the
// transaction queries the first batch still matching, reads their contacts,
// and deletes the emails with their timeline entries and counts, and each
// contact they leave with no email. Deleted emails no longer match, so an
// interrupted purge resumes by running again. A batch whose writes would
// pass Firestore's per-commit limit deletes what fits; the rest go in the
// next one.
func (s *Store) PurgeMatching(ctx context.Context, m store.Match, batch int) (store.PurgeReport, error) {
	var rep store.PurgeReport
	q, err := s.matchQuery(m)
	if err != nil {
		return rep, err
	}
	if batch < 1 {
		return rep, discreet.FieldError("batch", "must be at least 1")
	}
	q = q.Limit(batch)
	for {
		var deleted []string
		err := s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			deleted = nil
			var docs []emailDoc
			it := tx.Documents(q)
			defer it.Stop()
			for {
				snap, err := it.Next()
				if err == iterator.Done {
					break
				}
				if err != nil {
					return err
				}
				var d emailDoc
				if err := snap.DataTo(&d); err != nil {
					return err
				}
				if len(docs) > 0 && deleteWrites(append(docs, d)) > maxWrites {
					break
				}
				docs = append(docs, d)
			}
			if len(docs) == 0 {
				return nil
			}
			drop, err := s.emptied(tx, docs)
			if err != nil {
				return err
			}
			for _, d := range docs {
				deleted = append(deleted, d.ID)
			}
			return s.deleteEmails(tx, docs, drop)
		})
		if err != nil {
			return rep, wrap(err, "cannot purge the matching emails")
		}
		if len(deleted) == 0 {
			return rep, nil
		}
		rep.Batches++
		rep.Deleted += len(deleted)
		rep.EmailIDs = append(rep.EmailIDs, deleted...)
	}
}
