package firestore

// SetNeverLogReadHook makes NeverLog call hook between reading a list's
// entries and its version, so a test can commit an edit exactly there.
func SetNeverLogReadHook(s *Store, hook func(scope string)) { s.neverLogReadHook = hook }
