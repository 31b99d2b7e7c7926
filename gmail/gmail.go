// Package gmail reads a user's messages from the Gmail API with the
// caller's own tokens. It implements service.MessageSource; cmd wires it
// (service never imports this package).
package gmail

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Retry defaults: Gmail's 429s and 5xx are usually over within seconds; a
// rep waiting on the Log button should not wait much longer than that.
const (
	DefaultAttempts  = 4
	DefaultBaseDelay = 250 * time.Millisecond
	DefaultMaxWait   = 10 * time.Second
)

// Client reads raw messages from Gmail. Set its fields before first use;
// afterwards it is safe for concurrent use.
type Client struct {
	svc *gmailapi.Service
	err error // from building svc; returned by every call

	// Retry is the policy for 429, 5xx and network errors.
	Retry
}

var _ service.MessageSource = (*Client)(nil)

// New returns a client for the Gmail API at endpoint (Google's when "";
// DISCREET_GMAIL_ENDPOINT points it at a fake) using httpClient
// (http.DefaultClient when nil). The client adds the caller's tokens to
// each request itself, so httpClient must not add credentials of its own.
func New(endpoint string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	svc, err := NewService(endpoint, httpClient)
	return &Client{
		svc: svc, err: err,
		Retry: Retry{Attempts: DefaultAttempts, BaseDelay: DefaultBaseDelay, MaxWait: DefaultMaxWait, Sleep: sleep, Now: time.Now},
	}
}

// NewService builds the generated Gmail API client for endpoint (Google's
// when "") over httpClient, which must add no credentials: every caller
// sets each request's token itself (the user's, or the server's delegated
// one for capture).
func NewService(endpoint string, httpClient *http.Client) (*gmailapi.Service, error) {
	opts := []option.ClientOption{option.WithHTTPClient(httpClient)}
	if endpoint != "" {
		if !strings.HasSuffix(endpoint, "/") {
			endpoint += "/" // the generated client resolves "gmail/v1/…" against it
		}
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	return gmailapi.NewService(context.Background(), opts...)
}

// Raw returns message id of the caller's mailbox (users.messages.get,
// userId "me", format raw) as RFC 5322 bytes.
//
// Errors: permission_denied when Gmail refuses the token, not_found for an
// unknown id, rate_limited when Gmail still answers 429 after the retries,
// unavailable for 5xx, network errors and timeouts; the last two carry
// RetryAfter.
func (c *Client) Raw(ctx context.Context, tokens service.GmailTokens, id string) ([]byte, error) {
	if c.err != nil {
		return nil, discreet.Wrap(c.err, discreet.EInternal, "the Gmail client is misconfigured")
	}
	if strings.TrimSpace(tokens.OAuthToken) == "" {
		return nil, discreet.Errorf(discreet.EUnauthenticated, "reading a Gmail message needs the caller's Gmail OAuth token")
	}
	if strings.TrimSpace(id) == "" {
		return nil, discreet.FieldError("gmailMessageId", "is empty")
	}
	msg, err := Do(ctx, c.Retry, func() (*gmailapi.Message, error) { return c.get(ctx, tokens, id) },
		func(gerr *googleapi.Error) error { return c.final(gerr, id) })
	if err != nil {
		return nil, err
	}
	return decodeRaw(msg.Raw)
}

func (c *Client) get(ctx context.Context, tokens service.GmailTokens, id string) (*gmailapi.Message, error) {
	call := c.svc.Users.Messages.Get("me", id).Format("raw").Context(ctx)
	call.Header().Set("Authorization", "Bearer "+strings.TrimSpace(tokens.OAuthToken))
	if tokens.AccessToken != "" {
		call.Header().Set("X-Goog-Gmail-Access-Token", tokens.AccessToken)
	}
	return call.Do()
}

// final is the domain error for a Gmail answer that retrying cannot fix.
func (c *Client) final(gerr *googleapi.Error, id string) error {
	switch gerr.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return discreet.Wrap(gerr, discreet.EPermission, "Gmail refused the caller's token")
	case http.StatusNotFound:
		return discreet.Wrap(gerr, discreet.ENotFound, "Gmail has no message %q in the caller's mailbox", id)
	case http.StatusBadRequest:
		return &discreet.Error{Code: discreet.EInvalid, Field: "gmailMessageId",
			Message: "gmailMessageId: Gmail rejected the message id", Err: gerr}
	}
	return discreet.Wrap(gerr, discreet.EUnavailable, "Gmail answered %d", gerr.Code)
}

// decodeRaw decodes Gmail's base64url raw field (padded or not).
func decodeRaw(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if s == "" {
		return nil, discreet.Errorf(discreet.EUnavailable, "Gmail returned the message without its content")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "Gmail returned a message that is not base64url")
	}
	return b, nil
}
