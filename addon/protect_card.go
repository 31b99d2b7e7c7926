package addon

import (
	"context"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// The admin's protected contacts area: ONE pushed card that lists the
// protected contacts and domains, adds one after a dry-run count, and
// removes one. Its actions are registered in actions.go; each keeps the
// admin on the card (UpdateCard).

// protectModel is what the protected contacts card shows.
type protectModel struct {
	Entries []discreet.ProtectedEntry
	// Pattern and Note are the form; DryRun the count for Pattern when the
	// admin asked for it, Error why Pattern was refused.
	Pattern, Note string
	DryRun        *service.ProtectResult
	Error         string
}

func (v *view) protectCard(m protectModel) *Card {
	add := section(v.t("Protect a contact or domain"),
		paragraph(esc(v.t("Every email with a protected contact is private to its participants, whatever the rep chose; its stub and timeline show nothing more to anyone else. Emails already logged are narrowed to private."))),
		textInput("protectPattern", v.t("Address or @domain"), m.Pattern, "ceo@bank.example, @bank.example", false),
		textInput("protectNote", v.t("Note"), m.Note, "", false),
	)
	if m.Error != "" {
		add.Widgets = append(add.Widgets, paragraph("<font color=\"#b3261e\">"+esc(m.Error)+"</font>"))
	}
	if r := m.DryRun; r != nil {
		count := v.t("%d logged emails name %s; those not private yet become private.", r.Matching, r.Entry.Pattern)
		if r.Matching == 1 {
			count = v.t("1 logged email names %s; it becomes private if it is not yet.", r.Entry.Pattern)
		}
		add.Widgets = append(add.Widgets,
			deco(&decorated{StartIcon: lockIcon(v.t("Protected")), TopLabel: v.t("Dry run"), Text: esc(count)}),
			buttons(filled(v.button(v.t("Protect %s", r.Entry.Pattern), "protectConfirm", p("pattern", r.Entry.Pattern)))))
	} else {
		add.Widgets = append(add.Widgets, buttons(filled(v.button(v.t("Count what it covers"), "protectDryRun"))))
	}

	list := section(v.t("Protected"))
	for _, e := range m.Entries {
		bottom := v.t("added by %s, %s", e.AddedBy, v.date(e.AddedAt))
		if e.Note != "" {
			bottom = e.Note + " · " + bottom
		}
		list.Widgets = append(list.Widgets,
			deco(&decorated{StartIcon: lockIcon(v.t("Protected")), Text: "<b>" + esc(e.Pattern) + "</b>", BottomLabel: bottom}),
			buttons(v.button(v.t("Remove"), "unprotect", p("pattern", e.Pattern))))
	}
	if len(m.Entries) == 0 {
		list.Widgets = append(list.Widgets, paragraph("<i>"+esc(v.t("Nothing is protected yet."))+"</i>"))
	} else {
		list.Widgets = append(list.Widgets, paragraph(esc(v.t("Removing a protection leaves the emails it narrowed private."))))
	}
	return areaCard(protectedAreaName, v.t("Protected contacts"), v.t("Admin"), add, list)
}

// protectedAreaName names the area (home_areas.go's areas list) and its card.
const protectedAreaName = "protected"

// protectModelFor loads the card's list.
func (h *handler) protectModelFor(ctx context.Context, r *request, m protectModel) (protectModel, error) {
	entries, err := h.cfg.Service.ProtectedEntries(ctx, r.user)
	if err != nil {
		return protectModel{}, err
	}
	m.Entries = entries
	return m, nil
}

// protectedArea loads the area's card: the homepage lists it as
// {name: protectedAreaName, title: "Protected contacts", admin: true,
// card: (*handler).protectedArea}.
func (h *handler) protectedArea(ctx context.Context, r *request, _ areaForm) (*Card, error) {
	m, err := h.protectModelFor(ctx, r, protectModel{})
	if err != nil {
		return nil, err
	}
	return r.v.protectCard(m), nil
}

// protectDryRun counts what the typed pattern covers, changing nothing.
func (h *handler) protectDryRun(ctx context.Context, r *request) (Response, error) {
	m := protectModel{Pattern: strings.TrimSpace(r.ev.input("protectPattern")), Note: strings.TrimSpace(r.ev.input("protectNote"))}
	res, err := h.cfg.Service.Protect(ctx, r.user, m.Pattern, service.ProtectRequest{Note: m.Note, DryRun: true})
	switch {
	case invalid(err):
		m.Error = discreet.ErrorMessage(err)
	case err != nil:
		return Response{}, err
	default:
		m.DryRun = &res
	}
	if m, err = h.protectModelFor(ctx, r, m); err != nil {
		return Response{}, err
	}
	return render("", Navigation{UpdateCard: r.v.protectCard(m)}), nil
}

// protectConfirm stores the protection counted before; the narrowing runs
// as a job.
func (h *handler) protectConfirm(ctx context.Context, r *request) (Response, error) {
	pattern, err := r.required("pattern")
	if err != nil {
		return Response{}, err
	}
	res, err := h.cfg.Service.Protect(ctx, r.user, pattern, service.ProtectRequest{Note: strings.TrimSpace(r.ev.input("protectNote"))})
	if err != nil {
		return Response{}, err
	}
	m, err := h.protectModelFor(ctx, r, protectModel{})
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("%s is protected; %d emails are being narrowed in the background.", res.Entry.Pattern, res.Matching),
		Navigation{UpdateCard: r.v.protectCard(m)}), nil
}

func (h *handler) unprotect(ctx context.Context, r *request) (Response, error) {
	pattern, err := r.required("pattern")
	if err != nil {
		return Response{}, err
	}
	if err := h.cfg.Service.Unprotect(ctx, r.user, pattern); err != nil {
		return Response{}, err
	}
	m, err := h.protectModelFor(ctx, r, protectModel{})
	if err != nil {
		return Response{}, err
	}
	return render(r.v.t("%s is no longer protected.", pattern), Navigation{UpdateCard: r.v.protectCard(m)}), nil
}
