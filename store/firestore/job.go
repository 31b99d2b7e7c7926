package firestore

import (
	"context"
	"strconv"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

const (
	colJobs  = "jobs"
	colParts = "parts"
	// notDue is the due of a finished job: after every timestamp.
	notDue = "~"
	// partsPerBatch keeps one batch of parts under Firestore's 10 MiB
	// commit size.
	partsPerBatch = 8
)

// jobDoc is jobs/{id}. due is when a running job may next be taken (the
// later of runAfter and an unexpired lease), so the sweep is one range
// query on one field.
type jobDoc struct {
	ID         string `firestore:"id"`
	Kind       string `firestore:"kind"`
	Params     string `firestore:"params"`
	Checkpoint string `firestore:"checkpoint"`
	Report     string `firestore:"report"`
	State      string `firestore:"state"`
	Done       int    `firestore:"done"`
	Total      int    `firestore:"total"`
	Error      string `firestore:"error"`
	Failures   int    `firestore:"failures"`
	StartedBy  string `firestore:"startedBy"`
	CreatedAt  string `firestore:"createdAt"`
	UpdatedAt  string `firestore:"updatedAt"`
	RunAfter   string `firestore:"runAfter"`
	Holder     string `firestore:"holder"`
	LeaseUntil string `firestore:"leaseUntil"`
	Parts      int    `firestore:"parts"`
	SortKey    string `firestore:"sortKey"`
	Due        string `firestore:"due"`
}

// partDoc is jobs/{id}/parts/{n}: one piece of a job's input.
type partDoc struct {
	N    int    `firestore:"n"`
	Data []byte `firestore:"data"`
}

func toJobDoc(j store.Job) jobDoc {
	d := jobDoc{
		ID: j.ID, Kind: j.Kind, Params: string(j.Params), Checkpoint: string(j.Checkpoint), Report: string(j.Report),
		State: string(j.State), Done: j.Done, Total: j.Total, Error: j.Error, Failures: j.Failures,
		StartedBy: j.StartedBy, CreatedAt: ts(j.CreatedAt), UpdatedAt: ts(j.UpdatedAt), RunAfter: ts(j.RunAfter),
		Holder: j.Holder, LeaseUntil: ts(j.LeaseUntil), Parts: j.Parts, SortKey: store.SortKey(j.CreatedAt, j.ID), Due: notDue,
	}
	if j.State == store.JobRunning {
		due := j.RunAfter
		if j.Holder != "" && j.LeaseUntil.After(due) {
			due = j.LeaseUntil
		}
		d.Due = ts(due)
	}
	return d
}

func raw(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func (d jobDoc) job() store.Job {
	return store.Job{
		ID: d.ID, Kind: d.Kind, Params: raw(d.Params), Checkpoint: raw(d.Checkpoint), Report: raw(d.Report),
		State: store.JobState(d.State), Done: d.Done, Total: d.Total, Error: d.Error, Failures: d.Failures,
		StartedBy: d.StartedBy, CreatedAt: parseTS(d.CreatedAt), UpdatedAt: parseTS(d.UpdatedAt), RunAfter: parseTS(d.RunAfter),
		Holder: d.Holder, LeaseUntil: parseTS(d.LeaseUntil), Parts: d.Parts,
	}
}

func (s *Store) jobRef(id string) (*firestore.DocumentRef, error) {
	did, err := docID("id", id)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colJobs).Doc(did), nil
}

// CreateJob writes the parts first (Create: an existing one is a
// conflict), then the job, so a job is only ever seen complete.
func (s *Store) CreateJob(ctx context.Context, j store.Job, parts [][]byte) error {
	if j.Kind == "" {
		return discreet.FieldError("kind", "is required")
	}
	ref, err := s.jobRef(j.ID)
	if err != nil {
		return err
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
	for start := 0; start < len(parts); start += partsPerBatch {
		b := s.c.BulkWriter(ctx)
		var jobs []*firestore.BulkWriterJob
		for n := start; n < min(start+partsPerBatch, len(parts)); n++ {
			bj, err := b.Create(ref.Collection(colParts).Doc(strconv.Itoa(n)), partDoc{N: n, Data: parts[n]})
			if err != nil {
				b.End()
				return wrap(err, "cannot store the job's input")
			}
			jobs = append(jobs, bj)
		}
		b.End()
		for _, bj := range jobs {
			if _, err := bj.Results(); err != nil {
				return wrap(err, "cannot store the job's input")
			}
		}
	}
	_, err = ref.Create(ctx, toJobDoc(j))
	return wrap(err, "cannot create the job")
}

func (s *Store) Job(ctx context.Context, id string) (store.Job, error) {
	ref, err := s.jobRef(id)
	if err != nil {
		return store.Job{}, err
	}
	d, err := getDoc[jobDoc](ctx, ref, "job")
	if err != nil {
		return store.Job{}, err
	}
	return d.job(), nil
}

func (s *Store) JobPart(ctx context.Context, id string, n int) ([]byte, error) {
	ref, err := s.jobRef(id)
	if err != nil {
		return nil, err
	}
	d, err := getDoc[partDoc](ctx, ref.Collection(colParts).Doc(strconv.Itoa(n)), "job part")
	if err != nil {
		return nil, err
	}
	return d.Data, nil
}

// ListJobs reads Limit+1 jobs for an exact end of the list.
func (s *Store) ListJobs(ctx context.Context, q store.JobQuery) ([]store.Job, string, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, "", discreet.FieldError("limit", "must be between 1 and 1000")
	}
	scope := store.JobCursorScope(q.StartedBy)
	query := s.c.Collection(colJobs).OrderBy("sortKey", firestore.Desc)
	if q.StartedBy != "" {
		query = query.Where("startedBy", "==", q.StartedBy)
	}
	if q.Cursor != "" {
		after, err := store.DecodeCursor(q.Cursor, scope)
		if err != nil {
			return nil, "", err
		}
		query = query.StartAfter(after)
	}
	snaps, err := query.Limit(q.Limit + 1).Documents(ctx).GetAll()
	if err != nil {
		return nil, "", wrap(err, "cannot list jobs")
	}
	var out []store.Job
	var keys []string
	for _, snap := range snaps {
		var d jobDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, "", wrap(err, "cannot list jobs")
		}
		out, keys = append(out, d.job()), append(keys, d.SortKey)
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = store.EncodeCursor(scope, keys[q.Limit-1])
	}
	return out, next, nil
}

func (s *Store) ClaimJob(ctx context.Context, id, holder string, now time.Time, lease time.Duration) (store.Job, store.Claim, error) {
	if holder == "" {
		return store.Job{}, 0, discreet.FieldError("holder", "is required")
	}
	ref, err := s.jobRef(id)
	if err != nil {
		return store.Job{}, 0, err
	}
	var out store.Job
	var claim store.Claim
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := txDoc[jobDoc](tx, ref, "job")
		if err != nil {
			return err
		}
		j := d.job()
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
		return tx.Set(ref, toJobDoc(j))
	})
	if err != nil {
		return store.Job{}, 0, wrap(err, "cannot claim the job")
	}
	return out, claim, nil
}

func (s *Store) SaveJob(ctx context.Context, j store.Job, holder string) error {
	ref, err := s.jobRef(j.ID)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := txDoc[jobDoc](tx, ref, "job")
		if err != nil {
			return err
		}
		cur := d.job()
		if cur.State != store.JobRunning || cur.Holder != holder || holder == "" {
			return discreet.Errorf(discreet.EConflict, "the job is no longer held by this instance")
		}
		j.Kind, j.Params, j.StartedBy, j.CreatedAt, j.Parts = cur.Kind, cur.Params, cur.StartedBy, cur.CreatedAt, cur.Parts
		return tx.Set(ref, toJobDoc(j))
	})
	return wrap(err, "cannot save the job")
}

func (s *Store) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.Job, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	snaps, err := s.c.Collection(colJobs).Where("due", "<=", ts(now)).OrderBy("due", firestore.Asc).Limit(limit).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot list due jobs")
	}
	out := make([]store.Job, 0, len(snaps))
	for _, snap := range snaps {
		var d jobDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot list due jobs")
		}
		out = append(out, d.job())
	}
	return out, nil
}
