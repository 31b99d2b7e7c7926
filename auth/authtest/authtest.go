// Package authtest lets tests exercise the real Google ID-token validation
// with a test key: Sign makes tokens, and Client is an http.Client that
// serves the test key at Google's certificate URLs, where
// google.golang.org/api/idtoken fetches them.
package authtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/auth"
)

// CertsURL is where idtoken fetches the keys of RS256 Google ID tokens.
const CertsURL = "https://www.googleapis.com/oauth2/v3/certs"

// iapCertsURL is where idtoken fetches ES256 keys; served empty.
const iapCertsURL = "https://www.gstatic.com/iap/verify/public_key-jwk"

// KeyID is the kid of the test key.
const KeyID = "discreet-test-key"

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	otherK  *rsa.PrivateKey
)

// keys are generated once per test binary: RSA generation is slow under -race.
func keys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherK, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key, otherK
}

// Claims returns the claims of a valid Google ID token for email and
// audience, valid for an hour, as for a Workspace account of the address's
// domain (hd is that domain). Tests change or delete entries to forge.
func Claims(email, audience string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss":            "https://accounts.google.com",
		"aud":            audience,
		"azp":            audience,
		"sub":            "sub-" + email,
		"email":          email,
		"email_verified": true,
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
	}
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		c["hd"] = email[i+1:]
	}
	return c
}

// Token is Sign(Claims(email, audience)).
func Token(email, audience string) string { return Sign(Claims(email, audience)) }

// WorkspaceToken is a token of a Workspace account whose organization's
// domain (hd) is hostedDomain, which need not be the address's domain.
func WorkspaceToken(email, audience, hostedDomain string) string {
	c := Claims(email, audience)
	c["hd"] = hostedDomain
	return Sign(c)
}

// ConsumerToken is a token of a consumer Google account: no hd claim,
// whatever domain the address is at (anyone may register a Google account
// with an address they can receive mail at).
func ConsumerToken(email, audience string) string {
	c := Claims(email, audience)
	delete(c, "hd")
	return Sign(c)
}

// Sign returns claims as an RS256 JWT signed with the test key.
func Sign(claims map[string]any) string {
	k, _ := keys()
	return SignWith(k, map[string]any{"alg": "RS256", "typ": "JWT", "kid": KeyID}, claims)
}

// SignWrongKey signs claims with a key that is not published, under the
// test key's kid: a forged signature.
func SignWrongKey(claims map[string]any) string {
	_, o := keys()
	return SignWith(o, map[string]any{"alg": "RS256", "typ": "JWT", "kid": KeyID}, claims)
}

// Unsigned returns claims as an "alg":"none" JWT with an empty signature.
func Unsigned(claims map[string]any) string {
	return segment(map[string]any{"alg": "none", "typ": "JWT"}) + "." + segment(claims) + "."
}

// SignWith signs header and claims with k (RS256, whatever header says).
func SignWith(k *rsa.PrivateKey, header, claims map[string]any) string {
	signed := segment(header) + "." + segment(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func segment(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// JWKS is the test key set as Google publishes its own.
func JWKS() []byte {
	k, _ := keys()
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KeyID,
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}}})
	return b
}

// Client returns an http.Client that answers Google's certificate URLs with
// the test key set and refuses every other request.
func Client() *http.Client { return &http.Client{Transport: certs{}} }

type certs struct{}

func (certs) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	var body []byte
	switch r.URL.String() {
	case CertsURL:
		body = JWKS()
	case iapCertsURL:
		body = []byte(`{"keys":[]}`)
	default:
		return nil, fmt.Errorf("authtest: no route to %s", r.URL)
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Status:     "200 OK",
		Header:     http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"public, max-age=3600"}},
		Body:       io.NopCloser(strings.NewReader(string(body))),
		Request:    r,
	}, nil
}

// Verifier returns the real auth.Google verifier wired to Client.
func Verifier(t testing.TB) *auth.Google {
	t.Helper()
	g, err := auth.NewGoogle(context.Background(), Client())
	if err != nil {
		t.Fatal(err)
	}
	return g
}
