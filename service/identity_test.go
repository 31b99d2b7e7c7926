package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// mailbox is a Gmail stand-in: message id → raw bytes, for any token.
type mailbox map[string][]byte

func (m mailbox) Raw(_ context.Context, _ service.GmailTokens, id string) ([]byte, error) {
	if raw, ok := m[id]; ok {
		return raw, nil
	}
	return nil, discreet.Errorf(discreet.ENotFound, "no such message")
}

// offer is Beat's email to the Swiss customer, Anna in Cc, in the three
// forms one message takes: Beat's sent copy (with Bcc, CRLF,
// quoted-printable), Anna's copy as Gmail fetches it (delivery headers,
// no Bcc, base64), and the bytes a rep saved and uploads.
const (
	offerSent = "From: Beat Keller <beat@acme-ch.example>\r\nTo: kunde@zurich-bank.example\r\nCc: Anna Schmidt <anna@acme.example>\r\n" +
		"Bcc: carla@acme-ch.example\r\nSubject: =?utf-8?q?Angebot_f=C3=BCr_2027?=\r\nDate: Mon, 2 Mar 2026 09:30:00 +0100\r\n" +
		"Message-ID: <offer-2027@acme-ch.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BCezi Herr Huber,\r\n\r\n12% Rabatt ab 2027.=20\r\n\r\nBeat\r\n"
	offerBody     = "Grüezi Herr Huber,\n\n12% Rabatt ab 2027.\n\nBeat\n"
	offerUploaded = "From: beat@acme-ch.example\nTo: kunde@zurich-bank.example\nCc: anna@acme.example\nSubject: Angebot für 2027\n" +
		"Date: Mon, 2 Mar 2026 08:30:00 +0000\nMessage-ID: <offer-2027@acme-ch.example>\nContent-Type: text/plain; charset=utf-8\n\n" + offerBody
)

// offerReceived is the copy in Anna's mailbox.
var offerReceived = "Delivered-To: anna@acme.example\nReceived: from mx.acme-ch.example by mx.acme.example\n" +
	"From: Beat Keller <beat@acme-ch.example>\nTo: kunde@zurich-bank.example\nCc: anna@acme.example\n" +
	"Subject: =?UTF-8?B?QW5nZWJvdCBmw7xyIDIwMjc=?=\nDate: Mon, 02 Mar 2026 09:30:00 +0100\n" +
	"Message-ID: <offer-2027@acme-ch.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n" +
	"Content-Transfer-Encoding: base64\n\nR3LDvGV6aSBIZXJyIEh1YmVyLAoKMTIlIFJhYmF0dCBhYiAyMDI3LgoKQmVhdAo=\n"

// TestTwoCopiesOneEmail: the sender's copy, a recipient's copy fetched from
// Gmail and an upload of the same message are one email, whatever the
// org's body settings were when each was logged.
func TestTwoCopiesOneEmail(t *testing.T) {
	ctx := context.Background()
	s := newSeedWith(t, service.Config{Gmail: mailbox{"anna-1": []byte(offerReceived)}})
	first, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: []byte(offerSent), Visibility: discreet.VisibilityTeam})
	if err != nil || !first.Created || first.Email == nil {
		t.Fatalf("Beat's sent copy: %+v, %v", first, err)
	}
	if !first.Email.Uploaded || first.Email.Subject != "Angebot für 2027" {
		t.Errorf("Beat's copy: uploaded %v, subject %q", first.Email.Uploaded, first.Email.Subject)
	}

	// The org stops keeping bodies, then caps them: the identity holds.
	org, err := s.svc.OrgSettings(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	org.StoreBodies = false
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	second, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{GmailMessageID: "anna-1", Gmail: service.GmailTokens{OAuthToken: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Decision.Reason != discreet.ReasonAlreadyLogged || second.Email == nil || second.Email.ID != first.Email.ID {
		t.Fatalf("Anna's copy from Gmail: %+v, want already_logged %s", second.Decision, first.Email.ID)
	}
	org.StoreBodies, org.MaxBodyBytes = true, 10
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	third, err := s.svc.LogEmail(ctx, s.carla, service.LogRequest{Raw: []byte(offerUploaded)})
	if discreet.ErrorCode(err) != discreet.EPermission {
		// Carla was only in Bcc of Beat's copy; the upload does not name her.
		t.Fatalf("Carla uploading a copy that does not name her: %+v, %v", third, err)
	}
	third, err = s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(offerUploaded)})
	if err != nil || third.Created || third.Email == nil || third.Email.ID != first.Email.ID {
		t.Fatalf("the uploaded copy: %+v, %v", third, err)
	}
	// The add-on's lookup finds it from Anna's copy.
	got, err := s.svc.LoggedCopy(ctx, s.anna, []byte(offerReceived), "anna-1")
	if err != nil || got.ID != first.Email.ID {
		t.Fatalf("LoggedCopy: %+v, %v", got, err)
	}
	tl, err := s.svc.Timeline(ctx, s.beat, kunde, 0, "")
	if err != nil || len(tl.Items) != 1 {
		t.Fatalf("timeline: %d items, %v; want one email", len(tl.Items), err)
	}
}

// TestForgedCopyDoesNotPreempt: Anna uploads a forged email under the
// Message-ID Beat's real one will have; Beat's real email is still logged,
// as his own record, and the forgery stays hers and marked uploaded.
func TestForgedCopyDoesNotPreempt(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	forged := strings.Replace(offerUploaded, offerBody, "Please wire the deposit to CH93 0076 2011 6238 5295 7.\n", 1)
	f, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(forged), Visibility: discreet.VisibilityPublic})
	if err != nil || !f.Created {
		t.Fatalf("forgery: %+v, %v", f, err)
	}
	real, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: []byte(offerSent), Visibility: discreet.VisibilityPrivate})
	if err != nil {
		t.Fatal(err)
	}
	if !real.Created || real.Email == nil || real.Email.ID == f.Email.ID || real.Email.Owner != s.beat.Email ||
		real.Email.Visibility != discreet.VisibilityPrivate || !strings.Contains(real.Email.Body, "12% Rabatt") {
		t.Fatalf("Beat's real email was pre-empted: %+v", real)
	}
	stillForged, err := s.svc.Email(ctx, s.anna, f.Email.ID)
	if err != nil || stillForged.Owner != s.anna.Email || !stillForged.Uploaded {
		t.Fatalf("the forgery: %+v, %v", stillForged, err)
	}
	// Each of them finds their own from their copy.
	if got, err := s.svc.LoggedCopy(ctx, s.beat, []byte(offerSent), ""); err != nil || got.ID != real.Email.ID {
		t.Errorf("Beat's lookup: %+v, %v", got.ID, err)
	}
	if got, err := s.svc.LoggedCopy(ctx, s.anna, []byte(forged), ""); err != nil || got.ID != f.Email.ID {
		t.Errorf("Anna's lookup: %+v, %v", got.ID, err)
	}
}

// TestAlreadyLoggedRevealsNothing: Beat logs his email privately. Anna
// uploads a copy with the same content that names her only where the
// fingerprint does not look (Reply-To, Sender, Bcc, Resent-To). She may not
// read Beat's record, so the answer must be what a first log would be: a
// record of her own, created, with an id she cannot relate to Beat's.
func TestAlreadyLoggedRevealsNothing(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	beatsCopy := []byte(strings.Replace(offerSent, "Cc: Anna Schmidt <anna@acme.example>\r\n", "", 1))
	beats, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: beatsCopy, Visibility: discreet.VisibilityPrivate})
	if err != nil || !beats.Created {
		t.Fatalf("Beat: %+v, %v", beats, err)
	}
	noAnna := strings.Replace(offerUploaded, "Cc: anna@acme.example\n", "", 1)
	control := strings.Replace(noAnna, "offer-2027@", "never-logged@", 1)
	for i, header := range []string{"Reply-To: anna@acme.example\n", "Sender: anna@acme.example\n", "Bcc: anna@acme.example\n", "Resent-To: anna@acme.example\nResent-From: anna@acme.example\n"} {
		copyOf := header + noAnna
		// What a first log looks like: the same copy of a message nobody
		// logged.
		ctl, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(header + strings.Replace(control, "never-logged@", fmt.Sprintf("never-logged-%d@", i), 1))})
		if err != nil {
			t.Fatalf("%q control: %v", header, err)
		}
		res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(copyOf)})
		if err != nil {
			t.Fatalf("%q: %v", header, err)
		}
		if !res.Created || res.Decision.Reason != discreet.ReasonLogged || res.Email == nil {
			t.Fatalf("%q: %+v, want a first log (created, logged)", header, res.Decision)
		}
		if res.Email.ID == beats.Email.ID || res.Email.Owner != s.anna.Email {
			t.Fatalf("%q: Anna got Beat's record", header)
		}
		if shape(res) != shape(ctl) {
			t.Errorf("%q: the answer differs from a first log:\n%s\n%s", header, shape(res), shape(ctl))
		}
		// Again: her own record, already logged.
		again, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(copyOf)})
		if err != nil || again.Created || again.Email == nil || again.Email.ID != res.Email.ID {
			t.Fatalf("%q again: %+v, %v", header, again, err)
		}
		if got, err := s.svc.LoggedCopy(ctx, s.anna, []byte(copyOf), ""); err != nil || got.ID != res.Email.ID {
			t.Errorf("%q: Anna's lookup: %v, %v", header, got.ID, err)
		}
		// Beat's record stays out of her sight.
		if _, err := s.svc.Email(ctx, s.anna, beats.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("%q: Anna reads Beat's private email: %v", header, err)
		}
		// The first one to log sees the first record.
		if got, err := s.svc.LoggedCopy(ctx, s.beat, beatsCopy, ""); err != nil || got.ID != beats.Email.ID {
			t.Errorf("%q: Beat's lookup: %v, %v", header, got.ID, err)
		}
		if err := s.svc.Unlog(ctx, s.anna, res.Email.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Carla was in Bcc of Beat's copy, so she is an internal participant of
	// his record and may read it: her copy, which names her in Reply-To,
	// is answered already_logged with Beat's record.
	withCarla := strings.Replace(noAnna, "To: kunde@zurich-bank.example\n", "To: kunde@zurich-bank.example\nReply-To: carla@acme-ch.example\n", 1)
	res, err := s.svc.LogEmail(ctx, s.carla, service.LogRequest{Raw: []byte(withCarla)})
	if err != nil || res.Created || res.Email == nil || res.Email.ID != beats.Email.ID || res.Decision.Reason != discreet.ReasonAlreadyLogged {
		t.Errorf("Carla (on Beat's record): %+v, %v", res.Decision, err)
	}
}

// shape is what a log answer tells apart besides ids and names: the
// decision's fields, creation, and which email fields are set.
func shape(r service.LogResult) string {
	d := r.Decision
	var e service.EmailView
	if r.Email != nil {
		e = *r.Email
	}
	return fmt.Sprintf("created=%v logged=%v reason=%s entry=%q contacts=%v internal=%d vis=%s email=%v uploaded=%v canManage=%v source=%s",
		r.Created, d.Logged, d.Reason, d.Entry, d.Contacts, len(d.Internal), d.Visibility, r.Email != nil, e.Uploaded, e.CanManage, e.Source)
}

// TestOneEmailAcrossInstances: two service instances on one store (the
// fleet) logging one message at once make one record.
func TestOneEmailAcrossInstances(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	other := service.New(service.Config{Store: s.store, Logger: slog.New(slog.DiscardHandler)})
	var mu sync.Mutex
	created, ids := 0, map[string]bool{}
	var wg sync.WaitGroup
	for i := range 20 {
		svc, who := s.svc, s.beat
		if i%2 == 1 {
			svc, who = other, s.anna
		}
		wg.Go(func() {
			res, err := svc.LogEmail(ctx, who, service.LogRequest{Raw: []byte(offerSent)})
			if err != nil {
				t.Errorf("LogEmail: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Created {
				created++
			}
			if res.Email != nil {
				ids[res.Email.ID] = true
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("created %d, ids %v: want one email", created, ids)
	}
}

// TestUploadsSetting: the org decides who may log uploaded bytes; Gmail
// fetched mail is not an upload.
func TestUploadsSetting(t *testing.T) {
	ctx := context.Background()
	s := newSeedWith(t, service.Config{Gmail: mailbox{"anna-1": []byte(offerReceived)}})
	org, err := s.svc.OrgSettings(ctx, s.anna)
	if err != nil || org.Uploads != discreet.UploadsAll {
		t.Fatalf("default uploads = %q, %v; want all", org.Uploads, err)
	}
	set := func(u discreet.Uploads) {
		t.Helper()
		org.Uploads = u
		if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
			t.Fatal(err)
		}
	}
	upload := func(u discreet.User) error {
		_, err := s.svc.LogEmail(ctx, u, service.LogRequest{Raw: []byte(fmt.Sprintf("From: %s\nTo: %s\nSubject: x\nMessage-ID: <up-%d@x.example>\n\nhi\n", u.Email, kunde, time.Now().UnixNano()))})
		return err
	}
	set(discreet.UploadsAdmins)
	e := wantCode(t, upload(s.anna), discreet.EPermission, "")
	if !strings.Contains(e.Message, "uploads") || !strings.Contains(e.Message, "admins") {
		t.Errorf("the refusal does not name the setting: %q", e.Message)
	}
	if err := upload(s.admin); err != nil {
		t.Errorf("admin upload with uploads=admins: %v", err)
	}
	res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{GmailMessageID: "anna-1", Gmail: service.GmailTokens{OAuthToken: "tok"}})
	if err != nil || res.Email == nil || res.Email.Uploaded {
		t.Fatalf("Gmail-fetched log with uploads=admins: %+v, %v", res, err)
	}
	set(discreet.UploadsOff)
	e = wantCode(t, upload(s.admin), discreet.EPermission, "")
	if !strings.Contains(e.Message, "uploads") || !strings.Contains(e.Message, "off") {
		t.Errorf("the refusal does not name the setting: %q", e.Message)
	}
	set("")
	if org, _ := s.svc.OrgSettings(ctx, s.anna); org.Uploads != discreet.UploadsAll {
		t.Errorf("uploads \"\" stored as %q, want all", org.Uploads)
	}
	if err := upload(s.anna); err != nil {
		t.Errorf("upload with uploads=all: %v", err)
	}
	org.Uploads = "everyone"
	_, err = s.svc.PutOrgSettings(ctx, s.admin, org)
	wantCode(t, err, discreet.EInvalid, "uploads")
	// Raw and a Gmail id at once would let an upload pass as fetched.
	_, err = s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: []byte(offerUploaded), GmailMessageID: "anna-1"})
	wantCode(t, err, discreet.EInvalid, "raw")
}

// TestMetadataOnly: with storeBodies off no body text is kept, snippet
// included, in the record and on timelines.
func TestMetadataOnly(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	org, err := s.svc.OrgSettings(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	org.StoreBodies = false
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	res, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: []byte(offerSent)})
	if err != nil || res.Email == nil {
		t.Fatalf("%+v, %v", res, err)
	}
	stored, err := s.svc.Email(ctx, s.beat, res.Email.ID)
	if err != nil || stored.Body != "" || stored.Snippet != "" || stored.Subject == "" {
		t.Fatalf("metadata-only record: body %q snippet %q subject %q, %v", stored.Body, stored.Snippet, stored.Subject, err)
	}
	tl, err := s.svc.Timeline(ctx, s.beat, kunde, 0, "")
	if err != nil || len(tl.Items) != 1 || tl.Items[0].Email.Snippet != "" {
		t.Fatalf("timeline: %+v, %v", tl.Items, err)
	}
}
