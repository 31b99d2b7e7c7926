package sqlite

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// sortKeyDate recovers an entry's date from its sort key.
func sortKeyDate(sk string) time.Time {
	d, _, _ := strings.Cut(sk, "|")
	t, _ := time.Parse("20060102T150405.000000000Z", d)
	return t
}

// afterAll sorts after every sort key (they start with a digit).
const afterAll = "~"

// Timeline returns one page of a contact's timeline, newest first.
func (s *Store) Timeline(ctx context.Context, q store.TimelineQuery) (store.TimelinePage, error) {
	if q.Contact == "" {
		return store.TimelinePage{}, discreet.FieldError("contact", "is required")
	}
	if q.Limit < 1 || q.Limit > 100 {
		return store.TimelinePage{}, discreet.FieldError("limit", "must be between 1 and 100")
	}
	before := afterAll
	if q.Cursor != "" {
		k, err := store.DecodeCursor(q.Cursor, store.TimelineCursorScope(q.Contact))
		if err != nil {
			return store.TimelinePage{}, err
		}
		before = k
	}
	keys := unique(q.Keys)
	var page store.TimelinePage
	err := s.snapshot(ctx, "timeline", func(c *conn) error {
		var err error
		var lastKey string
		var more bool
		if q.All {
			page.Entries, lastKey, more, err = timelineAll(ctx, c, q.Contact, keys, before, q.Limit)
		} else {
			page.Entries, lastKey, more, err = timelineVisible(ctx, c, q.Contact, keys, before, q.Limit)
		}
		if err != nil {
			return err
		}
		if more {
			page.Next = store.EncodeCursor(store.TimelineCursorScope(q.Contact), lastKey)
		}
		if q.CountHidden {
			page.Hidden, err = countHidden(ctx, c, q.Contact, keys)
		}
		return err
	})
	if err != nil {
		return store.TimelinePage{}, err
	}
	return page, nil
}

// timelineVisible reads the newest limit visible entries before a sort key:
// for each of the viewer's keys the newest limit+1 audience rows (an index
// range walked backwards), merged, then joined to their timeline rows and
// emails. It costs O(keys × limit) whatever share of the timeline the
// viewer may read.
func timelineVisible(ctx context.Context, c *conn, contact string, keys []string, before string, limit int) ([]store.TimelineEntry, string, bool, error) {
	if len(keys) == 0 {
		return nil, "", false, nil
	}
	var b strings.Builder
	args := make([]arg, 0, 3+len(keys))
	args = append(args, text(contact), text(before), num(limit+1))
	if policy.SeesEveryEmail(keys) {
		// Every entry carries that key, and it has no audience rows
		// (addAudience): the timeline's own range is the answer.
		b.WriteString("SELECT sort_key FROM timeline WHERE contact = ?1 AND sort_key < ?2 ORDER BY sort_key DESC LIMIT ?3")
		keys = nil
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" UNION ")
		}
		b.WriteString("SELECT sort_key FROM (SELECT sort_key FROM audience WHERE contact = ?1 AND key = ?")
		b.WriteString(strconv.Itoa(len(args) + 1))
		b.WriteString(" AND sort_key < ?2 ORDER BY sort_key DESC LIMIT ?3)")
		args = append(args, text(k))
	}
	rows, err := c.query(ctx, `SELECT t.sort_key, t.owner, e.`+strings.ReplaceAll(emailSummaryColumns+", shares", ", ", ", e.")+`
		FROM (`+b.String()+`) v CROSS JOIN timeline t ON t.contact = ?1 AND t.sort_key = v.sort_key
		CROSS JOIN emails e ON e.id = t.email_id
		ORDER BY t.sort_key DESC LIMIT ?3`, args...)
	if err != nil {
		return nil, "", false, err
	}
	defer rows.close()
	return pageOf(rows, limit, func(sk string) (store.TimelineEntry, error) {
		e, err := scanEmailSummary(rows, 2)
		if err != nil {
			return store.TimelineEntry{}, err
		}
		if e.Shares, err = scanShares(rows, 2+emailSummaryCount); err != nil {
			return store.TimelineEntry{}, err
		}
		return store.TimelineEntry{EmailID: e.ID, Date: sortKeyDate(sk), Owner: rows.text(1), Visible: true, Email: &e}, nil
	})
}

// timelineAll reads every entry, marking those the viewer's keys admit.
func timelineAll(ctx context.Context, c *conn, contact string, keys []string, before string, limit int) ([]store.TimelineEntry, string, bool, error) {
	every := policy.SeesEveryEmail(keys) // as timelineVisible reads it
	rows, err := c.query(ctx, `SELECT t.sort_key, t.email_id, t.owner, t.keys, e.`+strings.ReplaceAll(emailSummaryColumns+", shares", ", ", ", e.")+`
		FROM timeline t CROSS JOIN emails e ON e.id = t.email_id
		WHERE t.contact = ? AND t.sort_key < ? ORDER BY t.sort_key DESC LIMIT ?`, text(contact), text(before), num(limit+1))
	if err != nil {
		return nil, "", false, err
	}
	defer rows.close()
	return pageOf(rows, limit, func(sk string) (store.TimelineEntry, error) {
		emailKeys, err := rows.list(3)
		if err != nil {
			return store.TimelineEntry{}, err
		}
		entry := store.TimelineEntry{EmailID: rows.text(1), Date: sortKeyDate(sk), Owner: rows.text(2)}
		if every || policy.SharesKey(emailKeys, keys) {
			e, err := scanEmailSummary(rows, 4)
			if err != nil {
				return store.TimelineEntry{}, err
			}
			if e.Shares, err = scanShares(rows, 4+emailSummaryCount); err != nil {
				return store.TimelineEntry{}, err
			}
			entry.Visible, entry.Email = true, &e
		}
		return entry, nil
	})
}

// pageOf reads a page of at most limit entries from rows (newest first,
// the sort key in column 0), each made by entry, with the last entry's
// sort key and whether a row beyond the page exists.
func pageOf(rows *stmt, limit int, entry func(sk string) (store.TimelineEntry, error)) ([]store.TimelineEntry, string, bool, error) {
	var out []store.TimelineEntry
	var lastKey string
	for rows.next() {
		if len(out) == limit {
			return out, lastKey, true, rows.error()
		}
		sk := rows.text(0)
		en, err := entry(sk)
		if err != nil {
			return nil, "", false, err
		}
		out = append(out, en)
		lastKey = sk
	}
	return out, lastKey, false, rows.error()
}

// countHidden is the contact's total minus the entries keys admit. A
// viewer holding the key every email carries has none hidden. Otherwise the
// largest key set is taken from audience_count; only entries of the other
// keys that lack that key are scanned, so a viewer's cost is bounded by
// their smaller key sets.
func countHidden(ctx context.Context, c *conn, contact string, keys []string) (int, error) {
	if policy.SeesEveryEmail(keys) {
		return 0, nil // every entry carries that key
	}
	var total int
	found, err := c.one(ctx, func(r *stmt) error { total = int(r.int(0)); return nil },
		"SELECT total FROM contacts WHERE email = ?", text(contact))
	if err != nil || !found || len(keys) == 0 {
		return total, err
	}
	args := make([]arg, 0, 1+len(keys))
	args = append(args, text(contact))
	for _, k := range keys {
		args = append(args, text(k))
	}
	rows, err := c.query(ctx, `SELECT key, n FROM audience_count
		WHERE contact = ? AND n > 0 AND key IN (`+marks(len(keys))+`)`, args...)
	if err != nil {
		return 0, err
	}
	largest, most := "", 0
	var others []arg
	for rows.next() {
		k, n := rows.text(0), int(rows.int(1))
		if n > most {
			if largest != "" {
				others = append(others, text(largest))
			}
			largest, most = k, n
		} else {
			others = append(others, text(k))
		}
	}
	err = rows.error()
	rows.close()
	if err != nil {
		return 0, err
	}
	if len(others) == 0 || most == total {
		return total - most, nil
	}
	var rest int
	found, err = c.one(ctx, func(r *stmt) error { rest = int(r.int(0)); return nil },
		`SELECT count(DISTINCT a.sort_key) FROM audience a
		WHERE a.contact = ?1 AND a.key IN (`+numberedMarks(3, len(others))+`)
		AND NOT EXISTS (SELECT 1 FROM audience b WHERE b.contact = ?1 AND b.key = ?2 AND b.sort_key = a.sort_key)`,
		append([]arg{text(contact), text(largest)}, others...)...)
	if err == nil && !found {
		err = errors.New("count returned no row")
	}
	return total - most - rest, err
}

// numberedMarks is n SQL placeholders numbered from first: a plain "?"
// after "?1" would take the number after the largest seen so far.
func numberedMarks(first, n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = "?" + strconv.Itoa(first+i)
	}
	return strings.Join(m, ", ")
}

// marks is n SQL placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
