package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// matchTermsOf are the index terms m looks up, as SQL arguments.
func matchTermsOf(m store.Match) ([]arg, error) {
	switch {
	case m.Address != "" && m.Domain == "":
		if len(m.Spellings) > 29 {
			return nil, discreet.FieldError("match", "at most 29 spellings")
		}
		terms := []arg{text("a:" + m.Address)}
		for _, sp := range m.Spellings {
			terms = append(terms, text("a:"+sp))
		}
		return terms, nil
	case m.Domain != "" && m.Address == "" && len(m.Spellings) == 0:
		return []arg{text("d:" + m.Domain)}, nil
	}
	return nil, discreet.FieldError("match", "set exactly one of address and domain")
}

// CountMatching counts logged emails with a participant m covers.
func (s *Store) CountMatching(ctx context.Context, m store.Match) (int, error) {
	terms, err := matchTermsOf(m)
	if err != nil {
		return 0, err
	}
	q := "SELECT count(*) FROM email_match WHERE term = ?"
	if len(terms) > 1 {
		// An email indexed under two spellings counts once.
		q = "SELECT count(DISTINCT email_id) FROM email_match WHERE term IN (" + marks(len(terms)) + ")"
	}
	var n int
	err = s.read(ctx, "count matching", func(c *conn) error {
		_, err := c.one(ctx, func(r *stmt) error { n = int(r.int(0)); return nil }, q, terms...)
		return err
	})
	return n, err
}

// PurgeMatching deletes the emails m covers, batch by batch, each batch one
// transaction; an interrupted purge leaves whole emails and resumes. A
// contact left with no email is deleted with its last one.
func (s *Store) PurgeMatching(ctx context.Context, m store.Match, batch int) (store.PurgeReport, error) {
	var rep store.PurgeReport
	terms, err := matchTermsOf(m)
	if err != nil {
		return rep, err
	}
	if batch < 1 {
		return rep, discreet.FieldError("batch", "must be at least 1")
	}
	q := "SELECT DISTINCT email_id FROM email_match WHERE term IN (" + marks(len(terms)) + ") LIMIT ?"
	for {
		var ids []string
		err := s.write(ctx, "purge", func(ctx context.Context, c *conn) error {
			var err error
			ids, err = queryAll(ctx, c, firstText, q, append(terms[:len(terms):len(terms)], num(batch))...)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := deleteEmail(ctx, c, id, true); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		if len(ids) == 0 {
			return rep, nil
		}
		rep.Batches++
		rep.Deleted += len(ids)
		rep.EmailIDs = append(rep.EmailIDs, ids...)
		if len(ids) < batch {
			return rep, nil
		}
	}
}
