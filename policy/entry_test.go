package policy

import (
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

func TestParseEntryAccepts(t *testing.T) {
	addr := func(v string) Entry { return Entry{Kind: KindAddress, Value: v} }
	dom := func(v string) Entry { return Entry{Kind: KindDomain, Value: v} }
	tests := []struct {
		in   string
		want Entry
	}{
		// An address entry is that mailbox, normalized like any address.
		{"anna@example.com", addr("anna@example.com")},
		{"  Anna@Example.com  ", addr("anna@example.com")},
		{"Anna <anna@example.com>", addr("anna@example.com")},
		{`"Muster, Anna" <anna@example.com>`, addr("anna@example.com")},
		{"<anna@example.com>", addr("anna@example.com")},
		{"anna@example.com (Anna)", addr("anna@example.com")},
		{"anna+news@example.com", addr("anna@example.com")},
		{"A.nna@googlemail.com", addr("anna@gmail.com")},
		{"müller@bücher.example", addr("müller@xn--bcher-kva.example")},
		{`"anna"@example.com`, addr("anna@example.com")},
		{`"a,b"@example.com`, addr(`"a,b"@example.com`)},
		// The three domain forms are one entry.
		{"@example.com", dom("example.com")},
		{"*@example.com", dom("example.com")},
		{"example.com", dom("example.com")},
		{"EXAMPLE.com.", dom("example.com")},
		{"@sub.example.com", dom("sub.example.com")},
		{"bücher.example", dom("xn--bcher-kva.example")},
		{"*@bücher.example", dom("xn--bcher-kva.example")},
		{"googlemail.com", dom("gmail.com")}, // the same mailboxes as gmail.com
	}
	for _, tt := range tests {
		got, err := ParseEntry(tt.in)
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseEntry(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		// parse → print → parse is stable.
		again, err := ParseEntry(got.String())
		if err != nil || again != got {
			t.Errorf("ParseEntry(%q) = %#v, %v; want %#v", got.String(), again, err, got)
		}
		// An address entry is exactly what NormalizeAddress makes of its text.
		if got.Kind == KindAddress {
			if n, err := NormalizeAddress(tt.in); err != nil || n != got.Value {
				t.Errorf("NormalizeAddress(%q) = %q, %v; want the entry's value %q", tt.in, n, err, got.Value)
			}
		}
	}
}

func TestParseEntryRejects(t *testing.T) {
	tests := []struct {
		in, says string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"anna@x@example.com", "more than one '@'"},
		{"@anna@example.com", "more than one '@'"},
		{"*@anna@example.com", "more than one '@'"},
		{"@@example.com", "more than one '@'"},
		{"anna @example.com", "contains a space"},
		{"anna@exa mple.com", "contains a space"},
		{"exa mple.com", "contains a space"},
		{"anna@", "empty domain"},
		{"@", "domain is empty"},
		{"*@", "domain is empty"},
		{"anna@example", "two labels"},
		{"example", "two labels"},
		{"@com", "two labels"},
		{"-example.com", "bad label"},
		{"exam_ple.com", "bad label"},
		{"example..com", "bad label"},
		{"anna@ex!ample.com", "bad label"},
		{"[192.0.2.1]", "address literal"},
		{"*example.com", "'*' is only allowed as the leading '*@'"},
		{"*.example.com", "'*' is only allowed as the leading '*@'"},
		{"@*.example.com", "'*' is only allowed as the leading '*@'"},
		{"*@*.example.com", "'*' is only allowed as the leading '*@'"},
		{"an*na@example.com", "'*' is only allowed as the leading '*@'"},
		{"anna@exam*ple.com", "'*' is only allowed as the leading '*@'"},
		{"**@example.com", "'*' is only allowed as the leading '*@'"},
		{"Anna <an*na@example.com>", "'*' is only allowed as the leading '*@'"},
		{"Anna <anna@example.com", "not an email address"},
		{"Anna <@example.com>", "not an email address"},
		{".anna@example.com", "local part"},
	}
	for _, tt := range tests {
		got, err := ParseEntry(tt.in)
		if err == nil {
			t.Errorf("ParseEntry(%q) = %#v, want an error saying %q", tt.in, got, tt.says)
			continue
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ParseEntry(%q) error %q does not say %q", tt.in, err, tt.says)
		}
		if c := discreet.ErrorCode(err); c != discreet.EInvalid {
			t.Errorf("ParseEntry(%q) error code %q, want %q", tt.in, c, discreet.EInvalid)
		}
	}
}

func TestEntryString(t *testing.T) {
	for _, tt := range []struct {
		e    Entry
		want string
	}{
		{Entry{Kind: KindAddress, Value: "anna@example.com"}, "anna@example.com"},
		{Entry{Kind: KindDomain, Value: "example.com"}, "@example.com"},
		{Entry{Kind: KindAddress, Value: `"a,b"@example.com`}, `"a,b"@example.com`},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.e, got, tt.want)
		}
	}
}
