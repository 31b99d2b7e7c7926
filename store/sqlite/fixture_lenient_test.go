package sqlite

import (
	"github.com/discreet-crm/discreet"
)

// fixtureLogged are the emails of fixtures written after store.EmailWrite
// (m5 and b2): one with lenient keys of participants that did not read as
// addresses, logged with its audit record in its commit; one logged with
// audience keys the caller chose, not policy.EmailAudience's. Each is on a
// contact of its own, so the older fixtures' counts hold.
type fixtureLog struct {
	Email    discreet.Email
	Audience []string
	Audit    *discreet.AuditRecord
}

func fixtureLogged() []fixtureLog {
	return []fixtureLog{
		{
			Email: discreet.Email{
				ID: "e-lenient", MessageID: "lenient-1@acme.example", Subject: "Broken Cc", From: "anna@acme.example",
				To: []string{"info@lenient.example"}, Date: fixtureAt(110), Direction: discreet.Outbound, Snippet: "s", Body: "b",
				Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityTeam,
				Contacts: []string{"info@lenient.example"}, Internal: []string{"anna@acme.example"},
				Participants: []string{"anna@acme.example", "info@lenient.example"},
				Lenient:      []string{"lisa@x..mail_gw.odd-partner.example.", "@odd-partner.example"},
				Source:       discreet.SourceButton, LoggedAt: fixtureAt(111),
			},
			Audit: &discreet.AuditRecord{ID: "au-log-lenient", At: fixtureAt(111), Actor: "anna@acme.example", Action: discreet.AuditLog,
				EmailID: "e-lenient", EmailOwner: "anna@acme.example", Detail: map[string]string{"visibility": "team"}},
		},
		{
			Email: discreet.Email{
				ID: "e-audience", MessageID: "audience-1@acme.example", Subject: "Chosen audience", From: "anna@acme.example",
				To: []string{"buyer@audience.example"}, Date: fixtureAt(120), Direction: discreet.Outbound,
				Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityPrivate,
				Contacts: []string{"buyer@audience.example"}, Internal: []string{"anna@acme.example"},
				Participants: []string{"anna@acme.example", "buyer@audience.example"},
				Source:       discreet.SourceCompose, LoggedAt: fixtureAt(121),
			},
			Audience: []string{"u:anna@acme.example", "t:ch"},
		},
	}
}
