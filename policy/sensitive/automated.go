package sensitive

import "strings"

// automated reports whether the headers mark mail sent by a machine:
// Auto-Submitted other than "no" (RFC 3834: auto-replied, auto-generated,
// auto-notified), any List-Id (RFC 2919: a mailing list), or Precedence
// bulk, list or junk. header returns a header's value, "" when absent. The
// evidence names the header and its keyword, never the rest of its value.
func automated(header func(name string) string) (evidence string, ok bool) {
	if v := header("Auto-Submitted"); strings.TrimSpace(v) != "" {
		// A value that cannot be read is not "no": the header is only ever
		// written by machines.
		if k := headerKeyword(v); k != "no" {
			if k == "" {
				return "Auto-Submitted", true
			}
			return "Auto-Submitted: " + k, true
		}
	}
	if strings.TrimSpace(header("List-Id")) != "" {
		return "List-Id", true
	}
	switch k := headerKeyword(header("Precedence")); k {
	case "bulk", "list", "junk":
		return "Precedence: " + k, true
	}
	return "", false
}

// headerKeyword is the first word of a structured header value, comments
// and parameters left out, in lower case; "" when it has none or it holds
// anything but letters, digits and dashes.
func headerKeyword(v string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && depth > 0:
			i++ // a quoted pair inside a comment
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if b.Len() > 0 {
				return b.String()
			}
		case c == ';':
			return b.String()
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			return ""
		}
		if b.Len() > 40 {
			return ""
		}
	}
	return b.String()
}
