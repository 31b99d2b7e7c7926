package firestore

import (
	"context"
	"encoding/json"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Protection = (*Store)(nil)

// Protected entries live in config/protection/protected/{pattern}; the
// document config/protection holds their version, moved in the
// transaction of every change, so a decision reads one small document to
// know whether its compiled entries are current.
const (
	docProtection = "protection"
	colProtected  = "protected"
)

type protectedDoc struct {
	Pattern string `firestore:"pattern"`
	Note    string `firestore:"note"`
	AddedBy string `firestore:"addedBy"`
	AddedAt string `firestore:"addedAt"`
}

type protectionVersionDoc struct {
	Version int64 `firestore:"version"`
}

func (s *Store) protectionRef() *firestore.DocumentRef {
	return s.c.Collection(colConfig).Doc(docProtection)
}

// protectionVersion reads the version inside tx; 0 before any change.
func protectionVersion(tx *firestore.Transaction, ref *firestore.DocumentRef) (int64, error) {
	snap, err := tx.Get(ref)
	if status.Code(err) == codes.NotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var v protectionVersionDoc
	err = snap.DataTo(&v)
	return v.Version, err
}

func (s *Store) PutProtected(ctx context.Context, p discreet.ProtectedEntry) (bool, error) {
	id, err := docID("pattern", p.Pattern)
	if err != nil {
		return false, err
	}
	vref := s.protectionRef()
	ref := vref.Collection(colProtected).Doc(id)
	var added bool
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		v, err := protectionVersion(tx, vref)
		if err != nil {
			return err
		}
		_, err = tx.Get(ref)
		switch {
		case status.Code(err) == codes.NotFound:
			added = true
		case err != nil:
			return err
		default:
			added = false
		}
		if err := tx.Set(ref, protectedDoc{Pattern: p.Pattern, Note: p.Note, AddedBy: p.AddedBy, AddedAt: ts(p.AddedAt)}); err != nil {
			return err
		}
		return s.moveProtectedVersion(tx, vref, v)
	})
	return added, wrap(err, "cannot store the protected entry")
}

func (s *Store) DeleteProtected(ctx context.Context, pattern string) (discreet.ProtectedEntry, error) {
	id, err := docID("pattern", pattern)
	if err != nil {
		return discreet.ProtectedEntry{}, err
	}
	vref := s.protectionRef()
	ref := vref.Collection(colProtected).Doc(id)
	var out discreet.ProtectedEntry
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		v, err := protectionVersion(tx, vref)
		if err != nil {
			return err
		}
		d, err := txDoc[protectedDoc](tx, ref, "protected entry")
		if err != nil {
			return err
		}
		out = d.entry()
		if err := tx.Delete(ref); err != nil {
			return err
		}
		return s.moveProtectedVersion(tx, vref, v)
	})
	if err != nil {
		return discreet.ProtectedEntry{}, wrap(err, "cannot remove the protected entry")
	}
	return out, nil
}

// moveProtectedVersion moves the protection version inside tx (prev as tx
// read it) and mirrors it into the Never Log version document, which every
// decision reads: a decision learns whether the protected set moved
// without a read of its own.
func (s *Store) moveProtectedVersion(tx *firestore.Transaction, vref *firestore.DocumentRef, prev int64) error {
	if err := tx.Set(vref, protectionVersionDoc{Version: prev + 1}); err != nil {
		return err
	}
	return tx.Set(s.versionRef(), map[string]any{"protected": prev + 1}, firestore.MergeAll)
}

func (d protectedDoc) entry() discreet.ProtectedEntry {
	return discreet.ProtectedEntry{Pattern: d.Pattern, Note: d.Note, AddedBy: d.AddedBy, AddedAt: parseTS(d.AddedAt)}
}

// Protected reads the version and the entries in one read-only transaction.
func (s *Store) Protected(ctx context.Context) ([]discreet.ProtectedEntry, int64, error) {
	var out []discreet.ProtectedEntry
	var v int64
	vref := s.protectionRef()
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		out = nil
		var err error
		if v, err = protectionVersion(tx, vref); err != nil {
			return err
		}
		snaps, err := tx.Documents(vref.Collection(colProtected).OrderBy("pattern", firestore.Asc)).GetAll()
		if err != nil {
			return err
		}
		for _, sn := range snaps {
			var d protectedDoc
			if err := sn.DataTo(&d); err != nil {
				return err
			}
			out = append(out, d.entry())
		}
		return nil
	}, firestore.ReadOnly)
	return out, v, wrap(err, "cannot read the protected entries")
}

func (s *Store) ProtectedVersion(ctx context.Context) (int64, error) {
	snap, err := s.protectionRef().Get(ctx)
	if status.Code(err) == codes.NotFound {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err, "cannot read the protection version")
	}
	var v protectionVersionDoc
	if err := snap.DataTo(&v); err != nil {
		return 0, wrap(err, "cannot read the protection version")
	}
	return v.Version, nil
}

// listIDs runs q ordered by document id (which the single-field indexes
// Firestore keeps already serve: no composite index), after after's
// document, at most limit, and returns field of each document.
func listIDs(ctx context.Context, q firestore.Query, field, after string, limit int, what string) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q = q.OrderBy(firestore.DocumentID, firestore.Asc).Select(field)
	if after != "" {
		id, err := docID("after", after)
		if err != nil {
			return nil, err
		}
		q = q.StartAfter(id)
	}
	snaps, err := q.Limit(limit).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot list "+what)
	}
	out := make([]string, 0, len(snaps))
	for _, sn := range snaps {
		if v, err := sn.DataAt(field); err == nil {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// MatchingEmailIDs pages matchQuery by document id.
func (s *Store) MatchingEmailIDs(ctx context.Context, m store.Match, after string, limit int) ([]string, error) {
	q, err := s.matchQuery(m)
	if err != nil {
		return nil, err
	}
	return listIDs(ctx, q, "id", after, limit, "the matching emails")
}

func (s *Store) OwnedEmails(ctx context.Context, owner, after string, limit int) ([]string, error) {
	return listIDs(ctx, s.c.Collection(colEmails).Where("owner", "==", owner), "id", after, limit, "the owner's emails")
}

func (s *Store) OwnedContacts(ctx context.Context, owner, after string, limit int) ([]string, error) {
	return listIDs(ctx, s.c.Collection(colContacts).Where("owner", "==", owner), "email", after, limit, "the owner's contacts")
}

// SetEmailOwner rewrites the email (owner and its index terms, which name
// the owner) and every timeline entry of it (owner, audience keys,
// summary) in one transaction.
func (s *Store) SetEmailOwner(ctx context.Context, id, owner string, audienceOf store.Audience) (discreet.Email, error) {
	if owner == "" {
		return discreet.Email{}, discreet.FieldError("owner", "is required")
	}
	return s.rewriteEmail(ctx, id, audienceOf, "cannot change the email's owner",
		func(e *discreet.Email) (email, entry []firestore.Update, ok bool, err error) {
			if e.Owner == owner {
				return nil, nil, false, nil
			}
			e.Owner = owner
			k := policy.EmailIndexKeys(*e)
			return []firestore.Update{
					{Path: "owner", Value: owner},
					{Path: "matchAddresses", Value: k.Addresses},
					{Path: "matchDomains", Value: k.Domains},
				}, []firestore.Update{
					{Path: "owner", Value: owner},
					{Path: "summary.owner", Value: owner},
				}, true, nil
		})
}

// The org setting visibilityPolicy is kept as JSON text: its maps are
// keyed by roles and team ids, which Firestore field paths need not escape
// that way.
func visibilityPolicyText(p *discreet.VisibilityPolicy) string {
	if p == nil {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return ""
	}
	return string(b)
}

func parseVisibilityPolicy(s string) (*discreet.VisibilityPolicy, error) {
	if s == "" {
		return nil, nil
	}
	var p discreet.VisibilityPolicy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "the stored visibility policy cannot be read")
	}
	return &p, nil
}
