package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, email string) (discreet.Contact, error) {
	row := s.r.QueryRowContext(ctx, "SELECT email, name, owner, team, created_at FROM contacts WHERE email = ?", email)
	c, err := scanContact(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("contact")
	}
	if err != nil {
		return c, s.fail(ctx, err, "contact")
	}
	return c, nil
}

func scanContact(row interface{ Scan(...any) error }) (discreet.Contact, error) {
	var c discreet.Contact
	var at string
	if err := row.Scan(&c.Email, &c.Name, &c.Owner, &c.Team, &at); err != nil {
		return discreet.Contact{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	c.CreatedAt = t
	return c, err
}

// prefixEnd is the smallest string greater than every string with prefix
// p, or "" when there is none; [p, prefixEnd(p)) is an index range.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// SearchContacts lists contacts whose address or domain starts with prefix.
func (s *Store) SearchContacts(ctx context.Context, prefix string, limit int) ([]discreet.Contact, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	var rows *sql.Rows
	var err error
	if end := prefixEnd(prefix); prefix == "" || end == "" {
		rows, err = s.r.QueryContext(ctx, `SELECT email, name, owner, team, created_at FROM contacts
			WHERE email >= ? ORDER BY email LIMIT ?`, prefix, limit)
	} else {
		// Each arm walks its own index; the union is small (2 × limit).
		rows, err = s.r.QueryContext(ctx, `SELECT email, name, owner, team, created_at FROM (
				SELECT * FROM (SELECT * FROM contacts WHERE email >= ?1 AND email < ?2 ORDER BY email LIMIT ?3)
				UNION
				SELECT * FROM (SELECT * FROM contacts WHERE domain >= ?1 AND domain < ?2 ORDER BY domain, email LIMIT ?3)
			) ORDER BY email LIMIT ?3`, prefix, end, limit)
	}
	if err != nil {
		return nil, s.fail(ctx, err, "search contacts")
	}
	defer rows.Close()
	var out []discreet.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, s.fail(ctx, err, "search contacts")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "search contacts")
	}
	return out, nil
}

// SetContactOwner reassigns a contact.
func (s *Store) SetContactOwner(ctx context.Context, email, owner, team string) (discreet.Contact, error) {
	var c discreet.Contact
	err := s.write(ctx, "set contact owner", func(ctx context.Context, tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE contacts SET owner = ?, team = ? WHERE email = ?
			RETURNING email, name, owner, team, created_at`, owner, team, email)
		var err error
		c, err = scanContact(row)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("contact")
		}
		return err
	})
	return c, err
}

// emailRecord is how an email is stored: all of it, participants included
// (discreet.Email leaves them out of its JSON).
type emailRecord struct {
	discreet.Email
	Participants []string `json:"participants,omitempty"`
	Lenient      []string `json:"lenient,omitempty"`
}

func encodeEmail(e discreet.Email) (string, error) {
	b, err := json.Marshal(emailRecord{Email: e, Participants: e.Participants, Lenient: e.Lenient})
	return string(b), err
}

func decodeEmail(data string) (discreet.Email, error) {
	var r emailRecord
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return discreet.Email{}, err
	}
	r.Email.Participants, r.Email.Lenient = r.Participants, r.Lenient
	return r.Email, nil
}

// summary is what a timeline row carries: the email without its body.
func summary(e discreet.Email) (string, error) {
	e.Body = ""
	e.Participants, e.Lenient = nil, nil
	b, err := json.Marshal(e)
	return string(b), err
}

func unique(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// matchTerms index an email for CountMatching and PurgeMatching: exactly
// policy.EmailIndexKeys, addresses as "a:" terms and domains as "d:" terms.
// Rows written before lenient keys existed hold the same terms for the same
// fields, so they are found as before.
func matchTerms(e discreet.Email) []string {
	k := policy.EmailIndexKeys(e)
	terms := make([]string, 0, len(k.Addresses)+len(k.Domains))
	for _, a := range k.Addresses {
		terms = append(terms, "a:"+a)
	}
	for _, d := range k.Domains {
		terms = append(terms, "d:"+d)
	}
	return terms
}

// logStmts are the statements of LogEmail, prepared once per transaction so
// a bulk load pays for parsing once.
type logStmts struct {
	email, contact, timeline, audience, count, match *sql.Stmt
}

func prepareLog(ctx context.Context, tx *sql.Tx) (*logStmts, error) {
	var st logStmts
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var p *sql.Stmt
		p, err = tx.PrepareContext(ctx, q)
		return p
	}
	st.email = prep("INSERT INTO emails (id, sort_key, data) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
	st.contact = prep(`INSERT INTO contacts (email, domain, name, owner, team, created_at, total) VALUES (?, ?, '', ?, ?, ?, 1)
		ON CONFLICT (email) DO UPDATE SET total = total + 1`)
	st.timeline = prep("INSERT INTO timeline (contact, sort_key, email_id, owner, keys, summary) VALUES (?, ?, ?, ?, ?, ?)")
	st.audience = prep("INSERT INTO audience (contact, key, sort_key, email_id) VALUES (?, ?, ?, ?)")
	st.count = prep(countUp)
	st.match = prep("INSERT INTO email_match (term, email_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
	if err != nil {
		st.close()
		return nil, err
	}
	return &st, nil
}

func (st *logStmts) close() {
	for _, p := range []*sql.Stmt{st.email, st.contact, st.timeline, st.audience, st.count, st.match} {
		if p != nil {
			p.Close()
		}
	}
}

func validateEmail(e discreet.Email) error {
	if e.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	if !e.Visibility.Valid() {
		return discreet.FieldError("visibility", "must be private, team or public")
	}
	return nil
}

// logOne stores e in tx unless its id exists, with audience keys audience
// (the service's, required), and returns the stored email and whether it
// was created.
func logOne(ctx context.Context, tx *sql.Tx, st *logStmts, e discreet.Email, audience []string) (discreet.Email, bool, error) {
	data, err := encodeEmail(e)
	if err != nil {
		return e, false, err
	}
	sk := store.SortKey(e.Date, e.ID)
	res, err := st.email.ExecContext(ctx, e.ID, sk, data)
	if err != nil {
		return e, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			e, err = getEmail(ctx, tx, e.ID)
		}
		return e, false, err
	}
	if err := store.CheckAudience(audience); err != nil {
		return e, false, err
	}
	keys := unique(audience)
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return e, false, err
	}
	sum, err := summary(e)
	if err != nil {
		return e, false, err
	}
	for _, c := range unique(e.Contacts) {
		if _, err := st.contact.ExecContext(ctx, c, policy.DomainOf(c), e.Owner, e.Team, e.LoggedAt.UTC().Format(time.RFC3339Nano)); err != nil {
			return e, false, err
		}
		if _, err := st.timeline.ExecContext(ctx, c, sk, e.ID, e.Owner, string(keysJSON), sum); err != nil {
			return e, false, err
		}
		for _, k := range keys {
			if _, err := st.audience.ExecContext(ctx, c, k, sk, e.ID); err != nil {
				return e, false, err
			}
			if _, err := st.count.ExecContext(ctx, c, k); err != nil {
				return e, false, err
			}
		}
	}
	for _, t := range matchTerms(e) {
		if _, err := st.match.ExecContext(ctx, t, e.ID); err != nil {
			return e, false, err
		}
	}
	stored, err := decodeEmail(data)
	return stored, true, err
}

// LogEmail stores w.Email unless an email with its id exists, and w.Audit
// with it in the same transaction.
func (s *Store) LogEmail(ctx context.Context, w store.EmailWrite) (discreet.Email, bool, error) {
	e := w.Email
	if err := validateEmail(e); err != nil {
		return discreet.Email{}, false, err
	}
	if w.Audit != nil && w.Audit.ID == "" {
		return discreet.Email{}, false, discreet.FieldError("audit.id", "is required")
	}
	e.Body = store.TruncateBody(e.Body, store.MaxBodyBytes) // as Firestore must
	var stored discreet.Email
	var created bool
	err := s.write(ctx, "log email", func(ctx context.Context, tx *sql.Tx) error {
		st, err := prepareLog(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		stored, created, err = logOne(ctx, tx, st, e, w.Audience)
		if err != nil || !created || w.Audit == nil {
			return err
		}
		return insertAudit(ctx, tx, *w.Audit)
	})
	if err != nil {
		return discreet.Email{}, false, err
	}
	return stored, created, nil
}

// logBatch logs many emails in one transaction; benchmarks use it to build
// large timelines quickly.
func (s *Store) logBatch(ctx context.Context, emails []discreet.Email) error {
	for _, e := range emails {
		if err := validateEmail(e); err != nil {
			return err
		}
	}
	return s.write(ctx, "log emails", func(ctx context.Context, tx *sql.Tx) error {
		st, err := prepareLog(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		for _, e := range emails {
			if _, _, err := logOne(ctx, tx, st, e, policy.EmailAudience(e)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Email returns one logged email, body included.
func (s *Store) Email(ctx context.Context, id string) (discreet.Email, error) {
	e, err := getEmail(ctx, s.r, id)
	if err != nil {
		return e, s.fail(ctx, err, "email")
	}
	return e, nil
}

func getEmail(ctx context.Context, q queryer, id string) (discreet.Email, error) {
	var data string
	err := q.QueryRowContext(ctx, "SELECT data FROM emails WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.Email{}, notFound("email")
	}
	if err != nil {
		return discreet.Email{}, err
	}
	return decodeEmail(data)
}

// SetVisibility changes an email's visibility and audience keys.
func (s *Store) SetVisibility(ctx context.Context, id string, v discreet.Visibility, audience store.Audience) (discreet.Email, error) {
	if !v.Valid() {
		return discreet.Email{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	if audience == nil {
		return discreet.Email{}, store.CheckAudience(nil)
	}
	var out discreet.Email
	err := s.write(ctx, "set visibility", func(ctx context.Context, tx *sql.Tx) error {
		e, err := getEmail(ctx, tx, id)
		if err != nil {
			return err
		}
		e.Visibility = v
		data, err := encodeEmail(e)
		if err != nil {
			return err
		}
		sum, err := summary(e)
		if err != nil {
			return err
		}
		keys := unique(audience(e))
		if err := store.CheckAudience(keys); err != nil {
			return err
		}
		keysJSON, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		sk := store.SortKey(e.Date, e.ID)
		for _, c := range unique(e.Contacts) {
			if err := deleteAudience(ctx, tx, c, sk); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE timeline SET keys = ?, summary = ? WHERE contact = ? AND sort_key = ?",
				string(keysJSON), sum, c, sk); err != nil {
				return err
			}
			for _, k := range keys {
				if _, err := tx.ExecContext(ctx, "INSERT INTO audience (contact, key, sort_key, email_id) VALUES (?, ?, ?, ?)",
					c, k, sk, e.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, countUp, c, k); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE emails SET data = ? WHERE id = ?", data, id); err != nil {
			return err
		}
		out, err = decodeEmail(data)
		return err
	})
	return out, err
}

// deleteAudience removes the audience rows of one timeline entry, found by
// the keys its timeline row records.
func deleteAudience(ctx context.Context, tx *sql.Tx, contact, sk string) error {
	var keysJSON string
	err := tx.QueryRowContext(ctx, "SELECT keys FROM timeline WHERE contact = ? AND sort_key = ?", contact, sk).Scan(&keysJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var keys []string
	if err := json.Unmarshal([]byte(keysJSON), &keys); err != nil {
		return err
	}
	for _, k := range keys {
		res, err := tx.ExecContext(ctx, "DELETE FROM audience WHERE contact = ? AND key = ? AND sort_key = ?", contact, k, sk)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE audience_count SET n = n - 1 WHERE contact = ? AND key = ?", contact, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteEmail removes an email from the store and every timeline.
func (s *Store) DeleteEmail(ctx context.Context, id string) error {
	return s.write(ctx, "delete email", func(ctx context.Context, tx *sql.Tx) error {
		return deleteEmail(ctx, tx, id, false)
	})
}

// deleteEmail deletes an email in tx; with dropEmpty (a purge) a contact
// left with no email goes too, so no stub names the purged address.
func deleteEmail(ctx context.Context, tx *sql.Tx, id string, dropEmpty bool) error {
	e, err := getEmail(ctx, tx, id)
	if err != nil {
		return err
	}
	sk := store.SortKey(e.Date, e.ID)
	for _, c := range unique(e.Contacts) {
		if err := deleteAudience(ctx, tx, c, sk); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM timeline WHERE contact = ? AND sort_key = ?", c, sk)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE contacts SET total = total - 1 WHERE email = ?", c); err != nil {
				return err
			}
		}
		if dropEmpty {
			res, err := tx.ExecContext(ctx, "DELETE FROM contacts WHERE email = ? AND total <= 0", c)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				if _, err := tx.ExecContext(ctx, "DELETE FROM audience_count WHERE contact = ?", c); err != nil {
					return err
				}
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM email_match WHERE email_id = ?", id); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM emails WHERE id = ?", id)
	return err
}

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
	err := s.read(ctx, "timeline", func(tx *sql.Tx) error {
		var err error
		var lastKey string
		var more bool
		if q.All {
			page.Entries, lastKey, more, err = timelineAll(ctx, tx, q.Contact, keys, before, q.Limit)
		} else {
			page.Entries, lastKey, more, err = timelineVisible(ctx, tx, q.Contact, keys, before, q.Limit)
		}
		if err != nil {
			return err
		}
		if more {
			page.Next = store.EncodeCursor(store.TimelineCursorScope(q.Contact), lastKey)
		}
		if q.CountHidden {
			page.Hidden, err = countHidden(ctx, tx, q.Contact, keys)
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
// range walked backwards), merged, then joined to their timeline rows. It
// costs O(keys × limit) whatever share of the timeline the viewer may read.
func timelineVisible(ctx context.Context, tx *sql.Tx, contact string, keys []string, before string, limit int) ([]store.TimelineEntry, string, bool, error) {
	if len(keys) == 0 {
		return nil, "", false, nil
	}
	var b strings.Builder
	args := []any{contact, before, limit + 1}
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" UNION ")
		}
		b.WriteString("SELECT sort_key FROM (SELECT sort_key FROM audience WHERE contact = ?1 AND key = ?")
		b.WriteString(strconv.Itoa(len(args) + 1))
		b.WriteString(" AND sort_key < ?2 ORDER BY sort_key DESC LIMIT ?3)")
		args = append(args, k)
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.sort_key, t.email_id, t.owner, t.summary
		FROM (`+b.String()+`) v CROSS JOIN timeline t ON t.contact = ?1 AND t.sort_key = v.sort_key
		ORDER BY t.sort_key DESC LIMIT ?3`, args...)
	if err != nil {
		return nil, "", false, err
	}
	defer rows.Close()
	var out []store.TimelineEntry
	var lastKey string
	more := false
	for rows.Next() {
		var sk, id, owner, sum string
		if err := rows.Scan(&sk, &id, &owner, &sum); err != nil {
			return nil, "", false, err
		}
		if len(out) == limit {
			more = true
			break
		}
		e, err := decodeEmail(sum)
		if err != nil {
			return nil, "", false, err
		}
		out = append(out, store.TimelineEntry{EmailID: id, Date: sortKeyDate(sk), Owner: owner, Visible: true, Email: &e})
		lastKey = sk
	}
	return out, lastKey, more, rows.Err()
}

// timelineAll reads every entry, marking those the viewer's keys admit.
func timelineAll(ctx context.Context, tx *sql.Tx, contact string, keys []string, before string, limit int) ([]store.TimelineEntry, string, bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT sort_key, email_id, owner, keys, summary FROM timeline
		WHERE contact = ? AND sort_key < ? ORDER BY sort_key DESC LIMIT ?`, contact, before, limit+1)
	if err != nil {
		return nil, "", false, err
	}
	defer rows.Close()
	var out []store.TimelineEntry
	var lastKey string
	more := false
	for rows.Next() {
		var sk, id, owner, keysJSON, sum string
		if err := rows.Scan(&sk, &id, &owner, &keysJSON, &sum); err != nil {
			return nil, "", false, err
		}
		if len(out) == limit {
			more = true
			break
		}
		var emailKeys []string
		if err := json.Unmarshal([]byte(keysJSON), &emailKeys); err != nil {
			return nil, "", false, err
		}
		entry := store.TimelineEntry{EmailID: id, Date: sortKeyDate(sk), Owner: owner}
		if policy.SharesKey(emailKeys, keys) {
			e, err := decodeEmail(sum)
			if err != nil {
				return nil, "", false, err
			}
			entry.Visible, entry.Email = true, &e
		}
		out = append(out, entry)
		lastKey = sk
	}
	return out, lastKey, more, rows.Err()
}

// countUp counts one more entry of a contact with an audience key.
const countUp = `INSERT INTO audience_count (contact, key, n) VALUES (?, ?, 1)
	ON CONFLICT (contact, key) DO UPDATE SET n = n + 1`

// countHidden is the contact's total minus the entries keys admit. The
// largest key set is taken from audience_count; only entries of the other
// keys that lack that key are scanned, so an admin's "x:all" costs nothing
// and a viewer's cost is bounded by their smaller key sets.
func countHidden(ctx context.Context, tx *sql.Tx, contact string, keys []string) (int, error) {
	var total int
	err := tx.QueryRowContext(ctx, "SELECT total FROM contacts WHERE email = ?", contact).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil || len(keys) == 0 {
		return total, err
	}
	args := []any{contact}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := tx.QueryContext(ctx, `SELECT key, n FROM audience_count
		WHERE contact = ? AND n > 0 AND key IN (`+marks(len(keys))+`)`, args...)
	if err != nil {
		return 0, err
	}
	largest, most := "", 0
	var others []any
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return 0, err
		}
		if n > most {
			if largest != "" {
				others = append(others, largest)
			}
			largest, most = k, n
		} else {
			others = append(others, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(others) == 0 || most == total {
		return total - most, nil
	}
	var rest int
	err = tx.QueryRowContext(ctx, `SELECT count(DISTINCT a.sort_key) FROM audience a
		WHERE a.contact = ?1 AND a.key IN (`+numberedMarks(3, len(others))+`)
		AND NOT EXISTS (SELECT 1 FROM audience b WHERE b.contact = ?1 AND b.key = ?2 AND b.sort_key = a.sort_key)`,
		append([]any{contact, largest}, others...)...).Scan(&rest)
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

// matchTermsOf are the index terms m looks up, as SQL arguments.
func matchTermsOf(m store.Match) ([]any, error) {
	switch {
	case m.Address != "" && m.Domain == "":
		if len(m.Spellings) > 29 {
			return nil, discreet.FieldError("match", "at most 29 spellings")
		}
		terms := []any{"a:" + m.Address}
		for _, sp := range m.Spellings {
			terms = append(terms, "a:"+sp)
		}
		return terms, nil
	case m.Domain != "" && m.Address == "" && len(m.Spellings) == 0:
		return []any{"d:" + m.Domain}, nil
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
	if err := s.r.QueryRowContext(ctx, q, terms...).Scan(&n); err != nil {
		return 0, s.fail(ctx, err, "count matching")
	}
	return n, nil
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
		err := s.write(ctx, "purge", func(ctx context.Context, tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, q, append(terms, batch)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				if err := deleteEmail(ctx, tx, id, true); err != nil {
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
