package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// A 10 MiB body is logged cut, with the marker, whatever the org allows:
// at the org's maxBodyBytes, and at the store's cap (below a Firestore
// document) when the org allows more. It is never skipped.
func TestLargeBodyCutWithMarker(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	body := strings.Repeat("Sehr geehrte Damen und Herren, anbei das Angebot. ", 10<<20/50+1)
	for _, tc := range []struct {
		name    string
		orgMax  int
		wantMax int
	}{
		{"the org's default", 0, 64 << 10},
		{"the org allows 10 MiB", service.MaxBodyBytesLimit, store.MaxBodyBytes},
	} {
		org, err := s.svc.OrgSettings(ctx, s.admin)
		if err != nil {
			t.Fatal(err)
		}
		org.MaxBodyBytes = tc.orgMax
		if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
			t.Fatal(err)
		}
		res := s.logAs(t, s.anna, mail{From: s.anna.Email, To: []string{kunde}, Subject: tc.name, Body: body}, discreet.VisibilityPublic)
		if !res.Created || res.Email == nil {
			t.Fatalf("%s: %+v", tc.name, res)
		}
		got, err := s.svc.Email(ctx, s.anna, res.Email.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Body) > tc.wantMax || len(got.Body) < tc.wantMax-200 || !store.BodyTruncated(got.Body) {
			t.Fatalf("%s: stored body %d bytes (marker %v), want at most %d, cut with the marker", tc.name, len(got.Body), store.BodyTruncated(got.Body), tc.wantMax)
		}
		if !strings.HasPrefix(body, strings.TrimRight(got.Body[:strings.LastIndex(got.Body, "\n\n[Discreet")], " \r\n")) {
			t.Fatalf("%s: the kept part is not the body's beginning", tc.name)
		}
	}
	// A body within the limit is kept as it is, without a marker.
	res := s.logAs(t, s.anna, mail{From: s.anna.Email, To: []string{kunde}, Subject: "short", Body: "Kurz."}, discreet.VisibilityPublic)
	if got, _ := s.svc.Email(ctx, s.anna, res.Email.ID); store.BodyTruncated(got.Body) || !strings.HasPrefix(got.Body, "Kurz.") {
		t.Fatalf("short body stored as %q", got.Body)
	}
}
