package policy

import "slices"

// SeesEveryEmail reports whether a viewer holding keys (ViewerAudience)
// reads every email on any timeline: an admin when adminsReadPrivate is
// on. Every email's audience holds that key, so such a viewer has nothing
// hidden, and a store need not count.
func SeesEveryEmail(keys []string) bool { return slices.ContainsFunc(keys, CarriedByEveryEmail) }

// CarriedByEveryEmail reports whether key is the one EmailAudience gives
// every email, whatever its visibility. A store may then answer that key
// from the timeline itself rather than keep an index entry per email for
// it; store.CheckAudience refuses any write whose keys lack it.
func CarriedByEveryEmail(key string) bool { return key == keyAll }
