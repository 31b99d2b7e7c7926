package policy

import "testing"

func TestMayAutoProvision(t *testing.T) {
	internal := []string{"acme.example", "acme-ch.example", "eu.acme.example", "bücher.example"}
	for _, tc := range []struct {
		name, address, hd string
		want              bool
	}{
		{"Workspace account at an internal domain", "anna@acme.example", "acme.example", true},
		{"hd in another case", "anna@acme.example", "ACME.example", true},
		{"address normalized first", " Anna+crm@ACME.example ", "acme.example", true},
		{"second internal domain", "beat@acme-ch.example", "acme-ch.example", true},
		{"subdomain listed itself", "lena@eu.acme.example", "eu.acme.example", true},
		{"IDN domain as Unicode and punycode", "max@bücher.example", "xn--bcher-kva.example", true},

		{"consumer account with a company address", "anna@acme.example", "", false},
		{"hd of another organization", "anna@acme.example", "evil.example", false},
		{"hd internal, address elsewhere", "eve@evil.example", "acme.example", false},
		{"address at a subdomain not listed", "ops@mail.acme.example", "mail.acme.example", false},
		{"address at a subdomain, hd the parent", "ops@mail.acme.example", "acme.example", false},
		{"hd a parent of an internal domain", "x@example", "example", false},
		{"hd at a subdomain, address at the parent", "anna@acme.example", "mail.acme.example", false},
		{"address at a secondary domain, hd the primary", "anna@acme-ch.example", "acme.example", false},
		{"not an address", "anna", "acme.example", false},
		{"hd not a domain", "anna@acme.example", "acme .example", false},
		{"gmail account", "someone@gmail.com", "", false},
	} {
		if got := MayAutoProvision(tc.address, tc.hd, internal); got != tc.want {
			t.Errorf("%s: MayAutoProvision(%q, %q) = %v, want %v", tc.name, tc.address, tc.hd, got, tc.want)
		}
	}
	if MayAutoProvision("anna@acme.example", "acme.example", nil) {
		t.Error("an org without internal domains auto-provisions")
	}
	if MayAutoProvision("anna@acme.example", "acme.example", []string{"not a domain", ""}) {
		t.Error("invalid internal domains admit someone")
	}
}
