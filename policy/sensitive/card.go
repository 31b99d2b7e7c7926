package sensitive

// issuer is a range of issuer identification numbers (the leading digits
// of a card number) and the lengths its cards have.
type issuer struct {
	brand   string
	lo, hi  int    // range of the first digits
	digits  int    // how many first digits lo and hi are
	lengths uint32 // bit n set: cards of n digits
}

func lengths(ns ...int) uint32 {
	var m uint32
	for _, n := range ns {
		m |= 1 << n
	}
	return m
}

var (
	len16to19 = lengths(16, 17, 18, 19)
	len14to19 = lengths(14, 15, 16, 17, 18, 19)
)

// issuers are the card networks in wide use in Europe and North America.
// A number outside them is not a card, however well its Luhn digit checks:
// that is what keeps order, tracking, invoice and customer numbers out.
//
// Left out on purpose: 13-digit Visa numbers (last issued decades ago),
// whose shape is that of an EAN-13 barcode of German goods (prefixes
// 400-440), and Maestro numbers under 16 digits, which collide with EAN-13
// barcodes of British goods; 17-digit numbers with the old Diners prefixes
// 300-305, which is the shape of a German Amazon order number (302-…).
var issuers = []issuer{
	{"Visa", 4, 4, 1, lengths(16, 19)},
	{"Mastercard", 51, 55, 2, lengths(16)},
	{"Mastercard", 2221, 2720, 4, lengths(16)},
	{"American Express", 34, 34, 2, lengths(15)},
	{"American Express", 37, 37, 2, lengths(15)},
	{"Discover", 6011, 6011, 4, len16to19},
	{"Discover", 644, 649, 3, len16to19},
	{"Discover", 65, 65, 2, len16to19},
	{"UnionPay", 62, 62, 2, len16to19},
	{"JCB", 3528, 3589, 4, len16to19},
	{"Diners Club", 36, 36, 2, len14to19},
	{"Diners Club", 300, 305, 3, lengths(14, 16)},
	{"Diners Club", 3095, 3095, 4, lengths(14, 16)},
	{"Diners Club", 38, 39, 2, lengths(14, 16)},
	{"Maestro", 5018, 5018, 4, len16to19},
	{"Maestro", 5020, 5020, 4, len16to19},
	{"Maestro", 5038, 5038, 4, len16to19},
	{"Maestro", 5893, 5893, 4, len16to19},
	{"Maestro", 6304, 6304, 4, len16to19},
	{"Maestro", 6759, 6759, 4, len16to19},
	{"Maestro", 6761, 6763, 4, len16to19},
	{"Mir", 2200, 2204, 4, len16to19},
}

// Card numbers are 13 to 19 digits (ISO/IEC 7812).
const (
	minCard = 13
	maxCard = 19
	// maxTail is the largest group that may be dropped from the end of a
	// run of digit groups to find a card in it: the month of an expiry
	// date ("4111 1111 1111 1111 12/27"). Nothing is dropped from the
	// start: "302-1234567-1234567" without its "302" could pass for a
	// Diners card, and that is an Amazon order number.
	maxTail = 2
	// maxRun is the most digits a run may hold and still contain a card.
	maxRun = maxCard + maxTail
)

// brandOf is the brand of a card number of digits (values 0-9), or "".
func brandOf(d []byte) string {
	for _, is := range issuers {
		if is.lengths&(1<<len(d)) == 0 {
			continue
		}
		p := 0
		for _, x := range d[:is.digits] {
			p = p*10 + int(x)
		}
		if is.lo <= p && p <= is.hi {
			return is.brand
		}
	}
	return ""
}

// luhn is the check of ISO/IEC 7812: from the right, every second digit
// doubled (less 9 when over 9), the sum divides by 10.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		x := int(d[len(d)-1-i])
		if i%2 == 1 {
			if x *= 2; x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum%10 == 0
}

// cardRun reads the run of digit groups starting at text[i], a digit at the
// start of a word: groups of digits with a single separator (space, dash,
// no-break space) between them. It returns the end of the run and, when the
// run is a card number of a known issuer with a valid Luhn digit, its
// masked form. The run without a last group of one or two digits is tried
// too.
//
// Not a card: a run right after '+' (a phone number), and a run glued to
// a word ("INV4111…" never gets here; "…1111EUR" loses its last group).
// A number written right after other digit groups ("Pos. 12 4111 1111
// 1111 1111") is read with them, as one longer number, and not found.
func cardRun(text string, i int) (end int, masked string, ok bool) {
	// First only find the run's end and count its digits: most runs are a
	// date, an amount or a postcode, far too short to be a card.
	nd, ng := 0, 0
	j := i
	for {
		for j < len(text) && isDigit(text[j]) {
			nd++
			j++
		}
		ng++
		// A separator continues the run only when a digit follows it.
		if n := sepLen(text, j); n > 0 && j+n < len(text) && isDigit(text[j+n]) {
			j += n
			continue
		}
		break
	}
	end = j
	if nd < minCard || nd > maxRun || i > 0 && text[i-1] == '+' {
		return end, "", false
	}
	var digits [maxRun]byte
	var groups [maxRun]uint8 // group lengths
	nd, ng = 0, 0
	for j := i; j < end; {
		start := j
		for j < end && isDigit(text[j]) {
			digits[nd] = text[j] - '0'
			nd++
			j++
		}
		groups[ng] = uint8(j - start)
		ng++
		j += sepLen(text, j)
	}
	if wordAt(text, end) {
		// The last group is part of a word: not a digit group.
		nd -= int(groups[ng-1])
		ng--
	}
	for _, to := range [...]int{nd, nd - int(groups[max(ng-1, 0)])} {
		if ng == 0 || to < nd && (ng < 2 || groups[ng-1] > maxTail) {
			continue
		}
		d := digits[:to]
		if len(d) < minCard || len(d) > maxCard || !luhn(d) {
			continue
		}
		if brand := brandOf(d); brand != "" {
			return end, maskCard(brand, d), true
		}
	}
	return end, "", false
}

// maskCard shows the brand and the last four digits, as receipts do.
func maskCard(brand string, d []byte) string {
	b := make([]byte, 0, len(brand)+10)
	b = append(b, brand...)
	b = append(b, " **** "...)
	for _, x := range d[len(d)-4:] {
		b = append(b, '0'+x)
	}
	return string(b)
}
