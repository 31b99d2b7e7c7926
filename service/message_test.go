package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// TestMessageState: what the message card shows, from the one service
// call: a colleague's private copy is invisible (the card offers Log as
// for a message nobody logged), her own log shows, the Never Log List and
// an unreadable participant refuse, and a broken internal-domains setting
// fails the card rather than turn colleagues into contacts.
func TestMessageState(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	// Beat logs the offer privately, without Anna on it; she opens a copy
	// naming her in Bcc (as TestAlreadyLoggedRevealsNothing).
	beatsCopy := strings.Replace(offerSent, "Cc: Anna Schmidt <anna@acme.example>\r\n", "", 1)
	if res, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: []byte(beatsCopy), Visibility: discreet.VisibilityPrivate}); err != nil || !res.Created {
		t.Fatalf("Beat's log: %+v, %v", res, err)
	}
	annasCopy := "Bcc: anna@acme.example\n" + strings.Replace(offerUploaded, "Cc: anna@acme.example\n", "", 1)
	control := strings.Replace(annasCopy, "offer-2027@", "never-logged@", 1)
	want, err := s.svc.MessageState(ctx, s.anna, []byte(control), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.svc.MessageState(ctx, s.anna, []byte(annasCopy), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != nil || got.Decision != nil || want.Email != nil || want.Decision != nil {
		t.Fatalf("a colleague's private copy shows: %+v (a never-logged one: %+v)", got, want)
	}
	if len(got.Contacts) != 1 || got.Contacts[0].Address != "kunde@zurich-bank.example" || got.Contacts[0].Contact == nil {
		t.Fatalf("contacts: %+v", got.Contacts)
	}
	if tl := got.Contacts[0].Timeline; tl == nil || len(tl.Items) != 0 || tl.Hidden == nil || tl.Hidden.Count != 1 {
		t.Fatalf("Anna's view of the contact's timeline: %+v", tl)
	}

	// Her own log of her copy shows as hers.
	res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(annasCopy)})
	if err != nil || res.Email == nil {
		t.Fatalf("Anna's log: %+v, %v", res, err)
	}
	got, err = s.svc.MessageState(ctx, s.anna, []byte(annasCopy), "")
	if err != nil || got.Email == nil || got.Email.ID != res.Email.ID || got.Decision != nil {
		t.Fatalf("after her log: %+v, %v", got, err)
	}

	for name, tc := range map[string]struct {
		raw    string
		reason discreet.Reason
	}{
		"listed":          {strings.Replace(control, "To: kunde@zurich-bank.example", "To: lisa@hr-partner.example", 1), discreet.ReasonNeverLogList},
		"unreadable":      {strings.Replace(control, "To: kunde@zurich-bank.example", "To: kunde@[192.0.2.1]", 1), discreet.ReasonUnreadableParticipant},
		"colleagues only": {strings.Replace(control, "To: kunde@zurich-bank.example", "To: carla@acme-ch.example", 1), discreet.ReasonInternalOnly},
	} {
		if name == "listed" {
			if _, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"}); err != nil && discreet.ErrorCode(err) != discreet.EConflict {
				t.Fatal(err)
			}
		}
		st, err := s.svc.MessageState(ctx, s.anna, []byte(tc.raw), "")
		if err != nil || st.Decision == nil || st.Decision.Reason != tc.reason || st.Email != nil {
			t.Errorf("%s: %+v, %v; want %s", name, st.Decision, err, tc.reason)
		}
	}

	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org.InternalDomains = append(org.InternalDomains, "not a domain")
	if err := s.store.PutOrgSettings(ctx, org); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.MessageState(ctx, s.anna, []byte(control), ""); discreet.ErrorCode(err) != discreet.EInternal {
		t.Errorf("a broken internal-domains setting: %v, want an internal error", err)
	}
}
