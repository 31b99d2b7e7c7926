package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// legacyEmail is raw as the service stored it before content fingerprints
// (commit 816438a, service/emails.go logMessage): id the hash of the
// Message-ID alone (else of the Gmail id, else of the bytes), body and
// snippet as the org's settings said then.
func legacyEmail(t *testing.T, raw []byte, owner discreet.User, gmailID string, org discreet.OrgSettings, vis discreet.Visibility, now time.Time) discreet.Email {
	t.Helper()
	msg, err := message.Parse(raw, message.Options{MaxBodyBytes: org.MaxBodyBytes, StoreBody: org.StoreBodies})
	if err != nil {
		t.Fatal(err)
	}
	domains, err := policy.NewDomains(org.InternalDomains)
	if err != nil {
		t.Fatal(err)
	}
	idKey := gmailID
	if msg.MessageID == "" && gmailID == "" {
		sum := sha256.Sum256(raw)
		idKey = "sha256:" + hex.EncodeToString(sum[:])
	}
	date := msg.Date.UTC()
	if date.IsZero() || date.Year() < 1970 || date.Year() > 9999 {
		date = now
	}
	var contacts, internal, participants, from []string
	for _, p := range msg.Participants {
		if p.Err != nil || p.Address == "" {
			continue
		}
		participants = append(participants, p.Address)
		if p.Field == "from" {
			from = append(from, p.Address)
		}
		switch {
		case slices.Contains(contacts, p.Address), slices.Contains(internal, p.Address):
		case domains.Covers(p.Address):
			internal = append(internal, p.Address)
		default:
			contacts = append(contacts, p.Address)
		}
	}
	slices.Sort(contacts)
	slices.Sort(internal)
	slices.Sort(participants)
	e := discreet.Email{
		ID: policy.LegacyEmailID(msg.MessageID, idKey), MessageID: msg.MessageID, GmailMessageID: gmailID,
		Subject: msg.Subject, To: msg.Addresses("to"), Cc: msg.Addresses("cc"), Date: date, Direction: discreet.Outbound,
		Snippet: msg.Snippet, Body: msg.BodyText, Owner: owner.Email, Team: owner.PrimaryTeam(), Visibility: vis,
		Contacts: contacts, Internal: internal, Participants: slices.Compact(participants), Source: discreet.SourceButton, LoggedAt: now,
		From: msg.From,
	}
	if len(from) > 0 {
		e.From = from[0]
	}
	if !org.StoreBodies {
		e.Body = ""
	}
	return e
}

// TestLegacyEmailsStillFound: emails stored under the old identity (the
// Message-ID alone) keep resolving on both stores: by id, as the
// already_logged answer to logging the same email again, and by the
// add-on's lookup; a message reusing the Message-ID with other content is
// another email.
func TestLegacyEmailsStillFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		ctx := context.Background()
		e := newEnv(t, envOptions{store: st})
		s := seed(t, e)
		beatUser, err := st.User(ctx, beat)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
		metadataOnly := s.org
		metadataOnly.StoreBodies = false
		capped := s.org
		capped.MaxBodyBytes = 20
		for _, tc := range []struct {
			name    string
			mail    mail
			org     discreet.OrgSettings
			gmailID string
		}{
			{"body kept", mail{from: beat, to: []string{kunde}, subject: "Legacy offer", body: "Dear customer, the legacy offer.", messageID: "<legacy-1@acme-ch.example>"}, s.org, ""},
			{"body capped", mail{from: beat, to: []string{kunde}, subject: "Legacy capped", body: "A body longer than twenty bytes, cut.", messageID: "<legacy-2@acme-ch.example>"}, capped, ""},
			{"metadata only", mail{from: beat, to: []string{kunde}, subject: "Legacy metadata", body: "Only the snippet was kept.", messageID: "<legacy-3@acme-ch.example>"}, metadataOnly, ""},
			{"no Message-ID", mail{from: beat, to: []string{kunde}, subject: "Legacy without id", body: "No Message-ID at all."}, s.org, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				raw := tc.mail.raw()
				if tc.mail.messageID == "" {
					raw = bytes.Replace(raw, []byte("Message-ID: \r\n"), nil, 1)
				}
				old := legacyEmail(t, raw, beatUser, tc.gmailID, tc.org, discreet.VisibilityPrivate, now)
				if _, created, err := st.LogEmail(ctx, store.EmailWrite{Email: old, Audience: policy.EmailAudience(old)}); err != nil || !created {
					t.Fatalf("writing the legacy record: %v, %v", created, err)
				}
				// By id.
				var got service.EmailView
				e.must(http.StatusOK, req{method: "GET", path: "/v1/emails/" + old.ID, as: beat}).decode(t, &got)
				if got.ID != old.ID || got.Subject != tc.mail.subject || !got.Uploaded {
					t.Fatalf("GET legacy: %+v", got)
				}
				// Logging it again: already logged, the legacy record.
				var res service.LogResult
				body := map[string]any{"raw": stdBase64(raw)}
				e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: beat, json: body}).decode(t, &res)
				if res.Decision.Reason != discreet.ReasonAlreadyLogged || res.Email == nil || res.Email.ID != old.ID {
					t.Fatalf("logging a legacy email again: %+v", res)
				}
				// The add-on's "is this open message logged?".
				if v, err := e.svc.LoggedCopy(ctx, beatUser, raw, ""); err != nil || v.ID != old.ID {
					t.Fatalf("LoggedCopy of a legacy email: %v, %v", v.ID, err)
				}
				// Someone who may not read it (private) learns nothing:
				// Ivo is not on it, so he cannot even log it.
				e.must(http.StatusNotFound, req{method: "GET", path: "/v1/emails/" + old.ID, as: anna})
			})
		}

		// The same Message-ID with other content is another email, logged
		// beside the legacy one.
		m := mail{from: beat, to: []string{kunde}, subject: "Legacy offer", body: "Dear customer, the legacy offer.", messageID: "<legacy-1@acme-ch.example>"}
		forged := m
		forged.body = "Dear customer, wire the deposit to this account."
		var res service.LogResult
		e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"raw": forged.base64url()}}).decode(t, &res)
		if res.Email == nil || res.Email.ID == policy.LegacyEmailID(m.messageID, "") {
			t.Fatalf("a forged copy of a legacy email: %+v", res)
		}
		var tl service.TimelineView
		e.must(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + kunde + "/timeline?limit=100", as: beat}).decode(t, &tl)
		n := 0
		for _, it := range tl.Items {
			if it.Email != nil && it.Email.Subject == "Legacy offer" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("the timeline shows %d emails with the legacy subject, want the legacy one and the other", n)
		}
	})
}

// TestUploadedMarked: emails logged from uploaded bytes say so in the REST
// email JSON and on timelines; Gmail-fetched ones do not.
func TestUploadedMarked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		fetched := mail{from: kunde, to: []string{beat}, subject: "From Gmail", body: "Fetched by the server", messageID: "<fetched@zurich-bank.example>"}
		e := newEnv(t, envOptions{store: st, gmail: gmailSource{"g-1": fetched.raw()}})
		seed(t, e)
		up := mail{from: beat, to: []string{kunde}, subject: "Uploaded one", body: "Bytes from the rep", messageID: "<uploaded@acme-ch.example>"}
		var res service.LogResult
		resp := e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"raw": up.base64url()}})
		resp.decode(t, &res)
		if !strings.Contains(string(resp.body), `"uploaded":true`) {
			t.Errorf("POST raw: %s", resp.body)
		}
		var fres service.LogResult
		resp = e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"gmailMessageId": "g-1"},
			header: map[string]string{"X-Gmail-Authorization": "Bearer tok"}})
		resp.decode(t, &fres)
		if !strings.Contains(string(resp.body), `"uploaded":false`) {
			t.Errorf("POST gmailMessageId: %s", resp.body)
		}
		get := e.must(http.StatusOK, req{method: "GET", path: "/v1/emails/" + res.Email.ID, as: beat})
		if !strings.Contains(string(get.body), `"uploaded":true`) {
			t.Errorf("GET uploaded: %s", get.body)
		}
		var tl service.TimelineView
		e.must(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + kunde + "/timeline?limit=100", as: beat}).decode(t, &tl)
		seen := map[string]bool{}
		for _, it := range tl.Items {
			if it.Email != nil {
				seen[it.Email.Subject] = it.Email.Uploaded
			}
		}
		if u, ok := seen["Uploaded one"]; !ok || !u {
			t.Errorf("timeline: the upload is not marked: %v", seen)
		}
		if u, ok := seen["From Gmail"]; !ok || u {
			t.Errorf("timeline: the Gmail-fetched email is marked uploaded: %v", seen)
		}
	})
}

// gmailSource serves raw messages by id for any token.
type gmailSource map[string][]byte

func (g gmailSource) Raw(_ context.Context, _ service.GmailTokens, id string) ([]byte, error) {
	if raw, ok := g[id]; ok {
		return raw, nil
	}
	return nil, discreet.Errorf(discreet.ENotFound, "no such message")
}

// TestUploadsSettingHTTP: uploads=admins refuses a rep's raw upload with 403
// naming the setting; the Gmail path stays open.
func TestUploadsSettingHTTP(t *testing.T) {
	fetched := mail{from: kunde, to: []string{beat}, subject: "From Gmail", body: "x", messageID: "<fetched-2@zurich-bank.example>"}
	e := newEnv(t, envOptions{gmail: gmailSource{"g-1": fetched.raw()}})
	s := seed(t, e)
	org := s.org
	org.Uploads = discreet.UploadsAdmins
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/settings/org", as: admin, json: org})
	up := mail{from: beat, to: []string{kunde}, subject: "Upload", body: "x", messageID: "<up-2@acme-ch.example>"}
	p := e.must(http.StatusForbidden, req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"raw": up.base64url()}}).problem(t)
	if p.Code != "permission_denied" || !strings.Contains(p.Detail, "uploads") {
		t.Errorf("refusal: %+v", p)
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"gmailMessageId": "g-1"},
		header: map[string]string{"X-Gmail-Authorization": "Bearer tok"}})
	var got discreet.OrgSettings
	e.must(http.StatusOK, req{method: "GET", path: "/v1/settings/org", as: beat}).decode(t, &got)
	if got.Uploads != discreet.UploadsAdmins {
		t.Errorf("GET settings: uploads %q", got.Uploads)
	}
	org.Uploads = "sometimes"
	if p := e.must(http.StatusBadRequest, req{method: "PUT", path: "/v1/settings/org", as: admin, json: org}).problem(t); p.Field != "uploads" {
		t.Errorf("bad uploads value: %+v", p)
	}
}

// realisticNeverLog is n Never Log entries as an org keeps them: addresses
// of people at partner firms and whole domains, a third with a note.
func realisticNeverLog(n int) []discreet.NeverLogEntry {
	r := rand.New(rand.NewPCG(12, 2026))
	first := []string{"anna", "beat", "carla", "daniel", "elena", "francesco", "hans-peter", "isabelle", "jean-baptiste", "katharina", "maximilian", "rosemarie", "sebastian", "valentina", "wolfgang"}
	last := []string{"mueller", "schmidt", "schneider", "fischer", "weber", "keller", "rossi", "bianchi", "dubois", "van-der-berg", "oberholzer", "zimmermann", "kowalczyk"}
	words := []string{"hr", "partner", "legal", "payroll", "health", "insurance", "benefits", "recruiting", "consulting", "clinic", "pension", "works-council", "advisory", "services"}
	tlds := []string{"com", "de", "ch", "co.uk", "fr", "it", "nl", "at", "example", "org"}
	notes := []string{"HR provider: personnel matters are never logged", "payroll", "works council", "legal counsel, privileged", "medical insurance", "external recruiter"}
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	out := make([]discreet.NeverLogEntry, n)
	for i := range out {
		domain := fmt.Sprintf("%s-%s-%d.%s", pick(words), pick(words), i, pick(tlds))
		p := "@" + domain
		if r.IntN(10) >= 3 {
			p = pick(first) + "." + pick(last) + "@" + domain
		}
		note := ""
		if r.IntN(3) == 0 {
			note = pick(notes)
		}
		out[i] = discreet.NeverLogEntry{Pattern: p, Note: note, AddedBy: "admin.user@acme-corporation.example", AddedAt: at}
	}
	return out
}

// TestImportBodyLimit: the import route takes a file of 100,000 realistic
// lines (the export's own format, about 10.5 MB), though other routes stop
// at the configured 1 MiB; above ImportMaxBodyBytes it is 413 too. The
// file's last line is bad, so the whole body is read and every line
// checked, but nothing is written: how fast a store adds 100,000 entries
// is not this test's business.
func TestImportBodyLimit(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	// The header line, 99,998 entries and one bad line: MaxImportLines.
	file := append(service.ExportNeverLogCSV(realisticNeverLog(service.MaxImportLines-2)), "bad@@example.com\n"...)
	t.Logf("100,000 realistic lines as exported: %d bytes", len(file))
	if len(file) <= gateway.DefaultMaxBodyBytes || len(file) > gateway.ImportMaxBodyBytes {
		t.Fatalf("the file has %d bytes; the test needs it between the default limit and the import's", len(file))
	}
	p := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "text/csv", body: string(file)}).problem(t)
	if len(p.Errors) != 1 || !strings.Contains(string(p.Errors[0]), fmt.Sprintf(`"line":%d`, service.MaxImportLines)) {
		t.Errorf("import of 100,000 lines with the last one bad: %+v", p)
	}
	// Other routes keep the default limit.
	big := `{"raw":"` + strings.Repeat("A", gateway.DefaultMaxBodyBytes) + `"}`
	if p := e.must(http.StatusRequestEntityTooLarge, req{method: "POST", path: "/v1/emails", as: beat, contentType: "application/json", body: big}).problem(t); p.Code != "too_large" {
		t.Errorf("POST /v1/emails over 1 MiB: %+v", p)
	}
	if p := e.must(http.StatusRequestEntityTooLarge, req{method: "POST", path: "/v1/never-log:check", as: admin, contentType: "application/json", body: big}).problem(t); p.Code != "too_large" {
		t.Errorf("never-log:check over 1 MiB: %+v", p)
	}
	// And the import its own.
	huge := strings.Repeat("# padding to go over the import's limit\n", gateway.ImportMaxBodyBytes/40+1)
	p = e.must(http.StatusRequestEntityTooLarge, req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "text/plain", body: huge}).problem(t)
	if !strings.Contains(p.Detail, fmt.Sprint(gateway.ImportMaxBodyBytes)) {
		t.Errorf("import over its limit: %+v", p)
	}
}

// TestSignInHostedDomain: through the REST API, a token auto-provisions
// only a Workspace account (hd) of an internal domain at exactly that
// domain; provisioned users get in without hd; dev sign-in treats the
// address as a Workspace account of its own domain.
func TestSignInHostedDomain(t *testing.T) {
	e := newEnv(t, envOptions{devAuth: true})
	seed(t, e)
	me := func(auth string, status int) {
		t.Helper()
		e.must(status, req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": auth}})
	}
	me("Bearer "+authtest.ConsumerToken("mallory@acme.example", audience), http.StatusUnauthorized)
	me("Bearer "+authtest.WorkspaceToken("mallory@acme.example", audience, "evil.example"), http.StatusUnauthorized)
	me("Bearer "+authtest.WorkspaceToken("ops@mail.acme.example", audience, "acme.example"), http.StatusUnauthorized)
	me("Bearer "+authtest.Token("ops@mail.acme.example", audience), http.StatusUnauthorized) // hd mail.acme.example, not internal
	me("Bearer "+authtest.ConsumerToken(anna, audience), http.StatusOK)                      // provisioned
	me("Bearer "+authtest.Token("newcomer@acme.example", audience), http.StatusOK)           // hd acme.example
	p := e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Bearer " + authtest.ConsumerToken("mallory@acme.example", audience)}}).problem(t)
	if !strings.Contains(p.Detail, "not a member") {
		t.Errorf("refusal: %+v", p)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", header: map[string]string{"X-Dev-User": "devnew@acme-ch.example"}})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", header: map[string]string{"X-Dev-User": "devnew@sub.acme-ch.example"}})
}
