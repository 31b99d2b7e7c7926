package store

import "context"

// EmailIDKeySize is the length of the key EmailIDKey returns.
const EmailIDKeySize = 32

// Secrets keeps the keys the service derives ids with. A key is made once,
// by whichever instance asks first, and every instance reads the same key
// from then on: it never changes, so callers may cache it for good. It
// lives with the data it keys and is backed up with it; a store restored
// without it gets a new key, and copies logged again after that become
// new records beside the old ones (stored ids are never recomputed, so
// nothing is lost).
type Secrets interface {
	// EmailIDKey returns the key that turns an email's identity into its
	// store id (policy.EmailID): EmailIDKeySize random bytes, created on
	// the first call. Concurrent first calls, on one instance or many,
	// all get the one key that was stored.
	EmailIDKey(ctx context.Context) ([]byte, error)
}
