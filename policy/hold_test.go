package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

func TestParseLegalHold(t *testing.T) {
	ok := []struct {
		in   discreet.LegalHold
		want discreet.LegalHold
	}{
		{
			discreet.LegalHold{Contact: "Kunde <Kunde+x@Zurich-Bank.example>", Reason: "  Case 2025-17  "},
			discreet.LegalHold{Contact: "kunde@zurich-bank.example", Reason: "Case 2025-17"},
		},
		{discreet.LegalHold{Domain: "*@Zurich-Bank.example", Reason: "r"}, discreet.LegalHold{Domain: "zurich-bank.example", Reason: "r"}},
		{discreet.LegalHold{Domain: "bücher.example", Reason: "r"}, discreet.LegalHold{Domain: "xn--bcher-kva.example", Reason: "r"}},
		{discreet.LegalHold{User: "Beat@ACME-ch.example", Reason: "r"}, discreet.LegalHold{User: "beat@acme-ch.example", Reason: "r"}},
		{
			discreet.LegalHold{From: date("2024-01-01T00:00:00Z"), To: date("2024-06-30T23:59:59Z"), Reason: "r"},
			discreet.LegalHold{From: date("2024-01-01T00:00:00Z"), To: date("2024-06-30T23:59:59Z"), Reason: "r"},
		},
		{
			discreet.LegalHold{From: date("2024-01-01T00:00:00Z"), To: date("2024-01-01T00:00:00Z"), Reason: "one instant"},
			discreet.LegalHold{From: date("2024-01-01T00:00:00Z"), To: date("2024-01-01T00:00:00Z"), Reason: "one instant"},
		},
	}
	for _, tt := range ok {
		got, err := ParseLegalHold(tt.in)
		if err != nil {
			t.Errorf("ParseLegalHold(%+v): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLegalHold(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
		if again, err := ParseLegalHold(got); err != nil || again != got {
			t.Errorf("ParseLegalHold is not stable on %+v: %+v, %v", got, again, err)
		}
	}
	bad := []struct {
		in          discreet.LegalHold
		field, says string
	}{
		{discreet.LegalHold{Reason: "r"}, "", "a hold needs what it covers"},
		{discreet.LegalHold{Contact: "a@example.com", Domain: "example.com", Reason: "r"}, "", "not contact and domain"},
		{discreet.LegalHold{User: "a@acme.example", From: date("2024-01-01T00:00:00Z"), Reason: "r"}, "", "not user and from and to"},
		{discreet.LegalHold{Contact: "not an address", Reason: "r"}, "contact", ""}, // ParseEntry's words
		{discreet.LegalHold{Contact: "@example.com", Reason: "r"}, "contact", "is a domain"},
		{discreet.LegalHold{User: "example.com", Reason: "r"}, "user", "is a domain"},
		{discreet.LegalHold{Domain: "anna@example.com", Reason: "r"}, "domain", "is an address; put it in contact"},
		{discreet.LegalHold{Domain: "localhost", Reason: "r"}, "domain", ""},
		{discreet.LegalHold{From: date("2024-01-01T00:00:00Z"), Reason: "r"}, "to", "is missing"},
		{discreet.LegalHold{To: date("2024-01-01T00:00:00Z"), Reason: "r"}, "from", "is missing"},
		{discreet.LegalHold{From: date("2024-02-01T00:00:00Z"), To: date("2024-01-01T00:00:00Z"), Reason: "r"}, "to", "is before from"},
		{discreet.LegalHold{Contact: "a@example.com"}, "reason", "is missing"},
		{discreet.LegalHold{Contact: "a@example.com", Reason: " \n "}, "reason", "is missing"},
		{discreet.LegalHold{Contact: "a@example.com", Reason: strings.Repeat("x", MaxHoldReason+1)}, "reason", "at most 1000"},
		{discreet.LegalHold{Contact: "a@example.com", Reason: "\xff"}, "reason", "UTF-8"},
	}
	for _, tt := range bad {
		_, err := ParseLegalHold(tt.in)
		e, ok := err.(*discreet.Error)
		if !ok || e.Code != discreet.EInvalid || e.Field != tt.field || !strings.Contains(e.Message, tt.says) || tt.field != "" && !strings.HasPrefix(e.Message, tt.field+": ") {
			t.Errorf("ParseLegalHold(%+v) = %v (field %q), want field %q saying %q", tt.in, err, fieldOf(err), tt.field, tt.says)
		}
	}
}

func fieldOf(err error) string {
	if e, ok := err.(*discreet.Error); ok {
		return e.Field
	}
	return ""
}

func mustHolds(t *testing.T, hs ...discreet.LegalHold) *LegalHolds {
	t.Helper()
	l, broken := CompileHolds(hs)
	if len(broken) > 0 {
		t.Fatalf("broken holds: %+v", broken)
	}
	return l
}

func TestHeldBy(t *testing.T) {
	l := mustHolds(t,
		discreet.LegalHold{ID: "contact", Contact: "kunde@zurich-bank.example", Reason: "r"},
		discreet.LegalHold{ID: "domain", Domain: "@hr-partner.example", Reason: "r"},
		discreet.LegalHold{ID: "user", User: "beat@acme-ch.example", Reason: "r"},
		discreet.LegalHold{ID: "range", From: date("2023-01-01T00:00:00Z"), To: date("2023-06-30T23:59:59Z"), Reason: "r"},
	)
	base := discreet.Email{
		From: "anna@acme.example", To: []string{"bob@example.com"}, Owner: "anna@acme.example",
		Contacts: []string{"bob@example.com"}, Internal: []string{"anna@acme.example"},
		Participants: []string{"anna@acme.example", "bob@example.com"},
		Date:         date("2024-03-01T00:00:00Z"), LoggedAt: date("2024-03-01T00:00:00Z"),
	}
	with := func(f func(*discreet.Email)) discreet.Email {
		e := base
		f(&e)
		return e
	}
	tests := []struct {
		name string
		e    discreet.Email
		want string // hold id; "" none
	}{
		{"nothing held", base, ""},
		{"contact in participants", with(func(e *discreet.Email) { e.Participants = append(e.Participants, "kunde@zurich-bank.example") }), "contact"},
		{"contact only in Cc text", with(func(e *discreet.Email) { e.Cc = []string{"Kunde <KUNDE+x@zurich-bank.example>"} }), "contact"},
		{"domain, subdomain", with(func(e *discreet.Email) { e.Contacts = []string{"lisa@eu.hr-partner.example"} }), "domain"},
		{"not the parent domain", with(func(e *discreet.Email) { e.Contacts = []string{"x@partner.example"} }), ""},
		{"domain, by a lenient key", with(func(e *discreet.Email) {
			e.Lenient = []string{"lisa@mail_gw.hr-partner.example", "@mail_gw.hr-partner.example"}
		}), "domain"},
		{"contact, by a lenient key", with(func(e *discreet.Email) { e.Lenient = []string{"kunde@zurich-bank.example"} }), "contact"},
		{"user owns it", with(func(e *discreet.Email) { e.Owner = "beat@acme-ch.example" }), "user"},
		{"user was on it", with(func(e *discreet.Email) { e.Internal = append(e.Internal, "beat@acme-ch.example") }), "user"},
		{"in the date range", with(func(e *discreet.Email) { e.Date = date("2023-06-30T23:59:59Z") }), "range"},
		{"range start included", with(func(e *discreet.Email) { e.Date = date("2023-01-01T00:00:00Z") }), "range"},
		{"after the range", with(func(e *discreet.Email) { e.Date = date("2023-07-01T00:00:00Z") }), ""},
		{"a forged future date does not escape", with(func(e *discreet.Email) {
			e.Date, e.LoggedAt = date("2099-01-01T00:00:00Z"), date("2023-03-01T00:00:00Z")
		}), "range"},
		{"no date at all: held", with(func(e *discreet.Email) { e.Date, e.LoggedAt = time.Time{}, time.Time{} }), "range"},
	}
	for _, tt := range tests {
		h, ok := l.HeldBy(tt.e)
		if ok != (tt.want != "") || h.ID != tt.want {
			t.Errorf("%s: held by %q (%v), want %q", tt.name, h.ID, ok, tt.want)
		}
	}
	var none *LegalHolds
	if _, ok := none.HeldBy(base); ok {
		t.Error("a nil set holds")
	}
}

// A stored hold that no longer parses holds everything, and is reported.
func TestBrokenHoldHoldsEverything(t *testing.T) {
	l, broken := CompileHolds([]discreet.LegalHold{
		{ID: "ok", Contact: "a@example.com", Reason: "r"},
		{ID: "bad", Contact: "not an address", Reason: "r"},
	})
	if len(broken) != 1 || broken[0].ID != "bad" || l.Len() != 2 {
		t.Fatalf("broken %+v, len %d", broken, l.Len())
	}
	if h, ok := l.HeldBy(discreet.Email{Contacts: []string{"z@elsewhere.example"}}); !ok || h.ID != "bad" {
		t.Errorf("HeldBy = %+v, %v; want held by the broken hold", h, ok)
	}
	e, _ := ParseEntry("z@elsewhere.example")
	if h, ok := l.HoldsSubject(e); !ok || h.ID != "bad" {
		t.Errorf("HoldsSubject = %+v, %v; want held by the broken hold", h, ok)
	}
}

func TestHoldsSubject(t *testing.T) {
	l := mustHolds(t,
		discreet.LegalHold{ID: "contact", Contact: "kunde@zurich-bank.example", Reason: "r"},
		discreet.LegalHold{ID: "domain", Domain: "sales.hr-partner.example", Reason: "r"},
		discreet.LegalHold{ID: "user", User: "beat@acme-ch.example", Reason: "r"},
		discreet.LegalHold{ID: "range", From: date("2023-01-01T00:00:00Z"), To: date("2023-06-30T00:00:00Z"), Reason: "r"},
	)
	tests := []struct{ subject, want string }{
		{"Kunde+x@Zurich-Bank.example", "contact"},
		{"@zurich-bank.example", "contact"}, // the domain of a held contact
		{"@bank.example", ""},               // zurich-bank.example is not a subdomain of bank.example
		{"lisa@sales.hr-partner.example", "domain"},
		{"lisa@eu.sales.hr-partner.example", "domain"},
		{"@eu.sales.hr-partner.example", "domain"}, // a subdomain of a held domain
		{"@hr-partner.example", "domain"},          // a parent of a held domain
		{"lisa@hr-partner.example", ""},            // an address at the parent
		{"beat@acme-ch.example", "user"},
		{"other@acme-ch.example", ""},
		{"anyone@example.com", ""}, // a date range holds emails, not people
	}
	for _, tt := range tests {
		e, err := ParseEntry(tt.subject)
		if err != nil {
			if tt.want != "" {
				t.Errorf("%q: %v", tt.subject, err)
			}
			continue
		}
		h, ok := l.HoldsSubject(e)
		if ok != (tt.want != "") || h.ID != tt.want {
			t.Errorf("%q: held by %q (%v), want %q", tt.subject, h.ID, ok, tt.want)
		}
	}
}

func BenchmarkHeldBy(b *testing.B) {
	var hs []discreet.LegalHold
	for i := range 50 {
		hs = append(hs, discreet.LegalHold{Domain: "firm" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".example", Reason: "r"})
	}
	l, _ := CompileHolds(hs)
	e := discreet.Email{
		From: "anna@acme.example", To: []string{"bob@example.com", "carl@example.org"}, Owner: "anna@acme.example",
		Contacts: []string{"bob@example.com", "carl@example.org"}, Internal: []string{"anna@acme.example"},
		Participants: []string{"anna@acme.example", "bob@example.com", "carl@example.org"},
		Date:         date("2024-03-01T00:00:00Z"),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.HeldBy(e); ok {
			b.Fatal("held")
		}
	}
}
