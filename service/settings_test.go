package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

func TestPutOrgSettingsValidation(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	for _, tc := range []struct {
		field  string
		change func(*discreet.OrgSettings)
	}{
		{"internalDomains", func(o *discreet.OrgSettings) { o.InternalDomains = []string{"acme.example", "not a domain"} }},
		{"internalDomains", func(o *discreet.OrgSettings) { o.InternalDomains = []string{"localhost"} }},
		{"defaultVisibility", func(o *discreet.OrgSettings) { o.DefaultVisibility = "" }},
		{"contactAccess", func(o *discreet.OrgSettings) {
			o.ContactAccess = map[discreet.Role]discreet.Scope{"intern": discreet.ScopeAll}
		}},
		{"contactAccess", func(o *discreet.OrgSettings) {
			o.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleRep: "some"}
		}},
		{"hiddenEmails", func(o *discreet.OrgSettings) { o.HiddenEmails = "all" }},
		{"maxBodyBytes", func(o *discreet.OrgSettings) { o.MaxBodyBytes = -1 }},
		{"maxBodyBytes", func(o *discreet.OrgSettings) { o.MaxBodyBytes = service.MaxBodyBytesLimit + 1 }},
	} {
		o, err := s.svc.OrgSettings(ctx, s.anna)
		if err != nil {
			t.Fatal(err)
		}
		tc.change(&o)
		_, err = s.svc.PutOrgSettings(ctx, s.admin, o)
		wantCode(t, err, discreet.EInvalid, tc.field)
	}
	o, _ := s.svc.OrgSettings(ctx, s.anna)
	o.InternalDomains = []string{" ACME.example. ", "acme.example", "bücher.example"}
	s.clock.Add(time.Minute) // newest first needs a later time than the seed's records
	got, err := s.svc.PutOrgSettings(ctx, s.admin, o)
	if err != nil || !slices.Equal(got.InternalDomains, []string{"acme.example", "xn--bcher-kva.example"}) {
		t.Errorf("normalized domains = %v, %v", got.InternalDomains, err)
	}
	p, _ := s.svc.Audit(ctx, s.admin, 1, "")
	if len(p.Items) != 1 || p.Items[0].Action != discreet.AuditSettings || p.Items[0].Detail["changed"] != "internalDomains" {
		t.Errorf("newest audit record = %+v", p.Items)
	}
}

func TestPeople(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	for _, tc := range []struct {
		u     discreet.User
		field string
	}{
		{discreet.User{Email: "bad@@x", Role: discreet.RoleRep}, "email"},
		{discreet.User{Email: "x@acme.example", Role: "boss"}, "role"},
		{discreet.User{Email: "x@acme.example", Role: discreet.RoleRep, Teams: []string{"de", "fr"}}, "teams"},
		{discreet.User{Email: "x@acme.example", Role: discreet.RoleRep, Teams: make([]string, policy.MaxTeamsPerUser+1)}, "teams"},
	} {
		if tc.field == "teams" && len(tc.u.Teams) > 2 {
			for i := range tc.u.Teams {
				tc.u.Teams[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
			}
		}
		_, err := s.svc.PutUser(ctx, s.admin, tc.u)
		wantCode(t, err, discreet.EInvalid, tc.field)
	}
	_, err := s.svc.PutTeam(ctx, s.admin, discreet.Team{ID: "Bad Id", Name: "x"})
	wantCode(t, err, discreet.EInvalid, "id")
	_, err = s.svc.PutTeam(ctx, s.admin, discreet.Team{ID: "fr"})
	wantCode(t, err, discreet.EInvalid, "name")

	u, err := s.svc.User(ctx, s.anna, "BEAT@acme-ch.example")
	if err != nil || u.Name != "Beat Keller" {
		t.Errorf("User: %+v, %v", u, err)
	}
	_, err = s.svc.User(ctx, s.anna, "ghost@acme.example")
	wantCode(t, err, discreet.ENotFound, "")

	var all []string
	cursor := ""
	for range 10 {
		p, err := s.svc.Users(ctx, s.anna, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range p.Items {
			all = append(all, u.Email)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if want := []string{"admin@acme.example", "anna@acme.example", "beat@acme-ch.example", "carla@acme-ch.example"}; !slices.Equal(all, want) {
		t.Errorf("users = %v, want %v", all, want)
	}
	_, err = s.svc.Users(ctx, s.anna, 0, "nope")
	wantCode(t, err, discreet.EInvalid, "cursor")
	_, err = s.svc.Users(ctx, s.anna, -1, "")
	wantCode(t, err, discreet.EInvalid, "limit")

	me, err := s.svc.Me(ctx, s.carla)
	if err != nil || len(me.Teams) != 1 || me.Teams[0].Name != "Switzerland" || len(me.Org.InternalDomains) != 2 {
		t.Errorf("Me = %+v, %v", me, err)
	}
	teams, err := s.svc.Teams(ctx, s.anna)
	if err != nil || len(teams) != 2 || teams[0].ID != "ch" {
		t.Errorf("Teams = %+v, %v", teams, err)
	}
	_, err = s.svc.Audit(ctx, s.admin, 0, "not-a-cursor")
	wantCode(t, err, discreet.EInvalid, "cursor")
}
