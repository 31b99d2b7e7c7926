package service

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// nameTTL bounds how long an instance shows a user's or a team's display
// name after it changed: names are labels, never an access decision, so
// instances may disagree on one for this long (store/firestore/doc.go).
const nameTTL = time.Minute

// maxCachedNames bounds the cache's memory; past it the cache starts over.
const maxCachedNames = 20_000

// nameCache keeps display names read from the store for nameTTL, so a card
// does not read its owners' user documents on every open.
type nameCache struct {
	mu      sync.Mutex
	entries map[string]cachedName // "u:" + email or "t:" + team id
}

type cachedName struct {
	name string
	at   time.Time
}

func (c *nameCache) get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= nameTTL || now.Before(e.at) {
		return "", false
	}
	return e.name, true
}

func (c *nameCache) put(key, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedNames {
		c.entries = map[string]cachedName{}
	}
	c.entries[key] = cachedName{name, now}
}

// names resolves user and team display names for one request; safe for
// the request's concurrent reads.
type names struct {
	s  *Service
	mu sync.Mutex
	m  map[string]string
}

func (s *Service) names() *names {
	return &names{s: s, m: map[string]string{}}
}

// user is the display name of a user, or the address when they have none.
func (n *names) user(ctx context.Context, email string) string {
	return n.lookup(ctx, "u:", email, func() (string, error) {
		u, err := n.s.store.User(ctx, email)
		return u.Name, err
	})
}

// team is the display name of a team, or its id when it has none.
func (n *names) team(ctx context.Context, id string) string {
	return n.lookup(ctx, "t:", id, func() (string, error) {
		t, err := n.s.store.Team(ctx, id)
		return t.Name, err
	})
}

// lookup answers from the request, then from the instance's cache, then
// from the store; a missing name shows the key itself.
func (n *names) lookup(ctx context.Context, kind, key string, read func() (string, error)) string {
	if key == "" {
		return ""
	}
	k := kind + key
	n.mu.Lock()
	name, ok := n.m[k]
	n.mu.Unlock()
	if ok {
		return name
	}
	now := time.Now()
	if name, ok = n.s.displayNames.get(k, now); !ok {
		got, err := read()
		switch {
		case err == nil && got != "":
			name = got
		case err != nil && !isNotFound(err):
			n.s.log.WarnContext(ctx, "could not resolve a display name", "key", k, "err", err)
			return key // not cached: the next request tries again
		default:
			name = key
		}
		n.s.displayNames.put(k, name, now)
	}
	n.mu.Lock()
	n.m[k] = name
	n.mu.Unlock()
	return name
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
