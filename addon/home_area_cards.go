package addon

import (
	chat "google.golang.org/api/chat/v1"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// The homepage's area cards. Each is named after its area (Card.name), so
// a navigation can return to it (popToCard).

// mineModel is the user's own settings and personal Never Log List.
type mineModel struct {
	Me   service.Me
	Mine service.MySettings
	Form areaForm
}

// neverLogModel is one page of the org's Never Log List.
type neverLogModel struct {
	Page service.Page[discreet.NeverLogEntry]
	Form areaForm
}

func areaCard(name, title, subtitle string, sections ...*Section) *Card {
	c := card(title, subtitle, sections...)
	c.Name = name
	return c
}

func (v *view) mySettingsCard(m mineModel) *Card {
	log := m.Me.Org.DefaultLog
	if m.Mine.DefaultLog != nil {
		log = *m.Mine.DefaultLog
	}
	vis := m.Me.Org.DefaultVisibility
	if m.Mine.DefaultVisibility.Valid() {
		vis = m.Mine.DefaultVisibility
	}
	return areaCard("mySettings", v.t("Your settings"), m.Me.User.Email, section("",
		toggle("defaultLog", "", esc(v.t("Log my emails by default")), log),
		v.visibilityInput("defaultVisibility", v.t("Default visibility"), vis),
		buttons(filled(v.button(v.t("Save settings"), "saveMySettings"))),
	))
}

func (v *view) myNeverLogCard(m mineModel) *Card {
	s := section("", paragraph(esc(v.t("Your own emails with these addresses are never logged."))))
	for _, e := range m.Mine.NeverLog {
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   lockIcon(v.t("Never Log List")),
			Text:        esc(e.Pattern),
			BottomLabel: esc(e.Note),
			Button:      v.button(v.t("Remove"), "removePersonal", p("id", e.ID), p("pattern", e.Pattern)),
		}))
	}
	if len(m.Mine.NeverLog) == 0 {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("No entries."))+"</i>"))
	}
	add := section(v.t("Add"), textInput("personalPattern", v.t("Address or domain"), m.Form.PersonalPattern, "@example.com", false))
	if m.Form.PersonalError != "" {
		add.Widgets = append(add.Widgets, errorText(m.Form.PersonalError))
	}
	add.Widgets = append(add.Widgets, buttons(filled(v.button(v.t("Add"), "addPersonal"))))
	return areaCard("myNeverLog", v.t("Your Never Log List"), "", s, add)
}

func (v *view) neverLogCard(m neverLogModel) *Card {
	page := m.Page
	s := section("")
	for _, e := range page.Items {
		bottom := v.t("added by %s, %s", e.AddedBy, v.date(e.AddedAt))
		if e.Note != "" {
			bottom = e.Note + " · " + bottom
		}
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   lockIcon(v.t("Never Log List")),
			Text:        "<b>" + esc(e.Pattern) + "</b>",
			BottomLabel: esc(bottom),
			Button:      v.button(v.t("Manage"), "manageEntry", p("id", e.ID)),
		}))
	}
	if len(page.Items) == 0 {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("No entries."))+"</i>"))
	}
	if pages := buttons(v.pager("neverLog", m.Form.Cursor != "", page.Next)...); pages != nil {
		s.Widgets = append(s.Widgets, pages)
	}
	add := section(v.t("Add"),
		textInput("pattern", v.t("Address or domain"), m.Form.Pattern, "anna@example.com, @example.com", false),
		textInput("note", v.t("Note (optional)"), m.Form.Note, "", false),
	)
	if m.Form.PatternError != "" {
		add.Widgets = append(add.Widgets, errorText(m.Form.PatternError))
	}
	add.Widgets = append(add.Widgets, buttons(filled(v.button(v.t("Add to list"), "addEntry"))))
	return areaCard("neverLog", v.t("Never Log List"), v.t("The org's list: emails with these addresses are never logged."), s, add)
}

// pager is a listing area's "First page" (when paged past it) and "More"
// buttons.
func (v *view) pager(area string, paged bool, next string) []*chat.GoogleAppsCardV1Button {
	var out []*chat.GoogleAppsCardV1Button
	if paged {
		out = append(out, v.button(v.t("First page"), "refreshArea", p("area", area)))
	}
	if next != "" {
		out = append(out, v.button(v.t("More"), "areaPage", p("area", area), p("cursor", next)))
	}
	return out
}

func (v *view) testCard(f areaForm) *Card {
	s := section("",
		paragraph(esc(v.t("Whether the org's or your own Never Log List blocks an address, and which entry."))),
		textInput("testAddress", v.t("Address or domain"), f.TestAddress, "someone@example.com", false))
	for _, r := range f.TestResults {
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
	if f.TestError != "" {
		s.Widgets = append(s.Widgets, errorText(f.TestError))
	}
	s.Widgets = append(s.Widgets, buttons(filled(v.button(v.t("Test"), "testAddress"))))
	return areaCard("testAddress", v.t("Test an address"), "", s)
}

func (v *view) listName(list string) string {
	if list == "personal" {
		return v.t("personal list")
	}
	return v.t("org list")
}

// maxExportShown bounds the CSV the import/export card shows: a card
// answer stays far below what Gmail accepts; longer lists are exported
// through the REST route.
const maxExportShown = 64 << 10

func (v *view) importCard(f areaForm) *Card {
	imp := section(v.t("Import"),
		paragraph(esc(v.t("One address or domain per line; # starts a comment. Nothing is added if any line is wrong."))),
		textInput("importText", v.t("Never Log List"), f.ImportText, "", true))
	if len(f.ImportErrors) > 0 {
		var ls []string
		for _, le := range f.ImportErrors {
			ls = append(ls, esc(v.t("Line %d: %s", le.Line, le.Message)))
		}
		imp.Widgets = append(imp.Widgets,
			errorText(v.t("Nothing imported: fix these lines.")),
			paragraph(`<font color="#d93025">`+lines(ls...)+`</font>`))
	}
	if f.ImportError != "" {
		imp.Widgets = append(imp.Widgets, errorText(f.ImportError))
	}
	imp.Widgets = append(imp.Widgets, buttons(filled(v.button(v.t("Import"), "importEntries"))))

	exp := section(v.t("Export"))
	switch {
	case f.Export != "":
		exp.Widgets = append(exp.Widgets,
			paragraph(esc(v.t("The org's list as CSV; an import reads it back."))),
			textInput("exportText", v.t("Never Log List"), f.Export, "", true))
	case f.ExportTooLong > 0:
		exp.Widgets = append(exp.Widgets, paragraph(esc(v.t("The list has %d entries, too many to show here: export it with GET /v1/never-log:export.", f.ExportTooLong))))
	default:
		exp.Widgets = append(exp.Widgets, paragraph(esc(v.t("The org's list as CSV, to copy."))))
	}
	exp.Widgets = append(exp.Widgets, buttons(v.button(v.t("Export"), "exportEntries")))
	return areaCard("import", v.t("Import and export"), "", imp, exp)
}

func (v *view) orgSettingsCard(o discreet.OrgSettings, f areaForm) *Card {
	scope := func(name, label string, cur discreet.Scope) *Widget {
		return selection(name, label, "DROPDOWN", []item{
			{v.t("All contacts"), string(discreet.ScopeAll), cur == discreet.ScopeAll},
			{v.t("Their teams' contacts"), string(discreet.ScopeTeam), cur == discreet.ScopeTeam},
			{v.t("Own contacts"), string(discreet.ScopeOwned), cur == discreet.ScopeOwned},
		})
	}
	s := section("",
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
	)
	if f.OrgError != "" {
		s.Widgets = append(s.Widgets, errorText(f.OrgError))
	}
	s.Widgets = append(s.Widgets, buttons(filled(v.button(v.t("Save org settings"), "saveOrgSettings"))))
	return areaCard("orgSettings", v.t("Org settings"), "", s)
}

// jobsCard lists recent long work (purges, imports) and how far it got.
func (v *view) jobsCard(jobs service.Page[service.JobView], paged bool) *Card {
	s := section("")
	for _, j := range jobs.Items {
		s.Widgets = append(s.Widgets, v.jobRow(j))
	}
	if len(jobs.Items) == 0 {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("No jobs yet."))+"</i>"))
	}
	s.Widgets = append(s.Widgets, buttons(append([]*chat.GoogleAppsCardV1Button{v.button(v.t("Refresh"), "refreshArea", p("area", "jobs"))}, v.pager("jobs", paged, jobs.Next)...)...))
	return areaCard("jobs", v.t("Jobs"), v.t("Purges and imports run in the background."), s)
}

// entryCard is an org Never Log entry with its dry-run count and the
// purge and remove buttons; it is pushed over the org list's card.
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
		deco(&decorated{StartIcon: lockIcon(v.t("Never Log List")), Text: "<b>" + esc(e.Pattern) + "</b>", BottomLabel: esc(bottom)}),
		paragraph(esc(count)),
	)
	if r.Matching > 0 {
		s.Widgets = append(s.Widgets,
			paragraph(esc(v.t("Purging deletes them from every timeline and is audited."))),
			buttons(filled(v.button(v.t("Purge %d emails", r.Matching), "purgeEntry", p("id", e.ID)))))
	}
	// Removing the entry is apart from the purge: it deletes nothing.
	s.Widgets = append(s.Widgets, divider(), buttons(v.button(v.t("Remove from list"), "removeEntry", p("id", e.ID), p("pattern", e.Pattern))))
	return card(v.t("Never Log entry"), e.Pattern, s)
}
