package policy

import (
	"slices"
	"testing"

	"github.com/discreet-crm/discreet"
)

const (
	vPriv = discreet.VisibilityPrivate
	vTeam = discreet.VisibilityTeam
	vPub  = discreet.VisibilityPublic
)

func TestVisibilityPolicyFor(t *testing.T) {
	p := &discreet.VisibilityPolicy{
		Roles: map[discreet.Role]discreet.VisibilityRule{discreet.RoleRep: {Max: vPub, Default: vTeam}},
		Teams: map[string]discreet.VisibilityRule{
			"legal": {Max: vTeam, Default: vPriv},
			"hr":    {Max: vPriv, Locked: true},
			"odd":   {Max: "everyone"},
		},
	}
	rep := func(teams ...string) discreet.User {
		return discreet.User{Email: "r@corp.example", Role: discreet.RoleRep, Teams: teams}
	}
	for _, tc := range []struct {
		name     string
		u        discreet.User
		fallback discreet.Visibility
		chosen   discreet.Visibility
		want     discreet.Visibility
		refused  bool
		rule     string
		allowed  []discreet.Visibility
	}{
		{"no rule for admins", discreet.User{Email: "a@corp.example", Role: discreet.RoleAdmin}, vPub, vPub, vPub, false, "", []discreet.Visibility{vPriv, vTeam, vPub}},
		{"rep default", rep(), vPub, "", vTeam, false, "", []discreet.Visibility{vPriv, vTeam, vPub}},
		{"rep choice", rep(), vPub, vPub, vPub, false, "", []discreet.Visibility{vPriv, vTeam, vPub}},
		{"legal ceiling refuses public", rep("legal"), vPub, vPub, "", true, "team legal", []discreet.Visibility{vPriv, vTeam}},
		{"legal allows team", rep("legal"), vPub, vTeam, vTeam, false, "", []discreet.Visibility{vPriv, vTeam}},
		{"legal default is the narrowest", rep("legal"), vPub, "", vPriv, false, "", []discreet.Visibility{vPriv, vTeam}},
		{"hr lock refuses a change", rep("hr"), vPub, vTeam, "", true, "team hr", []discreet.Visibility{vPriv}},
		{"hr lock accepts its default", rep("hr"), vPub, vPriv, vPriv, false, "", []discreet.Visibility{vPriv}},
		{"strictest of two teams", rep("legal", "hr"), vPub, vTeam, "", true, "team hr", []discreet.Visibility{vPriv}},
		{"unknown max reads as private", rep("odd"), vPub, vTeam, "", true, "team odd", []discreet.Visibility{vPriv}},
		{"fallback capped by the ceiling", discreet.User{Email: "m@corp.example", Role: discreet.RoleManager, Teams: []string{"legal"}}, vPub, "", vPriv, false, "", []discreet.Visibility{vPriv, vTeam}},
		{"invalid choice refused", rep(), vPub, "everyone", "", true, "role rep", []discreet.Visibility{vPriv, vTeam, vPub}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := VisibilityPolicyFor(tc.u, p)
			got, ref := f.Resolve(tc.chosen, tc.fallback)
			if (ref != nil) != tc.refused || got != tc.want {
				t.Fatalf("Resolve(%q) = %q, %+v; want %q refused=%v", tc.chosen, got, ref, tc.want, tc.refused)
			}
			if ref != nil && ref.Rule != tc.rule {
				t.Fatalf("refusal names rule %q, want %q (%s)", ref.Rule, tc.rule, ref.Message())
			}
			if a := f.Allowed(tc.fallback); !slices.Equal(a, tc.allowed) {
				t.Fatalf("Allowed = %v, want %v", a, tc.allowed)
			}
		})
	}
	if f := VisibilityPolicyFor(rep("legal"), nil); f.Any() || f.Max != vPub {
		t.Fatalf("no policy: %+v", f)
	}
}

func TestCheckVisibilityPolicy(t *testing.T) {
	teams := []string{"legal"}
	for _, tc := range []struct {
		name  string
		p     *discreet.VisibilityPolicy
		field string
	}{
		{"nil", nil, ""},
		{"good", &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"legal": {Max: vTeam, Default: vPriv, Locked: true}}}, ""},
		{"bad role", &discreet.VisibilityPolicy{Roles: map[discreet.Role]discreet.VisibilityRule{"boss": {}}}, "visibilityPolicy.roles"},
		{"bad max", &discreet.VisibilityPolicy{Roles: map[discreet.Role]discreet.VisibilityRule{"rep": {Max: "all"}}}, "visibilityPolicy.roles.rep.max"},
		{"default above max", &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"legal": {Max: vTeam, Default: vPub}}}, "visibilityPolicy.teams.legal.default"},
		{"unknown team", &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"sales": {Max: vTeam}}}, "visibilityPolicy.teams"},
	} {
		if f, msg := CheckVisibilityPolicy(tc.p, teams); f != tc.field {
			t.Errorf("%s: field %q (%s), want %q", tc.name, f, msg, tc.field)
		}
	}
}

// FuzzVisibilityPolicy: whatever the rules, what Resolve accepts is within
// the ceiling and among Allowed, a lock accepts only the default, and a
// refusal names a rule when one applies.
func FuzzVisibilityPolicy(f *testing.F) {
	f.Add("public", "team", false, "team", "private", true, "public", "public")
	f.Add("", "", false, "x", "", false, "", "team")
	f.Fuzz(func(t *testing.T, roleMax, roleDef string, roleLock bool, teamMax, teamDef string, teamLock bool, chosen, fallback string) {
		p := &discreet.VisibilityPolicy{
			Roles: map[discreet.Role]discreet.VisibilityRule{discreet.RoleRep: {Max: discreet.Visibility(roleMax), Default: discreet.Visibility(roleDef), Locked: roleLock}},
			Teams: map[string]discreet.VisibilityRule{"t": {Max: discreet.Visibility(teamMax), Default: discreet.Visibility(teamDef), Locked: teamLock}},
		}
		u := discreet.User{Email: "r@corp.example", Role: discreet.RoleRep, Teams: []string{"t"}}
		in := VisibilityPolicyFor(u, p)
		fb := discreet.Visibility(fallback)
		allowed := in.Allowed(fb)
		if len(allowed) == 0 {
			t.Fatal("nothing allowed")
		}
		def := in.DefaultVisibility(fb)
		if !slices.Contains(allowed, def) {
			t.Fatalf("default %q not among allowed %v", def, allowed)
		}
		// Cap, the owner's ceiling that binds others, refuses exactly what
		// is wider than the ceiling, and never what the owner may choose.
		if c := in.Cap(discreet.Visibility(chosen)); (c != nil) != (in.MaxBy != "" && visibilityRank(discreet.Visibility(chosen)) > visibilityRank(in.Max)) {
			t.Fatalf("Cap(%q) = %+v, max %q by %q", chosen, c, in.Max, in.MaxBy)
		} else if c != nil && slices.Contains(allowed, discreet.Visibility(chosen)) {
			t.Fatalf("Cap refuses %q, which the owner may choose", chosen)
		}
		got, ref := in.Resolve(discreet.Visibility(chosen), fb)
		if ref != nil {
			if ref.Message() == "" {
				t.Fatal("a refusal without a message")
			}
			return
		}
		if !got.Valid() || !slices.Contains(allowed, got) || visibilityRank(got) > visibilityRank(in.Max) {
			t.Fatalf("Resolve(%q) = %q, allowed %v, max %q", chosen, got, allowed, in.Max)
		}
		if in.Locked && got != def {
			t.Fatalf("locked, got %q, default %q", got, def)
		}
	})
}
