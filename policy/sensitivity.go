package policy

import (
	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy/sensitive"
)

// Sensitivity is what the decision's sensitivity check reads: the org's
// compiled rules and the email's text. A nil Scanner has no rules, and the
// check then costs a nil test.
type Sensitivity struct {
	Scanner *sensitive.Scanner
	Message sensitive.Message
}

func (s Sensitivity) scan() sensitive.Hit {
	if s.Scanner == nil {
		return sensitive.Hit{}
	}
	return s.Scanner.Scan(s.Message)
}

// ruleOf is the rule a decision names: what it looks for and does, not
// who added it or when.
func ruleOf(h sensitive.Hit) *discreet.SensitivityRule {
	return &discreet.SensitivityRule{ID: h.Rule.ID, Detector: h.Rule.Detector, Keyword: h.Rule.Keyword, Action: h.Rule.Action}
}
