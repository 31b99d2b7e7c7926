package sqlite

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// What the store keeps in memory between requests, and how long it may be
// stale: not at all.
//
// Every request reads the caller's user, the org's settings, the caller's
// settings and the Never Log List's version (with the tombstones'); each read of a reader
// connection after a write starts from an empty page cache (SQLite resets
// it when the file changed since the connection's last read), so during
// ingest each of these small reads cost some ten microseconds of page
// reads. They are kept here instead, in memos, each tagged with the
// version of the tables it was read from.
//
// The versions move exactly when those tables change: every statement the
// writer runs is classified when it is prepared by the table it writes
// (writeMask), and the writer moves the versions of every table its group
// wrote after the group's COMMIT and before it answers a single caller of
// the group. So:
//
//   - a change is seen by every read that starts after the write that made
//     it returned (PutUser demoting an admin, say, is in force for the
//     next request): the bound is zero, the same as reading the file;
//   - a read running alongside the write sees the old or the new value,
//     as a read of the file would;
//   - a memo loads its version before it reads, so a value read while a
//     write committed is tagged with the older version and never served.
//
// This holds because this process's writer is the only one: Open takes an
// exclusive lock on the data directory (lock_unix.go), so no other process
// can change the file behind the memos; where no lock can be had the memos
// are off. TestMemoSeesEveryChange checks the bound.

// cached tables: a bit each.
const (
	tabUsers = 1 << iota
	tabOrgSettings
	tabUserSettings
	tabCounters
	tabNeverLogChanges
	tabTombstones
	tabLegacyIDs
	tabCount = iota
	tabAll   = 1<<tabCount - 1
)

var cachedTables = map[string]uint32{
	"users": tabUsers, "org_settings": tabOrgSettings, "user_settings": tabUserSettings,
	"counters": tabCounters, "never_log_changes": tabNeverLogChanges,
	"tombstones": tabTombstones, "legacy_ids": tabLegacyIDs,
}

var writeTarget = regexp.MustCompile(`(?is)^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+(\w+)`)

// writeMask is the cached tables a statement may change: the table it
// inserts into, updates or deletes from; every table for anything it
// cannot tell (DDL, a script); none for reads and transaction control.
func writeMask(query string) uint32 {
	if m := writeTarget.FindStringSubmatch(query); m != nil {
		return cachedTables[strings.ToLower(m[1])]
	}
	first := strings.ToUpper(strings.Fields(query + " x")[0])
	switch first {
	case "SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END":
		return 0
	}
	return tabAll
}

// versions are the cached tables' versions; see above.
type versions struct {
	v [tabCount]atomic.Uint64
}

// bump moves the version of every table in mask.
func (vs *versions) bump(mask uint32) {
	for i := range vs.v {
		if mask&(1<<i) != 0 {
			vs.v[i].Add(1)
		}
	}
}

// of is one number that moves whenever a table in mask changes.
func (vs *versions) of(mask uint32) uint64 {
	var sum uint64
	for i := range vs.v {
		if mask&(1<<i) != 0 {
			sum += vs.v[i].Load()
		}
	}
	return sum
}

// maxMemo bounds a memo; past it the memo starts over.
const maxMemo = 10000

// memo keeps values read from the tables in deps, by key.
type memo[K comparable, V any] struct {
	vs   *versions
	deps uint32
	off  bool // no exclusive lock: never serve
	mu   sync.Mutex
	m    map[K]memoEntry[V]
}

type memoEntry[V any] struct {
	version uint64
	val     V
}

func newMemo[K comparable, V any](vs *versions, deps uint32, off bool) *memo[K, V] {
	return &memo[K, V]{vs: vs, deps: deps, off: off, m: map[K]memoEntry[V]{}}
}

// get returns the value of key, from memory when the tables have not
// changed since it was read, else from load (which must not change what
// it returns later: get hands out what it keeps, so load returns values
// that nobody else holds, and callers get copies via the clone they pass).
func (m *memo[K, V]) get(key K, load func() (V, error), clone func(V) V) (V, error) {
	v := m.vs.of(m.deps)
	if !m.off {
		m.mu.Lock()
		e, ok := m.m[key]
		m.mu.Unlock()
		if ok && e.version == v {
			return clone(e.val), nil
		}
	}
	val, err := load()
	if err != nil || m.off {
		return val, err
	}
	m.mu.Lock()
	if len(m.m) >= maxMemo {
		clear(m.m)
	}
	m.m[key] = memoEntry[V]{version: v, val: val}
	m.mu.Unlock()
	return clone(val), nil
}
