package addon

import (
	"context"
	"errors"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// action runs a button callback. The action name and ids come from the
// parameters the card put on the button; what the user chose comes from
// formInputs. Every change is a service call that decides on its own.
func (h *handler) action(ctx context.Context, r *request) (Response, error) {
	name := r.ev.param("action")
	fn, ok := map[string]endpointFunc{
		// the homepage's areas (home_areas.go)
		"openArea":        h.openArea,
		"refreshArea":     h.refreshAreaAction,
		"areaPage":        h.areaPage,
		"exportEntries":   h.exportEntries,
		"log":             h.logEmail,
		"setVisibility":   h.setVisibility,
		"unlog":           h.unlog,
		"more":            h.more,
		"saveIntent":      h.saveIntent,
		"saveMySettings":  h.saveMySettings,
		"addPersonal":     h.addPersonal,
		"removePersonal":  h.removePersonal,
		"addEntry":        h.addEntry,
		"removeEntry":     h.removeEntry,
		"manageEntry":     h.manageEntry,
		"purgeEntry":      h.purgeEntry,
		"neverLogPage":    h.neverLogPage,
		"testAddress":     h.testAddress,
		"importEntries":   h.importEntries,
		"saveOrgSettings": h.saveOrgSettings,
		"refreshHome":     h.refreshHome,
		// access_card.go
		"accessRequestCard": h.accessRequestCard,
		"requestAccess":     h.requestAccess,
		"reviewRequest":     h.reviewRequest,
		"grantRequest":      h.grantRequest,
		"denyRequest":       h.denyRequest,
		"shareCard":         h.shareCard,
		"shareEmail":        h.shareEmail,
		"revokeShare":       h.revokeShare,
	}[name]
	if !ok {
		// The caller's mistake (an old card, a hand-made event), not ours:
		// invalid_argument is logged at INFO, where errShown would be ERROR.
		if name == "" {
			return Response{}, discreet.Errorf(discreet.EInvalid, "%s", r.v.t("This request is not a Gmail add-on event we understand: %s", "it names no action"))
		}
		return Response{}, discreet.Errorf(discreet.EInvalid, "%s", r.v.t("Unknown action %q.", name))
	}
	return fn(ctx, r)
}

// required returns a parameter the card always sets, or an error card.
func (r *request) required(name string) (string, error) {
	v := r.ev.param(name)
	if v == "" {
		return "", errShown{r.v.t("This request is not a Gmail add-on event we understand: %s", "the parameter "+name+" is missing")}
	}
	return v, nil
}

// visibility is the chosen visibility; "" lets the service apply defaults.
func (r *request) visibility(name string) (discreet.Visibility, error) {
	v := discreet.Visibility(r.ev.input(name))
	if v != "" && !v.Valid() {
		return "", discreet.FieldError(name, "must be private, team or public")
	}
	return v, nil
}

// refreshMessage re-renders the message card in place with a toast.
func (h *handler) refreshMessage(ctx context.Context, r *request, decision *discreet.Decision, note string) (Response, error) {
	m, err := h.messageModel(ctx, r, decision)
	if err != nil {
		return Response{}, err
	}
	return render(note, Navigation{UpdateCard: r.v.messageCard(m)}), nil
}

func (h *handler) logEmail(ctx context.Context, r *request) (Response, error) {
	id := r.ev.messageID()
	if id == "" {
		return Response{}, errShown{r.v.t("Open a message to see its contacts.")}
	}
	vis, err := r.visibility("visibility")
	if err != nil {
		return Response{}, err
	}
	yes := true
	res, err := h.cfg.Service.LogEmail(ctx, r.user, service.LogRequest{
		GmailMessageID: id, Gmail: r.gmailTokens(), Log: &yes, Visibility: vis, Source: discreet.SourceButton,
	})
	if err != nil {
		return Response{}, err
	}
	d := res.Decision
	var note string
	switch {
	case res.Email != nil:
		note = r.v.t("Logged as %s", r.v.visibility(res.Email.Visibility))
	case d.Logged:
		note = r.v.t("Already logged by a colleague.")
	default:
		note = plain(r.v.notLogged(d))
	}
	return h.refreshMessage(ctx, r, &d, note)
}

// plain is the text of a decoratedText widget, for a toast.
func plain(w *Widget) string {
	if w == nil || w.DecoratedText == nil {
		return ""
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(w.DecoratedText.Text)
}

func (h *handler) setVisibility(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("emailId")
	if err != nil {
		return Response{}, err
	}
	vis, err := r.visibility("visibility")
	if err != nil {
		return Response{}, err
	}
	if vis == "" {
		return Response{}, discreet.FieldError("visibility", "choose private, team or public")
	}
	ev, err := h.cfg.Service.SetVisibility(ctx, r.user, id, vis)
	if err != nil {
		return Response{}, err
	}
	return h.refreshMessage(ctx, r, nil, r.v.t("Visibility changed to %s", r.v.visibility(ev.Visibility)))
}

func (h *handler) unlog(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("emailId")
	if err != nil {
		return Response{}, err
	}
	if err := h.cfg.Service.Unlog(ctx, r.user, id); err != nil {
		return Response{}, err
	}
	return h.refreshMessage(ctx, r, nil, r.v.t("Unlogged"))
}

func (h *handler) more(ctx context.Context, r *request) (Response, error) {
	contact, err := r.required("contact")
	if err != nil {
		return Response{}, err
	}
	tl, err := h.cfg.Service.Timeline(ctx, r.user, contact, moreTimeline, r.ev.param("cursor"))
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.timelineCard(contact, tl)}), nil
}

func (h *handler) saveIntent(ctx context.Context, r *request) (Response, error) {
	to, cc, bcc := r.draftRecipients()
	vis, err := r.visibility("visibility")
	if err != nil {
		return Response{}, err
	}
	in, err := h.cfg.Service.PutIntent(ctx, r.user, service.IntentRequest{
		To: to, Cc: cc, Bcc: bcc, Log: r.ev.has("log"), Visibility: vis,
	})
	if err != nil {
		return Response{}, err
	}
	if in.Blocked != nil {
		return render(r.v.t("Saved: this email will not be logged: %s is on the Never Log List (%s).", in.Blocked.Address, in.Blocked.Entry)), nil
	}
	if !in.Log {
		return render(r.v.t("Saved: this email will not be logged.")), nil
	}
	return render(r.v.t("Saved: this email will be logged as %s.", r.v.visibility(in.Visibility))), nil
}

// invalid reports whether err is the user's input at fault, to be shown
// next to the field rather than as an error card.
func invalid(err error) bool {
	c := discreet.ErrorCode(err)
	return c == discreet.EInvalid || c == discreet.EConflict || c == discreet.ETooLarge
}

func lineErrors(err error) []service.LineError {
	var e *discreet.Error
	if errors.As(err, &e) {
		if le, ok := e.Details.([]service.LineError); ok {
			return le
		}
	}
	return nil
}

func (h *handler) saveMySettings(ctx context.Context, r *request) (Response, error) {
	vis, err := r.visibility("defaultVisibility")
	if err != nil {
		return Response{}, err
	}
	log := r.ev.has("defaultLog")
	if err := h.cfg.Service.PutMyDefaults(ctx, r.user, &log, vis); err != nil {
		return Response{}, err
	}
	return h.refreshArea(ctx, r, "mySettings", areaForm{}, r.v.t("Settings saved"))
}

func (h *handler) addPersonal(ctx context.Context, r *request) (Response, error) {
	pattern := strings.TrimSpace(r.ev.input("personalPattern"))
	e, err := h.cfg.Service.AddPersonalNeverLog(ctx, r.user, pattern, "")
	if c := discreet.ErrorCode(err); c == discreet.EInvalid || c == discreet.EConflict {
		return h.refreshArea(ctx, r, "myNeverLog", areaForm{PersonalPattern: pattern, PersonalError: discreet.ErrorMessage(err)}, "")
	}
	if err != nil {
		return Response{}, err
	}
	return h.refreshArea(ctx, r, "myNeverLog", areaForm{}, r.v.t("Added %s", e.Pattern))
}

func (h *handler) removePersonal(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	e, err := h.cfg.Service.RemovePersonalNeverLog(ctx, r.user, id)
	if err != nil {
		return Response{}, err
	}
	return h.refreshArea(ctx, r, "myNeverLog", areaForm{}, r.v.t("Removed %s", e.Pattern))
}

func (h *handler) addEntry(ctx context.Context, r *request) (Response, error) {
	pattern, note := strings.TrimSpace(r.ev.input("pattern")), strings.TrimSpace(r.ev.input("note"))
	added, err := h.cfg.Service.AddNeverLog(ctx, r.user, service.AddNeverLogRequest{Pattern: pattern, Note: note})
	if err != nil {
		if !invalid(err) {
			return Response{}, err
		}
		return h.refreshArea(ctx, r, "neverLog", areaForm{Pattern: pattern, Note: note, PatternError: discreet.ErrorMessage(err)}, "")
	}
	msg := r.v.t("Added %s", added.Entry.Pattern)
	if added.Matching > 0 {
		msg = r.v.t("Added %s — %d logged emails match; purge them from the entry's page.", added.Entry.Pattern, added.Matching)
	}
	return h.refreshArea(ctx, r, "neverLog", areaForm{}, msg)
}

// removeEntry is clicked on the entry's card, pushed over the org list:
// back to the list, updated.
func (h *handler) removeEntry(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	if err := h.cfg.Service.RemoveNeverLog(ctx, r.user, id); err != nil {
		return Response{}, err
	}
	c, err := h.areaCard(ctx, r, "neverLog", areaForm{})
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("Removed %s", r.ev.param("pattern")), Navigation{Pop: true}, Navigation{UpdateCard: c}), nil
}

// manageEntry is the dry run: how many logged emails the entry covers.
func (h *handler) manageEntry(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.PurgeNeverLog(ctx, r.user, id, true)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: r.v.entryCard(res)}), nil
}

func (h *handler) purgeEntry(ctx context.Context, r *request) (Response, error) {
	id, err := r.required("id")
	if err != nil {
		return Response{}, err
	}
	started, err := h.cfg.Service.PurgeNeverLog(ctx, r.user, id, false)
	if err != nil {
		return Response{}, err
	}
	return h.startedJob(ctx, r, "neverLog", r.v.t("Purging %d emails in the background; the homepage shows the progress.", started.Matching))
}

func (h *handler) refreshHome(ctx context.Context, r *request) (Response, error) {
	c, err := h.homeCard(ctx, r)
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{UpdateCard: c}), nil
}

// refreshAreaAction re-reads the area the user is on (Refresh, First page).
func (h *handler) refreshAreaAction(ctx context.Context, r *request) (Response, error) {
	a, err := r.area()
	if err != nil {
		return Response{}, err
	}
	return h.refreshArea(ctx, r, a.name, areaForm{}, "")
}

// areaPage shows the page of a listing area at the cursor.
func (h *handler) areaPage(ctx context.Context, r *request) (Response, error) {
	a, err := r.area()
	if err != nil {
		return Response{}, err
	}
	return h.refreshArea(ctx, r, a.name, areaForm{Cursor: r.ev.param("cursor")}, "")
}

// neverLogPage is the org list's More button on cards rendered before
// areaPage existed.
func (h *handler) neverLogPage(ctx context.Context, r *request) (Response, error) {
	return h.refreshArea(ctx, r, "neverLog", areaForm{Cursor: r.ev.param("cursor")}, "")
}

func (h *handler) testAddress(ctx context.Context, r *request) (Response, error) {
	addr := strings.TrimSpace(r.ev.input("testAddress"))
	form := areaForm{TestAddress: addr}
	if addr == "" {
		form.TestError = discreet.ErrorMessage(discreet.FieldError("testAddress", "enter an address"))
		return h.refreshArea(ctx, r, "testAddress", form, "")
	}
	res, err := h.cfg.Service.CheckNeverLog(ctx, r.user, []string{addr})
	if err != nil {
		if !invalid(err) {
			return Response{}, err
		}
		form.TestError = discreet.ErrorMessage(err)
	}
	form.TestResults = res
	return h.refreshArea(ctx, r, "testAddress", form, "")
}

func (h *handler) importEntries(ctx context.Context, r *request) (Response, error) {
	text := r.ev.input("importText")
	res, err := h.cfg.Service.ImportNeverLog(ctx, r.user, text)
	if err != nil {
		if !invalid(err) {
			return Response{}, err
		}
		form := areaForm{ImportText: text, ImportErrors: lineErrors(err)}
		if len(form.ImportErrors) == 0 {
			form.ImportErrors = res.Errors
		}
		if len(form.ImportErrors) == 0 {
			form.ImportError = discreet.ErrorMessage(err)
		}
		return h.refreshArea(ctx, r, "import", form, "")
	}
	if res.Job != nil {
		return h.startedJob(ctx, r, "import", r.v.t("Importing %d entries in the background; the homepage shows the progress.", res.Job.Total))
	}
	return h.refreshArea(ctx, r, "import", areaForm{}, r.v.t("Imported %d entries (%d already on the list)", res.Added, res.Duplicates))
}

// exportEntries shows the org list as CSV on the import/export card, when
// it is short enough for a card.
func (h *handler) exportEntries(ctx context.Context, r *request) (Response, error) {
	entries, err := h.cfg.Service.ExportNeverLog(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	form := areaForm{}
	if csv := service.ExportNeverLogCSV(entries); len(csv) <= maxExportShown {
		form.Export = string(csv)
	} else {
		form.ExportTooLong = len(entries)
	}
	return h.refreshArea(ctx, r, "import", form, "")
}

func (h *handler) saveOrgSettings(ctx context.Context, r *request) (Response, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return Response{}, err
	}
	vis, err := r.visibility("orgDefaultVisibility")
	if err != nil {
		return Response{}, err
	}
	if vis != "" {
		org.DefaultVisibility = vis
	}
	org.DefaultLog = r.ev.has("orgDefaultLog")
	org.AdminsReadPrivate = r.ev.has("adminsReadPrivate")
	if he := discreet.HiddenEmails(r.ev.input("hiddenEmails")); he != "" {
		org.HiddenEmails = he
	}
	access := map[discreet.Role]discreet.Scope{}
	for role, s := range org.ContactAccess {
		access[role] = s
	}
	for role, field := range map[discreet.Role]string{discreet.RoleManager: "accessManager", discreet.RoleRep: "accessRep"} {
		if s := discreet.Scope(r.ev.input(field)); s != "" {
			access[role] = s
		}
	}
	org.ContactAccess = access
	if _, err := h.cfg.Service.PutOrgSettings(ctx, r.user, org); err != nil {
		if invalid(err) {
			// What the admin chose stays on the card, with the reason.
			return h.refreshArea(ctx, r, "orgSettings", areaForm{Org: &org, OrgError: discreet.ErrorMessage(err)}, "")
		}
		return Response{}, err
	}
	return h.refreshArea(ctx, r, "orgSettings", areaForm{}, r.v.t("Org settings saved"))
}
