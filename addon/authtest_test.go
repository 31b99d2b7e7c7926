package addon

import (
	"testing"

	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/auth/authtest"
)

func authtestVerifier(t *testing.T) auth.Verifier { return authtest.Verifier(t) }

func authtestToken(email, audience string) string { return authtest.Token(email, audience) }
