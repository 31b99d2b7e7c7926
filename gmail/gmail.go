// Package gmail reads a user's messages from the Gmail API with the
// caller's own tokens. It implements service.MessageSource; cmd wires it
// (service never imports this package).
package gmail

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
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

	// Attempts is how many times one read is tried (429, 5xx and network
	// errors are retried).
	Attempts int
	// BaseDelay is the first backoff; it doubles per attempt, with jitter.
	BaseDelay time.Duration
	// MaxWait caps the total time spent sleeping between attempts; a
	// Retry-After beyond it ends the retries at once.
	MaxWait time.Duration
	// Sleep waits d or until ctx is done; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for HTTP-date Retry-After values.
	Now func() time.Time
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
	opts := []option.ClientOption{option.WithHTTPClient(httpClient)}
	if endpoint != "" {
		if !strings.HasSuffix(endpoint, "/") {
			endpoint += "/" // the generated client resolves "gmail/v1/…" against it
		}
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	svc, err := gmailapi.NewService(context.Background(), opts...)
	return &Client{
		svc: svc, err: err,
		Attempts: DefaultAttempts, BaseDelay: DefaultBaseDelay, MaxWait: DefaultMaxWait,
		Sleep: sleep, Now: time.Now,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	attempts := max(c.Attempts, 1)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		msg, err := c.get(ctx, tokens, id)
		if err == nil {
			return decodeRaw(msg.Raw)
		}
		if ctx.Err() != nil {
			return nil, timeout(ctx, err)
		}
		retryAfter, final := c.classify(err, id)
		if final != nil {
			return nil, final
		}
		delay := c.backoff(attempt)
		if retryAfter > delay {
			delay = retryAfter
		}
		deadline, hasDeadline := ctx.Deadline()
		if attempt >= attempts || waited+delay > c.MaxWait ||
			hasDeadline && c.Now().Add(delay).After(deadline) {
			return nil, giveUp(err, max(delay, time.Second))
		}
		if err := c.Sleep(ctx, delay); err != nil {
			return nil, timeout(ctx, err)
		}
		waited += delay
	}
}

func (c *Client) get(ctx context.Context, tokens service.GmailTokens, id string) (*gmailapi.Message, error) {
	call := c.svc.Users.Messages.Get("me", id).Format("raw").Context(ctx)
	call.Header().Set("Authorization", "Bearer "+strings.TrimSpace(tokens.OAuthToken))
	if tokens.AccessToken != "" {
		call.Header().Set("X-Goog-Gmail-Access-Token", tokens.AccessToken)
	}
	return call.Do()
}

// classify returns the Retry-After hint of a retryable error, or the final
// error for one that retrying cannot fix.
func (c *Client) classify(err error, id string) (time.Duration, error) {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return 0, nil // network trouble: retry
	}
	switch {
	case gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500 || gerr.Code == http.StatusForbidden && rateLimited(gerr):
		return c.retryAfter(gerr.Header), nil
	case gerr.Code == http.StatusUnauthorized || gerr.Code == http.StatusForbidden:
		return 0, discreet.Wrap(err, discreet.EPermission, "Gmail refused the caller's token")
	case gerr.Code == http.StatusNotFound:
		return 0, discreet.Wrap(err, discreet.ENotFound, "Gmail has no message %q in the caller's mailbox", id)
	case gerr.Code == http.StatusBadRequest:
		return 0, &discreet.Error{Code: discreet.EInvalid, Field: "gmailMessageId",
			Message: "gmailMessageId: Gmail rejected the message id", Err: err}
	default:
		return 0, discreet.Wrap(err, discreet.EUnavailable, "Gmail answered %d", gerr.Code)
	}
}

// rateLimited reports Gmail's quota errors, which come as 403 with a
// rate-limit reason rather than as 429.
func rateLimited(e *googleapi.Error) bool {
	for _, it := range e.Errors {
		switch it.Reason {
		case "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded":
			return true
		}
	}
	return false
}

// backoff is the full-jitter exponential delay before attempt+1: a random
// duration in [d/2, d] where d = BaseDelay·2^(attempt-1).
func (c *Client) backoff(attempt int) time.Duration {
	d := c.BaseDelay << min(attempt-1, 16)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(c.Now()), 0)
	}
	return 0
}

// giveUp is the error after the last retry: rate_limited when Gmail was
// still throttling, unavailable otherwise; both say when to try again.
func giveUp(err error, retryAfter time.Duration) error {
	retryAfter = retryAfter.Round(time.Second)
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && (gerr.Code == http.StatusTooManyRequests || gerr.Code == http.StatusForbidden) {
		return &discreet.Error{Code: discreet.ERateLimited, RetryAfter: retryAfter, Err: err,
			Message: "Gmail is limiting requests for this mailbox; try again shortly"}
	}
	return &discreet.Error{Code: discreet.EUnavailable, RetryAfter: retryAfter, Err: err,
		Message: "Gmail is not answering; try again shortly"}
}

func timeout(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	return &discreet.Error{Code: discreet.EUnavailable, RetryAfter: time.Second, Err: err,
		Message: "Gmail did not answer in time"}
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
