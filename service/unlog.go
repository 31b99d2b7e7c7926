package service

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// Unlog deletes a logged email (owner, admin).
func (s *Service) Unlog(ctx context.Context, actor discreet.User, id string) error {
	e, _, err := s.manageableEmail(ctx, actor, id)
	if err != nil {
		return err
	}
	if !policy.CanManageEmail(actor, e) {
		return discreet.Errorf(discreet.EPermission, "only the owner of this email or an admin may unlog it")
	}
	if err := s.store.DeleteEmail(ctx, id); err != nil && !isNotFound(err) {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditUnlog, EmailID: e.ID, EmailOwner: e.Owner})
}
