package sensitive

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

// scanFor compiles one rule of detector d (action never_log) and scans body.
func scanFor(t testing.TB, d discreet.Detector, body string) Hit {
	t.Helper()
	s, err := Compile([]discreet.SensitivityRule{{ID: "r", Detector: d, Action: discreet.ActionNeverLog}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Scan(Message{Body: body})
}

// registryIBANs are sample IBANs of the IBAN Registry and of banks, as they
// are printed: grouped by four, run together, lower case, with dashes.
var registryIBANs = []struct{ iban, masked string }{
	{"CH93 0076 2011 6238 5295 7", "CH93 **** **** 2957"},
	{"CH9300762011623852957", "CH93 **** **** 2957"},
	{"ch93 0076 2011 6238 5295 7", "CH93 **** **** 2957"},
	{"DE89 3704 0044 0532 0130 00", "DE89 **** **** 3000"},
	{"DE89370400440532013000", "DE89 **** **** 3000"},
	{"de89-3704-0044-0532-0130-00", "DE89 **** **** 3000"},
	{"AT61 1904 3002 3457 3201", "AT61 **** **** 3201"},
	{"LI21 0881 0000 2324 013A A", "LI21 **** **** 13AA"},
	{"GB29 NWBK 6016 1331 9268 19", "GB29 **** **** 6819"},
	{"gb29nwbk60161331926819", "GB29 **** **** 6819"},
	{"FR14 2004 1010 0505 0001 3M02 606", "FR14 **** **** 2606"},
	{"IT60 X054 2811 1010 0000 0123 456", "IT60 **** **** 3456"},
	{"NL91 ABNA 0417 1643 00", "NL91 **** **** 4300"},
	{"NO93 8601 1117 947", "NO93 **** **** 7947"},
	{"LC55 HEMM 0001 0001 0012 0012 0002 3015", "LC55 **** **** 3015"},
	{"MC11 1273 9000 7000 1111 1000 h79", "MC11 **** **** 0H79"},
	{"ES 58 0049 0290 3424 1352 8341", "ES58 **** **** 8341"},
	{"ES10 0075 0080 11 0600658108", "ES10 **** **** 8108"},
	{"ES72 2013-0692-81-0201150993", "ES72 **** **** 0993"},
	{"ME 25 5050 0001 2345 6789 51", "ME25 **** **** 8951"},
	{"BR18 0036 0305 0000 1000 9795 493C 1", "BR18 **** **** 93C1"},
	{"MU17 BOMM 0101 1010 3030 0200 000M UR", "MU17 **** **** 0MUR"},
	{"SC18 SSCB 1101 0000 0000 0000 1497 USD", "SC18 **** **** 7USD"},
	{"BE68 5390 0754 7034", "BE68 **** **** 7034"},
	{"HU42 1177 3016 1111 1018 0000 0000", "HU42 **** **** 0000"},
	{"PL61 1090 1014 0000 0712 1981 2874", "PL61 **** **** 2874"},
	{"SE45 5000 0000 0583 9825 7466", "SE45 **** **** 7466"},
	{"IE29 AIBK 9311 5212 3456 78", "IE29 **** **** 5678"},
	{"LU28 0019 4006 4475 0000", "LU28 **** **** 0000"},
	{"GI75 NWBK 0000 0000 7099 453", "GI75 **** **** 9453"},
	{"BH67 BMAG 0000 1299 1234 56", "BH67 **** **** 3456"},
	{"CH93\u00a00076\u00a02011\u00a06238\u00a05295\u00a07", "CH93 **** **** 2957"},
}

func TestIBANFound(t *testing.T) {
	for _, tt := range registryIBANs {
		for _, body := range []string{
			tt.iban,
			"Bitte überweisen Sie auf " + tt.iban + ".",
			"IBAN: " + tt.iban + "\nBIC: UBSWCHZH80A",
			"(" + tt.iban + ")",
		} {
			h := scanFor(t, discreet.DetectorIBAN, body)
			if !h.Fired() || h.Rule.Detector != discreet.DetectorIBAN {
				t.Errorf("%q: no IBAN found", body)
				continue
			}
			if h.Evidence != tt.masked {
				t.Errorf("%q: evidence %q, want %q", body, h.Evidence, tt.masked)
			}
			if h.Where != WhereBody {
				t.Errorf("%q: where %q, want body", body, h.Where)
			}
		}
	}
}

// validIBAN makes a valid IBAN of country cc with random BBAN characters.
func validIBAN(r *rand.Rand, cc string) string {
	spec := ibanSpecs[int(cc[0]-'A')*26+int(cc[1]-'A')]
	b := []byte(cc + "00")
	for k := 4; k < spec.length; k++ {
		const letters, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
		switch spec.class[k] {
		case 'n':
			b = append(b, digits[r.IntN(10)])
		case 'a':
			b = append(b, letters[r.IntN(26)])
		default:
			b = append(b, (letters + digits)[r.IntN(36)])
		}
	}
	// Check digits: 98 minus the remainder with "00".
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
	return string(b)
}

// Every country of the registry: a generated IBAN is found, and the same
// with one character changed or one too many or too few is not.
func TestIBANEveryCountry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	if len(ibanFormats) < 89 {
		t.Fatalf("%d countries; the registry (release 101) has 89", len(ibanFormats))
	}
	for cc, f := range ibanFormats {
		spec := ibanSpecs[int(cc[0]-'A')*26+int(cc[1]-'A')]
		if spec == nil || spec.length < 15 || spec.length > maxIBAN {
			t.Fatalf("%s %q: bad spec %+v", cc, f, spec)
		}
		for range 20 {
			iban := validIBAN(r, cc)
			if h := scanFor(t, discreet.DetectorIBAN, "IBAN "+iban+" bitte"); !h.Fired() {
				t.Errorf("%s: %s not found", cc, iban)
			}
			// One digit changed: the mod-97 check fails (it catches every
			// single substitution).
			for _, k := range []int{3, spec.length - 1} {
				if !isDigit(iban[k]) {
					continue
				}
				bad := iban[:k] + string('0'+(iban[k]-'0'+1)%10) + iban[k+1:]
				if h := scanFor(t, discreet.DetectorIBAN, "IBAN "+bad+" bitte"); h.Fired() {
					t.Errorf("%s: %s (a digit changed) found", cc, bad)
				}
			}
			if h := scanFor(t, discreet.DetectorIBAN, "IBAN "+iban+"7 bitte"); h.Fired() {
				t.Errorf("%s: %s7 (one too many) found", cc, iban)
			}
			if h := scanFor(t, discreet.DetectorIBAN, "IBAN "+iban[:len(iban)-1]+" bitte"); h.Fired() {
				t.Errorf("%s: %s (one too few) found", cc, iban[:len(iban)-1])
			}
		}
	}
}

func TestIBANLookAlikes(t *testing.T) {
	for _, body := range []string{
		"DE89 3704 0044 0532 0130 01",  // check digits wrong
		"DE88 3704 0044 0532 0130 00",  // check digits wrong
		"DE89 3704 0044 0532 0130 000", // one digit too many
		"DE89 3704 0044 0532 0130 0",   // one too few
		"DE89370400440532013000X",      // glued to more letters
		"XDE89370400440532013000",      // not at the start of a word
		"XX89 3704 0044 0532 0130 00",  // no such country
		"US64 SVBK US6S 3300 9673 86",  // the US has no IBAN
		"DE89  3704 0044 0532 0130 00", // two separators
		"DE89 3704 0044 0532 0130 00-", // fine, but: see below
		"DE893704004405320130 00 EUR",  // fine too
		"CH93 0076 2011 6238 5295",     // a group short
		"de 12 personnes sont venues à la réunion du 12 mars",
		"at 12 noon in Vienna, at 1200 hours, AT 12 AB",
		"es 20 de enero de 2025, es 2025",
		"Order GB29-NWBK-60 not an IBAN",
		"ISBN 978-3-16-148410-0, EAN 4006381333931",
	} {
		h := scanFor(t, discreet.DetectorIBAN, body)
		// Two of the lines hold a valid IBAN followed by a separator and
		// more text, which is a boundary.
		want := strings.HasSuffix(body, "00-") || strings.HasSuffix(body, "EUR")
		if h.Fired() != want {
			t.Errorf("%q: fired %v, want %v (%+v)", body, h.Fired(), want, h)
		}
	}
}

func TestMod97(t *testing.T) {
	// The registry's worked example: GB82 WEST 1234 5698 7654 32.
	if !mod97([]byte("GB82WEST12345698765432")) {
		t.Error("GB82WEST12345698765432 fails mod-97")
	}
	for check := range 100 {
		iban := fmt.Sprintf("GB%02dWEST12345698765432", check)
		if got := mod97([]byte(iban)); got != (check == 82) {
			t.Errorf("mod97(%s) = %v", iban, got)
		}
	}
}
