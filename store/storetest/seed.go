package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunSeeding runs the conformance tests of store.Seeding.
func RunSeeding(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SeedInternalDomains", testSeedInternalDomains},
		{"SeedKeepsSettings", testSeedKeepsSettings},
		{"SeedConcurrent", testSeedConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func seedAudit(id string) discreet.AuditRecord {
	return discreet.AuditRecord{ID: id, At: at(0), Actor: "system", Action: discreet.AuditSettings,
		Detail: map[string]string{"changed": "internalDomains"}}
}

func auditIDs(t *testing.T, s store.Store) []string {
	t.Helper()
	rs, _, err := s.Audit(t.Context(), store.AuditQuery{Limit: 100})
	must(t, err, "Audit")
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// An org without internal domains gets them, with the defaults for the
// rest; a second seed changes nothing and is not audited.
func testSeedInternalDomains(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok, err := s.SeedInternalDomains(ctx, []string{"acme.com", "acme.ch"}, seedAudit("seed-1"))
	must(t, err, "SeedInternalDomains")
	if !ok {
		t.Fatal("the first seed did not seed")
	}
	want := discreet.DefaultOrgSettings()
	want.InternalDomains = []string{"acme.com", "acme.ch"}
	got, err := s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after seeding: %+v, want %+v", got, want)
	}
	ok, err = s.SeedInternalDomains(ctx, []string{"other.example"}, seedAudit("seed-2"))
	must(t, err, "SeedInternalDomains again")
	if ok {
		t.Fatal("a second seed replaced the domains")
	}
	if got, _ := s.OrgSettings(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the second seed: %+v", got)
	}
	if ids := auditIDs(t, s); !reflect.DeepEqual(ids, []string{"seed-1"}) {
		t.Fatalf("audit = %v, want only the first seed", ids)
	}
}

// Seeding keeps an admin's other settings, and never touches domains an
// admin set.
func testSeedKeepsSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := discreet.DefaultOrgSettings()
	o.AdminsReadPrivate = true
	o.HiddenEmails = discreet.HiddenStubs
	o.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleRep: discreet.ScopeOwned}
	must(t, s.PutOrgSettings(ctx, o), "PutOrgSettings")
	ok, err := s.SeedInternalDomains(ctx, []string{"acme.com"}, seedAudit("seed-1"))
	must(t, err, "SeedInternalDomains")
	o.InternalDomains = []string{"acme.com"}
	got, _ := s.OrgSettings(ctx)
	if !ok || !reflect.DeepEqual(got, o) {
		t.Fatalf("seeded %v: %+v, want %+v", ok, got, o)
	}

	o.InternalDomains = []string{"admin-chose.example"}
	must(t, s.PutOrgSettings(ctx, o), "PutOrgSettings with domains")
	ok, err = s.SeedInternalDomains(ctx, []string{"acme.com"}, seedAudit("seed-2"))
	must(t, err, "SeedInternalDomains over an admin's domains")
	got, _ = s.OrgSettings(ctx)
	if ok || !reflect.DeepEqual(got, o) {
		t.Fatalf("seeded %v over an admin's domains: %+v", ok, got)
	}
}

// Instances starting together seed once, with one audit record.
func testSeedConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 10
	var wg sync.WaitGroup
	results := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = s.SeedInternalDomains(ctx, []string{"acme.com"}, seedAudit(fmt.Sprintf("seed-%d", i)))
		})
	}
	wg.Wait()
	seeded := 0
	for i := range n {
		must(t, errs[i], "SeedInternalDomains")
		if results[i] {
			seeded++
		}
	}
	if seeded != 1 {
		t.Fatalf("%d of %d concurrent seeds seeded, want 1", seeded, n)
	}
	if ids := auditIDs(t, s); len(ids) != 1 {
		t.Fatalf("audit = %v, want one record", ids)
	}
	if got, _ := s.OrgSettings(ctx); !reflect.DeepEqual(got.InternalDomains, []string{"acme.com"}) {
		t.Fatalf("domains = %v", got.InternalDomains)
	}
}
