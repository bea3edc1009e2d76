package site

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// langCookie is the cookie in which the language switch (static/app.js)
// remembers a reader's explicit choice: "zh" or "en", nothing else.
const langCookie = "certreg_lang"

// pickLanguage chooses the language of "/". A reader who chose a language
// with the switch gets that one, whatever the browser prefers. Otherwise a
// first-time visitor whose browser prefers English is sent to "/en/"; one
// who follows a link within the site (its Referer is this site) is never
// redirected.
func (s *Server) pickLanguage(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if langOf(r) != "zh" || r.URL.Path != "/" {
			return next(w, r)
		}
		w.Header().Add("Vary", "Accept-Language, Cookie")
		english := !s.fromThisSite(r) && prefersEnglish(r.Header.Get("Accept-Language"))
		if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
			english = c.Value == "en"
		}
		if english {
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
