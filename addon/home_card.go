package addon

import (
	"encoding/json"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// homeModel is the homepage: the rep's own settings and, for admins, the
// org's Never Log List and settings.
type homeModel struct {
	User discreet.User
	Me   service.Me
	Mine service.MySettings
	// Admin is set for admins only.
	Admin *adminModel
	// Form keeps what the user typed and inline messages after a callback.
	Form homeForm
}

type adminModel struct {
	Org      discreet.OrgSettings
	NeverLog service.Page[discreet.NeverLogEntry]
	// Jobs are the most recent jobs (purges, imports) and their progress.
	Jobs []service.JobView
}

type homeForm struct {
	PersonalPattern, PersonalError string
	Pattern, Note, PatternError    string
	TestAddress                    string
	TestResults                    []service.CheckResult
	TestError                      string
	ImportText                     string
	ImportErrors                   []service.LineError
	ImportError                    string
}

func (v *view) homeCard(m homeModel) *Card {
	sections := []*Section{v.mySettingsSection(m), v.myNeverLogSection(m)}
	if m.Admin != nil {
		sections = append(sections, v.orgNeverLogSection(m), v.testSection(m), v.importSection(m))
		if len(m.Admin.Jobs) > 0 {
			sections = append(sections, v.jobsSection(m.Admin.Jobs))
		}
		sections = append(sections, v.orgSettingsSection(m))
	}
	return card(v.t("Discreet"), v.t("Signed in as %s", m.User.Email), sections...)
}

func (v *view) mySettingsSection(m homeModel) *Section {
	log := m.Me.Org.DefaultLog
	if m.Mine.DefaultLog != nil {
		log = *m.Mine.DefaultLog
	}
	vis := m.Me.Org.DefaultVisibility
	if m.Mine.DefaultVisibility.Valid() {
		vis = m.Mine.DefaultVisibility
	}
	return section(v.t("Your settings"),
		toggle("defaultLog", "", esc(v.t("Log my emails by default")), log),
		v.visibilityInput("defaultVisibility", v.t("Default visibility"), vis),
		buttons(v.button(v.t("Save settings"), "saveMySettings")),
	)
}

func (v *view) myNeverLogSection(m homeModel) *Section {
	s := section(v.t("Your Never Log List"),
		paragraph(esc(v.t("Your own emails with these addresses are never logged."))))
	for _, e := range m.Mine.NeverLog {
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   lockIcon(v.t("Never Log List")),
			Text:        esc(e.Pattern),
			BottomLabel: e.Note,
			Button:      v.button(v.t("Remove"), "removePersonal", p("id", e.ID), p("pattern", e.Pattern)),
		}))
	}
	s.Widgets = append(s.Widgets, textInput("personalPattern", v.t("Address or domain"), m.Form.PersonalPattern, "@example.com", false))
	if m.Form.PersonalError != "" {
		s.Widgets = append(s.Widgets, errorText(m.Form.PersonalError))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Add"), "addPersonal")))
	return s
}

func (v *view) orgNeverLogSection(m homeModel) *Section {
	page := m.Admin.NeverLog
	s := section(v.t("Never Log List"))
	for _, e := range page.Items {
		bottom := v.t("added by %s, %s", e.AddedBy, v.date(e.AddedAt))
		if e.Note != "" {
			bottom = e.Note + " · " + bottom
		}
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   lockIcon(v.t("Never Log List")),
			Text:        "<b>" + esc(e.Pattern) + "</b>",
			BottomLabel: bottom,
			Button:      v.button(v.t("Manage"), "manageEntry", p("id", e.ID)),
		}))
	}
	if len(page.Items) == 0 {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("No entries."))+"</i>"))
	}
	if page.Next != "" {
		s.Widgets = append(s.Widgets, buttons(v.button(v.t("More"), "neverLogPage", p("cursor", page.Next))))
	}
	s.Widgets = append(s.Widgets,
		divider(),
		textInput("pattern", v.t("Address or domain"), m.Form.Pattern, "anna@example.com, @example.com", false),
		textInput("note", v.t("Note (optional)"), m.Form.Note, "", false),
	)
	if m.Form.PatternError != "" {
		s.Widgets = append(s.Widgets, errorText(m.Form.PatternError))
	}
	s.Widgets = append(s.Widgets, buttons(filled(v.button(v.t("Add to list"), "addEntry"))))
	return s
}

func (v *view) testSection(m homeModel) *Section {
	s := section(v.t("Test an address"),
		textInput("testAddress", v.t("Address or domain"), m.Form.TestAddress, "someone@example.com", false))
	for _, r := range m.Form.TestResults {
		switch {
		case r.Error != "":
			s.Widgets = append(s.Widgets, errorText(v.t("%s: %s", r.Address, r.Error)))
		case r.Blocked:
			s.Widgets = append(s.Widgets, deco(&decorated{
				StartIcon: lockIcon(v.t("Never Log List")),
				Text:      esc(v.t("%s is blocked by %s (%s)", r.Address, r.Entry, v.listName(r.List))),
			}))
		default:
			s.Widgets = append(s.Widgets, paragraph(esc(v.t("%s is not blocked", r.Address))))
		}
	}
	if m.Form.TestError != "" {
		s.Widgets = append(s.Widgets, errorText(m.Form.TestError))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Test"), "testAddress")))
	return s
}

func (v *view) listName(list string) string {
	if list == "personal" {
		return v.t("personal list")
	}
	return v.t("org list")
}

func (v *view) importSection(m homeModel) *Section {
	s := section(v.t("Import"),
		paragraph(esc(v.t("One address or domain per line; # starts a comment. Nothing is added if any line is wrong."))),
		textInput("importText", v.t("Never Log List"), m.Form.ImportText, "", true))
	if len(m.Form.ImportErrors) > 0 {
		var ls []string
		for _, le := range m.Form.ImportErrors {
			ls = append(ls, esc(v.t("Line %d: %s", le.Line, le.Message)))
		}
		s.Widgets = append(s.Widgets,
			errorText(v.t("Nothing imported: fix these lines.")),
			paragraph(`<font color="#d93025">`+lines(ls...)+`</font>`))
	}
	if m.Form.ImportError != "" {
		s.Widgets = append(s.Widgets, errorText(m.Form.ImportError))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Import"), "importEntries")))
	return s
}

func (v *view) orgSettingsSection(m homeModel) *Section {
	o := m.Admin.Org
	scope := func(name, label string, cur discreet.Scope) *Widget {
		return selection(name, label, "DROPDOWN", []item{
			{v.t("All contacts"), string(discreet.ScopeAll), cur == discreet.ScopeAll},
			{v.t("Their teams' contacts"), string(discreet.ScopeTeam), cur == discreet.ScopeTeam},
			{v.t("Own contacts"), string(discreet.ScopeOwned), cur == discreet.ScopeOwned},
		})
	}
	return section(v.t("Org settings"),
		toggle("orgDefaultLog", "", esc(v.t("Log emails by default")), o.DefaultLog),
		v.visibilityInput("orgDefaultVisibility", v.t("Default visibility"), o.DefaultVisibility),
		selection("hiddenEmails", v.t("Emails a viewer can't see"), "DROPDOWN", []item{
			{v.t("Hide them"), string(discreet.HiddenNone), o.HiddenEmails == discreet.HiddenNone},
			{v.t("Show a count"), string(discreet.HiddenCount), o.HiddenEmails == discreet.HiddenCount},
			{v.t("Show date and owner"), string(discreet.HiddenStubs), o.HiddenEmails == discreet.HiddenStubs},
		}),
		toggle("adminsReadPrivate", "", esc(v.t("Admins read private emails")), o.AdminsReadPrivate),
		scope("accessManager", v.t("Contact access: managers"), o.ScopeOf(discreet.RoleManager)),
		scope("accessRep", v.t("Contact access: reps"), o.ScopeOf(discreet.RoleRep)),
		buttons(v.button(v.t("Save org settings"), "saveOrgSettings")),
	)
}

// jobsSection shows recent long work and how far it got.
func (v *view) jobsSection(jobs []service.JobView) *Section {
	s := section(v.t("Jobs"))
	for _, j := range jobs {
		title := j.Kind
		switch j.Kind {
		case service.JobPurge:
			var r struct {
				Pattern string `json:"pattern"`
			}
			_ = json.Unmarshal(j.Report, &r) // a job without a report yet shows no pattern
			title = v.t("Purge %s", r.Pattern)
		case service.JobImport:
			title = v.t("Never Log import")
		case service.JobWatchRenewal:
			title = v.t("Gmail watch renewal")
		case service.JobWatchBatch:
			title = v.t("Gmail watches of %d users", j.Total)
		}
		var progress string
		switch j.State {
		case store.JobDone:
			progress = v.t("done: %d of %d", j.Done, j.Total)
		case store.JobFailed:
			progress = v.t("failed: %s", j.Error)
		default:
			progress = v.t("%d of %d", j.Done, j.Total)
		}
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   knownIcon("CLOCK"),
			Text:        esc(title),
			BottomLabel: progress + " · " + v.date(j.CreatedAt),
		}))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Refresh"), "refreshHome")))
	return s
}

// entryCard is an org Never Log entry with its dry-run count and the
// purge and remove buttons.
func (v *view) entryCard(r service.PurgeResult) *Card {
	e := r.Entry
	count := v.t("%d logged emails match this entry.", r.Matching)
	if r.Matching == 1 {
		count = v.t("1 logged email matches this entry.")
	}
	bottom := v.t("added by %s, %s", e.AddedBy, v.date(e.AddedAt))
	if e.Note != "" {
		bottom = e.Note + " · " + bottom
	}
	s := section("",
		deco(&decorated{StartIcon: lockIcon(v.t("Never Log List")), Text: "<b>" + esc(e.Pattern) + "</b>", BottomLabel: bottom}),
		paragraph(esc(count)),
	)
	if r.Matching > 0 {
		s.Widgets = append(s.Widgets,
			paragraph(esc(v.t("Purging deletes them from every timeline and is audited."))),
			buttons(filled(v.button(v.t("Purge %d emails", r.Matching), "purgeEntry", p("id", e.ID)))))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Remove from list"), "removeEntry", p("id", e.ID), p("pattern", e.Pattern))))
	return card(v.t("Never Log entry"), e.Pattern, s)
}

// errorCard explains a problem; it is never empty.
func (v *view) errorCard(msg string) *Card {
	return card(v.t("Discreet"), v.t("Something went wrong"),
		section("", deco(&decorated{StartIcon: knownIcon("DESCRIPTION"), Text: esc(msg)})))
}
