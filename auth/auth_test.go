package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/auth/authtest"
)

const aud = "https://discreet.example/"

func TestVerifyValid(t *testing.T) {
	g := authtest.Verifier(t)
	tok := authtest.Token("Anna@ACME.example", aud)
	id, err := g.Verify(context.Background(), tok, "other-audience", aud)
	if err != nil {
		t.Fatal(err)
	}
	if id.Email != "anna@acme.example" || id.HostedDomain != "acme.example" || id.Subject == "" || id.Audience != aud {
		t.Errorf("identity = %+v", id)
	}
	// The key set is cached: a second verification needs no fetch.
	if _, err := g.Verify(context.Background(), tok, aud); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyHostedDomain: the hd claim reaches the caller (lower-cased)
// for sign-in to decide on; a consumer account has none, and an hd that is
// not a string counts as none.
func TestVerifyHostedDomain(t *testing.T) {
	g := authtest.Verifier(t)
	for name, tc := range map[string]struct{ token, want string }{
		"Workspace account":                 {authtest.WorkspaceToken("anna@acme.example", aud, "ACME.example"), "acme.example"},
		"Workspace of another domain":       {authtest.WorkspaceToken("anna@acme-ch.example", aud, "acme.example"), "acme.example"},
		"consumer account, company address": {authtest.ConsumerToken("anna@acme.example", aud), ""},
		"hd not a string": {func() string {
			c := authtest.Claims("anna@acme.example", aud)
			c["hd"] = 42
			return authtest.Sign(c)
		}(), ""},
	} {
		id, err := g.Verify(context.Background(), tc.token, aud)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id.HostedDomain != tc.want {
			t.Errorf("%s: HostedDomain = %q, want %q", name, id.HostedDomain, tc.want)
		}
	}
}

func TestVerifyStringEmailVerified(t *testing.T) {
	c := authtest.Claims("anna@acme.example", aud)
	c["email_verified"] = "true"
	c["iss"] = "accounts.google.com"
	if _, err := authtest.Verifier(t).Verify(context.Background(), authtest.Sign(c), aud); err != nil {
		t.Fatal(err)
	}
}

// Forged returns tokens that must all be refused, by name, with the message
// the caller sees.
func Forged() map[string]struct{ token, message string } {
	claims := func(edit func(map[string]any)) map[string]any {
		c := authtest.Claims("anna@acme.example", aud)
		edit(c)
		return c
	}
	valid := authtest.Token("anna@acme.example", aud)
	parts := strings.Split(valid, ".")
	return map[string]struct{ token, message string }{
		"empty":          {"", "missing ID token"},
		"garbage":        {"not-a-token", "malformed ID token"},
		"garbage parts":  {"a.b.c", "malformed ID token"},
		"wrong audience": {authtest.Token("anna@acme.example", "https://evil.example/"), "wrong audience"},
		"audience list":  {authtest.Sign(claims(func(c map[string]any) { c["aud"] = []string{aud} })), "wrong audience"},
		"wrong issuer":   {authtest.Sign(claims(func(c map[string]any) { c["iss"] = "https://evil.example" })), "wrong issuer"},
		"no issuer":      {authtest.Sign(claims(func(c map[string]any) { delete(c, "iss") })), "wrong issuer"},
		"expired":        {authtest.Sign(claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "the ID token has expired"},
		"no expiry":      {authtest.Sign(claims(func(c map[string]any) { delete(c, "exp") })), "the ID token has expired"},
		"future iat":     {authtest.Sign(claims(func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() })), "the ID token is issued in the future"},
		"alg none":       {authtest.Unsigned(authtest.Claims("anna@acme.example", aud)), "unsupported ID token algorithm"},
		"alg HS256":      {authtest.SignWith(unpublished, map[string]any{"alg": "HS256", "kid": authtest.KeyID}, authtest.Claims("anna@acme.example", aud)), "unsupported ID token algorithm"},
		"bad signature":  {authtest.SignWrongKey(authtest.Claims("anna@acme.example", aud)), "invalid ID token signature"},
		"swapped payload": {parts[0] + "." + strings.Split(authtest.Token("admin@acme.example", aud), ".")[1] + "." + parts[2],
			"invalid ID token signature"},
		"unknown kid": {authtest.SignWith(unpublished, map[string]any{"alg": "RS256", "kid": "other"}, authtest.Claims("anna@acme.example", aud)),
			"unknown ID token signing key"},
		"unverified email": {authtest.Sign(claims(func(c map[string]any) { c["email_verified"] = false })), "the ID token's email is not verified"},
		"no email_verified": {authtest.Sign(claims(func(c map[string]any) { delete(c, "email_verified") })),
			"the ID token's email is not verified"},
		"no email": {authtest.Sign(claims(func(c map[string]any) { delete(c, "email") })), "the ID token carries no email"},
	}
}

func TestVerifyRefusesForgeries(t *testing.T) {
	g := authtest.Verifier(t)
	for name, tc := range Forged() {
		t.Run(name, func(t *testing.T) {
			_, err := g.Verify(context.Background(), tc.token, aud)
			var e *discreet.Error
			if !errors.As(err, &e) || e.Code != discreet.EUnauthenticated {
				t.Fatalf("err = %v, want unauthenticated", err)
			}
			if e.Message != tc.message {
				t.Errorf("message = %q, want %q", e.Message, tc.message)
			}
		})
	}
}

func TestVerifyWithoutAudienceIsRefused(t *testing.T) {
	_, err := authtest.Verifier(t).Verify(context.Background(), authtest.Token("anna@acme.example", aud))
	if discreet.ErrorCode(err) != discreet.EInternal {
		t.Fatalf("err = %v, want internal", err)
	}
}

func TestVerifyKeysUnreachable(t *testing.T) {
	g, err := auth.NewGoogle(context.Background(), &http.Client{Transport: down{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Verify(context.Background(), authtest.Token("anna@acme.example", aud), aud)
	var e *discreet.Error
	if !errors.As(err, &e) || e.Code != discreet.EUnavailable || e.RetryAfter == 0 {
		t.Fatalf("err = %v, want unavailable with Retry-After", err)
	}
}

type down struct{}

func (down) RoundTrip(*http.Request) (*http.Response, error) { return nil, errors.New("network down") }

func TestVerifyServiceAccount(t *testing.T) {
	g := authtest.Verifier(t)
	const sa = "service-123@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
	endpoint := "https://discreet.example/addon/message"
	ctx := context.Background()
	if err := g.VerifyServiceAccount(ctx, authtest.Token(sa, endpoint), sa, endpoint, aud); err != nil {
		t.Fatalf("system token refused: %v", err)
	}
	if err := g.VerifyServiceAccount(ctx, authtest.Token(sa, aud), strings.ToUpper(sa), endpoint, aud); err != nil {
		t.Fatalf("configured audience refused: %v", err)
	}
	for name, tc := range map[string]struct {
		token, want string
		code        discreet.Code
	}{
		"a user's token":        {authtest.Token("anna@acme.example", endpoint), sa, discreet.EUnauthenticated},
		"another endpoint":      {authtest.Token(sa, "https://discreet.example/addon/compose"), sa, discreet.EUnauthenticated},
		"forged signature":      {authtest.SignWrongKey(authtest.Claims(sa, endpoint)), sa, discreet.EUnauthenticated},
		"no account configured": {authtest.Token(sa, endpoint), "", discreet.EInternal},
	} {
		t.Run(name, func(t *testing.T) {
			err := g.VerifyServiceAccount(ctx, tc.token, tc.want, endpoint, aud)
			if discreet.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
}
