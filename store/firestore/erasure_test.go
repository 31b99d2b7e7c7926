package firestore_test

import (
	"testing"

	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/internal/governancetest"
	"github.com/discreet-crm/discreet/store"
)

// TestErasure runs the service's erasure scenario on Firestore, with two
// instances, each with its own client, on one project: a tombstone one
// instance stores is honoured by the other at once.
func TestErasure(t *testing.T) {
	governancetest.RunErasure(t, func(t *testing.T) (store.Store, store.Store) {
		project := emulator.ProjectID()
		return openProject(t, project), openProject(t, project)
	})
}

// TestRules runs the sensitivity rules scenario on Firestore with two
// instances, each with its own client: a rule added on one is applied by
// the other's next decision (the version travels in config/neverLog).
func TestRules(t *testing.T) {
	governancetest.RunRules(t, func(t *testing.T) (store.Store, store.Store) {
		project := emulator.ProjectID()
		return openProject(t, project), openProject(t, project)
	})
}

// TestExport runs the access export scenario on Firestore.
func TestExport(t *testing.T) {
	governancetest.RunExport(t, func(t *testing.T) (store.Store, store.Store) {
		project := emulator.ProjectID()
		return openProject(t, project), openProject(t, project)
	})
}

// TestRetention runs the retention scenario on Firestore with two
// instances, each with its own client, starting the sweep at once.
func TestRetention(t *testing.T) {
	governancetest.RunRetention(t, func(t *testing.T) (store.Store, store.Store) {
		project := emulator.ProjectID()
		return openProject(t, project), openProject(t, project)
	})
}
