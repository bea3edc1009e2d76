package site

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Every route of the route table has a path function in views, and every
// path function's URL is served by its route: the mux picks exactly that
// pattern for it (and its English twin for a bilingual route). A route
// added without a path function, or a path function whose URL no longer
// matches its route, fails here.
func TestEveryRouteHasItsPath(t *testing.T) {
	s := New(demoRegistry(t), Config{BaseURL: testBase})
	const n, token = "00114E22766R2L/3502", "ABCDEFGH"
	paths := map[string]string{
		"GET /{$}":                                                views.HomePath,
		"GET /certificates":                                       views.CertificatesPath,
		"GET /certificates/{number}":                              views.CertificatePath(n),
		"GET /certificates/{number}/feed.atom":                    views.CertificateFeedPath(n),
		"GET /certificates/{rest...}":                             views.CertificatesPath + "/" + n, // a number as printed, redirected
		"GET /holders/{code}":                                     views.HolderPath("914403001922038216"),
		"GET /bodies":                                             views.BodiesPath,
		"GET /bodies/{approval}":                                  views.BodyPath("CNCA-R-2002-001"),
		"GET /bodies/{approval}/issued.atom":                      views.BodyIssuedFeedPath("CNCA-R-2002-001"),
		"GET /bodies/{approval}/status.atom":                      views.BodyStatusFeedPath("CNCA-R-2002-001"),
		"GET /schemes":                                            views.SchemesPath,
		"GET /schemes/{code}":                                     views.SchemePath("AS"),
		"GET /statistics":                                         views.StatisticsPath,
		"GET /feeds/issued.atom":                                  views.IssuedFeedPath,
		"GET /feeds/status.atom":                                  views.StatusFeedPath,
		"GET /data":                                               views.DataPath,
		"GET /api":                                                views.APIDocsPath,
		"GET /data/certificates.csv":                              views.DataCSVPath,
		"GET /data/certificates.ndjson":                           views.DataNDJSONPath,
		"GET /api/v1/certificates":                                views.APICertificatesPath,
		"GET /api/v1/certificates/{number}":                       views.APICertificatePath(n),
		"GET /api/v1/certificates/{rest...}":                      views.APICertificatesPath + "/" + n,
		"GET /sitemap.xml":                                        views.SitemapPath,
		"GET /sitemaps/pages.xml":                                 views.SitemapPagesPath,
		"GET /sitemaps/certificates/{n}":                          views.SitemapCertificatesPath(2),
		"GET /robots.txt":                                         views.RobotsPath,
		"GET /healthz":                                            views.HealthPath,
		"GET /static/{file}":                                      views.StaticPath("site.0123abcd.css"),
		"GET /V/{rest...}":                                        views.VerdictPath(token, n),
		"GET /v/{rest...}":                                        strings.ToLower(views.VerdictPath(token, n)),
		"GET /verify":                                             views.VerifyPath,
		"GET /verify/check":                                       views.VerifyCheckPath,
		"POST /verify/image":                                      views.VerifyImagePath,
		"GET /verify/batch":                                       views.VerifyBatchPath,
		"POST /verify/batch":                                      views.VerifyBatchPath,
		"POST /receipts":                                          views.ReceiptsPath,
		"GET /receipts/{id}":                                      views.ReceiptPath("ABCDEFGHIJKLMNOP"),
		"GET /receipts/{id}/qr.svg":                               views.ReceiptQRPath("ABCDEFGHIJKLMNOP"),
		"GET /qr/{format}/{token}/{number}":                       views.QRImagePath("svg", token, n),
		"GET /.well-known/certreg-keys.json":                      views.KeySetPath,
		"POST /api/v1/verify":                                     views.APIVerifyPath,
		"GET /api/v1/openapi.json":                                views.OpenAPIPath,
		"GET /api/v1/publish/certificates":                        views.PublishPath,
		"POST /api/v1/publish/certificates":                       views.PublishPath,
		"GET /api/v1/publish/certificates/{number}":               views.PublishCertificatePath(n),
		"PUT /api/v1/publish/certificates/{number}":               views.PublishCertificatePath(n),
		"POST /api/v1/publish/certificates/{number}/status":       views.PublishStatusPath(n),
		"POST /api/v1/publish/certificates/{number}/surveillance": views.PublishSurveillancePath(n),
		"GET /console":                                            strings.TrimSuffix(views.ConsolePath, "/"),
		"GET /console/login":                                      views.ConsoleLoginPath,
		"POST /console/login":                                     views.ConsoleLoginPath,
		"POST /console/logout":                                    views.ConsoleLogoutPath,
		"GET /console/{$}":                                        views.ConsolePath,
		"GET /console/certificates/new":                           views.ConsoleNewPath,
		"POST /console/certificates/new":                          views.ConsoleNewPath,
		"GET /console/certificates/{number}":                      views.ConsoleCertificatePath(n),
		"POST /console/certificates/{number}":                     views.ConsoleCertificatePath(n),
		"POST /console/certificates/{number}/status":              views.ConsoleStatusPath(n),
		"POST /console/certificates/{number}/surveillance":        views.ConsoleSurveillancePath(n),
		"GET /console/certificates/{number}/qr.png":               views.ConsoleQRPath(n, "png"),
		"GET /console/certificates/{number}/qr.svg":               views.ConsoleQRPath(n, "svg"),
		"GET /console/upload":                                     views.ConsoleUploadPath,
		"POST /console/upload":                                    views.ConsoleUploadPath,
		"POST /console/upload/{id}/confirm":                       views.ConsoleConfirmPath("u1"),
		"GET /console/template.xlsx":                              views.ConsoleTemplatePath,
		"GET /console/certificates.xlsx":                          views.ConsoleExportPath,
		"GET /console/keys":                                       views.ConsoleKeysPath,
		"POST /console/keys":                                      views.ConsoleKeysPath,
		"POST /console/keys/{id}/revoke":                          views.ConsoleRevokeKeyPath(7),
		"GET /console/account":                                    views.ConsoleAccountPath,
		"POST /console/account/password":                          views.ConsolePasswordPath,
		"POST /console/account/totp":                              views.ConsoleTOTPPath,
		"GET /console/bodies":                                     views.ConsoleBodiesPath,
		"POST /console/bodies":                                    views.ConsoleBodiesPath,
		"POST /console/bodies/{approval}/disable":                 views.ConsoleDisableBodyPath("CNCA-R-2002-001"),
		"GET /console/users":                                      views.ConsoleUsersPath,
		"POST /console/users":                                     views.ConsoleUsersPath,
		"POST /console/users/{name}/disable":                      views.ConsoleDisableUserPath("alice"),
		"GET /console/audit":                                      views.ConsoleAuditPath,
		"GET /log/checkpoint":                                     views.LogCheckpointPath,
		"GET /log/key":                                            views.LogKeyPath,
		"GET /log/tile/{path...}":                                 views.LogTilePath("tile/0/000.p/3"),
		"GET /log/entry/{index}":                                  views.LogEntryPath(3),
		"GET /log/proof/{number}":                                 views.LogProofPath(n),
		"GET /en":                                                 strings.TrimSuffix(i18n.EN.Path(views.HomePath), "/"),
		"/":                                                       "/no/such/page",
	}
	if !strings.HasPrefix(views.VerdictPath(token, n), signing.QRPath) {
		t.Errorf("verdict path %s is not under the QR code's %s", views.VerdictPath(token, n), signing.QRPath)
	}
	for _, rt := range s.routeTable() {
		p, ok := paths[rt.pattern]
		if !ok {
			t.Errorf("route %q has no path function in views/paths.go (add one, and a line here)", rt.pattern)
			continue
		}
		delete(paths, rt.pattern)
		method, _, found := strings.Cut(rt.pattern, " ")
		if !found {
			method = http.MethodGet
		}
		check := func(path, want string) {
			_, got := s.mux.Handler(httptest.NewRequest(method, path, nil))
			if got != want {
				t.Errorf("%s %s is served by %q, want %q", method, path, got, want)
			}
		}
		check(p, rt.pattern)
		if rt.opts&bilingual != 0 {
			check(i18n.EN.Path(p), enPattern(rt.pattern))
		}
	}
	for pattern := range paths {
		t.Errorf("path for %q: no such route", pattern)
	}
}
