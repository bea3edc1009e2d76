package site

import (
	"bufio"
	"compress/gzip"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ContentSecurityPolicy is sent with every response: no inline script or
// style, nothing from elsewhere, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the security headers on every response, errors and
// static files included. HSTS is sent only over HTTPS (directly or behind a
// trusted proxy that says so), as browsers ignore it over plain HTTP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The values are shared slices: Set replaces a slice and Add copies
		// one whose capacity is full, so no response can change another's.
		for _, kv := range fixedHeaders {
			h[kv.key] = kv.value
		}
		if isHTTPS(r) {
			h["Strict-Transport-Security"] = hstsValue
		}
		next.ServeHTTP(w, r)
	})
}

type headerValue struct {
	key   string
	value []string
}

func fixed(v string) []string { return []string{v}[:1:1] }

var (
	fixedHeaders = []headerValue{
		{"Content-Security-Policy", fixed(ContentSecurityPolicy)},
		{"X-Content-Type-Options", fixed("nosniff")},
		{"Referrer-Policy", fixed("strict-origin-when-cross-origin")},
		{"X-Frame-Options", fixed("DENY")},
		{"Cross-Origin-Opener-Policy", fixed("same-origin")},
		{"Permissions-Policy", fixed("camera=(), microphone=(), geolocation=()")},
	}
	hstsValue = fixed("max-age=63072000; includeSubDomains")
)

// acceptsGzip reports whether the client takes gzip. It runs on every
// request (twice for a cached page), so it walks the header without
// splitting it.
func acceptsGzip(r *http.Request) bool {
	ae := r.Header.Get("Accept-Encoding")
	for ae != "" {
		var part string
		part, ae, _ = strings.Cut(ae, ",")
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// gzip compresses text responses for clients that accept it. A handler that
// already set Content-Encoding (a cached page, a static file kept
// compressed) is passed through.
func (s *Server) gzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsGzip(r) || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

type gzipWriter struct {
	http.ResponseWriter
	zw          *gzip.Writer
	wroteHeader bool
	always      bool // compress whatever the type (compressAlways)
}

// compressAlways asks the gzip middleware to compress this response
// whatever its content type: for octet streams that are text inside (the
// log's entry bundles). Vary is set either way: the bytes sent depend on
// Accept-Encoding.
func compressAlways(w http.ResponseWriter) {
	w.Header().Add("Vary", "Accept-Encoding")
	if g, ok := w.(*gzipWriter); ok {
		g.always = true
	}
}

func compressible(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	switch {
	case strings.HasPrefix(ct, "text/"), ct == "application/json", ct == "application/xml",
		ct == "application/atom+xml", ct == "image/svg+xml", ct == "application/x-ndjson",
		ct == "application/javascript", ct == "text/javascript":
		return true
	}
	return false
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.wroteHeader {
		return
	}
	g.wroteHeader = true
	h := g.Header()
	if h.Get("Content-Encoding") == "" && status != http.StatusNoContent && status != http.StatusNotModified &&
		status >= 200 && (g.always || compressible(h.Get("Content-Type"))) {
		h.Set("Content-Encoding", "gzip")
		if !g.always { // compressAlways set it
			h.Add("Vary", "Accept-Encoding")
		}
		h.Del("Content-Length")
		g.zw = gzipPool.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.wroteHeader {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) close() {
	if g.zw != nil {
		g.zw.Close()
		gzipPool.Put(g.zw)
		g.zw = nil
	}
}

// Flush lets streaming responses (a large download) reach the client.
func (g *gzipWriter) Flush() {
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// logRequests logs one line per request: method, path (never the query
// string, which may carry what a person typed, nor any header, which may
// carry credentials), status, size and duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		lw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(lw, r)
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", lw.status,
			"bytes", lw.bytes, "ms", float64(time.Since(start).Microseconds())/1000, "remote", clientAddr(r))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack is for handlers that take over the connection.
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := s.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}
