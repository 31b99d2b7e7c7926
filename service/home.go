package service

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// Home is what the add-on homepage shows above its buttons: what waits on
// the user now, and whether the org's areas are theirs to manage.
//
// Each kind of waiting work is one field here, filled in Home; the
// homepage renders each field it knows and hides the section when all are
// empty.
type Home struct {
	// PendingDecisions are the pending access requests the user may
	// decide (as owner, manager of the contact's team, admin) and the
	// grants they made or hold that end within ExpiringWithin.
	PendingDecisions
	// MyRequests are the user's own newest access requests still waiting
	// or decided within HomeDecidedRequests: the requester sees the
	// outcome on the homepage too. At most homeRequestScan.
	MyRequests []AccessRequestView `json:"myRequests"`
	// ExpiringEmails are the user's own emails that retention deletes
	// within 30 days (ExpiringSoon).
	ExpiringEmails Expiring `json:"expiringEmails"`
	// Admin: the org's areas (the org Never Log List, import, org
	// settings, jobs) are the user's to manage. It only chooses which
	// buttons show; every area's own call decides again.
	Admin bool `json:"admin"`
	// Jobs are the jobs that need a look, newest first: running ones, and
	// those that failed within HomeFailedJobs. Admins see everyone's,
	// others their own (as Jobs).
	Jobs []JobView `json:"jobs"`
}

const (
	// HomeFailedJobs is how long a failed job stays on the homepage.
	HomeFailedJobs = 7 * 24 * time.Hour
	// homeJobScan is how many of the newest jobs Home looks at: one page
	// read, so the homepage costs the same however many jobs ran. A job
	// still running behind that many newer ones is in the Jobs listing.
	homeJobScan = 20
	// HomeDecidedRequests is how long the outcome of the user's own
	// request stays on the homepage.
	HomeDecidedRequests = 7 * 24 * time.Hour
	// homeRequestScan is how many of the user's newest requests Home
	// reads: one bounded query; older ones are on the contact's card.
	homeRequestScan = 5
)

// Home returns what waits on actor for the homepage.
func (s *Service) Home(ctx context.Context, actor discreet.User) (Home, error) {
	if err := requireUser(actor); err != nil {
		return Home{}, err
	}
	h := Home{Admin: actor.Role == discreet.RoleAdmin, Jobs: []JobView{}}
	page, err := s.Jobs(ctx, actor, homeJobScan, "")
	if err != nil {
		return Home{}, err
	}
	since := s.now().Add(-HomeFailedJobs)
	for _, j := range page.Items {
		switch {
		case j.State == store.JobRunning,
			j.State == store.JobFailed && j.UpdatedAt.After(since):
			h.Jobs = append(h.Jobs, j)
		}
	}
	if h.PendingDecisions, err = s.PendingDecisions(ctx, actor); err != nil {
		return Home{}, err
	}
	if h.MyRequests, err = s.homeRequests(ctx, actor); err != nil {
		return Home{}, err
	}
	if h.ExpiringEmails, err = s.ExpiringSoon(ctx, actor); err != nil {
		return Home{}, err
	}
	return h, nil
}

// homeRequests are actor's newest requests that wait or were decided
// lately: one query of at most homeRequestScan requests, which name a
// contact and an email id, never a subject.
func (s *Service) homeRequests(ctx context.Context, actor discreet.User) ([]AccessRequestView, error) {
	rs, err := s.store.AccessRequests(ctx, store.AccessRequestQuery{Requester: actor.Email, Limit: homeRequestScan})
	if err != nil {
		return nil, err
	}
	since := s.now().Add(-HomeDecidedRequests)
	out := []AccessRequestView{}
	for _, r := range rs {
		if r.Status == discreet.RequestPending || r.DecidedAt != nil && r.DecidedAt.After(since) {
			out = append(out, AccessRequestView{AccessRequest: r, RequesterName: actor.Name})
		}
	}
	return out, nil
}
