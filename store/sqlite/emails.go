package sqlite

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// emailSummaryColumns are what a timeline entry shows of an email: all but
// its participants, lenient keys, index terms and body. emailColumns add
// participants, lenient keys and body, in emailArgs' order but for
// match_terms.
const (
	emailSummaryColumns = `id, message_id, gmail_message_id, thread_id, subject, from_address, to_addresses, cc_addresses,
	date, direction, snippet, owner, team, visibility, contacts, internal, source, logged_at`
	emailSummaryCount = 18
	emailColumns      = emailSummaryColumns + ", participants, lenient, body"
	insertEmail       = `INSERT INTO emails (` + emailColumns + `, match_terms)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
)

func emailArgs(e discreet.Email, terms []string) [22]arg {
	return [22]arg{text(e.ID), text(e.MessageID), text(e.GmailMessageID), text(e.ThreadID), text(e.Subject), text(e.From),
		listArg(e.To), listArg(e.Cc), timeArg(e.Date), text(string(e.Direction)), text(e.Snippet), text(e.Owner),
		text(e.Team), text(string(e.Visibility)), listArg(e.Contacts), listArg(e.Internal), text(string(e.Source)),
		timeArg(e.LoggedAt), listArg(e.Participants), listArg(e.Lenient), text(e.Body), text(encodeList(terms))}
}

// scanEmailSummary reads emailSummaryColumns from column off on.
func scanEmailSummary(r *stmt, off int) (discreet.Email, error) {
	e := discreet.Email{
		ID: r.text(off), MessageID: r.text(off + 1), GmailMessageID: r.text(off + 2), ThreadID: r.text(off + 3),
		Subject: r.text(off + 4), From: r.text(off + 5), Direction: discreet.Direction(r.text(off + 9)),
		Snippet: r.text(off + 10), Owner: r.text(off + 11), Team: r.text(off + 12),
		Visibility: discreet.Visibility(r.text(off + 13)), Source: discreet.Source(r.text(off + 16)),
	}
	var err error
	for _, l := range []struct {
		col int
		to  *[]string
	}{{6, &e.To}, {7, &e.Cc}, {14, &e.Contacts}, {15, &e.Internal}} {
		if *l.to, err = r.list(off + l.col); err != nil {
			return e, err
		}
	}
	if e.Date, err = r.time(off + 8); err != nil {
		return e, err
	}
	e.LoggedAt, err = r.time(off + 17)
	return e, err
}

// scanEmail reads emailColumns.
func scanEmail(r *stmt) (discreet.Email, error) {
	e, err := scanEmailSummary(r, 0)
	if err != nil {
		return e, err
	}
	if e.Participants, err = r.list(emailSummaryCount); err != nil {
		return e, err
	}
	if e.Lenient, err = r.list(emailSummaryCount + 1); err != nil {
		return e, err
	}
	e.Body = r.text(emailSummaryCount + 2)
	e.Shares, err = scanShares(r, emailSummaryCount+3)
	return e, err
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

func validateEmail(e discreet.Email) error {
	if e.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	if !e.Visibility.Valid() {
		return discreet.FieldError("visibility", "must be private, team or public")
	}
	return nil
}

// Statements of logOne, run once per contact.
const (
	upsertContact = `INSERT INTO contacts (email, domain, name, owner, team, created_at, total) VALUES (?, ?, '', ?, ?, ?, 1)
		ON CONFLICT (email) DO UPDATE SET total = total + 1`
	insertTimeline = "INSERT INTO timeline (contact, sort_key, email_id, owner, keys) VALUES (?, ?, ?, ?, ?)"
)

// Statements that write one row per audience key or index term, up to
// maxRows rows each: an email's rows of one kind cost one statement, not
// one per row.
var (
	insertAudience = newRowsInsert("INSERT INTO audience (contact, key, sort_key, email_id) VALUES ", "(?, ?, ?, ?)", "")
	// countUp counts one more entry of a contact with each audience key.
	countUp = newRowsInsert("INSERT INTO audience_count (contact, key, n) VALUES ", "(?, ?, 1)",
		" ON CONFLICT (contact, key) DO UPDATE SET n = n + 1")
	insertMatch = newRowsInsert("INSERT INTO email_match (term, email_id) VALUES ", "(?, ?)", " ON CONFLICT DO NOTHING")
)

// addMatch writes the email_match rows of email id's index terms.
func addMatch(ctx context.Context, c *conn, id string, terms []string) error {
	rows := c.rows[:0]
	for _, t := range terms {
		rows = append(rows, text(t), text(id))
	}
	return insertMatch.exec(ctx, c, rows)
}

// addAudience writes the audience rows of one timeline entry and counts
// them, for every key but the one every email carries
// (policy.CarriedByEveryEmail): the timeline itself answers that one
// (timelineVisible, countHidden), so its rows would only copy it.
func addAudience(ctx context.Context, c *conn, contact, sk, id string, keys []string) error {
	rows := c.rows[:0]
	for _, k := range keys {
		if !policy.CarriedByEveryEmail(k) {
			rows = append(rows, text(contact), text(k), text(sk), text(id))
		}
	}
	if err := insertAudience.exec(ctx, c, rows); err != nil {
		return err
	}
	counts := c.rows[:0]
	for _, k := range keys {
		if !policy.CarriedByEveryEmail(k) {
			counts = append(counts, text(contact), text(k))
		}
	}
	return countUp.exec(ctx, c, counts)
}

// logOne stores e in c's transaction unless its id exists, with audience
// keys audience (the service's, required), and returns the stored email
// and whether it was created.
func logOne(ctx context.Context, c *conn, e discreet.Email, audience []string) (discreet.Email, bool, error) {
	terms := matchTerms(e)
	a := emailArgs(e, terms)
	n, err := c.exec(ctx, insertEmail, a[:]...)
	if err != nil {
		return e, false, err
	}
	if n == 0 {
		stored, err := getEmail(ctx, c, e.ID)
		return stored, false, err
	}
	if err := store.CheckAudience(audience); err != nil {
		return e, false, err
	}
	keys := unique(audience)
	keysText := encodeList(keys)
	sk := store.SortKey(e.Date, e.ID)
	loggedAt := e.LoggedAt.UTC().Format(time.RFC3339Nano)
	for _, ct := range unique(e.Contacts) {
		if _, err := c.exec(ctx, upsertContact, text(ct), text(policy.DomainOf(ct)), text(e.Owner), text(e.Team), text(loggedAt)); err != nil {
			return e, false, err
		}
		if _, err := c.exec(ctx, insertTimeline, text(ct), text(sk), text(e.ID), text(e.Owner), text(keysText)); err != nil {
			return e, false, err
		}
		if err := addAudience(ctx, c, ct, sk, e.ID, keys); err != nil {
			return e, false, err
		}
	}
	if err := addMatch(ctx, c, e.ID, terms); err != nil {
		return e, false, err
	}
	return e, true, nil
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
	err := s.write(ctx, "log email", func(ctx context.Context, c *conn) error {
		var err error
		stored, created, err = logOne(ctx, c, e, w.Audience)
		if err != nil || !created {
			return err
		}
		if !w.KeyedID {
			if err := markLegacyIDs(ctx, c); err != nil {
				return err
			}
		}
		if w.Audit == nil {
			return nil
		}
		return appendAudit(ctx, c, *w.Audit)
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
	return s.write(ctx, "log emails", func(ctx context.Context, c *conn) error {
		if err := markLegacyIDs(ctx, c); err != nil { // their ids are the caller's
			return err
		}
		for _, e := range emails {
			if _, _, err := logOne(ctx, c, e, policy.EmailAudience(e)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Email returns one logged email, body included.
func (s *Store) Email(ctx context.Context, id string) (discreet.Email, error) {
	var e discreet.Email
	err := s.read(ctx, "email", func(c *conn) error {
		var err error
		e, err = getEmail(ctx, c, id)
		return err
	})
	return e, err
}

func getEmail(ctx context.Context, c *conn, id string) (discreet.Email, error) {
	var e discreet.Email
	found, err := c.one(ctx, func(r *stmt) (err error) {
		e, err = scanEmail(r)
		return err
	}, "SELECT "+emailColumns+", shares FROM emails WHERE id = ?", text(id))
	if err == nil && !found {
		err = notFound("email")
	}
	return e, err
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
	err := s.write(ctx, "set visibility", func(ctx context.Context, c *conn) error {
		e, err := getEmail(ctx, c, id)
		if err != nil {
			return err
		}
		e.Visibility = v
		if err := rewriteAudience(ctx, c, e, audience); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE emails SET visibility = ? WHERE id = ?", text(string(v)), text(id)); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// deleteAudience removes the audience rows of one timeline entry, found by
// the keys its timeline row records.
func deleteAudience(ctx context.Context, c *conn, contact, sk string) error {
	var keys []string
	found, err := c.one(ctx, func(r *stmt) (err error) {
		keys, err = r.list(0)
		return err
	}, "SELECT keys FROM timeline WHERE contact = ? AND sort_key = ?", text(contact), text(sk))
	if err != nil || !found {
		return err
	}
	for _, k := range keys {
		if policy.CarriedByEveryEmail(k) {
			continue // no rows (addAudience)
		}
		n, err := c.exec(ctx, "DELETE FROM audience WHERE contact = ? AND key = ? AND sort_key = ?", text(contact), text(k), text(sk))
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := c.exec(ctx, "UPDATE audience_count SET n = n - 1 WHERE contact = ? AND key = ?", text(contact), text(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteEmail removes an email from the store and every timeline.
func (s *Store) DeleteEmail(ctx context.Context, id string) error {
	return s.write(ctx, "delete email", func(ctx context.Context, c *conn) error {
		return deleteEmail(ctx, c, id, false)
	})
}

// deleteEmail deletes an email in c's transaction; with dropEmpty (a purge)
// a contact left with no email goes too, so no stub names the purged
// address.
func deleteEmail(ctx context.Context, c *conn, id string, dropEmpty bool) error {
	var e discreet.Email
	var terms []string
	found, err := c.one(ctx, func(r *stmt) (err error) {
		if e.Date, err = r.time(0); err != nil {
			return err
		}
		if e.Contacts, err = r.list(1); err != nil {
			return err
		}
		terms, err = r.list(2)
		return err
	}, "SELECT date, contacts, match_terms FROM emails WHERE id = ?", text(id))
	if err != nil {
		return err
	}
	if !found {
		return notFound("email")
	}
	sk := store.SortKey(e.Date, id)
	for _, ct := range unique(e.Contacts) {
		if err := deleteAudience(ctx, c, ct, sk); err != nil {
			return err
		}
		n, err := c.exec(ctx, "DELETE FROM timeline WHERE contact = ? AND sort_key = ?", text(ct), text(sk))
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := c.exec(ctx, "UPDATE contacts SET total = total - 1 WHERE email = ?", text(ct)); err != nil {
				return err
			}
		}
		if dropEmpty {
			n, err := c.exec(ctx, "DELETE FROM contacts WHERE email = ? AND total <= 0", text(ct))
			if err != nil {
				return err
			}
			if n > 0 {
				if _, err := c.exec(ctx, "DELETE FROM audience_count WHERE contact = ?", text(ct)); err != nil {
					return err
				}
			}
		}
	}
	for _, t := range terms {
		if _, err := c.exec(ctx, "DELETE FROM email_match WHERE term = ? AND email_id = ?", text(t), text(id)); err != nil {
			return err
		}
	}
	_, err = c.exec(ctx, "DELETE FROM emails WHERE id = ?", text(id))
	return err
}
