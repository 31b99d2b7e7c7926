package service_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// readability is, per user, the set of email ids they may read by the
// email route and the set they see on the contacts' timelines.
func readability(t *testing.T, s *seed, users []discreet.User, ids, contacts []string) map[string]map[string]bool {
	t.Helper()
	ctx := context.Background()
	out := map[string]map[string]bool{}
	for _, u := range users {
		got := map[string]bool{}
		for _, id := range ids {
			_, err := s.svc.Email(ctx, u, id)
			switch discreet.ErrorCode(err) {
			case "":
				got["route:"+id] = true
			case discreet.ENotFound:
			default:
				t.Fatalf("%s reads %s: %v", u.Email, id, err)
			}
		}
		for _, c := range contacts {
			tl, err := s.svc.Timeline(ctx, u, c, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range tl.Items {
				if it.Visible {
					got["timeline:"+it.Email.ID] = true
				}
			}
		}
		out[u.Email] = got
	}
	return out
}

// TestTransferReadability: for every user × email, the custodian transfer
// makes nothing readable by anyone who could not read it before, except
// the custodian; the former owner keeps exactly what a participant keeps;
// visibility and team stay; running it again changes nothing.
func TestTransferReadability(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	put := func(email, name string, role discreet.Role, teams ...string) discreet.User {
		u, err := s.svc.PutUser(ctx, s.admin, discreet.User{Email: email, Name: name, Role: role, Teams: teams})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dora := put("dora@acme-ch.example", "Dora", discreet.RoleRep, "de") // the custodian, in another team
	fritz := put("fritz@acme-ch.example", "Fritz", discreet.RoleRep, "ch")
	erik := put("erik@acme.example", "Erik", discreet.RoleRep, "de")
	users := []discreet.User{s.admin, s.anna, s.beat, s.carla, dora, fritz, erik}

	var ids []string
	contacts := []string{kunde, "lead@firm.example"}
	for i, v := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic} {
		m := mail{From: s.beat.Email, To: []string{kunde}, Subject: "Beat " + string(rune('a'+i))}
		if i == 0 {
			m.Cc = []string{s.carla.Email} // Carla is on the private one
		}
		ids = append(ids, s.logAs(t, s.beat, m, v).Email.ID)
	}
	ids = append(ids, s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{"lead@firm.example"}}, discreet.VisibilityPrivate).Email.ID)
	ids = append(ids, s.logAs(t, s.anna, mail{From: s.anna.Email, To: []string{kunde}}, discreet.VisibilityPublic).Email.ID)
	// An email Beat owns without being on it (imported before he left).
	imported := discreet.Email{ID: "imported-1", MessageID: "<imp@x>", Subject: "Imported", From: kunde, To: []string{"support@acme-ch.example"},
		Date: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Direction: discreet.Inbound, Owner: s.beat.Email, Team: "ch",
		Visibility: discreet.VisibilityPrivate, Contacts: []string{kunde}, Internal: []string{"support@acme-ch.example"},
		Participants: []string{kunde, "support@acme-ch.example"}, Source: discreet.SourceSync, LoggedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	if _, _, err := s.store.LogEmail(ctx, store.EmailWrite{Email: imported, Audience: policy.EmailAudience(imported)}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, imported.ID)

	before := readability(t, s, users, ids, contacts)
	if before[s.beat.Email]["route:imported-1"] != true {
		t.Fatal("fixture: Beat reads the email he owns")
	}

	j, err := s.svc.TransferUser(ctx, s.admin, "Beat@acme-ch.example", service.TransferRequest{To: dora.Email})
	if err != nil {
		t.Fatal(err)
	}
	done := runJob(t, s, j.ID)
	if done.State != store.JobDone || !strings.Contains(string(done.Report), `"emails":5`) || !strings.Contains(string(done.Report), `"contacts":2`) {
		t.Fatalf("transfer job: %+v %s", done, done.Report)
	}
	after := readability(t, s, users, ids, contacts)

	for _, u := range users {
		for k := range after[u.Email] {
			if !before[u.Email][k] && u.Email != dora.Email {
				t.Errorf("%s gained %s by the transfer", u.Email, k)
			}
		}
	}
	// The custodian reads every email Beat owned, by the route and on the
	// timelines.
	for _, id := range ids[:4] {
		if !after[dora.Email]["route:"+id] || !after[dora.Email]["timeline:"+id] {
			t.Errorf("the custodian cannot read %s", id)
		}
	}
	// The former owner keeps what a participant keeps: what Fritz (his
	// teammate, on none of them) reads, and the emails he was on.
	for k := range after[s.beat.Email] {
		id := k[strings.IndexByte(k, ':')+1:]
		e, err := s.store.Email(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !e.IsInternal(s.beat.Email) && !after[fritz.Email][k] {
			t.Errorf("the former owner still reads %s, which he was not on", k)
		}
	}
	if after[s.beat.Email]["route:imported-1"] || after[s.beat.Email]["timeline:imported-1"] {
		t.Error("the former owner reads the email he owned without being on it")
	}
	// Visibility and team stay; the contacts move, their team stays.
	for _, id := range ids {
		e, _ := s.store.Email(ctx, id)
		if strings.HasPrefix(e.Subject, "Beat") && (e.Owner != dora.Email || e.Team != "ch") {
			t.Errorf("%s: owner %s team %s", e.Subject, e.Owner, e.Team)
		}
	}
	c, _ := s.store.Contact(ctx, kunde)
	if c.Owner != dora.Email || c.Team != "ch" {
		t.Errorf("the contact: %+v", c)
	}

	// Again: nothing moves, nothing changes.
	j2, err := s.svc.TransferUser(ctx, s.admin, s.beat.Email, service.TransferRequest{To: dora.Email})
	if err != nil {
		t.Fatal(err)
	}
	if done := runJob(t, s, j2.ID); !strings.Contains(string(done.Report), `"emails":0`) || !strings.Contains(string(done.Report), `"contacts":0`) {
		t.Fatalf("second transfer: %s", done.Report)
	}
	again := readability(t, s, users, ids, contacts)
	for _, u := range users {
		if !maps.Equal(again[u.Email], after[u.Email]) {
			t.Errorf("%s: a second transfer changed what they read", u.Email)
		}
	}
	// The custodian sees the transfer in the audit of their emails.
	page, err := s.svc.Audit(ctx, dora, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for _, r := range page.Items {
		if r.Action == discreet.AuditTransferEmail {
			moved = append(moved, r.EmailID)
		}
	}
	slices.Sort(moved)
	want := slices.Clone(ids[:4])
	want = append(want, imported.ID)
	slices.Sort(want)
	if !slices.Equal(moved, want) {
		t.Errorf("the custodian's audit names %v, want %v", moved, want)
	}

	// Only admins; both users must exist and differ.
	_, err = s.svc.TransferUser(ctx, s.carla, s.beat.Email, service.TransferRequest{To: dora.Email})
	wantCode(t, err, discreet.EPermission, "")
	_, err = s.svc.TransferUser(ctx, s.admin, s.beat.Email, service.TransferRequest{To: s.beat.Email})
	wantCode(t, err, discreet.EInvalid, "to")
	_, err = s.svc.TransferUser(ctx, s.admin, s.beat.Email, service.TransferRequest{To: "nobody@acme.example"})
	wantCode(t, err, discreet.EInvalid, "to")
	_, err = s.svc.TransferUser(ctx, s.admin, "nobody@acme.example", service.TransferRequest{To: dora.Email})
	wantCode(t, err, discreet.ENotFound, "")
}
