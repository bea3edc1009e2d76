package views

import (
	"time"

	"github.com/certreg/certreg/registry"
)

// CertItem is a certificate as a result list shows it.
type CertItem struct {
	Number    string
	URL       string
	Holder    string
	Place     string
	Scheme    string // the scheme's kind ("售后服务认证")
	Level     string // the level's name
	Stars     int
	Status    registry.Status // effective
	IssueDate time.Time
	Expiry    time.Time
	Body      string
}

// HistoryItem is one event of a certificate's history, worded for the page.
type HistoryItem struct {
	Date    time.Time
	Kind    string // event kind ("suspended"), for the marker
	Title   string
	Reason  string
	Changes []string
}

// CertificateView is the certificate page.
type CertificateView struct {
	C            *registry.Certificate
	Scheme       *registry.Scheme
	Level        registry.Level
	Status       registry.Status // effective, for the badge
	Surveillance []string        // worded audits
	History      []HistoryItem
	HolderURL    string
	BodyURL      string
	SchemeURL    string
	FeedURL      string
	JSONURL      string
	AsOf         time.Time
	LogIndex     int64  // the certificate's latest entry in the public log
	LogURL       string // that entry; "" while not logged
	Witnesses    int    // independent witnesses that cosigned a checkpoint holding that entry
	Summary      Summary
	QR           CertificateQR
	Place        string // province (in the page's language) and city
	// IntegrityFailed is set when the row differs from the record of its
	// latest event: the page then shows that, not the row's status, and
	// offers no QR code.
	IntegrityFailed bool
}

// Summary is what a reviewer must see at once about a registered
// certificate, in the status box and the verdict panel: who holds it, at
// which level, until when, and, when it is not valid, since when and why.
type Summary struct {
	Holder     string
	Level      string // the level's name in the page's language
	Stars      int
	Expiry     time.Time
	SinceLabel string    // "suspended on", "revoked on"…; "" when valid or expired
	Since      time.Time // the day the suspension, revocation or withdrawal took effect
	Reason     string    // why: the body's reason, or the end of validity; "" when valid
}

// CertificateQR is a certificate's signed QR code as its page offers it:
// drawn inline, as files to print, and the two things a reviewer does with
// it.
type CertificateQR struct {
	SVG        string // the drawing, from qrimage (trusted markup)
	Images     []Link // SVG and PNG files
	VerdictURL string // the verdict page the code opens
	Receipt    ReceiptForm
}

// Option is one choice of a filter's select.
type Option struct {
	Value    string
	Text     string
	Selected bool
}

// Select is one filter of the browse page.
type Select struct {
	Name    string
	Label   string
	Options []Option
}

// PageLink is one link of the pager.
type PageLink struct {
	Text    string
	URL     string // "" for the current page or a gap
	Current bool
	Rel     string
}

// BrowseView is the browse and search page.
type BrowseView struct {
	Heading  string
	Query    string
	Selects  []Select
	Numbers  []ResultGroup // certificates found by their number, by kind
	Items    []CertItem
	NoNames  bool   // the query matched no holder name: the name results are left out
	Count    string // "共 1,234 张证书" or the capped wording
	Partial  string // the one-character notice, or ""
	Pager    []PageLink
	ClearURL string
	FeedURL  string
	Empty    bool
}

// ResultGroup is one kind of search match under its own heading, which
// says what kind it is and how many.
type ResultGroup struct {
	ID      string // the heading's id
	Heading string
	Items   []CertItem
}

// HomeView is the home page.
type HomeView struct {
	Totals  []Total
	Levels  []Total
	Status  []Total
	Recent  []CertItem
	Changes []CertItem
}

// Total is a count with its label and, when useful, a link.
type Total struct {
	Label string
	N     string
	URL   string
	Class string
}

// HolderView is the page of one holder's certificates.
type HolderView struct {
	Name       string
	CreditCode string
	Items      []CertItem
}

// BodyView is a certification body's page.
type BodyView struct {
	Body       *registry.Body
	Place      string // province (in the page's language) and city
	Counts     []Total
	Levels     []Total
	Items      []CertItem
	AllURL     string
	FeedIssued string
	FeedStatus string
}

// BodiesView lists the bodies.
type BodiesView struct {
	Bodies []BodyRow
}

// BodyRow is one body in the list.
type BodyRow struct {
	Name         string
	Approval     string
	URL          string
	Place        string
	Certificates string // how many it registered, formatted
	Valid        string // how many of them are in force, formatted
}

// SchemeView is a scheme's page.
type SchemeView struct {
	Scheme   *registry.Scheme
	Rows     []GradeRow
	Below    string
	CertsURL string
}

// GradeRow is one level of a scheme's grading table.
type GradeRow struct {
	Level    string
	Stars    int
	MinScore string
	URL      string
}

// SchemesView lists the schemes.
type SchemesView struct {
	Schemes []SchemeRow
}

// SchemeRow is one scheme in the list.
type SchemeRow struct {
	Name     string
	Standard string
	Kind     string
	URL      string
	Graded   bool
}

// StatsView is the statistics page: each chart with its data table.
type StatsView struct {
	Charts []Chart
}

// Chart is a horizontal bar chart drawn as SVG on the server.
type Chart struct {
	ID    string
	Title string
	Bars  []Bar
}

// Bar is one bar of a chart.
type Bar struct {
	Label string
	N     int
	Text  string // N formatted
	Class string // bar colour class
	URL   string
}

// DataView is the open data page.
type DataView struct {
	CSVURL    string
	NDJSONURL string
	Columns   []Column
}

// Column is one column of the open data.
type Column struct {
	Name string
	Desc string
}

// APIView is the API page.
type APIView struct {
	Endpoints []Endpoint
	Params    []Column
	Log       LogCheckView
}

// LogCheckView tells how to check the public log and its witnesses.
type LogCheckView struct {
	Served    bool     // the site serves a log; without one the section is left out
	Key       string   // the log's verifier key; "" when the registry publishes none
	Witnesses []string // the witnesses' verifier keys
	Quorum    int      // the cosignatures the command requires
	Command   string   // a `certreg log monitor` command line that checks them
}

// Endpoint is one route of the API.
type Endpoint struct {
	Method  string
	Path    string
	Desc    string
	Example string
}
