package service_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// The shared fixtures under testdata/mail, logged through the whole path.
func TestLogFixtures(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	if _, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file      string
		as        discreet.User
		reason    discreet.Reason
		contacts  []string
		internal  []string
		direction discreet.Direction
		malformed bool
		wantCode  discreet.Code
		wantEntry string
		// wantHeader and wantText name an unreadable participant.
		wantHeader, wantText string
	}{
		{file: "multi-recipient.eml", as: s.anna, reason: discreet.ReasonLogged,
			contacts:  []string{"buchhaltung@berlin-tools.example", "einkauf@berlin-tools.example", "logistik@berlin-tools.example"},
			internal:  []string{"anna@acme.example", "beat@acme-ch.example", "carla@acme-ch.example"},
			direction: discreet.Inbound},
		{file: "idn.eml", as: s.beat, reason: discreet.ReasonLogged, contacts: []string{"kunde@xn--zrich-bank-9db.example"}, direction: discreet.Inbound},
		{file: "never-log.eml", as: s.anna, reason: discreet.ReasonNeverLogList, wantEntry: "@hr-partner.example"},
		{file: "no-message-id.eml", as: s.anna, reason: discreet.ReasonLogged, contacts: []string{"einkauf@berlin-tools.example"}, direction: discreet.Inbound},
		// "lager@@…", "beat@localhost" and "kein-at-zeichen" name no domain
		// the Never Log List could be checked against: not logged.
		{file: "malformed-addresses.eml", as: s.anna, reason: discreet.ReasonUnreadableParticipant, malformed: true,
			wantHeader: "To", wantText: "Lager <lager@@berlin-tools.example>"},
		{file: "sent-bcc.eml", as: s.beat, reason: discreet.ReasonLogged, contacts: []string{kunde}, direction: discreet.Outbound},
		{file: "reply-chain.eml", as: s.anna, wantCode: discreet.EPermission},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "testdata", "mail", tc.file))
			if err != nil {
				t.Skipf("fixture: %v", err)
			}
			res, err := s.svc.LogEmail(ctx, tc.as, service.LogRequest{Raw: raw})
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := res.Decision
			if d.Reason != tc.reason {
				t.Fatalf("reason = %s (%+v), want %s", d.Reason, d, tc.reason)
			}
			if tc.wantEntry != "" && d.Entry != tc.wantEntry {
				t.Errorf("entry = %q, want %q", d.Entry, tc.wantEntry)
			}
			if d.Header != tc.wantHeader || d.Text != tc.wantText {
				t.Errorf("header, text = %q, %q; want %q, %q", d.Header, d.Text, tc.wantHeader, tc.wantText)
			}
			if tc.malformed != (len(d.Malformed) > 0) {
				t.Errorf("malformed = %q", d.Malformed)
			}
			if tc.reason != discreet.ReasonLogged {
				if res.Email != nil {
					t.Errorf("email returned for %s", d.Reason)
				}
				return
			}
			e := res.Email
			if !slices.Equal(e.Contacts, tc.contacts) {
				t.Errorf("contacts = %v, want %v", e.Contacts, tc.contacts)
			}
			if tc.internal != nil && !slices.Equal(e.Internal, tc.internal) {
				t.Errorf("internal = %v, want %v", e.Internal, tc.internal)
			}
			if e.Direction != tc.direction || e.Subject == "" || e.Date.IsZero() || e.Snippet == "" {
				t.Errorf("direction %s subject %q date %v snippet %q", e.Direction, e.Subject, e.Date, e.Snippet)
			}
			// Logging the fixture again finds the same record.
			again, err := s.svc.LogEmail(ctx, tc.as, service.LogRequest{Raw: raw})
			if err != nil || again.Created || again.Decision.Reason != discreet.ReasonAlreadyLogged || again.Email == nil || again.Email.ID != e.ID {
				t.Errorf("second log: %+v, %v", again.Decision, err)
			}
		})
	}
}
