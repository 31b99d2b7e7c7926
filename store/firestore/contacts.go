package firestore

import (
	"context"
	"strings"
	"unicode/utf8"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

type contactDoc struct {
	Email     string `firestore:"email"`
	Domain    string `firestore:"domain"`
	Name      string `firestore:"name"`
	Owner     string `firestore:"owner"`
	Team      string `firestore:"team"`
	CreatedAt string `firestore:"createdAt"`
	// Documents written before counts were computed also hold "total", a
	// count every log incremented; nothing reads it any more.
	// Search holds every prefix (up to searchPrefixMax bytes) of the
	// address and of its domain: "address or domain starts with p" is then
	// one array-contains query ordered by address.
	Search []string `firestore:"search"`
}

func (d contactDoc) contact() discreet.Contact {
	return discreet.Contact{Email: d.Email, Name: d.Name, Owner: d.Owner, Team: d.Team, CreatedAt: parseTS(d.CreatedAt)}
}

// searchPrefixMax bounds the prefixes stored per contact; a longer search
// is answered from its first searchPrefixMax bytes and filtered.
const searchPrefixMax = 64

// searchPrefixes cuts only between characters: a prefix ending inside a
// UTF-8 sequence is no string Firestore stores (the write fails) and no
// string a search sends.
func searchPrefixes(addr string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range []string{addr, policy.DomainOf(addr)} {
		for i := 1; i <= len(s) && i <= searchPrefixMax; i++ {
			if i < len(s) && !utf8.RuneStart(s[i]) {
				continue
			}
			if p := s[:i]; !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func newContactDoc(addr, owner, team, createdAt string) contactDoc {
	return contactDoc{
		Email: addr, Domain: policy.DomainOf(addr), Owner: owner, Team: team,
		CreatedAt: createdAt, Search: searchPrefixes(addr),
	}
}

func (s *Store) contactRef(addr string) (*firestore.DocumentRef, error) {
	id, err := docID("contact", addr)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colContacts).Doc(id), nil
}

func (s *Store) Contact(ctx context.Context, addr string) (discreet.Contact, error) {
	ref, err := s.contactRef(addr)
	if err != nil {
		return discreet.Contact{}, err
	}
	d, err := getDoc[contactDoc](ctx, ref, "contact")
	if err != nil {
		return discreet.Contact{}, err
	}
	return d.contact(), nil
}

func (s *Store) SearchContacts(ctx context.Context, prefix string, limit int) ([]discreet.Contact, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	prefix = strings.ToLower(prefix)
	q := s.c.Collection(colContacts).OrderBy("email", firestore.Asc)
	long := len(prefix) > searchPrefixMax
	switch {
	case prefix == "":
	case long:
		cut := searchPrefixMax
		for cut > 0 && !utf8.RuneStart(prefix[cut]) {
			cut--
		}
		q = q.Where("search", "array-contains", prefix[:cut])
	default:
		q = q.Where("search", "array-contains", prefix)
	}
	if !long {
		q = q.Limit(limit)
	}
	it := q.Documents(ctx)
	defer it.Stop()
	var out []discreet.Contact
	for len(out) < limit {
		snap, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			return nil, wrap(err, "cannot search contacts")
		}
		var d contactDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot search contacts")
		}
		if long && !strings.HasPrefix(d.Email, prefix) && !strings.HasPrefix(d.Domain, prefix) {
			continue
		}
		out = append(out, d.contact())
	}
	return out, nil
}

func (s *Store) SetContactOwner(ctx context.Context, addr, owner, team string) (discreet.Contact, error) {
	ref, err := s.contactRef(addr)
	if err != nil {
		return discreet.Contact{}, err
	}
	var d contactDoc
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return notFound("contact")
		}
		if err != nil {
			return err
		}
		if err := snap.DataTo(&d); err != nil {
			return err
		}
		d.Owner, d.Team = owner, team
		return tx.Update(ref, []firestore.Update{{Path: "owner", Value: owner}, {Path: "team", Value: team}})
	})
	if err != nil {
		return discreet.Contact{}, wrap(err, "cannot change the contact's owner")
	}
	return d.contact(), nil
}
