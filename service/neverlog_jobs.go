package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// The Never Log List's long work: purges and large imports.

// purgeParams is what a purge job is given.
type purgeParams struct {
	EntryID string `json:"entryId"`
	Pattern string `json:"pattern"`
	// SecondPassAt is when every decision made on the list before the entry
	// took effect has committed; the second pass purges what they logged.
	SecondPassAt time.Time `json:"secondPassAt"`
}

// purgeCheckpoint: Pass 1 purges what is logged, pass 2 (from
// SecondPassAt) what requests in flight logged meanwhile, pass 3 audits.
type purgeCheckpoint struct {
	Pass    int `json:"pass"`
	Deleted int `json:"deleted"`
}

type purgeReport struct {
	Pattern string `json:"pattern"`
	Deleted int    `json:"deleted"`
}

// startPurge starts the job that purges the logged emails e covers
// (matching of them now).
func (s *Service) startPurge(ctx context.Context, actor discreet.User, e discreet.NeverLogEntry, matching int) (JobView, error) {
	// The entry took effect when it was added, or at the latest now; a
	// decision that read the list before then commits within the window.
	tookEffect := s.now()
	if t := e.AddedAt.Add(s.decisionWindow); t.Before(tookEffect) {
		tookEffect = t // added long ago: its adding request ended within the window
	}
	return s.startJob(ctx, actor, JobPurge, purgeParams{EntryID: e.ID, Pattern: e.Pattern, SecondPassAt: tookEffect.Add(s.decisionWindow)},
		purgeReport{Pattern: e.Pattern}, matching, nil)
}

func (s *Service) purgeStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p purgeParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the purge job's parameters cannot be read")
	}
	pe, err := policy.ParseEntry(p.Pattern)
	if err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the pattern %q no longer parses", p.Pattern)
	}
	var cp purgeCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the purge job's checkpoint cannot be read")
		}
	}
	if cp.Pass == 0 {
		cp.Pass = 1
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(purgeReport{Pattern: p.Pattern, Deleted: cp.Deleted})
		j.Done, j.Total = cp.Deleted, max(j.Total, cp.Deleted)
	}()
	if cp.Pass >= 3 {
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: discreet.AuditPurge, Target: p.Pattern, Count: cp.Deleted,
			Detail: map[string]string{"entryId": p.EntryID, "job": j.ID}})
		return stepNext{finished: err == nil}, err
	}
	return s.purgePass(ctx, matchOf(pe, p.Pattern), purgeBatch, &cp.Pass, &cp.Deleted, p.SecondPassAt)
}

// purgePass runs pass *pass (1 or 2) of a purge of m, adding what it
// deleted to *deleted: the second waits until secondAt, when every decision
// made before the change that started the purge has landed.
func (s *Service) purgePass(ctx context.Context, m store.Match, batch int, pass, deleted *int, secondAt time.Time) (stepNext, error) {
	if *pass == 2 && s.now().Before(secondAt) {
		return stepNext{wait: secondAt}, nil
	}
	rep, err := s.store.PurgeMatching(ctx, m, batch)
	*deleted += rep.Deleted
	if err != nil {
		if ctx.Err() != nil {
			return stepNext{}, nil // this step's time is up: the next resumes
		}
		return stepNext{}, err
	}
	*pass++
	if *pass == 2 {
		return stepNext{wait: secondAt}, nil
	}
	return stepNext{}, nil
}

const (
	// syncImportMax is the most new entries an import adds at once; a
	// larger one is a job. At most this many, every instance catches up
	// from the recorded changes (store.NeverLogRecent) without re-reading
	// the list.
	syncImportMax = 200
	// importBatch is how many entries one import step adds (one version).
	importBatch = syncImportMax
	// importPartEntries is how many entries one input part holds: a
	// multiple of importBatch, and at most ~850 bytes each (pattern and
	// note) within store.MaxJobPartBytes.
	importPartEntries = 2 * importBatch
)

type importParams struct {
	Entries    int       `json:"entries"`
	Duplicates int       `json:"duplicates"`
	AddedAt    time.Time `json:"addedAt"`
}

type importCheckpoint struct {
	Next       int `json:"next"`
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"`
}

type importReport struct {
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"`
}

// startImport starts the job that adds entries (checked already), in
// parts of [pattern, note] pairs.
func (s *Service) startImport(ctx context.Context, actor discreet.User, add []discreet.NeverLogEntry, duplicates int) (JobView, error) {
	var parts [][]byte
	for start := 0; start < len(add); start += importPartEntries {
		lines := make([][2]string, 0, importPartEntries)
		for _, e := range add[start:min(start+importPartEntries, len(add))] {
			lines = append(lines, [2]string{e.Pattern, e.Note})
		}
		b, err := json.Marshal(lines)
		if err != nil {
			return JobView{}, discreet.Wrap(err, discreet.EInternal, "cannot start the import")
		}
		parts = append(parts, b)
	}
	return s.startJob(ctx, actor, JobImport, importParams{Entries: len(add), Duplicates: duplicates, AddedAt: add[0].AddedAt},
		importReport{Duplicates: duplicates}, len(add), parts)
}

// importStep adds the next batch. Entry ids derive from the job and the
// line, so a batch added by a run whose checkpoint was lost is recognized.
func (s *Service) importStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p importParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the import job's parameters cannot be read")
	}
	var cp importCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the import job's checkpoint cannot be read")
		}
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(importReport{Added: cp.Added, Duplicates: p.Duplicates + cp.Duplicates})
		j.Done, j.Total = cp.Next, p.Entries
	}()
	if cp.Next >= p.Entries {
		err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: discreet.AuditNeverLogImport, Count: cp.Added,
			Detail: map[string]string{"list": "org", "duplicates": strconv.Itoa(p.Duplicates + cp.Duplicates), "job": j.ID}})
		return stepNext{finished: err == nil}, err
	}
	data, err := s.store.JobPart(ctx, j.ID, cp.Next/importPartEntries)
	if err != nil {
		return stepNext{}, err
	}
	var lines [][2]string
	if err := json.Unmarshal(data, &lines); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the import job's input cannot be read")
	}
	off := cp.Next % importPartEntries
	if off >= len(lines) {
		return stepNext{}, discreet.Errorf(discreet.EInvalid, "the import job's input ends early")
	}
	lines = lines[off:min(off+importBatch, len(lines))]
	batch := make([]discreet.NeverLogEntry, len(lines))
	for i, l := range lines {
		batch[i] = discreet.NeverLogEntry{ID: fmt.Sprintf("%s-%06d", j.ID, cp.Next+i), Pattern: l[0], Note: l[1], AddedBy: j.StartedBy, AddedAt: p.AddedAt}
	}
	added, dups := len(batch), 0
	err = s.store.AddNeverLog(ctx, batch)
	if discreet.ErrorCode(err) == discreet.EConflict {
		// Someone added one of these patterns since the import was checked,
		// or an earlier run of this step added the batch: one at a time.
		if added, dups, err = s.addOneByOne(ctx, batch); err != nil {
			return stepNext{}, err
		}
	} else if err != nil {
		return stepNext{}, err
	}
	cp.Next += len(batch)
	cp.Added += added
	cp.Duplicates += dups
	return stepNext{}, nil
}

// addOneByOne adds entries one at a time: an entry already there (by id)
// was added by an earlier run and counts as added; a pattern already there
// under another id is a duplicate.
func (s *Service) addOneByOne(ctx context.Context, entries []discreet.NeverLogEntry) (added, dups int, err error) {
	for _, e := range entries {
		err := s.store.AddNeverLog(ctx, []discreet.NeverLogEntry{e})
		if discreet.ErrorCode(err) == discreet.EConflict {
			_, err = s.store.NeverLogEntry(ctx, e.Scope, e.ID)
			if isNotFound(err) {
				dups++
				continue
			}
		}
		if err != nil {
			return 0, 0, err
		}
		added++
	}
	return added, dups, nil
}
