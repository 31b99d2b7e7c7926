package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
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
	// neverLogRecheck is how long a compiled list is trusted before the
	// store's version counter is asked again.
	neverLogRecheck = time.Second
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

// neverLogCache holds the compiled org list and the personal lists asked for
// so far, all at one store version. It rechecks the version at most once per
// neverLogRecheck, and at once after this instance's own writes.
type neverLogCache struct {
	mu       sync.Mutex
	loaded   bool
	version  int64
	checked  time.Time // wall clock, not Config.Now: tests freeze that one
	org      compiledList
	personal map[string]compiledList
}

func (c *neverLogCache) invalidate() {
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}

// neverLogLists returns the org's compiled list and user's personal one
// (empty when user is "").
func (s *Service) neverLogLists(ctx context.Context, user string) (org, personal compiledList, err error) {
	c := &s.neverLog
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && time.Since(c.checked) >= neverLogRecheck {
		v, err := s.store.NeverLogVersion(ctx)
		if err != nil {
			return compiledList{}, compiledList{}, err
		}
		c.checked = time.Now()
		if v != c.version {
			c.loaded = false
		}
	}
	if !c.loaded {
		entries, v, err := s.store.NeverLog(ctx, "")
		if err != nil {
			return compiledList{}, compiledList{}, err
		}
		c.org = s.compile("", entries)
		c.version, c.checked, c.loaded = v, time.Now(), true
		c.personal = map[string]compiledList{}
	}
	if user == "" {
		return c.org, compiledList{list: policy.Compile(nil)}, nil
	}
	p, ok := c.personal[user]
	if !ok {
		entries, v, err := s.store.NeverLog(ctx, user)
		if err != nil {
			return compiledList{}, compiledList{}, err
		}
		p = s.compile(user, entries)
		if v == c.version { // a newer list is used once but not mixed into the cache
			c.personal[user] = p
		}
	}
	return c.org, p, nil
}

func (s *Service) compile(scope string, entries []discreet.NeverLogEntry) compiledList {
	parsed := make([]policy.Entry, 0, len(entries))
	byPattern := make(map[string]discreet.NeverLogEntry, len(entries))
	for _, e := range entries {
		pe, err := policy.ParseEntry(e.Pattern)
		if err != nil {
			s.log.Warn("skipping a stored Never Log entry that no longer parses", "scope", scope, "id", e.ID, "pattern", e.Pattern, "err", err)
			continue
		}
		parsed = append(parsed, pe)
		byPattern[pe.String()] = e
	}
	return compiledList{list: policy.Compile(parsed), byPattern: byPattern}
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
// logged emails it covers and purges them when asked.
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
	s.neverLog.invalidate()
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
		rep, err := s.purge(ctx, actor, e, pe)
		if err != nil {
			return NeverLogAdded{}, err
		}
		out.Purged = &rep
	}
	return out, nil
}

// purge deletes the emails entry covers and audits how many.
func (s *Service) purge(ctx context.Context, actor discreet.User, e discreet.NeverLogEntry, pe policy.Entry) (store.PurgeReport, error) {
	rep, err := s.store.PurgeMatching(ctx, matchOf(pe, e.Pattern), purgeBatch)
	if err != nil {
		// Part may be gone already: say so in the log; a rerun resumes.
		s.log.ErrorContext(ctx, "purge failed", "pattern", e.Pattern, "deleted", rep.Deleted, "err", err)
		if rep.Deleted > 0 {
			_ = s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditPurge, Target: e.Pattern, Count: rep.Deleted,
				Detail: map[string]string{"entryId": e.ID, "interrupted": "true"}})
		}
		return store.PurgeReport{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditPurge, Target: e.Pattern, Count: rep.Deleted,
		Detail: map[string]string{"entryId": e.ID}}); err != nil {
		return store.PurgeReport{}, err
	}
	return rep, nil
}

// RemoveNeverLog removes an entry from the org's list (admin).
func (s *Service) RemoveNeverLog(ctx context.Context, actor discreet.User, id string) error {
	if err := requireAdmin(actor, "change the Never Log List"); err != nil {
		return err
	}
	e, err := s.store.DeleteNeverLog(ctx, "", id)
	s.neverLog.invalidate()
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
// "pattern[,note]" CSV form allowed), all or nothing (admin).
func (s *Service) ImportNeverLog(ctx context.Context, actor discreet.User, text string) (ImportResult, error) {
	if err := requireAdmin(actor, "change the Never Log List"); err != nil {
		return ImportResult{}, err
	}
	lines := strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n")
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
	if len(add) > 0 {
		err := s.store.AddNeverLog(ctx, add)
		s.neverLog.invalidate()
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
		return line, "", nil
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
	pattern = strings.TrimSpace(rec[0])
	if len(rec) > 1 {
		note = strings.TrimSpace(rec[1])
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
// a header row, then pattern,note,addedBy,addedAt.
func ExportNeverLogCSV(entries []discreet.NeverLogEntry) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"pattern", "note", "addedBy", "addedAt"})
	for _, e := range entries {
		if strings.HasPrefix(e.Pattern, "#") {
			// A line starting with '#' is a comment to the import; quoted,
			// the pattern (a legal local part) survives the round trip.
			w.Flush()
			b.WriteString(`"` + strings.ReplaceAll(e.Pattern, `"`, `""`) + `",`)
			_ = w.Write([]string{e.Note, e.AddedBy, e.AddedAt.UTC().Format(time.RFC3339)})
			continue
		}
		_ = w.Write([]string{e.Pattern, e.Note, e.AddedBy, e.AddedAt.UTC().Format(time.RFC3339)})
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
	org, personal, err := s.neverLogLists(ctx, actor.Email)
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

// PurgeNeverLog counts (dryRun) or deletes the logged emails an org entry
// covers, and audits the purge (admin).
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
	rep, err := s.purge(ctx, actor, e, pe)
	if err != nil {
		return PurgeResult{}, err
	}
	res.Deleted = rep.Deleted
	return res, nil
}
