package service

import (
	"context"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// names resolves user and team display names for one request.
type names struct {
	s           *Service
	users       map[string]string
	teams       map[string]string
	teamsLoaded bool
}

func (s *Service) names() *names {
	return &names{s: s, users: map[string]string{}, teams: map[string]string{}}
}

// user is the display name of a user, or the address when they have none.
func (n *names) user(ctx context.Context, email string) string {
	if email == "" {
		return ""
	}
	if name, ok := n.users[email]; ok {
		return name
	}
	name := email
	u, err := n.s.store.User(ctx, email)
	switch {
	case err == nil && u.Name != "":
		name = u.Name
	case err != nil && !isNotFound(err):
		n.s.log.WarnContext(ctx, "could not resolve a user name", "user", email, "err", err)
	}
	n.users[email] = name
	return name
}

// team is the display name of a team, or its id when it has none.
func (n *names) team(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if !n.teamsLoaded {
		n.teamsLoaded = true
		ts, err := n.s.store.Teams(ctx)
		if err != nil {
			n.s.log.WarnContext(ctx, "could not resolve team names", "err", err)
		}
		for _, t := range ts {
			n.teams[t.ID] = t.Name
		}
	}
	if name := n.teams[id]; name != "" {
		return name
	}
	return id
}

// contactView is c as actor may see it: full, or the stub with existence
// and ownership only.
func (n *names) contactView(ctx context.Context, actor discreet.User, c discreet.Contact, access discreet.Access) ContactView {
	v := ContactView{
		Email:     c.Email,
		Access:    access,
		Owner:     c.Owner,
		OwnerName: n.user(ctx, c.Owner),
		Team:      c.Team,
		TeamName:  n.team(ctx, c.Team),
	}
	if access != discreet.AccessFull {
		return v
	}
	v.Name = c.Name
	if !c.CreatedAt.IsZero() {
		t := c.CreatedAt
		v.CreatedAt = &t
	}
	v.CanManage = policy.CanManageContact(actor, c)
	return v
}

// truncate cuts s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
