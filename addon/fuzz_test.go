package addon

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeEvent feeds arbitrary bytes to the add-on's event decoder:
// it never panics, refuses what is not a Gmail event object with a message
// for the error card, and what it accepts reads back without panicking.
//
//	go test -run='^$' -fuzz=FuzzDecodeEvent -fuzztime=60s ./addon
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"commonEventObject":{"hostApp":"GMAIL"}}`,
		`{"commonEventObject":{"hostApp":"DRIVE"}}`,
		`{"commonEventObject":{"hostApp":"GMAIL","parameters":{"action":"log","messageId":"m1"},"formInputs":{"visibility":{"stringInputs":{"value":["private"]}},"log":{"stringInputs":{"value":[]}}}},` +
			`"authorizationEventObject":{"userOAuthToken":"t","userIdToken":"a.b.c","systemIdToken":"d.e.f"},` +
			`"gmail":{"messageId":"m1","threadId":"t1","accessToken":"x","toRecipients":["a@b.example"]}}`,
		`{"commonEventObject":{"formInputs":{"x":{"stringInputs":null}}}}`,
		`{"commonEventObject":{"timeZone":{"offset":"1"}}}`,
		`{"gmail":{"toRecipients":"not a list"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev := &Event{}
		err := decodeEvent(body, ev)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal without a message")
			}
			return
		}
		if ev.Common.HostApp != "" && ev.Common.HostApp != "GMAIL" {
			t.Fatalf("accepted an event of host %q", ev.Common.HostApp)
		}
		// What the endpoints read from every event.
		_ = ev.messageID()
		_ = ev.param("action")
		for name := range ev.Common.FormInputs {
			_ = ev.input(name)
			_ = ev.has(name)
		}
		// An accepted event survives a round trip unchanged.
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("re-encoding an accepted event: %v", err)
		}
		again := &Event{}
		if err := decodeEvent(b, again); err != nil {
			t.Fatalf("an accepted event, re-encoded, is refused: %v", err)
		}
		if again.messageID() != ev.messageID() || again.Authorization != ev.Authorization {
			t.Fatal("an accepted event changed in a round trip")
		}
	})
}
