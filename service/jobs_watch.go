package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Gmail watch renewal as jobs. A watch lapses seven days after it was
// started; cron starts a renewal daily. The renewal job lists the users in
// pages and fans each page out as a batch job of its own, which the queue
// (Pub/Sub in production) hands to any instance: a batch that meets a
// Gmail outage backs off and retries alone, from where it stopped, and the
// listing never restarts from the first user. The renewal then waits for
// its batches and adds up what they did.

// MailboxWatcher starts or renews one mailbox's Gmail watch: package
// capture, when sent-mail capture is on. An error with code invalid,
// permission_denied, not_found, too_large or unsupported is permanent (the
// mailbox refuses the server, and renewing again will not help); any
// other is worth retrying.
type MailboxWatcher interface {
	WatchMailbox(ctx context.Context, user string) error
}

// SetMailboxWatcher turns watch renewal on: capture calls it when it is
// on. Without a watcher, provisioning a user starts no watch and a
// renewal job fails.
func (s *Service) SetMailboxWatcher(w MailboxWatcher) {
	if w == nil {
		s.watcher.Store(nil)
		return
	}
	s.watcher.Store(&w)
}

func (s *Service) mailboxWatcher() MailboxWatcher {
	if w := s.watcher.Load(); w != nil {
		return *w
	}
	return nil
}

const (
	// watchBatch is how many users one batch job renews: 5,000 users are
	// 50 batches, each a few steps.
	watchBatch = 100
	// watchStepUsers is how many users one batch step renews, watchWorkers
	// at a time: a Gmail call takes well under a second, so a step stays
	// far within jobStepTimeout.
	watchStepUsers = 25
	watchWorkers   = 8
	// watchPoll is how long a renewal first waits before it looks again
	// whether its batches are done; the wait doubles up to watchPollMax.
	// (With Pub/Sub, cron's sweep hands it on at the next minute anyway.)
	watchPoll    = 5 * time.Second
	watchPollMax = time.Minute
	// watchReportUsers bounds the addresses a report lists.
	watchReportUsers = 100
)

type watchRenewalCheckpoint struct {
	// After is the last user listed; Listed once every user is in a batch.
	After   string `json:"after,omitempty"`
	Listed  bool   `json:"listed,omitempty"`
	Batches int    `json:"batches"`
	Users   int    `json:"users"`
	Polls   int    `json:"polls,omitempty"`
}

// WatchReport is what a renewal (or one batch of it) did.
type WatchReport struct {
	Batches int `json:"batches,omitempty"`
	Renewed int `json:"renewed"`
	// Skipped: the mailbox refuses the server (no Gmail, no delegation);
	// renewing again will not help. Failed: Gmail or the store could not
	// serve it in all the batch's attempts. Each lists at most 100
	// addresses; the counts are complete.
	Skipped      int      `json:"skipped"`
	Failed       int      `json:"failed"`
	SkippedUsers []string `json:"skippedUsers,omitempty"`
	FailedUsers  []string `json:"failedUsers,omitempty"`
	// Retried counts batches that met a failure and tried again.
	Retried int `json:"retried,omitempty"`
}

func (r *WatchReport) add(b WatchReport) {
	r.Renewed += b.Renewed
	r.Skipped += b.Skipped
	r.Failed += b.Failed
	r.SkippedUsers = appendCapped(r.SkippedUsers, b.SkippedUsers...)
	r.FailedUsers = appendCapped(r.FailedUsers, b.FailedUsers...)
}

func appendCapped(l []string, more ...string) []string {
	for _, m := range more {
		if len(l) >= watchReportUsers {
			break
		}
		l = append(l, m)
	}
	return l
}

type watchBatchParams struct {
	Users []string `json:"users"`
}

type watchBatchCheckpoint struct {
	// Next is the first user of Users not yet tried; Retry those that met
	// a failure worth retrying, tried again after the batch's back-off.
	Next    int      `json:"next"`
	Retry   []string `json:"retry,omitempty"`
	Renewed int      `json:"renewed"`
	Skipped []string `json:"skipped,omitempty"`
	Retried bool     `json:"retried,omitempty"`
}

func (cp watchBatchCheckpoint) report() WatchReport {
	return WatchReport{Renewed: cp.Renewed, Skipped: len(cp.Skipped), SkippedUsers: appendCapped(nil, cp.Skipped...)}
}

// watchRenewalID names the renewal of one day (UTC): cron's retries, and
// cron firing on two instances, meet the one job.
func watchRenewalID(now time.Time) string { return "watch-renewal-" + now.UTC().Format("20060102") }

// watchBatchID names batch n of a renewal: a listing step that runs again
// (its checkpoint was lost) meets the batch it created before.
func watchBatchID(renewal string, n int) string { return fmt.Sprintf("%s-b%04d", renewal, n) }

// StartWatchRenewal starts renewing every user's Gmail watch and returns
// the job at once. There is one renewal per day: while that day's is
// running, starting again returns it; once it finished, a new one starts
// (an admin renewing by hand after a failed night). actor is an admin, or
// SystemActor for cron (policy.CanRenewWatches); the caller authenticated
// them.
func (s *Service) StartWatchRenewal(ctx context.Context, actor discreet.User) (JobView, error) {
	if err := requireUser(actor); err != nil {
		return JobView{}, err
	}
	if !policy.CanRenewWatches(actor) {
		return JobView{}, discreet.Errorf(discreet.EPermission, "only admins may renew Gmail watches")
	}
	if s.mailboxWatcher() == nil {
		return JobView{}, discreet.Errorf(discreet.EUnavailable, "sent-mail capture is off: there are no Gmail watches to renew")
	}
	id := watchRenewalID(s.now())
	j, err := s.createJob(ctx, id, actor.Email, JobWatchRenewal, struct{}{}, WatchReport{}, 0)
	if discreet.ErrorCode(err) != discreet.EConflict {
		return j, err
	}
	prev, err := s.store.Job(ctx, id)
	if err != nil {
		return JobView{}, err
	}
	if prev.State == store.JobRunning {
		s.enqueue(ctx, id, s.now()) // it may have been waiting for the sweep
		return jobView(prev), nil
	}
	return s.createJob(ctx, id+"-"+s.cfg.NewID(), actor.Email, JobWatchRenewal, struct{}{}, WatchReport{}, 0)
}

// watchNewUser starts the watch of a user just provisioned, as a batch of
// one: the user's sent mail is captured from now on, not from the next
// nightly renewal. A failure to start it is logged, not the provisioning's
// failure: the nightly renewal watches every user.
func (s *Service) watchNewUser(ctx context.Context, user string) {
	if s.mailboxWatcher() == nil {
		return
	}
	p := watchBatchParams{Users: []string{user}}
	if _, err := s.createJob(ctx, s.cfg.NewID(), SystemActor, JobWatchBatch, p, WatchReport{}, 1); err != nil {
		s.log.WarnContext(ctx, "cannot start the new user's Gmail watch; the nightly renewal will", "user", user, "err", err)
	}
}

// createJob stores a new job under id and hands it to the queue; a job
// already stored under id is a conflict.
func (s *Service) createJob(ctx context.Context, id, startedBy, kind string, params, report any, total int) (JobView, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return JobView{}, discreet.Wrap(err, discreet.EInternal, "cannot start the job")
	}
	r, err := json.Marshal(report)
	if err != nil {
		return JobView{}, discreet.Wrap(err, discreet.EInternal, "cannot start the job")
	}
	now := s.now()
	j := store.Job{ID: id, Kind: kind, Params: p, Report: r, State: store.JobRunning, Total: total,
		StartedBy: startedBy, CreatedAt: now, UpdatedAt: now, RunAfter: now}
	if err := s.store.CreateJob(ctx, j, nil); err != nil {
		return JobView{}, err
	}
	s.enqueue(ctx, id, now)
	return jobView(j), nil
}

// watchRenewalStep lists one page of users into a batch job, or, once all
// are listed, adds up the batches and finishes when every one has.
func (s *Service) watchRenewalStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var cp watchRenewalCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the renewal's checkpoint cannot be read")
		}
	}
	if !cp.Listed {
		users, err := s.store.Users(ctx, cp.After, watchBatch)
		if err != nil {
			return stepNext{}, err
		}
		if len(users) > 0 {
			p := watchBatchParams{Users: make([]string, len(users))}
			for i, u := range users {
				p.Users[i] = u.Email
			}
			_, err := s.createJob(ctx, watchBatchID(j.ID, cp.Batches), j.StartedBy, JobWatchBatch, p, WatchReport{}, len(users))
			if err != nil && discreet.ErrorCode(err) != discreet.EConflict {
				return stepNext{}, err
			}
			cp.After, cp.Batches, cp.Users = p.Users[len(p.Users)-1], cp.Batches+1, cp.Users+len(users)
		}
		cp.Listed = len(users) < watchBatch
		j.Total = cp.Users
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(WatchReport{Batches: cp.Batches})
		return stepNext{}, nil
	}
	// Every batch is started: add up those that finished.
	rep := WatchReport{Batches: cp.Batches}
	done, running := 0, 0
	for n := range cp.Batches {
		b, err := s.store.Job(ctx, watchBatchID(j.ID, n))
		if err != nil {
			return stepNext{}, err
		}
		var br WatchReport
		if len(b.Report) > 0 {
			_ = json.Unmarshal(b.Report, &br)
		}
		if br.Retried > 0 {
			rep.Retried++
		}
		if b.State == store.JobRunning {
			running++
			continue
		}
		if b.State == store.JobFailed {
			// Whatever it did not renew or skip failed, whyever it stopped.
			br.Failed = max(br.Failed, b.Total-br.Renewed-br.Skipped)
		}
		rep.add(br)
		done += b.Total
	}
	j.Done = done
	j.Report, _ = json.Marshal(rep)
	if running > 0 {
		wait := min(watchPoll<<min(cp.Polls, 8), watchPollMax)
		cp.Polls++
		j.Checkpoint, _ = json.Marshal(cp)
		return stepNext{wait: s.now().Add(wait)}, nil
	}
	s.log.InfoContext(ctx, "Gmail watches renewed", "job", j.ID, "renewed", rep.Renewed, "skipped", rep.Skipped, "failed", rep.Failed, "batchesRetried", rep.Retried)
	return stepNext{finished: true}, nil
}

// watchBatchStep renews the next few users of a batch; once all were
// tried, it tries again those that met a failure worth retrying, and
// fails (so the job backs off and the batch alone is retried) while any
// still does. A batch failed too often reports those users as failed.
func (s *Service) watchBatchStep(ctx context.Context, j *store.Job) (next stepNext, err error) {
	var p watchBatchParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the watch batch's parameters cannot be read")
	}
	var cp watchBatchCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the watch batch's checkpoint cannot be read")
		}
	}
	w := s.mailboxWatcher()
	if w == nil {
		return stepNext{}, discreet.Errorf(discreet.EUnavailable, "sent-mail capture is off on this instance")
	}
	defer func() {
		rep := cp.report()
		if cp.Retried {
			rep.Retried = 1
		}
		if err != nil && j.Failures+1 >= maxJobFailures {
			// This failure fails the job (jobFailed): these users stay unwatched.
			rep.Failed, rep.FailedUsers = len(cp.Retry), appendCapped(nil, cp.Retry...)
		}
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(rep)
		j.Done = cp.Renewed + len(cp.Skipped)
		j.Total = len(p.Users)
	}()
	if cp.Next < len(p.Users) {
		users := p.Users[cp.Next:min(cp.Next+watchStepUsers, len(p.Users))]
		failed := s.watchUsers(ctx, w, users, &cp)
		cp.Next += len(users)
		cp.Retry = append(cp.Retry, failed...)
		return stepNext{}, nil
	}
	if len(cp.Retry) == 0 {
		return stepNext{finished: true}, nil
	}
	cp.Retried = true
	users := slices.Clone(cp.Retry[:min(watchStepUsers, len(cp.Retry))])
	failed := s.watchUsers(ctx, w, users, &cp)
	// Those still failing go last, so the others are tried next time.
	cp.Retry = append(slices.Clone(cp.Retry[len(users):]), failed...)
	if len(failed) > 0 {
		return stepNext{}, discreet.Errorf(discreet.EUnavailable, "%d Gmail watches could not be renewed yet", len(cp.Retry))
	}
	return stepNext{}, nil
}

// watchUsers renews users' watches, watchWorkers at a time, counts the
// renewed and skipped in cp, and returns those worth retrying.
func (s *Service) watchUsers(ctx context.Context, w MailboxWatcher, users []string, cp *watchBatchCheckpoint) []string {
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	sem := make(chan struct{}, watchWorkers)
	for i, u := range users {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = w.WatchMailbox(ctx, u)
		})
	}
	wg.Wait()
	var retry []string
	for i, err := range errs {
		switch {
		case err == nil:
			cp.Renewed++
		case permanentWatchError(err):
			s.log.WarnContext(ctx, "cannot watch this mailbox; skipped", "user", users[i], "err", err)
			cp.Skipped = append(cp.Skipped, users[i])
		default:
			s.log.WarnContext(ctx, "Gmail watch not renewed; will retry", "user", users[i], "err", err)
			retry = append(retry, users[i])
		}
	}
	return retry
}

func permanentWatchError(err error) bool {
	switch discreet.ErrorCode(err) {
	case discreet.EInvalid, discreet.EPermission, discreet.ENotFound, discreet.ETooLarge, discreet.EUnsupported:
		return true
	}
	return false
}
