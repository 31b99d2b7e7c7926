package addon

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// area is one part of the homepage that opens as its own card.
type area struct {
	// name is the "area" parameter of openArea and refreshArea, and the
	// card's name on the stack.
	name string
	// title is the button's text, in English (translated by view.t).
	title string
	// admin: listed only when service.Home says the org's areas are the
	// user's to manage. Listing is not authorization: the area's own
	// service calls decide again.
	admin bool
	// card loads the area's model and renders it; form is what the user
	// typed and the inline messages after an action in the area.
	card func(h *handler, ctx context.Context, r *request, form areaForm) (*Card, error)
}

// areas are the homepage's buttons, in order. Adding an area is one entry
// here and one loader (h *handler) rendering the area's card.
var areas = []area{
	{name: "mySettings", title: "Your settings", card: (*handler).mySettingsArea},
	{name: "myNeverLog", title: "Your Never Log List", card: (*handler).myNeverLogArea},
	// access_card.go (issue 15): what the user may decide and asked for;
	// anyone may be asked (a rep decides requests on the contacts they own).
	{name: "access", title: "Access requests", card: (*handler).accessArea},
	{name: "neverLog", title: "Never Log List", admin: true, card: (*handler).neverLogArea},
	{name: "testAddress", title: "Test an address", admin: true, card: (*handler).testArea},
	{name: "import", title: "Import and export", admin: true, card: (*handler).importArea},
	{name: "orgSettings", title: "Org settings", admin: true, card: (*handler).orgSettingsArea},
	// protect_card.go, policy_card.go (issue 15)
	{name: protectedAreaName, title: "Protected contacts", admin: true, card: (*handler).protectedArea},
	{name: policyAreaName, title: "Visibility policy", admin: true, card: (*handler).visibilityPolicyArea},
	// governance_card.go (issue 16)
	{name: "erasure", title: "Erasure", admin: true, card: (*handler).erasureArea},
	{name: "holds", title: "Legal holds", admin: true, card: (*handler).holdsArea},
	{name: "rules", title: "Sensitivity rules", admin: true, card: (*handler).rulesArea},
	{name: "retention", title: "Retention", admin: true, card: (*handler).retentionArea},
	{name: "jobs", title: "Jobs", admin: true, card: (*handler).jobsArea},
}

func areaNamed(name string) (area, bool) {
	for _, a := range areas {
		if a.name == name {
			return a, true
		}
	}
	return area{}, false
}

// areaForm is what the user typed in an area and the inline messages an
// action answers with; every area reads only its own fields.
type areaForm struct {
	// Cursor is the page a listing area shows ("" for the first).
	Cursor string

	PersonalPattern, PersonalError string

	Pattern, Note, PatternError string

	TestAddress string
	TestResults []service.CheckResult
	TestError   string

	ImportText   string
	ImportErrors []service.LineError
	ImportError  string
	// Export is the org list as CSV after Export; ExportTooLong the number
	// of entries when the list is too long to show in a card.
	Export        string
	ExportTooLong int

	// Org is what the admin chose when saving the org settings failed;
	// OrgError says why.
	Org      *discreet.OrgSettings
	OrgError string
}

// homepage is the homepage trigger.
func (h *handler) homepage(ctx context.Context, r *request) (Response, error) {
	c, err := h.homeCard(ctx, r)
	if err != nil {
		return Response{}, err
	}
	return pushCard(c), nil
}

// homeCard loads the homepage: one service call, whatever the areas.
func (h *handler) homeCard(ctx context.Context, r *request) (*Card, error) {
	home, err := h.cfg.Service.Home(ctx, r.user)
	if err != nil {
		return nil, err
	}
	m := homeModel{User: r.user, Home: home}
	for _, a := range areas {
		if !a.admin || home.Admin {
			m.Areas = append(m.Areas, a)
		}
	}
	return r.v.homeCard(m), nil
}

// area is the area an action names in its "area" parameter.
func (r *request) area() (area, error) {
	name, err := r.required("area")
	if err != nil {
		return area{}, err
	}
	a, ok := areaNamed(name)
	if !ok {
		return area{}, discreet.Errorf(discreet.EInvalid, "%s", r.v.t("Unknown area %q.", name))
	}
	return a, nil
}

// openArea pushes an area's card over the homepage.
func (h *handler) openArea(ctx context.Context, r *request) (Response, error) {
	a, err := r.area()
	if err != nil {
		return Response{}, err
	}
	c, err := a.card(h, ctx, r, areaForm{})
	if err != nil {
		return Response{}, err
	}
	return render("", Navigation{PushCard: c}), nil
}

// refreshArea re-renders the area card the user is on, with form and a
// toast: after an action the user stays where they were.
func (h *handler) refreshArea(ctx context.Context, r *request, name string, form areaForm, note string) (Response, error) {
	c, err := h.areaCard(ctx, r, name, form)
	if err != nil {
		return Response{}, err
	}
	return render(note, Navigation{UpdateCard: c}), nil
}

func (h *handler) areaCard(ctx context.Context, r *request, name string, form areaForm) (*Card, error) {
	a, ok := areaNamed(name)
	if !ok {
		return nil, discreet.Errorf(discreet.EInternal, "no area %q", name)
	}
	return a.card(h, ctx, r, form)
}

// startedJob answers an action that started a job from area name: the
// homepage under the area is refreshed (it lists the running job) and the
// user stays on the area, updated.
func (h *handler) startedJob(ctx context.Context, r *request, name, note string) (Response, error) {
	home, err := h.homeCard(ctx, r)
	if err != nil {
		return Response{}, err
	}
	c, err := h.areaCard(ctx, r, name, areaForm{})
	if err != nil {
		return Response{}, err
	}
	return render(note, Navigation{PopToRoot: true}, Navigation{UpdateCard: home}, Navigation{PushCard: c}), nil
}

// The areas' loaders: each asks the service for its model and renders it.

func (h *handler) mineModel(ctx context.Context, r *request, form areaForm) (mineModel, error) {
	me, err := h.cfg.Service.Me(ctx, r.user)
	if err != nil {
		return mineModel{}, err
	}
	mine, err := h.cfg.Service.MySettings(ctx, r.user)
	if err != nil {
		return mineModel{}, err
	}
	return mineModel{Me: me, Mine: mine, Form: form}, nil
}

func (h *handler) mySettingsArea(ctx context.Context, r *request, form areaForm) (*Card, error) {
	m, err := h.mineModel(ctx, r, form)
	if err != nil {
		return nil, err
	}
	return r.v.mySettingsCard(m), nil
}

func (h *handler) myNeverLogArea(ctx context.Context, r *request, form areaForm) (*Card, error) {
	m, err := h.mineModel(ctx, r, form)
	if err != nil {
		return nil, err
	}
	return r.v.myNeverLogCard(m), nil
}

func (h *handler) neverLogArea(ctx context.Context, r *request, form areaForm) (*Card, error) {
	page, err := h.cfg.Service.NeverLog(ctx, r.user, neverLogPage, form.Cursor)
	if err != nil {
		return nil, err
	}
	return r.v.neverLogCard(neverLogModel{Page: page, Form: form}), nil
}

// testArea and importArea need no read: their actions ask the service,
// which decides who may.
func (h *handler) testArea(_ context.Context, r *request, form areaForm) (*Card, error) {
	return r.v.testCard(form), nil
}

func (h *handler) importArea(_ context.Context, r *request, form areaForm) (*Card, error) {
	return r.v.importCard(form), nil
}

func (h *handler) orgSettingsArea(ctx context.Context, r *request, form areaForm) (*Card, error) {
	org, err := h.cfg.Service.OrgSettings(ctx, r.user)
	if err != nil {
		return nil, err
	}
	if form.Org != nil {
		org = *form.Org
	}
	return r.v.orgSettingsCard(org, form), nil
}

func (h *handler) jobsArea(ctx context.Context, r *request, form areaForm) (*Card, error) {
	jobs, err := h.cfg.Service.Jobs(ctx, r.user, jobsPage, form.Cursor)
	if err != nil {
		return nil, err
	}
	return r.v.jobsCard(jobs, form.Cursor != ""), nil
}
