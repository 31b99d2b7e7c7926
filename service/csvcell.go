package service

import "strings"

// Spreadsheets run a cell that starts with =, +, -, @, a tab or a carriage
// return as a formula (CSV injection), and Never Log patterns such as
// "@hr-partner.example" and notes start that way. The export puts a ' in
// front of such a cell, as spreadsheets themselves do to mean "text"; the
// import takes it off again.

// formulaCell reports whether a spreadsheet would read s as a formula, or
// s is itself such a cell with ' put in front (so that one is kept apart
// from a cell that starts with ' for its own reasons).
func formulaCell(s string) bool {
	for len(s) > 0 && s[0] == '\'' {
		s = s[1:]
	}
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}

// neutralizeCell is s as the export writes it: with ' in front when a
// spreadsheet would run it, or when it starts with ' before such text.
func neutralizeCell(s string) string {
	if formulaCell(s) {
		return "'" + s
	}
	return s
}

// restoreCell undoes neutralizeCell: a cell that starts with ' before text
// a spreadsheet would run loses the '. Any other cell is kept as written,
// so a hand-made list with a pattern like 'o'brien@example.com reads as
// it says.
func restoreCell(s string) string {
	if strings.HasPrefix(s, "'") && formulaCell(s[1:]) {
		return s[1:]
	}
	return s
}
