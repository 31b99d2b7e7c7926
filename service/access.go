package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Access requests, grants and shares (PRODUCT.md, "Access requests and
// sharing: the stub is a door"). Who may read what stays in policy/; this
// file loads what policy needs, asks it, and writes and audits the result.

// grantsOf loads the grants the caller holds (heldGrants) and the org's
// protected set beside them.
func (s *Service) grantsOf(ctx context.Context, actor discreet.User) (policy.Grants, error) {
	var (
		g         policy.Grants
		prot      *policy.Protected
		err, perr error
	)
	parallel(
		func() { prot, perr = s.protectedSet(ctx) },
		func() { g, err = s.heldGrants(ctx, actor) },
	)
	g.Protected = prot
	return g, errors.Join(err, perr)
}

// heldGrants loads the grants the caller holds, with the grantors of
// contact grants as they are now, judged at one instant (s.now()), without
// the protected set. One indexed query for the grants (plus one read per
// grantor of a contact grant in force).
func (s *Service) heldGrants(ctx context.Context, actor discreet.User) (policy.Grants, error) {
	g := policy.Grants{Now: s.now()}
	if actor.Email == "" {
		return g, nil
	}
	held, err := s.store.Grants(ctx, store.GrantQuery{Grantee: actor.Email})
	if err != nil {
		return g, err
	}
	for _, gr := range held {
		if gr.Scope == discreet.GrantEmail || !gr.LiveAt(g.Now) {
			continue // an email grant is a share on the email
		}
		g.Held = append(g.Held, gr)
		if _, ok := g.Grantors[gr.GrantedBy]; ok {
			continue
		}
		u, err := s.store.User(ctx, gr.GrantedBy)
		switch {
		case isNotFound(err):
			continue // a grantor who left gives nothing
		case err != nil:
			return g, err
		}
		if g.Grantors == nil {
			g.Grantors = map[string]discreet.User{}
		}
		g.Grantors[u.Email] = u
	}
	return g, nil
}

// AccessRequestInput is a request for more than a stub shows.
type AccessRequestInput struct {
	Contact string              `json:"contact"`
	EmailID string              `json:"emailId"`
	Scope   discreet.GrantScope `json:"scope"`
	Note    string              `json:"note"`
}

// GrantInput is an approver's grant: Scope (default what was asked),
// until ExpiresAt (default DefaultGrantPeriod from now) or, with NoEnd,
// without end.
type GrantInput struct {
	Scope     discreet.GrantScope `json:"scope"`
	ExpiresAt *time.Time          `json:"expiresAt"`
	NoEnd     bool                `json:"noEnd"`
}

// DenyInput is an approver's refusal, with an optional note.
type DenyInput struct {
	Note string `json:"note"`
}

// AccessRequestView is a request as its requester or a decider sees it.
// It names the contact and an email id, never a subject.
type AccessRequestView struct {
	discreet.AccessRequest
	RequesterName string `json:"requesterName"`
	// Created is false when an identical pending request was returned.
	Created bool `json:"-"`
}

// PendingDecisions is what needs the user's decision now (the homepage's
// top section): pending requests they may decide, newest first, and grants
// they made or hold that end within ExpiringWithin.
type PendingDecisions struct {
	Requests []AccessRequestView `json:"requests"`
	Expiring []discreet.Grant    `json:"expiring"`
}

// ExpiringWithin is how far ahead PendingDecisions looks for grants that
// end.
const ExpiringWithin = 7 * 24 * time.Hour

const maxNoteRunes = 500

// errRequestNotFound is the one answer for a request that does not exist
// and one the caller may not see.
var errRequestNotFound = discreet.Errorf(discreet.ENotFound, "there is no access request with this id")

// RequestAccess asks the contact's owner (its team's managers, admins and,
// for one email, the email's owner) for more than the stub shows. The
// answers never tell more than the stub: a contact nobody logged is 404
// as for anyone; an email id that is not on the contact, or that the
// caller could not have seen (its timeline shows hidden rows only with
// hiddenEmails=stubs), is 404 exactly as an id that does not exist; 409
// only when the caller can already read what they ask for.
func (s *Service) RequestAccess(ctx context.Context, actor discreet.User, in AccessRequestInput) (AccessRequestView, error) {
	if err := requireUser(actor); err != nil {
		return AccessRequestView{}, err
	}
	addr, err := policy.NormalizeAddress(in.Contact)
	if err != nil {
		return AccessRequestView{}, discreet.FieldError("contact", "%v", err)
	}
	scope := in.Scope
	switch {
	case scope == "" && in.EmailID != "":
		scope = discreet.GrantEmail
	case scope == "":
		scope = discreet.GrantContactEmails
	case !scope.Valid():
		return AccessRequestView{}, discreet.FieldError("scope", "must be email, contact_emails or contact")
	}
	if (scope == discreet.GrantEmail) != (in.EmailID != "") {
		return AccessRequestView{}, discreet.FieldError("emailId", "is required with scope email, and only then")
	}
	note := strings.TrimSpace(in.Note)
	if len([]rune(note)) > maxNoteRunes {
		return AccessRequestView{}, discreet.FieldError("note", "at most %d characters", maxNoteRunes)
	}
	c, err := s.contact(ctx, addr)
	if err != nil {
		return AccessRequestView{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return AccessRequestView{}, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return AccessRequestView{}, err
	}
	already := discreet.Errorf(discreet.EConflict, "you can already read what you ask for")
	emailOwner := ""
	switch scope {
	case discreet.GrantEmail:
		e, err := s.store.Email(ctx, in.EmailID)
		if isNotFound(err) {
			return AccessRequestView{}, errEmailNotFound
		}
		if err != nil {
			return AccessRequestView{}, err
		}
		ok, err := s.canReadKnowing(ctx, actor, org, map[string]discreet.Contact{addr: c}, g, e)
		if err != nil {
			return AccessRequestView{}, err
		}
		if ok && slices.Contains(e.Contacts, addr) {
			return AccessRequestView{}, already
		}
		// Only a hidden row on this contact's timeline shows an email's
		// id to one who may not read it.
		if ok || !slices.Contains(e.Contacts, addr) || org.HiddenEmails != discreet.HiddenStubs {
			return AccessRequestView{}, errEmailNotFound
		}
		emailOwner = e.Owner
	case discreet.GrantContact:
		if policy.ContactAccessWith(actor, c, org, g) == discreet.AccessFull {
			return AccessRequestView{}, already
		}
	case discreet.GrantContactEmails:
		if policy.SeesEveryEmail(policy.ViewerAudience(actor, org, discreet.AccessFull)) {
			return AccessRequestView{}, already
		}
	}
	// A pending request for the same thing is returned, not repeated.
	mine, err := s.store.AccessRequests(ctx, store.AccessRequestQuery{Requester: actor.Email, Limit: maxPageSize})
	if err != nil {
		return AccessRequestView{}, err
	}
	n := s.names()
	for _, r := range mine {
		if r.Status == discreet.RequestPending && r.Contact == addr && r.EmailID == in.EmailID && r.Scope == scope {
			return AccessRequestView{AccessRequest: r, RequesterName: n.user(ctx, r.Requester)}, nil
		}
	}
	r := discreet.AccessRequest{
		ID: s.cfg.NewID(), Requester: actor.Email, Contact: addr, EmailID: in.EmailID, Scope: scope, Note: note,
		Status: discreet.RequestPending, CreatedAt: s.now(), Deciders: policy.RequestDeciders(c, emailOwner), ContactOwner: c.Owner,
	}
	r, created, err := s.store.PutAccessRequest(ctx, r)
	if err != nil {
		return AccessRequestView{}, err
	}
	if created {
		if err := s.audit(ctx, requestAudit(actor.Email, discreet.AuditAccessRequest, r, emailOwner, map[string]string{
			"request": r.ID, "scope": string(r.Scope), "note": r.Note})); err != nil {
			return AccessRequestView{}, err
		}
	}
	return AccessRequestView{AccessRequest: r, RequesterName: n.user(ctx, r.Requester), Created: created}, nil
}

// requestAudit is the audit record of a request's step: about the email
// (its owner reads it) for one email, else about the contact (its owner
// reads it, through the same EmailOwner rule).
func requestAudit(actor, action string, r discreet.AccessRequest, emailOwner string, detail map[string]string) discreet.AuditRecord {
	rec := discreet.AuditRecord{Actor: actor, Action: action, Target: r.Contact, Detail: detail, EmailOwner: r.ContactOwner}
	if r.EmailID != "" && emailOwner != "" {
		rec.EmailID, rec.EmailOwner = r.EmailID, emailOwner
		rec.Detail["contactOwner"] = r.ContactOwner
	}
	detail["requester"] = r.Requester
	return rec
}

// AccessRequests lists the caller's requests (role "requester", the
// default) or the pending requests they may decide (role "approver").
func (s *Service) AccessRequests(ctx context.Context, actor discreet.User, role string) ([]AccessRequestView, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	n := s.names()
	switch role {
	case "", "requester":
		rs, err := s.store.AccessRequests(ctx, store.AccessRequestQuery{Requester: actor.Email, Limit: maxPageSize})
		if err != nil {
			return nil, err
		}
		out := make([]AccessRequestView, 0, len(rs))
		for _, r := range rs {
			out = append(out, AccessRequestView{AccessRequest: r, RequesterName: n.user(ctx, r.Requester)})
		}
		return out, nil
	case "approver":
		return s.decidable(ctx, n, actor)
	}
	return nil, discreet.FieldError("role", "must be requester or approver")
}

// decidable are the pending requests actor may decide now: found by
// decider keys, then checked against the contact and email as they are.
func (s *Service) decidable(ctx context.Context, n *names, actor discreet.User) ([]AccessRequestView, error) {
	rs, err := s.store.AccessRequests(ctx, store.AccessRequestQuery{Deciders: policy.DeciderKeys(actor), Limit: maxPageSize})
	if err != nil {
		return nil, err
	}
	out := []AccessRequestView{}
	for _, r := range rs {
		if r.Status != discreet.RequestPending {
			continue
		}
		_, _, ok, err := s.deciderOf(ctx, actor, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, AccessRequestView{AccessRequest: r, RequesterName: n.user(ctx, r.Requester)})
		}
	}
	return out, nil
}

// deciderOf loads r's contact and email and reports whether actor may
// decide r; a contact gone (erased, purged) leaves nobody to decide.
func (s *Service) deciderOf(ctx context.Context, actor discreet.User, r discreet.AccessRequest) (discreet.Contact, *discreet.Email, bool, error) {
	c, err := s.store.Contact(ctx, r.Contact)
	if isNotFound(err) {
		return c, nil, false, nil
	}
	if err != nil {
		return c, nil, false, err
	}
	var e *discreet.Email
	if r.EmailID != "" {
		got, err := s.store.Email(ctx, r.EmailID)
		switch {
		case err == nil:
			e = &got
		case !isNotFound(err):
			return c, nil, false, err
		}
	}
	return c, e, policy.CanDecideRequest(actor, r, c, e), nil
}

// AccessRequest returns one request to its requester or one who may
// decide it; not_found to anyone else.
func (s *Service) AccessRequest(ctx context.Context, actor discreet.User, id string) (AccessRequestView, error) {
	r, _, _, err := s.requestFor(ctx, actor, id)
	if err != nil {
		return AccessRequestView{}, err
	}
	return AccessRequestView{AccessRequest: r, RequesterName: s.names().user(ctx, r.Requester)}, nil
}

// requestFor loads request id for actor: its requester, or a decider.
func (s *Service) requestFor(ctx context.Context, actor discreet.User, id string) (discreet.AccessRequest, discreet.Contact, *discreet.Email, error) {
	if err := requireUser(actor); err != nil {
		return discreet.AccessRequest{}, discreet.Contact{}, nil, err
	}
	if id == "" {
		return discreet.AccessRequest{}, discreet.Contact{}, nil, errRequestNotFound
	}
	r, err := s.store.AccessRequest(ctx, id)
	if isNotFound(err) {
		return r, discreet.Contact{}, nil, errRequestNotFound
	}
	if err != nil {
		return r, discreet.Contact{}, nil, err
	}
	c, e, ok, err := s.deciderOf(ctx, actor, r)
	if err != nil {
		return r, c, e, err
	}
	if !ok && r.Requester != actor.Email {
		return discreet.AccessRequest{}, discreet.Contact{}, nil, errRequestNotFound
	}
	return r, c, e, nil
}

// GrantAccess grants request id: scope (default what was asked) until
// in.ExpiresAt, DefaultGrantPeriod from now, or without end. An email
// grant is a share of the email with the requester made by the approver;
// contact grants are records the requester's reads consult. Granting a
// request again with the same outcome (a retry) mends a grant whose share
// was not written and answers as the first time.
func (s *Service) GrantAccess(ctx context.Context, actor discreet.User, id string, in GrantInput) (AccessRequestView, error) {
	r, c, e, err := s.requestFor(ctx, actor, id)
	if err != nil {
		return AccessRequestView{}, err
	}
	if r.Requester == actor.Email {
		return AccessRequestView{}, discreet.Errorf(discreet.EPermission, "you cannot decide your own request")
	}
	scope := in.Scope
	if scope == "" {
		scope = r.Scope
	}
	if !scope.Valid() {
		return AccessRequestView{}, discreet.FieldError("scope", "must be email, contact_emails or contact")
	}
	now := s.now()
	var expires time.Time
	switch {
	case in.NoEnd && in.ExpiresAt != nil:
		return AccessRequestView{}, discreet.FieldError("expiresAt", "give an end or noEnd, not both")
	case in.ExpiresAt != nil:
		if !in.ExpiresAt.After(now) {
			return AccessRequestView{}, discreet.FieldError("expiresAt", "must be in the future")
		}
		expires = in.ExpiresAt.UTC()
	case !in.NoEnd:
		expires = now.Add(discreet.DefaultGrantPeriod)
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return AccessRequestView{}, err
	}
	if err := s.refuseProtected(ctx, r.Contact, nil); err != nil {
		return AccessRequestView{}, err
	}
	if !policy.CanGrant(actor, r, scope, c, e, org) {
		switch scope {
		case discreet.GrantEmail:
			if r.EmailID == "" {
				return AccessRequestView{}, discreet.FieldError("scope", "this request names no email; grant contact_emails or contact")
			}
			return AccessRequestView{}, discreet.Errorf(discreet.EPermission, "you may grant this email only if you may share it (its owner, or an admin who may read it) or manage the contact and read it there when it is team or public")
		default:
			return AccessRequestView{}, discreet.Errorf(discreet.EPermission, "only the contact's owner, a manager of its team or an admin may grant access to the contact")
		}
	}
	gr := discreet.Grant{ID: "grant-" + r.ID, RequestID: r.ID, Grantee: r.Requester, Scope: scope, Contact: r.Contact,
		GrantedBy: actor.Email, GrantedAt: now, ExpiresAt: expires, ContactOwner: c.Owner}
	var sh *discreet.Share
	emailOwner := ""
	if scope == discreet.GrantEmail {
		emailOwner = e.Owner
		gr.EmailID, gr.ShareID = e.ID, "share-"+r.ID
		sh = &discreet.Share{ID: gr.ShareID, Users: []string{r.Requester}, By: actor.Email,
			ByAdmin: actor.Role == discreet.RoleAdmin && actor.Email != e.Owner, Basis: e.Visibility, At: now, ExpiresAt: expires, RequestID: r.ID}
	}
	decided, err := s.store.DecideAccessRequest(ctx, r.ID, store.AccessDecision{Status: discreet.RequestGranted, By: actor.Email, At: now, Grant: &gr})
	retry := discreet.ErrorCode(err) == discreet.EConflict && decided.Status == discreet.RequestGranted && decided.Grant != nil &&
		decided.DecidedBy == actor.Email && decided.Grant.Scope == scope
	if err != nil && !retry {
		return AccessRequestView{}, err
	}
	if retry && decided.Grant.ShareID != "" {
		// The first grant's share, as it decided it.
		sh.ID, sh.ExpiresAt, sh.At = decided.Grant.ShareID, decided.Grant.ExpiresAt, decided.Grant.GrantedAt
	}
	if sh != nil {
		if _, err := s.store.ChangeShares(ctx, e.ID, addShareOnce(*sh), policy.EmailAudience); err != nil {
			return AccessRequestView{}, err
		}
	}
	if !retry {
		if err := s.audit(ctx, requestAudit(actor.Email, discreet.AuditAccessGrant, decided, emailOwner, map[string]string{
			"request": r.ID, "scope": string(scope), "grantee": r.Requester, "expiresAt": timeOrNever(expires)})); err != nil {
			return AccessRequestView{}, err
		}
	}
	return AccessRequestView{AccessRequest: decided, RequesterName: s.names().user(ctx, decided.Requester)}, nil
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// addShareOnce adds sh unless a share with its id is there (a retry).
func addShareOnce(sh discreet.Share) func(discreet.Email) ([]discreet.Share, error) {
	return func(e discreet.Email) ([]discreet.Share, error) {
		for _, x := range e.Shares {
			if x.ID == sh.ID {
				return e.Shares, nil
			}
		}
		return append(slices.Clone(e.Shares), sh), nil
	}
}

// DenyAccess refuses request id.
func (s *Service) DenyAccess(ctx context.Context, actor discreet.User, id string, in DenyInput) (AccessRequestView, error) {
	r, c, e, err := s.requestFor(ctx, actor, id)
	if err != nil {
		return AccessRequestView{}, err
	}
	if !policy.CanDecideRequest(actor, r, c, e) {
		return AccessRequestView{}, discreet.Errorf(discreet.EPermission, "you cannot decide your own request")
	}
	note := strings.TrimSpace(in.Note)
	if len([]rune(note)) > maxNoteRunes {
		return AccessRequestView{}, discreet.FieldError("note", "at most %d characters", maxNoteRunes)
	}
	decided, err := s.store.DecideAccessRequest(ctx, r.ID, store.AccessDecision{Status: discreet.RequestDenied, By: actor.Email, At: s.now()})
	if err != nil {
		return AccessRequestView{}, err
	}
	emailOwner := ""
	if e != nil {
		emailOwner = e.Owner
	}
	if err := s.audit(ctx, requestAudit(actor.Email, discreet.AuditAccessDeny, decided, emailOwner, map[string]string{
		"request": r.ID, "note": note})); err != nil {
		return AccessRequestView{}, err
	}
	return AccessRequestView{AccessRequest: decided, RequesterName: s.names().user(ctx, decided.Requester)}, nil
}

// PendingDecisions is what needs user's decision now: the pending
// requests they may decide, and the grants they made or hold that end
// within ExpiringWithin (soonest first). The homepage shows it.
func (s *Service) PendingDecisions(ctx context.Context, user discreet.User) (PendingDecisions, error) {
	if err := requireUser(user); err != nil {
		return PendingDecisions{}, err
	}
	n := s.names()
	reqs, err := s.decidable(ctx, n, user)
	if err != nil {
		return PendingDecisions{}, err
	}
	out := PendingDecisions{Requests: reqs, Expiring: []discreet.Grant{}}
	now := s.now()
	seen := map[string]bool{}
	for _, q := range []store.GrantQuery{{GrantedBy: user.Email}, {Grantee: user.Email}} {
		gs, err := s.store.Grants(ctx, q)
		if err != nil {
			return PendingDecisions{}, err
		}
		for _, g := range gs {
			if !seen[g.ID] && g.LiveAt(now) && !g.ExpiresAt.IsZero() && g.ExpiresAt.Sub(now) <= ExpiringWithin {
				seen[g.ID] = true
				out.Expiring = append(out.Expiring, g)
			}
		}
	}
	slices.SortFunc(out.Expiring, func(a, b discreet.Grant) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return out, nil
}

// ShareInput shares one email with named users and teams, read-only,
// until ExpiresAt (none: without end).
type ShareInput struct {
	Users     []string   `json:"users"`
	Teams     []string   `json:"teams"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// ShareView is one share with whether it is in force now.
type ShareView struct {
	discreet.Share
	Live bool `json:"live"`
}

// maxShareNames bounds the users and teams of one share.
const maxShareNames = 50

// sharable loads an email for its shares: those who manage it (owner,
// admin) get it; a reader who does not manage it is told so (403); anyone
// else gets not_found.
func (s *Service) sharable(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
	e, org, err := s.manageableEmail(ctx, actor, id)
	if err != nil {
		return e, org, err
	}
	if !policy.CanManageEmail(actor, e) {
		return e, org, discreet.Errorf(discreet.EPermission, "only the owner of this email or an admin may see and change its shares")
	}
	return e, org, nil
}

func (s *Service) shareViews(e discreet.Email, org discreet.OrgSettings) []ShareView {
	now := s.now()
	out := make([]ShareView, 0, len(e.Shares))
	for _, sh := range e.Shares {
		out = append(out, ShareView{Share: sh, Live: policy.ShareLive(e, sh, org, now)})
	}
	return out
}

// Shares lists an email's shares (owner, admin).
func (s *Service) Shares(ctx context.Context, actor discreet.User, emailID string) ([]ShareView, error) {
	e, org, err := s.sharable(ctx, actor, emailID)
	if err != nil {
		return nil, err
	}
	return s.shareViews(e, org), nil
}

// ShareEmail shares one email with named colleagues and teams, read-only,
// by its owner or an admin who may read it (policy.CanShare): a share
// never lets anyone read what its sharer could not (policy.ShareLive).
func (s *Service) ShareEmail(ctx context.Context, actor discreet.User, emailID string, in ShareInput) (ShareView, error) {
	e, org, err := s.sharable(ctx, actor, emailID)
	if err != nil {
		return ShareView{}, err
	}
	if !policy.CanShare(actor, e, org) {
		return ShareView{}, discreet.Errorf(discreet.EPermission, "this email is private: admins may share it only when adminsReadPrivate is on")
	}
	if err := s.refuseProtected(ctx, "", &e); err != nil {
		return ShareView{}, err
	}
	now := s.now()
	sh := discreet.Share{ID: s.cfg.NewID(), By: actor.Email, ByAdmin: actor.Email != e.Owner && actor.Role == discreet.RoleAdmin,
		Basis: e.Visibility, At: now}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			return ShareView{}, discreet.FieldError("expiresAt", "must be in the future")
		}
		sh.ExpiresAt = in.ExpiresAt.UTC()
	}
	if len(in.Users)+len(in.Teams) == 0 {
		return ShareView{}, discreet.FieldError("users", "name at least one user or team")
	}
	if len(in.Users)+len(in.Teams) > maxShareNames {
		return ShareView{}, discreet.FieldError("users", "at most %d users and teams in one share", maxShareNames)
	}
	for _, u := range in.Users {
		addr, err := policy.NormalizeAddress(u)
		if err != nil {
			return ShareView{}, discreet.FieldError("users", "%q: %v", u, err)
		}
		if _, err := s.store.User(ctx, addr); isNotFound(err) {
			return ShareView{}, discreet.FieldError("users", "there is no user %s", addr)
		} else if err != nil {
			return ShareView{}, err
		}
		if !slices.Contains(sh.Users, addr) {
			sh.Users = append(sh.Users, addr)
		}
	}
	for _, t := range in.Teams {
		if _, err := s.store.Team(ctx, t); isNotFound(err) {
			return ShareView{}, discreet.FieldError("teams", "there is no team %q", t)
		} else if err != nil {
			return ShareView{}, err
		}
		if !slices.Contains(sh.Teams, t) {
			sh.Teams = append(sh.Teams, t)
		}
	}
	if _, err := s.store.ChangeShares(ctx, e.ID, addShareOnce(sh), policy.EmailAudience); err != nil {
		return ShareView{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditShare, EmailID: e.ID, EmailOwner: e.Owner,
		Detail: map[string]string{"share": sh.ID, "users": strings.Join(sh.Users, ","), "teams": strings.Join(sh.Teams, ","),
			"expiresAt": timeOrNever(sh.ExpiresAt)}}); err != nil {
		return ShareView{}, err
	}
	return ShareView{Share: sh, Live: policy.ShareLive(e, sh, org, now)}, nil
}

// RevokeShare removes one share (owner, admin); not_found when the email
// has no such share.
func (s *Service) RevokeShare(ctx context.Context, actor discreet.User, emailID, shareID string) error {
	e, _, err := s.sharable(ctx, actor, emailID)
	if err != nil {
		return err
	}
	var gone discreet.Share
	_, err = s.store.ChangeShares(ctx, e.ID, func(cur discreet.Email) ([]discreet.Share, error) {
		i := slices.IndexFunc(cur.Shares, func(x discreet.Share) bool { return x.ID == shareID })
		if i < 0 {
			return nil, discreet.Errorf(discreet.ENotFound, "this email has no share with this id")
		}
		gone = cur.Shares[i]
		return slices.Delete(slices.Clone(cur.Shares), i, i+1), nil
	}, policy.EmailAudience)
	if err != nil {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditShareRevoke, EmailID: e.ID, EmailOwner: e.Owner,
		Detail: map[string]string{"share": gone.ID, "users": strings.Join(gone.Users, ","), "teams": strings.Join(gone.Teams, ",")}})
}

// ExpireAccess audits the grants and shares that have expired and removes
// them: their keys leave the timelines and the hidden counts are exact
// again. Reads never depend on it (every check is against now); it runs
// from the jobs sweep and may run on any number of instances at once:
// each expiry's audit record has an id derived from the grant or share,
// so it is written once.
func (s *Service) ExpireAccess(ctx context.Context, actor discreet.User) (int, error) {
	if !policy.CanSweepJobs(actor) {
		return 0, discreet.Errorf(discreet.EPermission, "only the deployment or an admin may run the expiry sweep")
	}
	now := s.now()
	done := 0
	grants, err := s.store.ExpiredGrants(ctx, now, 100)
	if err != nil {
		return done, err
	}
	for _, g := range grants {
		rec := discreet.AuditRecord{ID: "expire-" + g.ID, At: now, Actor: policy.System, Action: discreet.AuditAccessExpire,
			Target: g.Contact, EmailOwner: g.ContactOwner,
			Detail: map[string]string{"grant": g.ID, "request": g.RequestID, "scope": string(g.Scope), "grantee": g.Grantee, "expiresAt": timeOrNever(g.ExpiresAt)}}
		if g.EmailID != "" {
			if e, err := s.store.Email(ctx, g.EmailID); err == nil {
				rec.EmailID, rec.EmailOwner = e.ID, e.Owner
			}
		}
		if err := s.appendOnce(ctx, rec); err != nil {
			return done, err
		}
		if err := s.store.DeleteGrant(ctx, g.ID); err != nil {
			return done, err
		}
		done++
	}
	ids, err := s.store.ExpiredShares(ctx, now, 100)
	if err != nil {
		return done, err
	}
	for _, id := range ids {
		e, err := s.store.Email(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return done, err
		}
		expired := func(sh discreet.Share) bool { return !sh.ExpiresAt.IsZero() && !now.Before(sh.ExpiresAt) }
		for _, sh := range e.Shares {
			if !expired(sh) || sh.RequestID != "" {
				continue // an email grant's expiry is audited as the grant's
			}
			if err := s.appendOnce(ctx, discreet.AuditRecord{ID: "expire-" + sh.ID, At: now, Actor: policy.System,
				Action: discreet.AuditShareExpire, EmailID: e.ID, EmailOwner: e.Owner,
				Detail: map[string]string{"share": sh.ID, "users": strings.Join(sh.Users, ","), "teams": strings.Join(sh.Teams, ",")}}); err != nil {
				return done, err
			}
		}
		if _, err := s.store.ChangeShares(ctx, id, func(cur discreet.Email) ([]discreet.Share, error) {
			return slices.DeleteFunc(slices.Clone(cur.Shares), expired), nil
		}, policy.EmailAudience); err != nil && !isNotFound(err) {
			return done, err
		}
		done++
	}
	return done, nil
}

// refuseProtected refuses a grant on a protected contact, or a share of
// an email with a protected participant: such emails are private to their
// participants, and policy.Grants gives a grant or share on them nothing,
// so saying yes would promise what it cannot give. Only the contact's
// approvers and the email's managers get here, and they know it is
// protected.
func (s *Service) refuseProtected(ctx context.Context, contact string, e *discreet.Email) error {
	prot, err := s.protectedSet(ctx)
	if err != nil {
		return err
	}
	if _, ok := prot.CoversAddress(contact); ok && contact != "" {
		return discreet.Errorf(discreet.EPermission, "%s is protected: its emails stay private to their participants, and no grant opens them; deny the request instead", contact)
	}
	if e != nil {
		if _, addr, ok := prot.CoversEmail(*e); ok {
			return discreet.Errorf(discreet.EPermission, "this email is with %s, who is protected: it stays private to its participants and cannot be shared", addr)
		}
	}
	return nil
}

// appendOnce appends r unless a record with its id exists.
func (s *Service) appendOnce(ctx context.Context, r discreet.AuditRecord) error {
	err := s.store.AppendAudit(ctx, r)
	if discreet.ErrorCode(err) == discreet.EConflict {
		return nil
	}
	return err
}
