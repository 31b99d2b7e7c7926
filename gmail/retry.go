package gmail

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/discreet-crm/discreet"
)

// Retry is how Discreet retries Gmail: 429, 5xx, Gmail's 403 quota errors
// and network errors are tried again with jittered exponential backoff, at
// least as long as Retry-After says, within a bounded number of attempts,
// a bounded total wait and the context's deadline. The zero value of a
// field means its default.
type Retry struct {
	// Attempts is how many times one call is tried.
	Attempts int
	// BaseDelay is the first backoff; it doubles per attempt, with jitter.
	BaseDelay time.Duration
	// MaxWait caps the total time spent sleeping between attempts; a
	// Retry-After beyond it ends the retries at once.
	MaxWait time.Duration
	// Sleep waits d or until ctx is done; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for HTTP-date Retry-After values and deadlines.
	Now func() time.Time
}

// Do runs call until it succeeds, fails for good, or the retries are
// spent. final turns a Gmail error that retrying cannot fix (401, 403, 404,
// 400…) into the domain error to return; a *discreet.Error from call is
// returned as it is. After the last retry the error is rate_limited (Gmail
// was still throttling) or unavailable, with RetryAfter set.
func Do[T any](ctx context.Context, r Retry, call func() (T, error), final func(*googleapi.Error) error) (T, error) {
	r = r.withDefaults()
	var zero T
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		out, err := call()
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return zero, timeout(ctx, err)
		}
		var de *discreet.Error
		if errors.As(err, &de) {
			return zero, err
		}
		var retryAfter time.Duration
		var gerr *googleapi.Error
		if errors.As(err, &gerr) { // anything else is network trouble: retry
			if !retryable(gerr) {
				return zero, final(gerr)
			}
			retryAfter = r.retryAfter(gerr.Header)
		}
		delay := max(r.backoff(attempt), retryAfter)
		deadline, hasDeadline := ctx.Deadline()
		if attempt >= r.Attempts || waited+delay > r.MaxWait ||
			hasDeadline && r.Now().Add(delay).After(deadline) {
			return zero, giveUp(err, max(delay, time.Second))
		}
		if err := r.Sleep(ctx, delay); err != nil {
			return zero, timeout(ctx, err)
		}
		waited += delay
	}
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultAttempts
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = DefaultBaseDelay
	}
	if r.MaxWait <= 0 {
		r.MaxWait = DefaultMaxWait
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// retryable reports the Gmail answers worth trying again.
func retryable(e *googleapi.Error) bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500 || e.Code == http.StatusForbidden && rateLimited(e)
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
func (r Retry) backoff(attempt int) time.Duration {
	d := r.BaseDelay << min(attempt-1, 16)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func (r Retry) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(r.Now()), 0)
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
