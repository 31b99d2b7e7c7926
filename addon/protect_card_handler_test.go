package addon

import "testing"

// TestProtectedAndPolicyAreas: each area is one pushed card; its actions
// keep the admin on it; the compose card then shows the policy and the
// protection in force.
func TestProtectedAndPolicyAreas(t *testing.T) {
	e := devServer(t, newDemoService(t))
	r := do(t, e, call{path: PathAction, user: admin, body: act("openArea", map[string]string{"area": protectedAreaName}, nil)})
	wantNavs(t, "open protected", r, "push:"+protectedAreaName)
	wantText(t, r, "Nothing is protected yet.")

	r = do(t, e, call{path: PathAction, user: admin, body: act("protectDryRun", nil, map[string][]string{"protectPattern": {"bad@@x.example"}})})
	wantNavs(t, "bad pattern", r, "update:"+protectedAreaName)
	wantText(t, r, "more than one")

	r = do(t, e, call{path: PathAction, user: admin, body: act("protectDryRun", nil, map[string][]string{"protectPattern": {"Kunde@Zurich-Bank.example"}, "protectNote": {"M&A"}})})
	wantNavs(t, "dry run", r, "update:"+protectedAreaName)
	wantText(t, r, "3 logged emails name kunde@zurich-bank.example", "Protect kunde@zurich-bank.example")

	r = do(t, e, call{path: PathAction, user: admin, body: act("protectConfirm", map[string]string{"pattern": "kunde@zurich-bank.example"}, map[string][]string{"protectNote": {"M&A"}})})
	wantNavs(t, "protect", r, "update:"+protectedAreaName)
	wantText(t, r, "kunde@zurich-bank.example is protected", "M&A")

	// Anna's compose card to the protected contact offers private only.
	r = do(t, e, call{path: PathCompose, user: anna, body: eventJSON(ev{"toRecipients": []string{"kunde@zurich-bank.example"}}, nil, nil)})
	wantText(t, r, "kunde@zurich-bank.example is a protected contact: this email is logged private.")
	rejectText(t, r, "Public")

	r = do(t, e, call{path: PathAction, user: admin, body: act("unprotect", map[string]string{"pattern": "kunde@zurich-bank.example"}, nil)})
	wantNavs(t, "unprotect", r, "update:"+protectedAreaName)
	wantText(t, r, "kunde@zurich-bank.example is no longer protected.", "Nothing is protected yet.")

	// A rep's action is refused by the service.
	r = do(t, e, call{path: PathAction, user: anna, body: act("unprotect", map[string]string{"pattern": "x@y.example"}, nil)})
	wantText(t, r, "only admins")

	// The policy area: cap team ch at team.
	r = do(t, e, call{path: PathAction, user: admin, body: act("openArea", map[string]string{"area": policyAreaName}, nil)})
	wantNavs(t, "open policy", r, "push:"+policyAreaName)
	r = do(t, e, call{path: PathAction, user: admin, body: act("savePolicy", nil, map[string][]string{"max:team:ch": {"team"}, "default:team:ch": {"none"}})})
	wantNavs(t, "save policy", r, "update:"+policyAreaName)
	wantText(t, r, "Visibility policy saved.")
	r = do(t, e, call{path: PathCompose, user: beat, body: eventJSON(ev{"toRecipients": []string{"kunde@zurich-bank.example"}}, nil, nil)})
	wantText(t, r, "Visibility policy (team ch): at most Team.")
	rejectText(t, r, "Public")
	// Anna (team de) is under no rule.
	r = do(t, e, call{path: PathCompose, user: anna, body: eventJSON(ev{"toRecipients": []string{"kunde@zurich-bank.example"}}, nil, nil)})
	wantText(t, r, "Public")
	rejectText(t, r, "Visibility policy")
	// A policy naming a visibility that is not one is refused, shown as a toast.
	r = do(t, e, call{path: PathAction, user: admin, body: act("savePolicy", nil, map[string][]string{"max:team:ch": {"everyone"}})})
	wantText(t, r, "visibilityPolicy.teams.ch.max")
}
