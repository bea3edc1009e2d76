package views

import (
	"time"

	"github.com/certreg/certreg/registry"
)

// VerdictView is the verdict page: what a scanned QR code opens, and the
// answer of a manual or image check.
type VerdictView struct {
	V           *registry.Verification
	Rows        []ClaimRow // the paper beside the record; empty for a mismatch
	PrintedHead string     // heading of the printed column: signed in the QR code, or typed
	CertURL     string     // the certificate's page, when registered
	Witnesses   int        // independent witnesses that cosigned a checkpoint holding its latest log entry
	History     []HistoryItem
	Count       int64     // checks of this certificate so far, this one included
	LastChecked time.Time // the check before this one; zero if none
	Host        string    // the registry's canonical host
	Receipt     ReceiptForm
	Summary     *Summary // holder, level, expiry; nil when not registered (or not matched)
}

// DamagedQRView answers a QR code URL that cannot be read (truncated,
// mistyped, or not a certificate code at all): a verdict of its own, with
// why and what to do next.
type DamagedQRView struct {
	Why  string // what is wrong with the URL, in the page's language
	Host string
}

// ClaimRow is one claim shown beside the registry's record.
type ClaimRow struct {
	Label   string
	Printed string
	Live    string
	Differs bool
}

// ReceiptForm is what the "make a receipt" form posts back: enough to check
// again, never the verdict itself (the server recomputes it).
type ReceiptForm struct {
	Action string
	Kind   string // "qr" or "manual"
	Token  string // the QR code's token (kind qr)
	Number string
	Holder string // kind manual
}

// VerifyFormView is the verification start page: the manual check, the
// QR image upload and the way to the batch check.
type VerifyFormView struct {
	Number  string
	Holder  string
	Error   string // the manual check's problem, shown by the form
	ImageMB int
	Host    string
}

// ForeignQRView answers an uploaded QR code that is not one of this
// registry's certificate codes.
type ForeignQRView struct {
	Foreign bool   // it points to another domain
	Origin  string // the domain it points to
	Host    string // this registry's host
	Text    string // what the code holds
	Message string // why it is not a certificate code, when not foreign
}

// BatchView is the batch check page: the form and, after a check, the
// results.
type BatchView struct {
	Lines   string
	Error   string
	Max     int
	Results []BatchRow
	Summary []Link // count of each verdict, as text
}

// BatchRow is one line of a batch result.
type BatchRow struct {
	Line    int
	Input   string
	Verdict registry.Verdict
	Holder  string
	Level   string
	Expiry  string
	Note    string
	URL     string // the certificate's page, when registered
}

// ReceiptView is a stored receipt.
type ReceiptView struct {
	ID        string
	URL       string // absolute URL of the receipt
	QRImage   string // its QR code (SVG)
	CreatedAt time.Time
	V         *registry.Verification
	Rows      []ClaimRow
	ByQR      bool
	Host      string
}

// OfflineVerdictView is the static export's verdict page for one
// certificate (or, with Number empty, for any QR code URL a host routes to
// it).
type OfflineVerdictView struct {
	Number     string
	RecordURL  string    // the certificate's exported JSON record
	Status     string    // effective status at the export, "" on the generic page
	StatusName string    // in the page's language
	AsOf       time.Time // when the export read the registry
	LiveURL    string    // the same check on the live registry
	Host       string    // the canonical host
	Rows       []ClaimRow
	CertURL    string
	QRImage    string // the QR code's SVG, as the live verdict page shows it
	QRImages   []Link // its image files
}
