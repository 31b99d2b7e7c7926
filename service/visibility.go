package service

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// manageableEmail loads an email for a change. Admins manage every email,
// so they get it whether or not they may read it; anyone else gets only
// emails they may read, not_found otherwise.
func (s *Service) manageableEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
	if actor.Role != discreet.RoleAdmin {
		return s.readableEmail(ctx, actor, id)
	}
	return s.loadEmail(ctx, actor, id)
}

// SetVisibility changes an email's visibility (owner, admin).
func (s *Service) SetVisibility(ctx context.Context, actor discreet.User, id string, v discreet.Visibility) (EmailView, error) {
	if !v.Valid() {
		return EmailView{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	e, org, err := s.manageableEmail(ctx, actor, id)
	if err != nil {
		return EmailView{}, err
	}
	if !policy.CanManageEmail(actor, e) {
		return EmailView{}, discreet.Errorf(discreet.EPermission, "only the owner of this email or an admin may change its visibility")
	}
	if !policy.CanChangeVisibility(actor, e, org) {
		return EmailView{}, discreet.Errorf(discreet.EPermission, "this email is private: admins may change its visibility only when adminsReadPrivate is on; they may unlog it")
	}
	if e.Visibility != v {
		if err := s.mayChangeVisibility(ctx, actor, org, e, v); err != nil {
			return EmailView{}, err
		}
		prev := e.Visibility
		if e, err = s.store.SetVisibility(ctx, id, v, policy.EmailAudience); err != nil {
			return EmailView{}, err
		}
		if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditVisibility, EmailID: e.ID, EmailOwner: e.Owner,
			Detail: map[string]string{"from": string(prev), "to": string(v)}}); err != nil {
			return EmailView{}, err
		}
	}
	return s.emailView(ctx, s.names(), actor, e, true), nil
}

// mayChangeVisibility refuses a change the protection or the visibility
// policy forbids: an email with a protected participant stays private,
// the caller's policy caps and locks what they may set, and the owner's
// ceiling caps what anyone may set on their email. The caller manages the
// email and may read it, so naming the protected participant tells them
// nothing new.
func (s *Service) mayChangeVisibility(ctx context.Context, actor discreet.User, org discreet.OrgSettings, e discreet.Email, v discreet.Visibility) error {
	if v != discreet.VisibilityPrivate {
		prot, err := s.protectedSet(ctx)
		if err != nil {
			return err
		}
		if _, who, ok := prot.CoversEmail(e); ok {
			return &discreet.Error{Code: discreet.EPermission, Field: "visibility",
				Message: "this email is with a protected contact (" + who + "): it stays private"}
		}
	}
	if e.Owner != actor.Email {
		owner, err := s.store.User(ctx, e.Owner)
		switch {
		case isNotFound(err):
			// No longer a user: no role or team, so no rule of theirs.
		case err != nil:
			return err
		default:
			if r := policy.VisibilityPolicyFor(owner, org.VisibilityPolicy).Cap(v); r != nil {
				r.Owners = true
				return policyRefusal(r)
			}
		}
	}
	f := policy.VisibilityPolicyFor(actor, org.VisibilityPolicy)
	if !f.Any() {
		return nil
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return err
	}
	_, fallback := defaults(org, us)
	if _, refused := f.Resolve(v, fallback); refused != nil {
		return policyRefusal(refused)
	}
	return nil
}
