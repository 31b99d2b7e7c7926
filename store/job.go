package store

import (
	"context"
	"encoding/json"
	"time"
)

// JobState is where a job stands.
type JobState string

const (
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)

// Job is one piece of long work (a purge, a large import) as stored: what
// to do (Kind, Params), how far it got (Checkpoint, Done, Total), and who
// runs it now (Holder until LeaseUntil). A runner holds a job only while
// its lease lasts; when the runner's instance dies the lease runs out and
// any other instance takes the job over from its last checkpoint.
type Job struct {
	ID   string
	Kind string
	// Params is the kind's input, fixed at creation; Checkpoint its
	// progress, rewritten after every step; Report what it tells the
	// starter. All three are JSON the kind defines.
	Params     json.RawMessage
	Checkpoint json.RawMessage
	Report     json.RawMessage
	State      JobState
	Done       int
	Total      int
	// Error says why a failed job failed, or what the last failed
	// attempt of a running one met.
	Error string
	// Failures counts the attempts that failed in a row.
	Failures  int
	StartedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// RunAfter: a running job is not run before (a wait the kind asked
	// for, or a back-off after a failure).
	RunAfter time.Time
	// Holder is the instance running the job, until LeaseUntil; "" when
	// nobody does.
	Holder     string
	LeaseUntil time.Time
	// Parts is how many input parts (CreateJob) the job has.
	Parts int
}

// Due reports whether a running job may be taken at now: not waiting and
// not held by an unexpired lease.
func (j Job) Due(now time.Time) bool {
	return j.Claimable("", now)
}

// Claimable reports whether holder may take the running job at now: it is
// not waiting, and nobody else holds an unexpired lease on it.
func (j Job) Claimable(holder string, now time.Time) bool {
	if j.State != JobRunning || j.RunAfter.After(now) {
		return false
	}
	return j.Holder == "" || (holder != "" && j.Holder == holder) || !j.LeaseUntil.After(now)
}

// JobQuery asks for one page of jobs, newest first; with StartedBy set
// only the jobs that user started.
type JobQuery struct {
	StartedBy string
	Limit     int
	Cursor    string
}

// MaxJobPartBytes bounds one input part: Firestore documents hold 1 MiB.
const MaxJobPartBytes = 512 << 10

// Jobs is what long work stores. Jobs may be run by several instances at
// once; leases make one of them the holder, and Checkpoint makes a
// takeover resume instead of restart.
type Jobs interface {
	// CreateJob stores a new running job and its input parts (each at most
	// MaxJobPartBytes; j.Parts is set from them). The job becomes visible
	// only once every part is stored. A job with j.ID already stored is a
	// conflict.
	CreateJob(ctx context.Context, j Job, parts [][]byte) error
	// Job returns one job; not_found when there is none.
	Job(ctx context.Context, id string) (Job, error)
	// JobPart returns input part n (0-based) of job id.
	JobPart(ctx context.Context, id string, n int) ([]byte, error)
	// ListJobs lists jobs newest first, with the cursor of the next page
	// ("" at the end).
	ListJobs(ctx context.Context, q JobQuery) ([]Job, string, error)
	// ClaimJob makes holder the holder of job id until now+lease when the
	// job is Claimable by holder: ClaimAcquired and the job.
	// ClaimDone when it is no longer running; ClaimHeld (with the job, so
	// the caller sees RunAfter and LeaseUntil) when it is held by another
	// or not due yet.
	ClaimJob(ctx context.Context, id, holder string, now time.Time, lease time.Duration) (Job, Claim, error)
	// SaveJob writes j's progress (State, Done, Total, Checkpoint, Report,
	// Error, Failures, RunAfter, Holder, LeaseUntil, UpdatedAt) if holder
	// still holds the job: a conflict when another instance has taken it
	// over (the caller must stop) or it is no longer running. Setting
	// j.Holder to "" releases the job.
	SaveJob(ctx context.Context, j Job, holder string) error
	// DueJobs lists up to limit jobs Due at now, oldest due first: the
	// sweep hands them to a runner, which is how a job whose instance died
	// is taken over.
	DueJobs(ctx context.Context, now time.Time, limit int) ([]Job, error)
}

// JobCursorScope binds a job listing cursor to its StartedBy filter.
func JobCursorScope(startedBy string) string { return "jobs:" + startedBy }
