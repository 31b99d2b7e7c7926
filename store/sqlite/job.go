package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// notDue is the due of a finished job: after every timestamp.
const notDue = "~"

func jobDue(j store.Job) string {
	if j.State != store.JobRunning {
		return notDue
	}
	due := j.RunAfter
	if j.Holder != "" && j.LeaseUntil.After(due) {
		due = j.LeaseUntil
	}
	return tsKey(due)
}

// jobColumns are a jobs row, in jobArgs' order.
const jobColumns = `id, kind, params, checkpoint, report, state, done, total, error, failures, started_by,
	created_at, updated_at, run_after, holder, lease_until, parts, sort_key, due`

func jobArgs(j store.Job) [19]arg {
	return [19]arg{text(j.ID), text(j.Kind), rawArg(j.Params), rawArg(j.Checkpoint), rawArg(j.Report),
		text(string(j.State)), num(j.Done), num(j.Total), text(j.Error), num(j.Failures), text(j.StartedBy),
		timeArg(j.CreatedAt), timeArg(j.UpdatedAt), timeArg(j.RunAfter), text(j.Holder), timeArg(j.LeaseUntil),
		num(j.Parts), text(store.SortKey(j.CreatedAt, j.ID)), text(jobDue(j))}
}

func scanJob(r *stmt) (store.Job, error) {
	j := store.Job{ID: r.text(0), Kind: r.text(1), Params: json.RawMessage(r.blob(2)), Checkpoint: json.RawMessage(r.blob(3)),
		Report: json.RawMessage(r.blob(4)), State: store.JobState(r.text(5)), Done: int(r.int(6)), Total: int(r.int(7)),
		Error: r.text(8), Failures: int(r.int(9)), StartedBy: r.text(10), Holder: r.text(14), Parts: int(r.int(16))}
	var err error
	for i, t := range []*time.Time{&j.CreatedAt, &j.UpdatedAt, &j.RunAfter, nil, &j.LeaseUntil} {
		if t == nil {
			continue
		}
		if *t, err = r.time(11 + i); err != nil {
			return j, err
		}
	}
	return j, nil
}

const insertJob = "INSERT INTO jobs (" + jobColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// CreateJob stores the job and its parts in one transaction.
func (s *Store) CreateJob(ctx context.Context, j store.Job, parts [][]byte) error {
	if j.ID == "" || j.Kind == "" {
		return discreet.FieldError("id", "a job needs an id and a kind")
	}
	for _, p := range parts {
		if len(p) > store.MaxJobPartBytes {
			return discreet.Errorf(discreet.ETooLarge, "a job input part is larger than %d bytes", store.MaxJobPartBytes)
		}
	}
	j.Parts = len(parts)
	if j.State == "" {
		j.State = store.JobRunning
	}
	return s.write(ctx, "create job", func(ctx context.Context, c *conn) error {
		for n, p := range parts {
			if p == nil {
				p = []byte{}
			}
			if _, err := c.exec(ctx, "INSERT INTO job_parts (job, n, data) VALUES (?, ?, ?)", text(j.ID), num(n), blob(p)); err != nil {
				return err
			}
		}
		a := jobArgs(j)
		_, err := c.exec(ctx, insertJob, a[:]...)
		return err
	})
}

func getJob(ctx context.Context, c *conn, id string) (store.Job, error) {
	var j store.Job
	found, err := c.one(ctx, func(r *stmt) (err error) {
		j, err = scanJob(r)
		return err
	}, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", text(id))
	if err == nil && !found {
		err = notFound("job")
	}
	return j, err
}

// putJob rewrites a job's row; what is fixed at creation the caller keeps.
func putJob(ctx context.Context, c *conn, j store.Job) error {
	a := jobArgs(j)
	_, err := c.exec(ctx, "REPLACE INTO jobs ("+jobColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a[:]...)
	return err
}

// Job returns one job.
func (s *Store) Job(ctx context.Context, id string) (store.Job, error) {
	var j store.Job
	err := s.read(ctx, "job", func(c *conn) error {
		var err error
		j, err = getJob(ctx, c, id)
		return err
	})
	return j, err
}

// JobPart returns one input part of a job.
func (s *Store) JobPart(ctx context.Context, id string, n int) ([]byte, error) {
	var data []byte
	err := s.read(ctx, "job part", func(c *conn) error {
		found, err := c.one(ctx, func(r *stmt) error { data = r.blob(0); return nil },
			"SELECT data FROM job_parts WHERE job = ? AND n = ?", text(id), num(n))
		if err == nil && !found {
			err = notFound("job part")
		}
		return err
	})
	return data, err
}

// jobList reads a query of jobColumns.
func jobList(ctx context.Context, c *conn, query string, args ...arg) ([]store.Job, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.close()
	var out []store.Job
	for rows.next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.error()
}

// ListJobs lists jobs newest first.
func (s *Store) ListJobs(ctx context.Context, q store.JobQuery) ([]store.Job, string, error) {
	scope := store.JobCursorScope(q.StartedBy)
	before, err := listStart(q.Limit, q.Cursor, scope)
	if err != nil {
		return nil, "", err
	}
	var out []store.Job
	err = s.read(ctx, "jobs", func(c *conn) error {
		var err error
		if q.StartedBy != "" {
			out, err = jobList(ctx, c, `SELECT `+jobColumns+` FROM jobs WHERE started_by = ? AND sort_key < ?
				ORDER BY sort_key DESC LIMIT ?`, text(q.StartedBy), text(before), num(q.Limit+1))
		} else {
			out, err = jobList(ctx, c, `SELECT `+jobColumns+` FROM jobs WHERE sort_key < ?
				ORDER BY sort_key DESC LIMIT ?`, text(before), num(q.Limit+1))
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[q.Limit-1]
		next = store.EncodeCursor(scope, store.SortKey(last.CreatedAt, last.ID))
	}
	return out, next, nil
}

// ClaimJob takes a due job's lease.
func (s *Store) ClaimJob(ctx context.Context, id, holder string, now time.Time, lease time.Duration) (store.Job, store.Claim, error) {
	if holder == "" {
		return store.Job{}, 0, discreet.FieldError("holder", "is required")
	}
	var out store.Job
	var claim store.Claim
	err := s.write(ctx, "claim job", func(ctx context.Context, c *conn) error {
		j, err := getJob(ctx, c, id)
		if err != nil {
			return err
		}
		out = j
		switch {
		case j.State != store.JobRunning:
			claim = store.ClaimDone
			return nil
		case !j.Claimable(holder, now):
			claim = store.ClaimHeld
			return nil
		}
		j.Holder, j.LeaseUntil, j.UpdatedAt = holder, now.Add(lease), now
		out, claim = j, store.ClaimAcquired
		return putJob(ctx, c, j)
	})
	return out, claim, err
}

// SaveJob writes progress while holder holds the job.
func (s *Store) SaveJob(ctx context.Context, j store.Job, holder string) error {
	return s.write(ctx, "save job", func(ctx context.Context, c *conn) error {
		cur, err := getJob(ctx, c, j.ID)
		if err != nil {
			return err
		}
		if cur.State != store.JobRunning || cur.Holder != holder || holder == "" {
			return discreet.Errorf(discreet.EConflict, "the job is no longer held by this instance")
		}
		// What is fixed at creation stays as stored.
		j.Kind, j.Params, j.StartedBy, j.CreatedAt, j.Parts = cur.Kind, cur.Params, cur.StartedBy, cur.CreatedAt, cur.Parts
		return putJob(ctx, c, j)
	})
}

// DueJobs lists jobs due at now, oldest due first.
func (s *Store) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.Job, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	var out []store.Job
	err := s.read(ctx, "due jobs", func(c *conn) error {
		var err error
		out, err = jobList(ctx, c, "SELECT "+jobColumns+" FROM jobs WHERE due <= ? ORDER BY due LIMIT ?", text(tsKey(now)), num(limit))
		return err
	})
	return out, err
}
