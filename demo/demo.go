// Package demo seeds an empty store with the org of the customer thread
// that Discreet answers: a German and a Swiss team, a Swiss customer owned
// by a Swiss rep with one public, one team and one private email, and a
// Never Log List. Everything goes through the service, as a real admin and
// real reps would do it, so the demo exercises the same rules as production.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// The demo org's people.
const (
	Admin = "admin@acme.example"
	Anna  = "anna@acme.example"     // rep, Germany
	Beat  = "beat@acme-ch.example"  // rep, Switzerland
	Carla = "carla@acme-ch.example" // manager, Switzerland

	SwissCustomer  = "kunde@zurich-bank.example"
	GermanCustomer = "einkauf@berlin-tools.example"
	NeverLogDomain = "@hr-partner.example"
)

// Subjects of the Swiss customer's three emails, one per visibility.
const (
	PublicSubject  = "Zurich Bank: renewal quote for 2027"
	TeamSubject    = "Zurich Bank: discount we can offer (Swiss team only)"
	PrivateSubject = "Zurich Bank: CFO's personal request, confidential"
)

// Empty reports whether the store has never been set up: no users at all.
func Empty(ctx context.Context, st store.Store) (bool, error) {
	users, err := st.Users(ctx, "", 1)
	return len(users) == 0, err
}

// Load seeds the demo org. It is meant for an empty store; run twice it
// changes nothing (logging is idempotent, puts replace).
func Load(ctx context.Context, svc *service.Service, st store.Store, now time.Time) error {
	// The first admin is provisioned directly, as DISCREET_BOOTSTRAP_ADMINS
	// would; everything after goes through the service as that admin.
	admin := discreet.User{Email: Admin, Name: "Ada Admin", Role: discreet.RoleAdmin, CreatedAt: now}
	if err := st.PutUser(ctx, admin); err != nil {
		return fmt.Errorf("demo: admin: %w", err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example", "acme-ch.example"}
	org.ContactAccess[discreet.RoleRep] = discreet.ScopeTeam
	org.ContactAccess[discreet.RoleManager] = discreet.ScopeTeam
	if _, err := svc.PutOrgSettings(ctx, admin, org); err != nil {
		return fmt.Errorf("demo: settings: %w", err)
	}
	for _, t := range []discreet.Team{{ID: "de", Name: "Germany"}, {ID: "ch", Name: "Switzerland"}} {
		if _, err := svc.PutTeam(ctx, admin, t); err != nil {
			return fmt.Errorf("demo: team %s: %w", t.ID, err)
		}
	}
	users := []discreet.User{
		{Email: Anna, Name: "Anna Schmidt", Role: discreet.RoleRep, Teams: []string{"de"}},
		{Email: Beat, Name: "Beat Keller", Role: discreet.RoleRep, Teams: []string{"ch"}},
		{Email: Carla, Name: "Carla Rossi", Role: discreet.RoleManager, Teams: []string{"ch"}},
	}
	byEmail := map[string]discreet.User{}
	for _, u := range users {
		stored, err := svc.PutUser(ctx, admin, u)
		if err != nil {
			return fmt.Errorf("demo: user %s: %w", u.Email, err)
		}
		byEmail[u.Email] = stored
	}
	if _, err := svc.AddNeverLog(ctx, admin, service.AddNeverLogRequest{
		Pattern: NeverLogDomain, Note: "HR provider: personnel matters are never logged",
	}); err != nil && discreet.ErrorCode(err) != discreet.EConflict {
		return fmt.Errorf("demo: never log: %w", err)
	}

	day := 24 * time.Hour
	for i, m := range []struct {
		by         string
		vis        discreet.Visibility
		from, to   string
		subject    string
		body       string
		daysBefore int
	}{
		{Beat, discreet.VisibilityPublic, Beat, SwissCustomer, PublicSubject,
			"Grüezi Herr Huber,\n\nattached is the renewal quote for 2027 as discussed.\n\nBeat", 9},
		{Beat, discreet.VisibilityTeam, SwissCustomer, Beat, TeamSubject,
			"Beat, we can go to 12% if the Basel branch signs too. Keep this within the Swiss team.", 6},
		{Beat, discreet.VisibilityPrivate, SwissCustomer, Beat, PrivateSubject,
			"Dear Beat, a personal matter about our CFO that must stay between us.", 3},
		{Anna, discreet.VisibilityPublic, Anna, GermanCustomer, "Berlin Tools: order confirmation",
			"Hallo, vielen Dank für die Bestellung. Anna", 2},
	} {
		raw := Message(m.from, m.to, m.subject, m.body, fmt.Sprintf("demo-%d", i+1), now.Add(-time.Duration(m.daysBefore)*day))
		if _, err := svc.LogEmail(ctx, byEmail[m.by], service.LogRequest{
			Raw: raw, Log: ptr(true), Visibility: m.vis, Source: discreet.SourceButton,
		}); err != nil {
			return fmt.Errorf("demo: log %s: %w", m.by, err)
		}
	}
	return nil
}

// LoadIfEmpty seeds the demo org when the store has no users yet.
func LoadIfEmpty(ctx context.Context, svc *service.Service, st store.Store, now time.Time) (bool, error) {
	empty, err := Empty(ctx, st)
	if err != nil {
		return false, err
	}
	if !empty {
		return false, nil
	}
	if err := Load(ctx, svc, st, now); err != nil {
		return false, errors.Join(errors.New("loading the demo org"), err)
	}
	return true, nil
}

// Message is a small RFC 5322 message; id makes its Message-ID unique.
func Message(from, to, subject, body, id string, date time.Time) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@demo.discreet>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, to, subject, id, date.UTC().Format(time.RFC1123Z), body)
}

func ptr[T any](v T) *T { return &v }
