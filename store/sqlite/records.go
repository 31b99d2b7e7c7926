package sqlite

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Records. Every record is columns of its own table (migrations/ has the
// layout), named and encoded here, so nothing the REST API calls a field
// reaches the file: renaming an API field changes no database. What a
// column holds:
//
//   - text and numbers as themselves; a bool as 0 or 1, a *bool as NULL,
//     0 or 1;
//   - a time as RFC 3339 text with nanoseconds and the time's own offset
//     (timeText): exactly the instant and zone it was given, as the JSON
//     records before 0006 kept them; ordering columns (sort_key, due,
//     intents' times) are tsKey, fixed-width UTC;
//   - a list of strings as a JSON array, NULL for a nil list, so nil and
//     empty stay apart as they did; a map of strings as a JSON object,
//     NULL for nil;
//   - a job's raw JSON (params, checkpoint, report) as its bytes, NULL for
//     nil.
//
// The records JSON held before 0006 are read once, by the migration that
// converts them (legacy.go), with types of their own frozen to that format.

// timeText is how a time is kept.
func timeText(t time.Time) string { return t.Format(time.RFC3339Nano) }

func timeArg(t time.Time) arg { return text(timeText(t)) }

// time returns column i, a timeText.
func (st *stmt) time(i int) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, st.text(i))
}

func listArg(l []string) arg {
	if l == nil {
		return null()
	}
	return text(encodeList(l))
}

// list returns column i, a listArg.
func (st *stmt) list(i int) ([]string, error) {
	if st.null(i) {
		return nil, nil
	}
	return decodeList(st.text(i))
}

// plainJSON reports whether s is written in JSON as "s" with nothing
// escaped, so that it reads back as itself without a JSON decoder.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
			return false
		}
		if b >= utf8.RuneSelf {
			return utf8.ValidString(s) && !strings.ContainsAny(s, "\u2028\u2029")
		}
	}
	return true
}

func appendJSONString(b []byte, s string) []byte {
	if plainJSON(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// encodeList writes l as a compact JSON array.
func encodeList(l []string) string {
	n := 2
	for _, s := range l {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, ']')
	return string(b)
}

// decodeList reads a JSON array of strings. Arrays without an escape (all
// that encodeList writes for plain text) are split where they stand, the
// strings sharing s's memory; anything else goes to encoding/json.
func decodeList(s string) ([]string, error) {
	switch s {
	case "null":
		return nil, nil
	case "[]":
		return []string{}, nil
	}
	if len(s) >= 4 && s[0] == '[' && s[1] == '"' && s[len(s)-2] == '"' && s[len(s)-1] == ']' && !strings.Contains(s, `\`) {
		inner := s[2 : len(s)-2]
		out := make([]string, 0, strings.Count(inner, `","`)+1)
		for {
			i := strings.Index(inner, `","`)
			if i < 0 {
				out = append(out, inner)
				break
			}
			out = append(out, inner[:i])
			inner = inner[i+3:]
		}
		if !slices.ContainsFunc(out, func(e string) bool { return strings.Contains(e, `"`) }) {
			return out, nil
		}
	}
	var out []string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// mapArg keeps a map of strings as a JSON object, keys in order.
func mapArg[K, V ~string](m map[K]V) arg {
	if m == nil {
		return null()
	}
	b := []byte{'{'}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, string(k))
		b = append(b, ':')
		b = appendJSONString(b, string(m[k]))
	}
	b = append(b, '}')
	return text(string(b))
}

// stringMap returns column i, a mapArg.
func stringMap[K, V ~string](st *stmt, i int) (map[K]V, error) {
	if st.null(i) {
		return nil, nil
	}
	s := st.text(i)
	if s == "null" {
		return nil, nil
	}
	if s == "{}" {
		return map[K]V{}, nil
	}
	if len(s) >= 7 && s[0] == '{' && s[1] == '"' && s[len(s)-2] == '"' && s[len(s)-1] == '}' && !strings.Contains(s, `\`) {
		inner := s[2 : len(s)-2]
		out := make(map[K]V, strings.Count(inner, `","`)+1)
		ok := true
		for ok {
			pair := inner
			i := strings.Index(inner, `","`)
			if i >= 0 {
				pair, inner = inner[:i], inner[i+3:]
			}
			k, v, found := strings.Cut(pair, `":"`)
			if !found || strings.Contains(k, `"`) || strings.Contains(v, `"`) {
				ok = false
				break
			}
			out[K(k)] = V(v)
			if i < 0 {
				return out, nil
			}
		}
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := make(map[K]V, len(raw))
	for k, v := range raw {
		out[K(k)] = V(v)
	}
	return out, nil
}

// rawArg keeps raw JSON as its bytes, NULL for nil.
func rawArg(m json.RawMessage) arg {
	if m == nil {
		return null()
	}
	return blob(m)
}

// boolPtrArg keeps a *bool as NULL, 0 or 1.
func boolPtrArg(b *bool) arg {
	if b == nil {
		return null()
	}
	return flag(*b)
}

// boolPtr returns column i, a boolPtrArg.
func (st *stmt) boolPtr(i int) *bool {
	if st.null(i) {
		return nil
	}
	b := st.int(i) != 0
	return &b
}
