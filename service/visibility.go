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
	if err := requireUser(actor); err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) || id == "" {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	return e, org, nil
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
