package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// migration is one migrations/NNNN_*.sql file, and the Go step that runs
// it when one is registered for its version (migrateSteps).
type migration struct {
	version int
	name    string
	sql     string
	step    func(ctx context.Context, c *conn, sql string) error
}

// migrateSteps are the migrations that need more than their SQL: each gets
// the file's text and runs it itself, in the migration's transaction.
var migrateSteps = map[int]func(ctx context.Context, c *conn, sql string) error{
	6: migrateRecords,
}

func (m migration) apply(ctx context.Context, c *conn) error {
	if m.step != nil {
		return m.step(ctx, c, m.sql)
	}
	return c.script(ctx, m.sql)
}

// migrationList is every embedded migration, by version.
func migrationList() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	seen := map[int]string{}
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("migrations %s and %s share version %d; renumber one", other, base, v)
		}
		seen[v] = base
		text, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(text), step: migrateSteps[v]})
	}
	return out, nil
}
