package auth

import (
	"net/http"
	"strings"
)

// Bearer returns the token of r's "Authorization: Bearer <token>" header
// (the scheme in any case); false when there is none.
func Bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}
