package service

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// errEmailNotFound is the one answer for an email that does not exist and
// for one the caller may not read, so the two cannot be told apart.
var errEmailNotFound = discreet.Errorf(discreet.ENotFound, "there is no logged email with this id")

// canRead is policy.CanReadEmail with the caller's access to each of the
// email's contacts loaded from the store.
func (s *Service) canRead(ctx context.Context, actor discreet.User, org discreet.OrgSettings, e discreet.Email) (bool, error) {
	return s.canReadKnowing(ctx, actor, org, nil, e)
}

// canReadKnowing is canRead with some contacts already read (known).
func (s *Service) canReadKnowing(ctx context.Context, actor discreet.User, org discreet.OrgSettings, known map[string]discreet.Contact, e discreet.Email) (bool, error) {
	var loadErr error
	seen := map[string]discreet.Access{}
	ok := policy.CanReadEmail(actor, e, org, func(addr string) discreet.Access {
		if a, ok := seen[addr]; ok {
			return a
		}
		if c, ok := known[addr]; ok {
			seen[addr] = policy.ContactAccess(actor, c, org)
			return seen[addr]
		}
		a := discreet.AccessStub
		c, err := s.store.Contact(ctx, addr)
		switch {
		case err == nil:
			a = policy.ContactAccess(actor, c, org)
		case !isNotFound(err) && loadErr == nil:
			loadErr = err
		}
		seen[addr] = a
		return a
	})
	if !ok && loadErr != nil {
		return false, loadErr // a store outage is not "you may not read it"
	}
	return ok, nil
}

// readableEmail loads an email the caller may read; not_found otherwise.
func (s *Service) readableEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
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
	return EmailView{Email: e, Uploaded: e.Uploaded(), OwnerName: n.user(ctx, e.Owner), CanManage: policy.CanManageEmail(actor, e)}
}
