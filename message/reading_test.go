package message

import "testing"

// TestBodyAsUTF8: a body that is not valid in its declared charset is kept
// read as Windows-1252, and its UTF-8 reading is given beside it for the
// sensitivity rules, and so for the subject; a valid body has none.
func TestBodyAsUTF8(t *testing.T) {
	head := "From: a@acme.example\r\nTo: b@kunde.example\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	m, err := Parse([]byte(head+"\xff Kündigung\r\n"), Options{StoreBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyText != "ÿ KÃ¼ndigung\n" || m.BodyAsUTF8 != "\uFFFD Kündigung\n" {
		t.Fatalf("text %q, as UTF-8 %q", m.BodyText, m.BodyAsUTF8)
	}
	m, err = Parse([]byte("From: a@acme.example\r\nSubject: \xff K\xc3\xbcndigung\r\n\r\nx\r\n"), Options{StoreBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "ÿ KÃ¼ndigung" || m.SubjectAsUTF8 != "\uFFFD Kündigung" {
		t.Fatalf("subject %q, as UTF-8 %q", m.Subject, m.SubjectAsUTF8)
	}
	m, err = Parse([]byte(head+"Kündigung\r\n"), Options{StoreBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyText != "Kündigung\n" || m.BodyAsUTF8 != "" {
		t.Fatalf("a valid body: text %q, as UTF-8 %q", m.BodyText, m.BodyAsUTF8)
	}
}

// TestMislabelledCharset: UTF-8 labelled Latin-1 reads "KÃ¼ndigung" as
// declared, and "Kündigung" beside it for the rules, in the body and in an
// encoded-word subject; true Latin-1 text has no second reading.
func TestMislabelledCharset(t *testing.T) {
	raw := "From: a@acme.example\r\nSubject: =?iso-8859-1?Q?K=C3=BCndigung?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nIhre K\xc3\xbcndigung, Karte 4111\xc2\xa01111\r\n"
	m, err := Parse([]byte(raw), Options{StoreBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyText != "Ihre KÃ¼ndigung, Karte 4111Â\u00a01111\n" || m.BodyAsUTF8 != "Ihre Kündigung, Karte 4111\u00a01111\n" {
		t.Fatalf("body %q, as UTF-8 %q", m.BodyText, m.BodyAsUTF8)
	}
	if m.Subject != "KÃ¼ndigung" || m.SubjectAsUTF8 != "Kündigung" {
		t.Fatalf("subject %q, as UTF-8 %q", m.Subject, m.SubjectAsUTF8)
	}
	m, err = Parse([]byte("From: a@acme.example\r\nSubject: =?iso-8859-1?Q?K=FCndigung?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nIhre K\xfcndigung\r\n"), Options{StoreBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyText != "Ihre Kündigung\n" || m.BodyAsUTF8 != "" || m.Subject != "Kündigung" || m.SubjectAsUTF8 != "" {
		t.Fatalf("true Latin-1: body %q / %q, subject %q / %q", m.BodyText, m.BodyAsUTF8, m.Subject, m.SubjectAsUTF8)
	}
}

// printableASCII's shortcut is exact: for every printable ASCII byte the
// three control filters, forced onto their strings.Map path by a control
// character after it, keep the byte as it is; every other byte takes that
// path.
func TestPrintableASCIIUnchanged(t *testing.T) {
	for b := range 256 {
		s := string([]byte{'a', byte(b), 'z'})
		if !printableASCII(s) {
			if b >= 0x20 && b <= 0x7e {
				t.Errorf("printableASCII(%q) = false", s)
			}
			continue
		}
		if b < 0x20 || b > 0x7e {
			t.Errorf("printableASCII(%q) = true", s)
		}
		for _, f := range []struct {
			name string
			fn   func(string) string
			tail string
		}{{"stripControls", stripControls, ""}, {"dropC0Controls", dropC0Controls, ""}, {"controlsToSpace", controlsToSpace, " "}} {
			if got := f.fn(s + "\x01"); got != s+f.tail {
				t.Errorf("%s(%q) = %q, want %q", f.name, s+"\x01", got, s+f.tail)
			}
		}
	}
}
