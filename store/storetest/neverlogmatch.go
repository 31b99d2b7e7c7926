package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// matchOf is the store's selector for an entry, built as the service builds
// it (policy.EntryKeys).
func matchOf(e policy.Entry) store.Match {
	addr, spellings, domain := policy.EntryKeys(e, e.String())
	return store.Match{Address: addr, Spellings: spellings, Domain: domain}
}

// Spellings of participants and entries for the property test: forms that
// parse, forms the lenient match reads, at domains that are and are not
// label-boundary suffixes of one another.
var (
	propLocals  = []string{"lisa", "Lisa.M", "lisa+hr", "l.i.s.a", "mu\u0308ller", "müller", "payroll"}
	propDomains = []string{
		"hr-partner.example", "mail.hr-partner.example", "HR-Partner.Example", "nothr-partner.example",
		"hr-partner.example.com", "bücher.example", "xn--bcher-kva.example", "gmail.com", "googlemail.com",
		"kunde.example", "sub.kunde.example",
	}
	// propBroken are domains only the lenient match reads.
	propBroken = []string{
		"mail_gw.hr-partner.example", "x..hr-partner.example", "hr-partner.example..",
		strings.Repeat("a", 64) + ".hr-partner.example", "kunde_x.example", "hr-partner . example",
	}
	propEntries = []string{
		"@hr-partner.example", "@mail.hr-partner.example", "@partner.example", "@kunde.example",
		"@xn--bcher-kva.example", "@gmail.com", "lisa@hr-partner.example", "lisa.m@mail.hr-partner.example",
		"müller@bücher.example", "lisa@gmail.com", "l.isa@googlemail.com", "payroll@kunde.example",
		"@hr-partner.example.com", "@a.hr-partner.example",
	}
)

// propParticipant is one participant header text, in one of the forms.
func propParticipant(r *rand.Rand) string {
	local := propLocals[r.IntN(len(propLocals))]
	if r.IntN(4) == 0 {
		d := propBroken[r.IntN(len(propBroken))]
		switch r.IntN(3) {
		case 0:
			return local + "@" + d
		case 1:
			return "Someone <" + local + "@" + d + ">"
		default:
			return local + "@" + d + "\x00"
		}
	}
	d := propDomains[r.IntN(len(propDomains))]
	switch r.IntN(5) {
	case 0:
		return local + "@" + d
	case 1:
		return `"Name, Some" <` + local + "@" + d + ">"
	case 2:
		return local + "@(comment)" + d
	case 3:
		return local + " @ " + d
	default:
		return "<@relay.example:" + local + "@" + d + ">"
	}
}

// testMatchProperty: for generated participants and entries, the policy
// blocks an email exactly when the store's CountMatching (and a purge) of
// the entry finds it. The email is logged as the service logs it: its
// normalized participants and the lenient keys of the others.
func testMatchProperty(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := rand.New(rand.NewPCG(12, 5))
	type logged struct {
		e  discreet.Email
		ps []policy.Participant
	}
	var emails []logged
	for i := 0; len(emails) < 40; i++ {
		var ps []policy.Participant
		for range 1 + r.IntN(3) {
			ps = append(ps, policy.ParseAddressList("to", propParticipant(r))...)
		}
		if slices.ContainsFunc(ps, func(p policy.Participant) bool { return p.Unreadable }) {
			continue // never logged: unreadable_participant
		}
		e := email(fmt.Sprintf("prop%d", i), "rep.de@acme.com", "de", discreet.VisibilityPublic, at(i), nil)
		e.Participants = append(e.Participants, "rep.de@acme.com")
		for _, p := range ps {
			if p.Address != "" {
				e.Participants = append(e.Participants, p.Address)
				e.Contacts = append(e.Contacts, p.Address)
			} else {
				e.Lenient = append(e.Lenient, p.Lenient...)
			}
		}
		slices.Sort(e.Contacts)
		e.Contacts = slices.Compact(e.Contacts)
		logEmail(t, s, e)
		emails = append(emails, logged{e, ps})
	}
	blocks := func(entry policy.Entry, ps []policy.Participant) bool {
		_, ok := policy.MatchNeverLog(policy.Compile([]policy.Entry{entry}), nil, ps)
		return ok
	}
	entries := make([]policy.Entry, 0, len(propEntries))
	for _, p := range propEntries {
		e, err := policy.ParseEntry(p)
		must(t, err, "ParseEntry "+p)
		entries = append(entries, e)
	}
	blockedSome := 0
	for _, entry := range entries {
		want := 0
		for _, l := range emails {
			if blocks(entry, l.ps) {
				want++
			}
		}
		if want > 0 {
			blockedSome++
		}
		n, err := s.CountMatching(ctx, matchOf(entry))
		must(t, err, "CountMatching")
		if n != want {
			var which []string
			for _, l := range emails {
				if blocks(entry, l.ps) {
					which = append(which, fmt.Sprintf("%v+%v", l.e.Participants, l.e.Lenient))
				}
			}
			t.Fatalf("CountMatching(%s) = %d, but the policy blocks %d emails: %v", entry, n, want, which)
		}
	}
	if blockedSome < len(entries)/2 {
		t.Fatalf("only %d of %d entries block any email: the test exercises too little", blockedSome, len(entries))
	}
	lenientOnly := 0 // emails blocked only through a lenient key
	for _, l := range emails {
		for _, entry := range entries {
			var strict []policy.Participant
			for _, p := range l.ps {
				if p.Address != "" {
					strict = append(strict, p)
				}
			}
			if blocks(entry, l.ps) && !blocks(entry, strict) {
				lenientOnly++
				break
			}
		}
	}
	if lenientOnly < 3 {
		t.Fatalf("only %d emails are blocked through lenient keys: the test exercises too little", lenientOnly)
	}
	// A purge deletes exactly the emails the policy blocks.
	remaining := emails
	for _, i := range r.Perm(len(entries))[:5] {
		entry := entries[i]
		var want, keep []string
		var left []logged
		for _, l := range remaining {
			if blocks(entry, l.ps) {
				want = append(want, l.e.ID)
			} else {
				keep = append(keep, l.e.ID)
				left = append(left, l)
			}
		}
		rep, err := s.PurgeMatching(ctx, matchOf(entry), 3)
		must(t, err, "PurgeMatching")
		got := slices.Clone(rep.EmailIDs)
		slices.Sort(got)
		slices.Sort(want)
		sameIDs(t, got, want, "PurgeMatching("+entry.String()+")")
		for _, id := range keep {
			_, err := s.Email(ctx, id)
			must(t, err, "an email the entry does not block survives its purge")
		}
		remaining = left
	}
}

// testMatchOldSpellings: an email indexed as the rules before NFC wrote it
// (a decomposed local part) is found by the entry typed composed, and by
// the entry stored under its old spelling.
func testMatchOldSpellings(t *testing.T, s store.Store) {
	ctx := t.Context()
	nfd := "mu\u0308ller@kunde.example"
	e := email("nfd", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(0), []string{nfd})
	logEmail(t, s, e)
	entry, err := policy.ParseEntry("müller@kunde.example")
	must(t, err, "ParseEntry")
	if entry.Value == nfd {
		t.Fatal("ParseEntry kept the decomposed spelling")
	}
	n, err := s.CountMatching(ctx, matchOf(entry))
	must(t, err, "CountMatching")
	if n != 1 {
		t.Fatalf("CountMatching(%s) = %d for an email indexed under its decomposed spelling, want 1", entry, n)
	}
	addr, spellings, _ := policy.EntryKeys(entry, nfd)
	n, err = s.CountMatching(ctx, store.Match{Address: addr, Spellings: spellings})
	must(t, err, "CountMatching with the stored spelling")
	if n != 1 {
		t.Fatalf("CountMatching with the stored spelling = %d, want 1 (each email counts once)", n)
	}
	rep, err := s.PurgeMatching(ctx, matchOf(entry), 10)
	must(t, err, "PurgeMatching")
	sameIDs(t, rep.EmailIDs, []string{e.ID}, "PurgeMatching of the composed entry")
	_, err = s.CountMatching(ctx, store.Match{Domain: "kunde.example", Spellings: []string{"x"}})
	wantCode(t, err, discreet.EInvalid, "CountMatching of a domain with spellings")
}

// testPurgeDropsContacts: a purge deletes, with an email, each contact it
// leaves with no email, so no stub names a purged address; a contact with
// other emails stays, and an unlog leaves its contact as it was.
func testPurgeDropsContacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rep = "rep.de@acme.com"
	payroll, kunde, other := "payroll@hr-partner.example", "kunde@zurich-bank.example", "einkauf@berlin-tools.example"
	e1 := logEmail(t, s, email("c1", rep, "de", discreet.VisibilityPrivate, at(1), []string{payroll, kunde}))
	e2 := logEmail(t, s, email("c2", rep, "de", discreet.VisibilityPublic, at(2), []string{kunde}))
	e3 := logEmail(t, s, email("c3", rep, "de", discreet.VisibilityPublic, at(3), []string{other}))

	got, err := s.PurgeMatching(ctx, store.Match{Domain: "hr-partner.example"}, 10)
	must(t, err, "PurgeMatching")
	sameIDs(t, got.EmailIDs, []string{e1.ID}, "purged")
	_, err = s.Contact(ctx, payroll)
	wantCode(t, err, discreet.ENotFound, "Contact of a purged address")
	found, err := s.SearchContacts(ctx, "payroll", 10)
	must(t, err, "SearchContacts")
	if len(found) != 0 {
		t.Fatalf("SearchContacts(payroll) after the purge = %v, want nothing", found)
	}
	found, err = s.SearchContacts(ctx, "hr-partner.example", 10)
	must(t, err, "SearchContacts by domain")
	if len(found) != 0 {
		t.Fatalf("SearchContacts(hr-partner.example) after the purge = %v, want nothing", found)
	}
	contactIs(t, s, kunde, rep, "de") // still has e2
	if h := hidden(t, s, kunde, nil); h != 1 {
		t.Fatalf("%s counts %d emails after the purge, want 1", kunde, h)
	}
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: payroll, Keys: allKeys, Limit: 10, CountHidden: true})
	must(t, err, "Timeline of a purged contact")
	if len(p.Entries) != 0 || p.Hidden != 0 {
		t.Fatalf("Timeline of a purged contact = %+v", p)
	}

	// The last email of the remaining contact goes by address.
	got, err = s.PurgeMatching(ctx, store.Match{Address: kunde}, 1)
	must(t, err, "PurgeMatching by address")
	sameIDs(t, got.EmailIDs, []string{e2.ID}, "purged by address")
	_, err = s.Contact(ctx, kunde)
	wantCode(t, err, discreet.ENotFound, "Contact left with no email by a purge")

	// A contact purged away is created again by the next email, owned by
	// whoever logs it.
	again := logEmail(t, s, email("c4", "rep.ch@acme.com", "ch", discreet.VisibilityPublic, at(4), []string{kunde}))
	contactIs(t, s, kunde, "rep.ch@acme.com", "ch")
	if h := hidden(t, s, kunde, nil); h != 1 {
		t.Fatalf("%s counts %d emails after logging again, want 1", kunde, h)
	}

	// Unlog is not a purge: the contact stays, with no email.
	must(t, s.DeleteEmail(ctx, e3.ID), "DeleteEmail")
	contactIs(t, s, other, rep, "de")
	must(t, s.DeleteEmail(ctx, again.ID), "DeleteEmail")
}
