package sqlite

import (
	"time"

	"github.com/discreet-crm/discreet"
)

// fixtureSet is every kind of record a database holds, as the fixture
// databases under testdata/fixtures were written and must read back. It
// speaks only of domain types, no store API, so the generator
// (testdata/fixtures/gen) copies this file into an older tree and writes
// the same records with that tree's store.
//
// Edge cases on purpose: times with nanoseconds and non-UTC offsets, nil
// next to empty lists, text that JSON escapes, an email without body or
// snippet, one without Message-ID, a visibility changed after logging, an
// email and a Never Log entry deleted again, intents consumed, open and
// expired.
type fixtureSet struct {
	Teams        []discreet.Team
	Users        []discreet.User
	Org          discreet.OrgSettings
	UserSettings map[string]discreet.UserSettings
	NeverLog     []discreet.NeverLogEntry
	// NeverLogDeleted are added with NeverLog, then deleted.
	NeverLogDeleted []discreet.NeverLogEntry
	// Emails are logged in order; Revisibility then changes some, and
	// Unlogged are logged and deleted again.
	Emails []discreet.Email
	// Audience are the audience keys an email was logged with, by id, when
	// not policy.EmailAudience's (trees with store.EmailWrite).
	Audience     map[string][]string
	Revisibility map[string]discreet.Visibility
	Unlogged     []discreet.Email
	// Owners reassigns contacts after logging: contact → [owner, team].
	Owners map[string][2]string
	// Intents are put; Consumed are then consumed at fixtureNow.
	Intents  []discreet.Intent
	Consumed []string
	Audit    []discreet.AuditRecord
}

// fixtureT0 is the fixtures' clock: an offset and nanoseconds, so a store
// that rounds or drops the zone is caught.
var fixtureT0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("", 2*3600))

// fixtureNow is when the generator consumed intents and claimed messages.
var fixtureNow = fixtureT0.Add(48 * time.Hour)

func fixtureAt(minutes int) time.Time { return fixtureT0.Add(time.Duration(minutes) * time.Minute) }

func fixtureBool(b bool) *bool { return &b }

func fixtureData() fixtureSet {
	cet := time.FixedZone("", 3600)
	pst := time.FixedZone("", -8*3600)
	f := fixtureSet{
		Teams: []discreet.Team{{ID: "ch", Name: "Switzerland"}, {ID: "de", Name: "Germany"}, {ID: "fr", Name: ""}},
		Users: []discreet.User{
			{Email: "admin@acme.example", Name: "Ada Admin", Role: discreet.RoleAdmin, Teams: []string{}, CreatedAt: fixtureAt(0)},
			{Email: "anna@acme.example", Name: "Anna Schmidt", Role: discreet.RoleRep, Teams: []string{"de"}, CreatedAt: fixtureAt(1).In(cet)},
			{Email: "beat@acme-ch.example", Name: "Beat Keller", Role: discreet.RoleRep, Teams: []string{"ch"}, CreatedAt: fixtureAt(2).UTC()},
			{Email: "carla@acme-ch.example", Name: "Carla \"CJ\" Jäggi \\ <Zürich>", Role: discreet.RoleManager, Teams: []string{"ch", "de"}, CreatedAt: fixtureAt(3)},
			{Email: "new@acme.example", Role: discreet.RoleRep, Teams: nil, CreatedAt: fixtureAt(4)},
		},
		Org: discreet.OrgSettings{
			InternalDomains:   []string{"acme.example", "acme-ch.example"},
			DefaultLog:        false,
			DefaultVisibility: discreet.VisibilityTeam,
			ContactAccess:     map[discreet.Role]discreet.Scope{discreet.RoleAdmin: discreet.ScopeAll, discreet.RoleManager: discreet.ScopeTeam, discreet.RoleRep: discreet.ScopeOwned},
			HiddenEmails:      discreet.HiddenStubs,
			AdminsReadPrivate: true,
			StoreBodies:       true,
			MaxBodyBytes:      12345,
		},
		UserSettings: map[string]discreet.UserSettings{
			"anna@acme.example":    {DefaultLog: fixtureBool(false), DefaultVisibility: discreet.VisibilityPrivate},
			"beat@acme-ch.example": {DefaultLog: fixtureBool(true)},
			"new@acme.example":     {},
		},
		NeverLog: []discreet.NeverLogEntry{
			{ID: "nl-hr", Pattern: "@hr-partner.example", Note: "HR, \"payroll\" \\ all", AddedBy: "admin@acme.example", AddedAt: fixtureAt(10)},
			{ID: "nl-ceo", Pattern: "ceo@rival.example", AddedBy: "admin@acme.example", AddedAt: fixtureAt(11).UTC()},
			{ID: "nl-fam", Scope: "anna@acme.example", Pattern: "@family.example", Note: "Familie ♥", AddedBy: "anna@acme.example", AddedAt: fixtureAt(12).In(pst)},
		},
		NeverLogDeleted: []discreet.NeverLogEntry{
			{ID: "nl-tmp", Pattern: "temp@gone.example", AddedBy: "admin@acme.example", AddedAt: fixtureAt(13)},
		},
		Revisibility: map[string]discreet.Visibility{"e-team-then-public": discreet.VisibilityPublic},
		Owners:       map[string][2]string{"einkauf@berlin-tools.example": {"carla@acme-ch.example", "ch"}},
		Consumed:     []string{"in-consumed"},
	}
	f.Emails = []discreet.Email{
		{
			ID: "e-body", MessageID: "intro-1@acme.example", GmailMessageID: "18c0ffee", ThreadID: "18c0ffee",
			Subject: "Intro from Berlin — \"quotes\", \\ and <tags> & 😀", From: "anna@acme.example",
			To: []string{"kunde@zurich-bank.example"}, Cc: []string{"einkauf@berlin-tools.example", "beat@acme-ch.example"},
			Date: fixtureAt(20), Direction: discreet.Outbound, Snippet: "Hallo! Wie geht's?",
			Body:  "Hallo!\r\n\r\nWie geht's?\n\tAnna\n\x00 nul and \u2028 separator",
			Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityPublic,
			Contacts:     []string{"einkauf@berlin-tools.example", "kunde@zurich-bank.example"},
			Internal:     []string{"anna@acme.example", "beat@acme-ch.example"},
			Participants: []string{"anna@acme.example", "beat@acme-ch.example", "einkauf@berlin-tools.example", "kunde@zurich-bank.example"},
			Source:       discreet.SourceButton, LoggedAt: fixtureAt(21).In(cet),
		},
		{
			ID: "e-metadata", MessageID: "meta-1@acme-ch.example",
			Subject: "Metadata only", From: "beat@acme-ch.example",
			To: []string{"kunde@zurich-bank.example"}, Cc: []string{},
			Date: fixtureAt(30).In(pst), Direction: discreet.Outbound,
			Owner: "beat@acme-ch.example", Team: "ch", Visibility: discreet.VisibilityTeam,
			Contacts: []string{"kunde@zurich-bank.example"}, Internal: []string{"beat@acme-ch.example"},
			Participants: []string{"beat@acme-ch.example", "kunde@zurich-bank.example"},
			Source:       discreet.SourceSync, LoggedAt: fixtureAt(31),
		},
		{
			ID:      "e-no-message-id",
			Subject: "", From: "kunde@zurich-bank.example",
			To: []string{"anna@acme.example"}, Cc: nil,
			Date: fixtureAt(40).UTC(), Direction: discreet.Inbound, Snippet: "Grüezi", Body: "Grüezi",
			Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityPrivate,
			Contacts: []string{"kunde@zurich-bank.example"}, Internal: []string{"anna@acme.example"},
			Participants: []string{"anna@acme.example", "kunde@zurich-bank.example"},
			Source:       discreet.SourceCompose, LoggedAt: fixtureAt(41),
		},
		{
			ID: "e-team-then-public", MessageID: "vis-1@acme.example",
			Subject: "Visibility changed later", From: "carla@acme-ch.example",
			To: []string{"buyer@sub.berlin-tools.example"}, Cc: []string{},
			Date: fixtureAt(50), Direction: discreet.Outbound, Snippet: "s", Body: "b",
			Owner: "carla@acme-ch.example", Team: "ch", Visibility: discreet.VisibilityTeam,
			Contacts: []string{"buyer@sub.berlin-tools.example"}, Internal: []string{"carla@acme-ch.example"},
			Participants: []string{"buyer@sub.berlin-tools.example", "carla@acme-ch.example"},
			Source:       discreet.SourceButton, LoggedAt: fixtureAt(51),
		},
		{
			// Legacy shape: no participants recorded, no team.
			ID: "e-bare", MessageID: "bare@acme.example",
			Subject: "Bare", From: "new@acme.example",
			Date: fixtureAt(60), Direction: discreet.Outbound,
			Owner: "new@acme.example", Visibility: discreet.VisibilityPublic,
			Contacts: []string{"kunde@zurich-bank.example"},
			Source:   discreet.SourceButton, LoggedAt: fixtureAt(61),
		},
	}
	f.Unlogged = []discreet.Email{{
		ID: "e-unlogged", MessageID: "gone@acme.example", Subject: "Unlogged again", From: "anna@acme.example",
		To: []string{"kunde@zurich-bank.example", "gone@elsewhere.example"}, Date: fixtureAt(70), Direction: discreet.Outbound,
		Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityPublic,
		Contacts: []string{"gone@elsewhere.example", "kunde@zurich-bank.example"}, Internal: []string{"anna@acme.example"},
		Participants: []string{"anna@acme.example", "gone@elsewhere.example", "kunde@zurich-bank.example"},
		Source:       discreet.SourceButton, LoggedAt: fixtureAt(71),
	}}
	f.Intents = []discreet.Intent{
		{ID: "in-open", User: "anna@acme.example", Recipients: []string{"a@x.example", "b@y.example"}, Subject: "Offer \"Q2\"",
			Log: true, Visibility: discreet.VisibilityPrivate, CreatedAt: fixtureAt(80), ExpiresAt: fixtureAt(80 + 7*24*60).In(pst)},
		{ID: "in-consumed", User: "anna@acme.example", Recipients: []string{"c@z.example"}, Subject: "Consumed",
			Log: false, Visibility: discreet.VisibilityTeam, CreatedAt: fixtureAt(81), ExpiresAt: fixtureAt(81 + 7*24*60)},
		{ID: "in-expired", User: "beat@acme-ch.example", Recipients: []string{"d@w.example"}, Subject: "",
			Log: true, Visibility: discreet.VisibilityPublic, CreatedAt: fixtureAt(82), ExpiresAt: fixtureAt(83)},
	}
	f.Audit = []discreet.AuditRecord{
		{ID: "au-1", At: fixtureAt(90), Actor: "anna@acme.example", Action: discreet.AuditLog, EmailID: "e-body", EmailOwner: "anna@acme.example",
			Detail: map[string]string{"visibility": "public", "source": "button"}},
		{ID: "au-2", At: fixtureAt(91).UTC(), Actor: "admin@acme.example", Action: discreet.AuditNeverLogAdd, Target: "@hr-partner.example", Count: 3},
		{ID: "au-3", At: fixtureAt(91).UTC(), Actor: "admin@acme.example", Action: discreet.AuditSettings},
		{ID: "au-4", At: fixtureAt(92).In(cet), Actor: "carla@acme-ch.example", Action: discreet.AuditRead, EmailID: "e-metadata", EmailOwner: "beat@acme-ch.example",
			Detail: map[string]string{"via": "timeline", "quote": "\"<&>\""}},
	}
	return f
}

// fixtureWatch is one mailbox's capture state as the generator left it:
// RenewWatch(User, HistoryID, Expiration, fixtureNow), then
// AdvanceHistory(User, Advance, fixtureNow+1h) when Advance is set.
type fixtureWatch struct {
	User       string
	HistoryID  uint64
	Expiration time.Time
	Advance    uint64
}

var fixtureWatches = []fixtureWatch{
	{User: "anna@acme.example", HistoryID: 12345, Expiration: fixtureAt(7 * 24 * 60)},
	{User: "beat@acme-ch.example", HistoryID: 0, Expiration: fixtureAt(7 * 24 * 60).UTC(), Advance: 1 << 40},
}

// Message claims: the generator claims both at fixtureNow for an hour and
// releases fixtureClaimDone as captured.
const (
	fixtureClaimUser = "anna@acme.example"
	fixtureClaimHeld = "18c0ffee-held"
	fixtureClaimDone = "18c0ffee-done"
)
