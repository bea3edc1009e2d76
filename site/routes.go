package site

import (
	"net/http"
	"strings"

	"github.com/certreg/certreg/site/i18n"
)

// routeOpt says how a route is served.
type routeOpt int

const (
	// bilingual routes answer in Chinese at the pattern's path and in
	// English under /en.
	bilingual routeOpt = 1 << iota
	// cached responses are kept, rendered and compressed, until the
	// registry changes (or the day changes: expiry is derived from it).
	cached
	// api routes answer errors as JSON.
	api
	// firstVisit sends a visitor from elsewhere whose browser prefers
	// English to the English page (only "/").
	firstVisit
)

// route is one entry of the route table.
type route struct {
	pattern string // a net/http pattern: "GET /certificates/{number}"
	handler handlerFunc
	opts    routeOpt
}

// routeTable is every route of the site, in one place. Patterns are the
// standard library's; {number} is a certificate number in its URL form
// (see CertificatePath).
func (s *Server) routeTable() []route {
	page := bilingual | cached
	routes := []route{
		{"GET /{$}", s.showHome, page | firstVisit},
		{"GET /certificates", s.listCertificates, page},
		{"GET /certificates/{number}", s.showCertificate, page},
		{"GET /certificates/{number}/feed.atom", s.certificateFeed, page},
		{"GET /certificates/{rest...}", s.redirectCertificate, bilingual},
		{"GET /holders/{code}", s.showHolder, page},
		{"GET /bodies", s.listBodies, page},
		{"GET /bodies/{approval}", s.showBody, page},
		{"GET /bodies/{approval}/issued.atom", s.bodyIssuedFeed, page},
		{"GET /bodies/{approval}/status.atom", s.bodyStatusFeed, page},
		{"GET /schemes", s.listSchemes, page},
		{"GET /schemes/{code}", s.showScheme, page},
		{"GET /statistics", s.showStatistics, page},
		{"GET /feeds/issued.atom", s.issuedFeed, page},
		{"GET /feeds/status.atom", s.statusFeed, page},
		{"GET /data", s.showData, page},
		{"GET /api", s.showAPI, page},

		// Language-neutral: downloads, the JSON API, files for crawlers.
		{"GET /data/certificates.csv", s.downloadCSV, 0},
		{"GET /data/certificates.ndjson", s.downloadNDJSON, 0},
		{"GET /api/v1/certificates", s.apiListCertificates, api | cached},
		{"GET /api/v1/certificates/{number}", s.apiShowCertificate, api | cached},
		{"GET /api/v1/certificates/{rest...}", s.apiRedirectCertificate, api},
		{"GET /sitemap.xml", s.sitemap, cached},
		{"GET /sitemaps/pages.xml", s.sitemapPages, cached},
		{"GET /sitemaps/certificates/{n}", s.sitemapCertificates, cached},
		{"GET /robots.txt", s.robots, 0},
		{"GET /healthz", s.healthz, api},
		{"GET /static/{file}", s.serveStatic, 0},
		{"/", s.notFound, bilingual},
	}
	routes = append(routes, s.verifyRoutes()...)
	routes = append(routes, s.publishRoutes()...)
	return append(routes, s.consoleRoutes()...)
}

// routes registers the route table on the mux.
func (s *Server) routes() {
	for _, rt := range s.routeTable() {
		h := rt.handler
		if rt.opts&cached != 0 {
			h = s.cachedHandler(h)
		}
		if rt.opts&firstVisit != 0 {
			h = s.pickLanguage(h)
		}
		s.mux.Handle(rt.pattern, s.adapt(i18n.ZH, h, rt.opts&api != 0))
		if rt.opts&bilingual != 0 {
			s.mux.Handle(enPattern(rt.pattern), s.adapt(i18n.EN, h, rt.opts&api != 0))
		}
	}
	s.mux.Handle("GET /en", http.RedirectHandler("/en/", http.StatusMovedPermanently))
}

// enPattern returns the English twin of a pattern: "GET /x" → "GET /en/x".
func enPattern(p string) string {
	method, path, ok := strings.Cut(p, " ")
	if !ok {
		method, path = "", p
	}
	path = "/en" + path
	if method == "" {
		return path
	}
	return method + " " + path
}

// adapt turns a handlerFunc into an http.Handler for one language: it puts
// the language in the request and maps a returned error to its status page.
func (s *Server) adapt(lang i18n.Lang, h handlerFunc, asJSON bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withLang(r, lang)
		if err := h(w, r); err != nil {
			s.serveError(w, r, err, asJSON)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A write through this process shows on the next page view.
			s.Invalidate()
		}
	})
}

// notFound answers every URL that names no page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFoundPage
}
