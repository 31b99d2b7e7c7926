package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// The demo org shows the customer thread's problem solved: the German rep
// learns that the Swiss customer exists and who owns it, and reads nothing
// of its emails; the Swiss manager reads team and public, not private.
func TestDemoOrgSolvesTheSeedProblem(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{Store: st})
	loaded, err := demo.LoadIfEmpty(ctx, svc, st, time.Now())
	if err != nil || !loaded {
		t.Fatalf("LoadIfEmpty = %v, %v", loaded, err)
	}
	if loaded, err := demo.LoadIfEmpty(ctx, svc, st, time.Now()); err != nil || loaded {
		t.Fatalf("second LoadIfEmpty = %v, %v; want no-op", loaded, err)
	}
	user := func(email string) discreet.User {
		u, err := svc.SignIn(ctx, email)
		if err != nil {
			t.Fatalf("SignIn(%s): %v", email, err)
		}
		return u
	}

	anna := user(demo.Anna)
	c, err := svc.Contact(ctx, anna, demo.SwissCustomer)
	if err != nil {
		t.Fatal(err)
	}
	if c.Access != discreet.AccessStub || c.Owner != demo.Beat || c.OwnerName != "Beat Keller" || c.TeamName != "Switzerland" {
		t.Errorf("anna sees %+v; want the stub owned by Beat Keller, Switzerland", c)
	}
	tl, err := svc.Timeline(ctx, anna, demo.SwissCustomer, 20, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Items) != 0 || tl.Hidden == nil || tl.Hidden.Count != 3 {
		t.Errorf("anna's timeline = %d items, hidden %+v; want 0 and 3 hidden", len(tl.Items), tl.Hidden)
	}

	carla := user(demo.Carla)
	tl, err = svc.Timeline(ctx, carla, demo.SwissCustomer, 20, "")
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, it := range tl.Items {
		if it.Email != nil {
			subjects = append(subjects, it.Email.Subject)
		}
	}
	got := strings.Join(subjects, "\n")
	if !strings.Contains(got, demo.PublicSubject) || !strings.Contains(got, demo.TeamSubject) || strings.Contains(got, demo.PrivateSubject) {
		t.Errorf("carla reads %q; want public and team, not private", subjects)
	}

	checks, err := svc.CheckNeverLog(ctx, anna, []string{"anna@hr-partner.example"})
	if err != nil || len(checks) != 1 || !checks[0].Blocked {
		t.Errorf("hr-partner check = %+v, %v; want blocked", checks, err)
	}
}
