package policy

import "testing"

func TestNormalizeMessageID(t *testing.T) {
	for in, want := range map[string]string{
		"<CAF=abc.DEF@mail.Gmail.COM>":    "CAF=abc.DEF@mail.gmail.com",
		"  <CAF=abc.DEF@mail.gmail.com> ": "CAF=abc.DEF@mail.gmail.com",
		"CAF=abc.DEF@mail.gmail.com":      "CAF=abc.DEF@mail.gmail.com",
		"< spaced@Example.com >":          "spaced@example.com",
		"no-at-sign":                      "no-at-sign",
		"":                                "",
	} {
		if got := NormalizeMessageID(in); got != want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmailID(t *testing.T) {
	a := EmailID("<CAF=abc@mail.gmail.com>", "18c1")
	if b := EmailID(" CAF=abc@MAIL.gmail.com ", "other"); a != b {
		t.Errorf("the same Message-ID written two ways gives %s and %s", a, b)
	}
	if b := EmailID("<caf=abc@mail.gmail.com>", "18c1"); a == b {
		t.Error("the case-sensitive left side of a Message-ID is ignored")
	}
	if EmailID("", "18c1") != EmailID("  <>  ", " 18c1 ") {
		t.Error("the Gmail id fallback is not stable")
	}
	if EmailID("", "18c1") == EmailID("18c1", "") {
		t.Error("a Gmail id and a Message-ID with the same text collide")
	}
	if len(a) != 32 {
		t.Errorf("EmailID length %d, want 32 hex digits", len(a))
	}
}
