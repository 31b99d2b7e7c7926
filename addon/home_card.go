package addon

import (
	"encoding/json"

	chat "google.golang.org/api/chat/v1"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// The homepage is short: what waits on the user, then one button per
// area. Each area opens as its own card (pushCard); Gmail's back arrow
// pops it. An action inside an area answers with that area's card updated
// (updateCard), so the user stays where they were.

// homeModel is the homepage.
type homeModel struct {
	User discreet.User
	// Home is what waits on the user (service.Home).
	Home service.Home
	// Areas are the areas this user opens, in the order of areas.
	Areas []area
}

// maxDecisionRows bounds the "Needs your attention" rows: the homepage
// stays short however much waits; the areas list the rest.
const maxDecisionRows = 5

// decisionKinds render what waits on the user, most urgent kind first,
// one row widget per item; each row that asks for a decision carries a
// button to the card where it is decided. A new kind is one field of
// service.Home and one function here.
var decisionKinds = []func(v *view, m homeModel) []*Widget{
	(*view).accessDecisions,        // access requests the user may decide, grants ending (access_card.go)
	(*view).expiringEmailsDecision, // the user's emails retention deletes soon
	(*view).myRequestOutcomes,      // the user's own requests and their outcome
	(*view).jobDecisions,
}

func (v *view) homeCard(m homeModel) *Card {
	var rows []*Widget
	for _, kind := range decisionKinds {
		rows = append(rows, kind(v, m)...)
	}
	var waiting *Section
	if len(rows) > 0 {
		waiting = section(v.t("Needs your attention"))
		if len(rows) > maxDecisionRows {
			more := len(rows) - maxDecisionRows
			rows = append(rows[:maxDecisionRows], paragraph("<i>"+esc(v.t("and %d more", more))+"</i>"))
		}
		waiting.Widgets = append(rows, buttons(v.button(v.t("Refresh"), "refreshHome")))
	}
	var mine, org []*chat.GoogleAppsCardV1Button
	for _, a := range m.Areas {
		b := v.button(v.t(a.title), "openArea", p("area", a.name))
		if a.admin {
			org = append(org, b)
		} else {
			mine = append(mine, b)
		}
	}
	c := card(v.t("Discreet"), v.t("Signed in as %s", m.User.Email),
		waiting,
		section(v.t("Personal"), buttons(mine...)),
		section(v.t("Organization"), buttons(org...)),
	)
	c.Name = homeCardName
	return c
}

// homeCardName names the homepage on the card stack.
const homeCardName = "home"

// jobDecisions are the running and lately failed jobs.
func (v *view) jobDecisions(m homeModel) []*Widget {
	var out []*Widget
	for _, j := range m.Home.Jobs {
		out = append(out, v.jobRow(j))
	}
	return out
}

// jobRow is one job and how far it got.
func (v *view) jobRow(j service.JobView) *Widget {
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
	return deco(&decorated{
		StartIcon:   knownIcon("CLOCK"),
		Text:        esc(title),
		BottomLabel: esc(progress) + " · " + v.date(j.CreatedAt),
	})
}

// errorCard explains a problem; it is never empty.
func (v *view) errorCard(msg string) *Card {
	return card(v.t("Discreet"), v.t("Something went wrong"),
		section("", deco(&decorated{StartIcon: knownIcon("DESCRIPTION"), Text: esc(msg)})))
}

// germanHome are the homepage's and its areas' strings for userLocale
// "de*"; kept here, next to the cards, and merged into german.
var germanHome = map[string]string{
	"Needs your attention": "Wartet auf Sie",
	"and %d more":          "und %d weitere",
	"Personal":             "Persönlich",
	"Organization":         "Organisation",
	"Unknown area %q.":     "Unbekannter Bereich %q.",
	"Import and export":    "Import und Export",
	"Export":               "Exportieren",
	"First page":           "Erste Seite",
	"No jobs yet.":         "Noch keine Aufträge.",
	"The org's list: emails with these addresses are never logged.":                            "Die Liste der Organisation: E-Mails mit diesen Adressen werden nie protokolliert.",
	"Whether the org's or your own Never Log List blocks an address, and which entry.":         "Ob die Never-Log-Liste der Organisation oder Ihre eigene eine Adresse blockiert, und durch welchen Eintrag.",
	"The org's list as CSV; an import reads it back.":                                          "Die Liste der Organisation als CSV; ein Import liest sie wieder ein.",
	"The list has %d entries, too many to show here: export it with GET /v1/never-log:export.": "Die Liste hat %d Einträge, zu viele für diese Ansicht: Exportieren Sie sie mit GET /v1/never-log:export.",
	"The org's list as CSV, to copy.":                                                          "Die Liste der Organisation als CSV zum Kopieren.",
	"Purges and imports run in the background.":                                                "Löschungen und Importe laufen im Hintergrund.",
}

func init() {
	for en, de := range germanHome {
		german[en] = de
	}
}
