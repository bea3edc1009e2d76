package site

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// sitemapChunk is how many certificates one sitemap file lists: with both
// languages that is 40,000 URLs, under the protocol's 50,000. (A variable
// for tests of the export, which keeps full sitemaps: SetSitemapChunk.)
var sitemapChunk = 20000

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapLoc `xml:"sitemap"`
}

type sitemapLoc struct {
	Loc string `xml:"loc"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc   string      `xml:"loc"`
	Links []xhtmlLink `xml:"xhtml:link"`
}

type xhtmlLink struct {
	Rel      string `xml:"rel,attr"`
	HrefLang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

// sitemap is the sitemap index: one file of the site's pages and one per
// sitemapChunk certificates.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	idx := sitemapIndex{Sitemaps: []sitemapLoc{{Loc: s.cfg.BaseURL + views.SitemapPagesPath}}}
	for i := 0; i*sitemapChunk < sn.stats.Certificates; i++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapLoc{Loc: s.cfg.BaseURL + views.SitemapCertificatesPath(i+1)})
	}
	return writeXML(w, idx)
}

// sitemapPages lists every page that is not a certificate, in both
// languages.
func (s *Server) sitemapPages(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	paths := []string{views.HomePath, views.CertificatesPath, views.BodiesPath, views.SchemesPath, views.StatisticsPath, views.DataPath, views.APIDocsPath}
	for _, b := range sn.bodies {
		paths = append(paths, views.BodyPath(b.Approval))
	}
	for _, sc := range s.store.Schemes().All() {
		paths = append(paths, views.SchemePath(sc.Code))
	}
	return writeXML(w, s.urlSet(paths))
}

// sitemapCertificates lists one chunk of certificate pages.
func (s *Server) sitemapCertificates(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("n"), ".xml"))
	if err != nil || n < 1 {
		return errNotFoundPage
	}
	nums, err := s.store.Numbers(r.Context(), (n-1)*sitemapChunk, sitemapChunk)
	if err != nil {
		return err
	}
	if len(nums) == 0 {
		return errNotFoundPage
	}
	paths := make([]string, len(nums))
	for i, num := range nums {
		paths[i] = views.CertificatePath(num)
	}
	return writeXML(w, s.urlSet(paths))
}

// urlSet lists each language-neutral path in both languages, each entry
// naming its twin.
func (s *Server) urlSet(paths []string) urlSet {
	set := urlSet{XHTML: "http://www.w3.org/1999/xhtml"}
	for _, p := range paths {
		links := []xhtmlLink{
			{Rel: "alternate", HrefLang: i18n.ZH.HTML(), Href: s.cfg.BaseURL + i18n.ZH.Path(p)},
			{Rel: "alternate", HrefLang: i18n.EN.HTML(), Href: s.cfg.BaseURL + i18n.EN.Path(p)},
		}
		for _, l := range i18n.Langs {
			set.URLs = append(set.URLs, sitemapURL{Loc: s.cfg.BaseURL + l.Path(p), Links: links})
		}
	}
	return set
}

func writeXML(w http.ResponseWriter, v any) error {
	var out []byte
	if set, ok := v.(urlSet); ok {
		out = set.marshal()
	} else {
		var err error
		if out, err = xml.MarshalIndent(v, "", " "); err != nil {
			return fmt.Errorf("sitemap: %w", err)
		}
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
	return nil
}

// marshal writes the set as xml.MarshalIndent(set, "", " ") does, ten
// times faster: a certificates sitemap holds 40,000 URLs.
func (set urlSet) marshal() []byte {
	var b bytes.Buffer
	esc := func(s string) {
		if strings.ContainsAny(s, "\"'&<>\t\n\r") {
			xml.EscapeText(&b, []byte(s))
			return
		}
		b.WriteString(s)
	}
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="`)
	esc(set.XHTML)
	b.WriteString(`">`)
	for _, u := range set.URLs {
		b.WriteString("\n <url>\n  <loc>")
		esc(u.Loc)
		b.WriteString("</loc>")
		for _, l := range u.Links {
			b.WriteString("\n  <xhtml:link rel=\"")
			esc(l.Rel)
			b.WriteString(`" hreflang="`)
			esc(l.HrefLang)
			b.WriteString(`" href="`)
			esc(l.Href)
			b.WriteString(`"></xhtml:link>`)
		}
		b.WriteString("\n </url>")
	}
	if len(set.URLs) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("</urlset>")
	return b.Bytes()
}

// robotsDisallowed are the paths crawlers are asked to leave alone:
// search results and the API (endless and costly), and what a person asks
// for one certificate at a time: verdicts (each one a check the registry
// counts), QR images and receipts.
var robotsDisallowed = []string{
	"/certificates?", "/en/certificates?", "/api/", "/data/",
	"/V/", "/en/V/", "/v/", "/en/v/", "/qr/", "/receipts/", "/en/receipts/",
}

// robots lets crawlers read every page but not what robotsDisallowed
// lists, and points them at the sitemap.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range robotsDisallowed {
		b.WriteString("Disallow: " + p + "\n")
	}
	fmt.Fprintf(&b, "Allow: /\n\nSitemap: %s/sitemap.xml\n", s.cfg.BaseURL)
	io.WriteString(w, b.String())
	return nil
}
