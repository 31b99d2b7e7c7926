package firestore

import (
	"context"
	"errors"

	"cloud.google.com/go/firestore"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
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

// versionDoc is config/neverLog: the org list's version and its most
// recent changes (store.NeverLogChanges), read by every decision.
type versionDoc struct {
	Version int64       `firestore:"version"`
	Since   int64       `firestore:"since"`
	Changes []changeDoc `firestore:"changes"`
	// Tombstones mirrors the tombstone version (governance.go), moved in
	// the transaction that adds a tombstone, so the one read of this
	// document a decision makes covers both lists.
	Tombstones int64 `firestore:"tombstones"`
	// Rules mirrors the sensitivity rules' version (holds.go) likewise,
	// and Protected the protected contacts' (protection.go).
	Rules     int64 `firestore:"rules"`
	Protected int64 `firestore:"protected"`
}

type changeDoc struct {
	Version int64  `firestore:"v"`
	Removed bool   `firestore:"removed"`
	ID      string `firestore:"id"`
	Pattern string `firestore:"pattern"`
}

func (d versionDoc) changes() store.NeverLogChanges {
	out := store.NeverLogChanges{Version: d.Version, Since: d.Since, Tombstones: d.Tombstones, Rules: d.Rules, Protected: d.Protected}
	for _, c := range d.Changes {
		out.Changes = append(out.Changes, store.NeverLogChange{Version: c.Version, Removed: c.Removed, ID: c.ID, Pattern: c.Pattern})
	}
	return out
}

func toVersionDoc(c store.NeverLogChanges) versionDoc {
	d := versionDoc{Version: c.Version, Since: c.Since, Changes: []changeDoc{}, Tombstones: c.Tombstones, Rules: c.Rules, Protected: c.Protected}
	for _, ch := range c.Changes {
		d.Changes = append(d.Changes, changeDoc{Version: ch.Version, Removed: ch.Removed, ID: ch.ID, Pattern: ch.Pattern})
	}
	return d
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

// listVersionRef is the document whose version moves with list scope: the
// org's version document, or the user's settings.
func (s *Store) listVersionRef(scope string) *firestore.DocumentRef {
	if scope == "" {
		return s.versionRef()
	}
	return s.c.Collection(colUserSettings).Doc(mustDocID(scope))
}

// NeverLog reads the entries and the list's version in one read-only
// transaction, so they belong to one moment: an edit that commits while
// the entries are read is either in both or in neither.
func (s *Store) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	if scope != "" {
		if _, err := docID("email", scope); err != nil {
			return nil, 0, err
		}
	}
	var out []discreet.NeverLogEntry
	var version int64
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		out, version = nil, 0
		snaps, err := tx.Documents(s.list(scope).Collection(colEntries).OrderBy("pattern", firestore.Asc)).GetAll()
		if err != nil {
			return err
		}
		for _, snap := range snaps {
			var d neverLogDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			out = append(out, d.entry())
		}
		if s.neverLogReadHook != nil {
			s.neverLogReadHook(scope)
		}
		snap, err := tx.Get(s.listVersionRef(scope))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		var v struct {
			Org      int64 `firestore:"version"`
			Personal int64 `firestore:"neverLogVersion"`
		}
		if err := snap.DataTo(&v); err != nil {
			return err
		}
		version = v.Org
		if scope != "" {
			version = v.Personal
		}
		return nil
	}, firestore.ReadOnly)
	if err != nil {
		return nil, 0, wrap(err, "cannot read the Never Log List")
	}
	return out, version, nil
}

func (s *Store) NeverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	snap, err := s.versionRef().Get(ctx)
	if isNotFound(err) {
		return store.NeverLogChanges{}, nil
	}
	if err != nil {
		return store.NeverLogChanges{}, wrap(err, "cannot read the Never Log version")
	}
	var d versionDoc
	if err := snap.DataTo(&d); err != nil {
		return store.NeverLogChanges{}, wrap(err, "cannot read the Never Log version")
	}
	return d.changes(), nil
}

// recordChange moves the version of list scope inside tx: the org's, with
// changes recorded (prev is the version document as tx read it), or the
// user's own. Every write of tx must come after its reads.
func (s *Store) recordChange(tx *firestore.Transaction, scope string, prev *firestore.DocumentSnapshot, changes []store.NeverLogChange) error {
	if scope != "" {
		return tx.Set(s.listVersionRef(scope), map[string]any{"email": scope, "neverLogVersion": firestore.Increment(1)}, firestore.MergeAll)
	}
	var d versionDoc
	if prev != nil && prev.Exists() {
		if err := prev.DataTo(&d); err != nil {
			return err
		}
	}
	next := store.AppendNeverLogChanges(d.changes(), changes)
	next.Tombstones, next.Rules, next.Protected = d.Tombstones, d.Rules, d.Protected // the whole document is rewritten: keep them
	return tx.Set(s.versionRef(), toVersionDoc(next))
}

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
	scope := entries[0].Scope
	if scope != "" {
		if _, err := docID("email", scope); err != nil {
			return err
		}
	}
	seenID, seenPattern := map[string]bool{}, map[string]bool{}
	var refs []*firestore.DocumentRef
	for _, e := range entries {
		if e.Scope != scope {
			return discreet.FieldError("scope", "entries added at once must be on one list")
		}
		if seenPattern[e.Pattern] {
			return discreet.Errorf(discreet.EConflict, "%s is twice in the entries", e.Pattern)
		}
		if seenID[e.ID] {
			return discreet.Errorf(discreet.EConflict, "the entry id %s is twice in the entries", e.ID)
		}
		seenPattern[e.Pattern], seenID[e.ID] = true, true
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
				if uerr := s.undoNeverLog(context.WithoutCancel(ctx), entries[:start], refs[:2*start]); uerr != nil {
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
	scope := entries[0].Scope
	return s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		all := refs[:len(refs):len(refs)]
		if scope == "" {
			all = append(all, s.versionRef()) // a personal edit does not touch the org's
		}
		snaps, err := tx.GetAll(all)
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
		changes := make([]store.NeverLogChange, 0, len(entries))
		for i, e := range entries {
			d := neverLogDoc{ID: e.ID, Scope: e.Scope, Pattern: e.Pattern, Note: e.Note, AddedBy: e.AddedBy, AddedAt: ts(e.AddedAt)}
			if err := tx.Create(refs[2*i], d); err != nil {
				return err
			}
			if err := tx.Create(refs[2*i+1], patternDoc{Pattern: e.Pattern, EntryID: e.ID}); err != nil {
				return err
			}
			changes = append(changes, store.NeverLogChange{ID: e.ID, Pattern: e.Pattern})
		}
		var prev *firestore.DocumentSnapshot
		if scope == "" {
			prev = snaps[len(snaps)-1]
		}
		return s.recordChange(tx, scope, prev, changes)
	})
}

// undoNeverLog deletes the entries an interrupted import added (refs:
// entry and pattern document of each), recording their removal, so every
// instance drops them too.
func (s *Store) undoNeverLog(ctx context.Context, entries []discreet.NeverLogEntry, refs []*firestore.DocumentRef) error {
	scope := entries[0].Scope
	for start := 0; start < len(entries); start += neverLogChunk {
		end := min(start+neverLogChunk, len(entries))
		err := s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			var prev *firestore.DocumentSnapshot
			if scope == "" {
				var err error
				if prev, err = tx.Get(s.versionRef()); err != nil && !isNotFound(err) {
					return err
				}
			}
			var changes []store.NeverLogChange
			for i := start; i < end; i++ {
				if err := tx.Delete(refs[2*i]); err != nil {
					return err
				}
				if err := tx.Delete(refs[2*i+1]); err != nil {
					return err
				}
				changes = append(changes, store.NeverLogChange{Removed: true, ID: entries[i].ID, Pattern: entries[i].Pattern})
			}
			return s.recordChange(tx, scope, prev, changes)
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
		refs := []*firestore.DocumentRef{ref}
		if scope == "" {
			refs = append(refs, s.versionRef())
		}
		snaps, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		if !snaps[0].Exists() {
			return notFound("Never Log entry")
		}
		if err := snaps[0].DataTo(&d); err != nil {
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
		var prev *firestore.DocumentSnapshot
		if scope == "" {
			prev = snaps[1]
		}
		return s.recordChange(tx, scope, prev, []store.NeverLogChange{{Removed: true, ID: d.ID, Pattern: d.Pattern}})
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
	d, err := getDoc[neverLogDoc](ctx, ref, "Never Log entry")
	if err != nil {
		return discreet.NeverLogEntry{}, err
	}
	return d.entry(), nil
}
