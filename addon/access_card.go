package addon

import (
	"context"
	"strconv"
	"strings"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Access requests and shares in the add-on (PRODUCT.md, "the stub is a
// door"): a Request access button where the card shows a stub, a hidden
// count or a hidden row; the requester's outcome and the approver's
// pending requests on the contact's section; the request, approval and
// share cards they push. Every decision is the service's.

// requestModel is the request card: what the caller asks about.
type requestModel struct {
	Contact service.ContactView
	// EmailID is set when asking from a hidden row.
	EmailID string
	Date    time.Time
}

// approvalModel is the approval card of one pending request.
type approvalModel struct {
	Request service.AccessRequestView
	Contact service.ContactView
}

// shareModel is the share card of one email.
type shareModel struct {
	Email  service.EmailView
	Shares []service.ShareView
	Teams  []discreet.Team
}

// grantPeriods are the approval card's choices, in days; 0 is "no end".
var grantPeriods = []int{7, 30, 90, 0}

// sharePeriods are the share card's choices, in days; 0 is "no end".
var sharePeriods = []int{0, 7, 30, 90}

func (v *view) scopeText(s discreet.GrantScope) string {
	switch s {
	case discreet.GrantEmail:
		return v.t("this email")
	case discreet.GrantContactEmails:
		return v.t("the contact's emails")
	case discreet.GrantContact:
		return v.t("the contact")
	}
	return string(s)
}

func (v *view) periodText(days int) string {
	if days == 0 {
		return v.t("No end")
	}
	return v.t("%d days", days)
}

// scopeInput is the choice of what to ask for or grant; "this email" only
// when there is one.
func (v *view) scopeInput(label string, withEmail bool, selected discreet.GrantScope) *Widget {
	var items []item
	for _, s := range []discreet.GrantScope{discreet.GrantEmail, discreet.GrantContactEmails, discreet.GrantContact} {
		if s == discreet.GrantEmail && !withEmail {
			continue
		}
		items = append(items, item{text: v.scopeText(s), value: string(s), selected: s == selected})
	}
	return selection("scope", label, "RADIO_BUTTON", items)
}

// requestButton opens the request card for a contact, or one hidden row.
func (v *view) requestButton(text, contact, emailID string, date time.Time) *chat.GoogleAppsCardV1Button {
	ps := []param{p("contact", contact), p("emailId", emailID)}
	if !date.IsZero() {
		ps = append(ps, p("date", date.UTC().Format(time.RFC3339)))
	}
	return v.button(text, "accessRequestCard", ps...)
}

// requestStatusText is the requester's view of one of their requests.
func (v *view) requestStatusText(r service.AccessRequestView) string {
	what := v.scopeText(r.Scope)
	switch r.Status {
	case discreet.RequestPending:
		return v.t("You asked for %s · waiting for an answer", what)
	case discreet.RequestDenied:
		return v.t("You asked for %s · declined", what)
	case discreet.RequestGranted:
		if r.Grant == nil {
			return v.t("You asked for %s · granted", what)
		}
		what = v.scopeText(r.Grant.Scope)
		if r.Grant.ExpiresAt.IsZero() {
			return v.t("Granted: %s, without end", what)
		}
		return v.t("Granted: %s until %s", what, v.date(r.Grant.ExpiresAt))
	}
	return string(r.Status)
}

// accessWidgets are what the contact's section shows about access: the
// caller's own requests on it (their outcome), the requests they may
// decide, and a Request access button when they see only part of it.
func (v *view) accessWidgets(c contactModel) []*Widget {
	var ws []*Widget
	for _, r := range c.Requests {
		ws = append(ws, deco(&decorated{
			StartIcon: knownIcon("INVITE"),
			TopLabel:  v.t("Your access request"),
			Text:      esc(v.requestStatusText(r)),
		}))
	}
	for _, r := range c.Decide {
		text := v.t("%s asks for %s", person(r.RequesterName, r.Requester), v.scopeText(r.Scope))
		if r.Note != "" {
			text += ": “" + r.Note + "”"
		}
		ws = append(ws, deco(&decorated{
			StartIcon: knownIcon("INVITE"),
			TopLabel:  v.t("Access request · %s", v.date(r.CreatedAt)),
			Text:      esc(text),
			Button:    v.button(v.t("Review"), "reviewRequest", p("id", r.ID)),
		}))
	}
	if c.Contact == nil {
		return ws
	}
	limited := c.Contact.Access == discreet.AccessStub ||
		c.Timeline != nil && c.Timeline.Hidden != nil && c.Timeline.Hidden.Count > 0
	if limited && !hasPending(c.Requests) {
		ws = append(ws, buttons(v.requestButton(v.t("Request access"), c.Contact.Email, "", time.Time{})))
	}
	return ws
}

func hasPending(rs []service.AccessRequestView) bool {
	for _, r := range rs {
		if r.Status == discreet.RequestPending && r.EmailID == "" {
			return true
		}
	}
	return false
}

// accessRequestCard asks for access to a contact, its emails, or one
// hidden email; it names no subject (the caller may not know it).
func (v *view) accessRequestCard(m requestModel) *Card {
	c := m.Contact
	about := v.stubText(c)
	scope := discreet.GrantContactEmails
	if m.EmailID != "" {
		scope = discreet.GrantEmail
		about = v.t("An email you can't see, logged by a colleague on %s", c.Email)
		if !m.Date.IsZero() {
			about = v.t("An email you can't see of %s, on %s", v.date(m.Date), c.Email)
		}
	}
	s := section("",
		deco(&decorated{StartIcon: lockIcon(v.t("An email you can't see")), TopLabel: esc(c.Email), Text: esc(about)}),
		paragraph(esc(v.t("%s decides, with the managers of the contact's team and the admins. You see the answer here.", person(c.OwnerName, c.Owner)))),
		v.scopeInput(v.t("Ask for"), m.EmailID != "", scope),
		textInput("note", v.t("Note (optional)"), "", v.t("Why you need it"), true),
		buttons(filled(v.button(v.t("Send request"), "requestAccess", p("contact", c.Email), p("emailId", m.EmailID)))),
	)
	return card(v.t("Request access"), c.Email, s)
}

// approvalCard lets a decider grant (what, for how long) or deny.
func (v *view) approvalCard(m approvalModel) *Card {
	r := m.Request
	ls := []string{esc(v.t("%s asks for %s", person(r.RequesterName, r.Requester), v.scopeText(r.Scope)))}
	if r.Note != "" {
		ls = append(ls, "<i>"+esc("“"+r.Note+"”")+"</i>")
	}
	var periods []item
	for _, d := range grantPeriods {
		periods = append(periods, item{text: v.periodText(d), value: periodValue(d), selected: d == 30})
	}
	s := section("",
		deco(&decorated{StartIcon: knownIcon("INVITE"), TopLabel: v.t("Access request · %s", v.date(r.CreatedAt)), Text: lines(ls...)}),
		deco(&decorated{StartIcon: knownIcon("PERSON"), TopLabel: v.t("Contact"), Text: esc(r.Contact), BottomLabel: v.ownerText(m.Contact)}),
		v.scopeInput(v.t("Grant"), r.EmailID != "", r.Scope),
		selection("period", v.t("For"), "DROPDOWN", periods),
		paragraph(esc(v.t("A grant gives exactly this and ends on time; you pass on only what you may read yourself."))),
		buttons(
			filled(v.button(v.t("Grant"), "grantRequest", p("id", r.ID))),
			v.button(v.t("Deny"), "denyRequest", p("id", r.ID)),
		),
	)
	return card(v.t("Access request"), person(r.RequesterName, r.Requester), s)
}

func periodValue(days int) string {
	if days == 0 {
		return "none"
	}
	return strconv.Itoa(days)
}

// shareCard lists an email's shares (revocable) and shares it further.
func (v *view) shareCard(m shareModel) *Card {
	e := m.Email
	subject := e.Subject
	if subject == "" {
		subject = v.t("(no subject)")
	}
	current := section(v.t("Shared with"))
	for _, sh := range m.Shares {
		who := append(append([]string{}, sh.Users...), teamNames(sh.Teams, m.Teams)...)
		until := v.t("without end")
		if !sh.ExpiresAt.IsZero() {
			until = v.t("until %s", v.date(sh.ExpiresAt))
		}
		if !sh.Live {
			until = v.t("not in force")
		}
		current.Widgets = append(current.Widgets, deco(&decorated{
			StartIcon:   knownIcon("MULTIPLE_PEOPLE"),
			Text:        esc(strings.Join(who, ", ")),
			BottomLabel: v.t("by %s · %s", sh.By, until),
			Button:      v.button(v.t("Revoke"), "revokeShare", p("emailId", e.ID), p("shareId", sh.ID)),
		}))
	}
	if len(m.Shares) == 0 {
		current.Widgets = append(current.Widgets, paragraph("<i>"+esc(v.t("Not shared with anyone."))+"</i>"))
	}
	var teams []item
	for _, t := range m.Teams {
		teams = append(teams, item{text: person(t.Name, t.ID), value: t.ID})
	}
	var periods []item
	for _, d := range sharePeriods {
		periods = append(periods, item{text: v.periodText(d), value: periodValue(d), selected: d == 0})
	}
	add := section(v.t("Share read-only"),
		paragraph(esc(v.t("They may read this email until the share ends or you revoke it. Each read is audited."))),
		textInput("users", v.t("Colleagues"), "", v.t("Addresses, separated by commas"), false),
	)
	if len(teams) > 0 {
		add.Widgets = append(add.Widgets, selection("teams", v.t("Teams"), "CHECK_BOX", teams))
	}
	add.Widgets = append(add.Widgets,
		selection("period", v.t("For"), "DROPDOWN", periods),
		buttons(filled(v.button(v.t("Share"), "shareEmail", p("emailId", e.ID)))),
	)
	return card(v.t("Share"), subject, current, add)
}

func teamNames(ids []string, teams []discreet.Team) []string {
	var out []string
	for _, id := range ids {
		name := id
		for _, t := range teams {
			if t.ID == id && t.Name != "" {
				name = t.Name
			}
		}
		out = append(out, name)
	}
	return out
}

// period reads the "period" input: days from now, or no end.
func (r *request) period(now time.Time, dflt string) (*time.Time, bool, error) {
	v := r.ev.input("period")
	if v == "" {
		v = dflt
	}
	if v == "none" {
		return nil, true, nil
	}
	for _, d := range append(grantPeriods, sharePeriods...) {
		if d != 0 && periodValue(d) == v {
			t := now.Add(time.Duration(d) * 24 * time.Hour)
			return &t, false, nil
		}
	}
	return nil, false, discreet.FieldError("period", "is not one of the offered periods")
}

// inputs returns every value of a form input.
func (r *request) inputs(name string) []string {
	fi, ok := r.ev.Common.FormInputs[name]
	if !ok || fi.StringInputs == nil {
		return nil
	}
	return fi.StringInputs.Value
}

// afterDecision returns to the message card (or the homepage), refreshed.
func (h *handler) afterDecision(ctx context.Context, r *request, note string) (Response, error) {
	if r.ev.messageID() != "" {
		m, err := h.messageModel(ctx, r, nil)
		if err != nil {
			return Response{}, err
		}
		return render(note, Navigation{PopToRoot: true}, Navigation{UpdateCard: r.v.messageCard(m)}), nil
	}
	// Decided from the homepage: back to it, without the decided row.
	home, err := h.homeCard(ctx, r)
	if err != nil {
		return Response{}, err
	}
	return render(note, Navigation{PopToRoot: true}, Navigation{UpdateCard: home}), nil
}

func (h *handler) accessRequestCard(ctx context.Context, r *request) (Response, error) {
	contact, err := r.required("contact")
	if err != nil {
		return Response{}, err
	}
	c, err := h.cfg.Service.Contact(ctx, r.user, contact)
	if err != nil {
		return Response{}, err
	}
	m := requestModel{Contact: c, EmailID: r.ev.param("emailId")}
	if d := r.ev.param("date"); d != "" {
		m.Date, _ = time.Parse(time.RFC3339, d)
	}
	return render("", Navigation{PushCard: r.v.accessRequestCard(m)}), nil
}

func (h *handler) requestAccess(ctx context.Context, r *request) (Response, error) {
	contact, err := r.required("contact")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.RequestAccess(ctx, r.user, service.AccessRequestInput{
		Contact: contact, EmailID: r.ev.param("emailId"), Scope: discreet.GrantScope(r.ev.input("scope")), Note: r.ev.input("note"),
	})
	if err != nil {
		return Response{}, err
	}
	note := r.v.t("Request sent")
	if !res.Created {
		note = r.v.t("You asked for this already; it is waiting for an answer")
	}
	return h.afterDecision(ctx, r, note)
}

func (h *handler) reviewRequest(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	req, err := h.cfg.Service.AccessRequest(ctx, r.user, id)
	if err != nil {
		return Response{}, err
	}
	c, err := h.cfg.Service.Contact(ctx, r.user, req.Contact)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.approvalCard(approvalModel{Request: req, Contact: c})}), nil
}

func (h *handler) grantRequest(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	until, noEnd, err := r.period(time.Now(), "30")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.GrantAccess(ctx, r.user, id, service.GrantInput{
		Scope: discreet.GrantScope(r.ev.input("scope")), ExpiresAt: until, NoEnd: noEnd,
	})
	if err != nil {
		return Response{}, err
	}
	return h.afterDecision(ctx, r, r.v.t("Granted %s to %s", r.v.scopeText(res.Grant.Scope), person(res.RequesterName, res.Requester)))
}

func (h *handler) denyRequest(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.DenyAccess(ctx, r.user, id, service.DenyInput{})
	if err != nil {
		return Response{}, err
	}
	return h.afterDecision(ctx, r, r.v.t("Declined %s's request", person(res.RequesterName, res.Requester)))
}

// shareModel loads the share card of an email.
func (h *handler) shareModel(ctx context.Context, r *request, emailID string) (shareModel, error) {
	e, err := h.cfg.Service.Email(ctx, r.user, emailID)
	if err != nil {
		return shareModel{}, err
	}
	shares, err := h.cfg.Service.Shares(ctx, r.user, emailID)
	if err != nil {
		return shareModel{}, err
	}
	teams, err := h.cfg.Service.Teams(ctx, r.user)
	if err != nil {
		return shareModel{}, err
	}
	return shareModel{Email: e, Shares: shares, Teams: teams}, nil
}

func (h *handler) shareCard(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("emailId")
	if err != nil {
		return Response{}, err
	}
	m, err := h.shareModel(ctx, r, id)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.shareCard(m)}), nil
}

func (h *handler) shareEmail(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("emailId")
	if err != nil {
		return Response{}, err
	}
	var users []string
	for _, u := range strings.Split(r.ev.input("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	until, _, err := r.period(time.Now(), "none")
	if err != nil {
		return Response{}, err
	}
	if _, err := h.cfg.Service.ShareEmail(ctx, r.user, id, service.ShareInput{Users: users, Teams: r.inputs("teams"), ExpiresAt: until}); err != nil {
		return Response{}, err
	}
	m, err := h.shareModel(ctx, r, id)
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("Shared"), Navigation{UpdateCard: r.v.shareCard(m)}), nil
}

func (h *handler) revokeShare(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("emailId")
	if err != nil {
		return Response{}, err
	}
	shareID, err := r.required("shareId")
	if err != nil {
		return Response{}, err
	}
	if err := h.cfg.Service.RevokeShare(ctx, r.user, id, shareID); err != nil {
		return Response{}, err
	}
	m, err := h.shareModel(ctx, r, id)
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("Share revoked"), Navigation{UpdateCard: r.v.shareCard(m)}), nil
}

// contactAccessRequests splits the caller's requests and those they may
// decide by contact, for the message card.
func (h *handler) contactAccessRequests(ctx context.Context, r *request) (mine, decide map[string][]service.AccessRequestView, err error) {
	own, err := h.cfg.Service.AccessRequests(ctx, r.user, "requester")
	if err != nil {
		return nil, nil, err
	}
	pending, err := h.cfg.Service.AccessRequests(ctx, r.user, "approver")
	if err != nil {
		return nil, nil, err
	}
	mine, decide = map[string][]service.AccessRequestView{}, map[string][]service.AccessRequestView{}
	for _, q := range own {
		// The newest few: the outcome of what was asked last.
		if len(mine[q.Contact]) < 2 {
			mine[q.Contact] = append(mine[q.Contact], q)
		}
	}
	for _, q := range pending {
		decide[q.Contact] = append(decide[q.Contact], q)
	}
	return mine, decide, nil
}

// German for the access cards, kept here so the shared table in view.go
// stays as it is.
func init() {
	for en, de := range map[string]string{
		"Request access":       "Zugriff anfragen",
		"Request":              "Anfragen",
		"Share":                "Teilen",
		"Review":               "Prüfen",
		"Grant":                "Gewähren",
		"Deny":                 "Ablehnen",
		"Revoke":               "Widerrufen",
		"Send request":         "Anfrage senden",
		"Your access request":  "Ihre Zugriffsanfrage",
		"Access request":       "Zugriffsanfrage",
		"Access request · %s":  "Zugriffsanfrage · %s",
		"this email":           "diese E-Mail",
		"the contact's emails": "die E-Mails des Kontakts",
		"the contact":          "den Kontakt",
		"%s asks for %s":       "%s bittet um %s",
		"You asked for %s · waiting for an answer": "Sie haben um %s gebeten · Antwort ausstehend",
		"You asked for %s · declined":              "Sie haben um %s gebeten · abgelehnt",
		"You asked for %s · granted":               "Sie haben um %s gebeten · gewährt",
		"Granted: %s until %s":                     "Gewährt: %s bis %s",
		"Granted: %s, without end":                 "Gewährt: %s, ohne Ende",
		"Ask for":                                  "Anfragen für",
		"Note (optional)":                          "Notiz (optional)",
		"Why you need it":                          "Wofür Sie es brauchen",
		"For":                                      "Für",
		"No end":                                   "Ohne Ende",
		"%d days":                                  "%d Tage",
		"Shared with":                              "Geteilt mit",
		"Share read-only":                          "Nur lesend teilen",
		"Colleagues":                               "Kolleginnen und Kollegen",
		"Teams":                                    "Teams",
		"Not shared with anyone.":                  "Mit niemandem geteilt.",
		"Request sent":                             "Anfrage gesendet",
		"Shared":                                   "Geteilt",
		"Share revoked":                            "Freigabe widerrufen",
	} {
		if _, ok := german[en]; !ok {
			german[en] = de
		}
	}
}

// accessModel is the access area's card (the homepage's "Access requests"
// area, wired by the lead into areas): what the user may decide, what
// ends soon, and their own requests with their outcome.
type accessModel struct {
	Pending service.PendingDecisions
	Mine    []service.AccessRequestView
}

// accessArea loads the access area: service.PendingDecisions and the
// user's own requests. Its signature is an area loader's (home_areas.go).
func (h *handler) accessArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	pd, err := h.cfg.Service.PendingDecisions(ctx, r.user)
	if err != nil {
		return nil, err
	}
	mine, err := h.cfg.Service.AccessRequests(ctx, r.user, "requester")
	if err != nil {
		return nil, err
	}
	return r.v.accessCard(accessModel{Pending: pd, Mine: mine}), nil
}

// pendingDecisionRows are the homepage's "Needs your attention" rows for
// access: each pending request with Review (the approval card), and each
// grant ending within service.ExpiringWithin. The lead adds it to
// decisionKinds with service.Home carrying PendingDecisions.
func (v *view) pendingDecisionRows(pd service.PendingDecisions) []*Widget {
	var out []*Widget
	for _, r := range pd.Requests {
		text := v.t("%s asks for %s", person(r.RequesterName, r.Requester), v.scopeText(r.Scope))
		out = append(out, deco(&decorated{
			StartIcon: knownIcon("INVITE"),
			TopLabel:  v.t("Access request · %s", esc(r.Contact)),
			Text:      esc(text),
			Button:    v.button(v.t("Review"), "reviewRequest", p("id", r.ID)),
		}))
	}
	for _, g := range pd.Expiring {
		out = append(out, deco(&decorated{
			StartIcon: knownIcon("CLOCK"),
			TopLabel:  v.t("Grant ending · %s", esc(g.Contact)),
			Text:      esc(v.t("%s: %s until %s", g.Grantee, v.scopeText(g.Scope), v.date(g.ExpiresAt))),
		}))
	}
	return out
}

// accessCard is the access area: requests to decide, grants ending soon,
// and the user's own requests.
func (v *view) accessCard(m accessModel) *Card {
	decide := section(v.t("Waiting for your decision"), v.pendingDecisionRows(service.PendingDecisions{Requests: m.Pending.Requests})...)
	if len(m.Pending.Requests) == 0 {
		decide.Widgets = append(decide.Widgets, paragraph("<i>"+esc(v.t("No request waits for you."))+"</i>"))
	}
	ending := section(v.t("Ending within a week"), v.pendingDecisionRows(service.PendingDecisions{Expiring: m.Pending.Expiring})...)
	mine := section(v.t("Your requests"))
	for _, r := range m.Mine {
		mine.Widgets = append(mine.Widgets, deco(&decorated{
			StartIcon: knownIcon("INVITE"),
			TopLabel:  esc(r.Contact) + " · " + v.date(r.CreatedAt),
			Text:      esc(v.requestStatusText(r)),
		}))
	}
	if len(m.Mine) == 0 {
		mine.Widgets = append(mine.Widgets, paragraph("<i>"+esc(v.t("You have not asked for access. Ask from a contact's card in a message."))+"</i>"))
	}
	return areaCard("access", v.t("Access requests"), v.t("Grant or deny; see what you asked for."), decide, ending, mine)
}
