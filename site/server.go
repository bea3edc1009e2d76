// Package site is the registry's one HTTP package: routes, handlers and the
// view models they build. `certreg serve` serves its Handler, and the static
// export renders the same handlers to files, so the two cannot drift.
package site

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
	"github.com/certreg/certreg/views"
)

// Config is what the site needs to know about where it runs.
type Config struct {
	// BaseURL is the registry's canonical address ("https://certreg.example.cn"):
	// shown in every footer, used in canonical links, feeds and the sitemap.
	BaseURL string
	// Logger receives the request log and internal errors; nil discards them.
	Logger *slog.Logger
	// CacheCheck is how often, at most, a cached page checks whether the
	// registry changed (default 100 ms). Writes made through this server
	// invalidate its cache at once.
	CacheCheck time.Duration
	// NoCache turns the rendered-page cache off (for benchmarks that
	// measure rendering).
	NoCache bool
	// PageCacheBytes bounds the rendered-page cache's memory (bodies,
	// compressed bodies and keys); 0 is DefaultPageCacheBytes.
	PageCacheBytes int64
	// Keys signs and checks certificate QR codes; nil uses a throwaway
	// in-memory key (tests and previews only: its QR codes die with it).
	Keys *signing.KeyRing
	// Limits bounds lookups per client address; zero fields take defaults.
	Limits Limits
	// Log is the registry's transparency log, served under /log/ and shown
	// with every certificate; nil serves none. LogKey is its published
	// signed-note verifier key ("name+hash+base64"), served at /log/key.
	Log    *translog.Log
	LogKey string
	// Witnesses are the independent witnesses the log's checkpoints are
	// sent to: their cosignatures are served with the checkpoint, and pages
	// say how many cosigned a certificate's entry.
	Witnesses []translog.Witness
	// TrustedProxies are the reverse proxies in front of the site. Only
	// from these peers are X-Forwarded-For, Forwarded and
	// X-Forwarded-Proto believed (see clientAddr); empty believes nobody.
	TrustedProxies []netip.Prefix
	// Heavy bounds uploads, image decoding and spreadsheet reading in
	// flight; zero fields take defaults.
	Heavy Heavy
}

// DefaultPageCacheBytes is the rendered-page cache's size unless
// Config.PageCacheBytes says otherwise.
const DefaultPageCacheBytes = 24 << 20

// Server serves the public site.
type Server struct {
	store    *registry.Store
	accounts *accounts.Accounts
	cfg      Config
	log      *slog.Logger
	assets   *assets
	cache    *pageCache
	mux      *http.ServeMux
	snaps    snapshotCache
	verify   *verifier
	witness  witnessCount
	heavy    *heavyWork
	metrics  *metrics

	// gen is the registry generation last seen, genChecked when (unix
	// nanoseconds) it was read.
	gen        atomic.Int64
	genChecked atomic.Int64

	// integrityFailures counts the rows that failed their integrity
	// check while being shown (integrity.go), for /healthz.
	integrityFailures atomic.Int64

	// qr queues the certificate QR symbols pages encoded, to be stored
	// (qrsymbols.go); inflight counts requests being answered, so that the
	// background filler works only when none is.
	qr       *qrSymbols
	inflight atomic.Int64
}

// New returns a server for store.
func New(store *registry.Store, cfg Config) *Server {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	if cfg.CacheCheck <= 0 {
		cfg.CacheCheck = 100 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, accounts: accounts.New(store), cfg: cfg, log: log, assets: loadAssets(), mux: http.NewServeMux()}
	s.gen.Store(-1)
	if cfg.PageCacheBytes <= 0 {
		cfg.PageCacheBytes = DefaultPageCacheBytes
	}
	s.cache = newPageCache(int(cfg.PageCacheBytes), 1<<20)
	s.verify = newVerifier(cfg)
	s.heavy = newHeavyWork(cfg.Heavy)
	s.metrics = newMetrics(store)
	s.qr = newQRSymbols()
	s.metrics.reg.MustRegister(s.qr.results)
	s.routes()
	return s
}

// Handler returns the site's handler with its middleware: the client's
// address, metrics, request log, security headers, compression. The client
// is resolved first because it passes a new request on, and measure must
// hold the one the route table marks with its pattern.
func (s *Server) Handler() http.Handler {
	return s.identifyClient(s.measure(s.logRequests(securityHeaders(s.gzip(s.mux)))))
}

// now is the registry's clock.
func (s *Server) now() time.Time { return s.store.Now() }

// generation returns the registry's generation, reading it from the
// database at most once per CacheCheck interval so that a cached page costs
// no query.
func (s *Server) generation(ctx context.Context) (int64, error) {
	now := time.Now().UnixNano()
	if g := s.gen.Load(); g >= 0 && now-s.genChecked.Load() < int64(s.cfg.CacheCheck) {
		return g, nil
	}
	g, err := s.store.Generation(ctx)
	if err != nil {
		return 0, err
	}
	s.gen.Store(g)
	s.genChecked.Store(now)
	return g, nil
}

// Invalidate makes the next request re-read the registry's generation, so
// that a write made through this process shows at once.
func (s *Server) Invalidate() { s.genChecked.Store(0) }

// base returns the layout's view model for a page of r with title.
func (s *Server) base(r *http.Request, title string) views.Base {
	lang := langOf(r)
	_, path := i18n.Split(r.URL.Path)
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	return views.Base{
		Lang:    lang,
		Title:   title,
		Path:    path,
		BaseURL: s.cfg.BaseURL,
		Assets:  s.assets.urls,
		Query:   shownQuery(r.URL.Query().Get("q")),
	}
}

// shownQuery is the search text as the search box shows it again: valid
// UTF-8 without control characters, whatever was sent.
func shownQuery(q string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, "\uFFFD"))
}
