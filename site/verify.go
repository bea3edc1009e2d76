package site

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Limits bounds what one client address may ask, so that the registry
// cannot be scraped by walking certificate numbers. A batch check counts
// once against its own, separate limit, so that a reviewer checking 1,000
// certificates at once is not slowed by the lookup limit.
type Limits struct {
	LookupRate  rate.Limit // single lookups a second (default 1)
	LookupBurst int        // lookups allowed at once (default 60)
	BatchRate   rate.Limit // batch checks a second (default 1 every 10 s)
	BatchBurst  int        // batch checks allowed at once (default 5)
}

func (l Limits) withDefaults() Limits {
	if l.LookupRate == 0 {
		l.LookupRate = 1
	}
	if l.LookupBurst == 0 {
		l.LookupBurst = 60
	}
	if l.BatchRate == 0 {
		l.BatchRate = rate.Every(10 * time.Second)
	}
	if l.BatchBurst == 0 {
		l.BatchBurst = 5
	}
	return l
}

// verifier is the verification part of the server: the keys, the QR image
// cache and the per-client limiters.
type verifier struct {
	keys     *signing.KeyRing
	images   *qrimage.Cache
	limits   Limits
	lookups  clientLimiters
	batches  clientLimiters
	ephemera bool // the keys are throwaway (no Keys configured)

	mu   sync.Mutex
	good map[string]bool // QR contents whose signature was checked good
}

// checked reports whether the QR content's signature was already found
// good.
func (v *verifier) checked(content string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.good[content]
}

// markChecked remembers a good QR content; the set starts over when full.
func (v *verifier) markChecked(content string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.good == nil || len(v.good) >= 100000 {
		v.good = map[string]bool{}
	}
	v.good[content] = true
}

func newVerifier(cfg Config) *verifier {
	v := &verifier{keys: cfg.Keys, images: qrimage.NewCache(20000), limits: cfg.Limits.withDefaults()}
	if v.keys == nil {
		v.keys, v.ephemera = signing.NewMemoryKeys(), true
	}
	v.lookups = clientLimiters{rate: v.limits.LookupRate, burst: v.limits.LookupBurst}
	v.batches = clientLimiters{rate: v.limits.BatchRate, burst: v.limits.BatchBurst}
	return v
}

// Keys returns the key ring the site signs and checks QR codes with.
func (s *Server) Keys() *signing.KeyRing { return s.verify.keys }

// clientLimiters keeps one token bucket per client address. Buckets idle
// for ten minutes are dropped, so the map stays small.
type clientLimiters struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	m     map[string]*clientLimiter
	swept time.Time
}

type clientLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

// reserve takes n tokens for client and returns how long it must wait
// instead, if it must (taking nothing then).
func (c *clientLimiters) reserve(client string, n int) time.Duration {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*clientLimiter{}
	}
	if now.Sub(c.swept) > time.Minute {
		for k, l := range c.m {
			if now.Sub(l.seen) > 10*time.Minute {
				delete(c.m, k)
			}
		}
		c.swept = now
	}
	l, ok := c.m[client]
	if !ok {
		l = &clientLimiter{lim: rate.NewLimiter(c.rate, c.burst)}
		c.m[client] = l
	}
	l.seen = now
	if n > c.burst {
		n = c.burst
	}
	r := l.lim.ReserveN(now, n)
	if !r.OK() {
		return time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// limited answers 429 with Retry-After when the client has used up its
// bucket in limiters.
func (s *Server) limited(limiters *clientLimiters, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := allow(limiters, w, r); err != nil {
			return err
		}
		return h(w, r)
	}
}

// allow takes one token from the client's bucket, or sets Retry-After and
// returns the 429 error.
func allow(limiters *clientLimiters, w http.ResponseWriter, r *http.Request) error {
	d := limiters.reserve(accounts.AddressGroup(clientAddr(r)), 1)
	if d <= 0 {
		return nil
	}
	secs := int(math.Ceil(d.Seconds()))
	unreadBody(w, r)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return registry.Errorf(registry.ETOOMANY, "", "ratelimit.message", secs)
}

// claimFields are the claims in the order pages show them, with the
// catalogue key of each label.
var claimFields = []struct{ field, label string }{
	{"number", "field.number"},
	{"holder_name", "field.holder_name"},
	{"holder_credit_code", "field.holder_credit_code"},
	{"scheme", "field.standard"},
	{"level", "field.level"},
	{"issue_date", "field.issue_date"},
	{"expiry_date", "field.expiry_date"},
	{"body_approval", "field.body_approval"},
}

// claimRows lays the printed claims beside the live ones. Either may be
// nil; a missing value shows as a dash.
func (s *Server) claimRows(lang i18n.Lang, printed, live *registry.ClaimsRecord, diffs []string) []views.ClaimRow {
	if printed == nil && live == nil {
		return nil
	}
	rows := make([]views.ClaimRow, 0, len(claimFields))
	for _, f := range claimFields {
		rows = append(rows, views.ClaimRow{
			Label:   lang.T(f.label),
			Printed: s.claimValue(lang, printed, f.field),
			Live:    s.claimValue(lang, live, f.field),
			Differs: slices.Contains(diffs, f.field),
		})
	}
	return rows
}

// claimValue words one claim for a page: the standard and kind for the
// scheme, the level's name, dates in the language's form.
func (s *Server) claimValue(lang i18n.Lang, c *registry.ClaimsRecord, field string) string {
	if c == nil {
		return "—"
	}
	sc, _ := s.store.Schemes().Get(c.Scheme)
	switch field {
	case "number":
		return c.Number
	case "holder_name":
		return c.HolderName
	case "holder_credit_code":
		return c.CreditCode
	case "scheme":
		if sc != nil {
			return sc.Standard + " " + sc.Kind(string(lang))
		}
		return c.Scheme
	case "level":
		if sc != nil {
			if l, ok := sc.Level(c.Level); ok {
				return l.Name(string(lang)) + " " + views.Stars(l.Stars)
			}
		}
		return c.Level
	case "issue_date", "expiry_date":
		v := c.IssueDate
		if field == "expiry_date" {
			v = c.ExpiryDate
		}
		if d, err := time.Parse(registry.DateLayout, v); err == nil {
			return lang.Date(d)
		}
		return v
	case "body_approval":
		return c.BodyApproval
	}
	return ""
}

// canonicalHost is the canonical host (with its port, if any) readers are
// told to look for.
func (s *Server) canonicalHost() string {
	return views.Base{BaseURL: s.cfg.BaseURL}.Host()
}

// qrPath is the path of a certificate's QR image for a signature: the
// token in the path makes the URL change whenever the claims or the key
// do, so the image can be cached forever.
func qrPath(format string, qs *signing.QRSignature) string {
	return views.QRImagePath(format, qs.Token(), qs.Number)
}
