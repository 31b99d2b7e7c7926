package firestore

import (
	"context"
	"slices"
	"sort"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Access = (*Store)(nil)

// Access requests live in accessRequests/{id}, grants in grants/{id};
// an email's shares are a field of emails/{id} and of its timeline
// entries' summary, so a timeline page needs no other read to decide
// whether a share is in force.
const (
	colAccessRequests = "accessRequests"
	colGrants         = "grants"
)

type shareDoc struct {
	ID        string   `firestore:"id"`
	Users     []string `firestore:"users"`
	Teams     []string `firestore:"teams"`
	By        string   `firestore:"by"`
	ByAdmin   bool     `firestore:"byAdmin"`
	Basis     string   `firestore:"basis"`
	At        string   `firestore:"at"`
	ExpiresAt string   `firestore:"expiresAt"`
	RequestID string   `firestore:"requestId"`
}

func toShareDocs(l []discreet.Share) []shareDoc {
	if len(l) == 0 {
		return nil
	}
	out := make([]shareDoc, len(l))
	for i, sh := range l {
		out[i] = shareDoc{ID: sh.ID, Users: sh.Users, Teams: sh.Teams, By: sh.By, ByAdmin: sh.ByAdmin,
			Basis: string(sh.Basis), At: ts(sh.At), ExpiresAt: optTS(sh.ExpiresAt), RequestID: sh.RequestID}
	}
	return out
}

func fromShareDocs(l []shareDoc) []discreet.Share {
	if len(l) == 0 {
		return nil
	}
	out := make([]discreet.Share, len(l))
	for i, d := range l {
		out[i] = discreet.Share{ID: d.ID, Users: d.Users, Teams: d.Teams, By: d.By, ByAdmin: d.ByAdmin,
			Basis: discreet.Visibility(d.Basis), At: parseTS(d.At), ExpiresAt: parseTS(d.ExpiresAt), RequestID: d.RequestID}
	}
	return out
}

// optTS is ts, or "" for the zero time (no expiry).
func optTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

// shareExpiry is the soonest expiry among shares, "" when none expires.
func shareExpiry(l []discreet.Share) string {
	first := ""
	for _, sh := range l {
		if e := optTS(sh.ExpiresAt); e != "" && (first == "" || e < first) {
			first = e
		}
	}
	return first
}

type grantDoc struct {
	ID           string `firestore:"id"`
	RequestID    string `firestore:"requestId"`
	Grantee      string `firestore:"grantee"`
	Scope        string `firestore:"scope"`
	Contact      string `firestore:"contact"`
	EmailID      string `firestore:"emailId"`
	ShareID      string `firestore:"shareId"`
	GrantedBy    string `firestore:"grantedBy"`
	GrantedAt    string `firestore:"grantedAt"`
	ExpiresAt    string `firestore:"expiresAt"`
	ContactOwner string `firestore:"contactOwner"`
}

func toGrantDoc(g discreet.Grant) grantDoc {
	return grantDoc{ID: g.ID, RequestID: g.RequestID, Grantee: g.Grantee, Scope: string(g.Scope), Contact: g.Contact,
		EmailID: g.EmailID, ShareID: g.ShareID, GrantedBy: g.GrantedBy, GrantedAt: ts(g.GrantedAt),
		ExpiresAt: optTS(g.ExpiresAt), ContactOwner: g.ContactOwner}
}

func (d grantDoc) grant() discreet.Grant {
	return discreet.Grant{ID: d.ID, RequestID: d.RequestID, Grantee: d.Grantee, Scope: discreet.GrantScope(d.Scope),
		Contact: d.Contact, EmailID: d.EmailID, ShareID: d.ShareID, GrantedBy: d.GrantedBy, GrantedAt: parseTS(d.GrantedAt),
		ExpiresAt: parseTS(d.ExpiresAt), ContactOwner: d.ContactOwner}
}

// accessRequestDoc keeps a pending request's decider keys in
// pendingDeciders, emptied when it is decided: "pending requests I may
// decide" is one array-contains-any query.
type accessRequestDoc struct {
	ID              string    `firestore:"id"`
	Requester       string    `firestore:"requester"`
	Contact         string    `firestore:"contact"`
	EmailID         string    `firestore:"emailId"`
	Scope           string    `firestore:"scope"`
	Note            string    `firestore:"note"`
	Status          string    `firestore:"status"`
	CreatedAt       string    `firestore:"createdAt"`
	DecidedBy       string    `firestore:"decidedBy"`
	DecidedAt       string    `firestore:"decidedAt"`
	Grant           *grantDoc `firestore:"grant"`
	PendingDeciders []string  `firestore:"pendingDeciders"`
	ContactOwner    string    `firestore:"contactOwner"`
}

func toAccessRequestDoc(r discreet.AccessRequest) accessRequestDoc {
	d := accessRequestDoc{ID: r.ID, Requester: r.Requester, Contact: r.Contact, EmailID: r.EmailID, Scope: string(r.Scope),
		Note: r.Note, Status: string(r.Status), CreatedAt: ts(r.CreatedAt), DecidedBy: r.DecidedBy, ContactOwner: r.ContactOwner}
	if r.DecidedAt != nil {
		d.DecidedAt = ts(*r.DecidedAt)
	}
	if r.Grant != nil {
		g := toGrantDoc(*r.Grant)
		d.Grant = &g
	}
	if r.Status == discreet.RequestPending {
		d.PendingDeciders = r.Deciders
	}
	return d
}

func (d accessRequestDoc) request() discreet.AccessRequest {
	r := discreet.AccessRequest{ID: d.ID, Requester: d.Requester, Contact: d.Contact, EmailID: d.EmailID,
		Scope: discreet.GrantScope(d.Scope), Note: d.Note, Status: discreet.RequestStatus(d.Status),
		CreatedAt: parseTS(d.CreatedAt), DecidedBy: d.DecidedBy, Deciders: d.PendingDeciders, ContactOwner: d.ContactOwner}
	if d.DecidedAt != "" {
		t := parseTS(d.DecidedAt)
		r.DecidedAt = &t
	}
	if d.Grant != nil {
		g := d.Grant.grant()
		r.Grant = &g
	}
	return r
}

func (s *Store) PutAccessRequest(ctx context.Context, r discreet.AccessRequest) (discreet.AccessRequest, bool, error) {
	id, err := docID("id", r.ID)
	if err != nil {
		return r, false, err
	}
	ref := s.c.Collection(colAccessRequests).Doc(id)
	var out discreet.AccessRequest
	var created bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		created = false
		snap, err := tx.Get(ref)
		if err == nil {
			var d accessRequestDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			out = d.request()
			return nil
		}
		if !isNotFound(err) {
			return err
		}
		created, out = true, r
		return tx.Create(ref, toAccessRequestDoc(r))
	})
	return out, created, wrap(err, "cannot store the access request")
}

func (s *Store) AccessRequest(ctx context.Context, id string) (discreet.AccessRequest, error) {
	did, err := docID("id", id)
	if err != nil {
		return discreet.AccessRequest{}, err
	}
	d, err := getDoc[accessRequestDoc](ctx, s.c.Collection(colAccessRequests).Doc(did), "access request")
	return d.request(), err
}

func (s *Store) AccessRequests(ctx context.Context, q store.AccessRequestQuery) ([]discreet.AccessRequest, error) {
	if q.Limit < 1 || q.Limit > 100 {
		return nil, discreet.FieldError("limit", "must be between 1 and 100")
	}
	col := s.c.Collection(colAccessRequests)
	var query firestore.Query
	switch {
	case q.Requester != "":
		query = col.Where("requester", "==", q.Requester).OrderBy("createdAt", firestore.Desc).Limit(q.Limit)
	case len(q.Deciders) > 0:
		keys := unique(q.Deciders)
		if len(keys) > maxAudienceKeys {
			return nil, discreet.FieldError("deciders", "at most %d keys", maxAudienceKeys)
		}
		// Pending requests are few; ordering them here needs no
		// composite index.
		query = col.Where("pendingDeciders", "array-contains-any", keys).Limit(100)
	default:
		return nil, nil
	}
	docs, err := allDocs[accessRequestDoc](ctx, query)
	if err != nil {
		return nil, wrap(err, "cannot list access requests")
	}
	out := make([]discreet.AccessRequest, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.request())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func allDocs[T any](ctx context.Context, q firestore.Query) ([]T, error) {
	it := q.Documents(ctx)
	defer it.Stop()
	var out []T
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var d T
		if err := snap.DataTo(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
}

func (s *Store) DecideAccessRequest(ctx context.Context, id string, d store.AccessDecision) (discreet.AccessRequest, error) {
	if d.Status != discreet.RequestGranted && d.Status != discreet.RequestDenied {
		return discreet.AccessRequest{}, discreet.FieldError("status", "must be granted or denied")
	}
	if (d.Status == discreet.RequestGranted) != (d.Grant != nil) {
		return discreet.AccessRequest{}, discreet.FieldError("grant", "is required with granted, and only then")
	}
	did, err := docID("id", id)
	if err != nil {
		return discreet.AccessRequest{}, err
	}
	var grantRef *firestore.DocumentRef
	if d.Grant != nil {
		gid, err := docID("grant.id", d.Grant.ID)
		if err != nil {
			return discreet.AccessRequest{}, err
		}
		grantRef = s.c.Collection(colGrants).Doc(gid)
	}
	ref := s.c.Collection(colAccessRequests).Doc(did)
	var out discreet.AccessRequest
	var conflict error
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		conflict = nil
		doc, err := txDoc[accessRequestDoc](tx, ref, "access request")
		if err != nil {
			return err
		}
		r := doc.request()
		if r.Status != discreet.RequestPending {
			out = r
			conflict = discreet.Errorf(discreet.EConflict, "this request was already %s", r.Status)
			return nil
		}
		at := d.At.UTC()
		r.Status, r.DecidedBy, r.DecidedAt, r.Grant, r.Deciders = d.Status, d.By, &at, d.Grant, nil
		if err := tx.Set(ref, toAccessRequestDoc(r)); err != nil {
			return err
		}
		if grantRef != nil {
			if err := tx.Set(grantRef, toGrantDoc(*d.Grant)); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return discreet.AccessRequest{}, wrap(err, "cannot decide the access request")
	}
	return out, conflict
}

func (s *Store) grantList(ctx context.Context, q firestore.Query) ([]discreet.Grant, error) {
	docs, err := allDocs[grantDoc](ctx, q)
	if err != nil {
		return nil, wrap(err, "cannot list grants")
	}
	out := make([]discreet.Grant, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.grant())
	}
	return out, nil
}

func (s *Store) Grants(ctx context.Context, q store.GrantQuery) ([]discreet.Grant, error) {
	col := s.c.Collection(colGrants)
	var out []discreet.Grant
	var err error
	switch {
	case q.Grantee != "":
		out, err = s.grantList(ctx, col.Where("grantee", "==", q.Grantee))
	case q.GrantedBy != "":
		out, err = s.grantList(ctx, col.Where("grantedBy", "==", q.GrantedBy))
	default:
		return nil, discreet.FieldError("grantee", "or grantedBy is required")
	}
	slices.SortFunc(out, func(a, b discreet.Grant) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, err
}

func (s *Store) ExpiredGrants(ctx context.Context, now time.Time, limit int) ([]discreet.Grant, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.grantList(ctx, s.c.Collection(colGrants).Where("expiresAt", ">", "").Where("expiresAt", "<=", ts(now)).
		OrderBy("expiresAt", firestore.Asc).Limit(limit))
}

func (s *Store) DeleteGrant(ctx context.Context, id string) error {
	did, err := docID("id", id)
	if err != nil {
		return err
	}
	_, err = s.c.Collection(colGrants).Doc(did).Delete(ctx)
	return wrap(err, "cannot delete the grant")
}

// ChangeShares rewrites the email's shares and every timeline entry's
// audience and summary shares in one transaction, as SetVisibility does.
func (s *Store) ChangeShares(ctx context.Context, emailID string, change func(discreet.Email) ([]discreet.Share, error), audienceOf store.Audience) (discreet.Email, error) {
	return s.rewriteEmail(ctx, emailID, audienceOf, "cannot change the email's shares",
		func(e *discreet.Email) (email, entry []firestore.Update, ok bool, err error) {
			shares, err := change(*e)
			if err != nil || store.SameShares(e.Shares, shares) {
				return nil, nil, false, err
			}
			e.Shares = slices.Clone(shares)
			docs := toShareDocs(e.Shares)
			return []firestore.Update{{Path: "shares", Value: docs}, {Path: "shareExpiry", Value: shareExpiry(e.Shares)}},
				[]firestore.Update{{Path: "summary.shares", Value: docs}}, true, nil
		})
}

func (s *Store) ExpiredShares(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q := s.c.Collection(colEmails).Where("shareExpiry", ">", "").Where("shareExpiry", "<=", ts(now)).
		OrderBy("shareExpiry", firestore.Asc).Limit(limit).Select("id")
	it := q.Documents(ctx)
	defer it.Stop()
	var out []string
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return out, nil
		}
		if err != nil {
			return nil, wrap(err, "cannot list expired shares")
		}
		id, _ := snap.Data()["id"].(string)
		out = append(out, id)
	}
}
