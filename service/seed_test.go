package service_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// A first deploy: nobody can sign in until the org has internal domains.
// Instances starting together on one store seed them once, audited; after
// that colleagues sign in, and a later start changes nothing.
func TestSeedInternalDomains(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	instance := func() *service.Service {
		return service.New(service.Config{Store: st, Logger: slog.New(slog.DiscardHandler),
			BootstrapAdmins: []string{"it@acme.example"}})
	}
	first := instance()
	// anna signs in with her Workspace account (hd claim acme.example).
	anna := service.Identity{Email: "anna@acme.example", HostedDomain: "acme.example"}
	if _, err := first.SignInIdentity(ctx, anna); discreet.ErrorCode(err) != discreet.EUnauthenticated {
		t.Fatalf("before seeding anna signs in: %v", err)
	}

	var wg sync.WaitGroup
	seeded := make([]bool, 4)
	for i := range seeded {
		wg.Go(func() {
			ok, err := instance().SeedInternalDomains(ctx, []string{"ACME.example", "acme-ch.example", "acme.example"})
			if err != nil {
				t.Error(err)
			}
			seeded[i] = ok
		})
	}
	wg.Wait()
	n := 0
	for _, ok := range seeded {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d instances seeded, want 1", n)
	}
	org, err := st.OrgSettings(ctx)
	if err != nil || len(org.InternalDomains) != 2 || org.InternalDomains[0] != "acme.example" || org.InternalDomains[1] != "acme-ch.example" {
		t.Fatalf("internal domains %v (%v), want normalized and deduplicated", org.InternalDomains, err)
	}
	if u, err := first.SignInIdentity(ctx, anna); err != nil || u.Role != discreet.RoleRep {
		t.Fatalf("after seeding anna signs in as %+v, %v", u, err)
	}
	admin, err := first.SignIn(ctx, "it@acme.example")
	if err != nil || admin.Role != discreet.RoleAdmin {
		t.Fatalf("bootstrap admin: %+v, %v", admin, err)
	}
	page, err := first.Audit(ctx, admin, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, r := range page.Items {
		if r.Action == discreet.AuditSettings && r.Actor == service.SystemActor && r.Detail["internalDomains"] == "acme.example,acme-ch.example" {
			audited++
		}
	}
	if audited != 1 {
		t.Fatalf("%d audit records of the seed, want 1: %+v", audited, page.Items)
	}

	// An admin's choice stands at the next start.
	org.InternalDomains = []string{"acme.example"}
	if _, err := first.PutOrgSettings(ctx, admin, org); err != nil {
		t.Fatal(err)
	}
	if ok, err := instance().SeedInternalDomains(ctx, []string{"acme.example", "acme-ch.example"}); ok || err != nil {
		t.Fatalf("re-seeded over the admin's settings: %v, %v", ok, err)
	}
	if org, _ := st.OrgSettings(ctx); len(org.InternalDomains) != 1 {
		t.Fatalf("domains after restart: %v", org.InternalDomains)
	}
}

func TestSeedInternalDomainsInvalid(t *testing.T) {
	svc, _ := newService(t, service.Config{})
	if _, err := svc.SeedInternalDomains(t.Context(), []string{"acme.example", "not a domain"}); discreet.ErrorCode(err) != discreet.EInvalid {
		t.Fatalf("err = %v, want invalid", err)
	}
	if ok, err := svc.SeedInternalDomains(t.Context(), nil); ok || err != nil {
		t.Fatalf("no domains: %v, %v", ok, err)
	}
}

// orgListReads counts how often the org's Never Log List is read.
type orgListReads struct {
	store.Store
	n atomic.Int32
}

func (s *orgListReads) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	if scope == "" {
		s.n.Add(1)
	}
	return s.Store.NeverLog(ctx, scope)
}

// Warm compiles the org's Never Log List as the store holds it, so the
// first decision after it does not read the list again; changes another
// instance makes later still reach this one through the recorded changes,
// without a second read of the whole list.
func TestWarm(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin := discreet.User{Email: "it@acme.example", Role: discreet.RoleAdmin}
	other := service.New(service.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	hr, err := other.AddNeverLog(t.Context(), admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	if err != nil {
		t.Fatal(err)
	}

	counted := &orgListReads{Store: st}
	svc := service.New(service.Config{Store: counted, Logger: slog.New(slog.DiscardHandler)})
	if err := svc.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := counted.n.Load(); n != 1 {
		t.Fatalf("Warm read the org list %d times, want 1", n)
	}
	anna := discreet.User{Email: "anna@acme.example", Role: discreet.RoleRep}
	check := func(addr string) service.CheckResult {
		t.Helper()
		res, err := svc.CheckNeverLog(t.Context(), anna, []string{addr})
		if err != nil || len(res) != 1 {
			t.Fatalf("CheckNeverLog(%s) = %+v, %v", addr, res, err)
		}
		return res[0]
	}
	if r := check("lisa@hr-partner.example"); !r.Blocked || r.EntryID != hr.Entry.ID {
		t.Errorf("after Warm: %+v, want blocked by %s", r, hr.Entry.ID)
	}
	if n := counted.n.Load(); n != 1 {
		t.Fatalf("the first check after Warm read the org list again (%d reads)", n)
	}

	payroll, err := other.AddNeverLog(t.Context(), admin, service.AddNeverLogRequest{Pattern: "@payroll.example"})
	if err != nil {
		t.Fatal(err)
	}
	if r := check("x@payroll.example"); !r.Blocked || r.EntryID != payroll.Entry.ID {
		t.Errorf("an entry another instance added after Warm: %+v, want blocked by %s", r, payroll.Entry.ID)
	}
	if n := counted.n.Load(); n != 1 {
		t.Errorf("the change was applied by reading the whole list again (%d reads), not from the recorded changes", n)
	}
}
