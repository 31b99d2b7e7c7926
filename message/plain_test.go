package message

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// plainCases are messages readPlainText takes, and near misses it must
// leave to the full parse.
var plainCases = []struct {
	name  string
	raw   string
	plain bool // readPlainText takes it
}{
	{"utf-8", "From: Anna <anna@acme.example>\r\nTo: b@customer.example\r\nSubject: Order 7\r\nMessage-ID: <1@acme.example>\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüezi,\r\n\r\nthe order ships.  \r\n", true},
	{"no content type", "From: a@acme.example\nTo: b@customer.example\nSubject: hi\n\nplain ascii\n", true},
	{"us-ascii quoted", "From: a@acme.example\nTo: b@customer.example\nContent-Type: text/plain; charset=\"US-ASCII\"\nContent-Transfer-Encoding: 7bit\n\nascii only\n", true},
	{"8bit", "From: a@acme.example\nTo: b@customer.example\nContent-Type: Text/Plain; Charset=UTF-8\nContent-Transfer-Encoding: 8BIT\n\nÜber\n", true},
	{"folded and encoded header", "From: =?utf-8?q?J=C3=BCrg?= <j@acme.example>\nTo: b@customer.example,\n c@customer.example\nSubject: =?utf-8?b?R3LDvGV6aQ==?=\n\nbody\n", true},
	{"no body", "From: a@acme.example\nTo: b@customer.example\n\n", true},
	{"header only", "From: a@acme.example\nTo: b@customer.example\n", true},
	{"resent and followup", "From: a@acme.example\nResent-To: hr@hr-partner.example\nMail-Followup-To: x@customer.example\nTo: b@customer.example\n\nhi\n", true},
	{"whitespace line in header", "From: a@acme.example\n \nTo: b@customer.example\n\nhi\n", true},

	{"8-bit text declared us-ascii", "From: a@acme.example\nTo: b@customer.example\n\nGr\xc3\xbcezi\n", false},
	{"invalid utf-8", "From: a@acme.example\nContent-Type: text/plain; charset=utf-8\n\nGr\xfcezi\n", false},
	{"latin-1", "From: a@acme.example\nContent-Type: text/plain; charset=iso-8859-1\n\nGr\xfcezi\n", false},
	{"quoted-printable", "From: a@acme.example\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BCezi\n", false},
	{"base64", "From: a@acme.example\nContent-Transfer-Encoding: base64\n\naGk=\n", false},
	{"html", "From: a@acme.example\nContent-Type: text/html\n\n<p>hi</p>\n", false},
	{"named text attachment", "From: a@acme.example\nContent-Type: text/plain; name=\"notes.txt\"\n\nnotes\n", false},
	{"disposition", "From: a@acme.example\nContent-Type: text/plain\nContent-Disposition: attachment\n\nnotes\n", false},
	{"multipart", "From: a@acme.example\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n", false},
	{"two content types", "From: a@acme.example\nContent-Type: text/plain\nContent-Type: text/html\n\nhi\n", false},
	{"format flowed", "From: a@acme.example\nContent-Type: text/plain; charset=utf-8; format=flowed\n\nhi\n", false},
	{"NUL in body", "From: a@acme.example\n\nh\x00i\n", false},
	{"line starting with a colon", "From: a@acme.example\n: odd\nTo: b@customer.example\n\nhi\n", false},
}

// TestPlainTextFastPath holds readPlainText to the full parse: for every
// fixture and case, Parse with it gives the Message the full parse gives,
// and it takes exactly the cases it should.
func TestPlainTextFastPath(t *testing.T) {
	raws := map[string][]byte{}
	for _, c := range plainCases {
		raws[c.name] = []byte(c.raw)
		if _, _, ok := readPlainText([]byte(c.raw)); ok != c.plain {
			t.Errorf("%s: readPlainText took it = %v, want %v", c.name, ok, c.plain)
		}
	}
	all, _ := filepath.Glob(filepath.Join("../testdata/mail", "*.eml"))
	for _, p := range all {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raws[filepath.Base(p)] = b
	}
	for name, raw := range raws {
		samePlainAndFull(t, name, raw)
	}
}

func FuzzPlainTextFastPath(f *testing.F) {
	for _, c := range plainCases {
		f.Add([]byte(c.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		samePlainAndFull(t, "input", raw)
	})
}

func samePlainAndFull(t *testing.T, name string, raw []byte) {
	t.Helper()
	for _, opts := range []Options{{StoreBody: true}, {StoreBody: true, MaxBodyBytes: 7}, {}} {
		fast, ferr := parse(raw, opts, true)
		full, err := parse(raw, opts, false)
		if (ferr == nil) != (err == nil) || ferr != nil && ferr.Error() != err.Error() {
			t.Fatalf("%s: error with readPlainText %v, full parse %v", name, ferr, err)
		}
		if diff := cmp.Diff(full, fast, cmp.Exporter(func(reflect.Type) bool { return true }), sameError, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s %+v: readPlainText differs from the full parse (-full +plain):\n%s", name, opts, diff)
		}
	}
}

// sameError compares errors by their text: the two parses build their own.
var sameError = cmp.Comparer(func(a, b error) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Error() == b.Error()
})
