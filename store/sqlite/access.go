package sqlite

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Access = (*Store)(nil)

// scanShares reads an email's shares column (” before any share).
func scanShares(r *stmt, i int) ([]discreet.Share, error) {
	s := r.text(i)
	if s == "" || s == "null" {
		return nil, nil
	}
	var out []discreet.Share
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// earliestExpiry is the soonest expiry among shares, ” when none
// expires: the sweep finds the email by it.
func earliestExpiry(shares []discreet.Share) string {
	var first time.Time
	for _, sh := range shares {
		if !sh.ExpiresAt.IsZero() && (first.IsZero() || sh.ExpiresAt.Before(first)) {
			first = sh.ExpiresAt
		}
	}
	if first.IsZero() {
		return ""
	}
	return tsKey(first)
}

func jsonArg(v any) (arg, error) {
	b, err := json.Marshal(v)
	return text(string(b)), err
}

func (s *Store) PutAccessRequest(ctx context.Context, r discreet.AccessRequest) (discreet.AccessRequest, bool, error) {
	if r.ID == "" {
		return r, false, discreet.FieldError("id", "is required")
	}
	data, err := jsonArg(r)
	if err != nil {
		return r, false, err
	}
	var out discreet.AccessRequest
	var created bool
	err = s.write(ctx, "put access request", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, `INSERT INTO access_requests (id, requester, created_at, contact_owner, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, text(r.ID), text(r.Requester), text(tsKey(r.CreatedAt)), text(r.ContactOwner), data)
		if err != nil {
			return err
		}
		if n == 0 {
			out, err = getAccessRequest(ctx, c, r.ID)
			return err
		}
		created, out = true, r
		if r.Status != discreet.RequestPending {
			return nil
		}
		for _, k := range r.Deciders {
			if _, err := c.exec(ctx, "INSERT INTO access_request_deciders (key, request_id) VALUES (?, ?) ON CONFLICT DO NOTHING", text(k), text(r.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, created, err
}

func getAccessRequest(ctx context.Context, c *conn, id string) (discreet.AccessRequest, error) {
	var r discreet.AccessRequest
	found, err := c.one(ctx, func(st *stmt) error {
		if err := json.Unmarshal([]byte(st.text(0)), &r); err != nil {
			return err
		}
		r.ContactOwner = st.text(1)
		return nil
	}, "SELECT data, contact_owner FROM access_requests WHERE id = ?", text(id))
	if err == nil && !found {
		err = notFound("access request")
	}
	if err != nil {
		return r, err
	}
	r.Deciders, err = queryAll(ctx, c, firstText, "SELECT key FROM access_request_deciders WHERE request_id = ? ORDER BY key", text(id))
	return r, err
}

func (s *Store) AccessRequest(ctx context.Context, id string) (discreet.AccessRequest, error) {
	var r discreet.AccessRequest
	err := s.read(ctx, "access request", func(c *conn) error {
		var err error
		r, err = getAccessRequest(ctx, c, id)
		return err
	})
	return r, err
}

func (s *Store) AccessRequests(ctx context.Context, q store.AccessRequestQuery) ([]discreet.AccessRequest, error) {
	if q.Limit < 1 || q.Limit > 100 {
		return nil, discreet.FieldError("limit", "must be between 1 and 100")
	}
	var query string
	var args []arg
	switch {
	case q.Requester != "":
		query = "SELECT id FROM access_requests WHERE requester = ? ORDER BY created_at DESC, id DESC LIMIT ?"
		args = []arg{text(q.Requester), num(q.Limit)}
	case len(q.Deciders) > 0:
		if len(q.Deciders) > 30 {
			return nil, discreet.FieldError("deciders", "at most 30 keys")
		}
		for _, k := range q.Deciders {
			args = append(args, text(k))
		}
		args = append(args, num(q.Limit))
		query = `SELECT r.id FROM access_requests r WHERE r.id IN
			(SELECT request_id FROM access_request_deciders WHERE key IN (` + marks(len(q.Deciders)) + `))
			ORDER BY r.created_at DESC, r.id DESC LIMIT ?`
	default:
		return nil, nil
	}
	var out []discreet.AccessRequest
	err := s.read(ctx, "access requests", func(c *conn) error {
		out = nil
		ids, err := queryAll(ctx, c, firstText, query, args...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := getAccessRequest(ctx, c, id)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func (s *Store) DecideAccessRequest(ctx context.Context, id string, d store.AccessDecision) (discreet.AccessRequest, error) {
	if d.Status != discreet.RequestGranted && d.Status != discreet.RequestDenied {
		return discreet.AccessRequest{}, discreet.FieldError("status", "must be granted or denied")
	}
	if (d.Status == discreet.RequestGranted) != (d.Grant != nil) {
		return discreet.AccessRequest{}, discreet.FieldError("grant", "is required with granted, and only then")
	}
	var out discreet.AccessRequest
	err := s.write(ctx, "decide access request", func(ctx context.Context, c *conn) error {
		r, err := getAccessRequest(ctx, c, id)
		if err != nil {
			return err
		}
		if r.Status != discreet.RequestPending {
			out = r
			return discreet.Errorf(discreet.EConflict, "this request was already %s", r.Status)
		}
		at := d.At.UTC()
		r.Status, r.DecidedBy, r.DecidedAt, r.Grant, r.Deciders = d.Status, d.By, &at, d.Grant, nil
		data, err := jsonArg(r)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE access_requests SET data = ? WHERE id = ?", data, text(id)); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "DELETE FROM access_request_deciders WHERE request_id = ?", text(id)); err != nil {
			return err
		}
		if g := d.Grant; g != nil {
			if err := insertGrant(ctx, c, *g); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

func insertGrant(ctx context.Context, c *conn, g discreet.Grant) error {
	if g.ID == "" {
		return discreet.FieldError("grant.id", "is required")
	}
	data, err := jsonArg(g)
	if err != nil {
		return err
	}
	exp := ""
	if !g.ExpiresAt.IsZero() {
		exp = tsKey(g.ExpiresAt)
	}
	_, err = c.exec(ctx, `INSERT INTO grants (id, grantee, granted_by, expires_at, contact_owner, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, text(g.ID), text(g.Grantee), text(g.GrantedBy), text(exp), text(g.ContactOwner), data)
	return err
}

func (s *Store) grantList(ctx context.Context, op, query string, args ...arg) ([]discreet.Grant, error) {
	var out []discreet.Grant
	err := s.read(ctx, op, func(c *conn) error {
		out = nil
		rows, err := c.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.close()
		for rows.next() {
			var g discreet.Grant
			if err := json.Unmarshal([]byte(rows.text(0)), &g); err != nil {
				return err
			}
			g.ContactOwner = rows.text(1)
			out = append(out, g)
		}
		return rows.error()
	})
	return out, err
}

func (s *Store) Grants(ctx context.Context, q store.GrantQuery) ([]discreet.Grant, error) {
	switch {
	case q.Grantee != "":
		return s.grantList(ctx, "grants", "SELECT data, contact_owner FROM grants WHERE grantee = ? ORDER BY id", text(q.Grantee))
	case q.GrantedBy != "":
		return s.grantList(ctx, "grants", "SELECT data, contact_owner FROM grants WHERE granted_by = ? ORDER BY id", text(q.GrantedBy))
	}
	return nil, discreet.FieldError("grantee", "or grantedBy is required")
}

func (s *Store) ExpiredGrants(ctx context.Context, now time.Time, limit int) ([]discreet.Grant, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.grantList(ctx, "expired grants", `SELECT data, contact_owner FROM grants
		WHERE expires_at <> '' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`, text(tsKey(now)), num(limit))
}

func (s *Store) DeleteGrant(ctx context.Context, id string) error {
	return s.write(ctx, "delete grant", func(ctx context.Context, c *conn) error {
		_, err := c.exec(ctx, "DELETE FROM grants WHERE id = ?", text(id))
		return err
	})
}

func (s *Store) ChangeShares(ctx context.Context, emailID string, change func(discreet.Email) ([]discreet.Share, error), audience store.Audience) (discreet.Email, error) {
	if audience == nil {
		return discreet.Email{}, store.CheckAudience(nil)
	}
	var out discreet.Email
	err := s.write(ctx, "change shares", func(ctx context.Context, c *conn) error {
		e, err := getEmail(ctx, c, emailID)
		if err != nil {
			return err
		}
		shares, err := change(e)
		if err != nil {
			return err
		}
		if store.SameShares(e.Shares, shares) {
			out = e
			return nil
		}
		e.Shares = slices.Clone(shares)
		if err := rewriteAudience(ctx, c, e, audience); err != nil {
			return err
		}
		data, err := jsonArg(e.Shares)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE emails SET shares = ?, share_expiry = ? WHERE id = ?", data, text(earliestExpiry(e.Shares)), text(emailID)); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// rewriteAudience replaces the audience keys of e's timeline entries with
// audience(e), in c's transaction.
func rewriteAudience(ctx context.Context, c *conn, e discreet.Email, audience store.Audience) error {
	keys := unique(audience(e))
	if err := store.CheckAudience(keys); err != nil {
		return err
	}
	keysText := encodeList(keys)
	sk := store.SortKey(e.Date, e.ID)
	for _, ct := range unique(e.Contacts) {
		if err := deleteAudience(ctx, c, ct, sk); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE timeline SET keys = ? WHERE contact = ? AND sort_key = ?",
			text(keysText), text(ct), text(sk)); err != nil {
			return err
		}
		if err := addAudience(ctx, c, ct, sk, e.ID, keys); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ExpiredShares(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.ids(ctx, "expired shares", `SELECT id FROM emails WHERE share_expiry <> '' AND share_expiry <= ?
		ORDER BY share_expiry, id LIMIT ?`, text(tsKey(now)), num(limit))
}
