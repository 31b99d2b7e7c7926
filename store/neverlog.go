package store

// NeverLogRecent bounds the changes NeverLogChanges carries. A change is
// an id and a pattern (about 100 bytes), so the version document stays
// small enough to be read by every decision.
const NeverLogRecent = 256

// NeverLogChanges is the org Never Log List's version and its most recent
// changes. An instance whose compiled list is at version v with Since <= v
// becomes exact by applying the Changes after v, without reading the list;
// an instance further behind must read the whole list (NeverLog).
type NeverLogChanges struct {
	// Version moves on every change of the org list.
	Version int64
	// Since: Changes holds every change of every version after Since, up
	// to Version. Since == Version when the last change was too large to
	// record (an import of more than NeverLogRecent entries).
	Since int64
	// Changes are oldest first.
	Changes []NeverLogChange
	// Tombstones is the erasure tombstones' version (TombstoneVersion),
	// read with the Never Log version: one read tells a decision whether
	// either list moved.
	Tombstones int64
	// Rules is the sensitivity rules' version (RulesVersion), read with
	// the Never Log version for the same reason.
	Rules int64
	// Protected is the protected contacts' version (ProtectedVersion),
	// likewise: a decision learns from this one read whether the set it
	// compiled is still the org's.
	Protected int64
}

// Covers reports whether Changes hold every change after version v: a
// list compiled at v becomes exact by applying them. Every version records
// at least one change, so a version without any (written by a release
// that did not record changes, or trimmed) means the record is incomplete.
func (c NeverLogChanges) Covers(v int64) bool {
	if v < c.Since || v > c.Version {
		return false
	}
	next := v + 1
	for _, ch := range c.Changes {
		switch {
		case ch.Version < next:
		case ch.Version == next:
			next++
		default:
			return false
		}
	}
	return next > c.Version
}

// NeverLogChange is one entry added to or removed from the org list.
type NeverLogChange struct {
	Version int64
	Removed bool // false: added
	ID      string
	Pattern string
}

// AppendNeverLogChanges returns the recent changes after one more version
// made of changes, trimmed to NeverLogRecent by dropping whole versions,
// oldest first; adapters call it inside the transaction that changes the
// list.
func AppendNeverLogChanges(prev NeverLogChanges, changes []NeverLogChange) NeverLogChanges {
	v := prev.Version + 1
	out := NeverLogChanges{Version: v, Since: prev.Since}
	if len(changes) > NeverLogRecent {
		out.Since = v
		return out
	}
	all := make([]NeverLogChange, 0, len(prev.Changes)+len(changes))
	all = append(all, prev.Changes...)
	for _, c := range changes {
		c.Version = v
		all = append(all, c)
	}
	for len(all) > NeverLogRecent {
		// Drop the oldest version whole: a version is either fully
		// recorded or not at all.
		oldest := all[0].Version
		i := 0
		for i < len(all) && all[i].Version == oldest {
			i++
		}
		all = all[i:]
		out.Since = oldest
	}
	out.Changes = all
	return out
}
