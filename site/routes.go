package site

import (
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
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
	// api routes answer errors as JSON, plain routes as text (the log's
	// files); the others as a page.
	api
	plain
	// firstVisit sends a visitor from elsewhere whose browser prefers
	// English to the English page (only "/").
	firstVisit
	// open routes are public reads that any web page may call from a
	// browser: Access-Control-Allow-Origin: *, and a preflight answered.
	// Never on the console or the publishing API.
	open
)

// route is one entry of the route table.
type route struct {
	pattern string // a net/http pattern: "GET /certificates/{number}"
	handler handlerFunc
	opts    routeOpt
}

// routeTable is every route of the site, in one place. Patterns are the
// standard library's; {number} is a certificate number in its URL form
// (views.URLNumber). Every link to them is built by the path functions of
// views/paths.go, and a test checks that each path function's URL is
// served by its route.
func (s *Server) routeTable() []route {
	page := bilingual | cached
	lookup := func(h handlerFunc) handlerFunc { return s.limited(&s.verify.lookups, h) }
	batch := func(h handlerFunc) handlerFunc { return s.limited(&s.verify.batches, h) }
	return []route{
		// The public registry.
		{"GET /{$}", s.showHome, page | firstVisit},
		{"GET /certificates", s.listCertificates, page},
		{"GET /certificates/{number}", s.showCertificate, page},
		{"GET /certificates/{number}/feed.atom", s.certificateFeed, page | open},
		{"GET /certificates/{rest...}", s.redirectCertificate, bilingual},
		{"GET /holders/{code}", s.showHolder, page},
		{"GET /bodies", s.listBodies, page},
		{"GET /bodies/{approval}", s.showBody, page},
		{"GET /bodies/{approval}/issued.atom", s.bodyIssuedFeed, page | open},
		{"GET /bodies/{approval}/status.atom", s.bodyStatusFeed, page | open},
		{"GET /schemes", s.listSchemes, page},
		{"GET /schemes/{code}", s.showScheme, page},
		{"GET /statistics", s.showStatistics, page},
		{"GET /feeds/issued.atom", s.issuedFeed, page | open},
		{"GET /feeds/status.atom", s.statusFeed, page | open},
		{"GET /data", s.showData, page},
		{"GET /api", s.showAPI, page},

		// Language-neutral: downloads, the read API, files for crawlers.
		{"GET /data/certificates.csv", s.downloadCSV, open},
		{"GET /data/certificates.ndjson", s.downloadNDJSON, open},
		{"GET /api/v1/certificates", s.apiListCertificates, api | cached | open},
		{"GET /api/v1/certificates/{number}", s.apiShowCertificate, api | cached | open},
		{"GET /api/v1/certificates/{rest...}", s.apiRedirectCertificate, api | open},
		{"GET /sitemap.xml", s.sitemap, cached},
		{"GET /sitemaps/pages.xml", s.sitemapPages, cached},
		{"GET /sitemaps/certificates/{n}", s.sitemapCertificates, cached},
		{"GET /robots.txt", s.robots, 0},
		{"GET /healthz", s.healthz, api | open},
		{"GET /static/{file}", s.serveStatic, 0},

		// Verification: what a QR code opens (/v/ for a URL typed in lower
		// case), the forms, receipts, QR images, the key set and the API.
		{"GET /V/{rest...}", lookup(s.showVerdict), bilingual},
		{"GET /v/{rest...}", lookup(s.showVerdict), bilingual},
		{"GET /verify", s.showVerifyForm, page},
		{"GET /verify/check", lookup(s.checkManual), bilingual},
		{"POST /verify/image", lookup(s.checkImage), bilingual},
		{"GET /verify/batch", s.showBatch, page},
		{"POST /verify/batch", batch(s.checkBatch), bilingual},
		{"POST /receipts", lookup(s.createReceipt), bilingual},
		{"GET /receipts/{id}", s.showReceipt, bilingual},
		{"GET /receipts/{id}/qr.svg", s.receiptQR, 0},
		{"GET /qr/{format}/{token}/{number}", lookup(s.serveQR), 0},
		{"GET /.well-known/certreg-keys.json", s.publicKeys, api | open},
		{"POST /api/v1/verify", s.apiVerify, api | open},

		// The publishing API: JSON only, errors in both languages.
		{"GET /api/v1/openapi.json", s.serveOpenAPI, api | open},
		{"GET /api/v1/publish/certificates", s.api(0, s.pubListCertificates), api},
		{"POST /api/v1/publish/certificates", s.api(maxBatchBody, s.pubPutBatch), api},
		{"GET /api/v1/publish/certificates/{number}", s.api(0, s.pubGetCertificate), api},
		{"PUT /api/v1/publish/certificates/{number}", s.api(maxAPIBody, s.pubPutCertificate), api},
		{"POST /api/v1/publish/certificates/{number}/status", s.api(maxAPIBody, s.pubChangeStatus), api},
		{"POST /api/v1/publish/certificates/{number}/surveillance", s.api(maxAPIBody, s.pubAddSurveillance), api},

		// The console: publishers manage their body's certificates, the
		// operator bodies and accounts and reads the audit log. Nothing is
		// cached; every state change is a POST behind cross-origin
		// protection, and no GET changes anything.
		{"GET /console", s.redirectConsole, bilingual},
		{"GET /console/login", s.showLogin, bilingual},
		{"POST /console/login", s.csrf(s.login), bilingual},
		{"POST /console/logout", s.csrf(s.logout), bilingual},
		{"GET /console/{$}", s.signedIn(anyRole, s.consoleHome), bilingual},
		{"GET /console/certificates/new", s.signedIn(publisher, s.newCertificateForm), bilingual},
		{"POST /console/certificates/new", s.signedIn(publisher, s.saveCertificate), bilingual},
		{"GET /console/certificates/{number}", s.signedIn(publisher, s.editCertificateForm), bilingual},
		{"POST /console/certificates/{number}", s.signedIn(publisher, s.saveCertificate), bilingual},
		{"POST /console/certificates/{number}/status", s.signedIn(publisher, s.consoleChangeStatus), bilingual},
		{"POST /console/certificates/{number}/surveillance", s.signedIn(publisher, s.consoleAddSurveillance), bilingual},
		{"GET /console/certificates/{number}/qr.png", s.signedIn(publisher, s.qrPNG), bilingual},
		{"GET /console/certificates/{number}/qr.svg", s.signedIn(publisher, s.qrSVG), bilingual},
		{"GET /console/upload", s.signedIn(publisher, s.showUpload), bilingual},
		{"POST /console/upload", s.signedIn(publisher, s.upload), bilingual},
		{"POST /console/upload/{id}/confirm", s.signedIn(publisher, s.confirmUpload), bilingual},
		{"GET /console/template.xlsx", s.signedIn(publisher, s.downloadTemplate), bilingual},
		{"GET /console/certificates.xlsx", s.signedIn(publisher, s.downloadCertificates), bilingual},
		{"GET /console/keys", s.signedIn(publisher, s.showKeys), bilingual},
		{"POST /console/keys", s.signedIn(publisher, s.createKey), bilingual},
		{"POST /console/keys/{id}/revoke", s.signedIn(publisher, s.revokeKey), bilingual},
		{"GET /console/account", s.signedIn(anyRole, s.showAccount), bilingual},
		{"POST /console/account/password", s.signedIn(anyRole, s.changeOwnPassword), bilingual},
		{"POST /console/account/totp", s.signedIn(anyRole, s.setOwnTOTP), bilingual},
		{"GET /console/bodies", s.signedIn(operator, s.showBodies), bilingual},
		{"POST /console/bodies", s.signedIn(operator, s.addBody), bilingual},
		{"POST /console/bodies/{approval}/disable", s.signedIn(operator, s.disableBody), bilingual},
		{"GET /console/users", s.signedIn(operator, s.showUsers), bilingual},
		{"POST /console/users", s.signedIn(operator, s.addUser), bilingual},
		{"POST /console/users/{name}/disable", s.signedIn(operator, s.disableUser), bilingual},
		{"GET /console/audit", s.signedIn(operator, s.showAudit), bilingual},

		// The public transparency log (C2SP tlog-tiles): the same bytes in
		// every language, never page-cached (the checkpoint must be fresh).
		{"GET /log/checkpoint", s.showCheckpoint, plain | open},
		{"GET /log/key", s.showLogKey, plain | open},
		{"GET /log/tile/{path...}", s.showTile, plain | open},
		{"GET /log/entry/{index}", s.showEntry, plain | open},
		{"GET /log/proof/{number}", s.showProof, api | open},

		{"GET /en", s.redirectEnglishHome, 0},
		{"/", s.notFound, bilingual},
	}
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
		format := asPage
		switch {
		case rt.opts&api != 0:
			format = asJSON
		case rt.opts&plain != 0:
			format = asPlain
		}
		patterns := []string{rt.pattern}
		if rt.opts&bilingual != 0 {
			patterns = append(patterns, enPattern(rt.pattern))
		}
		for i, p := range patterns {
			lang := i18n.ZH
			if i == 1 {
				lang = i18n.EN
			}
			if rt.opts&open != 0 {
				method, path, _ := strings.Cut(p, " ")
				s.mux.Handle(p, s.adapt(lang, allowAnyOrigin(h), format))
				s.mux.Handle("OPTIONS "+path, s.adapt(lang, preflight(method), format))
				continue
			}
			s.mux.Handle(p, s.adapt(lang, h, format))
		}
	}
}

// allowAnyOrigin lets any web page read the answers of h from a browser
// (a procurement platform checking a certificate from its own page). No
// credentials are involved: the open routes need none, and the console's
// cookie is never sent with them on another site's behalf, since
// Access-Control-Allow-Credentials is never set.
func allowAnyOrigin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "ETag, Retry-After, Content-Disposition, Location")
		return h(w, r)
	}
}

// preflight answers a browser's CORS preflight (OPTIONS) for an open route
// taking method: a page may send it with the headers a reader of the API
// needs (a JSON body, a conditional request).
func preflight(method string) handlerFunc {
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", allow)
		hd.Set("Access-Control-Allow-Headers", "Content-Type, If-None-Match, If-Modified-Since, Accept-Language")
		hd.Set("Access-Control-Max-Age", "86400")
		hd.Set("Allow", allow+", OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
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
// the language in the request and answers a returned error in format.
func (s *Server) adapt(lang i18n.Lang, h handlerFunc, format errorFormat) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withLang(r, lang)
		if err := h(w, r); err != nil {
			s.serveError(w, r, err, format)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A write through this process shows on the next page view.
			s.Invalidate()
		}
	})
}

// errNotFoundPage is the error of a URL that names no page.
var errNotFoundPage = registry.Errorf(registry.ENOTFOUND, "", "error.notfound.page")

// notFound answers every URL that no route serves: 405 with the methods
// allowed when a route serves the path for another method (POST to a
// page), 404 otherwise.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); m != r.Method && pattern != "/" && pattern != "/en/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return registry.Errorf(codeMethodNotAllowed, "", "error.method")
	}
	return errNotFoundPage
}

// redirectEnglishHome sends /en to /en/.
func (s *Server) redirectEnglishHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/en/", http.StatusMovedPermanently)
	return nil
}
