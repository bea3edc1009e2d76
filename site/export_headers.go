package site

import (
	"fmt"
	"strings"
)

// HostHeaders returns header configuration for static hosts serving an
// export, so that the site keeps its security headers (the CSP above all:
// frame-ancestors only works as a header) and the log its content types
// and caching: a "_headers" file (Netlify, Cloudflare Pages) and an nginx
// snippet, by file name.
func HostHeaders() map[string][]byte {
	security := [][2]string{
		{"Content-Security-Policy", ContentSecurityPolicy},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
	}
	checkpoint := [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"Cache-Control", "public, max-age=5"}}
	tiles := [][2]string{{"Content-Type", "application/octet-stream"}, {"Cache-Control", "public, max-age=31536000, immutable"}}
	// Files whose names have no extension to type them by: QR images
	// (named by their signature, so never changing) and JSON records.
	typed := []struct {
		path    string
		headers [][2]string
	}{
		{"/qr/svg/", [][2]string{{"Content-Type", "image/svg+xml"}, {"Cache-Control", "public, max-age=31536000, immutable"}}},
		{"/qr/png-256/", [][2]string{{"Content-Type", "image/png"}, {"Cache-Control", "public, max-age=31536000, immutable"}}},
		{"/qr/png-512/", [][2]string{{"Content-Type", "image/png"}, {"Cache-Control", "public, max-age=31536000, immutable"}}},
		{"/qr/png-1024/", [][2]string{{"Content-Type", "image/png"}, {"Cache-Control", "public, max-age=31536000, immutable"}}},
		{"/api/v1/certificates/", [][2]string{{"Content-Type", "application/json; charset=utf-8"}}},
	}

	var h strings.Builder
	h.WriteString("# Headers for static hosts that read a _headers file (Netlify, Cloudflare Pages).\n")
	h.WriteString("# Written by certreg export: keep the CSP and frame-ancestors of the live site.\n")
	section := func(path string, hs ...[][2]string) {
		fmt.Fprintf(&h, "%s\n", path)
		for _, list := range hs {
			for _, kv := range list {
				fmt.Fprintf(&h, "  %s: %s\n", kv[0], kv[1])
			}
		}
	}
	section("/*", security)
	section("/log/checkpoint", checkpoint)
	section("/log/key", [][2]string{{"Content-Type", "text/plain; charset=utf-8"}})
	section("/log/tile/*", tiles)
	for _, t := range typed {
		section(t.path+"*", t.headers)
	}

	var n strings.Builder
	n.WriteString("# nginx: include this in the server block that serves a certreg export\n")
	n.WriteString("# (root pointing at the export directory). Written by certreg export.\n")
	addHeaders := func(indent string, list [][2]string) {
		for _, kv := range list {
			fmt.Fprintf(&n, "%sadd_header %s \"%s\" always;\n", indent, kv[0], kv[1])
		}
	}
	addHeaders("", security)
	n.WriteString("index index.html;\n")
	n.WriteString("location / {\n    try_files $uri $uri/index.html $uri/ =404;\n}\n")
	// add_header in a location replaces the server's: repeat the security headers.
	// A QR code URL the export has no page for (damaged, forged, or a
	// certificate issued since) gets the generic verdict page, which says
	// so from the address itself.
	n.WriteString("location /V/ {\n    try_files $uri $uri/index.html /V/index.html;\n}\n")
	n.WriteString("location /en/V/ {\n    try_files $uri $uri/index.html /en/V/index.html;\n}\n")
	n.WriteString("location = /log/checkpoint {\n    default_type \"text/plain; charset=utf-8\";\n")
	addHeaders("    ", security)
	addHeaders("    ", checkpoint[1:])
	n.WriteString("}\n")
	n.WriteString("location /log/tile/ {\n    default_type application/octet-stream;\n    gzip on;\n    gzip_types application/octet-stream;\n")
	addHeaders("    ", security)
	addHeaders("    ", tiles[1:])
	n.WriteString("}\n")
	for _, t := range typed {
		// "types {}" drops the mapping by extension: a number such as
		// JSAC.2026.0100 would otherwise be typed by its last part.
		fmt.Fprintf(&n, "location %s {\n    types {}\n    default_type \"%s\";\n", t.path, t.headers[0][1])
		addHeaders("    ", security)
		addHeaders("    ", t.headers[1:])
		n.WriteString("}\n")
	}
	// The same fallback for hosts that read a _redirects file (status 200:
	// a rewrite, the address stays).
	redirects := "/V/* /V/index.html 200\n/en/V/* /en/V/index.html 200\n"
	return map[string][]byte{"_headers": []byte(h.String()), "nginx-certreg.conf": []byte(n.String()), "_redirects": []byte(redirects)}
}
