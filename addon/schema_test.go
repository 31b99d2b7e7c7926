package addon

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// The shapes below follow Google's Card v1 reference for Workspace add-ons
// (google.apps.card.v1 and the add-on response objects): which keys each
// object may carry, which it must, and the enum values. A card Gmail would
// reject fails here first.

type shape struct {
	allowed  []string
	required []string
	// oneOf: exactly one of these keys must be present.
	oneOf []string
	enums map[string][]string
}

var shapes = map[string]shape{
	"response":      {allowed: []string{"action", "renderActions"}, oneOf: []string{"action", "renderActions"}},
	"renderActions": {allowed: []string{"action", "hostAppAction"}},
	"action":        {allowed: []string{"navigations", "notification", "link"}},
	"navigation":    {allowed: []string{"pushCard", "updateCard", "pop", "popToRoot", "popToCard"}, oneOf: []string{"pushCard", "updateCard", "pop", "popToRoot", "popToCard"}},
	"notification":  {allowed: []string{"text"}, required: []string{"text"}},
	"card": {allowed: []string{"header", "sections", "name", "fixedFooter", "cardActions", "displayStyle", "peekCardHeader", "sectionDividerStyle"},
		required: []string{"sections"}},
	"header":  {allowed: []string{"title", "subtitle", "imageUrl", "imageType", "imageAltText"}, required: []string{"title"}},
	"section": {allowed: []string{"header", "widgets", "collapsible", "uncollapsibleWidgetsCount"}, required: []string{"widgets"}},
	"widget": {allowed: []string{"textParagraph", "decoratedText", "buttonList", "selectionInput", "textInput", "divider", "grid", "image", "dateTimePicker", "columns", "horizontalAlignment"},
		oneOf: []string{"textParagraph", "decoratedText", "buttonList", "selectionInput", "textInput", "divider", "grid", "image", "dateTimePicker", "columns"}},
	"textParagraph": {allowed: []string{"text", "maxLines"}, required: []string{"text"}},
	"decoratedText": {allowed: []string{"topLabel", "text", "bottomLabel", "wrapText", "startIcon", "icon", "endIcon", "button", "switchControl", "onClick"},
		required: []string{"text"}},
	"icon": {allowed: []string{"knownIcon", "iconUrl", "altText", "imageType"}, oneOf: []string{"knownIcon", "iconUrl"},
		enums: map[string][]string{
			"knownIcon": {"AIRPLANE", "BOOKMARK", "BUS", "CAR", "CLOCK", "CONFIRMATION_NUMBER_ICON", "DOLLAR", "DESCRIPTION", "EMAIL", "EVENT_PERFORMER", "EVENT_SEAT", "FLIGHT_ARRIVAL", "FLIGHT_DEPARTURE", "HOTEL", "HOTEL_ROOM_TYPE", "INVITE", "MAP_PIN", "MEMBERSHIP", "MULTIPLE_PEOPLE", "OFFER", "PERSON", "PHONE", "RESTAURANT_ICON", "SHOPPING_CART", "STAR", "STORE", "TICKET", "TRAIN", "VIDEO_CAMERA", "VIDEO_PLAY"},
			"imageType": {"SQUARE", "CIRCLE"},
		}},
	"buttonList": {allowed: []string{"buttons"}, required: []string{"buttons"}},
	"button": {allowed: []string{"text", "icon", "color", "onClick", "disabled", "altText", "type"}, required: []string{"text", "onClick"},
		enums: map[string][]string{"type": {"OUTLINED", "FILLED", "FILLED_TONAL", "BORDERLESS"}}},
	"onClick": {allowed: []string{"action", "openLink", "card", "overflowMenu"}, oneOf: []string{"action", "openLink", "card", "overflowMenu"}},
	"cardAction": {allowed: []string{"function", "parameters", "loadIndicator", "persistValues", "interaction", "requiredWidgets", "allWidgetsAreRequired"}, required: []string{"function"},
		enums: map[string][]string{"loadIndicator": {"SPINNER", "NONE"}}},
	"parameter": {allowed: []string{"key", "value"}, required: []string{"key", "value"}},
	"selectionInput": {allowed: []string{"name", "label", "type", "items", "onChangeAction", "multiSelectMaxSelectedItems", "multiSelectMinQueryLength", "externalDataSource", "platformDataSource"},
		required: []string{"name", "type", "items"},
		enums:    map[string][]string{"type": {"RADIO_BUTTON", "CHECK_BOX", "SWITCH", "DROPDOWN", "MULTI_SELECT"}}},
	"selectionItem": {allowed: []string{"text", "value", "selected", "startIconUri", "bottomText"}, required: []string{"text", "value"}},
	"switchControl": {allowed: []string{"name", "value", "selected", "onChangeAction", "controlType"}, required: []string{"name", "controlType"},
		enums: map[string][]string{"controlType": {"SWITCH", "CHECKBOX", "CHECK_BOX"}}},
	"textInput": {allowed: []string{"name", "label", "hintText", "value", "type", "onChangeAction", "initialSuggestions", "autoCompleteAction", "validation", "placeholderText"},
		required: []string{"name"},
		enums:    map[string][]string{"type": {"SINGLE_LINE", "MULTIPLE_LINE"}}},
	"divider": {},
}

// validator walks a response and collects every violation.
type validator struct {
	errs  []string
	names map[string]bool // form input names of the current card
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) object(path, kind string, x any) map[string]any {
	m, ok := x.(map[string]any)
	if !ok {
		v.fail(path, "%s must be an object, got %T", kind, x)
		return nil
	}
	sh, ok := shapes[kind]
	if !ok {
		v.fail(path, "no shape for %s", kind)
		return m
	}
	allowed := map[string]bool{}
	for _, k := range sh.allowed {
		allowed[k] = true
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			v.fail(path, "%s has unknown key %q", kind, k)
		}
	}
	for _, k := range sh.required {
		val, ok := m[k]
		if !ok || val == "" || val == nil {
			v.fail(path, "%s needs %q", kind, k)
		}
	}
	if len(sh.oneOf) > 0 {
		n := 0
		for _, k := range sh.oneOf {
			if _, ok := m[k]; ok {
				n++
			}
		}
		if n != 1 {
			v.fail(path, "%s needs exactly one of %v, has %d", kind, sh.oneOf, n)
		}
	}
	for k, vals := range sh.enums {
		if val, ok := m[k]; ok {
			s, _ := val.(string)
			if !contains(vals, s) {
				v.fail(path, "%s.%s = %v, want one of %v", kind, k, val, vals)
			}
		}
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) list(path string, x any) []any {
	l, ok := x.([]any)
	if !ok {
		v.fail(path, "must be a list, got %T", x)
	}
	if ok && len(l) == 0 {
		v.fail(path, "must not be empty")
	}
	return l
}

func (v *validator) response(x any) {
	m := v.object("$", "response", x)
	if a, ok := m["action"]; ok {
		v.action("$.action", a)
	}
	if r, ok := m["renderActions"]; ok {
		rm := v.object("$.renderActions", "renderActions", r)
		if a, ok := rm["action"]; ok {
			v.action("$.renderActions.action", a)
		}
	}
}

func (v *validator) action(path string, x any) {
	m := v.object(path, "action", x)
	if _, ok := m["navigations"]; !ok {
		if _, ok := m["notification"]; !ok {
			v.fail(path, "action needs navigations or a notification")
		}
	}
	if n, ok := m["notification"]; ok {
		v.object(path+".notification", "notification", n)
	}
	if navs, ok := m["navigations"]; ok {
		for i, n := range v.list(path+".navigations", navs) {
			np := fmt.Sprintf("%s.navigations[%d]", path, i)
			nm := v.object(np, "navigation", n)
			for _, k := range []string{"pushCard", "updateCard"} {
				if c, ok := nm[k]; ok {
					v.card(np+"."+k, c)
				}
			}
		}
	}
}

func (v *validator) card(path string, x any) {
	v.names = map[string]bool{}
	m := v.object(path, "card", x)
	if h, ok := m["header"]; ok {
		v.object(path+".header", "header", h)
	}
	for i, s := range v.list(path+".sections", m["sections"]) {
		sp := fmt.Sprintf("%s.sections[%d]", path, i)
		sm := v.object(sp, "section", s)
		for j, w := range v.list(sp+".widgets", sm["widgets"]) {
			v.widget(fmt.Sprintf("%s.widgets[%d]", sp, j), w)
		}
	}
}

func (v *validator) name(path string, m map[string]any) {
	n, _ := m["name"].(string)
	if n == "" {
		return
	}
	if v.names[n] {
		v.fail(path, "form input name %q used twice on one card", n)
	}
	v.names[n] = true
}

func (v *validator) widget(path string, x any) {
	m := v.object(path, "widget", x)
	for k, w := range m {
		wp := path + "." + k
		switch k {
		case "textParagraph":
			v.object(wp, k, w)
		case "divider":
			v.object(wp, k, w)
		case "decoratedText":
			d := v.object(wp, k, w)
			n := 0
			for _, k := range []string{"button", "switchControl", "endIcon"} {
				if _, ok := d[k]; ok {
					n++
				}
			}
			if n > 1 {
				v.fail(wp, "decoratedText takes only one of button, switchControl, endIcon")
			}
			for _, ik := range []string{"startIcon", "icon", "endIcon"} {
				if ic, ok := d[ik]; ok {
					v.object(wp+"."+ik, "icon", ic)
				}
			}
			if b, ok := d["button"]; ok {
				v.button(wp+".button", b)
			}
			if s, ok := d["switchControl"]; ok {
				sm := v.object(wp+".switchControl", "switchControl", s)
				v.name(wp+".switchControl", sm)
			}
		case "buttonList":
			bl := v.object(wp, k, w)
			for i, b := range v.list(wp+".buttons", bl["buttons"]) {
				v.button(fmt.Sprintf("%s.buttons[%d]", wp, i), b)
			}
		case "selectionInput":
			s := v.object(wp, k, w)
			v.name(wp, s)
			selected := 0
			for i, it := range v.list(wp+".items", s["items"]) {
				im := v.object(fmt.Sprintf("%s.items[%d]", wp, i), "selectionItem", it)
				if im["selected"] == true {
					selected++
				}
			}
			if (s["type"] == "RADIO_BUTTON" || s["type"] == "DROPDOWN") && selected > 1 {
				v.fail(wp, "%v with %d selected items", s["type"], selected)
			}
		case "textInput":
			v.name(wp, v.object(wp, k, w))
		}
	}
}

func (v *validator) button(path string, x any) {
	b := v.object(path, "button", x)
	if ic, ok := b["icon"]; ok {
		v.object(path+".icon", "icon", ic)
	}
	oc, ok := b["onClick"]
	if !ok {
		return
	}
	o := v.object(path+".onClick", "onClick", oc)
	if a, ok := o["action"]; ok {
		am := v.object(path+".onClick.action", "cardAction", a)
		fn, _ := am["function"].(string)
		if !strings.HasPrefix(fn, "https://") && !strings.HasPrefix(fn, "http://127.0.0.1") {
			v.fail(path, "action function %q is not an endpoint URL", fn)
		}
		hasName := false
		if ps, ok := am["parameters"]; ok {
			for i, pr := range v.list(path+".onClick.action.parameters", ps) {
				pm := v.object(fmt.Sprintf("%s.parameters[%d]", path, i), "parameter", pr)
				if pm["key"] == "action" {
					hasName = true
				}
			}
		}
		if !hasName {
			v.fail(path, "action carries no action name")
		}
	}
}

// validateResponse checks raw response JSON against the documented shapes.
func validateResponse(t *testing.T, name string, raw []byte) {
	t.Helper()
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	var v validator
	v.response(x)
	for _, e := range v.errs {
		t.Errorf("%s: %s", name, e)
	}
}

func TestValidatorCatchesBadCards(t *testing.T) {
	bad := map[string]string{
		"unknown widget key":     `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"decoratedText":{"text":"x","colour":"red"}}]}]}}]}}`,
		"button without onClick": `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"buttonList":{"buttons":[{"text":"x"}]}}]}]}}]}}`,
		"selection without name": `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"selectionInput":{"type":"RADIO_BUTTON","items":[{"text":"a","value":"a"}]}}]}]}}]}}`,
		"bad selection type":     `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"selectionInput":{"name":"n","type":"RADIO","items":[{"text":"a","value":"a"}]}}]}]}}]}}`,
		"switch without type":    `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"decoratedText":{"text":"x","switchControl":{"name":"log"}}}]}]}}]}}`,
		"bad text input type":    `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"textInput":{"name":"n","type":"MULTILINE"}}]}]}}]}}`,
		"two navigations kinds":  `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"divider":{}}]}]},"pop":true}]}}`,
		"unknown navigation":     `{"action":{"navigations":[{"replaceCard":{}}]}}`,
		"empty card":             `{"action":{"navigations":[{"pushCard":{"sections":[]}}]}}`,
		"empty action":           `{"renderActions":{"action":{}}}`,
		"duplicate input names":  `{"action":{"navigations":[{"pushCard":{"sections":[{"widgets":[{"textInput":{"name":"n"}},{"textInput":{"name":"n"}}]}]}}]}}`,
	}
	for name, raw := range bad {
		var x any
		if err := json.Unmarshal([]byte(raw), &x); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var v validator
		v.response(x)
		if len(v.errs) == 0 {
			t.Errorf("%s: validator accepted %s", name, raw)
		}
	}
}
