package message_test

import (
	"encoding/base64"
	"slices"
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
		// Participants since the Never Log List reads them, never content.
		"Resent-To added":        "Resent-To: eve@evil.example\n" + uploadedCopy,
		"Resent-From added":      "Resent-From: eve@evil.example\nResent-Sender: eve@evil.example\nResent-Cc: eve@evil.example\n" + uploadedCopy,
		"Mail-Followup-To added": "Mail-Followup-To: eve@evil.example\nMail-Reply-To: eve@evil.example\n" + uploadedCopy,
	} {
		if parse(t, []byte(raw), store).Content().Fingerprint() != want {
			t.Errorf("%s: the fingerprint changed, but that header is not part of the content", name)
		}
	}
}

// TestContentFrozen: an email's fingerprint, and what is compared with a
// legacy record, are what they were when ids were first keyed on content.
// The wants were computed by that code (main at 1e1e293, before the
// fail-closed participant reading): a copy of an email logged then must
// meet its record, however the Never Log reading of its participants has
// changed since (comments, obsolete forms, underscores, "To\t:", controls,
// Resent-*). Never update these values to make a change pass: a changed
// fingerprint turns every copy of such an email into a second record.
func TestContentFrozen(t *testing.T) {
	for _, tt := range []struct {
		name, header, fingerprint string
		from                      string
		to, cc                    []string
		subject                   string
	}{
		{"addrctl", "From: anna@acme.example\r\nTo: =?UTF-8?Q?Kunde=00?= <kunde@zurich-bank.example>, =?UTF-8?Q?lisa@hr-partner.example=0Bkunde@x.example?=\r\nSubject: S\r\n", "ecb802353517015dccc26c61c201a9e52d37b72bb4ab4c9e3b5ecbd4db1b2513",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"bcc", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nBcc: secret@x.example\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"cfws", "From: anna@acme.example\r\nTo: lisa . m @ mail.hr-partner . example\r\nSubject: S\r\n", "9037a5a8c5a7a9529d60141c8718b23b78e2f87dfe6954c77f378abcd8c6d6a9",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"comment", "From: anna@acme.example\r\nTo: lisa(hr)@hr-partner.example, kunde@zurich-bank.example\r\nSubject: S\r\n", "bdeb1deab5f321d7b48ab95f44933234b502abdbb6d6c90167d63d64467a4b5f",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"displayat", "From: anna@acme.example\r\nTo: \"kunde@zurich-bank.example\" <k2@zurich-bank.example>\r\nSubject: S\r\n", "42d6d8dd5ba7b4c187b58dd242dbdf09d30fb01d0176301b0eb836feabc5e17b",
			"anna@acme.example", []string{"k2@zurich-bank.example"}, []string(nil), "S"},
		{"doubleat", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example, Lager <lager@@berlin-tools.example>\r\nSubject: S\r\n", "8187d3b0905124bdb198fa3a7f86609ce33e269666392cf9eab6a1935a6081fd",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"emptyelem", "From: anna@acme.example\r\nTo: a@x.example,, b@y.example,\r\nSubject: S\r\n", "45d5d9cabed194d420d9c6c315182ab84ee42f98073e68b5ee98c27b42f4f85f",
			"anna@acme.example", []string{"a@x.example", "b@y.example"}, []string(nil), "S"},
		{"encoded", "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@acme.example>\r\nTo: =?UTF-8?B?S8O8bmRl?= <kunde@zurich-bank.example>\r\nSubject: S\r\n", "ae99d1407a59248e4741f57dc0fdce65659b2dd9d2f9238be6abd4fd8fb1965a",
			"joerg@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"encodedaddr", "From: anna@acme.example\r\nTo: =?UTF-8?Q?kunde=40zurich-bank.example?=\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"folded", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example,\r\n\tbeat@acme-ch.example\r\nSubject: S\r\n", "f5c52906283ce36a047b166a78aa8f22f97a0d1340a3c19ecfbe856b3fd97ac3",
			"anna@acme.example", []string{"kunde@zurich-bank.example", "beat@acme-ch.example"}, []string(nil), "S"},
		{"fullwidth", "From: anna@acme.example\r\nTo: kunde＠zurich-bank.example\r\nSubject: S\r\n", "875f339ff9ca53475f0423a96c03c84bf492045b06d3acf1ff6de7941c0a605d",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"group", "From: anna@acme.example\r\nTo: Team: a@x.example, b@y.example;\r\nCc: undisclosed-recipients:;\r\nSubject: S\r\n", "45d5d9cabed194d420d9c6c315182ab84ee42f98073e68b5ee98c27b42f4f85f",
			"anna@acme.example", []string{"a@x.example", "b@y.example"}, []string(nil), "S"},
		{"literal", "From: anna@acme.example\r\nTo: kunde@[192.0.2.1]\r\nSubject: S\r\n", "1a01f5284a3fbcc75a5218d8efc1e18b8dd5fa7e81abf586ad184ec621a14957",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"longlabel", "From: anna@acme.example\r\nTo: x@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\r\nSubject: S\r\n", "c18dca115fe7430af91b4f9853aba7eb84472a31d1d749657b2cb5b73ba03424",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"mbox", "From : lisa@hr-partner.example\r\nTo: kunde@zurich-bank.example\r\nSubject: S\r\n", "3e9c07deab5c8a9124c639f7b61bfac9483e0b977e9847f3e58a5a256f095009",
			"", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"nfd", "From: anna@acme.example\r\nTo: josé@zurich-bank.example\r\nSubject: S\r\n", "b07a1e32221a8979e3b696e9cbb6389c50a96852fe3013b0807df69f135553ab",
			"anna@acme.example", []string{"josé@zurich-bank.example"}, []string(nil), "S"},
		{"nodomain", "From: anna@acme.example\r\nTo: kunde@localhost, Lisa\r\nSubject: S\r\n", "e54995ea79ef0bfd4fd7d9c74e7a7c643bb86ec6464f8b9b0464d09ef36204e6",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"nofrom", "To: kunde@zurich-bank.example\r\nSubject: S\r\n", "3e9c07deab5c8a9124c639f7b61bfac9483e0b977e9847f3e58a5a256f095009",
			"", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"numeric", "From: anna@acme.example\r\nTo: kunde@10.0.0.1, x@host.123\r\nSubject: S\r\n", "09030f9978cb19bd10deb9c767cfa4dc8515c1fa8f882d03e35db9055b12385c",
			"anna@acme.example", []string{"kunde@10.0.0.1", "x@host.123"}, []string(nil), "S"},
		{"obsroute", "From: anna@acme.example\r\nTo: <@relay.example:lisa@hr-partner.example>\r\nSubject: S\r\n", "00897c2ca48e56d719764cda86edd9630ff596cf32cd41d7f867b1211d14931b",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"plain", "From: Anna <anna@acme.example>\r\nTo: Kunde <kunde@zurich-bank.example>, \"Keller, Beat\" <Beat@ACME-ch.example>\r\nCc: lisa+tag@gmail.com, L.i.Sa@googlemail.com\r\nSubject: S\r\n", "e2298f2892a650bad1da8ff37b64358c71cb27bcb6be1e54b04836e41cba8d3e",
			"anna@acme.example", []string{"kunde@zurich-bank.example", "beat@acme-ch.example"}, []string{"lisa@gmail.com", "lisa@gmail.com"}, "S"},
		{"quoted", "From: anna@acme.example\r\nTo: \"lisa m\"@hr-partner.example\r\nSubject: S\r\n", "a36a8ff65d447396c7542a76598d59d7e4417f13f6075e6393d64f71bd91e001",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"resent", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nResent-To: beat@acme-ch.example\r\nResent-From: carla@acme-ch.example\r\nMail-Followup-To: x@y.example\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"semicolon", "From: anna@acme.example\r\nTo: a@x.example; b@y.example\r\nSubject: S\r\n", "45d5d9cabed194d420d9c6c315182ab84ee42f98073e68b5ee98c27b42f4f85f",
			"anna@acme.example", []string{"a@x.example", "b@y.example"}, []string(nil), "S"},
		{"sender", "From: anna@acme.example\r\nSender: beat@acme-ch.example\r\nReply-To: r@x.example\r\nTo: kunde@zurich-bank.example\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"subjctl", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nSubject: Hello\x1b[31mRed\r\n", "cf144f8f87ea4bc9e8202e3652b69b5f5bac9d0347bf831056c8ce3b35e14eb7",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "Hello\x1b[31mRed"},
		{"subjenc", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nSubject: =?UTF-8?Q?Hi=1B=C2=9Bthere?=\r\n", "92de6113f2dad2ef8078395a3d61a29db4a282ae2d3ef104b7b738f6c43b4044",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "Hi\u009bthere"},
		{"tabcolon", "From: anna@acme.example\r\nTo\t: kunde@zurich-bank.example\r\nCc: x@y.example\r\nSubject: S\r\n", "6b1d80b35337b7b8248d8e1f84e8ab6e38139d953fc5f9ab797fc2ff1536e3f3",
			"anna@acme.example", []string(nil), []string{"x@y.example"}, "S"},
		{"trailingdot", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example.\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"twoto", "From: anna@acme.example\r\nTo: a@x.example\r\nTo: b@y.example\r\nSubject: S\r\n", "45d5d9cabed194d420d9c6c315182ab84ee42f98073e68b5ee98c27b42f4f85f",
			"anna@acme.example", []string{"a@x.example", "b@y.example"}, []string(nil), "S"},
		{"unclosed", "From: anna@acme.example\r\nTo: \"Kunde <kunde@zurich-bank.example>\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string(nil), []string(nil), "S"},
		{"underscore", "From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nCc: lisa@mail_gw.hr-partner.example\r\nSubject: S\r\n", "6e67c0f253f2dad3c4cf0d1fca004e8149b376541af47b21281683f156e6e63b",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
		{"upper", "FROM: ANNA@ACME.EXAMPLE\r\nTO: KUNDE@ZURICH-BANK.EXAMPLE\r\nSubject: S\r\n", "2d74b895e489b469e38c4f1f3908936d8f3cc9ccf7e0c499253c5d292a4b46ff",
			"anna@acme.example", []string{"kunde@zurich-bank.example"}, []string(nil), "S"},
	} {
		raw := tt.header + "Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nMessage-ID: <" + tt.name + "@acme.example>\r\n\r\nBody.\r\n"
		m := parse(t, []byte(raw), store)
		if got := m.Content().Fingerprint(); got != tt.fingerprint {
			t.Errorf("%s: fingerprint %s, was %s (content %+v)", tt.name, got, tt.fingerprint, m.Content())
		}
		lc := m.LegacyContent()
		if lc.From != tt.from || !slices.Equal(lc.To, tt.to) || !slices.Equal(lc.Cc, tt.cc) || lc.Subject != tt.subject {
			t.Errorf("%s: legacy content %q %q %q %q, was %q %q %q %q", tt.name, lc.From, lc.To, lc.Cc, lc.Subject, tt.from, tt.to, tt.cc, tt.subject)
		}
	}
}
