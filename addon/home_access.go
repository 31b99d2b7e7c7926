package addon

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// What of access requests, grants and retention waits on the user, on the
// homepage (decisionKinds): the requests they may decide and the grants
// ending soon are D1's rows (access_card.go pendingDecisionRows; Review
// opens the approval card) and D1's "Access requests" area lists them all;
// here are the user's own requests with their outcome, and the one row of
// their emails that retention deletes soon, with the card it opens.

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

// accessDecisions are the pending requests the user may decide, each
// with Review, and the grants they made or hold that end within a week.
func (v *view) accessDecisions(m homeModel) []*Widget {
	return v.pendingDecisionRows(m.Home.PendingDecisions)
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
		"Your grant of %s to %s ends %s": "Ihre Freigabe von %s an %s endet am %s",
		"Show":                           "Anzeigen",
		"%d of your emails are deleted within 30 days":           "%d Ihrer E-Mails werden innerhalb von 30 Tagen gelöscht",
		"1 of your emails is deleted within 30 days":             "1 Ihrer E-Mails wird innerhalb von 30 Tagen gelöscht",
		"More than %d of your emails are deleted within 30 days": "Mehr als %d Ihrer E-Mails werden innerhalb von 30 Tagen gelöscht",
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
