package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/discreet-crm/discreet"
)

// headers parses a message's participant fields.
func headers(h map[string]string) []Participant {
	return Participants(func(f string) string { return h[f] })
}

func ptr(b bool) *bool { return &b }

func TestDecide(t *testing.T) {
	internal, err := NewDomains([]string{"acme.com", "acme.ch"})
	if err != nil {
		t.Fatal(err)
	}
	org := mustCompile(t, "@competitor.example", "lawyer@firm.example")
	personal := mustCompile(t, "mum@family.example", "@firm.example")
	base := func(h map[string]string) Input {
		return Input{
			Participants:      headers(h),
			DefaultLog:        true,
			DefaultVisibility: discreet.VisibilityPublic,
			Internal:          internal,
			Org:               org,
			Personal:          personal,
		}
	}
	outbound := map[string]string{"From": "anna@acme.com", "To": "Beat <beat@kunde.ch>", "Cc": "carla@eu.acme.ch, Zoe <zoe@kunde.ch>, beat@kunde.ch"}
	tests := []struct {
		name string
		in   Input
		want discreet.Decision
	}{
		{
			name: "logged with the default visibility",
			in:   base(outbound),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}, Visibility: discreet.VisibilityPublic},
		},
		{
			name: "the rep's visibility wins over the default",
			in: with(base(outbound), func(in *Input) {
				in.Visibility = discreet.VisibilityPrivate
				in.DefaultVisibility = discreet.VisibilityTeam
			}),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}, Visibility: discreet.VisibilityPrivate},
		},
		{
			name: "no valid visibility anywhere is public",
			in:   with(base(outbound), func(in *Input) { in.Visibility = "secret"; in.DefaultVisibility = "" }),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}, Visibility: discreet.VisibilityPublic},
		},
		{
			name: "toggled off",
			in:   with(base(outbound), func(in *Input) { in.Toggle = ptr(false) }),
			want: discreet.Decision{Reason: discreet.ReasonToggledOff, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}},
		},
		{
			name: "default off and not switched on",
			in:   with(base(outbound), func(in *Input) { in.DefaultLog = false }),
			want: discreet.Decision{Reason: discreet.ReasonToggledOff, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}},
		},
		{
			name: "default off, switched on",
			in:   with(base(outbound), func(in *Input) { in.DefaultLog = false; in.Toggle = ptr(true) }),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"beat@kunde.ch", "zoe@kunde.ch"}, Internal: []string{"anna@acme.com", "carla@eu.acme.ch"}, Visibility: discreet.VisibilityPublic},
		},
		{
			name: "internal only, subdomains included",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "carla@acme.ch, dev@eu.acme.com"}),
			want: discreet.Decision{Reason: discreet.ReasonInternalOnly, Internal: []string{"anna@acme.com", "carla@acme.ch", "dev@eu.acme.com"}},
		},
		{
			name: "toggled off comes before internal only",
			in:   with(base(map[string]string{"From": "anna@acme.com", "To": "carla@acme.ch"}), func(in *Input) { in.Toggle = ptr(false) }),
			want: discreet.Decision{Reason: discreet.ReasonToggledOff, Internal: []string{"anna@acme.com", "carla@acme.ch"}},
		},
		{
			name: "no participants at all",
			in:   base(nil),
			want: discreet.Decision{Reason: discreet.ReasonInternalOnly},
		},
	}
	// Never Log: any participant in any field blocks the whole email, and
	// beats the Log toggle and every later reason.
	for _, field := range ParticipantFields {
		h := map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch"}
		h[field] = h[field] + ", Spy <Spy+x@Sub.Competitor.example>"
		if h[field][0] == ',' {
			h[field] = h[field][2:]
		}
		tests = append(tests, struct {
			name string
			in   Input
			want discreet.Decision
		}{
			name: "org domain entry in " + field,
			in:   with(base(h), func(in *Input) { in.Toggle = ptr(true) }),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "spy@sub.competitor.example"},
		})
	}
	tests = append(tests, []struct {
		name string
		in   Input
		want discreet.Decision
	}{
		{
			name: "exact org entry beats the personal domain entry",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "lawyer@firm.example"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "lawyer@firm.example", List: "org", Address: "lawyer@firm.example"},
		},
		{
			name: "org list is checked before the personal list",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "mum@family.example", "Cc": "x@competitor.example"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "x@competitor.example"},
		},
		{
			name: "personal list",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch", "Bcc": "Mum <mum@family.example>"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "mum@family.example", List: "personal", Address: "mum@family.example"},
		},
		{
			name: "personal domain entry covers subdomains",
			in:   base(map[string]string{"From": "partner@mail.firm.example", "To": "anna@acme.com"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@firm.example", List: "personal", Address: "partner@mail.firm.example"},
		},
		{
			name: "an internal address on the list blocks too",
			in:   with(base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch"}), func(in *Input) { in.Org = mustCompile(t, "anna@acme.com") }),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "anna@acme.com", List: "org", Address: "anna@acme.com"},
		},
		{
			name: "nil lists block nothing",
			in:   with(base(map[string]string{"From": "anna@acme.com", "To": "x@competitor.example"}), func(in *Input) { in.Org, in.Personal = nil, nil }),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"x@competitor.example"}, Internal: []string{"anna@acme.com"}, Visibility: discreet.VisibilityPublic},
		},
		{
			name: "malformed but readable participants are reported and never become contacts",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch, zoe@kunde..ch, zoe@kunde.ch <zoe@kunde.ch"}),
			want: discreet.Decision{Logged: true, Reason: discreet.ReasonLogged, Contacts: []string{"beat@kunde.ch"}, Internal: []string{"anna@acme.com"}, Visibility: discreet.VisibilityPublic, Malformed: []string{"zoe@kunde..ch", "zoe@kunde.ch <zoe@kunde.ch"}},
		},
		{
			name: "a participant that does not parse is still checked against the list",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch, Spy <spy@competitor.example"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "spy@competitor.example", Malformed: []string{"Spy <spy@competitor.example"}},
		},
		{
			name: "an address hidden behind a display-name address is still checked",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch <spy@competitor.example>"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "spy@competitor.example", Malformed: []string{"beat@kunde.ch <spy@competitor.example>"}},
		},
		{
			name: "a lenient key matches on label boundaries",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch", "Cc": "spy@mail_gw.competitor.example"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "spy@mail_gw.competitor.example", Malformed: []string{"spy@mail_gw.competitor.example"}},
		},
		{
			name: "an unreadable participant is not logged, and says which",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch", "Resent-Cc": "root@localhost"}),
			want: discreet.Decision{Reason: discreet.ReasonUnreadableParticipant, Header: "Resent-Cc", Text: "root@localhost", Malformed: []string{"root@localhost"}},
		},
		{
			name: "the list beats an unreadable participant",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "x@competitor.example", "Cc": "not an address"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "x@competitor.example", Malformed: []string{"not an address"}},
		},
		{
			name: "an unreadable participant beats the toggle",
			in: with(base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch", "Cc": "<>"}), func(in *Input) {
				in.Toggle = ptr(false)
			}),
			want: discreet.Decision{Reason: discreet.ReasonUnreadableParticipant, Header: "Cc", Text: "<>", Malformed: []string{"<>"}},
		},
		{
			name: "every participant header of PRODUCT.md is checked",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch", "Mail-Followup-To": "x@competitor.example"}),
			want: discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "x@competitor.example"},
		},
		{
			name: "only malformed but readable externals is internal only",
			in:   base(map[string]string{"From": "anna@acme.com", "To": "x@kunde_ch.example"}),
			want: discreet.Decision{Reason: discreet.ReasonInternalOnly, Internal: []string{"anna@acme.com"}, Malformed: []string{"x@kunde_ch.example"}},
		},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Decide(tt.in)); diff != "" {
				t.Errorf("Decide mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func with(in Input, f func(*Input)) Input {
	f(&in)
	return in
}

func TestDirectionOf(t *testing.T) {
	internal, err := NewDomains([]string{"acme.com"})
	if err != nil {
		t.Fatal(err)
	}
	for from, want := range map[string]discreet.Direction{
		"anna@acme.com":    discreet.Outbound,
		"anna@eu.acme.com": discreet.Outbound,
		"beat@kunde.ch":    discreet.Inbound,
		"":                 discreet.Inbound,
		"not an address":   discreet.Inbound,
	} {
		if got := DirectionOf(ParseAddressList("from", from), internal); got != want {
			t.Errorf("DirectionOf(%q) = %s, want %s", from, got, want)
		}
	}
}

// TestDecideManyParticipants covers emails with more keys than one round of
// candidates holds: the match on the last participant is still found.
func TestDecideManyParticipants(t *testing.T) {
	var to []string
	for i := range 40 {
		to = append(to, fmt.Sprintf("p%d@a.b.c.kunde%d.example", i, i))
	}
	to = append(to, "spy@mail.competitor.example")
	in := Input{
		Participants: ParseAddressList("to", strings.Join(to, ", ")),
		DefaultLog:   true,
		Org:          mustCompile(t, "@competitor.example", "@x.y.z.example"),
		Personal:     mustCompile(t, "@kunde39.example"),
	}
	want := discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@competitor.example", List: "org", Address: "spy@mail.competitor.example"}
	if diff := cmp.Diff(want, Decide(in)); diff != "" {
		t.Errorf("Decide mismatch (-want +got):\n%s", diff)
	}
	in.Org = nil
	want = discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@kunde39.example", List: "personal", Address: "p39@a.b.c.kunde39.example"}
	if diff := cmp.Diff(want, Decide(in)); diff != "" {
		t.Errorf("Decide mismatch (-want +got):\n%s", diff)
	}
}

// TestDecideAllocs keeps the decision to one allocation (the backing array
// of its contacts and colleagues).
func TestDecideAllocs(t *testing.T) {
	internal, _ := NewDomains([]string{"acme.com"})
	in := Input{
		Participants: headers(map[string]string{"From": "anna@acme.com", "To": "beat@kunde.ch, zoe@kunde.ch", "Cc": "carla@eu.acme.com, x@partner.example"}),
		DefaultLog:   true,
		Internal:     internal,
		Org:          mustCompile(t, "@competitor.example", "lawyer@firm.example"),
		Personal:     mustCompile(t, "mum@family.example"),
	}
	if n := testing.AllocsPerRun(100, func() { sink += len(Decide(in).Contacts) }); n > 1 {
		t.Errorf("Decide allocates %v times, want at most 1", n)
	}
}

// TestFailClosedForms: every spelling of a listed participant the issue
// found logged is blocked by @hr-partner.example, in any participant
// header, and what only looks alike is not.
func TestFailClosedForms(t *testing.T) {
	org := mustCompile(t, "@hr-partner.example", "jürgen@berlin-hr.example")
	blocked := []string{
		// RFC 5322, read as what it is
		"Lisa <lisa(hr)@hr-partner.example>", "lisa@(c)hr-partner.example", "lisa . m @ hr-partner.example",
		"lisa@hr-partner . example", "<@relay.example:lisa@hr-partner.example>", `"lisa"@hr-partner.example`,
		"HR: lisa@hr-partner.example;", "Lisa\r\n <lisa@hr-partner.example>",
		// forms real servers accept though RFC 5321 and IDNA do not
		"lisa@mail_gw.hr-partner.example", "lisa@" + strings.Repeat("a", 64) + ".hr-partner.example",
		"lisa@x..hr-partner.example", "lisa@hr-partner.example..", "lisa@hr-partner.example\x00",
		"lisa@..hr-partner.example", "lisa@-x-.hr-partner.example", "lisa＠ＨＲ-partner。example",
		"Lisa <lisa@hr-partner.example", `"unclosed, lisa@hr-partner.example`, "(unclosed lisa@hr-partner.example",
		"x@y.example <lisa@hr-partner.example>", "lisa@hr-partner.example@evil.example",
		// an exact entry in its decomposed spelling
		"ju\u0308rgen@berlin-hr.example", "JU\u0308RGEN+x@BERLIN-HR.example.",
	}
	for _, h := range blocked {
		for _, field := range ParticipantFields {
			ps := headers(map[string]string{"From": "anna@acme.com", field: h})
			if field == "From" {
				ps = headers(map[string]string{"From": h, "To": "anna@acme.com"})
			}
			d := Decide(Input{Participants: ps, DefaultLog: true, Org: org})
			if d.Reason != discreet.ReasonNeverLogList {
				t.Errorf("%s: %q → %+v, want never_log_list", field, h, d)
			}
		}
	}
	for _, h := range []string{
		"lisa@hr-partner.example.com", "lisa@nothr-partner.example", "lisa@hr-partnerexample.com",
		"lisa@hr-partner.example.com..", "lisa@mail_gw.nothr-partner.example", "jürgen@berlin-hr.example.org",
		"juergen@berlin-hr.example",
	} {
		d := Decide(Input{Participants: headers(map[string]string{"From": "anna@acme.com", "To": h}), DefaultLog: true, Org: org})
		if d.Reason == discreet.ReasonNeverLogList {
			t.Errorf("%q → %+v: not a label-boundary match of any entry", h, d)
		}
	}
	for _, h := range []string{"lisa@[192.0.2.1]", "lisa@192.0.2.1", "lisa@hr-partner", "lisa@", "@", "<>", "lisa", "a@b@c.example",
		"lisa@" + strings.Repeat("a.", 130) + "x_y.example"} {
		d := Decide(Input{Participants: headers(map[string]string{"From": "anna@acme.com", "To": h}), DefaultLog: true, Org: org})
		if d.Reason != discreet.ReasonUnreadableParticipant || d.Header != "To" || d.Text != h {
			t.Errorf("%q → %+v, want unreadable_participant naming To and the text", h, d)
		}
	}
}

// TestParseAddressListBounded: pathological headers are read in bounded
// work and refused as unreadable, not matched key by key.
func TestParseAddressListBounded(t *testing.T) {
	for _, h := range []string{
		strings.Repeat("(", 200_000), strings.Repeat("a@", 100_000), strings.Repeat("a@b.c ", 40_000),
		strings.Repeat("\"", 200_000), strings.Repeat("Ａ＠", 40_000), strings.Repeat("a.", 120_000) + "@x.com",
		"a@" + strings.Repeat("b.", 120_000) + "com", strings.Repeat("a:", 100_000), strings.Repeat("<a@b.c ", 30_000),
	} {
		ps := ParseAddressList("to", h)
		keys := 0
		for _, p := range ps {
			keys += len(p.Lenient)
		}
		if len(ps) > 1 || keys > maxLenientKeys {
			t.Errorf("%.20q…: %d participants, %d lenient keys", h, len(ps), keys)
		}
	}
}

// TestUnreadableStillMatched: a participant too long to index is still
// matched, so the List is the reason reported when it names it.
func TestUnreadableStillMatched(t *testing.T) {
	org := mustCompile(t, "@hr-partner.example")
	h := "lisa@" + strings.Repeat("a.", 130) + "hr-partner.example"
	d := Decide(Input{Participants: headers(map[string]string{"From": "anna@acme.com", "To": h}), DefaultLog: true, Org: org})
	if d.Reason != discreet.ReasonNeverLogList {
		t.Errorf("%.30q… → %+v, want never_log_list", h, d)
	}
	ps := ParseAddressList("to", h)
	if len(ps) != 1 || !ps[0].Unreadable {
		t.Errorf("ParseAddressList(%.30q…) = %+v, want one unreadable participant", h, ps)
	}
}
