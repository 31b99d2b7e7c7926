package gateway_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
)

// One Firestore emulator serves the package; each test gets its own
// project. Without gcloud the Firestore runs skip, unless CI is set: there
// they fail.
var firestoreEmulator = emulator.NewShared(emulator.Firestore)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := firestoreEmulator.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the Firestore emulator:", err)
	}
	os.Exit(code)
}

func init() {
	backends = append(backends, backend{"firestore", func(t *testing.T) store.Store {
		firestoreEmulator.Get(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := firestore.New(ctx, emulator.ProjectID())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}})
}
