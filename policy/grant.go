package policy

import (
	"time"

	"github.com/discreet-crm/discreet"
)

// Grants is what a viewer holds beyond their role at one instant: the
// access grants made to them and, for contact grants, their grantors as
// they are now. Shares travel on the email (discreet.Email.Shares). Every
// check takes Now from here, so one read decides against one instant and
// a grant or share is gone the moment it expires, with no job involved.
type Grants struct {
	Now time.Time
	// Held are grants to the viewer; expired ones, and ones to someone
	// else, give nothing.
	Held []discreet.Grant
	// Grantors are the users who made the contact grants in Held; a grant
	// whose grantor is missing gives nothing.
	Grantors map[string]discreet.User
	// Protected are the org's protected contacts and domains: a protected
	// contact is a stub to all but its owner and admins
	// (ProtectedContactAccess), grants on it give nothing, and no share
	// reaches an email with it (it is private to its participants).
	Protected *Protected
}

// MaxGrantedViewerKeys bounds the keys ViewerAudienceWith returns: a
// viewer's own keys and, with a contact-emails grant, its grantor's, in
// one Firestore array-contains-any (at most 30 values). Past it grantor
// keys are dropped: a viewer loses keys, never gains them.
const MaxGrantedViewerKeys = 30

func widerThanPrivate(v discreet.Visibility) bool { return visibilityRank(v) > 0 }

// ShareLive reports whether share sh of email e is in force at now. A
// share never lets anyone read what its sharer could not:
//   - it ends at its expiry;
//   - one made by the email's owner lives until then;
//   - one made by an admin (not the owner) lives while admins may read e:
//     e is team or public, or adminsReadPrivate is on;
//   - any other (an email grant by the contact's owner or a manager, who
//     read a team or public email) lives while e is team or public and
//     no narrower than when it was shared (Basis).
func ShareLive(e discreet.Email, sh discreet.Share, s discreet.OrgSettings, now time.Time) bool {
	if !sh.ExpiresAt.IsZero() && !now.Before(sh.ExpiresAt) {
		return false
	}
	switch {
	case sh.By == "":
		return false
	case sh.By == e.Owner:
		return true
	case sh.ByAdmin:
		return s.AdminsReadPrivate || widerThanPrivate(e.Visibility)
	}
	return widerThanPrivate(e.Visibility) && visibilityRank(e.Visibility) >= visibilityRank(sh.Basis)
}

// ShareReaches reports whether sh names v, by address or by one of v's
// teams.
func ShareReaches(v discreet.User, sh discreet.Share) bool {
	if v.Email == "" {
		return false
	}
	for _, u := range sh.Users {
		if u == v.Email {
			return true
		}
	}
	for _, t := range sh.Teams {
		if v.InTeam(t) {
			return true
		}
	}
	return false
}

// SharedWith reports whether a share of e in force at now reaches v.
func SharedWith(v discreet.User, e discreet.Email, s discreet.OrgSettings, now time.Time) bool {
	for _, sh := range e.Shares {
		if ShareReaches(v, sh) && ShareLive(e, sh, s, now) {
			return true
		}
	}
	return false
}

// liveContactGrants are v's grants of scope on contact c in force at
// g.Now, whose grantor still manages c: a contact grant lasts while the
// one who gave it could give it again.
func liveContactGrants(v discreet.User, c discreet.Contact, g Grants, scope discreet.GrantScope) []discreet.User {
	if _, ok := g.Protected.CoversAddress(c.Email); ok {
		return nil
	}
	var grantors []discreet.User
	for _, gr := range g.Held {
		if gr.Scope != scope || gr.Contact != c.Email || gr.Grantee != v.Email || v.Email == "" || !gr.LiveAt(g.Now) {
			continue
		}
		by, ok := g.Grantors[gr.GrantedBy]
		if !ok || by.Email == "" || !CanManageContact(by, c) {
			continue
		}
		grantors = append(grantors, by)
	}
	return grantors
}

// ContactAccessWith is ContactAccess with v's grants: a contact grant in
// force gives full access, as its owner has.
// Protection then narrows it (ProtectedContactAccess).
func ContactAccessWith(v discreet.User, c discreet.Contact, s discreet.OrgSettings, g Grants) discreet.Access {
	a := ContactAccess(v, c, s)
	if a != discreet.AccessFull && len(liveContactGrants(v, c, g, discreet.GrantContact)) > 0 {
		a = discreet.AccessFull
	}
	return ProtectedContactAccess(v, c, a, g.Protected)
}

// sharedWithIn is SharedWith unless e has a protected participant: such an
// email is private to its participants, and a share would widen it.
func sharedWithIn(v discreet.User, e discreet.Email, s discreet.OrgSettings, g Grants) bool {
	if _, _, ok := g.Protected.CoversEmail(e); ok {
		return false
	}
	return SharedWith(v, e, s, g.Now)
}

// passOnSettings are the org settings under which a grantor's reading is
// passed on: never adminsReadPrivate, which lets admins oversee private
// email, not hand it out.
func passOnSettings(s discreet.OrgSettings) discreet.OrgSettings {
	s.AdminsReadPrivate = false
	return s
}

// PassesOn reports whether a contact-emails grant by grantor on contact c
// lets its grantee read e: e is on c and the grantor reads it there by
// their own role (no grant of theirs), and a private e only when the
// grantor owns it.
func PassesOn(grantor discreet.User, e discreet.Email, c discreet.Contact, s discreet.OrgSettings) bool {
	if !onContact(e, c.Email) {
		return false
	}
	if !widerThanPrivate(e.Visibility) {
		return isUser(grantor, e.Owner)
	}
	s = passOnSettings(s)
	return CanReadOnTimeline(grantor, e, s, ContactAccess(grantor, c, s))
}

func onContact(e discreet.Email, contact string) bool {
	for _, c := range e.Contacts {
		if c == contact {
			return true
		}
	}
	return false
}

// CanReadOnTimelineWith is CanReadOnTimeline with v's grants and e's
// shares: the rule the timeline of contact c applies to each entry its
// keys (ViewerAudienceWith) admit.
func CanReadOnTimelineWith(v discreet.User, e discreet.Email, s discreet.OrgSettings, c discreet.Contact, g Grants) bool {
	if v.Email == "" {
		return false
	}
	if CanReadOnTimeline(v, e, s, ContactAccessWith(v, c, s, g)) || sharedWithIn(v, e, s, g) {
		return true
	}
	for _, by := range liveContactGrants(v, c, g, discreet.GrantContactEmails) {
		if PassesOn(by, e, c, s) {
			return true
		}
	}
	return false
}

// CanReadEmailWith is CanReadEmail with v's grants and e's shares: the
// one rule GET /v1/emails/{id}, the message card and every other read of
// a single email apply. contact loads one of e's contacts (false when it
// does not exist); it is called only when a contact could matter.
func CanReadEmailWith(v discreet.User, e discreet.Email, s discreet.OrgSettings, contact func(addr string) (discreet.Contact, bool), g Grants) bool {
	if v.Email == "" {
		return false
	}
	if canReadWithoutContacts(v, e, s) || sharedWithIn(v, e, s, g) {
		return true
	}
	if contact == nil {
		return false
	}
	for _, addr := range e.Contacts {
		if !e.Visibility.Valid() || (e.Visibility != discreet.VisibilityPublic && !holdsOn(v, addr, g)) {
			continue
		}
		c, ok := contact(addr)
		if ok && CanReadOnTimelineWith(v, e, s, c, g) {
			return true
		}
	}
	return false
}

// holdsOn reports whether v holds a grant on contact addr that is in
// force (its grantor's standing is checked once the contact is loaded).
func holdsOn(v discreet.User, addr string, g Grants) bool {
	for _, gr := range g.Held {
		if gr.Contact == addr && gr.Grantee == v.Email && gr.Scope != discreet.GrantEmail && gr.LiveAt(g.Now) {
			return true
		}
	}
	return false
}

// ViewerAudienceWith is ViewerAudience on contact c with v's grants: full
// access under a contact grant, and for each contact-emails grant the
// keys its grantor would present there (under passOnSettings), at most
// MaxGrantedViewerKeys in all. Keys only narrow the query: each entry
// they admit is still checked by CanReadOnTimelineWith.
func ViewerAudienceWith(v discreet.User, s discreet.OrgSettings, c discreet.Contact, g Grants) []string {
	keys := ViewerAudience(v, s, ContactAccessWith(v, c, s, g))
	if len(keys) == 0 {
		return keys
	}
	ps := passOnSettings(s)
	for _, by := range liveContactGrants(v, c, g, discreet.GrantContactEmails) {
		for _, k := range ViewerAudience(by, ps, ContactAccess(by, c, ps)) {
			if len(keys) == MaxGrantedViewerKeys {
				return keys
			}
			if !contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// CanShare reports whether v may share e (or grant it by email grant as
// its owner): the email's owner, or an admin who may read it
// (CanChangeVisibility).
func CanShare(v discreet.User, e discreet.Email, s discreet.OrgSettings) bool {
	return CanChangeVisibility(v, e, s)
}

// Decider keys: who may decide an access request, as keys a request
// carries while pending (RequestDeciders) and a user presents
// (DeciderKeys), so "requests I may decide" is one indexed query.
const (
	deciderUser    = "u:" // the contact's or the email's owner
	deciderManager = "m:" // a manager of the contact's team
	deciderAdmin   = "x:admin"
)

// RequestDeciders are the keys of who may decide a request on contact c
// (and, for an email, the email's owner): admins, the contact's owner, the
// managers of its team and the email's owner.
func RequestDeciders(c discreet.Contact, emailOwner string) []string {
	keys := []string{deciderAdmin}
	if c.Owner != "" {
		keys = append(keys, deciderUser+c.Owner)
	}
	if c.Team != "" {
		keys = append(keys, deciderManager+c.Team)
	}
	if emailOwner != "" {
		keys = append(keys, deciderUser+emailOwner)
	}
	return dedupe(keys)
}

// DeciderKeys are the keys v presents to find the requests they may
// decide; at most MaxGrantedViewerKeys. The listing is checked again by
// CanDecideRequest: keys are written when the request is made, the
// contact's owner may have changed since.
func DeciderKeys(v discreet.User) []string {
	if v.Email == "" {
		return nil
	}
	keys := []string{deciderUser + v.Email}
	switch v.Role {
	case discreet.RoleAdmin:
		keys = append(keys, deciderAdmin)
	case discreet.RoleManager:
		for _, t := range v.Teams {
			if len(keys) == MaxGrantedViewerKeys {
				break
			}
			if t != "" {
				keys = append(keys, deciderManager+t)
			}
		}
	}
	return keys
}

// CanDecideRequest reports whether v may see and decide request r on
// contact c; e is the email it names (nil when none, or gone). Deciders
// are those who manage the contact (CanManageContact) and the email's
// owner; never the requester.
func CanDecideRequest(v discreet.User, r discreet.AccessRequest, c discreet.Contact, e *discreet.Email) bool {
	if v.Email == "" || v.Email == r.Requester || r.Contact != c.Email {
		return false
	}
	if CanManageContact(v, c) {
		return true
	}
	return e != nil && r.EmailID != "" && e.ID == r.EmailID && isUser(v, e.Owner)
}

// CanGrant reports whether v may grant scope on request r: contact
// scopes by those who manage the contact; an email grant by whoever may
// share the email (CanShare), or by one who manages the contact and reads
// the email there by their role, when it is team or public (they pass on
// only what they read, and ShareLive ends it if the email is narrowed).
func CanGrant(v discreet.User, r discreet.AccessRequest, scope discreet.GrantScope, c discreet.Contact, e *discreet.Email, s discreet.OrgSettings) bool {
	if !CanDecideRequest(v, r, c, e) {
		return false
	}
	switch scope {
	case discreet.GrantContact, discreet.GrantContactEmails:
		return CanManageContact(v, c)
	case discreet.GrantEmail:
		if e == nil || r.EmailID == "" {
			return false
		}
		if CanShare(v, *e, s) {
			return true
		}
		return CanManageContact(v, c) && widerThanPrivate(e.Visibility) && PassesOn(v, *e, c, s)
	}
	return false
}
