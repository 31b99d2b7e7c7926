package policy

import "slices"

// SeesEveryEmail reports whether a viewer holding keys (ViewerAudience)
// reads every email on any timeline: an admin when adminsReadPrivate is
// on. Every email's audience holds that key, so such a viewer has nothing
// hidden, and a store need not count.
func SeesEveryEmail(keys []string) bool { return slices.Contains(keys, keyAll) }
