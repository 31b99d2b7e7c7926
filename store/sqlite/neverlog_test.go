package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

// TestNeverLogTakenUsesIndexes: the check AddNeverLog makes for every entry
// looks the pattern and the id up in their unique indexes, also once
// PRAGMA optimize (run by Close) has recorded statistics of a small list —
// the statistics that made the planner scan the list with an OR.
func TestNeverLogTakenUsesIndexes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e := discreet.NeverLogEntry{ID: fmt.Sprintf("e%d", i), Pattern: fmt.Sprintf("@x%d.example", i), AddedBy: "admin@acme.example", AddedAt: time.Now()}
		if err := s.AddNeverLog(t.Context(), []discreet.NeverLogEntry{e}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stats int
	if err := rawDB(t, s).QueryRow("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'never_log'").Scan(&stats); err != nil || stats == 0 {
		t.Fatalf("PRAGMA optimize left no statistics of never_log (%d, %v): the test would prove nothing", stats, err)
	}

	rows, err := rawDB(t, s).Query("EXPLAIN QUERY PLAN "+neverLogTaken, "", "@y.example", "e9")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	searches := 0
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
		if !strings.Contains(detail, "never_log") {
			continue
		}
		if strings.HasPrefix(detail, "SEARCH never_log USING ") && strings.Contains(detail, "INDEX") {
			searches++
		} else {
			t.Errorf("plan step %q does not look never_log up in an index", detail)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if searches != 2 {
		t.Errorf("%d index lookups of never_log, want 2 (pattern and id); plan:\n%s", searches, strings.Join(plan, "\n"))
	}
}
