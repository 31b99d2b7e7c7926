package addon

import (
	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// messageModel is everything the message card shows, all of it from
// service results.
type messageModel struct {
	GmailMessageID string
	Subject        string
	// Email is the logged email when the viewer may read it.
	Email *service.EmailView
	// Decision says why the email is not logged (never_log_list,
	// internal_only, toggled_off) or that a colleague already logged it;
	// nil with Email nil means "not logged yet".
	Decision *discreet.Decision
	// DefaultVisibility preselects the Log choice; Choices are those the
	// visibility policy and protected contacts allow.
	DefaultVisibility discreet.Visibility
	Choices           service.VisibilityChoices
	Contacts          []contactModel
	// Rule is the sensitivity rule that would make the email private when
	// logged (governance_card.go says how it is named).
	Rule *discreet.SensitivityRule
}

// contactModel is one external participant.
type contactModel struct {
	Address string
	// Contact is nil for an address nobody logged yet.
	Contact  *service.ContactView
	Timeline *service.TimelineView
	// Requests are the viewer's own access requests on the contact (their
	// outcome), Decide the pending ones the viewer may decide (access_card.go).
	Requests []service.AccessRequestView
	Decide   []service.AccessRequestView
}

func (v *view) messageCard(m messageModel) *Card {
	subject := m.Subject
	if subject == "" {
		subject = v.t("(no subject)")
	}
	sections := []*Section{v.thisEmailSection(m)}
	for _, c := range m.Contacts {
		sections = append(sections, v.contactSection(c))
	}
	return card(v.t("Discreet"), subject, sections...)
}

func (v *view) thisEmailSection(m messageModel) *Section {
	s := section(v.t("This email"))
	msg := p("messageId", m.GmailMessageID)
	switch {
	case m.Email != nil:
		e := m.Email
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   knownIcon("BOOKMARK"),
			TopLabel:    v.t("Logged"),
			Text:        "<b>" + esc(v.t("Logged as %s", v.visibility(e.Visibility))) + "</b>",
			BottomLabel: v.t("by %s · %s", person(e.OwnerName, e.Owner), v.date(e.LoggedAt)),
		}))
		if e.Uploaded {
			s.Widgets = append(s.Widgets, v.uploadedNote())
		}
		s.Widgets = append(s.Widgets, paragraph(esc(v.visibilityHelp(e.Visibility))))
		if e.CanManage {
			s.Widgets = append(s.Widgets, v.visibilityChoice("visibility", m.Choices, e.Visibility)...)
			s.Widgets = append(s.Widgets,
				buttons(
					v.button(v.t("Change visibility"), "setVisibility", p("emailId", e.ID), msg),
					v.button(v.t("Share"), "shareCard", p("emailId", e.ID)),
					v.button(v.t("Unlog"), "unlog", p("emailId", e.ID), msg),
				))
		}
	case m.Decision != nil && !m.Decision.Logged:
		s.Widgets = append(s.Widgets, v.notLogged(*m.Decision))
	case m.Decision != nil:
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon: knownIcon("BOOKMARK"),
			TopLabel:  v.t("Logged"),
			Text:      esc(v.t("Already logged by a colleague.")),
		}))
	default:
		s.Widgets = append(s.Widgets, deco(&decorated{TopLabel: v.t("Not logged"), Text: esc(v.t("Not logged yet"))}))
		if m.Rule != nil {
			s.Widgets = append(s.Widgets, v.ruleNote(*m.Rule))
		}
		s.Widgets = append(s.Widgets, v.visibilityChoice("visibility", m.Choices, m.DefaultVisibility)...)
		s.Widgets = append(s.Widgets, buttons(filled(v.button(v.t("Log"), "log", msg))))
	}
	return s
}

// uploadedNote marks an email logged from uploaded bytes: what it says
// about its sender and date is the uploader's word, not Gmail's.
func (v *view) uploadedNote() *Widget {
	return deco(&decorated{
		StartIcon: knownIcon("DESCRIPTION"),
		TopLabel:  v.t("Uploaded"),
		Text:      esc(v.t("Logged from an uploaded copy, not fetched from Gmail: its sender and date are as the uploader gave them.")),
	})
}

// notLogged explains a decision not to log, with the lock for Never Log.
func (v *view) notLogged(d discreet.Decision) *Widget {
	switch d.Reason {
	case discreet.ReasonNeverLogList:
		return v.neverLogLock(d.Address, d.Entry, d.List)
	case discreet.ReasonInternalOnly:
		return deco(&decorated{TopLabel: v.t("Not logged"), Text: esc(v.t("Not logged: only colleagues are on this email."))})
	case discreet.ReasonToggledOff:
		return deco(&decorated{TopLabel: v.t("Not logged"), Text: esc(v.t("Not logged: Log was switched off for this email."))})
	case discreet.ReasonSensitiveContent:
		if d.Rule != nil {
			return v.ruleNote(*d.Rule)
		}
	case discreet.ReasonUnreadableParticipant:
		return deco(&decorated{TopLabel: v.t("Not logged"),
			Text: esc(v.t("Not logged: the %s header holds %q, which cannot be checked against the Never Log List.", d.Header, d.Text))})
	}
	return deco(&decorated{TopLabel: v.t("Not logged"), Text: esc(string(d.Reason))})
}

func (v *view) neverLogLock(address, entry, list string) *Widget {
	text := v.t("Not logged: %s is on the Never Log List (%s)", address, entry)
	if list == "personal" {
		text = v.t("Not logged: %s is on your personal Never Log List (%s)", address, entry)
	}
	return deco(&decorated{
		StartIcon: lockIcon(v.t("Not logged")),
		TopLabel:  v.t("Never Log List"),
		Text:      esc(text),
	})
}

func (v *view) contactSection(c contactModel) *Section {
	s := section(esc(c.Address))
	switch {
	case c.Contact == nil:
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon: knownIcon("PERSON"),
			TopLabel:  v.t("Contact"),
			Text:      esc(v.t("New contact — it is created when you log this email.")),
		}))
		return s
	case c.Contact.Access == discreet.AccessStub:
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon: knownIcon("PERSON"),
			TopLabel:  v.t("Contact"),
			Text:      esc(v.stubText(*c.Contact)),
		}))
	default:
		ct := c.Contact
		name := ct.Name
		if name == "" {
			name = ct.Email
		}
		s.Widgets = append(s.Widgets, deco(&decorated{
			StartIcon:   knownIcon("PERSON"),
			TopLabel:    v.t("Contact"),
			Text:        "<b>" + esc(name) + "</b>",
			BottomLabel: v.ownerText(*ct),
		}))
	}
	if c.Timeline != nil {
		s.Widgets = append(s.Widgets, v.timelineWidgets(c.Address, *c.Timeline)...)
	}
	s.Widgets = append(s.Widgets, v.accessWidgets(c)...)
	return s
}

func (v *view) stubText(c service.ContactView) string {
	owner := person(c.OwnerName, c.Owner)
	if team := person(c.TeamName, c.Team); team != "" {
		return v.t("Known contact — owned by %s, %s · ask them for access", owner, team)
	}
	return v.t("Known contact — owned by %s · ask them for access", owner)
}

func (v *view) ownerText(c service.ContactView) string {
	owner := person(c.OwnerName, c.Owner)
	if team := person(c.TeamName, c.Team); team != "" {
		return v.t("Owner: %s, %s", owner, team)
	}
	return v.t("Owner: %s", owner)
}

// timelineWidgets lists the visible emails, the hidden ones as the org
// setting says, and a More button for the next page.
func (v *view) timelineWidgets(contact string, tl service.TimelineView) []*Widget {
	var ws []*Widget
	for _, it := range tl.Items {
		if it.Visible && it.Email != nil {
			e := it.Email
			subject := e.Subject
			if subject == "" {
				subject = v.t("(no subject)")
			}
			bottom := v.visibility(e.Visibility)
			if e.Uploaded {
				bottom += " · " + v.t("uploaded")
			}
			ws = append(ws, deco(&decorated{
				StartIcon:   knownIcon("EMAIL"),
				TopLabel:    v.date(e.Date) + " · " + person(e.OwnerName, e.Owner),
				Text:        esc(subject),
				BottomLabel: bottom,
			}))
			continue
		}
		row := &decorated{
			StartIcon: lockIcon(v.t("An email you can't see")),
			TopLabel:  v.date(it.Date) + " · " + person(it.OwnerName, it.Owner),
			Text:      "<i>" + esc(v.t("An email you can't see")) + "</i>",
		}
		if it.EmailID != "" {
			row.Button = v.requestButton(v.t("Request"), contact, it.EmailID, it.Date)
		}
		ws = append(ws, deco(row))
	}
	if len(tl.Items) == 0 && (tl.Hidden == nil || tl.Hidden.Count == 0) {
		ws = append(ws, paragraph("<i>"+esc(v.t("No emails you can see yet."))+"</i>"))
	}
	if h := tl.Hidden; h != nil && h.Count > 0 {
		format := "%d more emails you can't see, owned by %s"
		switch {
		case h.AtLeast:
			format = "At least %d more emails you can't see, owned by %s"
		case h.Count == 1:
			format = "%d more email you can't see, owned by %s"
		}
		ws = append(ws, paragraph(esc(v.t(format, h.Count, person(h.OwnerName, h.Owner)))))
	}
	if tl.Next != "" {
		ws = append(ws, buttons(v.button(v.t("More"), "more", p("contact", contact), p("cursor", tl.Next))))
	}
	if len(ws) > 0 {
		ws = append([]*Widget{paragraph("<b>" + esc(v.t("Recent emails")) + "</b>")}, ws...)
	}
	return ws
}

// timelineCard is a further page of a contact's timeline.
func (v *view) timelineCard(contact string, tl service.TimelineView) *Card {
	s := section("", v.timelineWidgets(contact, tl)...)
	return card(v.t("Discreet"), v.t("Emails with %s", contact), s)
}
