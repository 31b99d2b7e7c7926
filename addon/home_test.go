package addon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// navs are the navigations of a response as "push:name", "update:name",
// "pop" or "popToRoot", in order.
func navs(t *testing.T, resp map[string]any) []string {
	t.Helper()
	action, _ := resp["action"].(map[string]any)
	if ra, ok := resp["renderActions"].(map[string]any); ok {
		action, _ = ra["action"].(map[string]any)
	}
	list, _ := action["navigations"].([]any)
	var out []string
	for _, n := range list {
		n := n.(map[string]any)
		for kind, v := range n {
			switch kind {
			case "pushCard", "updateCard":
				name, _ := v.(map[string]any)["name"].(string)
				out = append(out, strings.TrimSuffix(kind, "Card")+":"+name)
			default:
				out = append(out, kind)
			}
		}
	}
	return out
}

func wantNavs(t *testing.T, what string, resp map[string]any, want ...string) {
	t.Helper()
	if got := navs(t, resp); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: navigations %v, want %v", what, got, want)
	}
}

func act(action string, params map[string]string, form map[string][]string) string {
	all := map[string]string{"action": action}
	for k, v := range params {
		all[k] = v
	}
	return eventJSON(ev{}, all, form)
}

// TestHomepageAreas: the admin's homepage has one button per area and
// nothing else but what waits; each button pushes its area's card.
func TestHomepageAreas(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathHomepage, user: admin, body: eventJSON(ev{}, nil, nil)})
	wantNavs(t, "homepage", resp, "push:home")
	for _, a := range areas {
		if actionParamValues(resp, "area")[a.name] == 0 {
			t.Errorf("the admin homepage has no button for %s", a.name)
		}
		r := do(t, e, call{path: PathAction, user: admin, body: act("openArea", map[string]string{"area": a.name}, nil)})
		wantNavs(t, "open "+a.name, r, "push:"+a.name)
		wantText(t, r, enView().t(a.title))
	}
	// Nothing runs in the demo org: the attention section is not there.
	rejectText(t, resp, "Needs your attention", "@hr-partner.example", "Save org settings")
	if n := widgets(resp); n > len(areas)+2 {
		t.Errorf("the quiet admin homepage has %d widgets, want at most %d (the area buttons)", n, len(areas)+2)
	}

	// The rep's homepage lists only their own areas; an org area opened
	// with a hand-made event is the service's refusal.
	resp = do(t, e, call{path: PathHomepage, user: anna, body: eventJSON(ev{}, nil, nil)})
	for _, a := range areas {
		if got := actionParamValues(resp, "area")[a.name]; (got > 0) == a.admin {
			t.Errorf("rep homepage: %d buttons for %s (admin area: %v)", got, a.name, a.admin)
		}
	}
	r := do(t, e, call{path: PathAction, user: anna, body: act("openArea", map[string]string{"area": "neverLog"}, nil)})
	wantText(t, r, "Something went wrong", "only admins may read the Never Log List")
	rejectText(t, r, "@hr-partner.example")
	r = do(t, e, call{path: PathAction, user: anna, body: act("openArea", map[string]string{"area": "nowhere"}, nil)})
	wantText(t, r, `Unknown area "nowhere".`)
}

// TestHomepageStaysShort: however much waits, the homepage shows at most
// maxDecisionRows rows, says how many more, and keeps its area buttons.
func TestHomepageStaysShort(t *testing.T) {
	v := enView()
	var jobs []service.JobView
	for i := range 12 {
		jobs = append(jobs, service.JobView{ID: fmt.Sprint(i), Kind: service.JobImport, State: store.JobRunning, Total: 10})
	}
	c := v.homeCard(homeModel{User: discreet.User{Email: "admin@acme.example"}, Home: service.Home{Admin: true, Jobs: jobs}, Areas: areas})
	resp := map[string]any{}
	if err := json.Unmarshal([]byte(mustJSON(pushCard(c))), &resp); err != nil {
		t.Fatal(err)
	}
	if n, max := widgets(resp), maxDecisionRows+2+2; n != max {
		t.Errorf("homepage with 12 jobs: %d widgets, want %d", n, max)
	}
	wantText(t, resp, "and 7 more", "Refresh")
	if got := len(actionParamValues(resp, "area")); got != len(areas) {
		t.Errorf("%d area buttons, want %d", got, len(areas))
	}
}

// TestAreaActionsStayOnTheArea: after an action in an area the user is on
// that area's card, updated; a mistake is shown there, next to the field.
func TestAreaActionsStayOnTheArea(t *testing.T) {
	e := devServer(t, newDemoService(t))
	for _, tc := range []struct {
		name, area, action string
		params             map[string]string
		form               map[string][]string
		want               []string
	}{
		{"save my settings", "mySettings", "saveMySettings", nil, map[string][]string{"defaultVisibility": {"team"}}, []string{"Settings saved"}},
		{"add personal", "myNeverLog", "addPersonal", nil, map[string][]string{"personalPattern": {"friend@private.example"}}, []string{"Added friend@private.example"}},
		{"add personal twice", "myNeverLog", "addPersonal", nil, map[string][]string{"personalPattern": {"friend@private.example"}}, []string{"friend@private.example", "already"}},
		{"add entry", "neverLog", "addEntry", nil, map[string][]string{"pattern": {"@new-partner.example"}, "note": {"new"}}, []string{"Added @new-partner.example", "@new-partner.example"}},
		{"bad entry", "neverLog", "addEntry", nil, map[string][]string{"pattern": {"bad@@example.com"}}, []string{"bad@@example.com", "more than one"}},
		{"test", "testAddress", "testAddress", nil, map[string][]string{"testAddress": {"x@hr-partner.example"}}, []string{"x@hr-partner.example is blocked by @hr-partner.example (org list)"}},
		{"test nothing", "testAddress", "testAddress", nil, nil, []string{"enter an address"}},
		{"import errors", "import", "importEntries", nil, map[string][]string{"importText": {"@ok.example\nbad@@x.example\n"}}, []string{"Nothing imported: fix these lines.", "Line 2:"}},
		{"import", "import", "importEntries", nil, map[string][]string{"importText": {"@ok.example\n"}}, []string{"Imported 1 entries (0 already on the list)"}},
		{"export", "import", "exportEntries", nil, nil, []string{"pattern,note,addedBy,addedAt", "@ok.example"}},
		{"save org settings", "orgSettings", "saveOrgSettings", nil, map[string][]string{"hiddenEmails": {"stubs"}}, []string{"Org settings saved"}},
		{"jobs", "jobs", "refreshArea", map[string]string{"area": "jobs"}, nil, []string{"No jobs yet."}},
		{"org list page", "neverLog", "areaPage", map[string]string{"area": "neverLog", "cursor": ""}, nil, []string{"@hr-partner.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, e, call{path: PathAction, user: admin, body: act(tc.action, tc.params, tc.form)})
			wantNavs(t, tc.name, r, "update:"+tc.area)
			wantText(t, r, tc.want...)
		})
	}
	// The org settings were saved: the area shows them.
	r := do(t, e, call{path: PathAction, user: admin, body: act("openArea", map[string]string{"area": "orgSettings"}, nil)})
	if !strings.Contains(mustJSON(r), `{"selected":true,"text":"Show date and owner","value":"stubs"}`) {
		t.Errorf("the org settings card does not show the saved choice: %s", mustJSON(r))
	}
}

// TestEntryActionsReturnToTheList: removing an entry from its card goes
// back to the org list, updated; a purge also refreshes the homepage under
// it, which lists the running job.
func TestEntryActionsReturnToTheList(t *testing.T) {
	e := devServer(t, newDemoService(t))
	add := func(pattern string) string {
		t.Helper()
		do(t, e, call{path: PathAction, user: admin, body: act("addEntry", nil, map[string][]string{"pattern": {pattern}})})
		r := do(t, e, call{path: PathAction, user: admin, body: act("openArea", map[string]string{"area": "neverLog"}, nil)})
		for _, id := range entryIDs(r) {
			m := do(t, e, call{path: PathAction, user: admin, body: act("manageEntry", map[string]string{"id": id}, nil)})
			if strings.Contains(text(m), pattern+"\n") {
				return id
			}
		}
		t.Fatalf("no Manage button for %s", pattern)
		return ""
	}
	id := add("@gone.example")
	r := do(t, e, call{path: PathAction, user: admin, body: act("removeEntry", map[string]string{"id": id, "pattern": "@gone.example"}, nil)})
	wantNavs(t, "remove", r, "pop", "update:neverLog")
	wantText(t, r, "Removed @gone.example")
	rejectText(t, r, "<b>@gone.example</b>")

	id = add("@berlin-tools.example")
	r = do(t, e, call{path: PathAction, user: admin, body: act("purgeEntry", map[string]string{"id": id}, nil)})
	wantNavs(t, "purge", r, "popToRoot", "update:home", "push:neverLog")
	wantText(t, r, "Purging 1 emails in the background", "Needs your attention", "Purge @berlin-tools.example")
}

// entryIDs are the ids on the Manage buttons of a card.
func entryIDs(resp any) []string {
	var ids []string
	eachNode(resp, func(v any) {
		x, ok := v.(map[string]any)
		if !ok {
			return
		}
		ps, ok := x["parameters"].([]any)
		if !ok {
			return
		}
		var action, id string
		for _, p := range ps {
			p := p.(map[string]any)
			switch p["key"] {
			case "action":
				action, _ = p["value"].(string)
			case "id":
				id, _ = p["value"].(string)
			}
		}
		if action == "manageEntry" {
			ids = append(ids, id)
		}
	})
	return ids
}

// actionParamValues counts the values of action parameter key in a card.
func actionParamValues(resp any, key string) map[string]int {
	out := map[string]int{}
	eachNode(resp, func(v any) {
		if x, ok := v.(map[string]any); ok && x["key"] == key {
			if v, ok := x["value"].(string); ok {
				out[v]++
			}
		}
	})
	return out
}

// widgets counts the widgets of the cards in a response.
func widgets(resp any) int {
	n := 0
	eachNode(resp, func(v any) {
		if x, ok := v.(map[string]any); ok {
			if ws, ok := x["widgets"].([]any); ok {
				n += len(ws)
			}
		}
	})
	return n
}
