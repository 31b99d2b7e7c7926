package service_test

import (
	"testing"

	"github.com/discreet-crm/discreet/internal/governancetest"
	"github.com/discreet-crm/discreet/store"
)

// TestErasure runs the erasure scenario on the embedded store; the
// Firestore tests run it on the emulator (store/firestore).
func TestErasure(t *testing.T) {
	governancetest.RunErasure(t, func(t *testing.T) (store.Store, store.Store) {
		st := openStore(t)
		return st, st
	})
}

// TestRules runs the sensitivity rules scenario on the embedded store.
func TestRules(t *testing.T) {
	governancetest.RunRules(t, func(t *testing.T) (store.Store, store.Store) {
		st := openStore(t)
		return st, st
	})
}

// TestExport runs the access export scenario on the embedded store.
func TestExport(t *testing.T) {
	governancetest.RunExport(t, func(t *testing.T) (store.Store, store.Store) {
		st := openStore(t)
		return st, st
	})
}

// TestRetention runs the retention scenario on the embedded store.
func TestRetention(t *testing.T) {
	governancetest.RunRetention(t, func(t *testing.T) (store.Store, store.Store) {
		st := openStore(t)
		return st, st
	})
}
