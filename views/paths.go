package views

import (
	"net/url"
	"strconv"
	"strings"
)

// The paths of every page and file the site serves, language-neutral:
// Base.Href and Lang.Path put them under /en for English. Every link the
// site writes is built here; a test (site/paths_test.go) checks that each
// path is served by its route in the route table, and that every route
// has its path here.

// Paths of the public registry.
const (
	HomePath            = "/"
	CertificatesPath    = "/certificates"
	BodiesPath          = "/bodies"
	SchemesPath         = "/schemes"
	StatisticsPath      = "/statistics"
	IssuedFeedPath      = "/feeds/issued.atom"
	StatusFeedPath      = "/feeds/status.atom"
	DataPath            = "/data"
	DataCSVPath         = "/data/certificates.csv"
	DataNDJSONPath      = "/data/certificates.ndjson"
	APIDocsPath         = "/api"
	APICertificatesPath = "/api/v1/certificates"
	SitemapPath         = "/sitemap.xml"
	SitemapPagesPath    = "/sitemaps/pages.xml"
	RobotsPath          = "/robots.txt"
	HealthPath          = "/healthz"
	KeySetPath          = "/.well-known/certreg-keys.json"
	OpenAPIPath         = "/api/v1/openapi.json"
	PublishPath         = "/api/v1/publish/certificates"
	APIVerifyPath       = "/api/v1/verify"
	VerifyPath          = "/verify"
	VerifyCheckPath     = "/verify/check"
	VerifyImagePath     = "/verify/image"
	VerifyBatchPath     = "/verify/batch"
	ReceiptsPath        = "/receipts"
	LogCheckpointPath   = "/log/checkpoint"
	LogKeyPath          = "/log/key"
	ExportTimePath      = "/export.json" // written by the static export only
)

// URLNumber writes a certificate number as one URL path segment. Numbers
// are letters, digits, "-", "." and "/" (never "..", never a leading "." or
// "/"), so the only character that cannot stand in a segment is "/": it is
// written "~", which no number contains. "00114E22766R2L/3502" becomes
// "00114E22766R2L~3502": one segment, so the live site and a static export
// (certificates/00114E22766R2L~3502/index.html) have the same URL.
func URLNumber(number string) string { return strings.ReplaceAll(number, "/", "~") }

// ParseURLNumber reverses URLNumber.
func ParseURLNumber(seg string) string { return strings.ReplaceAll(seg, "~", "/") }

// CertificatePath is the language-neutral path of a certificate's page.
func CertificatePath(number string) string { return CertificatesPath + "/" + URLNumber(number) }

// CertificateFeedPath is the path of a certificate's Atom feed.
func CertificateFeedPath(number string) string { return CertificatePath(number) + "/feed.atom" }

// HolderPath is the path of the page of all certificates of a holder.
func HolderPath(creditCode string) string { return "/holders/" + url.PathEscape(creditCode) }

// BodyPath is the path of a certification body's page.
func BodyPath(approval string) string { return BodiesPath + "/" + url.PathEscape(approval) }

// BodyIssuedFeedPath is the feed of a body's newly issued certificates.
func BodyIssuedFeedPath(approval string) string { return BodyPath(approval) + "/issued.atom" }

// BodyStatusFeedPath is the feed of a body's status changes.
func BodyStatusFeedPath(approval string) string { return BodyPath(approval) + "/status.atom" }

// SchemePath is the path of a scheme's page.
func SchemePath(code string) string { return SchemesPath + "/" + url.PathEscape(code) }

// APICertificatePath is the JSON of a certificate.
func APICertificatePath(number string) string { return APICertificatesPath + "/" + URLNumber(number) }

// SitemapCertificatesPath is the nth (from 1) sitemap of certificate pages.
func SitemapCertificatesPath(n int) string {
	return "/sitemaps/certificates/" + strconv.Itoa(n) + ".xml"
}

// StaticPath is the path of a file of static/ under its content-hashed
// name.
func StaticPath(name string) string { return "/static/" + name }

// VerdictPath is the verdict page a QR code opens: /V/<token>/<NUMBER>,
// exactly as signing.QRSignature.URL writes it on the registry's base URL
// (a "/" in the number stays: it is what the printed code holds, and the
// static export writes its verdict page there).
func VerdictPath(token, number string) string { return "/V/" + token + "/" + number }

// QRImagePath is a certificate's QR image for a signature token; format is
// "svg" or "png-256" (and the other PNG sizes). The token in the path
// changes whenever the claims or the key do, so the image can be cached
// forever.
func QRImagePath(format, token, number string) string {
	return "/qr/" + format + "/" + token + "/" + URLNumber(number)
}

// ReceiptPath is a verification receipt's page.
func ReceiptPath(id string) string { return ReceiptsPath + "/" + id }

// ReceiptQRPath is the QR code of a receipt's page, for printing.
func ReceiptQRPath(id string) string { return ReceiptPath(id) + "/qr.svg" }

// PublishCertificatePath is a certificate in the publishing API.
func PublishCertificatePath(number string) string { return PublishPath + "/" + URLNumber(number) }

// PublishStatusPath is where the publishing API changes a status.
func PublishStatusPath(number string) string { return PublishCertificatePath(number) + "/status" }

// PublishSurveillancePath is where the publishing API records an audit.
func PublishSurveillancePath(number string) string {
	return PublishCertificatePath(number) + "/surveillance"
}

// LogTilePath is a tile or entry bundle of the log, at its C2SP tlog-tiles
// path ("tile/0/x001/234", "tile/entries/005").
func LogTilePath(tile string) string { return "/log/" + tile }

// LogEntryPath is one entry of the log.
func LogEntryPath(index int64) string { return "/log/entry/" + strconv.FormatInt(index, 10) }

// LogProofPath is the inclusion proof of a certificate's latest entry.
func LogProofPath(number string) string { return "/log/proof/" + URLNumber(number) }

// Paths of the console.
const (
	ConsolePath         = "/console/"
	ConsoleLoginPath    = "/console/login"
	ConsoleLogoutPath   = "/console/logout"
	ConsoleNewPath      = "/console/certificates/new"
	ConsoleUploadPath   = "/console/upload"
	ConsoleTemplatePath = "/console/template.xlsx"
	ConsoleExportPath   = "/console/certificates.xlsx"
	ConsoleKeysPath     = "/console/keys"
	ConsoleAccountPath  = "/console/account"
	ConsolePasswordPath = "/console/account/password"
	ConsoleTOTPPath     = "/console/account/totp"
	ConsoleBodiesPath   = "/console/bodies"
	ConsoleUsersPath    = "/console/users"
	ConsoleAuditPath    = "/console/audit"
)

// ConsoleCertificatePath is a certificate's page in the console.
func ConsoleCertificatePath(number string) string {
	return "/console/certificates/" + URLNumber(number)
}

// ConsoleStatusPath is where the console changes a certificate's status.
func ConsoleStatusPath(number string) string { return ConsoleCertificatePath(number) + "/status" }

// ConsoleSurveillancePath is where the console records an audit.
func ConsoleSurveillancePath(number string) string {
	return ConsoleCertificatePath(number) + "/surveillance"
}

// ConsoleQRPath is a certificate's QR image in the console: format "png"
// or "svg".
func ConsoleQRPath(number, format string) string {
	return ConsoleCertificatePath(number) + "/qr." + format
}

// ConsoleConfirmPath confirms an upload that was previewed.
func ConsoleConfirmPath(id string) string { return ConsoleUploadPath + "/" + id + "/confirm" }

// ConsoleRevokeKeyPath revokes an API key.
func ConsoleRevokeKeyPath(id int64) string {
	return ConsoleKeysPath + "/" + strconv.FormatInt(id, 10) + "/revoke"
}

// ConsoleDisableBodyPath disables a certification body.
func ConsoleDisableBodyPath(approval string) string {
	return ConsoleBodiesPath + "/" + url.PathEscape(approval) + "/disable"
}

// ConsoleDisableUserPath disables an account.
func ConsoleDisableUserPath(name string) string {
	return ConsoleUsersPath + "/" + url.PathEscape(name) + "/disable"
}
