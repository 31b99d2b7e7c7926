package addon

import (
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// accessScenarios are the access request, approval and share cards, and
// the message card's access section, for hand-built service results.
func accessScenarios() map[string]Response {
	en := enView()
	annaReq := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-1", Requester: "anna@acme.example",
		Contact: "kunde@zurich-bank.example", Scope: discreet.GrantContactEmails, Note: "The bank asked us for a quote <today>",
		Status: discreet.RequestPending, CreatedAt: at("2026-03-05T09:00:00Z")}, RequesterName: "Anna Schmidt"}
	granted := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-0", Requester: "anna@acme.example",
		Contact: "kunde@zurich-bank.example", Scope: discreet.GrantContact, Status: discreet.RequestGranted,
		CreatedAt: at("2026-03-01T09:00:00Z"),
		Grant: &discreet.Grant{ID: "grant-req-0", Scope: discreet.GrantContactEmails, Grantee: "anna@acme.example",
			Contact: "kunde@zurich-bank.example", GrantedBy: "beat@acme-ch.example", GrantedAt: at("2026-03-02T09:00:00Z"),
			ExpiresAt: at("2026-04-01T09:00:00Z")}}, RequesterName: "Anna Schmidt"}
	denied := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-x", Requester: "anna@acme.example",
		Contact: "kunde@zurich-bank.example", Scope: discreet.GrantEmail, EmailID: "e-hidden", Status: discreet.RequestDenied,
		CreatedAt: at("2026-02-28T09:00:00Z")}, RequesterName: "Anna Schmidt"}

	// Stubs mode: hidden rows carry the id a request names; the
	// requester sees the outcome of what they asked.
	rows := messageModel{
		GmailMessageID: "msg-zurich", Subject: "Kreditlinie 2026", DefaultVisibility: discreet.VisibilityPublic,
		Contacts: []contactModel{{Address: "kunde@zurich-bank.example", Contact: &beatStub,
			Timeline: &service.TimelineView{Contact: beatStub, Items: []service.TimelineItem{
				{EmailID: "e-hidden", Date: at("2026-02-10T10:00:00Z"), Owner: "beat@acme-ch.example", OwnerName: "Beat Keller"},
				{EmailID: "e-hidden-2", Date: at("2026-01-10T10:00:00Z"), Owner: "carla@acme-ch.example", OwnerName: "Carla Rossi"},
			}},
			Requests: []service.AccessRequestView{granted, denied}}},
	}
	// The contact's owner sees what waits for their decision.
	approver := messageModel{
		GmailMessageID: "msg-zurich", Subject: "Kreditlinie 2026",
		Email: emailView("e-public", "Kreditlinie 2026", discreet.VisibilityPublic, "2026-03-02T08:00:00Z", true),
		Contacts: []contactModel{{Address: "kunde@zurich-bank.example", Contact: &beatFull,
			Timeline: &service.TimelineView{Contact: beatFull, Items: []service.TimelineItem{
				{Visible: true, Date: at("2026-03-02T08:00:00Z"), Owner: "beat@acme-ch.example", OwnerName: "Beat Keller",
					Email: emailView("e-public", "Kreditlinie 2026", discreet.VisibilityPublic, "2026-03-02T08:00:00Z", true)},
			}},
			Decide: []service.AccessRequestView{annaReq}}},
	}
	shared := *emailView("e-private", "Konditionen <vertraulich>", discreet.VisibilityPrivate, "2026-02-20T16:30:00Z", true)
	share := shareModel{Email: shared,
		Shares: []service.ShareView{
			{Share: discreet.Share{ID: "sh-1", Users: []string{"anna@acme.example"}, By: "beat@acme-ch.example",
				At: at("2026-03-01T10:00:00Z"), ExpiresAt: at("2026-03-31T10:00:00Z")}, Live: true},
			{Share: discreet.Share{ID: "sh-2", Teams: []string{"de"}, By: "beat@acme-ch.example",
				At: at("2026-01-01T10:00:00Z"), ExpiresAt: at("2026-02-01T10:00:00Z")}},
		},
		Teams: []discreet.Team{{ID: "ch", Name: "Switzerland"}, {ID: "de", Name: "Germany"}}}
	return map[string]Response{
		"access_message_requester": pushCard(en.messageCard(rows)),
		"access_message_approver":  pushCard(en.messageCard(approver)),
		"access_request":           render("", Navigation{PushCard: en.accessRequestCard(requestModel{Contact: beatStub})}),
		"access_request_email": render("", Navigation{PushCard: en.accessRequestCard(requestModel{Contact: beatStub, EmailID: "e-hidden",
			Date: at("2026-02-10T10:00:00Z")})}),
		"access_approval": render("", Navigation{PushCard: en.approvalCard(approvalModel{Request: annaReq, Contact: beatFull})}),
		"access_share":    render("", Navigation{PushCard: en.shareCard(share)}),
		"access_share_none": render("", Navigation{PushCard: en.shareCard(shareModel{Email: shared,
			Teams: []discreet.Team{{ID: "ch", Name: "Switzerland"}}})}),
	}
}

func TestGoldenAccessCards(t *testing.T) {
	for name, resp := range accessScenarios() {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, marshal(t, resp)) })
	}
}

// The period choices read back as the grant the service gets.
func TestPeriodInput(t *testing.T) {
	now := at("2026-03-05T09:00:00Z")
	for in, want := range map[string]time.Duration{"7": 7 * 24 * time.Hour, "30": 30 * 24 * time.Hour, "90": 90 * 24 * time.Hour} {
		r := &request{ev: &Event{Common: CommonEvent{FormInputs: map[string]FormInput{"period": {StringInputs: &StringInputs{Value: []string{in}}}}}}}
		got, noEnd, err := r.period(now, "30")
		if err != nil || noEnd || got == nil || got.Sub(now) != want {
			t.Errorf("period %s = %v, %v, %v", in, got, noEnd, err)
		}
	}
	r := &request{ev: &Event{Common: CommonEvent{FormInputs: map[string]FormInput{"period": {StringInputs: &StringInputs{Value: []string{"none"}}}}}}}
	if got, noEnd, err := r.period(now, "30"); got != nil || !noEnd || err != nil {
		t.Errorf("no end = %v, %v, %v", got, noEnd, err)
	}
	r = &request{ev: &Event{Common: CommonEvent{FormInputs: map[string]FormInput{"period": {StringInputs: &StringInputs{Value: []string{"3650"}}}}}}}
	if _, _, err := r.period(now, "30"); err == nil {
		t.Error("a period the card does not offer is accepted")
	}
}

// TestGoldenAccessArea: the access area's card and the homepage rows it
// lends to "Needs your attention".
func TestGoldenAccessArea(t *testing.T) {
	en := enView()
	req := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-1", Requester: "anna@acme.example",
		Contact: "kunde@zurich-bank.example", Scope: discreet.GrantContactEmails, Status: discreet.RequestPending,
		CreatedAt: at("2026-03-05T09:00:00Z")}, RequesterName: "Anna Schmidt"}
	ending := discreet.Grant{ID: "grant-0", Grantee: "dora@acme.example", Scope: discreet.GrantContact, Contact: "kunde@zurich-bank.example",
		GrantedBy: "beat@acme-ch.example", ExpiresAt: at("2026-03-09T09:00:00Z")}
	mine := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-9", Requester: "beat@acme-ch.example",
		Contact: "einkauf@berlin-tools.example", Scope: discreet.GrantContact, Status: discreet.RequestPending,
		CreatedAt: at("2026-03-04T09:00:00Z")}}
	for name, resp := range map[string]Response{
		"access_area": render("", Navigation{PushCard: en.accessCard(accessModel{
			Pending: service.PendingDecisions{Requests: []service.AccessRequestView{req}, Expiring: []discreet.Grant{ending}},
			Mine:    []service.AccessRequestView{mine}})}),
		"access_area_empty": render("", Navigation{PushCard: en.accessCard(accessModel{})}),
	} {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, marshal(t, resp)) })
	}
	if rows := en.pendingDecisionRows(service.PendingDecisions{Requests: []service.AccessRequestView{req}, Expiring: []discreet.Grant{ending}}); len(rows) != 2 {
		t.Errorf("homepage rows: %d, want one per request and per ending grant", len(rows))
	}
}
