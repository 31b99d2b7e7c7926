package capture

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// maxPushBytes caps a push body; Gmail's notifications are tiny.
const maxPushBytes = 64 << 10

// Notification is what Gmail publishes when a watched mailbox changes.
type Notification struct {
	EmailAddress string
	HistoryID    uint64
}

// Push is a decoded Pub/Sub push request.
type Push struct {
	MessageID    string
	Subscription string
	Notification Notification
}

// errPoison marks a push whose content can never be processed: it is
// acknowledged (204) and logged, because Pub/Sub would redeliver it until
// the message expires (7 days) whatever we answer otherwise.
var errPoison = errors.New("poison push message")

// DecodePush reads a Pub/Sub push body carrying a Gmail notification:
// {"message":{"data":base64({"emailAddress","historyId"}),"messageId"},"subscription"}.
// Unknown fields are allowed (Pub/Sub adds attributes, publishTime and
// deliveryAttempt).
func DecodePush(body []byte) (Push, error) {
	var env struct {
		Message *struct {
			Data       string `json:"data"`
			MessageID  string `json:"messageId"`
			MessageID2 string `json:"message_id"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Push{}, fmt.Errorf("%w: the body is not a Pub/Sub push envelope: %v", errPoison, err)
	}
	if env.Message == nil {
		return Push{}, fmt.Errorf("%w: the envelope has no message", errPoison)
	}
	p := Push{MessageID: env.Message.MessageID, Subscription: env.Subscription}
	if p.MessageID == "" {
		p.MessageID = env.Message.MessageID2
	}
	data, err := base64.StdEncoding.DecodeString(env.Message.Data)
	if err != nil {
		data, err = base64.URLEncoding.DecodeString(env.Message.Data)
	}
	if err != nil || len(data) == 0 {
		return p, fmt.Errorf("%w: message.data is not base64 of a notification", errPoison)
	}
	var n struct {
		EmailAddress string          `json:"emailAddress"`
		HistoryID    json.RawMessage `json:"historyId"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		return p, fmt.Errorf("%w: message.data is not a Gmail notification: %v", errPoison, err)
	}
	addr, err := policy.NormalizeAddress(n.EmailAddress)
	if err != nil {
		return p, fmt.Errorf("%w: emailAddress: %v", errPoison, err)
	}
	// Gmail sends historyId as a JSON number; accept a string too.
	id, err := strconv.ParseUint(string(bytes.Trim(n.HistoryID, `"`)), 10, 64)
	if err != nil || id == 0 {
		return p, fmt.Errorf("%w: historyId %s is not a positive integer", errPoison, n.HistoryID)
	}
	p.Notification = Notification{EmailAddress: addr, HistoryID: id}
	return p, nil
}

// handlePush is POST /v1/gmail/push. It answers 204 when the notification
// is handled or dropped for good, 401 for a token that is not the push
// subscription's, and 503 (Pub/Sub redelivers) when work is left.
func (c *Capture) handlePush(ec echo.Context) error {
	r := ec.Request()
	ctx := r.Context()
	if err := c.verifyPush(ctx, r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(ec.Response(), r.Body, maxPushBytes))
	if err != nil {
		c.log.ErrorContext(ctx, "dropping a Gmail push whose body cannot be read", "err", err)
		return ec.NoContent(http.StatusNoContent)
	}
	p, err := DecodePush(body)
	if err != nil {
		c.log.ErrorContext(ctx, "dropping an undecodable Gmail push", "messageId", p.MessageID, "subscription", p.Subscription, "err", err)
		return ec.NoContent(http.StatusNoContent)
	}
	if c.gmail == nil {
		c.log.WarnContext(ctx, "dropping a Gmail push: "+c.Status().Detail, "messageId", p.MessageID)
		return ec.NoContent(http.StatusNoContent)
	}
	if err := c.Notify(ctx, p.Notification); err != nil {
		if errors.Is(err, errPoison) {
			c.log.WarnContext(ctx, "dropping a Gmail push", "messageId", p.MessageID, "user", p.Notification.EmailAddress, "err", err)
			return ec.NoContent(http.StatusNoContent)
		}
		c.log.WarnContext(ctx, "Gmail push not finished; Pub/Sub will redeliver", "messageId", p.MessageID,
			"user", p.Notification.EmailAddress, "err", err)
		return err
	}
	return ec.NoContent(http.StatusNoContent)
}

// verifyPush checks the OIDC token Pub/Sub attaches to each push.
func (c *Capture) verifyPush(ctx context.Context, r *http.Request) error {
	if c.cfg.Verifier == nil || c.cfg.PushAudience == "" || c.cfg.PushServiceAccount == "" {
		return discreet.Errorf(discreet.EUnavailable, "Gmail push is not configured (DISCREET_PUSH_AUDIENCE, DISCREET_PUSH_SA)")
	}
	token, ok := auth.Bearer(r)
	if !ok {
		return discreet.Errorf(discreet.EUnauthenticated, "missing bearer token")
	}
	id, err := c.cfg.Verifier.Verify(ctx, token, c.cfg.PushAudience)
	if err != nil {
		return err
	}
	if id.Email != c.cfg.PushServiceAccount {
		return discreet.Errorf(discreet.EUnauthenticated, "the token is not the push subscription's service account")
	}
	return nil
}

// Notify captures the sent mail a Gmail notification announces. It
// returns nil when everything up to the notification is captured (or was
// before), an error wrapping errPoison when the notification can never be
// processed, and any other error when it should be retried.
func (c *Capture) Notify(ctx context.Context, n Notification) error {
	if c.gmail == nil {
		return discreet.Errorf(discreet.EUnavailable, "%s", c.Status().Detail)
	}
	user, err := c.cfg.Store.User(ctx, n.EmailAddress)
	if discreet.ErrorCode(err) == discreet.ENotFound {
		return fmt.Errorf("%w: %s is not a user of this org", errPoison, n.EmailAddress)
	}
	if err != nil {
		return unavailable(err, time.Second, "cannot read the user")
	}
	defer c.lock(user.Email)()

	w, err := c.cfg.Store.WatchState(ctx, user.Email)
	if err != nil && discreet.ErrorCode(err) != discreet.ENotFound {
		return unavailable(err, time.Second, "cannot read the Gmail watch")
	}
	if w.HistoryID == 0 {
		// Capture starts now; mail sent before is not backfilled.
		if _, err := c.cfg.Store.AdvanceHistory(ctx, user.Email, n.HistoryID, c.now()); err != nil {
			return unavailable(err, time.Second, "cannot save the Gmail history id")
		}
		c.log.InfoContext(ctx, "sent-mail capture starts", "user", user.Email, "historyId", n.HistoryID)
		return nil
	}
	if n.HistoryID <= w.HistoryID {
		return nil // a duplicate, or older than what is captured
	}

	ids, latest, err := c.gmail.sentSince(ctx, user.Email, w.HistoryID)
	if discreet.ErrorCode(err) == discreet.ENotFound {
		since := w.HistoryAt
		if since.IsZero() {
			since = w.RenewedAt
		}
		since = since.Add(-time.Hour) // mail in flight while the id was saved
		c.log.WarnContext(ctx, "Gmail history id expired; reading recent sent mail instead",
			"user", user.Email, "historyId", w.HistoryID, "since", since, "max", c.cfg.FallbackMessages)
		ids, latest, err = c.gmail.recentSent(ctx, user.Email, since, c.cfg.FallbackMessages)
	}
	if err != nil {
		if code := discreet.ErrorCode(err); code == discreet.EPermission || code == discreet.EInvalid {
			return fmt.Errorf("%w: Gmail refuses reading %s's mailbox: %v", errPoison, user.Email, err)
		}
		return unavailable(err, 5*time.Second, "cannot read Gmail history")
	}

	var pending error
	for _, id := range ids {
		if err := c.captureOne(ctx, user, id); err != nil {
			pending = err
			// Keep going: other messages need not wait for this one.
		}
	}
	if pending != nil {
		return unavailable(pending, 5*time.Second, "some sent mail is not captured yet")
	}
	if _, err := c.cfg.Store.AdvanceHistory(ctx, user.Email, max(latest, n.HistoryID), c.now()); err != nil {
		return unavailable(err, time.Second, "cannot save the Gmail history id")
	}
	return nil
}

// permanent reports errors that capturing the same message again cannot
// fix; the message is then skipped for good.
func permanent(err error) bool {
	switch discreet.ErrorCode(err) {
	case discreet.EInvalid, discreet.EPermission, discreet.ENotFound, discreet.ETooLarge, discreet.EUnsupported:
		return true
	}
	return false
}

// captureOne claims, reads and logs one sent message; it returns an error
// only when the message must be tried again.
func (c *Capture) captureOne(ctx context.Context, user discreet.User, id string) error {
	claim, err := c.cfg.Store.ClaimMessage(ctx, user.Email, id, c.now(), c.cfg.Lease)
	if err != nil {
		return err
	}
	switch claim {
	case store.ClaimDone:
		return nil
	case store.ClaimHeld:
		return discreet.Errorf(discreet.EUnavailable, "message %s is being captured by another worker", id)
	}
	done := false
	defer func() {
		// Release even when the request was cancelled, so a retry need not
		// wait for the lease to end.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := c.cfg.Store.ReleaseMessage(rctx, user.Email, id, done, c.now()); err != nil {
			c.log.WarnContext(ctx, "cannot release a captured message claim", "user", user.Email, "gmailMessageId", id, "done", done, "err", err)
		}
	}()

	raw, err := c.gmail.raw(ctx, user.Email, id)
	if err == nil {
		var res resultSummary
		res, err = c.log1(ctx, user, raw, id)
		if err == nil {
			c.log.InfoContext(ctx, "captured a sent message", "user", user.Email, "gmailMessageId", id,
				"logged", res.logged, "reason", res.reason, "created", res.created, "source", res.source)
			done = true
			return nil
		}
	}
	if permanent(err) {
		c.log.WarnContext(ctx, "skipping a sent message that cannot be captured", "user", user.Email, "gmailMessageId", id, "err", err)
		done = true
		return nil
	}
	return err
}

type resultSummary struct {
	logged, created bool
	reason, source  string
}

// log1 runs the one service path that logs (policy decision, intent).
func (c *Capture) log1(ctx context.Context, user discreet.User, raw []byte, id string) (resultSummary, error) {
	res, err := c.cfg.Service.CaptureSent(ctx, user, raw, id)
	if err != nil {
		return resultSummary{}, err
	}
	s := resultSummary{logged: res.Decision.Logged, created: res.Created, reason: string(res.Decision.Reason)}
	if res.Email != nil {
		s.source = string(res.Email.Source)
	}
	return s, nil
}
