package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// The people of the seed org.
const (
	admin = "admin@acme.example"
	anna  = "anna@acme.example"     // rep, de
	beat  = "beat@acme-ch.example"  // rep, ch; owns kunde
	carla = "carla@acme-ch.example" // manager, ch
	dora  = "dora@acme.example"     // manager, de
	chris = "chris@acme-ch.example" // rep, ch
	ivo   = "ivo@acme.example"      // rep, de; Cc'd on beat's emails to kunde
	eve   = "eve@evil.example"      // a verified Google account outside the org

	kunde   = "kunde@zurich-bank.example"
	einkauf = "einkauf@berlin-tools.example"
)

// seeded is the org after seed: ids of what was created.
type seeded struct {
	emails  map[string]*seedEmail // by name
	hrEntry string                // the @hr-partner.example entry
	job     string                // a job the admin started
	org     discreet.OrgSettings
}

// seedEmail is one logged email with strings unique to it: its subject,
// its body (and so its snippet) and an external participant only it has.
type seedEmail struct {
	name       string
	vis        discreet.Visibility
	owner      string
	mail       mail
	id         string
	subject    string
	bodyMark   string
	partMark   string
	readers    []string // who may read it, by hand, not by policy
	managers   []string // who may change or unlog it
	takingPart []string // colleagues on it
}

func (s *seedEmail) markers() []string { return []string{s.subject, s.bodyMark, s.partMark} }

func (s *seedEmail) readableBy(who string) bool { return contains(s.readers, who) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func seedOrg() discreet.OrgSettings {
	o := discreet.DefaultOrgSettings()
	o.InternalDomains = []string{"acme.example", "acme-ch.example"}
	o.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleManager: discreet.ScopeTeam, discreet.RoleRep: discreet.ScopeTeam}
	o.HiddenEmails = discreet.HiddenCount
	return o
}

// seed builds the scenario org through the API, as an admin would.
func seed(t *testing.T, e *env) *seeded {
	t.Helper()
	s := &seeded{emails: map[string]*seedEmail{}, org: seedOrg()}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", as: admin})
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/settings/org", as: admin, json: s.org})
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/teams/de", as: admin, json: map[string]string{"name": "Germany"}})
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/teams/ch", as: admin, json: map[string]string{"name": "Switzerland"}})
	for _, u := range []struct {
		email, name string
		role        discreet.Role
		team        string
	}{
		{anna, "Anna Schmidt", discreet.RoleRep, "de"},
		{beat, "Beat Keller", discreet.RoleRep, "ch"},
		{carla, "Carla Rossi", discreet.RoleManager, "ch"},
		{dora, "Dora Weber", discreet.RoleManager, "de"},
		{chris, "Chris Frei", discreet.RoleRep, "ch"},
		{ivo, "Ivo Braun", discreet.RoleRep, "de"},
	} {
		e.must(http.StatusOK, req{method: "PUT", path: "/v1/users/" + u.email, as: admin,
			json: map[string]any{"name": u.name, "role": u.role, "teams": []string{u.team}}})
	}
	var added service.NeverLogAdded
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/never-log", as: admin,
		json: map[string]any{"pattern": "@hr-partner.example", "note": "HR agency: never log"}}).decode(t, &added)
	s.hrEntry = added.Entry.ID
	// A purge job (of nothing yet) the admin started, for the job routes.
	var purge service.PurgeResult
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/never-log/" + s.hrEntry + ":purge", as: admin}).decode(t, &purge)
	if purge.Job == nil || purge.Job.ID == "" || purge.Job.State != store.JobRunning || purge.Job.StartedBy != admin {
		t.Fatalf("purge: %+v", purge)
	}
	s.job = purge.Job.ID

	kundeReaders := []string{admin, carla, beat, chris, ivo}
	for i, em := range []*seedEmail{
		{name: "kunde-public", vis: discreet.VisibilityPublic, owner: beat, readers: kundeReaders},
		{name: "kunde-team", vis: discreet.VisibilityTeam, owner: beat, readers: kundeReaders},
		{name: "kunde-private", vis: discreet.VisibilityPrivate, owner: beat, readers: []string{beat, ivo}},
	} {
		em.managers = []string{beat, admin}
		if em.vis == discreet.VisibilityPrivate {
			em.managers = []string{beat} // admins do not read private emails here
		}
		em.takingPart = []string{beat, ivo}
		em.mark(i)
		em.mail = mail{from: "Beat Keller <" + beat + ">", to: []string{kunde}, cc: []string{ivo, em.partMark},
			subject: em.subject, body: em.bodyMark + " and the rest of the text",
			messageID: fmt.Sprintf("<%s@mail.acme-ch.example>", em.name), date: time.Date(2026, 10, 1+i, 9, 0, 0, 0, time.UTC)}
		s.emails[em.name] = em
	}
	ek := &seedEmail{name: "einkauf-public", vis: discreet.VisibilityPublic, owner: anna,
		readers: []string{admin, anna, dora, ivo}, managers: []string{anna, admin}, takingPart: []string{anna}}
	ek.mark(3)
	ek.mail = mail{from: einkauf, to: []string{anna}, cc: []string{ek.partMark}, subject: ek.subject,
		body: ek.bodyMark + " Bestellung", messageID: "<order-1@berlin-tools.example>"}
	s.emails[ek.name] = ek

	for _, em := range s.emails {
		var res service.LogResult
		e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: em.owner,
			json: map[string]any{"raw": em.mail.base64url(), "visibility": em.vis}}).decode(t, &res)
		if !res.Decision.Logged || res.Email == nil || res.Email.Visibility != em.vis {
			t.Fatalf("logging %s: %+v", em.name, res)
		}
		em.id = res.Email.ID
	}
	return s
}

func (s *seedEmail) mark(i int) {
	tag := strings.ToUpper(strings.ReplaceAll(s.name, "-", ""))
	s.subject = fmt.Sprintf("SUBJ%s%d", tag, i)
	s.bodyMark = fmt.Sprintf("BODY%s%d", tag, i)
	s.partMark = fmt.Sprintf("part%d.%s@partner.example", i, strings.ReplaceAll(s.name, "-", ""))
}

func path(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return fmt.Sprintf(format, args...)
}

// TestScenario walks the product's story over HTTP on every backend.
func TestScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		e := newEnv(t, envOptions{store: st})
		s := seed(t, e)
		pub, priv := s.emails["kunde-public"], s.emails["kunde-private"]

		// Logging again: one record, 200 already_logged.
		var again service.LogResult
		e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: beat,
			json: map[string]any{"raw": pub.mail.base64url()}}).decode(t, &again)
		if again.Decision.Reason != discreet.ReasonAlreadyLogged || again.Email == nil || again.Email.ID != pub.id {
			t.Errorf("again: %+v", again)
		}
		// Standard base64, padded, is read too.
		std := mail{from: beat, to: []string{"neu@zurich-bank.example"}, subject: "std", body: "b", messageID: "<std@x>"}
		e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: beat,
			json: map[string]any{"raw": stdBase64(std.raw())}})

		// The Never Log List beats the toggle; the reason names entry and address.
		var nl service.LogResult
		hr := mail{from: beat, to: []string{kunde}, cc: []string{"jobs@hr-partner.example"}, subject: "salary", messageID: "<hr@x>"}
		e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: beat,
			json: map[string]any{"raw": hr.base64url(), "log": true}}).decode(t, &nl)
		if nl.Decision.Logged || nl.Decision.Reason != discreet.ReasonNeverLogList || nl.Decision.Address != "jobs@hr-partner.example" || nl.Email != nil {
			t.Errorf("never log: %+v", nl.Decision)
		}
		// Toggled off, internal only.
		var off, internal service.LogResult
		e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: beat,
			json: map[string]any{"raw": (mail{from: beat, to: []string{kunde}, subject: "x", messageID: "<off@x>"}).base64url(), "log": false}}).decode(t, &off)
		e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: beat,
			json: map[string]any{"raw": (mail{from: beat, to: []string{carla}, subject: "x", messageID: "<int@x>"}).base64url()}}).decode(t, &internal)
		if off.Decision.Reason != discreet.ReasonToggledOff || internal.Decision.Reason != discreet.ReasonInternalOnly {
			t.Errorf("off %+v, internal %+v", off.Decision, internal.Decision)
		}
		// Not a participant: 403.
		e.must(http.StatusForbidden, req{method: "POST", path: "/v1/emails", as: anna, json: map[string]any{"raw": pub.mail.base64url()}})

		// Anna (Germany) finds the Swiss customer as a stub, not as nothing.
		var found struct{ Items []service.ContactView }
		e.must(http.StatusOK, req{method: "GET", path: "/v1/contacts?q=zurich-bank", as: anna}).decode(t, &found)
		var stub *service.ContactView
		for i := range found.Items {
			if found.Items[i].Email == kunde {
				stub = &found.Items[i]
			}
		}
		if stub == nil || stub.Access != discreet.AccessStub || stub.OwnerName != "Beat Keller" || stub.TeamName != "Switzerland" || stub.CreatedAt != nil {
			t.Fatalf("anna's search: %+v", found.Items)
		}
		// Path parameters may be percent-encoded and in any case.
		var viaEscaped service.ContactView
		e.must(http.StatusOK, req{method: "GET", path: "/v1/contacts/KUNDE%40Zurich-Bank.example", as: anna}).decode(t, &viaEscaped)
		if viaEscaped.Email != kunde || viaEscaped.Access != discreet.AccessStub {
			t.Errorf("escaped contact: %+v", viaEscaped)
		}
		var tl service.TimelineView
		e.must(http.StatusOK, req{method: "GET", path: path("/v1/contacts/%s/timeline", kunde), as: anna}).decode(t, &tl)
		if len(tl.Items) != 0 || tl.Hidden == nil || tl.Hidden.Count != 3 || tl.Hidden.OwnerName != "Beat Keller" {
			t.Errorf("anna's timeline: %+v", tl)
		}
		// Carla, Swiss manager: public and team visible, the private one counted.
		e.must(http.StatusOK, req{method: "GET", path: path("/v1/contacts/%s/timeline", kunde), as: carla}).decode(t, &tl)
		if len(tl.Items) != 2 || tl.Hidden == nil || tl.Hidden.Count != 1 {
			t.Errorf("carla's timeline: %+v", tl)
		}
		// Beat sees all three, newest first, in pages of 2 with an opaque cursor.
		e.must(http.StatusOK, req{method: "GET", path: path("/v1/contacts/%s/timeline?limit=2", kunde), as: beat}).decode(t, &tl)
		if len(tl.Items) != 2 || tl.Next == "" || tl.Items[0].Email == nil || tl.Items[0].Email.ID != priv.id {
			t.Fatalf("beat's first page: %+v", tl)
		}
		var tl2 service.TimelineView
		e.must(http.StatusOK, req{method: "GET", path: path("/v1/contacts/%s/timeline?limit=2&cursor=%s", kunde, tl.Next), as: beat}).decode(t, &tl2)
		if len(tl2.Items) < 1 || tl2.Items[len(tl2.Items)-1].Email.ID != pub.id {
			t.Errorf("beat's second page: %+v", tl2)
		}
		e.must(http.StatusBadRequest, req{method: "GET", path: path("/v1/contacts/%s/timeline?limit=101", kunde), as: beat})
		e.must(http.StatusBadRequest, req{method: "GET", path: path("/v1/contacts/%s/timeline?cursor=garbage", kunde), as: beat})

		// Ivo read the private email he was on: audited, and Beat can see that.
		e.must(http.StatusOK, req{method: "GET", path: "/v1/emails/" + priv.id, as: ivo})
		var audit service.Page[discreet.AuditRecord]
		e.must(http.StatusOK, req{method: "GET", path: "/v1/audit", as: beat}).decode(t, &audit)
		if !hasAudit(audit.Items, discreet.AuditRead, ivo, priv.id) {
			t.Errorf("beat's audit lacks ivo's read: %+v", audit.Items)
		}

		// Never Log List: dry run, export, import with line errors, check.
		var dry service.PurgeResult
		e.must(http.StatusOK, req{method: "POST", path: "/v1/never-log/" + s.hrEntry + ":purge?dryRun=true", as: admin}).decode(t, &dry)
		if !dry.DryRun || dry.Entry.Pattern != "@hr-partner.example" {
			t.Errorf("dry run: %+v", dry)
		}
		exp := e.must(http.StatusOK, req{method: "GET", path: "/v1/never-log:export", as: admin})
		if ct := exp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
			!strings.HasPrefix(string(exp.body), "pattern,note,addedBy,addedAt\n'@hr-partner.example,HR agency: never log,admin@acme.example,") {
			t.Errorf("export: %s %s", ct, exp.body)
		}
		bad := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "text/plain",
			body: "# partners\n@ok-partner.example\nbad@@x.example\n\n*x@y.example\n"}).problem(t)
		if len(bad.Errors) != 2 || !strings.Contains(string(bad.Errors[0]), `"line":3`) || !strings.Contains(string(bad.Errors[1]), `"line":5`) {
			t.Errorf("import errors: %+v", bad)
		}
		var imp service.ImportResult
		e.must(http.StatusOK, req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "text/csv; charset=utf-8",
			body: string(exp.body) + "@new-partner.example,added by import\n"}).decode(t, &imp)
		if imp.Added != 1 || imp.Duplicates != 1 {
			t.Errorf("import: %+v", imp)
		}
		var checks struct{ Items []service.CheckResult }
		e.must(http.StatusOK, req{method: "POST", path: "/v1/never-log:check", as: anna,
			json: map[string]any{"addresses": []string{"Jobs <jobs@sub.hr-partner.example>", kunde}}}).decode(t, &checks)
		if len(checks.Items) != 2 || !checks.Items[0].Blocked || checks.Items[1].Blocked {
			t.Errorf("check: %+v", checks.Items)
		}
		var list service.Page[discreet.NeverLogEntry]
		e.must(http.StatusOK, req{method: "GET", path: "/v1/never-log?limit=1", as: admin}).decode(t, &list)
		if len(list.Items) != 1 || list.Next == "" {
			t.Errorf("never-log page: %+v", list)
		}

		// Adding an entry that covers logged email reports it and purges when asked.
		var cover service.NeverLogAdded
		e.must(http.StatusCreated, req{method: "POST", path: "/v1/never-log", as: admin,
			json: map[string]any{"pattern": "berlin-tools.example", "purgeExisting": true}}).decode(t, &cover)
		if cover.Matching != 1 || cover.Purge == nil || cover.Purge.Kind != service.JobPurge || cover.Purge.Total != 1 {
			t.Fatalf("add with purge: %+v", cover)
		}
		// The job's first pass purges at once; its second waits for the
		// requests in flight, so the job is still running.
		if run, err := e.svc.RunJob(t.Context(), cover.Purge.ID); err != nil || run.Wait.IsZero() {
			t.Fatalf("RunJob: %+v, %v; want a wait for the second pass", run, err)
		}
		var job service.JobView
		e.must(http.StatusOK, req{method: "GET", path: "/v1/jobs/" + cover.Purge.ID, as: admin}).decode(t, &job)
		if job.State != store.JobRunning || job.Done != 1 || !strings.Contains(string(job.Report), `"deleted":1`) {
			t.Errorf("job after the first pass: %+v", job)
		}
		e.must(http.StatusNotFound, req{method: "GET", path: "/v1/jobs/" + cover.Purge.ID, as: beat})
		var jobs service.Page[service.JobView]
		e.must(http.StatusOK, req{method: "GET", path: "/v1/jobs", as: admin}).decode(t, &jobs)
		if len(jobs.Items) < 2 || jobs.Items[0].ID != cover.Purge.ID {
			t.Errorf("jobs: %+v", jobs.Items)
		}
		e.must(http.StatusOK, req{method: "GET", path: "/v1/jobs", as: beat}).decode(t, &jobs)
		if len(jobs.Items) != 0 {
			t.Errorf("beat sees jobs he did not start: %+v", jobs.Items)
		}
		e.must(http.StatusNotFound, req{method: "GET", path: "/v1/emails/" + s.emails["einkauf-public"].id, as: anna})
		e.must(http.StatusConflict, req{method: "POST", path: "/v1/never-log", as: admin, json: map[string]any{"pattern": "@berlin-tools.example"}})
		e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/never-log/" + cover.Entry.ID, as: admin})
		e.must(http.StatusNotFound, req{method: "DELETE", path: "/v1/never-log/" + cover.Entry.ID, as: admin})

		// Owner changes visibility, a manager reassigns, the owner unlogs.
		var ev service.EmailView
		e.must(http.StatusOK, req{method: "PATCH", path: "/v1/emails/" + pub.id, as: beat, json: map[string]any{"visibility": "team"}}).decode(t, &ev)
		if ev.Visibility != discreet.VisibilityTeam {
			t.Errorf("patch: %+v", ev)
		}
		var cv service.ContactView
		e.must(http.StatusOK, req{method: "PUT", path: path("/v1/contacts/%s/owner", kunde), as: carla, json: map[string]any{"owner": chris}}).decode(t, &cv)
		if cv.Owner != chris || cv.Team != "ch" {
			t.Errorf("reassign: %+v", cv)
		}
		e.must(http.StatusBadRequest, req{method: "PUT", path: path("/v1/contacts/%s/owner", kunde), as: carla, json: map[string]any{"owner": "nobody@acme.example"}})
		e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/emails/" + pub.id, as: beat})
		e.must(http.StatusNotFound, req{method: "GET", path: "/v1/emails/" + pub.id, as: beat})

		// Settings: a rep's own, and the org's for everyone to read.
		var mine service.MySettings
		e.must(http.StatusOK, req{method: "PUT", path: "/v1/settings/me", as: anna,
			json: map[string]any{"defaultLog": false, "defaultVisibility": "team", "neverLog": []map[string]string{{"pattern": "@private-friend.example"}}}}).decode(t, &mine)
		if mine.DefaultLog == nil || *mine.DefaultLog || len(mine.NeverLog) != 1 {
			t.Errorf("my settings: %+v", mine)
		}
		var me service.Me
		e.must(http.StatusOK, req{method: "GET", path: "/v1/me", as: anna}).decode(t, &me)
		if me.User.Email != anna || me.User.Role != discreet.RoleRep || len(me.Teams) != 1 || me.Teams[0].Name != "Germany" {
			t.Errorf("me: %+v", me)
		}
		var intent discreet.Intent
		e.must(http.StatusOK, req{method: "PUT", path: "/v1/intents", as: anna,
			json: map[string]any{"to": []string{einkauf}, "subject": "Angebot", "log": true, "visibility": "private"}}).decode(t, &intent)
		if intent.User != anna || len(intent.Recipients) != 1 {
			t.Errorf("intent: %+v", intent)
		}
		var users service.Page[discreet.User]
		e.must(http.StatusOK, req{method: "GET", path: "/v1/users?limit=3", as: anna}).decode(t, &users)
		if len(users.Items) != 3 || users.Next == "" {
			t.Errorf("users: %+v", users)
		}
	})
}

func hasAudit(rs []discreet.AuditRecord, action, actor, emailID string) bool {
	for _, r := range rs {
		if r.Action == action && r.Actor == actor && r.EmailID == emailID {
			return true
		}
	}
	return false
}
