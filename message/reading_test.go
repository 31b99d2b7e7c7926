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
