package addon

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

var update = flag.Bool("update", false, "rewrite golden files and screenshots")

const testActionURL = "https://discreet.example/addon/action"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func enView() *view {
	return newView(&Event{Common: CommonEvent{UserLocale: "en-GB", TimeZone: TimeZone{ID: "Europe/Berlin"}}}, testActionURL)
}

func deView() *view {
	return newView(&Event{Common: CommonEvent{UserLocale: "de", TimeZone: TimeZone{ID: "Europe/Zurich"}}}, testActionURL)
}

var (
	beatStub = service.ContactView{Email: "kunde@zurich-bank.example", Access: discreet.AccessStub,
		Owner: "beat@acme-ch.example", OwnerName: "Beat Keller", Team: "ch", TeamName: "Switzerland"}
	beatFull = service.ContactView{Email: "kunde@zurich-bank.example", Access: discreet.AccessFull,
		Owner: "beat@acme-ch.example", OwnerName: "Beat Keller", Team: "ch", TeamName: "Switzerland",
		Name: "Zürich Bank <Kunde>", CanManage: true}
)

func emailView(id, subject string, vis discreet.Visibility, date string, manage bool) *service.EmailView {
	return &service.EmailView{
		Email: discreet.Email{ID: id, Subject: subject, From: "kunde@zurich-bank.example", Date: at(date),
			Owner: "beat@acme-ch.example", Team: "ch", Visibility: vis, LoggedAt: at(date).Add(time.Hour),
			Contacts: []string{"kunde@zurich-bank.example"}},
		OwnerName: "Beat Keller", CanManage: manage,
	}
}

// scenarios are the cards of the add-on for hand-built service results.
func scenarios() map[string]Response {
	en, de := enView(), deView()
	annaPrivate := emailView("e-anna", "Angebot Fräsen <Q3>", discreet.VisibilityPrivate, "2026-03-03T09:15:00Z", true)
	annaPrivate.Owner, annaPrivate.OwnerName = "anna@acme.example", "Anna Schmidt"

	stub := messageModel{
		GmailMessageID: "msg-zurich", Subject: "Kreditlinie 2026",
		DefaultVisibility: discreet.VisibilityPublic,
		Contacts: []contactModel{{Address: "kunde@zurich-bank.example", Contact: &beatStub,
			Timeline: &service.TimelineView{Contact: beatStub, Hidden: &service.HiddenSummary{Count: 3, Owner: "beat@acme-ch.example", OwnerName: "Beat Keller"}}}},
	}
	full := messageModel{
		GmailMessageID: "msg-zurich", Subject: "Kreditlinie 2026",
		Email: emailView("e-public", "Kreditlinie 2026", discreet.VisibilityPublic, "2026-03-02T08:00:00Z", true),
		Contacts: []contactModel{{Address: "kunde@zurich-bank.example", Contact: &beatFull,
			Timeline: &service.TimelineView{Contact: beatFull,
				Items: []service.TimelineItem{
					{Visible: true, Date: at("2026-03-02T08:00:00Z"), Owner: "beat@acme-ch.example", OwnerName: "Beat Keller",
						Email: emailView("e-public", "Kreditlinie 2026", discreet.VisibilityPublic, "2026-03-02T08:00:00Z", true)},
					{Visible: true, Date: at("2026-02-20T16:30:00Z"), Owner: "beat@acme-ch.example", OwnerName: "Beat Keller",
						Email: emailView("e-team", "Konditionen CH", discreet.VisibilityTeam, "2026-02-20T16:30:00Z", true)},
					{Visible: false, Date: at("2026-02-10T10:00:00Z"), Owner: "carla@acme-ch.example", OwnerName: "Carla Rossi"},
				},
				Next: "cursor-2"}},
			{Address: "neu@zurich-bank.example"}},
	}
	logged := messageModel{
		GmailMessageID: "msg-berlin", Subject: "Angebot Fräsen <Q3>", Email: annaPrivate,
		Contacts: []contactModel{{Address: "einkauf@berlin-tools.example",
			Contact:  &service.ContactView{Email: "einkauf@berlin-tools.example", Access: discreet.AccessFull, Owner: "anna@acme.example", OwnerName: "Anna Schmidt", Team: "de", TeamName: "Germany", CanManage: true},
			Timeline: &service.TimelineView{Items: []service.TimelineItem{{Visible: true, Date: annaPrivate.Date, Owner: annaPrivate.Owner, OwnerName: "Anna Schmidt", Email: annaPrivate}}}}},
	}
	// An email logged from uploaded bytes, and one fetched from Gmail, on
	// one timeline: the card and the row say which was uploaded.
	uploaded := emailView("e-upload", "Zahlungsanweisung", discreet.VisibilityPublic, "2026-03-04T07:45:00Z", false)
	uploaded.Uploaded = true
	fetched := emailView("e-gmail", "Kreditlinie 2026", discreet.VisibilityPublic, "2026-03-02T08:00:00Z", false)
	fetched.GmailMessageID = "18c1f2"
	upload := messageModel{
		GmailMessageID: "msg-upload", Subject: "Zahlungsanweisung", Email: uploaded,
		Contacts: []contactModel{{Address: "kunde@zurich-bank.example", Contact: &beatFull,
			Timeline: &service.TimelineView{Contact: beatFull, Items: []service.TimelineItem{
				{Visible: true, Date: uploaded.Date, Owner: uploaded.Owner, OwnerName: "Beat Keller", Email: uploaded},
				{Visible: true, Date: fetched.Date, Owner: fetched.Owner, OwnerName: "Beat Keller", Email: fetched},
			}}}},
	}
	blocked := messageModel{
		GmailMessageID: "msg-hr", Subject: "Vertrag",
		Decision: &discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@hr-partner.example", List: "org", Address: "anna@hr-partner.example"},
	}
	internal := messageModel{GmailMessageID: "msg-int", Subject: "Lunch?", Decision: &discreet.Decision{Reason: discreet.ReasonInternalOnly}}

	composeBlocked := composeModel{To: []string{"anna@hr-partner.example"}, Cc: []string{"kunde@zurich-bank.example"},
		State: service.ComposeState{Log: false, Visibility: discreet.VisibilityPublic,
			Blocked:  &service.CheckResult{Address: "anna@hr-partner.example", Normalized: "anna@hr-partner.example", Blocked: true, Entry: "@hr-partner.example", List: "org"},
			Contacts: []service.ContactView{beatStub}}}
	composeNormal := composeModel{To: []string{"kunde@zurich-bank.example"}, Bcc: []string{"neu@example.org"},
		State: service.ComposeState{Log: true, Visibility: discreet.VisibilityTeam, Contacts: []service.ContactView{beatStub}}}

	off := false
	admin := discreet.User{Email: "admin@acme.example", Name: "Ada Admin", Role: discreet.RoleAdmin}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example", "acme-ch.example"}
	jobs := []service.JobView{
		{ID: "j3", Kind: service.JobPurge, State: store.JobRunning, Done: 40, Total: 120, Report: json.RawMessage(`{"pattern":"@hr-partner.example","deleted":40}`),
			StartedBy: "admin@acme.example", CreatedAt: at("2026-01-06T12:05:00Z")},
		{ID: "j2", Kind: service.JobImport, State: store.JobFailed, Done: 1200, Total: 5000, Error: "the store refused <part 3>",
			StartedBy: "admin@acme.example", CreatedAt: at("2026-01-06T11:00:00Z")},
	}
	adminAreas, repAreas := areas, []area(nil)
	for _, a := range areas {
		if !a.admin {
			repAreas = append(repAreas, a)
		}
	}
	home := homeModel{User: admin, Home: service.Home{Admin: true, Jobs: jobs}, Areas: adminAreas}
	quiet := homeModel{User: admin, Home: service.Home{Admin: true}, Areas: adminAreas}
	rep := discreet.User{Email: "anna@acme.example", Name: "Anna Schmidt", Role: discreet.RoleRep, Teams: []string{"de"}}
	repHome := homeModel{User: rep, Areas: repAreas}

	mine := mineModel{Me: service.Me{User: admin, Org: org},
		Mine: service.MySettings{DefaultLog: &off, NeverLog: []discreet.NeverLogEntry{{ID: "p1", Pattern: "friend@private.example", Note: "my cousin"}}}}
	mineError := mine
	mineError.Form = areaForm{PersonalPattern: "friend@private.example", PersonalError: `personalPattern: "friend@private.example" is already on your list`}
	orgList := neverLogModel{Page: service.Page[discreet.NeverLogEntry]{
		Items: []discreet.NeverLogEntry{
			{ID: "n1", Pattern: "@hr-partner.example", Note: "HR provider", AddedBy: "admin@acme.example", AddedAt: at("2026-01-05T12:00:00Z")},
			{ID: "n2", Pattern: "lawyer@kanzlei.example", AddedBy: "admin@acme.example", AddedAt: at("2026-01-06T12:00:00Z")},
		}, Next: "page-2"}}
	orgListError := orgList
	orgListError.Form = areaForm{Cursor: "page-1", Pattern: "bad@@example", PatternError: `pattern: "bad@@example" has more than one '@'`}
	testForm := areaForm{TestAddress: "x@hr-partner.example", TestResults: []service.CheckResult{{Address: "x@hr-partner.example", Blocked: true, Entry: "@hr-partner.example", List: "org"}}}
	importErrs := areaForm{ImportText: "@ok.example\nbad@@x\n*foo@x.example\n",
		ImportErrors: []service.LineError{{Line: 2, Text: "bad@@x", Message: `"bad@@x" has more than one '@'`}, {Line: 3, Text: "*foo@x.example", Message: "'*' is only allowed as a leading *@"}}}
	exported := areaForm{Export: string(service.ExportNeverLogCSV(orgList.Page.Items))}
	badOrg := org
	badOrg.HiddenEmails = discreet.HiddenStubs
	orgError := areaForm{Org: &badOrg, OrgError: "hiddenEmails: the store is read-only during maintenance"}

	return map[string]Response{
		"message_stub":            pushCard(en.messageCard(stub)),
		"message_stub_de":         pushCard(de.messageCard(stub)),
		"message_full":            pushCard(en.messageCard(full)),
		"message_logged_private":  render(en.t("Logged as %s", en.visibility(discreet.VisibilityPrivate)), Navigation{UpdateCard: en.messageCard(logged)}),
		"message_uploaded":        pushCard(en.messageCard(upload)),
		"message_uploaded_de":     pushCard(de.messageCard(upload)),
		"message_blocked":         pushCard(en.messageCard(blocked)),
		"message_internal":        pushCard(en.messageCard(internal)),
		"timeline_more":           render("", Navigation{PushCard: en.timelineCard("kunde@zurich-bank.example", *full.Contacts[0].Timeline)}),
		"compose_blocked":         pushCard(en.composeCard(composeBlocked)),
		"compose_normal":          pushCard(en.composeCard(composeNormal)),
		"home_admin":              pushCard(en.homeCard(home)),
		"home_admin_de":           pushCard(de.homeCard(home)),
		"home_admin_quiet":        pushCard(en.homeCard(quiet)),
		"home_rep":                pushCard(en.homeCard(repHome)),
		"area_my_settings":        render("", Navigation{PushCard: en.mySettingsCard(mine)}),
		"area_my_never_log":       render("", Navigation{PushCard: en.myNeverLogCard(mine)}),
		"area_my_never_log_error": render("", Navigation{UpdateCard: en.myNeverLogCard(mineError)}),
		"area_never_log":          render("", Navigation{PushCard: en.neverLogCard(orgList)}),
		"area_never_log_de":       render("", Navigation{UpdateCard: de.neverLogCard(orgListError)}),
		"area_never_log_error":    render("", Navigation{UpdateCard: en.neverLogCard(orgListError)}),
		"area_test":               render("", Navigation{UpdateCard: en.testCard(testForm)}),
		"area_import":             render("", Navigation{PushCard: en.importCard(areaForm{})}),
		"area_import_errors":      render("", Navigation{UpdateCard: en.importCard(importErrs)}),
		"area_export":             render("", Navigation{UpdateCard: en.importCard(exported)}),
		"area_export_too_long":    render("", Navigation{UpdateCard: en.importCard(areaForm{ExportTooLong: 100000})}),
		"area_org_settings":       render("", Navigation{PushCard: en.orgSettingsCard(org, areaForm{})}),
		"area_org_settings_error": render("", Navigation{UpdateCard: en.orgSettingsCard(badOrg, orgError)}),
		"area_jobs":               render("", Navigation{PushCard: en.jobsCard(service.Page[service.JobView]{Items: jobs, Next: "jobs-2"}, false)}),
		"area_jobs_empty":         render("", Navigation{PushCard: en.jobsCard(service.Page[service.JobView]{}, false)}),
		"entry_dry_run":           render("", Navigation{PushCard: en.entryCard(service.PurgeResult{Entry: orgList.Page.Items[0], DryRun: true, Matching: 4})}),
		"error":                   pushCard(en.errorCard(en.t("This request is not a Gmail add-on event we understand: %s", "the body is not JSON"))),
	}
}

func marshal(t *testing.T, r Response) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkGolden compares resp with testdata/name.golden.json (written with
// -update) after validating it against Gmail's schema.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	validateResponse(t, name, got)
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./addon -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s; run go test ./addon -update and review the diff\n%s", name, path, got)
	}
}

func TestGoldenCards(t *testing.T) {
	for name, resp := range scenarios() {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, marshal(t, resp)) })
	}
}
