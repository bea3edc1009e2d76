package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"hash/maphash"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/certreg/certreg/registry"
)

// pageCache keeps rendered pages, keyed by URL, so that a page read often
// (a certificate that evaluators keep checking) is served at static-file
// speed. An entry is good for one registry generation and one calendar day
// in China (a certificate expires at midnight without any write). An
// entry's gzip form is made the first time a client that takes gzip is
// served it from the cache, not when it is kept: compressing a page at the
// best level costs ten times rendering it, and a page asked twice (two
// readers, or a crawler and a reader) may never be asked again.
type pageCache struct {
	mu      sync.RWMutex
	entries map[string]*cacheEntry
	// seen holds hashes of keys asked for once and not cached: a page is
	// cached (and compressed, the costly part) on its second request, so
	// that a stream of pages each asked once (random certificates, a
	// crawler) neither pays for compression nor evicts the popular ones.
	seen       map[uint64]struct{}
	seed       maphash.Seed
	seenMu     sync.Mutex // apart from mu: admitting never blocks readers
	bytes      int
	maxBytes   int
	maxEntries int
}

// cacheEntry is one rendered response.
type cacheEntry struct {
	gen      int64
	day      time.Time
	status   int
	header   http.Header
	body     []byte
	etag     string
	modified string // Last-Modified, in HTTP date format
	// plainHdr and gzHdr are the complete headers of the two forms, built
	// once so that serving a cached page copies slices, not strings.
	plainHdr http.Header

	// lazyGz says the gzip form is made on the first request that takes
	// it (a kept, compressible entry); gz and gzHdr are then set once by
	// gzOnce, gz nil when compressing does not pay.
	lazyGz bool
	gzOnce sync.Once
	gz     []byte
	gzHdr  http.Header
}

func newPageCache(maxBytes, maxEntries int) *pageCache {
	return &pageCache{entries: map[string]*cacheEntry{}, maxBytes: maxBytes, maxEntries: maxEntries,
		seen: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
}

// seenMax bounds the keys remembered as asked once (8 bytes each, and the
// map's overhead): past it they are forgotten all at once.
const seenMax = 1 << 16

// admit reports whether key was asked for before, and remembers it.
func (c *pageCache) admit(key string) bool {
	h := maphash.String(c.seed, key)
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	if _, ok := c.seen[h]; ok {
		delete(c.seen, h)
		return true
	}
	if len(c.seen) >= seenMax {
		clear(c.seen)
	}
	c.seen[h] = struct{}{}
	return false
}

func (c *pageCache) get(key string) *cacheEntry {
	c.mu.RLock()
	e := c.entries[key]
	c.mu.RUnlock()
	return e
}

// put stores e, first dropping entries of other generations and then, if
// still full, arbitrary ones (map order is random): pages of one
// generation are all equally cheap to render again.
func (c *pageCache) put(key string, e *cacheEntry) {
	size := entrySize(key, e)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.bytes -= entrySize(key, old)
		delete(c.entries, key)
	}
	if c.bytes+size > c.maxBytes || len(c.entries) >= c.maxEntries {
		for k, old := range c.entries {
			if old.gen != e.gen || !old.day.Equal(e.day) {
				c.bytes -= entrySize(k, old)
				delete(c.entries, k)
			}
		}
		for k, old := range c.entries {
			if c.bytes+size <= c.maxBytes && len(c.entries) < c.maxEntries {
				break
			}
			c.bytes -= entrySize(k, old)
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
	c.bytes += size
}

// entryOverhead estimates an entry's memory besides its bodies and key:
// the struct, its two prepared header maps and the map slot.
const entryOverhead = 1536

// entrySize is what an entry counts against the cache's bytes: its gzip
// form, made later, is counted in advance as half the body (a form that
// would be larger is not kept).
func entrySize(key string, e *cacheEntry) int {
	n := len(e.body) + len(key) + entryOverhead
	if e.lazyGz {
		n += len(e.body) / 2
	}
	return n
}

// cachedHandler serves h's successful responses from the page cache while
// the registry's generation and the day are unchanged.
func (s *Server) cachedHandler(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.NoCache {
			return h(w, r)
		}
		gen, err := s.generation(r.Context())
		if err != nil {
			return err
		}
		day := registry.Today(s.now())
		key := string(langOf(r)) + " " + r.URL.Path + "?" + r.URL.RawQuery
		if e := s.cache.get(key); e != nil && e.gen == gen && e.day.Equal(day) {
			e.serve(w, r)
			return nil
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		stale := new(bool)
		if err := h(rec, r.WithContext(context.WithValue(r.Context(), uncacheableKey{}, stale))); err != nil {
			return err
		}
		keep := rec.status == http.StatusOK && !*stale && s.cache.admit(key)
		e := newCacheEntry(rec, gen, day, keep)
		if keep {
			s.cache.put(key, e)
		}
		e.serve(w, r)
		return nil
	}
}

type uncacheableKey struct{}

// markUncacheable keeps the response being rendered out of the page cache:
// it shows data older than the registry's generation (totals still being
// recomputed).
func markUncacheable(ctx context.Context) {
	if p, ok := ctx.Value(uncacheableKey{}).(*bool); ok {
		*p = true
	}
}

// newCacheEntry makes an entry of a recorded response; kept says it goes
// into the cache, and then its gzip form is made when first asked for (the
// middleware compresses a response served once).
func newCacheEntry(rec *recorder, gen int64, day time.Time, kept bool) *cacheEntry {
	body := bytes.Clone(rec.body.Bytes())
	sum := sha256.Sum256(body)
	e := &cacheEntry{
		gen: gen, day: day, status: rec.status, header: rec.header, body: body,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
	}
	// The render time, not the certificate's last change: a page also
	// changes when its certificate expires, with no write.
	e.modified = time.Now().UTC().Format(http.TimeFormat)
	e.lazyGz = kept && compressible(rec.header.Get("Content-Type")) && len(body) > 512
	e.plainHdr = e.headerFor(len(body), false)
	return e
}

// gzipped returns the entry's gzip form and its header, made on the first
// call; nil when compressing does not pay.
func (e *cacheEntry) gzipped() ([]byte, http.Header) {
	e.gzOnce.Do(func() {
		var gz bytes.Buffer
		gz.Grow(len(e.body) / 2)
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(e.body)
		zw.Close()
		if gz.Len() <= len(e.body)/2 { // what entrySize counted
			e.gz = gz.Bytes()
			e.gzHdr = e.headerFor(len(e.gz), true)
		}
	})
	return e.gz, e.gzHdr
}

func (e *cacheEntry) headerFor(size int, gz bool) http.Header {
	h := e.header.Clone()
	h.Set("ETag", e.etag)
	h.Set("Last-Modified", e.modified)
	if h.Get("Cache-Control") == "" {
		// Revalidate every time: a status can change at any moment, and a
		// revalidation costs a 304.
		h.Set("Cache-Control", "no-cache")
	}
	if e.lazyGz {
		h.Add("Vary", "Accept-Encoding")
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(size))
	for k, v := range h {
		h[k] = v[:len(v):len(v)]
	}
	return h
}

// serve writes the entry, or 304 Not Modified when the client has it.
func (e *cacheEntry) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	body, hdr := e.body, e.plainHdr
	if e.lazyGz && acceptsGzip(r) {
		if gz, gzHdr := e.gzipped(); gz != nil {
			body, hdr = gz, gzHdr
		}
	}
	for k, v := range hdr {
		if k == "Vary" {
			// Keep what the handler's wrappers vary on (the language
			// choice of "/").
			h[k] = slices.Concat(h[k], v)
			continue
		}
		h[k] = v
	}
	if e.status == http.StatusOK && notModified(r, e.etag, e.modified) {
		h.Del("Content-Length")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// notModified applies If-None-Match, or failing that If-Modified-Since.
func notModified(r *http.Request, etag, modified string) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range bytes.Split([]byte(inm), []byte(",")) {
			t = bytes.TrimPrefix(bytes.TrimSpace(t), []byte("W/"))
			if string(t) == etag || string(t) == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		m, err2 := http.ParseTime(modified)
		return err == nil && err2 == nil && !m.After(t)
	}
	return false
}

// recorder captures a handler's response for the cache.
type recorder struct {
	header      http.Header
	status      int
	body        bytes.Buffer
	wroteHeader bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.body.Write(b)
}
