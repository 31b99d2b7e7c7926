package message_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet/message"
)

const copyBody = "Grüezi Herr Huber,\n\nanbei das Angebot für 2027: 12% Rabatt.\n\nBeat\n"

// The sender's copy as Gmail keeps it in Sent: Bcc, CRLF, quoted-printable,
// a Q-encoded subject.
var senderCopy = strings.ReplaceAll("From: \"Keller, Beat\" <beat@acme-ch.example>\n"+
	"To: Urs Huber <kunde@zurich-bank.example>, carla@acme-ch.example\n"+
	"Cc: anna@acme.example\n"+
	"Bcc: boss@acme-ch.example\n"+
	"Subject: =?utf-8?q?Angebot_f=C3=BCr_2027?=\n"+
	"Date: Mon, 2 Mar 2026 09:30:00 +0100\n"+
	"Message-ID: <offer-2027@acme-ch.example>\n"+
	"MIME-Version: 1.0\n"+
	"Content-Type: text/plain; charset=utf-8\n"+
	"Content-Transfer-Encoding: quoted-printable\n\n"+
	"Gr=C3=BCezi Herr Huber,\n\nanbei das Angebot f=C3=BCr 2027: 12% Rabatt.=20\n\nBeat\n", "\n", "\r\n")

// The recipient's copy as Gmail fetches it from their mailbox: delivery
// headers on top, no Bcc, LF line ends, base64, a B-encoded subject, the
// addresses in another order and case.
var recipientCopy = "Delivered-To: kunde@zurich-bank.example\n" +
	"Received: from mail.acme-ch.example by mx.zurich-bank.example; Mon, 2 Mar 2026 08:30:02 +0000\n" +
	"DKIM-Signature: v=1; a=rsa-sha256; d=acme-ch.example; s=s1; b=abc\n" +
	"From: Beat Keller <Beat@ACME-CH.example>\n" +
	"To: carla@acme-ch.example, \"Urs Huber\" <kunde@zurich-bank.example>\n" +
	"Cc: Anna <anna@acme.example>\n" +
	"Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("Angebot für 2027")) + "?=\n" +
	"Date: Mon, 02 Mar 2026 08:30:00 +0000\n" +
	"Message-ID: <offer-2027@ACME-CH.example>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=UTF-8\n" +
	"Content-Transfer-Encoding: base64\n\n" +
	base64.StdEncoding.EncodeToString([]byte(copyBody)) + "\n"

// The same message uploaded as a rep saved it: 8-bit, plain subject,
// trailing white space at the line ends and blank lines at the end.
var uploadedCopy = "From: beat@acme-ch.example\n" +
	"To: kunde@zurich-bank.example, carla@acme-ch.example\n" +
	"Cc: anna@acme.example\n" +
	"Subject: Angebot für 2027\n" +
	"Date: Mon, 2 Mar 2026 09:30:00 +0100\n" +
	"Message-ID: <offer-2027@acme-ch.example>\n" +
	"Content-Type: text/plain; charset=utf-8\n\n" +
	strings.ReplaceAll(copyBody, "\n", "  \n") + "\n\n"

func TestContentOfCopies(t *testing.T) {
	want := parse(t, []byte(senderCopy), store)
	if want.BodyHash == "" {
		t.Fatal("no body hash")
	}
	for name, raw := range map[string]string{"recipient's copy": recipientCopy, "uploaded copy": uploadedCopy} {
		m := parse(t, []byte(raw), store)
		if m.MessageID != want.MessageID {
			t.Errorf("%s: Message-ID %q, sender's %q", name, m.MessageID, want.MessageID)
		}
		if m.BodyHash != want.BodyHash {
			t.Errorf("%s: body %q hashes unlike the sender's %q", name, m.BodyText, want.BodyText)
		}
		if got, w := m.Content().Fingerprint(), want.Content().Fingerprint(); got != w {
			t.Errorf("%s: fingerprint differs from the sender's copy\n%+v\n%+v", name, m.Content(), want.Content())
		}
	}
}

// TestContentIgnoresOptions: what the org keeps of the body does not change
// the hash.
func TestContentIgnoresOptions(t *testing.T) {
	want := parse(t, []byte(senderCopy), store).BodyHash
	for _, opts := range []message.Options{{}, {StoreBody: false}, {StoreBody: true, MaxBodyBytes: 10}, {StoreBody: true, MaxBodyBytes: 1 << 20}} {
		if got := parse(t, []byte(senderCopy), opts).BodyHash; got != want {
			t.Errorf("options %+v change the body hash", opts)
		}
	}
}

// TestContentOfOtherMessages: a message that reuses the Message-ID with
// other content fingerprints differently; headers outside the content
// (Reply-To, Sender, Resent-*) do not count.
func TestContentOfOtherMessages(t *testing.T) {
	want := parse(t, []byte(uploadedCopy), store).Content().Fingerprint()
	for name, raw := range map[string]string{
		"another body":    strings.Replace(uploadedCopy, "12%", "20%", 1),
		"a longer body":   uploadedCopy + "P.S. wire the money to IBAN CH93 0076 2011 6238 5295 7\n",
		"another subject": strings.Replace(uploadedCopy, "Subject: Angebot", "Subject: Re: Angebot", 1),
		"another date":    strings.Replace(uploadedCopy, "09:30:00", "09:31:00", 1),
		"another sender":  strings.Replace(uploadedCopy, "From: beat@", "From: eve@", 1),
		"a Cc more":       strings.Replace(uploadedCopy, "Cc: anna@acme.example", "Cc: anna@acme.example, eve@evil.example", 1),
	} {
		if parse(t, []byte(raw), store).Content().Fingerprint() == want {
			t.Errorf("%s: same fingerprint", name)
		}
	}
	for name, raw := range map[string]string{
		"Reply-To added": "Reply-To: eve@evil.example\n" + uploadedCopy,
		"Sender added":   "Sender: eve@evil.example\n" + uploadedCopy,
		"Bcc added":      "Bcc: eve@evil.example\n" + uploadedCopy,
	} {
		if parse(t, []byte(raw), store).Content().Fingerprint() != want {
			t.Errorf("%s: the fingerprint changed, but that header is not part of the content", name)
		}
	}
}
