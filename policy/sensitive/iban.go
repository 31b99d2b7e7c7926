package sensitive

// ibanFormats are the BBAN structures of the countries in the ISO 13616
// IBAN Registry (SWIFT, release 101): n digits, a letters, c letters or
// digits. An IBAN is the country code, two check digits and the BBAN, so
// its length is 4 + the BBAN's. The structure, not only the length, is
// checked: "de 12 personnes" is not the start of a German IBAN.
var ibanFormats = map[string]string{
	"AD": "8n12c", "AE": "19n", "AL": "8n16c", "AT": "16n", "AZ": "4a20c",
	"BA": "16n", "BE": "12n", "BG": "4a6n8c", "BH": "4a14c", "BI": "23n",
	"BR": "23n1a1c", "BY": "4c4n16c", "CH": "5n12c", "CR": "18n", "CY": "8n16c",
	"CZ": "20n", "DE": "18n", "DJ": "23n", "DK": "14n", "DO": "4c20n",
	"EE": "16n", "EG": "25n", "ES": "20n", "FI": "14n", "FK": "2a12n",
	"FO": "14n", "FR": "10n11c2n", "GB": "4a14n", "GE": "2a16n", "GI": "4a15c",
	"GL": "14n", "GR": "7n16c", "GT": "24c", "HN": "4a20n", "HR": "17n",
	"HU": "24n", "IE": "4a14n", "IL": "19n", "IQ": "4a15n", "IS": "22n",
	"IT": "1a10n12c", "JO": "4a4n18c", "KW": "4a22c", "KZ": "3n13c", "LB": "4n20c",
	"LC": "4a24c", "LI": "5n12c", "LT": "16n", "LU": "3n13c", "LV": "4a13c",
	"LY": "21n", "MC": "10n11c2n", "MD": "20c", "ME": "18n", "MK": "3n10c2n",
	"MN": "16n", "MR": "23n", "MT": "4a5n18c", "MU": "4a19n3a", "NI": "4a20n",
	"NL": "4a10n", "NO": "11n", "OM": "3n16c", "PK": "4a16c", "PL": "24n",
	"PS": "4a21c", "PT": "21n", "QA": "4a21c", "RO": "4a16c", "RS": "18n",
	"RU": "14n15c", "SA": "2n18c", "SC": "4a20n3a", "SD": "14n", "SE": "20n",
	"SI": "15n", "SK": "20n", "SM": "1a10n12c", "SO": "19n", "ST": "21n",
	"SV": "4a20n", "TL": "19n", "TN": "20n", "TR": "6n16c", "UA": "6n19c",
	"VA": "18n", "VG": "4a16n", "XK": "16n", "YE": "4a4n18c",
}

// maxIBAN is the longest IBAN ISO 13616 allows.
const maxIBAN = 34

// ibanSpec is a country's IBAN: its length and the class of each position
// (positions 0-3, the country code and check digits, included).
type ibanSpec struct {
	length int
	class  [maxIBAN]byte // 'a', 'n' or 'c'
}

// ibanSpecs is indexed by the two letters of the country code.
var ibanSpecs = func() (t [26 * 26]*ibanSpec) {
	for cc, f := range ibanFormats {
		s := &ibanSpec{length: 4}
		s.class[0], s.class[1], s.class[2], s.class[3] = 'a', 'a', 'n', 'n'
		n := 0
		for i := 0; i < len(f); i++ {
			if c := f[i]; isDigit(c) {
				n = n*10 + int(c-'0')
				continue
			}
			for range n {
				s.class[s.length] = f[i]
				s.length++
			}
			n = 0
		}
		t[int(cc[0]-'A')*26+int(cc[1]-'A')] = s
	}
	return t
}()

// upperLetter is the upper case of an ASCII letter, or 0.
func upperLetter(b byte) byte {
	switch {
	case 'A' <= b && b <= 'Z':
		return b
	case 'a' <= b && b <= 'z':
		return b - 'a' + 'A'
	}
	return 0
}

// ibanAt reads an IBAN starting at text[i], a letter at the start of a
// word: a registered country code, then exactly as many letters and digits
// as that country's IBANs have, in its structure, with single separators
// (space, dash, no-break space) anywhere after the country code, in upper
// or lower case, and no letter or digit glued to its end. It returns the
// end of the IBAN and its masked form when the mod-97 check holds.
func ibanAt(text string, i int) (end int, masked string, ok bool) {
	if i+4 > len(text) {
		return 0, "", false
	}
	c0, c1 := upperLetter(text[i]), upperLetter(text[i+1])
	if c0 == 0 || c1 == 0 {
		return 0, "", false
	}
	spec := ibanSpecs[int(c0-'A')*26+int(c1-'A')]
	if spec == nil {
		return 0, "", false
	}
	var buf [maxIBAN]byte
	buf[0], buf[1] = c0, c1
	j, k := i+2, 2
	for k < spec.length {
		if j >= len(text) {
			return 0, "", false
		}
		if n := sepLen(text, j); n > 0 {
			// A separator must sit between two characters of the IBAN.
			if j+n >= len(text) || sepLen(text, j+n) > 0 {
				return 0, "", false
			}
			j += n
		}
		b := text[j]
		switch spec.class[k] {
		case 'n':
			if !isDigit(b) {
				return 0, "", false
			}
		case 'a':
			if b = upperLetter(b); b == 0 {
				return 0, "", false
			}
		default:
			if u := upperLetter(b); u != 0 {
				b = u
			} else if !isDigit(b) {
				return 0, "", false
			}
		}
		buf[k] = b
		k++
		j++
	}
	if wordAt(text, j) {
		return 0, "", false // longer than this country's IBANs: something else
	}
	if !mod97(buf[:k]) {
		return 0, "", false
	}
	return j, maskIBAN(buf[:k]), true
}

// mod97 is the ISO 7064 MOD 97-10 check of an IBAN in upper case: moved
// country code and check digits to the end, letters as 10-35, the number
// leaves 1 when divided by 97.
func mod97(iban []byte) bool {
	r := 0
	for i := range iban {
		c := iban[(i+4)%len(iban)]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r == 1
}

// maskIBAN shows an admin which IBAN it was without showing the account:
// country, check digits and the last four characters ("CH93 **** **** 2957").
func maskIBAN(iban []byte) string {
	return string(iban[:4]) + " **** **** " + string(iban[len(iban)-4:])
}
