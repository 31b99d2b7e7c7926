package message

import (
	"math/rand/v2"
	"net/mail"
	"testing"
	"time"
)

// TestParseDateFastPath: the RFC 1123 form parseDate reads first gives
// the instant mail.ParseDate gives, for any date and zone, and text that
// is not in that form still goes through mail.ParseDate and the layouts.
func TestParseDateFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	noWarn := func(f string, a ...any) { t.Errorf("warned: "+f, a...) }
	for range 2000 {
		zone := time.FixedZone("", (r.IntN(28*60)-14*60)*60)
		d := time.Unix(r.Int64N(4102444800), 0).In(zone)
		v := d.Format(time.RFC1123Z)
		want, err := mail.ParseDate(v)
		if err != nil {
			t.Fatalf("mail.ParseDate(%q): %v", v, err)
		}
		if got := parseDate(v, noWarn); !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("parseDate(%q) = %v, want %v in UTC", v, got, want.UTC())
		}
	}
	for v, want := range map[string]time.Time{
		"Mon, 2 Jan 2006 15:04:05 -0700":             time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC),
		"2 Jan 2006 15:04:05 +0100 (CET)":            time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC),
		"Mon, 02 Jan 2006 15:04:05 GMT":              time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC),
		"Mon,  02 Jan 2006\r\n 15:04:05 -0700 (PDT)": time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC),
	} {
		if got := parseDate(v, noWarn); !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, want %v", v, got, want)
		}
	}
}
