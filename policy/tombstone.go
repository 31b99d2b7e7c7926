package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"

	"github.com/discreet-crm/discreet"
)

// MinTombstoneSecret is the least length, in bytes, of the org secret that
// keys tombstones. Without the secret a tombstone cannot be tested against
// a guessed address; it must therefore never leave the server, and never
// change: a tombstone made with another secret matches nothing.
const MinTombstoneSecret = 32

// TombstoneFor reads an erasure subject — an address, or a domain written
// as a Never Log entry is ("@example.com", "*@example.com", "example.com")
// — and returns its tombstone and the entry the erasure deletes by. The
// subject is normalized exactly as Never Log entries are, so every spelling
// of one mailbox has one tombstone.
func TombstoneFor(secret []byte, subject string) (discreet.Tombstone, Entry, error) {
	if len(secret) < MinTombstoneSecret {
		return discreet.Tombstone{}, Entry{}, errShortSecret()
	}
	e, err := ParseEntry(subject)
	if err != nil {
		return discreet.Tombstone{}, Entry{}, err
	}
	mac := hmac.New(sha256.New, secret)
	if e.Kind == KindDomain {
		return discreet.Tombstone{Hash: tombstoneHash(mac, discreet.TombstoneDomain, e.Value), Kind: discreet.TombstoneDomain}, e, nil
	}
	return discreet.Tombstone{Hash: tombstoneHash(mac, discreet.TombstoneAddress, e.Value), Kind: discreet.TombstoneAddress}, e, nil
}

func errShortSecret() error {
	return discreet.Errorf(discreet.EInternal, "the tombstone secret is shorter than %d bytes", MinTombstoneSecret)
}

// tombstoneHash is the hex HMAC-SHA256 of the kind and the normalized
// value. The kind is part of what is hashed, so an address and a domain
// can never share a tombstone. ErasedAddresses computes the same.
func tombstoneHash(mac hash.Hash, kind discreet.TombstoneKind, value string) string {
	mac.Reset()
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// Tombstones is a compiled set of an org's tombstones. It is immutable, so
// any number of goroutines may use it at once. A nil *Tombstones holds none
// and costs nothing.
type Tombstones struct {
	secret []byte
	hashes map[string]struct{}
	// domains: some tombstone may be a domain's, so the domains of an
	// address are hashed too.
	domains bool
}

// CompileTombstones builds the set. A tombstone of unknown kind is kept and
// treated as possibly a domain's: it is never dropped.
func CompileTombstones(secret []byte, ts []discreet.Tombstone) (*Tombstones, error) {
	if len(secret) < MinTombstoneSecret {
		return nil, errShortSecret()
	}
	t := &Tombstones{secret: slices.Clone(secret), hashes: make(map[string]struct{}, len(ts))}
	for _, x := range ts {
		t.hashes[x.Hash] = struct{}{}
		if x.Kind != discreet.TombstoneAddress {
			t.domains = true
		}
	}
	return t, nil
}

// Len is the number of distinct tombstones.
func (t *Tombstones) Len() int {
	if t == nil {
		return 0
	}
	return len(t.hashes)
}

// Erased reports whether a participant, or a domain one is at (parent
// domains included), has a tombstone, and which (its hash, never an
// address). A participant that does not read as an address counts by its
// lenient keys, as the Never Log List matches it: "lisa@mail_gw.x.example"
// is at x.example. One too broken to have any cannot be checked; the log
// decision refuses such an email (unreadable_participant).
func (t *Tombstones) Erased(ps []Participant) (hash string, ok bool) {
	if t.Len() == 0 {
		return "", false
	}
	addrs := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Address != "" {
			addrs = append(addrs, p.Address)
		} else {
			addrs = append(addrs, p.Lenient...)
		}
	}
	return t.ErasedAddresses(addrs)
}

// ErasedAddresses is Erased for normalized addresses: a stored email's
// participants, or a draft's recipients.
func (t *Tombstones) ErasedAddresses(addrs []string) (hash string, ok bool) {
	if t.Len() == 0 {
		return "", false
	}
	mac := hmac.New(sha256.New, t.secret)
	type key struct {
		kind discreet.TombstoneKind
		v    string
	}
	seen := make([]key, 0, len(addrs)*3)
	var sum [sha256.Size]byte
	var hexSum [2 * sha256.Size]byte
	probe := func(kind discreet.TombstoneKind, v string) bool {
		if slices.Contains(seen, key{kind, v}) {
			return false
		}
		seen = append(seen, key{kind, v})
		mac.Reset()
		mac.Write([]byte(kind))
		mac.Write([]byte{0})
		mac.Write([]byte(v))
		hex.Encode(hexSum[:], mac.Sum(sum[:0]))
		_, ok := t.hashes[string(hexSum[:])]
		return ok
	}
	for _, a := range addrs {
		if a == "" {
			continue
		}
		if probe(discreet.TombstoneAddress, a) {
			return string(hexSum[:]), true
		}
		if !t.domains {
			continue
		}
		for _, d := range DomainSuffixes(a) {
			if probe(discreet.TombstoneDomain, d) {
				return string(hexSum[:]), true
			}
		}
	}
	return "", false
}

// ErasedAddress is ErasedAddresses for one address.
func (t *Tombstones) ErasedAddress(addr string) (hash string, ok bool) {
	return t.ErasedAddresses([]string{addr})
}
