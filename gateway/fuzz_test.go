package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// FuzzLogEmailRaw posts arbitrary bytes as the raw message of POST
// /v1/emails through the whole gateway (SQLite in a temp dir, the demo
// org): every answer is a defined status with JSON, never a 5xx, and a
// message that names the Never Log domain is never logged.
//
//	go test -run='^$' -fuzz=FuzzLogEmailRaw -fuzztime=60s ./gateway
func FuzzLogEmailRaw(f *testing.F) {
	for _, s := range []string{
		"From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nSubject: Hi\r\nMessage-ID: <f1@acme.example>\r\n\r\nHallo\r\n",
		"From: anna@acme.example\r\nTo: Lisa <LISA+x@HR-Partner.example>\r\nMessage-ID: <f2@acme.example>\r\n\r\nx\r\n",
		"From: anna@acme.example\r\nCc: =?utf-8?q?B=C3=A4r?= <b@sub.hr-partner.example>\r\nTo: c@x.example\r\n\r\n",
		"From: anna@acme.example\r\nTo: c@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
		"To: anna@acme.example\r\n\r\n", "", "\x00\xff", "From: <>\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Config{Store: st, Logger: logger})
	if err := demo.Load(ctx, svc, st, time.Now()); err != nil {
		f.Fatal(err)
	}
	h := gateway.New(gateway.Config{Service: svc, DevAuth: true, Logger: logger})

	f.Fuzz(func(t *testing.T, raw []byte) {
		body, _ := json.Marshal(map[string]string{"raw": base64.RawURLEncoding.EncodeToString(raw)})
		req := httptest.NewRequest(http.MethodPost, "/v1/emails", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Dev-User", demo.Anna)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var res struct {
			Decision struct {
				Logged bool   `json:"logged"`
				Reason string `json:"reason"`
			} `json:"decision"`
			Email *struct {
				Participants []string `json:"participants"`
				Contacts     []string `json:"contacts"`
			} `json:"email"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		if res.Email != nil {
			for _, list := range [][]string{res.Email.Participants, res.Email.Contacts} {
				for _, a := range list {
					_, domain, _ := strings.Cut(strings.ToLower(a), "@")
					if domain == "hr-partner.example" || strings.HasSuffix(domain, ".hr-partner.example") {
						t.Fatalf("logged an email with Never Log participant %q (decision %+v)", a, res.Decision)
					}
				}
			}
		}
	})
}
