package policy

import "github.com/discreet-crm/discreet"

// CanSweepJobs reports whether v may hand every due job to the queue: the
// deployment's own cron (System) and admins. A sweep reads nothing, but it
// restarts everyone's long work, so it is no one else's to start.
func CanSweepJobs(v discreet.User) bool {
	return v.Email == System || v.Role == discreet.RoleAdmin && v.Email != ""
}
