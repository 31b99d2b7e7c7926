package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

// migrationVersions lists the embedded migrations' versions in the order
// migrate applies them.
func migrationVersions(t *testing.T) ([]int, map[int]string) {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var vs []int
	byVersion := map[int]string{}
	for _, name := range names {
		num, _, _ := strings.Cut(filepath.Base(name), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		if _, dup := byVersion[v]; dup {
			t.Fatalf("two migrations have version %d", v)
		}
		vs = append(vs, v)
		byVersion[v] = name
	}
	if !slices.IsSorted(vs) {
		t.Fatalf("migrations apply in the order %v, not by version", vs)
	}
	return vs, byVersion
}

// createAt makes dir/discreet.db as a release whose newest migration was
// version upTo left it, holding one team.
func createAt(t *testing.T, dir string, upTo int) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "discreet.db")+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	vs, byVersion := migrationVersions(t)
	for _, v := range vs {
		if v > upTo {
			break
		}
		text, err := migrations.ReadFile(byVersion[v])
		if err != nil {
			t.Fatal(err)
		}
		if step := migrateSteps[v]; step != nil {
			// A Go step (the records of 0006) runs on the store's own
			// connection, as migrate runs it.
			if err := applyStep(t, filepath.Join(dir, "discreet.db"), step, string(text)); err != nil {
				t.Fatalf("migration %d: %v", v, err)
			}
		} else if _, err := db.Exec(string(text)); err != nil {
			t.Fatalf("migration %d: %v", v, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_version VALUES (?, '2026-01-01')`, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO teams (id, name) VALUES ('de', 'Germany')`); err != nil {
		t.Fatal(err)
	}
}

// applyStep runs a migration's Go step in one transaction on a
// connection of the store's own kind.
func applyStep(t *testing.T, path string, step func(ctx context.Context, c *conn, sql string) error, text string) error {
	t.Helper()
	c, err := openConn(path)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.script(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := step(t.Context(), c, text); err != nil {
		_ = c.script(t.Context(), "ROLLBACK")
		return err
	}
	return c.script(t.Context(), "COMMIT")
}

// schema is what sqlite_master says the database holds, schema_version
// aside.
func schema(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+": "+text)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateFromEveryVersion: a database left by any earlier release
// (among them one at 0004_fleet, before the email-id key's 0005_secrets)
// opens with every later migration applied once, keeps its data, and ends
// with the schema of a fresh database.
func TestMigrateFromEveryVersion(t *testing.T) {
	vs, _ := migrationVersions(t)
	fresh := open(t)
	want := schema(t, rawDB(t, fresh))
	for _, from := range vs[:len(vs)-1] {
		t.Run("from"+strconv.Itoa(from), func(t *testing.T) {
			dir := t.TempDir()
			createAt(t, dir, from)
			s, err := Open(t.Context(), dir)
			if err != nil {
				t.Fatalf("Open of a database at version %d: %v", from, err)
			}
			defer s.Close()
			if got := schema(t, rawDB(t, s)); !slices.Equal(got, want) {
				t.Errorf("schema after migrating from %d:\n%s\nwant:\n%s", from, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var applied []int
			rows, err := rawDB(t, s).Query(`SELECT version FROM schema_version ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				applied = append(applied, v)
			}
			rows.Close()
			if !slices.Equal(applied, vs) {
				t.Errorf("schema_version holds %v, want %v", applied, vs)
			}
			if tm, err := s.Team(t.Context(), "de"); err != nil || tm.Name != "Germany" {
				t.Errorf("team after migrating: %+v, %v", tm, err)
			}
			if key, err := s.EmailIDKey(t.Context()); err != nil || len(key) == 0 {
				t.Errorf("EmailIDKey after migrating: %x, %v", key, err)
			}
			if err := s.PutTeam(t.Context(), discreet.Team{ID: "ch", Name: "Switzerland"}); err != nil {
				t.Errorf("a write after migrating: %v", err)
			}
		})
	}
}
