package sqlite

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// TestMemoSeesEveryChange: what the memos serve is never older than the
// last acknowledged write (memo.go): each change is read back by the very
// next read, with readers hammering the memo while the writes land.
func TestMemoSeesEveryChange(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const user = "anna@acme.example"
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				_, _ = s.User(ctx, user)
				_, _ = s.OrgSettings(ctx)
				_, _ = s.UserSettings(ctx, user)
				_, _ = s.NeverLogVersion(ctx)
			}
		})
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for i := range 30 {
		role := []discreet.Role{discreet.RoleAdmin, discreet.RoleRep, discreet.RoleManager}[i%3]
		if err := s.PutUser(ctx, discreet.User{Email: user, Role: role, Teams: []string{"de"}}); err != nil {
			t.Fatal(err)
		}
		if u, err := s.User(ctx, user); err != nil || u.Role != role {
			t.Fatalf("change %d: User after PutUser(%s) = %s, %v", i, role, u.Role, err)
		}
		o := discreet.DefaultOrgSettings()
		o.MaxBodyBytes = i
		if err := s.PutOrgSettings(ctx, o); err != nil {
			t.Fatal(err)
		}
		if got, err := s.OrgSettings(ctx); err != nil || got.MaxBodyBytes != i {
			t.Fatalf("change %d: OrgSettings.MaxBodyBytes = %d, %v", i, got.MaxBodyBytes, err)
		}
		vis := []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam}[i%2]
		if err := s.PutUserSettings(ctx, user, discreet.UserSettings{DefaultVisibility: vis}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserSettings(ctx, user); err != nil || got.DefaultVisibility != vis {
			t.Fatalf("change %d: UserSettings = %+v, %v", i, got, err)
		}
		before, err := s.NeverLogVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		personal, _ := s.UserSettings(ctx, user)
		for _, scope := range []string{"", user} {
			e := discreet.NeverLogEntry{ID: "n" + string(rune('a'+i%26)) + time.Now().Format("150405.000000000"), Scope: scope,
				Pattern: "@p" + time.Now().Format("150405.000000000") + ".example", AddedBy: user, AddedAt: time.Now()}
			if err := s.AddNeverLog(ctx, []discreet.NeverLogEntry{e}); err != nil {
				t.Fatal(err)
			}
		}
		if after, err := s.NeverLogVersion(ctx); err != nil || after.Version != before.Version+1 {
			t.Fatalf("change %d: NeverLogVersion %d after %d, %v", i, after.Version, before.Version, err)
		}
		if got, _ := s.UserSettings(ctx, user); got.NeverLogVersion != personal.NeverLogVersion+1 {
			t.Fatalf("change %d: personal version %d after %d", i, got.NeverLogVersion, personal.NeverLogVersion)
		}
	}
}

// TestMemoHandsOutCopies: a caller changing what it got changes nothing
// for the next.
func TestMemoHandsOutCopies(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.PutUser(ctx, discreet.User{Email: "a@acme.example", Teams: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	b := true
	if err := s.PutUserSettings(ctx, "a@acme.example", discreet.UserSettings{DefaultLog: &b}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		u, _ := s.User(ctx, "a@acme.example")
		if u.Teams[0] != "de" {
			t.Fatalf("User teams %v", u.Teams)
		}
		u.Teams[0] = "changed"
		o, _ := s.OrgSettings(ctx)
		if o.ContactAccess[discreet.RoleRep] != discreet.ScopeTeam {
			t.Fatalf("OrgSettings %+v", o)
		}
		o.ContactAccess[discreet.RoleRep] = discreet.ScopeAll
		us, _ := s.UserSettings(ctx, "a@acme.example")
		if !*us.DefaultLog {
			t.Fatalf("UserSettings %+v", us)
		}
		*us.DefaultLog = false
		ch, _ := s.NeverLogVersion(ctx)
		ch.Changes = append(ch.Changes, store.NeverLogChange{ID: "x"})
		if again, _ := s.NeverLogVersion(ctx); len(again.Changes) != 0 {
			t.Fatalf("NeverLogVersion %+v", again)
		}
	}
}

// TestOneProcessAtATime: a second Open of a directory in use is refused,
// so no other writer can change the file behind the memos.
func TestOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.unlock == nil {
		t.Skip("no directory lock on this platform; the memos are off")
	}
	if _, err := Open(t.Context(), dir); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("second Open: %v, want unavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

func TestWriteMask(t *testing.T) {
	for _, c := range []struct {
		query string
		want  uint32
	}{
		{"INSERT INTO users (email) VALUES (?)", tabUsers},
		{"  insert or replace into Users VALUES (?)", tabUsers},
		{"REPLACE INTO org_settings VALUES (1)", tabOrgSettings},
		{"UPDATE user_settings SET x = 1", tabUserSettings},
		{"update or ignore counters set value = 1", tabCounters},
		{"DELETE FROM never_log_changes WHERE version <= ?", tabNeverLogChanges},
		{"INSERT INTO emails (id) VALUES (?)", 0},
		{"DELETE FROM email_match WHERE term = ?", 0},
		{"SELECT * FROM users", 0},
		{"BEGIN IMMEDIATE", 0},
		{"SAVEPOINT w", 0},
		{"RELEASE w", 0},
		{"ROLLBACK TO w", 0},
		{"COMMIT", 0},
		{"ALTER TABLE users RENAME TO users_v5", tabAll},
		{"DROP TABLE users_v5", tabAll},
		{"WITH x AS (SELECT 1) INSERT INTO users SELECT * FROM x", tabAll},
		{"PRAGMA optimize", tabAll},
		{"", tabAll},
	} {
		if got := writeMask(c.query); got != c.want {
			t.Errorf("writeMask(%q) = %b, want %b", c.query, got, c.want)
		}
	}
}
