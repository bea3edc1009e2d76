package site

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR
// ranges ("127.0.0.1,10.0.0.0/8,::1") of the reverse proxies in front of
// the site, for Config.TrustedProxies.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxies: %q is not a CIDR range: %w", part, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q is not an address: %w", part, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// client is who sent a request, as far as the site can tell: the address
// and whether the client reached the site over HTTPS.
type client struct {
	addr  string
	https bool
}

type clientKey struct{}

// identifyClient works out the request's client once, before anything else
// runs, so that the rate limits, the sign-in throttle, the audit log and
// the request log all see the same address (clientAddr).
func (s *Server) identifyClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := resolveClient(r, s.cfg.TrustedProxies)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

// clientAddr is the client's address, without a port: the one function
// every per-client decision and record uses. Behind a trusted reverse
// proxy it is the address the proxy saw (see resolveClient); otherwise the
// connection's peer.
func clientAddr(r *http.Request) string {
	if c, ok := r.Context().Value(clientKey{}).(client); ok {
		return c.addr
	}
	return peerAddr(r).String()
}

// isHTTPS reports whether the client reached the site over HTTPS: directly,
// or through a trusted proxy that says so.
func isHTTPS(r *http.Request) bool {
	if c, ok := r.Context().Value(clientKey{}).(client); ok {
		return c.https
	}
	return r.TLS != nil
}

// peerAddr is the address of the connection's other end.
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// resolveClient finds the client of r. Forwarding headers are believed only
// from a trusted peer, since anyone can send them: the client is then the
// rightmost address of X-Forwarded-For (or, when a proxy sends none, of
// Forwarded) that is not itself a trusted proxy. Addresses to its left
// were written by the client or by proxies nobody vouches for. The scheme
// is the one the nearest proxy reports (the last X-Forwarded-Proto, or
// proto= of the last Forwarded element).
func resolveClient(r *http.Request, trusted []netip.Prefix) client {
	peer := peerAddr(r)
	c := client{addr: peer.String(), https: r.TLS != nil}
	if !peer.IsValid() {
		c.addr = r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return c
	}
	hops, protos := forwardedFor(r.Header)
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // a proxy wrote something that is no address: keep the nearest one known
		}
		addr = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	c.addr = addr.String()
	if len(protos) > 0 {
		c.https = strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
	}
	return c
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the hops (leftmost first) and schemes the proxies
// reported: from X-Forwarded-For and X-Forwarded-Proto, which every common
// proxy sets, or else from Forwarded (RFC 7239). Only one of the two is
// read, so that a header the proxy passes through untouched cannot add
// hops to the one it writes.
func forwardedFor(h http.Header) (hops, protos []string) {
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for _, hop := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(hop))
			}
		}
		for _, v := range h.Values("X-Forwarded-Proto") {
			for _, p := range strings.Split(v, ",") {
				protos = append(protos, strings.TrimSpace(p))
			}
		}
		return hops, protos
	}
	var last string
	for _, v := range h.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			hop, proto := "", ""
			for _, pair := range strings.Split(elem, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
				val = strings.Trim(strings.TrimSpace(val), `"`)
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "for":
					hop = val
				case "proto":
					proto = val
				}
			}
			hops = append(hops, hop)
			last = proto
		}
	}
	if last != "" {
		// Only the nearest proxy's word counts for the scheme.
		protos = []string{last}
	}
	return hops, protos
}

// parseHop reads one forwarded address: "192.0.2.1", "192.0.2.1:4711",
// "2001:db8::1" or "[2001:db8::1]:4711".
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}
