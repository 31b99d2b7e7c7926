package addon

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// What of access requests, grants and retention waits on the user, on the
// homepage (decisionKinds) and in the two cards its rows open: the
// "Access requests" area (everything the homepage's rows are the first
// few of) and the list of the user's emails that retention deletes soon.
// Deciding is D1's approval card (reviewRequest); every list is the
// service's answer for this user.

// accessModel is the "Access requests" area.
type accessModel struct {
	User    discreet.User
	Pending service.PendingDecisions
	// Mine are the user's own requests, newest first.
	Mine []service.AccessRequestView
}

// accessAreaName names the area and its card.
const accessAreaName = "accessRequests"

// requestRow is a pending request the user may decide, with Review.
func (v *view) requestRow(r service.AccessRequestView) *Widget {
	text := v.t("%s asks for %s", person(r.RequesterName, r.Requester), v.scopeText(r.Scope))
	if r.Note != "" {
		text += ": “" + r.Note + "”"
	}
	return deco(&decorated{
		StartIcon:   knownIcon("INVITE"),
		TopLabel:    v.t("Access request · %s", v.date(r.CreatedAt)),
		Text:        esc(text),
		BottomLabel: esc(r.Contact),
		Button:      v.button(v.t("Review"), "reviewRequest", p("id", r.ID)),
	})
}

// grantEndingRow is a grant the user made or holds that ends soon.
func (v *view) grantEndingRow(user discreet.User, g discreet.Grant) *Widget {
	text, about := v.t("Your access to %s ends %s", v.scopeText(g.Scope), v.date(g.ExpiresAt)), g.Contact
	if g.Grantee != user.Email {
		text = v.t("Your grant to %s ends %s", g.Grantee, v.date(g.ExpiresAt))
		about += " · " + v.scopeText(g.Scope)
	}
	return deco(&decorated{
		StartIcon:   knownIcon("CLOCK"),
		TopLabel:    v.t("Grant ending"),
		Text:        esc(text),
		BottomLabel: esc(about),
	})
}

// myRequestRow is the user's own request and where it stands.
func (v *view) myRequestRow(r service.AccessRequestView) *Widget {
	return deco(&decorated{
		StartIcon:   knownIcon("INVITE"),
		TopLabel:    v.t("Your access request"),
		Text:        esc(v.requestStatusText(r)),
		BottomLabel: esc(r.Contact),
	})
}

// The homepage's decision kinds of this file, most urgent first.

func (v *view) requestDecisions(m homeModel) []*Widget {
	var out []*Widget
	for _, r := range m.Home.Requests {
		out = append(out, v.requestRow(r))
	}
	return out
}

func (v *view) grantEndings(m homeModel) []*Widget {
	var out []*Widget
	for _, g := range m.Home.Expiring {
		out = append(out, v.grantEndingRow(m.User, g))
	}
	return out
}

// expiringEmailsDecision is one row however many of the user's emails
// retention deletes within 30 days; held ones are not deleted and not
// counted. Its button lists them.
func (v *view) expiringEmailsDecision(m homeModel) []*Widget {
	n := 0
	for _, e := range m.Home.ExpiringEmails.Emails {
		if !e.Held {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	text := v.t("%d of your emails are deleted within 30 days", n)
	if n == 1 {
		text = v.t("1 of your emails is deleted within 30 days")
	}
	if m.Home.ExpiringEmails.More {
		text = v.t("More than %d of your emails are deleted within 30 days", n)
	}
	return []*Widget{deco(&decorated{
		StartIcon: knownIcon("CLOCK"),
		TopLabel:  v.t("Retention"),
		Text:      esc(text),
		Button:    v.button(v.t("Show"), "expiringEmails"),
	})}
}

func (v *view) myRequestOutcomes(m homeModel) []*Widget {
	var out []*Widget
	for _, r := range m.Home.MyRequests {
		out = append(out, v.myRequestRow(r))
	}
	return out
}

// accessCard is the "Access requests" area: every pending request the
// user may decide, the grants ending soon, and the user's own requests.
func (v *view) accessCard(m accessModel) *Card {
	decide := section(v.t("Waiting for your decision"))
	for _, r := range m.Pending.Requests {
		decide.Widgets = append(decide.Widgets, v.requestRow(r))
	}
	if len(m.Pending.Requests) == 0 {
		decide.Widgets = append(decide.Widgets, paragraph("<i>"+esc(v.t("No request waits for you."))+"</i>"))
	}
	sections := []*Section{decide}
	if len(m.Pending.Expiring) > 0 {
		ending := section(v.t("Grants ending within a week"))
		for _, g := range m.Pending.Expiring {
			ending.Widgets = append(ending.Widgets, v.grantEndingRow(m.User, g))
		}
		sections = append(sections, ending)
	}
	mine := section(v.t("Your requests"))
	for _, r := range m.Mine {
		mine.Widgets = append(mine.Widgets, v.myRequestRow(r))
	}
	if len(m.Mine) == 0 {
		mine.Widgets = append(mine.Widgets, paragraph("<i>"+esc(v.t("You asked for nothing yet. Ask from a message whose contact you see only in part."))+"</i>"))
	}
	sections = append(sections, mine, section("", buttons(v.button(v.t("Refresh"), "refreshArea", p("area", accessAreaName)))))
	return areaCard(accessAreaName, v.t("Access requests"), m.User.Email, sections...)
}

// accessArea loads the "Access requests" area.
func (h *handler) accessArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	pending, err := h.cfg.Service.PendingDecisions(ctx, r.user)
	if err != nil {
		return nil, err
	}
	mine, err := h.cfg.Service.AccessRequests(ctx, r.user, "requester")
	if err != nil {
		return nil, err
	}
	return r.v.accessCard(accessModel{User: r.user, Pending: pending, Mine: mine}), nil
}

// expiringCardName names the card of the user's expiring emails.
const expiringCardName = "expiringEmails"

// expiringCard lists the user's emails that retention deletes within 30
// days, soonest first, and those a legal hold keeps.
func (v *view) expiringCard(user discreet.User, x service.Expiring) *Card {
	s := section("", paragraph(esc(v.t("The org's retention deletes these emails you own on the date shown. Ask an admin for a legal hold if one must be kept."))))
	for _, e := range x.Emails {
		subject := e.Subject
		if subject == "" {
			subject = v.t("(no subject)")
		}
		bottom := v.t("deleted %s", v.date(e.ExpiresAt))
		if e.Held {
			bottom = v.t("kept by a legal hold")
		}
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   knownIcon("EMAIL"),
			TopLabel:    v.date(e.Date) + " · " + v.visibility(e.Visibility),
			Text:        esc(subject),
			BottomLabel: esc(bottom),
		}))
	}
	if len(x.Emails) == 0 {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("None of your emails is deleted within 30 days."))+"</i>"))
	}
	if x.More {
		s.Widgets = append(s.Widgets, paragraph("<i>"+esc(v.t("These are the first %d; more follow.", len(x.Emails)))+"</i>"))
	}
	c := card(v.t("Expiring emails"), user.Email, s)
	c.Name = expiringCardName
	return c
}

// expiringEmails pushes the list of the user's emails expiring soon (the
// homepage's retention row).
func (h *handler) expiringEmails(ctx context.Context, r *request) (Response, error) {
	x, err := h.cfg.Service.ExpiringSoon(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.expiringCard(r.user, x)}), nil
}

func init() {
	for en, de := range map[string]string{
		"Access requests":                "Zugriffsanfragen",
		"Your access to %s ends %s":      "Ihr Zugriff auf %s endet am %s",
		"Your grant of %s to %s ends %s": "Ihre Freigabe von %s an %s endet am %s",
		"Grant ending":                   "Freigabe endet",
		"Show":                           "Anzeigen",
		"%d of your emails are deleted within 30 days":           "%d Ihrer E-Mails werden innerhalb von 30 Tagen gelöscht",
		"1 of your emails is deleted within 30 days":             "1 Ihrer E-Mails wird innerhalb von 30 Tagen gelöscht",
		"More than %d of your emails are deleted within 30 days": "Mehr als %d Ihrer E-Mails werden innerhalb von 30 Tagen gelöscht",
		"Waiting for your decision":                              "Wartet auf Ihre Entscheidung",
		"No request waits for you.":                              "Keine Anfrage wartet auf Sie.",
		"Grants ending within a week":                            "Freigaben, die binnen einer Woche enden",
		"Your requests":                                          "Ihre Anfragen",
		"You asked for nothing yet. Ask from a message whose contact you see only in part.": "Sie haben noch nichts angefragt. Fragen Sie aus einer Nachricht an, deren Kontakt Sie nur teilweise sehen.",
		"Expiring emails": "Ablaufende E-Mails",
		"The org's retention deletes these emails you own on the date shown. Ask an admin for a legal hold if one must be kept.": "Die Aufbewahrungsregeln der Organisation löschen diese E-Mails von Ihnen am angegebenen Datum. Bitten Sie einen Admin um eine rechtliche Sperre, wenn eine erhalten bleiben muss.",
		"deleted %s":           "gelöscht am %s",
		"kept by a legal hold": "durch eine rechtliche Sperre erhalten",
		"None of your emails is deleted within 30 days.": "Keine Ihrer E-Mails wird innerhalb von 30 Tagen gelöscht.",
		"These are the first %d; more follow.":           "Das sind die ersten %d; weitere folgen.",
		"Protected contacts":                             "Geschützte Kontakte",
		"Visibility policy":                              "Sichtbarkeitsrichtlinie",
	} {
		if _, ok := german[en]; !ok {
			german[en] = de
		}
	}
}
