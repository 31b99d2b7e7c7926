package governancetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// RunRules is the sensitivity rules scenario on the store open makes, with
// two instances: a rule added on one is applied by the other's next
// decision, by REST, button and capture.
func RunRules(t *testing.T, open Open) {
	t.Run("Decisions", func(t *testing.T) { testRuleDecisions(t, newEnv(t, open)) })
	t.Run("Purge", func(t *testing.T) { testRulePurge(t, newEnv(t, open)) })
}

// rawWith is a message from the rep to bob with the body and extra header
// lines given.
func (e *env) rawWith(body string, headers ...string) []byte {
	e.seq++
	h := ""
	for _, l := range headers {
		h += l + "\r\n"
	}
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: Offer %d\r\nDate: %s\r\nMessage-ID: <m%d@corp.example>\r\n%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		e.rep.Email, bob, e.seq, e.clock.Now().Format(time.RFC1123Z), e.seq, h, body)
}

func (e *env) logRaw(t *testing.T, svc *service.Service, raw []byte) service.LogResult {
	t.Helper()
	res, err := svc.LogEmail(e.ctx, e.rep, service.LogRequest{Raw: raw, Visibility: discreet.VisibilityPublic, Log: ptr(true)})
	if err != nil {
		t.Fatalf("LogEmail: %v", err)
	}
	return res
}

func wantBlockedBy(t *testing.T, what string, res service.LogResult, rule discreet.SensitivityRule, secret string) {
	t.Helper()
	d := res.Decision
	if d.Logged || d.Reason != discreet.ReasonSensitiveContent || d.Rule == nil || d.Rule.ID != rule.ID || res.Email != nil {
		t.Fatalf("%s: %+v (rule %+v), want sensitive_content naming rule %s", what, d, d.Rule, rule.ID)
	}
	b, _ := json.Marshal(res)
	if secret != "" && strings.Contains(string(b), secret) {
		t.Fatalf("%s: the answer holds the matched text %q: %s", what, secret, b)
	}
}

func testRuleDecisions(t *testing.T, e *env) {
	ctx := e.ctx
	const iban = "CH93 0076 2011 6238 5295 7" // split by spaces, as people write it
	// Instance b decides with no rule: its caches are warm at version 0.
	if r := e.logRaw(t, e.b, e.rawWith("Pay to "+iban)); !r.Decision.Logged {
		t.Fatalf("no rule yet: %+v", r.Decision)
	}
	if _, err := e.a.AddRule(ctx, e.rep, service.RuleRequest{Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog}); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep adds a rule: %v, want permission", err)
	}
	if _, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: "ssn", Action: discreet.ActionNeverLog}); discreet.ErrorCode(err) != discreet.EInvalid {
		t.Fatalf("an unknown detector: %v, want invalid", err)
	}
	ibanRule, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog}); discreet.ErrorCode(err) != discreet.EConflict {
		t.Fatalf("the same rule twice: %v, want conflict", err)
	}
	// The other instance applies it at its next decision, by REST, button
	// and capture.
	wantBlockedBy(t, "REST on b", e.logRaw(t, e.b, e.rawWith("Bitte zahlen Sie an "+iban+" bis Freitag.")), ibanRule, "2011")
	id := fmt.Sprintf("gm-rule-%d", e.seq)
	e.gmail[id] = e.rawWith("IBAN: " + iban)
	res, err := e.b.LogEmail(ctx, e.rep, service.LogRequest{GmailMessageID: id, Gmail: service.GmailTokens{OAuthToken: "tok"}, Log: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	wantBlockedBy(t, "button on b", res, ibanRule, "2011")
	if _, err := e.b.PutIntent(ctx, e.rep, service.IntentRequest{To: []string{bob}, Subject: "Offer", Log: true, Visibility: discreet.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	res, err = e.b.CaptureSent(ctx, e.rep, e.rawWith("IBAN "+iban), "gm-sent-rule")
	if err != nil {
		t.Fatal(err)
	}
	wantBlockedBy(t, "capture of a compose intent on b", res, ibanRule, "2011")

	// A card rule: a Luhn-valid number fires, an order number does not.
	cardRule, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorCard, Action: discreet.ActionNeverLog})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.logRaw(t, e.b, e.rawWith("Your order 4111111111111112 has shipped.")); !r.Decision.Logged {
		t.Fatalf("an order number that fails Luhn: %+v, want logged", r.Decision)
	}
	wantBlockedBy(t, "a card number", e.logRaw(t, e.b, e.rawWith("Card 4111 1111 1111 1111 exp 12/29")), cardRule, "1111 1111")

	// Automated mail, by its headers.
	autoRule, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorAutomated, Action: discreet.ActionNeverLog})
	if err != nil {
		t.Fatal(err)
	}
	wantBlockedBy(t, "a list mail", e.logRaw(t, e.b, e.rawWith("Newsletter", "List-Id: <news.acme.example>")), autoRule, "")

	// A private rule logs, private whatever the rep chose, naming the rule.
	kw, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorKeyword, Keyword: "  Projekt   Falke ", Action: discreet.ActionPrivate})
	if err != nil || kw.Keyword != "Projekt Falke" {
		t.Fatalf("AddRule keyword = %+v, %v", kw, err)
	}
	falke := e.rawWith("Status zu projekt falke: gut.")
	r := e.logRaw(t, e.b, falke)
	if again := e.logRaw(t, e.a, falke); again.Decision.Reason != discreet.ReasonAlreadyLogged || again.Decision.Rule != nil {
		t.Fatalf("the same email again: %+v, want already_logged naming no rule", again.Decision)
	}
	if !r.Decision.Logged || r.Decision.Visibility != discreet.VisibilityPrivate || r.Decision.Rule == nil || r.Decision.Rule.ID != kw.ID || r.Email == nil || r.Email.Visibility != discreet.VisibilityPrivate {
		t.Fatalf("keyword private rule: %+v, want logged private naming %s", r.Decision, kw.ID)
	}
	// A never_log rule beats a private one.
	wantBlockedBy(t, "both rules", e.logRaw(t, e.b, e.rawWith("Projekt Falke: IBAN "+iban)), ibanRule, "2011")

	// The compose card lists what the sent message will be checked for,
	// a keyword rule without its keyword.
	cs, err := e.b.ComposeState(ctx, e.rep, []string{bob})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Rules) != 4 {
		t.Fatalf("compose rules = %+v, want the 4 rules", cs.Rules)
	}
	for _, r := range cs.Rules {
		if r.Keyword != "" || r.AddedBy != "" {
			t.Fatalf("the compose card would show %+v: keywords and who added a rule are the admin's", r)
		}
	}

	// The message card says which rule would fire.
	raw := e.rawWith("Projekt Falke")
	st, err := e.b.MessageState(ctx, e.rep, raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Decision != nil || st.Rule == nil || st.Rule.ID != kw.ID {
		t.Fatalf("MessageState of a private-rule message: decision %+v rule %+v", st.Decision, st.Rule)
	}
	st, err = e.b.MessageState(ctx, e.rep, e.rawWith(iban), "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Decision == nil || st.Decision.Reason != discreet.ReasonSensitiveContent || st.Decision.Rule.ID != ibanRule.ID {
		t.Fatalf("MessageState of an IBAN message: %+v", st.Decision)
	}

	// Removing a rule is audited and in force on the other instance.
	if err := e.a.RemoveRule(ctx, e.admin, ibanRule.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.logRaw(t, e.b, e.rawWith("IBAN "+iban)); !r.Decision.Logged {
		t.Fatalf("after removing the IBAN rule: %+v", r.Decision)
	}
	if n := len(e.auditOf(t, service.AuditRuleAdd)); n != 4 {
		t.Fatalf("%d rule.add records, want 4", n)
	}
	if rm := e.auditOf(t, service.AuditRuleRemove); len(rm) != 1 || rm[0].Detail["rule"] != ibanRule.ID {
		t.Fatalf("rule.remove records = %+v", rm)
	}
	rules, err := e.b.Rules(ctx, e.admin)
	if err != nil || len(rules) != 3 {
		t.Fatalf("Rules = %+v, %v: want 3", rules, err)
	}
}

func testRulePurge(t *testing.T, e *env) {
	ctx := e.ctx
	var hits []string
	for i := range 3 {
		r := e.logRaw(t, e.a, e.rawWith(fmt.Sprintf("Re: Kündigung %d", i)))
		hits = append(hits, r.Email.ID)
	}
	keep := e.logRaw(t, e.a, e.rawWith("Nothing to see"))
	// One of the hits is held.
	held, err := e.a.CreateLegalHold(ctx, e.admin, service.HoldRequest{Contact: bob, Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := e.a.AddRule(ctx, e.admin, service.RuleRequest{Detector: discreet.DetectorKeyword, Keyword: "kündigung", Action: discreet.ActionNeverLog})
	if err != nil {
		t.Fatal(err)
	}
	dry, err := e.b.PurgeRule(ctx, e.admin, rule.ID, true)
	if err != nil || dry.Matching != 3 || dry.Job != nil {
		t.Fatalf("dry run = %+v, %v: want 3 matching, no job", dry, err)
	}
	if _, err := e.b.PurgeRule(ctx, e.rep, rule.ID, true); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep's dry run: %v", err)
	}
	res, err := e.b.PurgeRule(ctx, e.admin, rule.ID, false)
	if err != nil || res.Job == nil {
		t.Fatalf("PurgeRule = %+v, %v", res, err)
	}
	job := e.runJob(t, e.a, res.Job.ID)
	var rep struct{ Deleted, Held int }
	if err := json.Unmarshal(job.Report, &rep); err != nil || rep.Deleted != 0 || rep.Held != 3 {
		t.Fatalf("purge under a hold on bob: report %s, want 0 deleted, 3 held", job.Report)
	}
	if _, err := e.a.LiftLegalHold(ctx, e.admin, held.ID); err != nil {
		t.Fatal(err)
	}
	res, err = e.b.PurgeRule(ctx, e.admin, rule.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	job = e.runJob(t, e.a, res.Job.ID)
	if err := json.Unmarshal(job.Report, &rep); err != nil || rep.Deleted != 3 || rep.Held != 0 || job.State != store.JobDone {
		t.Fatalf("purge: %+v report %s, want 3 deleted", job, job.Report)
	}
	for _, id := range hits {
		if _, err := e.st.Email(ctx, id); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("email %s matching the rule: %v, want purged", id, err)
		}
	}
	if _, err := e.st.Email(ctx, keep.Email.ID); err != nil {
		t.Fatalf("the email the rule does not match: %v", err)
	}
	if p := e.auditOf(t, service.AuditRulePurge); len(p) != 2 {
		t.Fatalf("rule.purge records = %+v, want one per purge", p)
	}
}
