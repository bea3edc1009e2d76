// Package views holds the site's templ components. Each component takes a
// typed view model that the site package builds; no component queries the
// database or reads the request.
package views

import (
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/certreg/certreg/site/i18n"
)

// Base is what the layout needs on every page.
type Base struct {
	Lang    i18n.Lang
	Title   string // the page's own title, without the site's name
	Path    string // language-neutral path and query of this page ("/certificates?level=five-star")
	BaseURL string // the registry's canonical base URL, without a trailing slash
	Assets  Assets
	Query   string    // what the header's search box shows
	Nav     string    // the main navigation item this page belongs to ("certificates")
	Feeds   []Link    // Atom feeds of this page, announced in <head>
	NoIndex bool      // error pages and search results are not for search engines
	AsOf    time.Time // when the data shown was read; zero hides the line
}

// Assets are the content-hashed URLs of the static files.
type Assets struct {
	CSS  string
	JS   string
	Icon string
	// Offline is the script that stands in for the server on a static
	// export: the in-browser QR check and the sharded search. It does
	// nothing on the live site.
	Offline string
}

// Link is a link's text and URL.
type Link struct {
	Text string
	URL  string
}

// T returns the catalogue message for key in the page's language.
func (b Base) T(key string) string { return b.Lang.T(key) }

// Href returns the URL path of the language-neutral path p in the page's
// language.
func (b Base) Href(p string) string { return b.Lang.Path(p) }

// Twin is the URL path of this page in the other language.
func (b Base) Twin() string { return b.Lang.Other().Path(b.Path) }

// AbsURL is the absolute URL of this page in language l.
func (b Base) AbsURL(l i18n.Lang) string { return b.BaseURL + l.Path(b.Path) }

// Host is the canonical host name shown in the footer.
func (b Base) Host() string {
	u, err := url.Parse(b.BaseURL)
	if err != nil || u.Host == "" {
		return b.BaseURL
	}
	return u.Host
}

// FullTitle is the <title>: the page's title and the site's name.
func (b Base) FullTitle() string {
	name := b.T("site.name")
	if b.Title == "" || b.Title == name {
		return name
	}
	return b.Title + " · " + name
}

// NavAttrs marks the navigation link of this page's section with
// aria-current="page".
func (b Base) NavAttrs(nav string) templ.Attributes {
	if b.Nav == nav {
		return templ.Attributes{"aria-current": "page"}
	}
	return nil
}

// Stars draws n stars out of five as text, for levels with stars.
func Stars(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}
