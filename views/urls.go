package views

import (
	"net/url"
	"strings"
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
func CertificatePath(number string) string { return "/certificates/" + URLNumber(number) }

// CertificateFeedPath is the path of a certificate's Atom feed.
func CertificateFeedPath(number string) string { return CertificatePath(number) + "/feed.atom" }

// HolderPath is the path of the page of all certificates of a holder.
func HolderPath(creditCode string) string { return "/holders/" + url.PathEscape(creditCode) }

// BodyPath is the path of a certification body's page.
func BodyPath(approval string) string { return "/bodies/" + url.PathEscape(approval) }

// SchemePath is the path of a scheme's page.
func SchemePath(code string) string { return "/schemes/" + url.PathEscape(code) }

// APICertificatePath is the JSON of a certificate.
func APICertificatePath(number string) string { return "/api/v1/certificates/" + URLNumber(number) }
