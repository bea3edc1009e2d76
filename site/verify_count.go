package site

import (
	"net/http"
	"strings"
)

// botMarkers are lower-case parts of the User-Agent of crawlers, link
// previewers and HTTP libraries: a request whose User-Agent holds one is
// not a person checking a certificate. (Any crawler can pretend to be a
// browser; the robots.txt rules and rel="nofollow" keep the polite ones
// away, and the per-client-per-day rule bounds what the rest can add.)
var botMarkers = []string{
	"bot", "crawl", "spider", "slurp", "archiver", "facebookexternalhit", "embedly", "preview",
	"bingpreview", "headlesschrome", "lighthouse", "curl/", "wget/", "python-", "go-http-client",
	"okhttp", "java/", "libwww", "httpclient", "scrapy", "certreg-walk",
}

// countsAsCheck reports whether a request for a verdict is a person's
// check that the verification counter may count: not a prefetch or
// prerender the browser made on its own (Purpose or Sec-Purpose:
// prefetch), and not a crawler or script that names itself in its
// User-Agent (or sends none).
func countsAsCheck(r *http.Request) bool {
	for _, h := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		if v := strings.ToLower(r.Header.Get(h)); strings.Contains(v, "prefetch") || strings.Contains(v, "prerender") || strings.Contains(v, "preview") {
			return false
		}
	}
	ua := strings.ToLower(r.Header.Get("User-Agent"))
	if ua == "" {
		return false
	}
	for _, m := range botMarkers {
		if strings.Contains(ua, m) {
			return false
		}
	}
	return true
}
