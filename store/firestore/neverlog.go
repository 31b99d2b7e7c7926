package firestore

import (
	"context"
	"errors"

	"cloud.google.com/go/firestore"

	"github.com/discreet-crm/discreet"
)

type neverLogDoc struct {
	ID      string `firestore:"id"`
	Scope   string `firestore:"scope"`
	Pattern string `firestore:"pattern"`
	Note    string `firestore:"note"`
	AddedBy string `firestore:"addedBy"`
	AddedAt string `firestore:"addedAt"`
}

func (d neverLogDoc) entry() discreet.NeverLogEntry {
	return discreet.NeverLogEntry{ID: d.ID, Scope: d.Scope, Pattern: d.Pattern, Note: d.Note, AddedBy: d.AddedBy, AddedAt: parseTS(d.AddedAt)}
}

// patternDoc reserves a pattern on one list: its id is the pattern, so two
// entries with one pattern collide on a document, not on a query.
type patternDoc struct {
	Pattern string `firestore:"pattern"`
	EntryID string `firestore:"entryId"`
}

type versionDoc struct {
	Version int64 `firestore:"version"`
}

// list is the document holding one Never Log List: "org", or "user:" and
// the user's address.
func (s *Store) list(scope string) *firestore.DocumentRef {
	if scope == "" {
		return s.c.Collection(colNeverLog).Doc("org")
	}
	return s.c.Collection(colNeverLog).Doc(mustDocID("user:" + scope))
}

func (s *Store) entryRef(scope, id string) (*firestore.DocumentRef, error) {
	did, err := docID("id", id)
	if err != nil {
		return nil, err
	}
	return s.list(scope).Collection(colEntries).Doc(did), nil
}

func (s *Store) patternRef(scope, pattern string) (*firestore.DocumentRef, error) {
	did, err := docID("pattern", pattern)
	if err != nil {
		return nil, err
	}
	return s.list(scope).Collection(colPatterns).Doc(did), nil
}

func (s *Store) versionRef() *firestore.DocumentRef {
	return s.c.Collection(colConfig).Doc(docNeverLog)
}

var bumpVersion = map[string]any{"version": firestore.Increment(1)}

func (s *Store) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	snaps, err := s.list(scope).Collection(colEntries).OrderBy("pattern", firestore.Asc).Documents(ctx).GetAll()
	if err != nil {
		return nil, 0, wrap(err, "cannot read the Never Log List")
	}
	out := make([]discreet.NeverLogEntry, 0, len(snaps))
	for _, snap := range snaps {
		var d neverLogDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, 0, wrap(err, "cannot read the Never Log List")
		}
		out = append(out, d.entry())
	}
	v, err := s.NeverLogVersion(ctx)
	return out, v, err
}

func (s *Store) NeverLogVersion(ctx context.Context) (int64, error) {
	snap, err := s.versionRef().Get(ctx)
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err, "cannot read the Never Log version")
	}
	var d versionDoc
	if err := snap.DataTo(&d); err != nil {
		return 0, wrap(err, "cannot read the Never Log version")
	}
	return d.Version, nil
}

// AddNeverLog writes every entry and its pattern reservation in one
// transaction, so an import is all or nothing.
// neverLogChunk is how many entries one transaction adds: each takes two
// writes (entry and pattern reservation) of Firestore's 500, plus the
// version.
const neverLogChunk = (maxWrites - 1) / 2

// AddNeverLog adds entries all or none. Up to neverLogChunk entries go in
// one transaction; a larger import goes chunk by chunk, and when a chunk
// fails the chunks already added are deleted again. Meanwhile a reader may
// see part of the import, which only ever blocks more mail, never less.
func (s *Store) AddNeverLog(ctx context.Context, entries []discreet.NeverLogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	type key struct{ scope, v string }
	seenID, seenPattern := map[key]bool{}, map[key]bool{}
	var refs []*firestore.DocumentRef
	for _, e := range entries {
		if seenPattern[key{e.Scope, e.Pattern}] {
			return discreet.Errorf(discreet.EConflict, "%s is twice in the entries", e.Pattern)
		}
		if seenID[key{e.Scope, e.ID}] {
			return discreet.Errorf(discreet.EConflict, "the entry id %s is twice in the entries", e.ID)
		}
		seenPattern[key{e.Scope, e.Pattern}], seenID[key{e.Scope, e.ID}] = true, true
		er, err := s.entryRef(e.Scope, e.ID)
		if err != nil {
			return err
		}
		pr, err := s.patternRef(e.Scope, e.Pattern)
		if err != nil {
			return err
		}
		refs = append(refs, er, pr)
	}
	for start := 0; start < len(entries); start += neverLogChunk {
		end := min(start+neverLogChunk, len(entries))
		if err := s.addNeverLogChunk(ctx, entries[start:end], refs[2*start:2*end]); err != nil {
			if start > 0 {
				if uerr := s.undoNeverLog(context.WithoutCancel(ctx), refs[:2*start]); uerr != nil {
					return wrap(errors.Join(err, uerr), "cannot add to the Never Log List, nor take back the part already added")
				}
			}
			return wrap(err, "cannot add to the Never Log List")
		}
	}
	return nil
}

// addNeverLogChunk adds entries (refs: entry and pattern document of each)
// in one transaction.
func (s *Store) addNeverLogChunk(ctx context.Context, entries []discreet.NeverLogEntry, refs []*firestore.DocumentRef) error {
	return s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snaps, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		for i, e := range entries {
			if snaps[2*i].Exists() {
				return discreet.Errorf(discreet.EConflict, "an entry with id %s already exists", e.ID)
			}
			if snaps[2*i+1].Exists() {
				return discreet.Errorf(discreet.EConflict, "%s is already on the list", e.Pattern)
			}
		}
		for i, e := range entries {
			d := neverLogDoc{ID: e.ID, Scope: e.Scope, Pattern: e.Pattern, Note: e.Note, AddedBy: e.AddedBy, AddedAt: ts(e.AddedAt)}
			if err := tx.Create(refs[2*i], d); err != nil {
				return err
			}
			if err := tx.Create(refs[2*i+1], patternDoc{Pattern: e.Pattern, EntryID: e.ID}); err != nil {
				return err
			}
		}
		return tx.Set(s.versionRef(), bumpVersion, firestore.MergeAll)
	})
}

// undoNeverLog deletes documents an interrupted import added, and moves the
// version so every instance drops them too.
func (s *Store) undoNeverLog(ctx context.Context, refs []*firestore.DocumentRef) error {
	for start := 0; start < len(refs); start += maxWrites - 1 {
		chunk := refs[start:min(start+maxWrites-1, len(refs))]
		err := s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			for _, r := range chunk {
				if err := tx.Delete(r); err != nil {
					return err
				}
			}
			return tx.Set(s.versionRef(), bumpVersion, firestore.MergeAll)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) DeleteNeverLog(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	ref, err := s.entryRef(scope, id)
	if err != nil {
		return discreet.NeverLogEntry{}, err
	}
	var d neverLogDoc
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return notFound("Never Log entry")
		}
		if err != nil {
			return err
		}
		if err := snap.DataTo(&d); err != nil {
			return err
		}
		pr, err := s.patternRef(scope, d.Pattern)
		if err != nil {
			return err
		}
		if err := tx.Delete(ref); err != nil {
			return err
		}
		if err := tx.Delete(pr); err != nil {
			return err
		}
		return tx.Set(s.versionRef(), bumpVersion, firestore.MergeAll)
	})
	if err != nil {
		return discreet.NeverLogEntry{}, wrap(err, "cannot remove the Never Log entry")
	}
	return d.entry(), nil
}

func (s *Store) NeverLogEntry(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	ref, err := s.entryRef(scope, id)
	if err != nil {
		return discreet.NeverLogEntry{}, err
	}
	snap, err := ref.Get(ctx)
	if isNotFound(err) {
		return discreet.NeverLogEntry{}, notFound("Never Log entry")
	}
	if err != nil {
		return discreet.NeverLogEntry{}, wrap(err, "cannot read the Never Log entry")
	}
	var d neverLogDoc
	if err := snap.DataTo(&d); err != nil {
		return discreet.NeverLogEntry{}, wrap(err, "cannot read the Never Log entry")
	}
	return d.entry(), nil
}
