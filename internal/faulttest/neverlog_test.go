package faulttest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNeverLogProbes attacks the binary as someone who wants an HR email
// logged: the demo org lists @hr-partner.example, and Anna tries every
// trick in the header of POST /v1/emails, through never-log:check and
// through PUT /v1/intents. Nothing may be logged, checked clean or saved
// as "will be logged"; a purge dry run of the entry must then count no
// email, and no contact may name the domain.
func TestNeverLogProbes(t *testing.T) {
	srv := startServer(t, "DISCREET_DATA_DIR="+t.TempDir())
	c := &http.Client{Timeout: 20 * time.Second}
	const anna, admin = "anna@acme.example", "admin@acme.example"

	base := "From: kunde@zurich-bank.example\r\nTo: Anna <anna@acme.example>\r\n"
	long := strings.Repeat("a", 70)
	probes := []string{
		base + "Cc: Lisa <lisa(hr)@hr-partner.example>\r\n",
		base + "Cc: lisa@(c)hr-partner.example\r\n",
		base + "Cc: lisa . m @ hr-partner.example\r\n",
		base + "Cc: lisa@hr-partner . example\r\n",
		base + "Cc: lisa@mail_gw.hr-partner.example\r\n",
		base + "Cc: lisa@" + long + ".hr-partner.example\r\n",
		base + "Cc: lisa@x..hr-partner.example\r\n",
		base + "Cc: lisa@hr-partner.example..\r\n",
		base + "Cc: lisa@hr-partner.example\x00\r\n",
		"From : lisa@hr-partner.example\r\nTo: anna@acme.example, kunde@zurich-bank.example\r\n",
		base + "Cc\t: lisa@hr-partner.example\r\n",
		base + "C\x01c: lisa@hr-partner.example\r\n",
		base + "Resent-To: lisa@hr-partner.example\r\n",
		base + "Resent-Cc: lisa@hr-partner.example\r\n",
		base + "Mail-Followup-To: lisa@hr-partner.example\r\n",
		base + "Mail-Reply-To: lisa@hr-partner.example\r\n",
		base + "Resent-Bcc: lisa@hr-partner.example\r\n",
		base + "Cc: lisa@hr-partner.example.\r\n",
		base + "Cc: =?utf-8?b?bGlzYQ==?=@hr-partner.example\r\n",
		base + "Cc: lisa@=?utf-8?q?hr-partner.example?=\r\n",
		base + "Cc: lisa@hr-partner.ex\u00adample\r\n",
		base + "Cc: \x1b[2Klisa@hr-partner.example\r\n",
		base + "Cc: lisa@@hr-partner.example\r\n",
		base + "To: kunde@zurich-bank.example\r\n Cc: lisa@hr-partner.example\r\n",
		base + "To: \"kunde@zurich-bank.example\" <lisa@hr-partner.example>\r\n",
		base + "Cc: =?utf-8?q?lisa=40hr-partner=2Eexample?=\r\n",
		base + "Cc: =?utf-8?q?lisa=40hr-partner.example=00kunde=40zurich-bank.example?=\r\n",
		base + "Cc: lisa＠ＨＲ-partner。example\r\n",
		base + "Cc: LISA@HR-PARTNER.EXAMPLE\r\n",
		base + "Cc: <@relay.example:lisa@hr-partner.example>\r\n",
		base + "Cc: HR: lisa@hr-partner.example;\r\n",
		base + "Cc: \"unclosed, lisa@hr-partner.example\r\n",
		base + "Cc: (unclosed lisa@hr-partner.example\r\n",
		base + "Cc: Lisa <lisa@hr-partner.example\r\nCc: x@y.example\r\n",
		base + "Cc: lisa@sub.hr-partner.example\r\n",
		base + "Cc: \"lisa\"@hr-partner.example\r\n",
		base + "Cc: li\u200bsa@hr\u00ad-partner.example\r\n",
		base + "Cc: lisa@[192.0.2.1]\r\n", // unreadable: which domain is that?
		base + "Cc: lisa@hr-partner\r\n",  // unreadable: a single label
		base + "Cc: payroll\r\n",          // unreadable: no domain at all
		base + "Cc: kunde@zurich-bank.example,\r\n lisa@hr-partner.example\r\n",
		base + "Bcc: lisa@hr-partner.example\r\n",
		base + "Sender: lisa@hr-partner.example\r\n",
		base + "Reply-To: lisa@hr-partner.example\r\n",
	}
	for i, head := range probes {
		msg := head + fmt.Sprintf("Subject: Sick leave\r\nMessage-ID: <probe-%d@acme.example>\r\n"+
			"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nPrivate.\r\n", i)
		code, _, body, err := call(t, c, "POST", srv.URL+"/v1/emails", anna,
			map[string]any{"raw": base64.RawURLEncoding.EncodeToString([]byte(msg)), "log": true})
		if err != nil {
			t.Fatal(err)
		}
		var res logResponse
		_ = json.Unmarshal(body, &res)
		if res.Decision.Logged || res.Email != nil {
			t.Errorf("probe %d LOGGED (%d %s):\n%s", i, code, body, head)
			continue
		}
		if code != http.StatusOK || res.Decision.Reason != "never_log_list" && res.Decision.Reason != "unreadable_participant" {
			t.Errorf("probe %d: %d %s, want 200 with never_log_list or unreadable_participant:\n%q", i, code, body, head)
		}
	}

	// The control: the same message to a domain that merely ends like the
	// listed one is logged, so the probes above prove something.
	ctrl := base + "Cc: lisa@hr-partner.example.com\r\nSubject: x\r\nMessage-ID: <probe-control@acme.example>\r\n\r\nHi.\r\n"
	_, _, body, err := call(t, c, "POST", srv.URL+"/v1/emails", anna, map[string]any{"raw": base64.RawURLEncoding.EncodeToString([]byte(ctrl))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"logged":true`) {
		t.Fatalf("the control email was not logged: %s", body)
	}

	// never-log:check blocks every spelling.
	checks := []string{"lisa@(c)hr-partner.example", "Lisa <lisa(hr)@hr-partner.example>", "lisa@mail_gw.hr-partner.example",
		"lisa@x..hr-partner.example", "lisa@hr-partner.example\x00", "LISA＠hr-partner。example", "lisa . m @ hr-partner . example"}
	_, _, body, err = call(t, c, "POST", srv.URL+"/v1/never-log:check", anna, map[string]any{"addresses": checks})
	if err != nil {
		t.Fatal(err)
	}
	var checked struct {
		Items []struct {
			Address string `json:"address"`
			Blocked bool   `json:"blocked"`
			Entry   string `json:"entry"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &checked); err != nil || len(checked.Items) != len(checks) {
		t.Fatalf("never-log:check: %s, %v", body, err)
	}
	for _, it := range checked.Items {
		if !it.Blocked || it.Entry != "@hr-partner.example" {
			t.Errorf("never-log:check(%q) = %+v, want blocked", it.Address, it)
		}
	}

	// PUT /v1/intents answers a listed recipient with the block, Log off.
	for _, hr := range []string{"Lisa <lisa(hr)@hr-partner.example>", "lisa@mail_gw.hr-partner.example"} {
		code, _, body, err := call(t, c, "PUT", srv.URL+"/v1/intents", anna,
			map[string]any{"to": []string{"kunde@zurich-bank.example"}, "bcc": []string{hr}, "log": true})
		if err != nil {
			t.Fatal(err)
		}
		var in struct {
			Log     bool `json:"log"`
			Blocked *struct {
				Address string `json:"address"`
				Entry   string `json:"entry"`
			} `json:"blocked"`
		}
		if err := json.Unmarshal(body, &in); err != nil || code != http.StatusOK || in.Log || in.Blocked == nil ||
			in.Blocked.Address != hr || in.Blocked.Entry != "@hr-partner.example" {
			t.Errorf("PUT /v1/intents with %q: %d %s, want log false and the block", hr, code, body)
		}
	}

	// Nothing a purge of the entry would find was logged, and no contact
	// names the domain.
	_, _, body, err = call(t, c, "GET", srv.URL+"/v1/never-log", admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct{ ID, Pattern string } `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, e := range list.Items {
		if e.Pattern == "@hr-partner.example" {
			id = e.ID
		}
	}
	if id == "" {
		t.Fatalf("the demo entry is missing: %s", body)
	}
	_, _, body, err = call(t, c, "POST", srv.URL+"/v1/never-log/"+url.PathEscape(id)+":purge?dryRun=true", admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"matching":0`) {
		t.Errorf("dry run of @hr-partner.example after the probes: %s, want matching 0", body)
	}
	_, _, body, err = call(t, c, "GET", srv.URL+"/v1/contacts?q=lisa", admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "hr-partner.example\"") {
		t.Errorf("a contact names the listed domain: %s", body)
	}
}
