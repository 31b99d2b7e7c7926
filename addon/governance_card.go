package addon

import (
	"context"
	"fmt"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Data governance for admins (PRODUCT.md, "Data governance"): one pushed
// card per area — erasure, legal holds, sensitivity rules, retention —
// each rendered
// from service results by a view method, its buttons served by the
// handlers below (registered in actions.go). The homepage links each by
// the action that pushes it: "erasure", "holds", "rules", "retention".

// ruleLabel names a rule for people: what it looks for.
func (v *view) ruleLabel(r discreet.SensitivityRule) string {
	switch r.Detector {
	case discreet.DetectorIBAN:
		return v.t("IBAN (bank account)")
	case discreet.DetectorCard:
		return v.t("Payment card number")
	case discreet.DetectorAutomated:
		return v.t("Automated mail")
	case discreet.DetectorKeyword:
		return v.t("Keyword: %s", r.Keyword)
	}
	return string(r.Detector)
}

func (v *view) ruleAction(a discreet.RuleAction) string {
	if a == discreet.ActionNeverLog {
		return v.t("never log")
	}
	return v.t("force private")
}

// ruleNote says which sensitivity rule fired on a message: it is not
// logged, or it will be logged private. It names the rule, never the
// matched text.
func (v *view) ruleNote(r discreet.SensitivityRule) *Widget {
	if r.Action == discreet.ActionNeverLog {
		return deco(&decorated{
			StartIcon: lockIcon(v.t("Not logged")),
			TopLabel:  v.t("Sensitivity rule"),
			Text:      esc(v.t("Not logged: the sensitivity rule “%s” fired.", v.ruleLabel(r))),
		})
	}
	return deco(&decorated{
		StartIcon: lockIcon(v.t("Private")),
		TopLabel:  v.t("Sensitivity rule"),
		Text:      esc(v.t("Logged private whatever you choose: the sensitivity rule “%s” fired.", v.ruleLabel(r))),
	})
}

// composeRulesNote tells the rep, on the compose card, what the sent
// message will be checked for: the draft's text does not reach the add-on,
// so no rule can fire yet. Keyword rules come without their keywords.
func (v *view) composeRulesNote(rules []discreet.SensitivityRule) *Widget {
	var parts []string
	keywords := map[discreet.RuleAction]int{}
	for _, r := range rules {
		if r.Detector == discreet.DetectorKeyword {
			keywords[r.Action]++
			continue
		}
		parts = append(parts, v.t("%s (%s)", v.ruleLabel(r), v.ruleAction(r.Action)))
	}
	for _, a := range []discreet.RuleAction{discreet.ActionNeverLog, discreet.ActionPrivate} {
		if n := keywords[a]; n > 0 {
			parts = append(parts, v.t("%d keywords (%s)", n, v.ruleAction(a)))
		}
	}
	return deco(&decorated{
		StartIcon: lockIcon(v.t("Sensitivity rule")),
		TopLabel:  v.t("Sensitivity rules"),
		Text:      esc(v.t("When it is sent, its text is checked for: %s.", strings.Join(parts, "; "))),
	})
}

// rulesModel is the sensitivity rules card: the rules, and a rule's dry
// run when one was asked for.
type rulesModel struct {
	Rules  []discreet.SensitivityRule
	DryRun *service.RulePurgeResult
	Error  string
}

func (v *view) rulesCard(m rulesModel) *Card {
	list := section(v.t("Rules"))
	if len(m.Rules) == 0 {
		list.Widgets = append(list.Widgets, paragraph(esc(v.t("No rules: nothing is checked in the text of emails."))))
	}
	for _, r := range m.Rules {
		list.Widgets = append(list.Widgets,
			deco(&decorated{StartIcon: lockIcon(v.t("Sensitivity rule")), Text: "<b>" + esc(v.ruleLabel(r)) + "</b>",
				BottomLabel: v.t("%s · added by %s, %s", v.ruleAction(r.Action), r.AddedBy, v.date(r.AddedAt))}),
			buttons(v.button(v.t("Check logged emails"), "ruleDryRun", p("id", r.ID)),
				v.button(v.t("Remove"), "removeRule", p("id", r.ID))))
	}
	sections := []*Section{}
	if d := m.DryRun; d != nil {
		s := section(v.t("Logged emails matching “%s”", v.ruleLabel(d.Rule)),
			paragraph(esc(v.t("%d logged emails match.", d.Matching))), paragraph(esc(d.Note)))
		if d.Matching > 0 {
			label := v.t("Delete %d emails", d.Matching)
			if d.Rule.Action == discreet.ActionPrivate {
				label = v.t("Make %d emails private", d.Matching)
			}
			s.Widgets = append(s.Widgets, paragraph(esc(v.t("Emails under a legal hold are kept. The purge is audited."))),
				buttons(filled(v.button(label, "purgeRule", p("id", d.Rule.ID)))))
		}
		sections = append(sections, s)
	}
	add := section(v.t("Add a rule"),
		selection("detector", v.t("Look for"), "DROPDOWN", []item{
			{v.t("IBAN (bank account)"), string(discreet.DetectorIBAN), true},
			{v.t("Payment card number"), string(discreet.DetectorCard), false},
			{v.t("Automated mail"), string(discreet.DetectorAutomated), false},
			{v.t("Keyword"), string(discreet.DetectorKeyword), false},
		}),
		textInput("keyword", v.t("Keyword (keyword rules only)"), "", v.t("A word or phrase, any case"), false),
		selection("ruleAction", v.t("When it fires"), "DROPDOWN", []item{
			{v.t("Never log the email"), string(discreet.ActionNeverLog), true},
			{v.t("Log it private"), string(discreet.ActionPrivate), false},
		}),
	)
	if m.Error != "" {
		add.Widgets = append(add.Widgets, errorText(m.Error))
	}
	add.Widgets = append(add.Widgets, buttons(filled(v.button(v.t("Add rule"), "addRule"))))
	sections = append(sections, list, add)
	return areaCard("rules", v.t("Sensitivity rules"), v.t("Checked in every email before it is logged"), sections...)
}

// holdsModel is the legal holds card.
type holdsModel struct {
	Holds []service.HoldView
	Error string
}

// holdCovers says what a hold covers, for people.
func (v *view) holdCovers(h discreet.LegalHold) string {
	switch {
	case h.Contact != "":
		return v.t("Contact %s", h.Contact)
	case h.Domain != "":
		return v.t("Domain %s", h.Domain)
	case h.User != "":
		return v.t("Rep %s", h.User)
	case !h.From.IsZero() || !h.To.IsZero():
		return v.t("Emails dated %s to %s", h.From.UTC().Format("2006-01-02"), h.To.UTC().Format("2006-01-02"))
	}
	return v.t("Unreadable hold")
}

func (v *view) holdsCard(m holdsModel) *Card {
	list := section(v.t("Holds in force"))
	if len(m.Holds) == 0 {
		list.Widgets = append(list.Widgets, paragraph(esc(v.t("No legal holds."))))
	}
	for _, h := range m.Holds {
		bottom := v.t("%s · placed by %s, %s", h.Reason, h.CreatedBy, v.date(h.CreatedAt))
		if h.Broken {
			bottom = v.t("This hold can no longer be read: it holds every email until it is lifted.")
		}
		list.Widgets = append(list.Widgets,
			deco(&decorated{StartIcon: knownIcon("BOOKMARK"), Text: "<b>" + esc(v.holdCovers(h.LegalHold)) + "</b>", BottomLabel: bottom}),
			buttons(v.button(v.t("Lift"), "liftHold", p("id", h.ID))))
	}
	add := section(v.t("Place a hold"),
		paragraph(esc(v.t("A hold stops retention and erasure from deleting what it covers; every email it keeps is audited."))),
		selection("holdKind", v.t("Covers"), "DROPDOWN", []item{
			{v.t("A contact (address)"), "contact", true},
			{v.t("A domain"), "domain", false},
			{v.t("A rep (their emails)"), "user", false},
			{v.t("Message dates"), "dates", false},
		}),
		textInput("holdValue", v.t("Address, domain, or first date"), "", v.t("lisa@kunde.example, kunde.example or 2026-01-31"), false),
		textInput("holdTo", v.t("Last date (message dates only)"), "", "2026-12-31", false),
		textInput("holdReason", v.t("Reason"), "", v.t("The case or request it is for"), false),
	)
	if m.Error != "" {
		add.Widgets = append(add.Widgets, errorText(m.Error))
	}
	add.Widgets = append(add.Widgets, buttons(filled(v.button(v.t("Place hold"), "placeHold"))))
	return areaCard("holds", v.t("Legal holds"), v.t("Suspend retention and erasure"), list, add)
}

// erasureModel is the erasure card: the subject typed, and its dry run.
type erasureModel struct {
	Subject string
	Counts  *service.ErasureCounts
	Error   string
}

func (v *view) erasureCard(m erasureModel) *Card {
	s := section("",
		paragraph(esc(v.t("Erase everything logged about a person (GDPR Art. 17): their emails, contact, compose choices and the audit records naming them. Nothing with them is logged again."))),
		textInput("subject", v.t("Address or @domain"), m.Subject, "lisa@kunde.example", false),
	)
	if m.Error != "" {
		s.Widgets = append(s.Widgets, errorText(m.Error))
	}
	s.Widgets = append(s.Widgets, buttons(v.button(v.t("Count what would be erased"), "eraseDryRun")))
	sections := []*Section{s}
	if c := m.Counts; c != nil {
		r := section(v.t("Would be erased: %s", m.Subject),
			paragraph(lines(
				esc(v.t("%d emails", c.Emails)), esc(v.t("%d contacts", c.Contacts)),
				esc(v.t("%d compose choices", c.Intents)), esc(v.t("%d audit records", c.AuditRecords)))),
			paragraph(esc(v.t("Erasing cannot be undone. Emails under a legal hold are kept; the erasure is audited without the address."))),
			buttons(filled(v.button(v.t("Erase"), "erase", p("subject", m.Subject)))))
		sections = append(sections, r)
	}
	return areaCard("erasure", v.t("Erasure"), v.t("Right to erasure"), sections...)
}

// Handlers: load a model with one service call, render its card.

func (h *handler) rulesModel(ctx context.Context, r *request, dry *service.RulePurgeResult, errMsg string) (rulesModel, error) {
	rules, err := h.cfg.Service.Rules(ctx, r.user)
	if err != nil {
		return rulesModel{}, err
	}
	return rulesModel{Rules: rules, DryRun: dry, Error: errMsg}, nil
}

func (h *handler) showRules(ctx context.Context, r *request, push bool, dry *service.RulePurgeResult, errMsg, note string) (Response, error) {
	m, err := h.rulesModel(ctx, r, dry, errMsg)
	if err != nil {
		return Response{}, err
	}
	if push {
		return render(note, Navigation{PushCard: r.v.rulesCard(m)}), nil
	}
	return render(note, Navigation{UpdateCard: r.v.rulesCard(m)}), nil
}

func (h *handler) rules(ctx context.Context, r *request) (Response, error) {
	return h.showRules(ctx, r, true, nil, "", "")
}

func (h *handler) addRule(ctx context.Context, r *request) (Response, error) {
	rule, err := h.cfg.Service.AddRule(ctx, r.user, service.RuleRequest{
		Detector: discreet.Detector(r.ev.input("detector")), Keyword: r.ev.input("keyword"), Action: discreet.RuleAction(r.ev.input("ruleAction")),
	})
	if invalid(err) {
		return h.showRules(ctx, r, false, nil, discreet.ErrorMessage(err), "")
	}
	if err != nil {
		return Response{}, err
	}
	return h.showRules(ctx, r, false, nil, "", r.v.t("Rule added: %s", r.v.ruleLabel(rule)))
}

func (h *handler) removeRule(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	if err := h.cfg.Service.RemoveRule(ctx, r.user, id); err != nil {
		return Response{}, err
	}
	return h.showRules(ctx, r, false, nil, "", r.v.t("Rule removed"))
}

func (h *handler) ruleDryRun(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.PurgeRule(ctx, r.user, id, true)
	if err != nil {
		return Response{}, err
	}
	return h.showRules(ctx, r, false, &res, "", "")
}

func (h *handler) purgeRule(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.PurgeRule(ctx, r.user, id, false)
	if err != nil {
		return Response{}, err
	}
	return h.showRules(ctx, r, false, nil, "", r.v.t("Applying the rule to %d emails in the background.", res.Matching))
}

func (h *handler) showHolds(ctx context.Context, r *request, push bool, errMsg, note string) (Response, error) {
	hs, err := h.cfg.Service.LegalHolds(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	c := r.v.holdsCard(holdsModel{Holds: hs, Error: errMsg})
	if push {
		return render(note, Navigation{PushCard: c}), nil
	}
	return render(note, Navigation{UpdateCard: c}), nil
}

func (h *handler) holds(ctx context.Context, r *request) (Response, error) {
	return h.showHolds(ctx, r, true, "", "")
}

func (h *handler) placeHold(ctx context.Context, r *request) (Response, error) {
	value := strings.TrimSpace(r.ev.input("holdValue"))
	req := service.HoldRequest{Reason: r.ev.input("holdReason")}
	switch r.ev.input("holdKind") {
	case "domain":
		req.Domain = strings.TrimPrefix(value, "@")
	case "user":
		req.User = value
	case "dates":
		req.From, req.To = value, r.ev.input("holdTo")
	default:
		req.Contact = value
	}
	hold, err := h.cfg.Service.CreateLegalHold(ctx, r.user, req)
	if invalid(err) {
		return h.showHolds(ctx, r, false, discreet.ErrorMessage(err), "")
	}
	if err != nil {
		return Response{}, err
	}
	return h.showHolds(ctx, r, false, "", r.v.t("Hold placed: %s", r.v.holdCovers(hold.LegalHold)))
}

func (h *handler) liftHold(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	if _, err := h.cfg.Service.LiftLegalHold(ctx, r.user, id); err != nil {
		return Response{}, err
	}
	return h.showHolds(ctx, r, false, "", r.v.t("Hold lifted"))
}

// erasure pushes the empty form; the service decides who may count or
// erase when a button is pressed.
func (h *handler) erasure(_ context.Context, r *request) (Response, error) {
	return render("", Navigation{PushCard: r.v.erasureCard(erasureModel{})}), nil
}

func (h *handler) eraseDryRun(ctx context.Context, r *request) (Response, error) {
	subject := strings.TrimSpace(r.ev.input("subject"))
	res, err := h.cfg.Service.Erase(ctx, r.user, service.ErasureRequest{Subject: subject, DryRun: true})
	m := erasureModel{Subject: subject}
	switch {
	case invalid(err):
		m.Error = discreet.ErrorMessage(err)
	case err != nil:
		return Response{}, err
	default:
		m.Counts = res.Counts
	}
	return render("", Navigation{UpdateCard: r.v.erasureCard(m)}), nil
}

func (h *handler) erase(ctx context.Context, r *request) (Response, error) {
	subject, err := r.required("subject")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.Erase(ctx, r.user, service.ErasureRequest{Subject: subject})
	if invalid(err) {
		return render("", Navigation{UpdateCard: r.v.erasureCard(erasureModel{Subject: subject, Error: discreet.ErrorMessage(err)})}), nil
	}
	if err != nil {
		return Response{}, err
	}
	note := r.v.t("Erasing in the background; nothing with this person is logged from now on.")
	if res.Job != nil {
		note += " " + fmt.Sprintf("(%s)", res.Job.ID)
	}
	return render(note, Navigation{UpdateCard: r.v.erasureCard(erasureModel{})}), nil
}

// retentionModel is the retention card: the setting (in force, or as the
// admin typed it), its preview when asked for, and a problem to show.
type retentionModel struct {
	Retention discreet.Retention
	Preview   *service.RetentionPreview
	Error     string
}

func (v *view) retentionCard(m retentionModel) *Card {
	r := m.Retention
	form := section(v.t("How long emails are kept"),
		paragraph(esc(v.t("Counted from the message date. Write ISO 8601 periods: P30D (30 days), P12M (12 months), P2Y (2 years); leave empty to keep for ever. Emails under a legal hold are kept."))),
		textInput("retentionPrivate", v.t("Private emails"), r.Private, "P12M", false),
		textInput("retentionTeam", v.t("Team emails"), r.Team, "P24M", false),
		textInput("retentionPublic", v.t("Public emails"), r.Public, "P36M", false),
	)
	if len(r.Teams) > 0 {
		form.Widgets = append(form.Widgets, paragraph(esc(v.t("%d teams have their own periods (set them with the REST API); they are kept as they are.", len(r.Teams)))))
	}
	if m.Error != "" {
		form.Widgets = append(form.Widgets, errorText(m.Error))
	}
	form.Widgets = append(form.Widgets, buttons(v.button(v.t("Preview"), "previewRetention")))
	sections := []*Section{form}
	if p := m.Preview; p != nil {
		s := section(v.t("Effect"),
			paragraph(lines(
				esc(v.t("%d emails would be deleted at the next daily sweep (now: %d).", p.Effect.Expired, p.Current.Expired)),
				esc(v.t("%d more expire within 30 days (now: %d).", p.Effect.ExpiringSoon, p.Current.ExpiringSoon)),
				esc(v.t("%d expired emails are kept by a legal hold.", p.Effect.Held)))),
			buttons(filled(v.button(v.t("Save"), "saveRetention"))))
		sections = append(sections, s)
	}
	return areaCard("retention", v.t("Retention"), v.t("Delete old emails on schedule"), sections...)
}

func (r *request) retentionInput(keep discreet.Retention) discreet.Retention {
	return discreet.Retention{Private: strings.TrimSpace(r.ev.input("retentionPrivate")), Team: strings.TrimSpace(r.ev.input("retentionTeam")),
		Public: strings.TrimSpace(r.ev.input("retentionPublic")), Teams: keep.Teams}
}

func (h *handler) retention(ctx context.Context, r *request) (Response, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.retentionCard(retentionModel{Retention: org.Retention})}), nil
}

func (h *handler) previewRetention(ctx context.Context, r *request) (Response, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	m := retentionModel{Retention: r.retentionInput(org.Retention)}
	p, err := h.cfg.Service.PreviewRetention(ctx, r.user, m.Retention)
	switch {
	case invalid(err):
		m.Error = discreet.ErrorMessage(err)
	case err != nil:
		return Response{}, err
	default:
		m.Preview = &p
	}
	return render("", Navigation{UpdateCard: r.v.retentionCard(m)}), nil
}

// saveRetention saves the periods into the org settings as they stand:
// the settings are read and written whole, as the org settings card does.
func (h *handler) saveRetention(ctx context.Context, r *request) (Response, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	org.Retention = r.retentionInput(org.Retention)
	saved, err := h.cfg.Service.PutOrgSettings(ctx, r.user, org)
	if invalid(err) {
		return render("", Navigation{UpdateCard: r.v.retentionCard(retentionModel{Retention: org.Retention, Error: discreet.ErrorMessage(err)})}), nil
	}
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("Retention saved"), Navigation{UpdateCard: r.v.retentionCard(retentionModel{Retention: saved.Retention})}), nil
}

// The homepage's governance areas (home_areas.go): each loads its model
// with the same service calls as its actions and renders its card.

func (h *handler) erasureArea(_ context.Context, r *request, _ areaForm) (*Card, error) {
	return r.v.erasureCard(erasureModel{}), nil
}

func (h *handler) holdsArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	hs, err := h.cfg.Service.LegalHolds(ctx, r.user)
	if err != nil {
		return nil, err
	}
	return r.v.holdsCard(holdsModel{Holds: hs}), nil
}

func (h *handler) rulesArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	m, err := h.rulesModel(ctx, r, nil, "")
	if err != nil {
		return nil, err
	}
	return r.v.rulesCard(m), nil
}

func (h *handler) retentionArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return nil, err
	}
	return r.v.retentionCard(retentionModel{Retention: org.Retention}), nil
}

// germanGovernance are this file's strings for userLocale "de*", merged
// into german: the area titles, and all a rep sees (the rule notes).
var germanGovernance = map[string]string{
	"Erasure":             "Löschung",
	"Legal holds":         "Rechtliche Sperren",
	"Sensitivity rules":   "Regeln für sensible Inhalte",
	"Retention":           "Aufbewahrung",
	"Sensitivity rule":    "Regel für sensible Inhalte",
	"IBAN (bank account)": "IBAN (Bankkonto)",
	"Payment card number": "Kartennummer",
	"Automated mail":      "Automatische E-Mail",
	"Keyword: %s":         "Stichwort: %s",
	"never log":           "nie protokollieren",
	"force private":       "immer privat",
	"Private":             "Privat",
	"Not logged: the sensitivity rule “%s” fired.":                         "Nicht protokolliert: Die Regel „%s“ für sensible Inhalte hat angeschlagen.",
	"Logged private whatever you choose: the sensitivity rule “%s” fired.": "Wird privat protokolliert, was Sie auch wählen: Die Regel „%s“ für sensible Inhalte hat angeschlagen.",
	"Right to erasure":                           "Recht auf Löschung",
	"Suspend retention and erasure":              "Setzen Aufbewahrung und Löschung aus",
	"Delete old emails on schedule":              "Alte E-Mails planmässig löschen",
	"Checked in every email before it is logged": "Geprüft in jeder E-Mail, bevor sie protokolliert wird",
	"Preview":          "Vorschau",
	"Save":             "Speichern",
	"Lift":             "Aufheben",
	"Place hold":       "Sperre setzen",
	"Add rule":         "Regel hinzufügen",
	"Remove":           "Entfernen",
	"Erase":            "Löschen",
	"%d keywords (%s)": "%d Stichwörter (%s)",
	"When it is sent, its text is checked for: %s.": "Beim Senden wird der Text geprüft auf: %s.",
}

func init() {
	for en, de := range germanGovernance {
		if _, taken := german[en]; !taken { // the shared table's wording wins
			german[en] = de
		}
	}
}
