package sensitive

import (
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

// luhnComplete appends the check digit that makes prefix pass Luhn, so a
// look-alike below fails for the reason it names, not by luck.
func luhnComplete(prefix string) string {
	for c := byte('0'); c <= '9'; c++ {
		if luhn(digitsOf(prefix + string(c))) {
			return prefix + string(c)
		}
	}
	panic("unreachable")
}

func digitsOf(s string) []byte {
	var d []byte
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			d = append(d, s[i]-'0')
		}
	}
	return d
}

// testCards are the networks' published test numbers.
var testCards = []struct{ number, masked string }{
	{"4111 1111 1111 1111", "Visa **** 1111"},
	{"4111111111111111", "Visa **** 1111"},
	{"4111-1111-1111-1111", "Visa **** 1111"},
	{"4111\u00a01111\u00a01111\u00a01111", "Visa **** 1111"},
	{"4012 8888 8888 1881", "Visa **** 1881"},
	{"4242 4242 4242 4242", "Visa **** 4242"},
	{"5555 5555 5555 4444", "Mastercard **** 4444"},
	{"5105 1051 0510 5100", "Mastercard **** 5100"},
	{"2223 0031 2200 3222", "Mastercard **** 3222"},
	{"3782 822463 10005", "American Express **** 0005"},
	{"3714 496353 98431", "American Express **** 8431"},
	{"6011 1111 1111 1117", "Discover **** 1117"},
	{"6011 0009 9013 9424", "Discover **** 9424"},
	{"3530 1113 3330 0000", "JCB **** 0000"},
	{"3566 0020 2036 0505", "JCB **** 0505"},
	{"3056 930902 5904", "Diners Club **** 5904"},
	{"3852 0000 0232 37", "Diners Club **** 3237"},
	{"6200 0000 0000 0005", "UnionPay **** 0005"},
	{"6759 6498 2643 8453", "Maestro **** 8453"},
	{luhnComplete("220012345678901"), "Mir **** " + luhnComplete("220012345678901")[12:]},
	{luhnComplete("411111111111111111"), "Visa **** " + luhnComplete("411111111111111111")[15:]}, // 19 digits
}

func TestCardFound(t *testing.T) {
	for _, tt := range testCards {
		if !luhn(digitsOf(tt.number)) {
			t.Fatalf("test number %s fails Luhn", tt.number)
		}
		for _, body := range []string{
			tt.number,
			"Meine Karte: " + tt.number + ", gültig bis 12/27.",
			"card " + tt.number + "\nexp 12/27 cvc 123",
			tt.number + " 12/27",              // the month of the expiry date after it
			"Pos. 12: " + tt.number,           // a number before it, apart
			tt.number + " 12EUR",              // a group glued to a word
			"<td>" + tt.number + "</td>",      // in markup
			"number:" + tt.number + ";cvc:1x", // no spaces
			tt.number + "_x",                  // '_' is not part of a word
		} {
			h := scanFor(t, discreet.DetectorCard, body)
			if !h.Fired() {
				t.Errorf("%q: no card found", body)
				continue
			}
			if h.Evidence != tt.masked {
				t.Errorf("%q: evidence %q, want %q", body, h.Evidence, tt.masked)
			}
		}
	}
}

// TestCardLookAlikes: numbers that look like cards and are not. Where a
// look-alike could pass Luhn by chance, it is made to, so the test shows
// the rule that keeps it out.
func TestCardLookAlikes(t *testing.T) {
	// An IBAN whose account number holds a Luhn-valid Visa number.
	deIBAN := ibanWithBBAN("DE", "411111111111111111")
	amazon := luhnComplete("3021234567123456")
	tests := []struct{ body, why string }{
		{"4111 1111 1111 1112", "Luhn fails"},
		{"4111 1111 1111 111", "15 digits: no Visa has 15"},
		{luhnComplete("400638133393"), "EAN-13 of German goods: 13-digit Visa is not a card here"},
		{"4006381333931", "an EAN-13 barcode"},
		{"978-3-16-148410-0", "an ISBN-13"},
		{amazon[:3] + "-" + amazon[3:10] + "-" + amazon[10:], "a German Amazon order number (302-…, 17 digits), Luhn-valid"},
		{amazon, "17 digits with a Diners Carte Blanche prefix"},
		{"Bestellung 028-" + "1234567-1234567", "an Amazon order number"},
		{"+41 44 668 18 00", "a Swiss phone number"},
		{"+49 151 2345 6789", "a German mobile number"},
		{"+" + luhnComplete("491512345678901"), "a phone number after '+', Luhn-valid"},
		{"+41 " + luhnComplete("411111111111111"), "a phone number after '+' in groups"},
		{"0041 44 668 18 00", "a phone number with 00"},
		{"(415) 555-0100, +1 415 555 0100", "US phone numbers"},
		{"1Z999AA10123456784", "a UPS tracking number"},
		{"1Z 999 AA1 01 2345 678 4", "a UPS tracking number, grouped"},
		{"9400 1118 9922 3397 4612 35", "a USPS tracking number"},
		{"9400 " + luhnComplete("11189922339746123"), "a USPS-shaped number, Luhn-valid"},
		{"00340434161094042557", "a DHL Paket number"},
		{"7489 2748 9284", "a FedEx number (12 digits)"},
		{"JJD000390007621234567", "a DHL number"},
		{"INV" + luhnComplete("411111111111111"), "glued to a word before"},
		{luhnComplete("411111111111111") + "EUR", "glued to a word after"},
		{luhnComplete("100000000000000"), "no issuer starts with 1"},
		{luhnComplete("900000000000000"), "no issuer starts with 9"},
		{luhnComplete("0000000000000000"), "no issuer starts with 0"},
		{"Kundennummer 1234 5678 9012 3456 7890 1234", "24 digits"},
		{"Pos. 12 4111 1111 1111 1111", "read as one 18-digit number: a limit, not a wish"},
		{"Bestellung 302-" + luhnComplete("3612345612345")[:6] + "-" + luhnComplete("3612345612345")[6:], "without its 302 an order number would be a Diners card"},
		{"Sendung 9400 " + luhnComplete("360000000000000000"), "a USPS number without its first group would be a Diners card"},
		{"2024-01-15 10:30, 192.168.100.200", "a date, a time, an IP address"},
		{"CHF 1'234'567.00, EUR 4 111 111.11", "amounts"},
		{strings.Repeat("1 ", 5000), "a long run of single digits"},
		{deIBAN, "an IBAN holding a Luhn-valid number"},
	}
	for _, tt := range tests {
		if h := scanFor(t, discreet.DetectorCard, tt.body); h.Fired() {
			t.Errorf("%q (%s): fired (%q)", tt.body, tt.why, h.Evidence)
		}
	}
	// The IBAN is found as one when an IBAN rule is there.
	if h := scanFor(t, discreet.DetectorIBAN, deIBAN); !h.Fired() {
		t.Errorf("%q: IBAN not found", deIBAN)
	}
}

// ibanWithBBAN is the valid IBAN of country cc and bban, grouped by four.
func ibanWithBBAN(cc, bban string) string {
	b := []byte(cc + "00" + bban)
	rem := 0
	for i := range b {
		c := b[(i+4)%len(b)]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	check := 98 - rem
	b[2], b[3] = byte('0'+check/10), byte('0'+check%10)
	var out []byte
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, c)
	}
	return string(out)
}

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		n  string
		ok bool
	}{
		{"79927398713", true}, // the textbook example
		{"79927398710", false},
		{"0", true},
		{"18", true},
		{"4111111111111111", true},
		{"4111111111111112", false},
	} {
		if got := luhn(digitsOf(tt.n)); got != tt.ok {
			t.Errorf("luhn(%s) = %v, want %v", tt.n, got, tt.ok)
		}
	}
}

func TestBrandOf(t *testing.T) {
	for _, tt := range []struct{ n, brand string }{
		{"4111111111111111", "Visa"},
		{"4111111111111", ""}, // 13-digit Visa: left out
		{"5555555555554444", "Mastercard"},
		{"2720999999999999", "Mastercard"},
		{"2721000000000000", ""},
		{"2220999999999999", ""},
		{"2204000000000000", "Mir"},
		{"378282246310005", "American Express"},
		{"3782822463100050", ""}, // Amex has 15 digits
		{"6499999999999999", "Discover"},
		{"6439999999999999", ""},
		{"3528000000000000", "JCB"},
		{"3590000000000000", ""},
		{"30000000000000", "Diners Club"},
		{"30600000000000", ""},
		{"67590000000000000", "Maestro"},
		{"6759000000000", ""}, // 13-digit Maestro: left out
	} {
		if got := brandOf(digitsOf(tt.n)); got != tt.brand {
			t.Errorf("brandOf(%s) = %q, want %q", tt.n, got, tt.brand)
		}
	}
}
