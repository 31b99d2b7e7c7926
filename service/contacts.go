package service

import (
	"context"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// contactAddress normalizes the address a caller names a contact by.
func contactAddress(email string) (string, error) {
	addr, err := policy.NormalizeAddress(email)
	if err != nil {
		return "", discreet.FieldError("email", "%v", err)
	}
	return addr, nil
}

// contact loads a contact; not_found only when nobody logged it, since its
// existence is never secret (the stub shows it).
func (s *Service) contact(ctx context.Context, addr string) (discreet.Contact, error) {
	c, err := s.store.Contact(ctx, addr)
	if isNotFound(err) {
		return discreet.Contact{}, discreet.Errorf(discreet.ENotFound, "nobody has logged email with %s", addr)
	}
	return c, err
}

// SearchContacts finds contacts by address or domain prefix; each result
// full or stub.
func (s *Service) SearchContacts(ctx context.Context, actor discreet.User, q string, limit int) ([]ContactView, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	q = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(q)), "@")
	if len([]rune(q)) < 2 {
		return nil, discreet.FieldError("q", "type at least 2 characters")
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	cs, err := s.store.SearchContacts(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	n := s.names()
	out := make([]ContactView, 0, len(cs))
	for _, c := range cs {
		out = append(out, n.contactView(ctx, actor, c, policy.ContactAccessWith(actor, c, org, g)))
	}
	return out, nil
}

// Contact returns a contact, full or stub; not_found only when nobody
// logged it.
func (s *Service) Contact(ctx context.Context, actor discreet.User, email string) (ContactView, error) {
	if err := requireUser(actor); err != nil {
		return ContactView{}, err
	}
	addr, err := contactAddress(email)
	if err != nil {
		return ContactView{}, err
	}
	c, err := s.contact(ctx, addr)
	if err != nil {
		return ContactView{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return ContactView{}, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return ContactView{}, err
	}
	return s.names().contactView(ctx, actor, c, policy.ContactAccessWith(actor, c, org, g)), nil
}

// SetContactOwner reassigns a contact (owner, its team's manager, admin).
func (s *Service) SetContactOwner(ctx context.Context, actor discreet.User, email, owner string) (ContactView, error) {
	if err := requireUser(actor); err != nil {
		return ContactView{}, err
	}
	addr, err := contactAddress(email)
	if err != nil {
		return ContactView{}, err
	}
	c, err := s.contact(ctx, addr)
	if err != nil {
		return ContactView{}, err
	}
	if !policy.CanManageContact(actor, c) {
		return ContactView{}, discreet.Errorf(discreet.EPermission, "only the owner of this contact, a manager of its team or an admin may reassign it")
	}
	ownerAddr, err := policy.NormalizeAddress(owner)
	if err != nil {
		return ContactView{}, discreet.FieldError("owner", "%v", err)
	}
	u, err := s.store.User(ctx, ownerAddr)
	if isNotFound(err) {
		return ContactView{}, discreet.FieldError("owner", "there is no user %s", ownerAddr)
	}
	if err != nil {
		return ContactView{}, err
	}
	prev := c
	if c, err = s.store.SetContactOwner(ctx, addr, u.Email, u.PrimaryTeam()); err != nil {
		return ContactView{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditOwner, Target: addr,
		Detail: map[string]string{"from": prev.Owner, "to": c.Owner, "fromTeam": prev.Team, "toTeam": c.Team}}); err != nil {
		return ContactView{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return ContactView{}, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return ContactView{}, err
	}
	return s.names().contactView(ctx, actor, c, policy.ContactAccessWith(actor, c, org, g)), nil
}

// Timeline returns a page of a contact's timeline as the caller sees it.
// Visible emails come without their body; what shows of the others follows
// the org's hiddenEmails setting.
func (s *Service) Timeline(ctx context.Context, actor discreet.User, email string, limit int, cursor string) (TimelineView, error) {
	if err := requireUser(actor); err != nil {
		return TimelineView{}, err
	}
	addr, err := contactAddress(email)
	if err != nil {
		return TimelineView{}, err
	}
	limit, err = pageLimit(limit)
	if err != nil {
		return TimelineView{}, err
	}
	c, err := s.contact(ctx, addr)
	if err != nil {
		return TimelineView{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return TimelineView{}, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return TimelineView{}, err
	}
	return s.timeline(ctx, s.names(), actor, org, g, c, limit, cursor)
}

// timeline is Timeline of a loaded contact, under the org settings the
// caller read and what they hold (g: grants, and the protected set read
// before the page, since a page read as if the contact were not protected
// would say, by its cursor, that hidden entries follow; g.Now is the
// instant every grant and share on the page is judged at). A protected
// contact's timeline shows what the viewer may read and nothing of the
// rest: no hidden count, no hidden rows (their dates and owners would show
// the owner's activity).
func (s *Service) timeline(ctx context.Context, n *names, actor discreet.User, org discreet.OrgSettings, g policy.Grants, c discreet.Contact, limit int, cursor string) (TimelineView, error) {
	addr := c.Email
	access := policy.ContactAccessWith(actor, c, org, g)
	mode := org.HiddenEmails
	if !mode.Valid() {
		mode = discreet.HiddenCount
	}
	if _, ok := g.Protected.CoversAddress(addr); ok {
		mode = discreet.HiddenNone
	}
	page, err := s.store.Timeline(ctx, store.TimelineQuery{
		Contact:     addr,
		Keys:        policy.ViewerAudienceWith(actor, org, c, g),
		All:         mode == discreet.HiddenStubs,
		Limit:       limit,
		Cursor:      cursor,
		CountHidden: mode == discreet.HiddenCount,
	})
	if err != nil {
		return TimelineView{}, cursorError(err, cursor)
	}
	view := TimelineView{Contact: n.contactView(ctx, actor, c, access), Items: []TimelineItem{}, Next: page.Next}
	// dropped counts entries the keys admitted but the rule refuses (an
	// expired share the sweep has not removed yet): the store counted
	// them as visible.
	dropped := 0
	for _, te := range page.Entries {
		if te.Visible && te.Email != nil {
			if policy.CanReadOnTimelineWith(actor, *te.Email, org, c, g) {
				if err := s.auditTimelineRead(ctx, actor, *te.Email); err != nil {
					return TimelineView{}, err
				}
				ev := s.emailView(ctx, n, actor, *te.Email, false)
				view.Items = append(view.Items, TimelineItem{Visible: true, Date: te.Date, Owner: te.Email.Owner, OwnerName: ev.OwnerName, Email: &ev})
				continue
			}
			dropped++
			if len(te.Email.Shares) == 0 {
				// The audience keys and the access rule disagree: trust the rule.
				s.log.WarnContext(ctx, "timeline entry visible by keys but not by policy", "email", te.EmailID, "viewer", actor.Email)
			}
		}
		if mode == discreet.HiddenStubs {
			view.Items = append(view.Items, TimelineItem{EmailID: te.EmailID, Date: te.Date, Owner: te.Owner, OwnerName: n.user(ctx, te.Owner)})
		}
	}
	if hidden := page.Hidden + dropped; mode == discreet.HiddenCount && hidden > 0 {
		view.Hidden = &HiddenSummary{Count: hidden, AtLeast: page.HiddenAtLeast, Owner: c.Owner, OwnerName: n.user(ctx, c.Owner)}
	}
	return view, nil
}
