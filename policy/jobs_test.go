package policy

import (
	"testing"

	"github.com/discreet-crm/discreet"
)

func TestCanSweepJobs(t *testing.T) {
	for _, tt := range []struct {
		v    discreet.User
		want bool
	}{
		{discreet.User{Email: System}, true},
		{discreet.User{Email: "ada@acme.example", Role: discreet.RoleAdmin}, true},
		{discreet.User{Role: discreet.RoleAdmin}, false}, // no address: nobody
		{discreet.User{Email: "mia@acme.example", Role: discreet.RoleManager}, false},
		{discreet.User{Email: "anna@acme.example", Role: discreet.RoleRep}, false},
		{discreet.User{}, false},
	} {
		if got := CanSweepJobs(tt.v); got != tt.want {
			t.Errorf("CanSweepJobs(%q %q) = %v, want %v", tt.v.Role, tt.v.Email, got, tt.want)
		}
	}
}
