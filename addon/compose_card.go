package addon

import (
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// composeModel is the draft's recipients and what the service says about
// them.
type composeModel struct {
	To, Cc, Bcc []string
	State       service.ComposeState
}

func (m composeModel) recipients() []string {
	var all []string
	all = append(all, m.To...)
	all = append(all, m.Cc...)
	return append(all, m.Bcc...)
}

func (v *view) composeCard(m composeModel) *Card {
	st := m.State
	main := section(v.t("When you send"))
	if b := st.Blocked; b != nil {
		// The switch has no disabled state in the card schema: a blocked
		// draft shows the lock and the reason instead of a switch.
		main.Widgets = append(main.Widgets, v.neverLogLock(b.Address, b.Entry, b.List))
	} else {
		main.Widgets = append(main.Widgets, toggle("log", v.t("Log"), esc(v.t("Log this email to the contact's timeline")), st.Log))
		main.Widgets = append(main.Widgets, v.visibilityChoice("visibility", st.Choices, st.Visibility)...)
		main.Widgets = append(main.Widgets,
			buttons(filled(v.button(v.t("Save"), "saveIntent",
				p("to", strings.Join(m.To, ",")), p("cc", strings.Join(m.Cc, ",")), p("bcc", strings.Join(m.Bcc, ","))))),
		)
	}

	if len(st.Rules) > 0 {
		main.Widgets = append(main.Widgets, v.composeRulesNote(st.Rules)) // governance_card.go
	}

	rs := section(v.t("Recipients"))
	contacts := map[string]service.ContactView{}
	for _, c := range st.Contacts {
		contacts[strings.ToLower(c.Email)] = c
	}
	for _, r := range m.recipients() {
		d := &decorated{StartIcon: knownIcon("PERSON"), Text: esc(r)}
		if c, ok := contacts[strings.ToLower(r)]; ok {
			if c.Access == discreet.AccessStub {
				d.BottomLabel = v.stubText(c)
			} else {
				d.BottomLabel = v.ownerText(c)
			}
		}
		if b := st.Blocked; b != nil && (strings.EqualFold(b.Address, r) || strings.EqualFold(b.Normalized, r)) {
			d.StartIcon = lockIcon(v.t("Never Log List"))
			d.BottomLabel = v.t("Never Log List") + " · " + b.Entry
		}
		rs.Widgets = append(rs.Widgets, deco(d))
	}
	if len(rs.Widgets) == 0 {
		rs.Widgets = append(rs.Widgets, paragraph("<i>"+esc(v.t("No recipients yet."))+"</i>"))
	}
	return card(v.t("Discreet"), v.t("Log this email"), main, rs)
}
