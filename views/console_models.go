package views

import (
	"time"

	"github.com/a-h/templ"

	"github.com/certreg/certreg/registry"
)

// ConsoleBase is what every console page shows: the layout's base, who is
// signed in and which console section the page belongs to.
type ConsoleBase struct {
	Base
	User  string
	Role  registry.Role
	Body  string // the publisher's body: approval number and name
	Nav   string // "certificates", "upload", "keys", "bodies", "users", "audit"
	Flash string // the outcome of the last action
	Error string // a message for the whole page
}

// ConsoleLoginView is the sign-in form.
type ConsoleLoginView struct {
	Name     string
	Next     string
	NeedTOTP bool
	Error    string
}

// ConsoleCert is one row of the console's certificate list.
type ConsoleCert struct {
	Number  string
	Holder  string
	Level   string
	Status  registry.Status // effective
	Issue   time.Time
	Expiry  time.Time
	EditURL string
}

// ConsoleListView is the body's certificate list.
type ConsoleListView struct {
	Query    string
	Status   string
	Statuses []Option
	Certs    []ConsoleCert
	Total    int
	Prev     string
	Next     string
}

// ConsoleField is one input of the certificate form with its value and the
// problems found with it.
type ConsoleField struct {
	Name     string
	Label    string
	Help     string
	Value    string
	Type     string // text, date, number, textarea, select
	Options  []Option
	Required bool
	Errors   []string
	Warnings []string
}

// ConsoleCertForm is the create/edit form of a certificate, and on the edit
// page the status change, surveillance and QR sections.
type ConsoleCertForm struct {
	New       bool
	Number    string
	Action    string
	Fields    []ConsoleField
	NeedAck   bool // the credit-code warning must be acknowledged
	Acked     bool
	Status    registry.Status
	Moves     []Option // statuses the certificate may move to
	StatusErr map[string][]string
	SurvErr   map[string][]string
	Today     string
	PublicURL string
	QRPNG     string
	QRSVG     string
	History   []HistoryItem
}

// ConsoleUploadView is the bulk-upload page and, after an upload, its preview.
type ConsoleUploadView struct {
	Error      string
	Preview    bool
	ID         string // the kept upload, to confirm
	FileName   string
	Rows       int
	Created    []ConsolePreviewItem
	Updated    []ConsolePreviewItem
	Unchanged  int
	Errors     []ConsolePreviewError
	ErrorTotal int
	Warnings   []ConsolePreviewError
	Done       bool
}

// ConsolePreviewItem is one certificate a bulk upload would create or change.
type ConsolePreviewItem struct {
	Line    int
	Number  string
	Changes []FieldChange
}

// FieldChange is one field changed by an upload: its label, and its value
// before and after.
type FieldChange struct {
	Label, Before, After string
}

// ConsolePreviewError is one problem of an uploaded file.
type ConsolePreviewError struct {
	Line    int
	Field   string
	Message string
}

// ConsoleKeyRow is one API key in the list.
type ConsoleKeyRow struct {
	ID        int64
	Prefix    string
	Name      string
	State     string // live, revoked or expired, in words
	Created   time.Time
	Expires   time.Time
	LastUsed  time.Time
	CreatedBy string
}

// ConsoleKeysView is the API key page; NewKey is shown once, right after creation.
type ConsoleKeysView struct {
	Keys   []ConsoleKeyRow
	NewKey string
	Errors map[string][]string
}

// ConsoleBodiesView is the operator's list of bodies.
type ConsoleBodiesView struct {
	Bodies []*registry.Body
	Errors map[string][]string
	Form   map[string]string
}

// ConsoleUsersView is the operator's list of accounts.
type ConsoleUsersView struct {
	Users  []*registry.User
	Bodies []Option
	Errors map[string][]string
	Form   map[string]string
}

// ConsoleAuditRow is one audit-log entry.
type ConsoleAuditRow struct {
	ID      int64
	At      time.Time
	Actor   string
	Source  string
	Remote  string
	Body    string
	Kind    string
	Number  string
	Reason  string
	Changes []FieldChange // worded in the console's language
}

// ConsoleAuditView is the operator's audit log with its filters.
type ConsoleAuditView struct {
	Body, Kind, Actor, Source, Number, Since, Until string
	Bodies                                          []Option
	Rows                                            []ConsoleAuditRow
	More                                            string // link to older entries
	Error                                           string
}

// consoleNav marks the console section of the page.
func consoleNav(cb ConsoleBase, nav string) templ.Attributes {
	if cb.Nav == nav {
		return templ.Attributes{"aria-current": "page"}
	}
	return nil
}

// ConsoleAccountView is the user's own settings page.
type ConsoleAccountView struct {
	TOTP   bool   // the second factor is on
	Secret string // a new TOTP secret to add to an app (when off)
	URI    string // its otpauth:// URI
	Errors map[string][]string
}
