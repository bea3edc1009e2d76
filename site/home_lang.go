package site

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// pickLanguage sends a first-time visitor of "/" whose browser prefers
// English to "/en/". The language otherwise lives only in the URL: a
// visitor who follows a link within the site (its Referer is this site),
// such as the language switch, is never redirected.
func (s *Server) pickLanguage(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if langOf(r) == "zh" && r.URL.Path == "/" && !s.fromThisSite(r) && prefersEnglish(r.Header.Get("Accept-Language")) {
			w.Header().Add("Vary", "Accept-Language")
			http.Redirect(w, r, i18n.EN.Path(views.HomePath), http.StatusFound)
			return nil
		}
		return next(w, r)
	}
}

// fromThisSite reports whether the request came from a link on this site.
func (s *Server) fromThisSite(r *http.Request) bool {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host == "" {
		return false
	}
	return ref.Host == r.Host || ref.Host == s.host()
}

// prefersEnglish reports whether an Accept-Language header ranks English
// above Chinese.
func prefersEnglish(h string) bool {
	best, bestQ := "", -1.0
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		q -= float64(i) * 1e-6 // earlier wins a tie
		tag = strings.ToLower(tag)
		if (strings.HasPrefix(tag, "en") || strings.HasPrefix(tag, "zh")) && q > bestQ {
			best, bestQ = tag[:2], q
		}
	}
	return best == "en"
}
