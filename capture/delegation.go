package capture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iamcredentials/v1"

	"github.com/discreet-crm/discreet"
)

// Scope is what the delegation must grant in the Admin console: reading
// raw messages (gmail.metadata cannot return format=raw).
const Scope = gmailapi.GmailReadonlyScope

// DefaultTokenURL is Google's OAuth token endpoint: where the assertion is
// exchanged, and so its audience.
const DefaultTokenURL = "https://oauth2.googleapis.com/token"

// Token lifetimes: an assertion is asked for an hour, the longest Google
// grants; a cached token is replaced a few minutes before it ends, so a
// Gmail call and its retries never run on an expiring one.
const (
	assertionLifetime = time.Hour
	refreshBefore     = 5 * time.Minute
)

// Delegation configures keyless domain-wide delegation: the server's own
// service account signs the assertion through the IAM Credentials API
// (signJwt on itself, so no key file exists anywhere) and exchanges it at
// the token endpoint for a token that acts as the user.
type Delegation struct {
	// ServiceAccount is the email of the account the server runs as (App
	// Engine's default) whose client ID the Admin console grants Scope. It
	// needs roles/iam.serviceAccountTokenCreator on itself.
	ServiceAccount string
	// IAM signs the assertions; nil builds a client with the Application
	// Default Credentials (on App Engine: the service account itself).
	IAM *iamcredentials.Service
	// TokenURL is where assertions are exchanged; "" is DefaultTokenURL.
	TokenURL string
	// HTTPClient makes the exchange; nil is a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock of the assertion and of the cache; nil is time.Now.
	Now func() time.Time
}

// DelegatedTokens returns Tokens that act as each user by domain-wide
// delegation, without a key. Tokens are cached per user in this instance
// until shortly before they expire; one exchange per user runs at a time,
// and the others wait for it (or for their own deadline).
//
// Errors: permission_denied naming the user when the token endpoint
// refuses the assertion (4xx: delegation not granted for the scope, no
// such or a suspended user), unavailable for its 5xx and network errors,
// internal when the service account cannot sign for itself (a missing IAM
// role: an operator problem that retrying after the fix resolves).
func DelegatedTokens(ctx context.Context, d Delegation) (Tokens, error) {
	d.ServiceAccount = strings.TrimSpace(d.ServiceAccount)
	if d.ServiceAccount == "" {
		return nil, errors.New("capture: Delegation.ServiceAccount is required")
	}
	if d.TokenURL == "" {
		d.TokenURL = DefaultTokenURL
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IAM == nil {
		svc, err := iamcredentials.NewService(ctx)
		if err != nil {
			return nil, fmt.Errorf("capture: the IAM Credentials client: %w", err)
		}
		d.IAM = svc
	}
	del := &delegator{cfg: d}
	return del.token, nil
}

type delegator struct {
	cfg   Delegation
	users sync.Map // user → *userToken
}

// userToken is one user's cached token. lock is a one-slot semaphore, so
// a waiting caller can give up when its request ends.
type userToken struct {
	lock chan struct{}
	tok  *oauth2.Token
}

func (d *delegator) token(ctx context.Context, user string) (string, error) {
	v, _ := d.users.LoadOrStore(user, &userToken{lock: make(chan struct{}, 1)})
	u := v.(*userToken)
	select {
	case u.lock <- struct{}{}:
	case <-ctx.Done():
		return "", discreet.Wrap(ctx.Err(), discreet.EUnavailable, "gave up waiting for %s's Gmail token", user)
	}
	defer func() { <-u.lock }()
	now := d.cfg.Now()
	if u.tok != nil && now.Add(refreshBefore).Before(u.tok.Expiry) {
		return u.tok.AccessToken, nil
	}
	tok, err := d.exchange(ctx, user, now)
	if err != nil {
		return "", err
	}
	u.tok = tok
	return tok.AccessToken, nil
}

// assertion is the JWT claim set of the jwt-bearer grant (RFC 7523) as
// Google reads it for domain-wide delegation.
type assertion struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

func (d *delegator) exchange(ctx context.Context, user string, now time.Time) (*oauth2.Token, error) {
	claims, err := json.Marshal(assertion{
		Iss: d.cfg.ServiceAccount, Sub: user, Scope: Scope, Aud: d.cfg.TokenURL,
		Iat: now.Unix(), Exp: now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot encode the delegation assertion")
	}
	signed, err := d.cfg.IAM.Projects.ServiceAccounts.SignJwt("projects/-/serviceAccounts/"+d.cfg.ServiceAccount,
		&iamcredentials.SignJwtRequest{Payload: string(claims)}).Context(ctx).Do()
	if err != nil {
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code >= 400 && gerr.Code < 500 && gerr.Code != http.StatusTooManyRequests {
			return nil, discreet.Wrap(err, discreet.EInternal,
				"%s cannot sign for itself: grant it roles/iam.serviceAccountTokenCreator on itself (docs/CAPTURE.md)", d.cfg.ServiceAccount)
		}
		return nil, unavailable(err, 5*time.Second, "cannot sign the delegation assertion for %s", user)
	}

	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {signed.SignedJwt},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot build the token request")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, unavailable(err, 5*time.Second, "cannot get a Gmail token for %s", user)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, unavailable(err, 5*time.Second, "cannot get a Gmail token for %s", user)
	}
	if resp.StatusCode != http.StatusOK {
		re := &oauth2.RetrieveError{Response: resp, Body: body}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) == nil {
			re.ErrorCode, re.ErrorDescription = e.Error, e.Description
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return nil, unavailable(re, 5*time.Second, "cannot get a Gmail token for %s (the token endpoint answered %d)", user, resp.StatusCode)
		}
		// unauthorized_client: delegation not granted for the scope;
		// invalid_grant: no such (or a suspended) user.
		return nil, discreet.Wrap(re, discreet.EPermission, "domain-wide delegation does not reach %s's mailbox (%s)", user, e.Error)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, unavailable(err, 5*time.Second, "the token endpoint answered without a token for %s", user)
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = int64(assertionLifetime / time.Second)
	}
	return &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType,
		Expiry: now.Add(time.Duration(tr.ExpiresIn) * time.Second)}, nil
}
