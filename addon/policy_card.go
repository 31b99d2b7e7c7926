package addon

import (
	"context"
	"slices"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

// The admin's visibility policy area: ONE pushed card with a rule per role
// and per team (ceiling, default, lock), saved into the org setting
// visibilityPolicy. And the two widgets the compose and message cards use
// to offer only the choices the policy allows and show it.

// policyModel is what the visibility policy card shows.
type policyModel struct {
	Policy *discreet.VisibilityPolicy
	Teams  []discreet.Team
}

// policyRoles are the roles a rule may name: admins are under no rule
// unless one names them, and setting one is rare enough for REST.
var policyRoles = []discreet.Role{discreet.RoleManager, discreet.RoleRep}

func (v *view) policyCard(m policyModel) *Card {
	intro := section("",
		paragraph(esc(v.t("Per role and team: the widest visibility allowed, the default, and whether users may change it. A user under several rules gets the strictest."))))
	var p discreet.VisibilityPolicy
	if m.Policy != nil {
		p = *m.Policy
	}
	roles := section(v.t("Roles"))
	for _, r := range policyRoles {
		roles.Widgets = append(roles.Widgets, v.ruleWidgets("role:"+string(r), v.t("Role: %s", string(r)), p.Roles[r])...)
	}
	teams := section(v.t("Teams"))
	for _, t := range m.Teams {
		teams.Widgets = append(teams.Widgets, v.ruleWidgets("team:"+t.ID, v.t("Team: %s", person(t.Name, t.ID)), p.Teams[t.ID])...)
	}
	if len(m.Teams) == 0 {
		teams.Widgets = append(teams.Widgets, paragraph("<i>"+esc(v.t("No teams yet."))+"</i>"))
	}
	save := section("", buttons(filled(v.button(v.t("Save policy"), "savePolicy"))))
	return areaCard(policyAreaName, v.t("Visibility policy"), v.t("Admin"), intro, roles, teams, save)
}

// policyAreaName names the area (home_areas.go's areas list) and its card.
const policyAreaName = "visibilityPolicy"

// ruleWidgets are one rule's inputs, named max:<key>, default:<key> and
// locked:<key>.
func (v *view) ruleWidgets(key, title string, r discreet.VisibilityRule) []*Widget {
	choice := func(name, label, none string, sel discreet.Visibility) *Widget {
		items := []item{{text: none, value: "none", selected: sel == ""}}
		for _, vis := range policy.Visibilities {
			items = append(items, item{text: v.visibility(vis), value: string(vis), selected: vis == sel})
		}
		return selection(name, label, "DROPDOWN", items)
	}
	return []*Widget{
		paragraph("<b>" + esc(title) + "</b>"),
		choice("max:"+key, v.t("At most"), v.t("No ceiling"), r.Max),
		choice("default:"+key, v.t("Default"), v.t("As the user's default"), r.Default),
		toggle("locked:"+key, v.t("Locked"), esc(v.t("Users may not change it")), r.Locked),
	}
}

// policyFromForm reads the card's inputs back into a policy; rules left
// empty are dropped.
func policyFromForm(ev *Event, teams []discreet.Team) *discreet.VisibilityPolicy {
	read := func(key string) (discreet.VisibilityRule, bool) {
		r := discreet.VisibilityRule{Locked: ev.has("locked:" + key)}
		if m := ev.input("max:" + key); m != "" && m != "none" {
			r.Max = discreet.Visibility(m)
		}
		if d := ev.input("default:" + key); d != "" && d != "none" {
			r.Default = discreet.Visibility(d)
		}
		return r, r != discreet.VisibilityRule{}
	}
	p := &discreet.VisibilityPolicy{}
	for _, role := range policyRoles {
		if r, ok := read("role:" + string(role)); ok {
			if p.Roles == nil {
				p.Roles = map[discreet.Role]discreet.VisibilityRule{}
			}
			p.Roles[role] = r
		}
	}
	for _, t := range teams {
		if r, ok := read("team:" + t.ID); ok {
			if p.Teams == nil {
				p.Teams = map[string]discreet.VisibilityRule{}
			}
			p.Teams[t.ID] = r
		}
	}
	if p.Roles == nil && p.Teams == nil {
		return nil
	}
	return p
}

func (h *handler) policyModelFor(ctx context.Context, r *request) (policyModel, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return policyModel{}, err
	}
	teams, err := h.cfg.Service.Teams(ctx, r.user)
	if err != nil {
		return policyModel{}, err
	}
	return policyModel{Policy: org.VisibilityPolicy, Teams: teams}, nil
}

// visibilityPolicyArea loads the area's card: the homepage lists it as
// {name: policyAreaName, title: "Visibility policy", admin: true,
// card: (*handler).visibilityPolicyArea}. Saving is the service's to
// allow (admins only); the card shows the policy every user may read.
func (h *handler) visibilityPolicyArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	m, err := h.policyModelFor(ctx, r)
	if err != nil {
		return nil, err
	}
	return r.v.policyCard(m), nil
}

// savePolicy puts the policy into the org settings; the service checks it.
func (h *handler) savePolicy(ctx context.Context, r *request) (Response, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	teams, err := h.cfg.Service.Teams(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	org.VisibilityPolicy = policyFromForm(r.ev, teams)
	if _, err := h.cfg.Service.PutOrgSettings(ctx, r.user, org); err != nil {
		if invalid(err) {
			return render(discreet.ErrorMessage(err)), nil
		}
		return Response{}, err
	}
	m, err := h.policyModelFor(ctx, r)
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("Visibility policy saved."), Navigation{UpdateCard: r.v.policyCard(m)}), nil
}

// visibilityChoice is the visibility input of the compose and message
// cards: only the choices allowed, and, when one is all that is allowed,
// no input but the reason (the service applies it).
func (v *view) visibilityChoice(name string, c service.VisibilityChoices, selected discreet.Visibility) []*Widget {
	allowed := c.Allowed
	if len(allowed) == 0 {
		allowed = policy.Visibilities
	}
	if !slices.Contains(allowed, selected) {
		selected = c.Default
	}
	var ws []*Widget
	if len(allowed) == 1 {
		ws = append(ws, deco(&decorated{StartIcon: lockIcon(v.t("Visibility")), TopLabel: v.t("Visibility"),
			Text: "<b>" + esc(v.visibility(allowed[0])) + "</b>"}))
	} else {
		var items []item
		for _, vis := range allowed {
			items = append(items, item{text: v.visibility(vis), value: string(vis), selected: vis == selected})
		}
		ws = append(ws, selection(name, v.t("Visibility"), "RADIO_BUTTON", items))
	}
	if note := v.policyNote(c); note != "" {
		ws = append(ws, paragraph("<i>"+esc(note)+"</i>"))
	}
	return ws
}

// policyNote says which rule limits the choices, "" when none does.
func (v *view) policyNote(c service.VisibilityChoices) string {
	if c.Forced == discreet.ForcedProtected {
		return v.t("%s is a protected contact: this email is logged private.", c.Protected)
	}
	f := c.Policy
	switch {
	case f == nil:
		return ""
	case f.Locked:
		return v.t("Visibility policy (%s): %s, not to be changed.", f.LockedBy, v.visibility(c.Default))
	case f.MaxBy != "" && f.Max != discreet.VisibilityPublic:
		return v.t("Visibility policy (%s): at most %s.", f.MaxBy, v.visibility(f.Max))
	case f.DefaultBy != "":
		return v.t("Visibility policy (%s): %s by default.", f.DefaultBy, v.visibility(f.Default))
	}
	return ""
}
