package addon

import (
	"strings"

	chat "google.golang.org/api/chat/v1"
)

// Card text is read by Gmail as a small HTML subset (<b>, <i>, <font>,
// <br>): everything that comes from data is escaped, so a subject line can
// never turn into markup.
func esc(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// lockIconURL is Google's own material "lock" glyph; knownIcon has no lock
// and materialIcon is for Chat apps only.
const lockIconURL = "https://www.gstatic.com/images/icons/material/system/1x/lock_black_24dp.png"

func card(title, subtitle string, sections ...*Section) *Card {
	c := &Card{Header: &chat.GoogleAppsCardV1CardHeader{Title: title, Subtitle: subtitle}}
	for _, s := range sections {
		if s != nil && len(s.Widgets) > 0 {
			c.Sections = append(c.Sections, s)
		}
	}
	return c
}

func section(header string, widgets ...*Widget) *Section {
	s := &Section{Header: header}
	for _, w := range widgets {
		if w != nil {
			s.Widgets = append(s.Widgets, w)
		}
	}
	return s
}

func paragraph(htmlText string) *Widget {
	return &Widget{TextParagraph: &chat.GoogleAppsCardV1TextParagraph{Text: htmlText}}
}

// errorText is an inline validation message.
func errorText(msg string) *Widget {
	return paragraph(`<font color="#d93025">` + esc(msg) + `</font>`)
}

type decorated = chat.GoogleAppsCardV1DecoratedText

func deco(d *decorated) *Widget {
	d.WrapText = true
	return &Widget{DecoratedText: d}
}

func knownIcon(name string) *chat.GoogleAppsCardV1Icon {
	return &chat.GoogleAppsCardV1Icon{KnownIcon: name}
}

func lockIcon(alt string) *chat.GoogleAppsCardV1Icon {
	return &chat.GoogleAppsCardV1Icon{IconUrl: lockIconURL, AltText: alt}
}

func divider() *Widget { return &Widget{Divider: &chat.GoogleAppsCardV1Divider{}} }

func buttons(bs ...*chat.GoogleAppsCardV1Button) *Widget {
	var list []*chat.GoogleAppsCardV1Button
	for _, b := range bs {
		if b != nil {
			list = append(list, b)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return &Widget{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: list}}
}

// param is one key/value pair put on an action.
type param struct{ key, value string }

func p(k, v string) param { return param{k, v} }

// onClick calls the action endpoint with the action name and parameters.
func (v *view) onClick(name string, params ...param) *chat.GoogleAppsCardV1OnClick {
	a := &chat.GoogleAppsCardV1Action{
		Function:   v.actionURL,
		Parameters: []*chat.GoogleAppsCardV1ActionParameter{{Key: "action", Value: name}},
	}
	for _, pr := range params {
		if pr.value != "" {
			a.Parameters = append(a.Parameters, &chat.GoogleAppsCardV1ActionParameter{Key: pr.key, Value: pr.value})
		}
	}
	return &chat.GoogleAppsCardV1OnClick{Action: a}
}

func (v *view) button(text, action string, params ...param) *chat.GoogleAppsCardV1Button {
	return &chat.GoogleAppsCardV1Button{Text: text, OnClick: v.onClick(action, params...)}
}

// filled marks a button as the card's primary action.
func filled(b *chat.GoogleAppsCardV1Button) *chat.GoogleAppsCardV1Button {
	b.Type = "FILLED"
	return b
}

type item struct {
	text, value string
	selected    bool
}

func selection(name, label, kind string, items []item) *Widget {
	s := &chat.GoogleAppsCardV1SelectionInput{Name: name, Label: label, Type: kind}
	for _, it := range items {
		s.Items = append(s.Items, &chat.GoogleAppsCardV1SelectionItem{Text: it.text, Value: it.value, Selected: it.selected})
	}
	return &Widget{SelectionInput: s}
}

// toggle is a labelled switch; when on, the form input name carries "true".
func toggle(name, top, text string, on bool) *Widget {
	return deco(&decorated{
		TopLabel: top,
		Text:     text,
		SwitchControl: &chat.GoogleAppsCardV1SwitchControl{
			Name: name, Value: "true", Selected: on, ControlType: "SWITCH",
		},
	})
}

func textInput(name, label, value, hint string, multiline bool) *Widget {
	t := &chat.GoogleAppsCardV1TextInput{Name: name, Label: label, Value: value, HintText: hint, Type: "SINGLE_LINE"}
	if multiline {
		t.Type = "MULTIPLE_LINE"
	}
	return &Widget{TextInput: t}
}

// lines joins already-escaped lines with <br>.
func lines(ls ...string) string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "<br>")
}
