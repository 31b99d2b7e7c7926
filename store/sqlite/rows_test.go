package sqlite

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// An email with more audience keys and index terms than one statement
// writes (maxRows) gets every row, and none for the key every email
// carries: each key reads the email on each contact's timeline, the
// every-email key through the timeline itself, and a delete leaves no row.
func TestAudienceAndMatchRows(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	raw := rawDB(t, s)
	contacts := []string{"a@one.example", "b@two.example", "c@three.example"}
	var internal []string
	for i := range 2*maxRows + 1 {
		internal = append(internal, fmt.Sprintf("rep%d@acme.example", i))
	}
	e := discreet.Email{
		ID: "many", MessageID: "many@acme.example", Subject: "Many", From: internal[0], To: append(slices.Clone(contacts), internal[1:]...),
		Date: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Direction: discreet.Outbound,
		Owner: internal[0], Team: "de", Visibility: discreet.VisibilityTeam,
		Contacts: contacts, Internal: internal, Participants: append(slices.Clone(internal), contacts...),
		Source: discreet.SourceCompose, LoggedAt: time.Date(2026, 11, 28, 9, 0, 1, 0, time.UTC),
	}
	keys := policy.EmailAudience(e)
	if _, created, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: keys}); err != nil || !created {
		t.Fatalf("LogEmail: %v %v", created, err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got, want := count("SELECT count(*) FROM audience"), len(contacts)*(len(keys)-1); got != want {
		t.Errorf("%d audience rows, want %d (every key but the every-email key, on each contact)", got, want)
	}
	if got := count("SELECT count(*) FROM audience WHERE key = 'x:all'") + count("SELECT count(*) FROM audience_count WHERE key = 'x:all'"); got != 0 {
		t.Errorf("%d rows for the key every email carries", got)
	}
	if got, want := count("SELECT count(*) FROM email_match"), len(matchTerms(e)); got != want || want <= maxRows {
		t.Errorf("%d email_match rows, want %d (more than %d)", got, want, maxRows)
	}
	for _, c := range contacts {
		for _, k := range keys {
			page, err := s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: []string{k}, Limit: 10, CountHidden: true})
			if err != nil || len(page.Entries) != 1 || page.Hidden != 0 {
				t.Errorf("Timeline %s for %s: %+v %v, want the email", c, k, page, err)
			}
		}
	}
	if err := s.DeleteEmail(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if got := count("SELECT count(*) FROM audience") + count("SELECT count(*) FROM email_match") + count("SELECT count(*) FROM audience_count WHERE n <> 0"); got != 0 {
		t.Errorf("%d rows left after the delete", got)
	}
}
