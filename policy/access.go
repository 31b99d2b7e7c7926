package policy

import (
	"github.com/discreet-crm/discreet"
)

// ContactAccess is what viewer v gets of contact c: full, or the stub
// (existence, owner, team). Admins and the owner always get full; others as
// the org's contact access for their role says. A user without an email
// (a zero value) gets only stubs.
func ContactAccess(v discreet.User, c discreet.Contact, s discreet.OrgSettings) discreet.Access {
	if v.Email == "" {
		return discreet.AccessStub
	}
	if v.Role == discreet.RoleAdmin || isUser(v, c.Owner) {
		return discreet.AccessFull
	}
	switch s.ScopeOf(v.Role) {
	case discreet.ScopeAll:
		return discreet.AccessFull
	case discreet.ScopeTeam:
		if v.InTeam(c.Team) {
			return discreet.AccessFull
		}
	}
	return discreet.AccessStub
}

// CanManageContact reports whether v may change a contact's fields or owner:
// its owner, a manager of its team, or an admin.
func CanManageContact(v discreet.User, c discreet.Contact) bool {
	switch {
	case v.Role == discreet.RoleAdmin, isUser(v, c.Owner):
		return true
	case v.Role == discreet.RoleManager:
		return v.InTeam(c.Team)
	}
	return false
}

// CanManageEmail reports whether v may change an email's visibility or unlog
// it: its owner or an admin.
func CanManageEmail(v discreet.User, e discreet.Email) bool {
	return v.Role == discreet.RoleAdmin || isUser(v, e.Owner)
}

// CanChangeVisibility reports whether v may change e's visibility: one who
// manages it (CanManageEmail) and may read it. An admin who may not read a
// private email (adminsReadPrivate off) may unlog it but not change its
// visibility: widening it would show them what the org said admins may not
// read, and even a no-op would confirm what it is. For those who manage an
// email, reading it never depends on contact access (the owner reads it,
// and an admin reads every team and public email), so no loader is needed.
func CanChangeVisibility(v discreet.User, e discreet.Email, s discreet.OrgSettings) bool {
	return CanManageEmail(v, e) && canReadWithoutContacts(v, e, s)
}

// System is the actor of what the deployment does on its own (App Engine
// cron, start-up seeding). It is no address, so no signed-in user is it.
const System = "system"

// CanRenewWatches reports whether v may start the renewal of every user's
// Gmail watch: the deployment's own cron (System) and admins. Renewing
// reads no mail, but it acts on every mailbox.
func CanRenewWatches(v discreet.User) bool {
	return v.Email == System || v.Role == discreet.RoleAdmin && v.Email != ""
}

// isUser reports whether addr names v; a user without an address (a
// zero value) is nobody, never the owner of an ownerless record.
func isUser(v discreet.User, addr string) bool {
	return v.Email != "" && v.Email == addr
}

// CanReadEmail reports whether v may read email e. access tells v's access
// to each of e's contacts; a public email is readable by anyone with full
// access to one of them.
func CanReadEmail(v discreet.User, e discreet.Email, s discreet.OrgSettings, access func(contact string) discreet.Access) bool {
	if canReadWithoutContacts(v, e, s) {
		return true
	}
	if v.Email == "" || e.Visibility != discreet.VisibilityPublic || access == nil {
		return false
	}
	for _, c := range e.Contacts {
		if access(c) == discreet.AccessFull {
			return true
		}
	}
	return false
}

// CanReadOnTimeline is CanReadEmail as seen on the timeline of one contact,
// where the viewer's access to that contact is known: a public email shows
// when the viewer has full access to this contact. It is the rule that
// audience keys implement.
func CanReadOnTimeline(v discreet.User, e discreet.Email, s discreet.OrgSettings, onContact discreet.Access) bool {
	if canReadWithoutContacts(v, e, s) {
		return true
	}
	return v.Email != "" && e.Visibility == discreet.VisibilityPublic && onContact == discreet.AccessFull
}

func canReadWithoutContacts(v discreet.User, e discreet.Email, s discreet.OrgSettings) bool {
	switch {
	case v.Email == "":
		return false
	case e.Owner == v.Email, e.IsInternal(v.Email):
		return true
	case v.Role == discreet.RoleAdmin:
		// An unknown visibility reads as private: fail closed.
		return s.AdminsReadPrivate || e.Visibility == discreet.VisibilityTeam || e.Visibility == discreet.VisibilityPublic
	case e.Visibility == discreet.VisibilityTeam, e.Visibility == discreet.VisibilityPublic:
		return v.InTeam(e.Team)
	}
	return false
}

// Audience keys let a store answer "emails of contact C that viewer V may
// read, newest first" with one indexed query: each timeline entry carries
// EmailAudience(e), the viewer presents ViewerAudience(v, access to C), and
// an entry is visible when the two share a key (Firestore's
// array-contains-any).
const (
	keyUser   = "u:" // owner or internal participant
	keyTeam   = "t:" // a team member, for team and public emails
	keyPublic = "x:public"
	keyShared = "x:shared" // team or public: what admins always read
	keyAll    = "x:all"    // everything: admins when adminsReadPrivate
)

// MaxTeamsPerUser bounds a user's teams, and with them the audience keys
// a viewer presents (MaxViewerKeys), which a store must match in one query.
const MaxTeamsPerUser = 26

// MaxViewerKeys is the most keys ViewerAudience returns: the viewer's own,
// the public key and one per team.
const MaxViewerKeys = MaxTeamsPerUser + 2

// EmailAudience is the set of keys email e is visible to, on any of its
// contacts' timelines. It depends only on the email, so it is written once
// at log time and again when the visibility changes.
func EmailAudience(e discreet.Email) []string {
	keys := make([]string, 0, 4+len(e.Internal))
	keys = append(keys, keyAll, keyUser+e.Owner)
	for _, a := range e.Internal {
		if a != e.Owner {
			keys = append(keys, keyUser+a)
		}
	}
	if e.Visibility == discreet.VisibilityTeam || e.Visibility == discreet.VisibilityPublic {
		keys = append(keys, keyShared)
		if e.Team != "" {
			keys = append(keys, keyTeam+e.Team)
		}
	}
	if e.Visibility == discreet.VisibilityPublic {
		keys = append(keys, keyPublic)
	}
	// A share's readers hold these keys already; whether the share is in
	// force (expiry, the sharer's standing) is decided at read time by
	// CanReadOnTimelineWith, so an expired share's keys admit nothing.
	for _, sh := range e.Shares {
		for _, u := range sh.Users {
			keys = append(keys, keyUser+u)
		}
		for _, t := range sh.Teams {
			keys = append(keys, keyTeam+t)
		}
	}
	return dedupe(keys)
}

func dedupe(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := keys[:0]
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// ViewerAudience is the set of keys v holds on the timeline of a contact to
// which v has access onContact. At most MaxViewerKeys keys: a user with
// more teams than MaxTeamsPerUser (which the service refuses to save)
// loses keys, never gains them.
func ViewerAudience(v discreet.User, s discreet.OrgSettings, onContact discreet.Access) []string {
	if v.Email == "" {
		return nil
	}
	if v.Role == discreet.RoleAdmin {
		if s.AdminsReadPrivate {
			return []string{keyAll}
		}
		// Team keys too: a private email shared with one of their teams.
		return appendTeamKeys([]string{keyUser + v.Email, keyShared}, v.Teams)
	}
	keys := make([]string, 0, 2+len(v.Teams))
	keys = append(keys, keyUser+v.Email)
	if onContact == discreet.AccessFull {
		keys = append(keys, keyPublic)
	}
	return appendTeamKeys(keys, v.Teams)
}

// appendTeamKeys adds a key per team to keys, up to MaxViewerKeys in all:
// a viewer past the bound loses keys, never gains them.
func appendTeamKeys(keys, teams []string) []string {
	for _, t := range teams {
		if len(keys) == MaxViewerKeys {
			break
		}
		if t != "" {
			keys = append(keys, keyTeam+t)
		}
	}
	return keys
}

// SharesKey reports whether two audience key sets intersect.
func SharesKey(email, viewer []string) bool {
	for _, a := range email {
		for _, b := range viewer {
			if a == b {
				return true
			}
		}
	}
	return false
}

// CanReadAudit reports whether v may read an audit record: admins read all,
// a user the records about their own emails.
func CanReadAudit(v discreet.User, r discreet.AuditRecord) bool {
	return v.Role == discreet.RoleAdmin || isUser(v, r.EmailOwner)
}
