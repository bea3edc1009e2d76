package site

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Atom feeds (RFC 4287): newly issued certificates and status changes,
// registry-wide and per body, and every event of one certificate, so that
// a reviewer can watch a certificate.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr,omitempty"`
	Href     string `xml:"href,attr"`
	Type     string `xml:"type,attr,omitempty"`
	HrefLang string `xml:"hreflang,attr,omitempty"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary"`
}

// statusChangeKinds are the events of the status-change feeds.
var statusChangeKinds = []string{registry.EventSuspended, registry.EventReinstated, registry.EventRevoked, registry.EventWithdrawn}

const feedSize = 50

func (s *Server) issuedFeed(w http.ResponseWriter, r *http.Request) error {
	return s.eventFeed(w, r, 0, "feed.issued.title", "", registry.EventIssued)
}

func (s *Server) statusFeed(w http.ResponseWriter, r *http.Request) error {
	return s.eventFeed(w, r, 0, "feed.status.title", "", statusChangeKinds...)
}

func (s *Server) bodyIssuedFeed(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Body(r.Context(), r.PathValue("approval"))
	if err != nil {
		return err
	}
	return s.eventFeed(w, r, b.ID, "feed.body.issued", b.Name(string(langOf(r))), registry.EventIssued)
}

func (s *Server) bodyStatusFeed(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Body(r.Context(), r.PathValue("approval"))
	if err != nil {
		return err
	}
	return s.eventFeed(w, r, b.ID, "feed.body.status", b.Name(string(langOf(r))), statusChangeKinds...)
}

// eventFeed writes the newest events of kinds (of one body when bodyID is
// not 0) as an Atom feed.
func (s *Server) eventFeed(w http.ResponseWriter, r *http.Request, bodyID int64, titleKey, titleArg string, kinds ...string) error {
	lang := langOf(r)
	evs, err := s.store.RecentEvents(r.Context(), bodyID, feedSize, kinds...)
	if err != nil {
		return err
	}
	title := lang.T(titleKey)
	if titleArg != "" {
		title = lang.Tf(titleKey, titleArg)
	}
	return s.writeFeed(w, r, title, evs)
}

// certificateFeed is every event of one certificate, newest first.
func (s *Server) certificateFeed(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	seg := r.PathValue("number")
	c, err := s.certificate(r, views.ParseURLNumber(seg))
	if err != nil {
		return err
	}
	if seg != views.URLNumber(c.Number) {
		http.Redirect(w, r, lang.Path(views.CertificateFeedPath(c.Number)), http.StatusMovedPermanently)
		return nil
	}
	evs, err := s.store.History(r.Context(), c.ID)
	if err != nil {
		return err
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return s.writeFeed(w, r, lang.Tf("feed.cert.title", c.Number), evs)
}

// writeFeed writes events as an Atom feed whose id and self link are the
// request's canonical URL. The certificates the events name are read in
// one query.
func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, title string, evs []registry.Event) error {
	lang := langOf(r)
	certs, err := s.eventCertificates(r.Context(), evs)
	if err != nil {
		return err
	}
	_, path := i18n.Split(r.URL.Path)
	self := s.cfg.BaseURL + r.URL.Path
	f := atomFeed{
		Lang: lang.HTML(), ID: self, Title: lang.T("site.name") + " · " + title,
		Author: atomAuthor{Name: lang.T("site.name")},
		Links: []atomLink{
			{Rel: "self", Href: self, Type: "application/atom+xml"},
			{Rel: "alternate", Href: s.cfg.BaseURL + lang.Other().Path(path), Type: "application/atom+xml", HrefLang: lang.Other().HTML()},
		},
		Updated: s.now().UTC().Format(time.RFC3339),
	}
	if len(evs) > 0 {
		f.Updated = evs[0].At.UTC().Format(time.RFC3339)
	}
	for _, e := range evs {
		c := certs[e.CertificateID]
		if c == nil {
			continue
		}
		sc, _ := s.store.Schemes().Get(c.SchemeCode)
		h := historyItem(lang, sc, e)
		summary := h.Title + " · " + lang.Date(h.Date)
		if h.Reason != "" {
			summary += " · " + lang.Tf("history.reason", h.Reason)
		}
		for _, ch := range h.Changes {
			summary += " · " + ch
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:      "tag:" + s.host() + ",2024:event:" + strconv.FormatInt(e.ID, 10),
			Title:   lang.Tf("feed.entry", c.Number, c.HolderName, h.Title),
			Updated: e.At.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Href: s.cfg.BaseURL + lang.Path(views.CertificatePath(c.Number)), Type: "text/html"},
			Summary: summary,
		})
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
	return nil
}

// host is the canonical host name, for Atom entry ids (tag URIs, RFC 4151).
func (s *Server) host() string {
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// eventCertificates reads the certificates events name, by id.
func (s *Server) eventCertificates(ctx context.Context, evs []registry.Event) (map[int64]*registry.Certificate, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, e := range evs {
		if e.CertificateID != 0 && !seen[e.CertificateID] {
			seen[e.CertificateID] = true
			ids = append(ids, e.CertificateID)
		}
	}
	cs, err := s.store.CertificatesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*registry.Certificate, len(cs))
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}
