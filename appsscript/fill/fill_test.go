package main

import (
	"os"
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	tmpl, err := os.ReadFile("../deployment.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Fill(tmpl, "https://discreet.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "HOST") || !strings.Contains(string(out), `"https://discreet.example.com/addon/message"`) {
		t.Errorf("not filled:\n%s", out)
	}
	for _, f := range []string{"../Code.js", "../appsscript.json"} {
		tmpl, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Fill(tmpl, "https://discreet.example.com")
		if err != nil || strings.Contains(string(out), "HOST") {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
	for _, bad := range []string{"", "http://discreet.example.com", "https://discreet.example.com/x", "discreet.example.com", "https://u:p@h.example"} {
		if _, err := Fill(tmpl, bad); err == nil {
			t.Errorf("Fill accepted host %q", bad)
		}
	}
}
