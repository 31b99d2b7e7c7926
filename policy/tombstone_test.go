package policy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

var testSecret = bytes.Repeat([]byte("s3cr3t!"), 5)

func mustTombstone(t testing.TB, subject string) discreet.Tombstone {
	t.Helper()
	ts, _, err := TombstoneFor(testSecret, subject)
	if err != nil {
		t.Fatalf("TombstoneFor(%q): %v", subject, err)
	}
	return ts
}

// Every spelling of one mailbox or domain has one tombstone, and it says
// nothing of the address.
func TestTombstoneFor(t *testing.T) {
	same := [][]string{
		{"anna@gmail.com", "Anna <A.nna+crm@GoogleMail.com>", "  ANNA@gmail.com ", `"anna"@gmail.com`, "a.n.n.a@googlemail.com (Anna)"},
		{"müller@bücher.example", "MÜLLER@BÜCHER.EXAMPLE.", "müller@xn--bcher-kva.example"},
		{"@example.com", "*@example.com", "example.com", "EXAMPLE.com.", "@Example.COM"},
		{"@bücher.example", "xn--bcher-kva.example"},
		{"@gmail.com", "googlemail.com"},
	}
	var all []string
	for _, group := range same {
		first := mustTombstone(t, group[0])
		for _, s := range group[1:] {
			if got := mustTombstone(t, s); got != first {
				t.Errorf("TombstoneFor(%q) = %+v, want %+v as for %q", s, got, first, group[0])
			}
		}
		if len(first.Hash) != 64 || strings.Trim(first.Hash, "0123456789abcdef") != "" {
			t.Errorf("%q: hash %q is not 64 hex digits", group[0], first.Hash)
		}
		for _, part := range []string{"anna", "gmail", "example", "bcher", "ller"} {
			if strings.Contains(first.Hash, part) {
				t.Errorf("%q: hash %q names %q", group[0], first.Hash, part)
			}
		}
		all = append(all, first.Hash)
	}
	for i := range all {
		for j := range i {
			if all[i] == all[j] {
				t.Errorf("groups %d and %d share a tombstone", i, j)
			}
		}
	}
	if k := mustTombstone(t, "anna@example.com").Kind; k != discreet.TombstoneAddress {
		t.Errorf("address kind %q", k)
	}
	if k := mustTombstone(t, "@example.com").Kind; k != discreet.TombstoneDomain {
		t.Errorf("domain kind %q", k)
	}
	// Another secret, another hash.
	other, _, err := TombstoneFor(bytes.Repeat([]byte("x"), MinTombstoneSecret), "anna@gmail.com")
	if err != nil || other.Hash == all[0] {
		t.Errorf("another secret gives %+v, %v", other, err)
	}
}

func TestTombstoneForRejects(t *testing.T) {
	if _, _, err := TombstoneFor(testSecret[:MinTombstoneSecret-1], "anna@example.com"); discreet.ErrorCode(err) != discreet.EInternal {
		t.Errorf("short secret: %v", err)
	}
	if _, err := CompileTombstones(nil, nil); discreet.ErrorCode(err) != discreet.EInternal {
		t.Errorf("no secret: %v", err)
	}
	for _, s := range []string{"", "anna", "anna@x@example.com", "*.example.com", "anna@example"} {
		if _, _, err := TombstoneFor(testSecret, s); discreet.ErrorCode(err) != discreet.EInvalid {
			t.Errorf("TombstoneFor(%q) = %v, want invalid_argument", s, err)
		}
	}
}

func TestErased(t *testing.T) {
	ts, err := CompileTombstones(testSecret, []discreet.Tombstone{
		mustTombstone(t, "anna@gmail.com"),
		mustTombstone(t, "kunde@zurich-bank.example"),
		mustTombstone(t, "@hr-partner.example"),
		mustTombstone(t, "@legal.acme-client.example"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		header string
		want   string // the subject whose tombstone is hit; "" none
	}{
		{"A.Nna+x@googlemail.com", "anna@gmail.com"},
		{"Anna <anna@gmail.com>, Bob <bob@example.com>", "anna@gmail.com"},
		{"bob@example.com, KUNDE@Zurich-Bank.example", "kunde@zurich-bank.example"},
		{"lisa@hr-partner.example", "@hr-partner.example"},
		{"lisa@eu.mail.hr-partner.example", "@hr-partner.example"},
		{"x@legal.acme-client.example", "@legal.acme-client.example"},
		{"x@acme-client.example", ""}, // the parent of an erased domain is not erased
		{"x@hr-partner.example.org", ""},
		{"x@nothr-partner.example", ""},
		{"annab@gmail.com, bob@example.com", ""},
		{"kunde@zurich-bank.example.com", ""},
		// A malformed header still yields the address inside it.
		{"Kunde <kunde@zurich-bank.example> <extra", "kunde@zurich-bank.example"},
		{"Lisa (HR) lisa@hr-partner.example, <bob", "@hr-partner.example"},
		// Forms only servers accept count by their lenient keys, obsolete
		// RFC 5322 forms as the addresses they are.
		{"lisa@mail_gw.hr-partner.example", "@hr-partner.example"},
		{"kunde (Kunde) @ zurich-bank . example", "kunde@zurich-bank.example"},
		{"lisa@mail_gw.nothr-partner.example", ""},
	}
	for _, tt := range tests {
		ps := ParseAddressList("to", tt.header)
		hash, ok := ts.Erased(ps)
		if want := tt.want != ""; ok != want {
			t.Errorf("%q: erased %v, want %v (participants %+v)", tt.header, ok, want, ps)
			continue
		}
		if ok && hash != mustTombstone(t, tt.want).Hash {
			t.Errorf("%q: hit %s, want the tombstone of %q", tt.header, hash, tt.want)
		}
	}
	// Stored participants and draft recipients, as normalized addresses.
	if _, ok := ts.ErasedAddresses([]string{"bob@example.com", "lisa@hr-partner.example"}); !ok {
		t.Error("ErasedAddresses missed lisa@hr-partner.example")
	}
	if _, ok := ts.ErasedAddress("bob@example.com"); ok {
		t.Error("ErasedAddress hit bob@example.com")
	}
	// Only address tombstones: domains are not hashed, and still work.
	only, err := CompileTombstones(testSecret, []discreet.Tombstone{mustTombstone(t, "anna@gmail.com")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := only.ErasedAddress("anna@gmail.com"); !ok || only.domains {
		t.Errorf("address-only set: hit %v, domains %v", ok, only.domains)
	}
	// None: nothing is erased, at no cost.
	var none *Tombstones
	if _, ok := none.Erased(ParseAddressList("to", "anna@gmail.com")); ok || none.Len() != 0 {
		t.Error("a nil set hit")
	}
}

// FuzzTombstone: an erased address is found however a header writes it.
func FuzzTombstone(f *testing.F) {
	for _, a := range trickyAddresses {
		f.Add(a, "Someone")
	}
	f.Fuzz(func(t *testing.T, addr, name string) {
		n, err := NormalizeAddress(addr)
		if err != nil {
			return
		}
		ts, e, err := TombstoneFor(testSecret, n)
		if err != nil || e.Kind != KindAddress {
			return // '*' in the local part: an entry reads "*@x" as a domain and rejects other '*'
		}
		if e.Value != n {
			t.Fatalf("TombstoneFor(%q) entry %+v", n, e)
		}
		set, err := CompileTombstones(testSecret, []discreet.Tombstone{ts})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{addr, "<" + n + ">", strings.ToUpper(n), "\"" + strings.ReplaceAll(name, "\"", "") + "\" <" + n + ">", "x@example.org, " + n} {
			ps := ParseAddressList("to", h)
			recovered := false
			for _, p := range ps {
				recovered = recovered || p.Address == n
			}
			if !recovered {
				continue // the parser reads this header otherwise; the matcher's business
			}
			if _, ok := set.Erased(ps); !ok {
				t.Fatalf("%q erased, header %q not caught", n, h)
			}
		}
		// Erasing its domain catches it too.
		if d, _, err := TombstoneFor(testSecret, "@"+DomainOf(n)); err == nil {
			dom, _ := CompileTombstones(testSecret, []discreet.Tombstone{d})
			if _, ok := dom.ErasedAddress(n); !ok {
				t.Fatalf("@%s erased, %q not caught", DomainOf(n), n)
			}
		}
	})
}

// BenchmarkErased is the cost the erasure check adds to a log decision: an
// email with ten participants at five domains against a thousand
// tombstones (some of domains), and against none.
func BenchmarkErased(b *testing.B) {
	var ts []discreet.Tombstone
	for i := range 1000 {
		s := fmt.Sprintf("person%d@firm%d.example", i, i%300)
		if i%10 == 0 {
			s = fmt.Sprintf("@gone%d.example", i)
		}
		ts = append(ts, mustTombstone(b, s))
	}
	set, err := CompileTombstones(testSecret, ts)
	if err != nil {
		b.Fatal(err)
	}
	var header []string
	for i := range 10 {
		header = append(header, fmt.Sprintf("Person %d <p%d@mail.client%d.example>", i, i, i%5))
	}
	ps := ParseAddressList("to", strings.Join(header, ", "))
	for _, bc := range []struct {
		name string
		set  *Tombstones
	}{{"1000-tombstones", set}, {"none", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := bc.set.Erased(ps); ok {
					b.Fatal("erased")
				}
			}
		})
	}
}
