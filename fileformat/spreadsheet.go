package fileformat

import "strings"

// formulaStarts are the first characters that make a spreadsheet read a
// CSV cell as a formula (OWASP's "CSV injection" list): = + - @, and tab
// and carriage return, which some spreadsheets skip before looking again.
const formulaStarts = "=+-@\t\r"

// SpreadsheetCell returns s as a CSV cell that a spreadsheet shows as text:
// a value beginning with one of = + - @ tab CR gets a leading apostrophe,
// so that a holder named "=HYPERLINK(…)" is never run as a formula on a
// reviewer's machine. Every CSV the registry writes passes each cell
// through it. A value that already begins with an apostrophe before one of
// those characters gets a second one, so that PlainCell gives back exactly
// s: the CSV imports back unchanged. Machines wanting the values as they
// are read NDJSON, which is never altered.
func SpreadsheetCell(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(formulaStarts, s[0]) >= 0 || isNeutralised(s) {
		return "'" + s
	}
	return s
}

// PlainCell undoes SpreadsheetCell: it drops the apostrophe SpreadsheetCell
// put before a formula character.
func PlainCell(s string) string {
	if isNeutralised(s) {
		return s[1:]
	}
	return s
}

// isNeutralised reports whether s is an apostrophe before what
// SpreadsheetCell would neutralise.
func isNeutralised(s string) bool {
	return len(s) >= 2 && s[0] == '\'' && (strings.IndexByte(formulaStarts, s[1]) >= 0 || isNeutralised(s[1:]))
}
