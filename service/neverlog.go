package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

const (
	// MaxImportLines bounds one import.
	MaxImportLines = 100_000
	// maxLineErrors bounds the line errors one rejected import reports.
	maxLineErrors = 1000
	// maxNoteLen bounds an entry's note.
	maxNoteLen = 500
	// purgeBatch is how many emails one purge transaction deletes.
	purgeBatch = 100
	// maxCheckAddresses bounds one CheckNeverLog call.
	maxCheckAddresses = 500
)

// compiledList is one Never Log List ready to match, with the stored entry
// of each canonical pattern so decisions can name the entry id.
type compiledList struct {
	list      *policy.NeverLogList
	byPattern map[string]discreet.NeverLogEntry
	// spellings says two stored entries share a canonical pattern: one
	// stored under older rules (a local part before NFC) and one since.
	// byPattern then holds one of them, so the list cannot be advanced
	// from its changes (nextOrgList).
	spellings bool
}

// canonicalPattern is a stored pattern as compile keys it; a pattern
// stored under older rules may be spelled otherwise. ok is false when it
// no longer parses (compile skips it).
func canonicalPattern(stored string) (string, bool) {
	pe, err := policy.ParseEntry(stored)
	if err != nil {
		return stored, false
	}
	return pe.String(), true
}

// stored is the stored entry of a compiled one.
func (c compiledList) stored(e policy.Entry) discreet.NeverLogEntry {
	stored, ok := c.byPattern[e.String()]
	if !ok {
		stored = discreet.NeverLogEntry{Pattern: e.String()}
	}
	return stored
}

// blocked is policy.MatchNeverLog of participants with the matched entry
// as stored: the one matcher every use case asks.
func blocked(org, personal compiledList, ps []policy.Participant) (policy.NeverLogMatch, discreet.NeverLogEntry, bool) {
	m, ok := policy.MatchNeverLog(org.list, personal.list, ps)
	if !ok {
		return m, discreet.NeverLogEntry{}, false
	}
	if m.List == "personal" {
		return m, personal.stored(m.Entry), true
	}
	return m, org.stored(m.Entry), true
}

// The Never Log cache. What an instance keeps, and why instances never
// disagree about it (store/firestore/doc.go lists every cache):
//
//   - The org list, compiled at some version (base). Every decision reads
//     the org's version document (store.NeverLogVersion: one small read)
//     after it starts, so it knows the newest version of the list. When
//     base is older, the document's recorded changes since base are
//     applied as an overlay at once: additions are matched as a small
//     list of their own, and a match on an entry removed since is decided
//     again on the exact list. A background advance (one at a time, its
//     own deadline, no lock held while it works) compiles the exact list
//     meanwhile, from base and the changes when they reach back far
//     enough (and touch no pattern two stored entries spell: one kept
//     under older rules, one since), else from one consistent read of the
//     whole list. Only an
//     instance further behind than the changes reach (more than
//     store.NeverLogRecent changes, e.g. a large import) makes decisions
//     wait for that read, and fails them if it cannot finish.
//   - Personal lists, compiled per user at the version their settings
//     document carries; decisions read that document anyway, and a
//     personal change moves only that user's version.
//
// So a decision matches against the lists exactly as they were at some
// moment after it started: every edit acknowledged before is in them.

const (
	// neverLogReloadTimeout bounds one background advance of the org list.
	neverLogReloadTimeout = 30 * time.Second
	// maxPersonalCached bounds the compiled personal lists kept.
	maxPersonalCached = 10_000
)

var emptyList = compiledList{list: policy.Compile(nil), byPattern: map[string]discreet.NeverLogEntry{}}

// orgList is the org's list compiled at one version.
type orgList struct {
	compiledList
	version int64
}

// orgView is what one decision matches against: base, and when the store
// is ahead of it, the changes since (up to head.Version).
type orgView struct {
	base    *orgList
	head    store.NeverLogChanges
	added   compiledList    // entries added since base and still listed
	removed map[string]bool // patterns of base removed since
}

// pending reports whether the view is base plus an overlay.
func (v *orgView) pending() bool { return v.base.version < v.head.Version }

type personalList struct {
	compiledList
	version int64
}

// neverLogCache is the instance's compiled lists; see above.
type neverLogCache struct {
	mu sync.Mutex
	// base is the newest compiled org list; nil before the first load.
	base *orgList
	// overlay memoizes the last view with changes, for its base and head.
	overlay *orgView
	// want is the newest version decisions have seen; advancing is open
	// while a background advance works towards it, and err is how the
	// last one ended.
	want      store.NeverLogChanges
	advancing chan struct{}
	err       error
	personal  map[string]personalList
}

// orgNeverLog returns the org list as it is now: one read of the version
// document, and the compiled list with what changed since.
func (s *Service) orgNeverLog(ctx context.Context) (*orgView, error) {
	head, err := s.store.NeverLogVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.neverLog
	c.mu.Lock()
	b := c.base
	switch {
	case b != nil && b.version >= head.Version:
		c.mu.Unlock()
		return &orgView{base: b, head: head}, nil
	case b != nil && head.Covers(b.version):
		v := c.overlayOf(s, b, head)
		s.advanceLocked(head)
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	// Further behind than the recorded changes reach, or nothing loaded
	// yet: no list at hand is known to be current, so wait (fail closed).
	b, err = s.waitNeverLog(ctx, head)
	if err != nil {
		return nil, err
	}
	return &orgView{base: b, head: head}, nil
}

// overlayOf is the view of base with head's changes since; c.mu is held.
func (c *neverLogCache) overlayOf(s *Service, b *orgList, head store.NeverLogChanges) *orgView {
	if o := c.overlay; o != nil && o.base == b && o.head.Version == head.Version {
		return o
	}
	last := map[string]store.NeverLogChange{}
	var order []string
	for _, ch := range head.Changes {
		if ch.Version <= b.version {
			continue
		}
		if _, seen := last[ch.Pattern]; !seen {
			order = append(order, ch.Pattern)
		}
		last[ch.Pattern] = ch
	}
	v := &orgView{base: b, head: head, removed: map[string]bool{}}
	var added []discreet.NeverLogEntry
	for _, p := range order {
		ch := last[p]
		canonical, _ := canonicalPattern(p)
		had, inBase := b.byPattern[canonical]
		switch {
		case ch.Removed && inBase:
			// Decided again on the exact list, which knows whether another
			// spelling of the entry is still listed.
			v.removed[canonical] = true
		case !ch.Removed && (!inBase || had.ID != ch.ID):
			added = append(added, discreet.NeverLogEntry{ID: ch.ID, Pattern: p})
		}
	}
	v.added = s.compile("", added)
	c.overlay = v
	return v
}

// advanceLocked makes sure a background advance works towards head;
// c.mu is held. It returns the channel closed when that advance ends.
func (s *Service) advanceLocked(head store.NeverLogChanges) chan struct{} {
	c := &s.neverLog
	if head.Version > c.want.Version {
		c.want = head
	}
	if c.advancing != nil {
		return c.advancing
	}
	done := make(chan struct{})
	c.advancing = done
	go func() {
		// Its own deadline: no request waits for it unless it must, and
		// none may cut it short for the others.
		ctx, cancel := context.WithTimeout(context.Background(), neverLogReloadTimeout)
		defer cancel()
		var err error
		for attempt := 0; ; attempt++ {
			c.mu.Lock()
			b, want := c.base, c.want
			if b != nil && b.version >= want.Version {
				err = nil
			} else if err == nil && attempt == 4 {
				err = discreet.Errorf(discreet.EUnavailable, "the Never Log List keeps changing")
			}
			if err != nil || (b != nil && b.version >= want.Version) {
				c.err, c.advancing = err, nil
				close(done)
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			var next *orgList
			if next, err = s.nextOrgList(ctx, b, want); err == nil {
				c.mu.Lock()
				if c.base == nil || next.version > c.base.version {
					c.base, c.overlay = next, nil
				}
				c.mu.Unlock()
			}
		}
	}()
	return done
}

// nextOrgList compiles the org list at want's version or later: from b and
// the recorded changes when they reach back to b, else from one
// consistent read of the whole list.
func (s *Service) nextOrgList(ctx context.Context, b *orgList, want store.NeverLogChanges) (*orgList, error) {
	if hook := s.hooks.advance.Load(); hook != nil {
		(*hook)()
	}
	if b != nil && want.Covers(b.version) && !b.spellings {
		if next, ok := s.advanceOrgList(b, want); ok {
			return next, nil
		}
	}
	entries, v, err := s.store.NeverLog(ctx, "")
	if err != nil {
		s.log.WarnContext(ctx, "cannot reload the Never Log List", "err", err)
		return nil, err
	}
	return &orgList{compiledList: s.compile("", entries), version: v}, nil
}

// advanceOrgList is b with want's changes since applied, keyed as compile
// keys them; not ok when a change touches a pattern another stored entry
// also spells (two entries, one canonical key): only a read of the list
// tells what is left then.
func (s *Service) advanceOrgList(b *orgList, want store.NeverLogChanges) (*orgList, bool) {
	byPattern := maps.Clone(b.byPattern)
	for _, ch := range want.Changes {
		if ch.Version <= b.version {
			continue
		}
		canonical, ok := canonicalPattern(ch.Pattern)
		if !ok {
			continue // compile skips it, listed or not
		}
		had, listed := byPattern[canonical]
		switch {
		case listed && had.ID != ch.ID:
			return nil, false
		case ch.Removed:
			delete(byPattern, canonical)
		default:
			byPattern[canonical] = discreet.NeverLogEntry{ID: ch.ID, Pattern: ch.Pattern}
		}
	}
	return &orgList{compiledList: s.compile("", slices.Collect(maps.Values(byPattern))), version: want.Version}, true
}

// waitNeverLog waits until the compiled org list is at head's version or
// later, and returns it; an error when the store cannot be read in time.
func (s *Service) waitNeverLog(ctx context.Context, head store.NeverLogChanges) (*orgList, error) {
	c := &s.neverLog
	for range 3 {
		c.mu.Lock()
		if b := c.base; b != nil && b.version >= head.Version {
			c.mu.Unlock()
			return b, nil
		}
		done := s.advanceLocked(head)
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, discreet.Wrap(ctx.Err(), discreet.EUnavailable, "the Never Log List could not be read in time; nothing was logged")
		}
		c.mu.Lock()
		b, err := c.base, c.err
		c.mu.Unlock()
		if b != nil && b.version >= head.Version {
			return b, nil
		}
		if err != nil {
			return nil, discreet.Wrap(err, discreet.EUnavailable, "the Never Log List could not be read; nothing was logged")
		}
	}
	return nil, discreet.Errorf(discreet.EUnavailable, "the Never Log List keeps changing; try again")
}

// decideNeverLog is policy.Decide on the org view: additions since the
// compiled list first, then the compiled list with the personal one; a
// match on an entry removed since is decided again on the exact list. It
// returns the org list the decision's entry comes from.
func (s *Service) decideNeverLog(ctx context.Context, v *orgView, in policy.Input) (discreet.Decision, compiledList, error) {
	if v.added.list.Len() > 0 {
		only := in
		only.Org, only.Personal = v.added.list, emptyList.list
		if d := policy.Decide(only); d.Reason == discreet.ReasonNeverLogList {
			return d, v.added, nil
		}
	}
	in.Org = v.base.list
	d := policy.Decide(in)
	if d.Reason == discreet.ReasonNeverLogList && d.List == "org" && v.removed[d.Entry] {
		b, err := s.waitNeverLog(ctx, v.head)
		if err != nil {
			return discreet.Decision{}, compiledList{}, err
		}
		in.Org = b.list
		return policy.Decide(in), b.compiledList, nil
	}
	return d, v.base.compiledList, nil
}

// exactOrgNeverLog is the org list exactly as it is now, for checks that
// match one address at a time: waiting, when changes are pending, for the
// background advance (CPU only while the changes reach back).
func (s *Service) exactOrgNeverLog(ctx context.Context) (compiledList, error) {
	v, err := s.orgNeverLog(ctx)
	if err != nil {
		return compiledList{}, err
	}
	if !v.pending() {
		return v.base.compiledList, nil
	}
	b, err := s.waitNeverLog(ctx, v.head)
	if err != nil {
		return compiledList{}, err
	}
	return b.compiledList, nil
}

// personalNeverLog is user's personal list at version (from the settings
// the caller just read) or later.
func (s *Service) personalNeverLog(ctx context.Context, user string, version int64) (compiledList, error) {
	if user == "" {
		return emptyList, nil
	}
	c := &s.neverLog
	c.mu.Lock()
	p, ok := c.personal[user]
	c.mu.Unlock()
	if ok && p.version >= version {
		return p.compiledList, nil
	}
	entries, v, err := s.store.NeverLog(ctx, user)
	if err != nil {
		return compiledList{}, err
	}
	if v < version {
		return compiledList{}, discreet.Errorf(discreet.EUnavailable, "your Never Log List could not be read as it is now; try again")
	}
	p = personalList{compiledList: s.compile(user, entries), version: v}
	c.mu.Lock()
	if c.personal == nil {
		c.personal = map[string]personalList{}
	}
	if old, ok := c.personal[user]; !ok || old.version < v {
		if !ok && len(c.personal) >= maxPersonalCached {
			for k := range c.personal { // forget one at random
				delete(c.personal, k)
				break
			}
		}
		c.personal[user] = p
	}
	c.mu.Unlock()
	return p.compiledList, nil
}

func (s *Service) compile(scope string, entries []discreet.NeverLogEntry) compiledList {
	parsed := make([]policy.Entry, 0, len(entries))
	byPattern := make(map[string]discreet.NeverLogEntry, len(entries))
	spellings := false
	for _, e := range entries {
		pe, err := policy.ParseEntry(e.Pattern)
		if err != nil {
			s.log.Warn("skipping a stored Never Log entry that no longer parses", "scope", scope, "id", e.ID, "pattern", e.Pattern, "err", err)
			continue
		}
		parsed = append(parsed, pe)
		if had, dup := byPattern[pe.String()]; dup && had.ID != e.ID {
			spellings = true
		}
		byPattern[pe.String()] = e
	}
	return compiledList{list: policy.Compile(parsed), byPattern: byPattern, spellings: spellings}
}

// matchOf is the store's selector for the emails an entry covers: the keys
// policy.EmailIndexKeys gives every email the entry blocks, and the
// spellings an index written by older rules may hold. stored is the pattern
// as the list keeps it.
func matchOf(e policy.Entry, stored string) store.Match {
	addr, spellings, domain := policy.EntryKeys(e, stored)
	return store.Match{Address: addr, Spellings: spellings, Domain: domain}
}

const neverLogCursorScope = "never-log"

// NeverLog lists the org's Never Log List, paged (admin).
func (s *Service) NeverLog(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.NeverLogEntry], error) {
	if err := requireAdmin(actor, "read the Never Log List"); err != nil {
		return Page[discreet.NeverLogEntry]{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return Page[discreet.NeverLogEntry]{}, err
	}
	after := ""
	if cursor != "" {
		if after, err = store.DecodeCursor(cursor, neverLogCursorScope); err != nil {
			return Page[discreet.NeverLogEntry]{}, err
		}
	}
	entries, err := s.orgEntries(ctx)
	if err != nil {
		return Page[discreet.NeverLogEntry]{}, err
	}
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(entries, after, func(e discreet.NeverLogEntry, p string) int { return strings.Compare(e.Pattern, p) })
		if start < len(entries) && entries[start].Pattern == after {
			start++
		}
	}
	end := min(start+limit, len(entries))
	p := Page[discreet.NeverLogEntry]{Items: slices.Clip(entries[start:end])}
	if end < len(entries) {
		p.Next = store.EncodeCursor(neverLogCursorScope, entries[end-1].Pattern)
	}
	return p, nil
}

// orgEntries is the org's list ordered by pattern.
func (s *Service) orgEntries(ctx context.Context) ([]discreet.NeverLogEntry, error) {
	entries, _, err := s.store.NeverLog(ctx, "")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b discreet.NeverLogEntry) int { return strings.Compare(a.Pattern, b.Pattern) })
	if entries == nil {
		entries = []discreet.NeverLogEntry{}
	}
	return entries, nil
}

// AddNeverLog adds a pattern to the org's list (admin), reports how many
// logged emails it covers and, when asked, starts the job that purges them.
func (s *Service) AddNeverLog(ctx context.Context, actor discreet.User, req AddNeverLogRequest) (NeverLogAdded, error) {
	if err := requireAdmin(actor, "change the Never Log List"); err != nil {
		return NeverLogAdded{}, err
	}
	pe, err := policy.ParseEntry(req.Pattern)
	if err != nil {
		return NeverLogAdded{}, discreet.FieldError("pattern", "%s", discreet.ErrorMessage(err))
	}
	note := strings.TrimSpace(req.Note)
	if len(note) > maxNoteLen {
		return NeverLogAdded{}, discreet.FieldError("note", "at most %d bytes", maxNoteLen)
	}
	e := discreet.NeverLogEntry{ID: s.cfg.NewID(), Pattern: pe.String(), Note: note, AddedBy: actor.Email, AddedAt: s.now()}
	err = s.store.AddNeverLog(ctx, []discreet.NeverLogEntry{e})
	if discreet.ErrorCode(err) == discreet.EConflict {
		return NeverLogAdded{}, discreet.Wrap(err, discreet.EConflict, "%s is already on the Never Log List", e.Pattern)
	}
	if err != nil {
		return NeverLogAdded{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogAdd, Target: e.Pattern,
		Detail: map[string]string{"list": "org", "entryId": e.ID}}); err != nil {
		return NeverLogAdded{}, err
	}
	out := NeverLogAdded{Entry: e}
	if out.Matching, err = s.store.CountMatching(ctx, matchOf(pe, e.Pattern)); err != nil {
		return NeverLogAdded{}, err
	}
	if req.PurgeExisting {
		job, err := s.startPurge(ctx, actor, e, out.Matching)
		if err != nil {
			return NeverLogAdded{}, err
		}
		out.Purge = &job
	}
	return out, nil
}

// RemoveNeverLog removes an entry from the org's list (admin).
func (s *Service) RemoveNeverLog(ctx context.Context, actor discreet.User, id string) error {
	if err := requireAdmin(actor, "change the Never Log List"); err != nil {
		return err
	}
	e, err := s.store.DeleteNeverLog(ctx, "", id)
	if isNotFound(err) {
		return discreet.Errorf(discreet.ENotFound, "there is no Never Log entry %q", id)
	}
	if err != nil {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogRemove, Target: e.Pattern,
		Detail: map[string]string{"list": "org", "entryId": e.ID}})
}

// ImportNeverLog adds one pattern per line ('#' comments, blank lines and a
// "pattern[,note]" CSV form allowed), all or nothing (admin): every line
// is checked first, and one bad line adds nothing. More than syncImportMax
// new entries are added by a job.
func (s *Service) ImportNeverLog(ctx context.Context, actor discreet.User, text string) (ImportResult, error) {
	if err := requireAdmin(actor, "change the Never Log List"); err != nil {
		return ImportResult{}, err
	}
	// A final line end ends the last line; it does not start another.
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, "\ufeff"), "\n"), "\n")
	if len(lines) > MaxImportLines {
		return ImportResult{}, discreet.Errorf(discreet.ETooLarge, "an import may have at most %d lines; split the file", MaxImportLines)
	}
	existing, err := s.orgEntries(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	seen := make(map[string]bool, len(existing))
	for _, e := range existing {
		seen[e.Pattern] = true
	}
	var (
		res     ImportResult
		bad     []LineError
		nbad    int
		add     []discreet.NeverLogEntry
		now     = s.now()
		started bool
	)
	for i, line := range lines {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pattern, note, err := importLine(line)
		if err == nil && !started && strings.EqualFold(pattern, "pattern") {
			started = true // the header row of our own export
			continue
		}
		started = true
		var pe policy.Entry
		if err == nil {
			pe, err = policy.ParseEntry(pattern)
		}
		if err == nil && len(note) > maxNoteLen {
			err = discreet.Errorf(discreet.EInvalid, "the note is longer than %d bytes", maxNoteLen)
		}
		if err != nil {
			if nbad++; len(bad) < maxLineErrors {
				bad = append(bad, LineError{Line: i + 1, Text: truncate(line, 200), Message: discreet.ErrorMessage(err)})
			}
			continue
		}
		p := pe.String()
		if seen[p] {
			res.Duplicates++
			continue
		}
		seen[p] = true
		add = append(add, discreet.NeverLogEntry{ID: s.cfg.NewID(), Pattern: p, Note: note, AddedBy: actor.Email, AddedAt: now})
	}
	if nbad > 0 {
		err := discreet.Errorf(discreet.EInvalid, "%s; nothing was imported", lineErrorSummary(bad, nbad))
		err.Details = bad
		return ImportResult{Errors: bad}, err
	}
	if len(add) > syncImportMax {
		job, err := s.startImport(ctx, actor, add, res.Duplicates)
		if err != nil {
			return ImportResult{}, err
		}
		res.Job = &job
		return res, nil
	}
	if len(add) > 0 {
		err := s.store.AddNeverLog(ctx, add)
		if discreet.ErrorCode(err) == discreet.EConflict {
			return ImportResult{}, discreet.Wrap(err, discreet.EConflict, "the list changed during the import; nothing was imported, try again")
		}
		if err != nil {
			return ImportResult{}, err
		}
	}
	res.Added = len(add)
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditNeverLogImport, Count: res.Added,
		Detail: map[string]string{"list": "org", "duplicates": strconv.Itoa(res.Duplicates)}}); err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// importLine reads one non-comment line: a bare pattern, or CSV
// "pattern,note[,…]" (further columns, as in an export, are ignored).
func importLine(line string) (pattern, note string, err error) {
	if !strings.ContainsAny(line, ",\"") {
		return restoreCell(line), "", nil
	}
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rec, err := r.Read()
	if err != nil || len(rec) == 0 {
		if _, perr := policy.ParseEntry(line); perr == nil { // e.g. "Keller, Beat" <beat@…>
			return line, "", nil
		}
		return "", "", discreet.Errorf(discreet.EInvalid, "the line is neither a pattern nor CSV \"pattern,note\"")
	}
	pattern = restoreCell(strings.TrimSpace(rec[0]))
	if len(rec) > 1 {
		note = restoreCell(strings.TrimSpace(rec[1]))
	}
	return pattern, note, nil
}

// ExportNeverLog returns the whole org list (admin).
func (s *Service) ExportNeverLog(ctx context.Context, actor discreet.User) ([]discreet.NeverLogEntry, error) {
	if err := requireAdmin(actor, "export the Never Log List"); err != nil {
		return nil, err
	}
	return s.orgEntries(ctx)
}

// ExportNeverLogCSV writes entries as the CSV an import reads back:
// a header row, then pattern,note,addedBy,addedAt. A cell a spreadsheet
// would run as a formula starts with ' (neutralizeCell), which the import
// takes off.
func ExportNeverLogCSV(entries []discreet.NeverLogEntry) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"pattern", "note", "addedBy", "addedAt"})
	for _, e := range entries {
		rest := []string{neutralizeCell(e.Note), neutralizeCell(e.AddedBy), e.AddedAt.UTC().Format(time.RFC3339)}
		if strings.HasPrefix(e.Pattern, "#") {
			// A line starting with '#' is a comment to the import; quoted,
			// the pattern (a legal local part) survives the round trip.
			w.Flush()
			b.WriteString(`"` + strings.ReplaceAll(e.Pattern, `"`, `""`) + `",`)
			_ = w.Write(rest)
			continue
		}
		_ = w.Write(append([]string{neutralizeCell(e.Pattern)}, rest...))
	}
	w.Flush()
	return b.Bytes()
}

// CheckNeverLog says, per address, whether the org's or the caller's own
// list blocks it (any user).
func (s *Service) CheckNeverLog(ctx context.Context, actor discreet.User, addresses []string) ([]CheckResult, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	if len(addresses) > maxCheckAddresses {
		return nil, discreet.FieldError("addresses", "at most %d addresses at a time", maxCheckAddresses)
	}
	org, err := s.exactOrgNeverLog(ctx)
	if err != nil {
		return nil, err
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return nil, err
	}
	personal, err := s.personalNeverLog(ctx, actor.Email, us.NeverLogVersion)
	if err != nil {
		return nil, err
	}
	out := make([]CheckResult, 0, len(addresses))
	for _, a := range addresses {
		out = append(out, check(a, org, personal))
	}
	return out, nil
}

// check is the Never Log check of one address as a user typed it: read as
// a participant is, matched by the one matcher. Text that does not read as
// an address is still matched by its lenient keys, so
// "lisa@(c)hr-partner.example" or "lisa@mail_gw.hr-partner.example" is
// blocked, not "not an email address".
func check(a string, org, personal compiledList) CheckResult {
	r := CheckResult{Address: a}
	ps := policy.ParseAddressList("to", a)
	if m, e, ok := blocked(org, personal, ps); ok {
		r.Blocked, r.Normalized, r.Entry, r.EntryID, r.List = true, m.Key, e.Pattern, e.ID, m.List
		return r
	}
	if len(ps) == 1 && ps[0].Address != "" {
		r.Normalized = ps[0].Address
		return r
	}
	_, err := policy.NormalizeAddress(a)
	unreadable := len(ps) == 1 && ps[0].Unreadable
	switch {
	case err != nil && unreadable:
		r.Error = err.Error() + "; it cannot be checked against the Never Log List"
	case err != nil:
		r.Error = err.Error() // says precisely what is wrong
	case len(ps) > 1:
		r.Error = fmt.Sprintf("%q holds %d addresses; check one at a time", a, len(ps))
	case len(ps) == 1 && ps[0].Err != nil:
		r.Error = ps[0].Err.Error()
	default:
		r.Error = fmt.Sprintf("%q is not an email address", a)
	}
	return r
}

// PurgeNeverLog counts (dryRun) the logged emails an org entry covers, or
// starts the job that deletes them and audits the purge (admin).
func (s *Service) PurgeNeverLog(ctx context.Context, actor discreet.User, id string, dryRun bool) (PurgeResult, error) {
	if err := requireAdmin(actor, "purge logged emails"); err != nil {
		return PurgeResult{}, err
	}
	e, err := s.store.NeverLogEntry(ctx, "", id)
	if isNotFound(err) {
		return PurgeResult{}, discreet.Errorf(discreet.ENotFound, "there is no Never Log entry %q", id)
	}
	if err != nil {
		return PurgeResult{}, err
	}
	pe, err := policy.ParseEntry(e.Pattern)
	if err != nil {
		return PurgeResult{}, discreet.Wrap(err, discreet.EInvalid, "the stored pattern %q no longer parses; remove it and add it again", e.Pattern)
	}
	res := PurgeResult{Entry: e, DryRun: dryRun}
	if res.Matching, err = s.store.CountMatching(ctx, matchOf(pe, e.Pattern)); err != nil {
		return PurgeResult{}, err
	}
	if dryRun {
		return res, nil
	}
	job, err := s.startPurge(ctx, actor, e, res.Matching)
	if err != nil {
		return PurgeResult{}, err
	}
	res.Job = &job
	return res, nil
}
