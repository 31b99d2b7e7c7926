package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	data, err := json.Marshal(j)
	if err != nil {
		return s.fail(ctx, err, "create job")
	}
	return s.write(ctx, "create job", func(ctx context.Context, tx *sql.Tx) error {
		for n, p := range parts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO job_parts (job, n, data) VALUES (?, ?, ?)", j.ID, n, p); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO jobs (id, sort_key, started_by, due, data) VALUES (?, ?, ?, ?, ?)",
			j.ID, store.SortKey(j.CreatedAt, j.ID), j.StartedBy, jobDue(j), string(data))
		return err
	})
}

func getJob(ctx context.Context, q queryer, id string) (store.Job, error) {
	var data string
	err := q.QueryRowContext(ctx, "SELECT data FROM jobs WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Job{}, notFound("job")
	}
	if err != nil {
		return store.Job{}, err
	}
	var j store.Job
	err = json.Unmarshal([]byte(data), &j)
	return j, err
}

func putJob(ctx context.Context, tx *sql.Tx, j store.Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE jobs SET due = ?, data = ? WHERE id = ?", jobDue(j), string(data), j.ID)
	return err
}

// Job returns one job.
func (s *Store) Job(ctx context.Context, id string) (store.Job, error) {
	j, err := getJob(ctx, s.r, id)
	if err != nil {
		return j, s.fail(ctx, err, "job")
	}
	return j, nil
}

// JobPart returns one input part of a job.
func (s *Store) JobPart(ctx context.Context, id string, n int) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, "SELECT data FROM job_parts WHERE job = ? AND n = ?", id, n).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("job part")
	}
	if err != nil {
		return nil, s.fail(ctx, err, "job part")
	}
	return data, nil
}

// ListJobs lists jobs newest first.
func (s *Store) ListJobs(ctx context.Context, q store.JobQuery) ([]store.Job, string, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, "", discreet.FieldError("limit", "must be between 1 and 1000")
	}
	scope := store.JobCursorScope(q.StartedBy)
	before := afterAll
	if q.Cursor != "" {
		k, err := store.DecodeCursor(q.Cursor, scope)
		if err != nil {
			return nil, "", err
		}
		before = k
	}
	var rows *sql.Rows
	var err error
	if q.StartedBy != "" {
		rows, err = s.r.QueryContext(ctx, `SELECT sort_key, data FROM jobs WHERE started_by = ? AND sort_key < ?
			ORDER BY sort_key DESC LIMIT ?`, q.StartedBy, before, q.Limit+1)
	} else {
		rows, err = s.r.QueryContext(ctx, `SELECT sort_key, data FROM jobs WHERE sort_key < ?
			ORDER BY sort_key DESC LIMIT ?`, before, q.Limit+1)
	}
	if err != nil {
		return nil, "", s.fail(ctx, err, "jobs")
	}
	defer rows.Close()
	var out []store.Job
	var keys []string
	for rows.Next() {
		var key, data string
		if err := rows.Scan(&key, &data); err != nil {
			return nil, "", s.fail(ctx, err, "jobs")
		}
		var j store.Job
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			return nil, "", s.fail(ctx, err, "jobs")
		}
		out, keys = append(out, j), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.fail(ctx, err, "jobs")
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = store.EncodeCursor(scope, keys[q.Limit-1])
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
	err := s.write(ctx, "claim job", func(ctx context.Context, tx *sql.Tx) error {
		j, err := getJob(ctx, tx, id)
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
		return putJob(ctx, tx, j)
	})
	return out, claim, err
}

// SaveJob writes progress while holder holds the job.
func (s *Store) SaveJob(ctx context.Context, j store.Job, holder string) error {
	return s.write(ctx, "save job", func(ctx context.Context, tx *sql.Tx) error {
		cur, err := getJob(ctx, tx, j.ID)
		if err != nil {
			return err
		}
		if cur.State != store.JobRunning || cur.Holder != holder || holder == "" {
			return discreet.Errorf(discreet.EConflict, "the job is no longer held by this instance")
		}
		// What is fixed at creation stays as stored.
		j.Kind, j.Params, j.StartedBy, j.CreatedAt, j.Parts = cur.Kind, cur.Params, cur.StartedBy, cur.CreatedAt, cur.Parts
		return putJob(ctx, tx, j)
	})
}

// DueJobs lists jobs due at now, oldest due first.
func (s *Store) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.Job, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	rows, err := s.r.QueryContext(ctx, "SELECT data FROM jobs WHERE due <= ? ORDER BY due LIMIT ?", tsKey(now), limit)
	if err != nil {
		return nil, s.fail(ctx, err, "due jobs")
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, s.fail(ctx, err, "due jobs")
		}
		var j store.Job
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			return nil, s.fail(ctx, err, "due jobs")
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "due jobs")
	}
	return out, nil
}
