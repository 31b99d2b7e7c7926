package auth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/discreet-crm/discreet/auth"
)

func TestBearer(t *testing.T) {
	for _, tt := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc.def", "abc.def", true},
		{"bearer abc", "abc", true}, // the scheme is case-insensitive (RFC 9110)
		{"BEARER  abc ", "abc", true},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{"Basic YW5uYTpwdw==", "", false},
		{"Bearerabc", "", false},
		{"abc", "", false},
		{"", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if token, ok := auth.Bearer(r); token != tt.token || ok != tt.ok {
			t.Errorf("Bearer(%q) = %q, %v; want %q, %v", tt.header, token, ok, tt.token, tt.ok)
		}
	}
}
