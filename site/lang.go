package site

import (
	"context"
	"net/http"

	"github.com/certreg/certreg/site/i18n"
)

type langKey struct{}

// withLang returns r with the language its route was registered for.
func withLang(r *http.Request, l i18n.Lang) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey{}, l))
}

// langOf is the language of the request: the route's, or the URL's when the
// request did not come through a route (a 404 from the mux).
func langOf(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(langKey{}).(i18n.Lang); ok {
		return l
	}
	l, _ := i18n.Split(r.URL.Path)
	return l
}
