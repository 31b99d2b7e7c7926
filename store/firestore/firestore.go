package firestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// Collection and document names; the layout is described in doc.go.
const (
	colConfig       = "config"
	docOrg          = "org"
	docNeverLog     = "neverLog"
	colUsers        = "users"
	colUserSettings = "userSettings"
	colTeams        = "teams"
	colNeverLog     = "neverLog"
	colEntries      = "entries"
	colPatterns     = "patterns"
	colContacts     = "contacts"
	colTimeline     = "timeline"
	colEmails       = "emails"
	colIntents      = "intents"
	colAudit        = "audit"
)

// maxTxAttempts is how often a contended transaction is tried. Fifty
// concurrent LogEmail calls of one email all contend on one document; the
// client backs off exponentially between attempts.
const maxTxAttempts = 50

// maxAudienceKeys is Firestore's limit on the values of one
// array-contains-any filter: the most audience keys a timeline query may
// present. policy keeps every viewer within it (TestViewerKeysFit).
const maxAudienceKeys = 30

// maxWrites keeps a transaction within Firestore's historical limit of 500
// writes per commit (the emulator still enforces it).
const maxWrites = 500

// Store is a store.Store on Cloud Firestore (native mode).
type Store struct {
	c *firestore.Client
	// neverLogReadHook, when set (tests only, see export_test.go), runs
	// inside NeverLog between reading the entries and the version.
	neverLogReadHook func(scope string)
}

var _ store.Store = (*Store)(nil)

// New connects to Firestore in projectID. With FIRESTORE_EMULATOR_HOST set
// the client talks to the emulator instead, without credentials.
func New(ctx context.Context, projectID string, opts ...option.ClientOption) (*Store, error) {
	c, err := firestore.NewClient(ctx, projectID, opts...)
	if err != nil {
		return nil, wrap(err, "cannot connect to Firestore")
	}
	return &Store{c: c}, nil
}

// Client is the underlying Firestore client, for tools and tests.
func (s *Store) Client() *firestore.Client { return s.c }

// Close releases the client's connections.
func (s *Store) Close() error { return s.c.Close() }

// Ping reads one small document; a missing one is an answer too.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.c.Collection(colConfig).Doc(docOrg).Get(ctx)
	if err != nil && status.Code(err) != codes.NotFound {
		return wrap(err, "Firestore does not answer")
	}
	return nil
}

func (s *Store) tx(ctx context.Context, f func(context.Context, *firestore.Transaction) error) error {
	return s.c.RunTransaction(ctx, f, firestore.MaxAttempts(maxTxAttempts))
}

// wrap maps a Firestore, gRPC or context error to a *discreet.Error whose
// message is msg; a *discreet.Error passes through unchanged.
func wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	var de *discreet.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return discreet.Wrap(err, discreet.EUnavailable, "%s: the request was cancelled or timed out", msg)
	}
	code := discreet.EInternal
	switch status.Code(err) {
	case codes.NotFound:
		code = discreet.ENotFound
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		// Aborted reaches us only after the transaction's retries ran out.
		code = discreet.EConflict
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Canceled:
		code = discreet.EUnavailable
	case codes.InvalidArgument:
		code = discreet.EInvalid
	case codes.PermissionDenied, codes.Unauthenticated:
		// The server's own identity lacks rights: an operator problem,
		// not the caller's.
		code = discreet.EInternal
	}
	return discreet.Wrap(err, code, "%s", msg)
}

func notFound(what string) error {
	return discreet.Errorf(discreet.ENotFound, "the %s does not exist", what)
}

func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }

// readDoc reads the document ref into a T; found is false when it does not
// exist. Other failures say "cannot read the <what>".
func readDoc[T any](ctx context.Context, ref *firestore.DocumentRef, what string) (d T, found bool, err error) {
	snap, err := ref.Get(ctx)
	if isNotFound(err) {
		return d, false, nil
	}
	if err == nil {
		err = snap.DataTo(&d)
	}
	if err != nil {
		return d, false, wrap(err, "cannot read the "+what)
	}
	return d, true, nil
}

// getDoc is readDoc where a missing document is not_found ("the <what>
// does not exist").
func getDoc[T any](ctx context.Context, ref *firestore.DocumentRef, what string) (T, error) {
	d, found, err := readDoc[T](ctx, ref, what)
	if err == nil && !found {
		err = notFound(what)
	}
	return d, err
}

// txDoc is getDoc inside a transaction: the document decoded, or
// not_found ("the <what> does not exist"); other errors as tx.Get gives
// them, for the transaction to retry or return.
func txDoc[T any](tx *firestore.Transaction, ref *firestore.DocumentRef, what string) (T, error) {
	var d T
	snap, err := tx.Get(ref)
	if isNotFound(err) {
		return d, notFound(what)
	}
	if err != nil {
		return d, err
	}
	err = snap.DataTo(&d)
	return d, err
}

// docID turns a key (an address, a team id, an entry id) into a valid
// document id, reversibly: '%' and '/' are percent-encoded, and so is what
// Firestore reserves ("." and "..", ids of the form __x__). Every document
// also stores its key as a field, so nothing ever needs to decode an id.
func docID(field, key string) (string, error) {
	if key == "" {
		return "", discreet.FieldError(field, "is required")
	}
	id := strings.NewReplacer("%", "%25", "/", "%2F").Replace(key)
	switch {
	case id == ".":
		id = "%2E"
	case id == "..":
		id = "%2E%2E"
	case strings.HasPrefix(id, "__"):
		id = "%5F" + id[1:]
	}
	if len(id) > 1500 {
		return "", discreet.FieldError(field, "is too long")
	}
	return id, nil
}

// mustDocID is docID for keys already validated or made by this package.
func mustDocID(key string) string {
	id, err := docID("key", key)
	if err != nil {
		panic(fmt.Sprintf("firestore: invalid key %q: %v", key, err))
	}
	return id
}

// Times are stored as fixed-width UTC text (as store.SortKey): exact to the
// nanosecond, where a Firestore timestamp keeps microseconds, and ordered
// as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
