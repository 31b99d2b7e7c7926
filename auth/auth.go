// Package auth verifies Google ID tokens: the user's (Authorization: Bearer
// on the REST API, userIdToken in add-on events) and the add-on's system ID
// token. It answers who the caller is, not whether they belong to the org:
// that is service.SignIn's decision.
//
// google.golang.org/api/idtoken checks the signature, the audience and the
// expiry; this package adds what it leaves out: the algorithm, the issuer,
// the email and email_verified.
package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/api/idtoken"
	"google.golang.org/api/option"

	"github.com/discreet-crm/discreet"
)

// Issuers are the values Google puts in the iss claim of its ID tokens.
var Issuers = []string{"https://accounts.google.com", "accounts.google.com"}

// Identity is who a verified ID token speaks for.
type Identity struct {
	// Email is the verified address, lower-cased.
	Email string
	// HostedDomain is the Workspace domain (hd claim), "" for consumer
	// accounts.
	HostedDomain string
	// Subject is Google's stable account id (sub claim).
	Subject string
	// Audience is the audience the token was issued for.
	Audience string
}

// Verifier verifies an ID token issued for any of audiences. Errors are
// *discreet.Error: unauthenticated with a message safe to show the caller,
// unavailable when Google's keys cannot be fetched.
type Verifier interface {
	Verify(ctx context.Context, token string, audiences ...string) (Identity, error)
}

// Google verifies Google-signed ID tokens against Google's published keys.
type Google struct {
	v *idtoken.Validator
	// now is the clock for the checks made here; idtoken has its own.
	now func() time.Time
}

// NewGoogle returns a Google verifier that fetches Google's signing keys
// with httpClient (nil: a client with a 10 s timeout). Keys are cached as
// Google's Cache-Control says.
func NewGoogle(ctx context.Context, httpClient *http.Client) (*Google, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	v, err := idtoken.NewValidator(ctx, option.WithHTTPClient(httpClient))
	if err != nil {
		return nil, err
	}
	return &Google{v: v, now: time.Now}, nil
}

// maxSkew tolerates clocks slightly ahead of ours on iat.
const maxSkew = 5 * time.Minute

func unauthenticated(msg string) *discreet.Error {
	return discreet.Errorf(discreet.EUnauthenticated, "%s", msg)
}

// Verify checks token and returns the identity it carries. The token must be
// RS256-signed by Google, unexpired, issued by Google for one of audiences,
// and carry a verified email. Verifying with no audience is refused.
func (g *Google) Verify(ctx context.Context, token string, audiences ...string) (Identity, error) {
	p, err := g.validate(ctx, token, audiences)
	if err != nil {
		return Identity{}, err
	}
	email, _ := p.Claims["email"].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return Identity{}, unauthenticated("the ID token carries no email")
	}
	if !verified(p.Claims["email_verified"]) {
		return Identity{}, unauthenticated("the ID token's email is not verified")
	}
	hd, _ := p.Claims["hd"].(string)
	return Identity{Email: email, HostedDomain: strings.ToLower(hd), Subject: p.Subject, Audience: p.Audience}, nil
}

// VerifyServiceAccount checks the add-on's system ID token (the
// Authorization header of every /addon/* request): a Google ID token for one
// of audiences (the endpoint URL that was called, or the configured
// audience) whose verified email is wantEmail, the add-on's service account
// (DISCREET_ADDON_SA). An empty wantEmail is refused: a deployment that
// forgot to configure it must not accept every service account.
func (g *Google) VerifyServiceAccount(ctx context.Context, token, wantEmail string, audiences ...string) error {
	want := strings.ToLower(strings.TrimSpace(wantEmail))
	if want == "" {
		return discreet.Errorf(discreet.EInternal, "no add-on service account configured")
	}
	id, err := g.Verify(ctx, token, audiences...)
	if err != nil {
		return err
	}
	if id.Email != want {
		return unauthenticated("the ID token is not the add-on's")
	}
	return nil
}

func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string: // older tokens carried "true"
		return v == "true"
	}
	return false
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type claims struct {
	Iss string `json:"iss"`
	Aud any    `json:"aud"`
	Exp *int64 `json:"exp"`
	Iat *int64 `json:"iat"`
}

// validate makes the checks whose failures deserve their own message before
// idtoken verifies the signature, so the caller learns "expired" rather
// than "invalid", and so idtoken never sees an algorithm it would mishandle.
func (g *Google) validate(ctx context.Context, token string, audiences []string) (*idtoken.Payload, error) {
	if len(audiences) == 0 || slices.Contains(audiences, "") {
		return nil, discreet.Errorf(discreet.EInternal, "no ID-token audience configured")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, unauthenticated("missing ID token")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, unauthenticated("malformed ID token")
	}
	var h header
	var c claims
	if decodeSegment(parts[0], &h) != nil || decodeSegment(parts[1], &c) != nil {
		return nil, unauthenticated("malformed ID token")
	}
	// Google signs ID tokens with RS256 only; "none", HS256 and ES256 (IAP)
	// are refused here.
	if h.Alg != "RS256" {
		return nil, unauthenticated("unsupported ID token algorithm")
	}
	if !slices.Contains(Issuers, c.Iss) {
		return nil, unauthenticated("wrong issuer")
	}
	aud, ok := c.Aud.(string)
	if !ok || !slices.Contains(audiences, aud) {
		return nil, unauthenticated("wrong audience")
	}
	now := g.now()
	if c.Exp == nil || now.Unix() > *c.Exp {
		return nil, unauthenticated("the ID token has expired")
	}
	if c.Iat != nil && time.Unix(*c.Iat, 0).After(now.Add(maxSkew)) {
		return nil, unauthenticated("the ID token is issued in the future")
	}
	p, err := g.v.Validate(ctx, token, aud)
	if err != nil {
		return nil, classify(err)
	}
	return p, nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// classify turns an idtoken error into a caller-safe one, keeping the cause
// for the logs.
func classify(err error) error {
	var ue *url.Error
	switch {
	case errors.Is(err, rsa.ErrVerification):
		return discreet.Wrap(err, discreet.EUnauthenticated, "invalid ID token signature")
	case strings.Contains(err.Error(), "could not find matching cert"):
		return discreet.Wrap(err, discreet.EUnauthenticated, "unknown ID token signing key")
	case errors.As(err, &ue), strings.Contains(err.Error(), "unable to retrieve cert"),
		errors.Is(err, context.DeadlineExceeded):
		e := discreet.Wrap(err, discreet.EUnavailable, "cannot fetch Google's signing keys")
		e.RetryAfter = 5 * time.Second
		return e
	case strings.Contains(err.Error(), "expired"):
		return discreet.Wrap(err, discreet.EUnauthenticated, "the ID token has expired")
	}
	return discreet.Wrap(err, discreet.EUnauthenticated, "invalid ID token")
}
