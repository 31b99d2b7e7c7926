package firestore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/store/storetest"
)

// One emulator serves the package; every store gets its own project, so
// tests never see each other's data.
var firestoreEmulator = emulator.NewShared(emulator.Firestore)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := firestoreEmulator.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the Firestore emulator:", err)
	}
	os.Exit(code)
}

func open(t testing.TB, opts ...option.ClientOption) *firestore.Store {
	t.Helper()
	firestoreEmulator.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := firestore.New(ctx, emulator.ProjectID(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
