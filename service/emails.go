package service

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// errEmailNotFound is the one answer for an email that does not exist and
// for one the caller may not read, so the two cannot be told apart.
var errEmailNotFound = discreet.Errorf(discreet.ENotFound, "there is no logged email with this id")

// canRead is policy.CanReadEmailWith with the caller's grants and their
// access to each of the email's contacts loaded from the store.
func (s *Service) canRead(ctx context.Context, actor discreet.User, org discreet.OrgSettings, e discreet.Email) (bool, error) {
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return false, err
	}
	return s.canReadKnowing(ctx, actor, org, nil, g, e)
}

// canReadKnowing is canRead with some contacts already read (known) and
// the caller's grants loaded (g).
func (s *Service) canReadKnowing(ctx context.Context, actor discreet.User, org discreet.OrgSettings, known map[string]discreet.Contact, g policy.Grants, e discreet.Email) (bool, error) {
	var loadErr error
	ok := policy.CanReadEmailWith(actor, e, org, func(addr string) (discreet.Contact, bool) {
		if c, ok := known[addr]; ok {
			return c, true
		}
		c, err := s.store.Contact(ctx, addr)
		switch {
		case err == nil:
			return c, true
		case !isNotFound(err) && loadErr == nil:
			loadErr = err
		}
		return discreet.Contact{}, false
	}, g)
	if !ok && loadErr != nil {
		return false, loadErr // a store outage is not "you may not read it"
	}
	return ok, nil
}

// loadEmail loads an email and the org settings for a signed-in caller,
// whoever may read it; not_found when there is none.
func (s *Service) loadEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
	if err := requireUser(actor); err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	if id == "" {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) {
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

// readableEmail loads an email the caller may read; not_found otherwise.
func (s *Service) readableEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
	e, org, err := s.loadEmail(ctx, actor, id)
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	ok, err := s.canRead(ctx, actor, org, e)
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	if !ok {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	return e, org, nil
}

// Email returns a logged email the caller may read; not_found otherwise.
// Reads of private and team emails by non-owners are audited.
func (s *Service) Email(ctx context.Context, actor discreet.User, id string) (EmailView, error) {
	e, _, err := s.readableEmail(ctx, actor, id)
	if err != nil {
		return EmailView{}, err
	}
	if err := s.auditRead(ctx, actor, e, "email"); err != nil {
		return EmailView{}, err
	}
	return s.emailView(ctx, s.names(), actor, e, true), nil
}

func (s *Service) emailView(ctx context.Context, n *names, actor discreet.User, e discreet.Email, withBody bool) EmailView {
	if !withBody {
		e.Body = ""
	}
	v := EmailView{Email: e, Uploaded: e.Uploaded(), OwnerName: n.user(ctx, e.Owner), CanManage: policy.CanManageEmail(actor, e)}
	if v.CanManage {
		v.Shares = e.Shares // who else reads it is for those who manage it
	}
	return v
}
