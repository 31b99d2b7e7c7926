package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

func matchTerm(m store.Match) (string, error) {
	switch {
	case m.Address != "" && m.Domain == "":
		return "a:" + m.Address, nil
	case m.Domain != "" && m.Address == "":
		return "d:" + m.Domain, nil
	}
	return "", discreet.FieldError("match", "set exactly one of address and domain")
}

// CountMatching counts logged emails with a participant m covers.
func (s *Store) CountMatching(ctx context.Context, m store.Match) (int, error) {
	term, err := matchTerm(m)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.read(ctx, "count matching", func(c *conn) error {
		_, err := c.one(ctx, func(r *stmt) error { n = int(r.int(0)); return nil },
			"SELECT count(*) FROM email_match WHERE term = ?", text(term))
		return err
	})
	return n, err
}

// PurgeMatching deletes the emails m covers, batch by batch, each batch one
// transaction; an interrupted purge leaves whole emails and resumes.
func (s *Store) PurgeMatching(ctx context.Context, m store.Match, batch int) (store.PurgeReport, error) {
	var rep store.PurgeReport
	term, err := matchTerm(m)
	if err != nil {
		return rep, err
	}
	if batch < 1 {
		return rep, discreet.FieldError("batch", "must be at least 1")
	}
	for {
		var ids []string
		err := s.write(ctx, "purge", func(ctx context.Context, c *conn) error {
			ids = ids[:0]
			rows, err := c.query(ctx, "SELECT email_id FROM email_match WHERE term = ? LIMIT ?", text(term), num(batch))
			if err != nil {
				return err
			}
			for rows.next() {
				ids = append(ids, rows.text(0))
			}
			err = rows.error()
			rows.close()
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := deleteEmail(ctx, c, id); err != nil {
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
