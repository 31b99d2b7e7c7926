package addon

import "testing"

// TestAccessRequestFlow: from Anna's stub to Beat's grant and back, all
// through the add-on's endpoints: Request access pushes the request card,
// Send request files it, Beat's message card shows it with Review, the
// approval card grants it, and Anna's next card shows the outcome and the
// emails it opened (Beat's own, private ones included: he owns them).
func TestAccessRequestFlow(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathMessage, user: anna, body: messageEvent("zurich-to-anna", nil, nil)})
	wantText(t, resp, "Request access")
	rejectText(t, resp, "renewal quote", "discount")

	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("zurich-to-anna",
		map[string]string{"action": "accessRequestCard", "contact": "kunde@zurich-bank.example"}, nil)})
	wantText(t, resp, "Request access", "the contact's emails", "Send request")

	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("zurich-to-anna",
		map[string]string{"action": "requestAccess", "contact": "kunde@zurich-bank.example", "messageId": "zurich-to-anna"},
		map[string][]string{"scope": {"contact_emails"}, "note": {"The CFO wrote to me"}})})
	wantText(t, resp, "Request sent", "waiting for an answer")

	// Beat sees it on the contact's section and reviews it.
	resp = do(t, e, call{path: PathMessage, user: beat, body: messageEvent("zurich-to-beat", nil, nil)})
	wantText(t, resp, "Anna Schmidt asks for the contact's emails", "The CFO wrote to me", "Review")
	id := actionParamOf(resp, "reviewRequest", "id")
	if id == "" {
		t.Fatalf("no Review button: %s", mustJSON(resp))
	}
	// The requester cannot grant her own request.
	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("zurich-to-anna",
		map[string]string{"action": "grantRequest", "id": id}, map[string][]string{"period": {"7"}})})
	wantText(t, resp, "you cannot decide your own request")
	rejectText(t, resp, "Granted the contact's emails")

	resp = do(t, e, call{path: PathAction, user: beat, body: messageEvent("zurich-to-beat",
		map[string]string{"action": "reviewRequest", "id": id}, nil)})
	wantText(t, resp, "Access request", "Grant", "Deny", "30 days")
	resp = do(t, e, call{path: PathAction, user: beat, body: messageEvent("zurich-to-beat",
		map[string]string{"action": "grantRequest", "id": id, "messageId": "zurich-to-beat"},
		map[string][]string{"scope": {"contact_emails"}, "period": {"7"}})})
	wantText(t, resp, "Granted the contact's emails to Anna Schmidt")
	rejectText(t, resp, "Anna Schmidt asks for")

	// Anna's next card: the outcome, and Beat's emails on the contact.
	resp = do(t, e, call{path: PathMessage, user: anna, body: messageEvent("zurich-to-anna", nil, nil)})
	wantText(t, resp, "Granted: the contact's emails until", "Zurich Bank: CFO's personal request")
}

// actionParamOf finds parameter key of the first button whose action is
// name.
func actionParamOf(resp any, name, key string) string {
	switch v := resp.(type) {
	case map[string]any:
		if ps, ok := v["parameters"].([]any); ok {
			found, val := false, ""
			for _, p := range ps {
				m, _ := p.(map[string]any)
				if m["key"] == "action" && m["value"] == name {
					found = true
				}
				if m["key"] == key {
					val, _ = m["value"].(string)
				}
			}
			if found {
				return val
			}
		}
		for _, x := range v {
			if s := actionParamOf(x, name, key); s != "" {
				return s
			}
		}
	case []any:
		for _, x := range v {
			if s := actionParamOf(x, name, key); s != "" {
				return s
			}
		}
	}
	return ""
}

// TestShareFlow: the owner shares the open email from its card with a
// colleague, sees the share on the share card and revokes it.
func TestShareFlow(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathAction, user: anna, body: messageEvent("berlin-to-anna",
		map[string]string{"action": "log", "messageId": "berlin-to-anna"}, map[string][]string{"visibility": {"private"}})})
	id := actionParamOf(resp, "shareCard", "emailId")
	if id == "" {
		t.Fatalf("the owner's card offers no Share: %s", mustJSON(resp))
	}
	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("berlin-to-anna",
		map[string]string{"action": "shareCard", "emailId": id}, nil)})
	wantText(t, resp, "Not shared with anyone.", "Share read-only")
	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("berlin-to-anna",
		map[string]string{"action": "shareEmail", "emailId": id}, map[string][]string{"users": {beat}, "period": {"7"}})})
	wantText(t, resp, "Shared", beat, "Revoke")
	shareID := actionParamOf(resp, "revokeShare", "shareId")
	// Beat may not share or revoke what he only reads through a share.
	resp = do(t, e, call{path: PathAction, user: beat, body: messageEvent("berlin-to-anna",
		map[string]string{"action": "revokeShare", "emailId": id, "shareId": shareID}, nil)})
	rejectText(t, resp, "Share revoked")
	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("berlin-to-anna",
		map[string]string{"action": "revokeShare", "emailId": id, "shareId": shareID}, nil)})
	wantText(t, resp, "Share revoked", "Not shared with anyone.")
}
