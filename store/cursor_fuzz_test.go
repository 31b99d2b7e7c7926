package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// FuzzTimelineCursor lists a contact's timeline with forged and tampered
// cursors (including well-formed ones with a valid checksum, which anyone
// can compute, for other contacts and arbitrary keys): every email shown
// belongs to that contact and is one the viewer may read.
//
//	go test -run='^$' -fuzz=FuzzTimelineCursor -fuzztime=60s ./store
func FuzzTimelineCursor(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	now := time.Now()
	if err := demo.Load(ctx, svc, st, now); err != nil {
		f.Fatal(err)
	}
	beat, _ := st.User(ctx, demo.Beat)
	anna, _ := st.User(ctx, demo.Anna)
	// More emails on both customers, of every visibility, so pages have
	// cursors: Beat's on the Swiss customer, Anna's on the German one.
	vis := []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic}
	for i := range 30 {
		for _, w := range []struct {
			u        discreet.User
			customer string
		}{{beat, demo.SwissCustomer}, {anna, demo.GermanCustomer}} {
			raw := demo.Message(w.u.Email, w.customer, fmt.Sprintf("Cursor %d", i), "body", fmt.Sprintf("cursor-%s-%d", w.u.Email, i), now.Add(-time.Duration(i)*time.Hour))
			if _, err := svc.LogEmail(ctx, w.u, service.LogRequest{Raw: raw, Visibility: vis[i%3]}); err != nil {
				f.Fatal(err)
			}
		}
	}
	// Anna, a German rep, may read only what the policy lets her; record
	// it by walking each timeline from the first page.
	readable := map[string]map[string]bool{}
	var cursors []string
	for _, c := range []string{demo.SwissCustomer, demo.GermanCustomer} {
		readable[c] = map[string]bool{}
		cursor := ""
		for {
			p, err := svc.Timeline(ctx, anna, c, 5, cursor)
			if err != nil {
				f.Fatal(err)
			}
			for _, it := range p.Items {
				if it.Email != nil {
					readable[c][it.Email.ID] = true
				}
			}
			if cursor = p.Next; cursor == "" {
				break
			}
			cursors = append(cursors, cursor)
		}
	}
	for _, c := range cursors {
		f.Add(c, "")
		f.Add(c[:len(c)-1]+"A", "")
	}
	f.Add("", store.SortKey(now, "zzz"))
	f.Add("x.y", "99999999T999999.999999999Z|")
	contacts := []string{demo.SwissCustomer, demo.GermanCustomer}

	f.Fuzz(func(t *testing.T, cursor, key string) {
		tries := []string{cursor}
		if key != "" {
			for _, c := range contacts {
				tries = append(tries, store.EncodeCursor(store.TimelineCursorScope(c), key))
			}
			tries = append(tries, store.EncodeCursor(store.AuditCursorScope(""), key))
		}
		for _, contact := range contacts {
			for _, cur := range tries {
				p, err := svc.Timeline(ctx, anna, contact, 5, cur)
				if err != nil {
					if code := discreet.ErrorCode(err); code != discreet.EInvalid {
						t.Fatalf("cursor %q: %v (code %s), want invalid_argument", cur, err, code)
					}
					continue
				}
				for _, it := range p.Items {
					if it.Email == nil {
						continue
					}
					if !slices.Contains(it.Email.Contacts, contact) {
						t.Fatalf("cursor %q on %s shows email %s of contacts %v", cur, contact, it.Email.ID, it.Email.Contacts)
					}
					if !readable[contact][it.Email.ID] {
						t.Fatalf("cursor %q on %s shows email %s (%s, %s) Anna may not read", cur, contact, it.Email.ID, it.Email.Visibility, it.Email.Owner)
					}
				}
			}
		}
	})
}
