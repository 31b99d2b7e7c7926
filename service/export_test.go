package service

// SetAdvanceHook makes every background advance of the compiled org Never
// Log List call hook first, so a test can hold the advance back.
func SetAdvanceHook(s *Service, hook func()) {
	if hook == nil {
		s.hooks.advance.Store(nil)
		return
	}
	s.hooks.advance.Store(&hook)
}
