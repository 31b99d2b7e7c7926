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
// More kinds of waiting work (pending access requests the user may
// decide, grants about to expire) are one field each here, filled in
// Home; the homepage renders each field it knows and hides the section
// when all are empty.
type Home struct {
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
	return h, nil
}
