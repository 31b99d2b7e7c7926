package service_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/servicetest"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// seed is the org of the scenario: Germany and Switzerland, an admin, two
// reps and a Swiss manager.
type seed struct {
	svc                      *service.Service
	store                    store.Store
	clock                    *servicetest.Clock
	admin, anna, beat, carla discreet.User
}

const (
	kunde = "kunde@zurich-bank.example"
)

func newService(t testing.TB, cfg service.Config) (*service.Service, *servicetest.Clock) {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = openStore(t)
	}
	c := servicetest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	cfg.Now = c.Now
	cfg.Logger = slog.New(slog.DiscardHandler)
	return service.New(cfg), c
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newSeed(t testing.TB) *seed {
	t.Helper()
	return newSeedWith(t, service.Config{})
}

// newSeedWith is newSeed on cfg (its Store, when set, and jobs settings;
// Now, Logger and BootstrapAdmins are the seed's).
func newSeedWith(t testing.TB, cfg service.Config) *seed {
	t.Helper()
	ctx := context.Background()
	cfg.BootstrapAdmins = []string{"admin@acme.example"}
	if cfg.Store == nil {
		cfg.Store = openStore(t)
	}
	svc, c := newService(t, cfg)
	admin, err := svc.SignIn(ctx, "admin@acme.example")
	if err != nil {
		t.Fatalf("bootstrap admin sign-in: %v", err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example", "acme-ch.example"}
	org.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleManager: discreet.ScopeTeam, discreet.RoleRep: discreet.ScopeTeam}
	must(t, func() error { _, err := svc.PutOrgSettings(ctx, admin, org); return err })
	must(t, func() error { _, err := svc.PutTeam(ctx, admin, discreet.Team{ID: "de", Name: "Germany"}); return err })
	must(t, func() error {
		_, err := svc.PutTeam(ctx, admin, discreet.Team{ID: "ch", Name: "Switzerland"})
		return err
	})
	put := func(email, name string, role discreet.Role, team string) discreet.User {
		u, err := svc.PutUser(ctx, admin, discreet.User{Email: email, Name: name, Role: role, Teams: []string{team}})
		if err != nil {
			t.Fatalf("PutUser %s: %v", email, err)
		}
		return u
	}
	return &seed{
		svc:   svc,
		store: cfg.Store,
		clock: c,
		admin: admin,
		anna:  put("anna@acme.example", "Anna Schmidt", discreet.RoleRep, "de"),
		beat:  put("beat@acme-ch.example", "Beat Keller", discreet.RoleRep, "ch"),
		carla: put("carla@acme-ch.example", "Carla Rossi", discreet.RoleManager, "ch"),
	}
}

func must(t testing.TB, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

// mail is a test message; zero fields get sensible values.
type mail struct {
	From, Subject, MessageID, Body string
	To, Cc                         []string
	Date                           time.Time
}

var msgSeq struct {
	sync.Mutex
	n int
}

func (m mail) raw() []byte {
	if m.MessageID == "" {
		msgSeq.Lock()
		msgSeq.n++
		m.MessageID = fmt.Sprintf("<m%d.%d@test.example>", msgSeq.n, time.Now().UnixNano())
		msgSeq.Unlock()
	}
	if m.Date.IsZero() {
		m.Date = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	}
	if m.Subject == "" {
		m.Subject = "Hello"
	}
	if m.Body == "" {
		m.Body = "Body of " + m.Subject
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	if len(m.To) > 0 {
		fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.To, ", "))
	}
	if len(m.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", strings.Join(m.Cc, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		m.Subject, m.Date.Format(time.RFC1123Z), m.MessageID, m.Body)
	return []byte(b.String())
}

func ptr[T any](v T) *T { return &v }

// logAs logs m as u and fails the test on error.
func (s *seed) logAs(t *testing.T, u discreet.User, m mail, vis discreet.Visibility) service.LogResult {
	t.Helper()
	res, err := s.svc.LogEmail(context.Background(), u, service.LogRequest{Raw: m.raw(), Visibility: vis})
	if err != nil {
		t.Fatalf("LogEmail by %s: %v", u.Email, err)
	}
	return res
}

// wantCode checks err's code and, when field is not "", the field it names.
func wantCode(t *testing.T, err error, code discreet.Code, field string) *discreet.Error {
	t.Helper()
	if got := discreet.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	var e *discreet.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *discreet.Error", err)
	}
	if field != "" && e.Field != field {
		t.Fatalf("error field = %q (%v), want %q", e.Field, err, field)
	}
	return e
}

// runJob runs job id to its end as a driver would, moving the test clock
// over the waits the job asks for (a purge's second pass), and returns it
// as its starter sees it.
func runJob(t *testing.T, s *seed, id string) service.JobView {
	t.Helper()
	return servicetest.RunJob(t, context.Background(), s.svc, s.admin, s.clock, id)
}
