package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Long work (purges, large imports) runs as jobs: a store record with a
// checkpoint, run in bounded slices by RunJob on whichever instance a
// driver (package worker) hands it to. A slice holds the job's lease,
// renewed at every checkpoint; when an instance dies mid-slice the lease
// runs out and the sweep (DueJobs) hands the job to another instance,
// which resumes from the last checkpoint. Steps are idempotent, so a step
// run twice (its checkpoint was lost with the instance) changes nothing.

// Job kinds.
const (
	JobPurge        = "never_log.purge"
	JobImport       = "never_log.import"
	JobWatchRenewal = "gmail.watch_renewal"
	JobWatchBatch   = "gmail.watch_batch"
)

// jobKind is one kind of long work. Adding a kind is writing its step and
// naming it in jobKinds; starting one is startJob.
type jobKind struct {
	// step does one bounded piece of j's work from j.Checkpoint (it gets at
	// most jobStepTimeout), records its progress in j (Checkpoint, Done,
	// Total, Report) and says what comes next. It must be idempotent: when
	// an instance dies before the checkpoint is saved, the step runs again.
	// Progress recorded in j is saved even when it returns an error.
	step func(s *Service, ctx context.Context, j *store.Job) (stepNext, error)
}

// stepNext is what a step says comes next: more steps (the zero value),
// the end, or a wait.
type stepNext struct {
	finished bool
	wait     time.Time
}

var jobKinds = map[string]jobKind{
	JobPurge:  {step: (*Service).purgeStep},
	JobImport: {step: (*Service).importStep},
	// jobs_watch.go
	JobWatchRenewal: {step: (*Service).watchRenewalStep},
	JobWatchBatch:   {step: (*Service).watchBatchStep},
	// erasure.go
	JobErasure: {step: (*Service).erasureStep},
	// rules.go
	JobRulePurge: {step: (*Service).rulePurgeStep},
	// retention.go
	JobRetention: {step: (*Service).retentionStep},
}

// JobQueue hands jobs to whatever runs them: worker.Embedded in process,
// worker.PubSub through a queue. A job may be delivered more than once.
type JobQueue interface {
	// Enqueue asks for RunJob(id) at or after at.
	Enqueue(ctx context.Context, id string, at time.Time) error
}

// Job defaults (Config.JobLease, Config.DecisionWindow).
const (
	DefaultJobLease = time.Minute
	// DefaultDecisionWindow is the longest a log decision may take from
	// reading the Never Log List to committing its email: the gateway's
	// longest request deadline (50 s) and a margin for clocks and commits.
	DefaultDecisionWindow = time.Minute
)

// DefaultJobSlice bounds one RunJob call: App Engine must not hold a
// request (or a push) for long.
const DefaultJobSlice = 20 * time.Second

const (
	// jobStepTimeout bounds one step.
	jobStepTimeout = 10 * time.Second
	// maxJobFailures is how many failed attempts in a row fail a job.
	maxJobFailures = 10
	// dueJobsBatch bounds one sweep.
	dueJobsBatch = 100
)

// JobView is a job as its starter and admins see it.
type JobView struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	State     store.JobState  `json:"state"`
	Done      int             `json:"done"`
	Total     int             `json:"total"`
	Report    json.RawMessage `json:"report,omitempty"`
	Error     string          `json:"error,omitempty"`
	StartedBy string          `json:"startedBy"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

func jobView(j store.Job) JobView {
	return JobView{ID: j.ID, Kind: j.Kind, State: j.State, Done: j.Done, Total: j.Total, Report: j.Report, Error: j.Error,
		StartedBy: j.StartedBy, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
}

var errJobNotFound = discreet.Errorf(discreet.ENotFound, "there is no such job")

// Job returns one job: admins see every job, others the jobs they started;
// not_found for any other.
func (s *Service) Job(ctx context.Context, actor discreet.User, id string) (JobView, error) {
	if err := requireUser(actor); err != nil {
		return JobView{}, err
	}
	if id == "" {
		return JobView{}, errJobNotFound
	}
	j, err := s.store.Job(ctx, id)
	if isNotFound(err) {
		return JobView{}, errJobNotFound
	}
	if err != nil {
		return JobView{}, err
	}
	if actor.Role != discreet.RoleAdmin && j.StartedBy != actor.Email {
		return JobView{}, errJobNotFound
	}
	return jobView(j), nil
}

// Jobs lists jobs newest first: all for admins, their own for others.
func (s *Service) Jobs(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[JobView], error) {
	if err := requireUser(actor); err != nil {
		return Page[JobView]{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return Page[JobView]{}, err
	}
	q := store.JobQuery{Limit: limit, Cursor: cursor}
	if actor.Role != discreet.RoleAdmin {
		q.StartedBy = actor.Email
	}
	js, next, err := s.store.ListJobs(ctx, q)
	if err != nil {
		return Page[JobView]{}, cursorError(err, cursor)
	}
	out := Page[JobView]{Items: make([]JobView, 0, len(js)), Next: next}
	for _, j := range js {
		if actor.Role == discreet.RoleAdmin || j.StartedBy == actor.Email { // the store filters; this keeps a store bug from leaking
			out.Items = append(out.Items, jobView(j))
		}
	}
	return out, nil
}

// startJob stores a new job (its report as it starts) and hands it to the
// queue. When the queue
// cannot take it, the job waits for the next sweep: it is stored, so it
// is not lost.
func (s *Service) startJob(ctx context.Context, actor discreet.User, kind string, params, report any, total int, parts [][]byte) (JobView, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return JobView{}, discreet.Wrap(err, discreet.EInternal, "cannot start the job")
	}
	r, err := json.Marshal(report)
	if err != nil {
		return JobView{}, discreet.Wrap(err, discreet.EInternal, "cannot start the job")
	}
	now := s.now()
	j := store.Job{ID: s.cfg.NewID(), Kind: kind, Params: p, Report: r, State: store.JobRunning, Total: total,
		StartedBy: actor.Email, CreatedAt: now, UpdatedAt: now, RunAfter: now}
	if err := s.store.CreateJob(ctx, j, parts); err != nil {
		return JobView{}, err
	}
	j.Parts = len(parts)
	s.enqueue(ctx, j.ID, now)
	return jobView(j), nil
}

func (s *Service) enqueue(ctx context.Context, id string, at time.Time) {
	if s.cfg.Jobs == nil {
		return
	}
	if err := s.cfg.Jobs.Enqueue(ctx, id, at); err != nil {
		s.log.WarnContext(ctx, "cannot enqueue a job; the sweep will run it", "job", id, "err", err)
	}
}

// JobRun says what one RunJob call did.
type JobRun struct {
	// State is the job's state after the slice ("" when there is no such
	// job).
	State store.JobState
	// More: work is left and may run at once. Wait: run again at or after
	// (a wait the job asked for, a back-off, or another holder's lease).
	More bool
	Wait time.Time
	// Held: another instance holds the job (or it is waiting).
	Held bool
}

// RunJob runs one bounded slice of job id on this instance: it takes the
// job's lease, runs steps (saving the checkpoint and renewing the lease
// after each) until the job is finished, waits, or the slice budget is
// spent, and lets the job go. Any instance may call it any number of
// times; a job runs on one instance at a time.
func (s *Service) RunJob(ctx context.Context, id string) (JobRun, error) {
	j, claim, err := s.store.ClaimJob(ctx, id, s.instance, s.now(), s.jobLease)
	if isNotFound(err) {
		return JobRun{}, nil
	}
	if err != nil {
		return JobRun{}, err
	}
	switch claim {
	case store.ClaimDone:
		return JobRun{State: j.State}, nil
	case store.ClaimHeld:
		wait := j.RunAfter
		if j.Holder != "" && j.LeaseUntil.After(wait) {
			wait = j.LeaseUntil
		}
		return JobRun{State: j.State, Held: true, Wait: wait}, nil
	}
	kind, ok := jobKinds[j.Kind]
	if !ok {
		j.State, j.Error = store.JobFailed, fmt.Sprintf("this version of Discreet does not know jobs of kind %q", j.Kind)
		return s.finishSlice(ctx, j, JobRun{State: store.JobFailed})
	}
	start := time.Now() // wall clock: tests freeze Config.Now
	for {
		stepCtx, cancel := context.WithTimeout(ctx, jobStepTimeout)
		next, err := kind.step(s, stepCtx, &j)
		cancel()
		now := s.now()
		j.UpdatedAt = now
		switch {
		case err != nil && ctx.Err() != nil:
			// The caller gave up (shutdown, request deadline): not the job's
			// fault. Its progress is kept; the next slice resumes.
			return s.finishSlice(context.WithoutCancel(ctx), j, JobRun{State: store.JobRunning, More: true})
		case err != nil:
			return s.jobFailed(ctx, j, err)
		case next.finished:
			j.State, j.Failures, j.Error = store.JobDone, 0, ""
			return s.finishSlice(ctx, j, JobRun{State: store.JobDone})
		case !next.wait.IsZero() && next.wait.After(now):
			j.RunAfter, j.Failures, j.Error = next.wait, 0, ""
			return s.finishSlice(ctx, j, JobRun{State: store.JobRunning, Wait: next.wait})
		}
		j.Failures, j.Error = 0, ""
		if time.Since(start) >= s.jobSlice || ctx.Err() != nil {
			return s.finishSlice(context.WithoutCancel(ctx), j, JobRun{State: store.JobRunning, More: true})
		}
		j.LeaseUntil = now.Add(s.jobLease)
		if err := s.store.SaveJob(ctx, j, s.instance); err != nil {
			return s.lostJob(ctx, j, err)
		}
	}
}

// finishSlice saves j and lets it go.
func (s *Service) finishSlice(ctx context.Context, j store.Job, run JobRun) (JobRun, error) {
	j.Holder, j.LeaseUntil = "", time.Time{}
	if err := s.store.SaveJob(ctx, j, s.instance); err != nil {
		return s.lostJob(ctx, j, err)
	}
	if run.State == store.JobFailed {
		s.log.ErrorContext(ctx, "job failed", "job", j.ID, "kind", j.Kind, "err", j.Error)
	}
	return run, nil
}

// lostJob handles a checkpoint that could not be saved: another instance
// took the job over (conflict: it continues from the last saved
// checkpoint), or the store failed (the lease runs out and the sweep
// hands the job on).
func (s *Service) lostJob(ctx context.Context, j store.Job, err error) (JobRun, error) {
	if discreet.ErrorCode(err) == discreet.EConflict {
		s.log.WarnContext(ctx, "another instance took the job over", "job", j.ID)
		return JobRun{State: store.JobRunning, Held: true}, nil
	}
	return JobRun{}, err
}

// jobFailed records a failed step: the job waits and tries again (backing
// off), unless the error can never go away or it failed too often.
func (s *Service) jobFailed(ctx context.Context, j store.Job, err error) (JobRun, error) {
	j.Failures++
	j.Error = discreet.ErrorMessage(err)
	s.log.WarnContext(ctx, "a job step failed", "job", j.ID, "kind", j.Kind, "failures", j.Failures, "err", err)
	switch discreet.ErrorCode(err) {
	case discreet.EUnavailable, discreet.EConflict, discreet.ERateLimited, discreet.EInternal:
		if j.Failures < maxJobFailures {
			backoff := min(time.Duration(1<<min(j.Failures, 16))*time.Second, 5*time.Minute)
			j.RunAfter = s.now().Add(backoff)
			return s.finishSlice(context.WithoutCancel(ctx), j, JobRun{State: store.JobRunning, Wait: j.RunAfter})
		}
	}
	j.State = store.JobFailed
	return s.finishSlice(context.WithoutCancel(ctx), j, JobRun{State: store.JobFailed})
}

// DueJobs lists the jobs that should run now and nobody runs: new ones the
// queue lost, waits that are over, and jobs whose instance died (their
// lease ran out). The sweep hands them to the queue.
func (s *Service) DueJobs(ctx context.Context) ([]string, error) {
	js, err := s.store.DueJobs(ctx, s.now(), dueJobsBatch)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = j.ID
	}
	return ids, nil
}

// SweepJobs hands every due job to the queue and returns how many. actor
// is an admin, or SystemActor for cron and the embedded ticker
// (policy.CanSweepJobs); the caller authenticated them.
func (s *Service) SweepJobs(ctx context.Context, actor discreet.User) (int, error) {
	if err := requireUser(actor); err != nil {
		return 0, err
	}
	if !policy.CanSweepJobs(actor) {
		return 0, discreet.Errorf(discreet.EPermission, "only admins may sweep jobs")
	}
	ids, err := s.DueJobs(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		s.enqueue(ctx, id, s.now())
	}
	return len(ids), nil
}

// auditOnce appends r with an id derived from the job, so a step that runs
// again (its checkpoint was lost) does not write a second record.
func (s *Service) auditOnce(ctx context.Context, j *store.Job, r discreet.AuditRecord) error {
	r.ID = "job-" + j.ID
	r.At = s.now()
	err := s.store.AppendAudit(ctx, r)
	if discreet.ErrorCode(err) == discreet.EConflict {
		return nil // written by an earlier run of this step
	}
	return err
}
