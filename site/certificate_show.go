package site

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// showCertificate shows a certificate's page. Any spelling of the number
// that finds it (lower case, "%2F" or "/" for "~") is redirected to its one
// canonical URL.
func (s *Server) showCertificate(w http.ResponseWriter, r *http.Request) error {
	seg := r.PathValue("number")
	// One indexed read: the certificate, its history and its stored QR
	// symbol.
	page, err := s.store.CertificatePage(r.Context(), views.ParseURLNumber(seg))
	if err != nil {
		return notFoundAsCertificate(err, views.ParseURLNumber(seg))
	}
	c, events := page.Certificate, page.Events
	lang := langOf(r)
	if seg != views.URLNumber(c.Number) || r.URL.RawQuery != "" {
		http.Redirect(w, r, lang.Path(views.CertificatePath(c.Number)), http.StatusMovedPermanently)
		return nil
	}
	now := s.now()
	sc, ok := s.store.Schemes().Get(c.SchemeCode)
	if !ok {
		return fmt.Errorf("certificate %s: unknown scheme %q", c.Number, c.SchemeCode)
	}
	lv, _ := sc.Level(c.LevelCode)
	v := views.CertificateView{
		C: c, Scheme: sc, Level: lv, Status: c.EffectiveStatus(now),
		HolderURL: views.HolderPath(c.HolderCreditCode), BodyURL: views.BodyPath(c.BodyApproval),
		SchemeURL: views.SchemePath(c.SchemeCode), FeedURL: views.CertificateFeedPath(c.Number),
		JSONURL: views.APICertificatePath(c.Number), AsOf: now,
		Summary: s.summaryOf(lang, c, events, now), Place: place(lang, c.Province, c.City),
	}
	// The registry never signs a QR code for a row its log does not hold.
	// The latest record was read with the row.
	if ok, err := s.checkRowRead(r.Context(), c, page.Latest); err != nil {
		return err
	} else if !ok {
		v.IntegrityFailed = true
	} else if v.QR, err = s.certificateQR(lang, c, page.QR); err != nil {
		return err
	}
	// The log's latest entry was read with the certificate (as
	// Log.LatestEntry reads it: the log's tables are the store's).
	if s.cfg.Log != nil {
		if idx := page.LogIndex; page.Logged {
			var err error
			v.LogIndex, v.LogURL = idx, views.LogEntryPath(idx)
			if v.Witnesses, err = s.witnessedEntry(r.Context(), idx); err != nil {
				return err
			}
		}
	}
	for _, a := range c.Surveillance {
		v.Surveillance = append(v.Surveillance, lang.Tf("audit.surveillance.n", lang.Date(a.Date), surveillanceResult(lang, a)))
	}
	for i := len(events) - 1; i >= 0; i-- { // newest first
		v.History = append(v.History, historyItem(lang, sc, events[i]))
	}
	b := s.base(r, lang.Tf("cert.title", c.Number))
	b.AsOf = now
	b.Nav = "certificates"
	b.Feeds = []views.Link{{Text: lang.Tf("feed.cert.title", c.Number), URL: lang.Path(v.FeedURL)}}
	return s.render(w, r, http.StatusOK, views.CertificatePage(b, v))
}

// certificate reads a certificate, with a not-found message that says
// plainly that no such certificate is registered.
func (s *Server) certificate(r *http.Request, number string) (*registry.Certificate, error) {
	c, err := s.store.Certificate(r.Context(), number)
	if err != nil {
		return nil, notFoundAsCertificate(err, number)
	}
	return c, nil
}

// notFoundAsCertificate words a not-found error as "no certificate numbered
// ... is registered", with the number as asked (cut at 60 characters).
func notFoundAsCertificate(err error, number string) error {
	if registry.ErrorCode(err) != registry.ENOTFOUND {
		return err
	}
	shown := number
	if len([]rune(shown)) > 60 {
		shown = string([]rune(shown)[:60]) + "…"
	}
	return registry.Errorf(registry.ENOTFOUND, "number", "cert.notfound", shown)
}

func surveillanceResult(lang i18n.Lang, a registry.Surveillance) string {
	res := a.Result
	switch strings.ToLower(a.Result) {
	case "pass", "通过":
		res = lang.T("surveillance.pass")
	case "fail", "不通过":
		res = lang.T("surveillance.fail")
	}
	if a.Note != "" {
		res += " (" + a.Note + ")"
	}
	return res
}

// historyItem words one event for the history list.
func historyItem(lang i18n.Lang, sc *registry.Scheme, e registry.Event) views.HistoryItem {
	h := views.HistoryItem{Date: e.EffectiveDate, Kind: e.Kind, Title: e.Kind, Reason: e.Reason}
	if key, ok := eventTitles[e.Kind]; ok {
		h.Title = lang.T(key)
	}
	if h.Date.IsZero() {
		h.Date = e.At
	}
	for _, ch := range e.Changes {
		if ch.Field == "status" && e.Kind != registry.EventChanged || ch.Field == "surveillance" && e.Kind == registry.EventSurveillance {
			continue // the title says it; the audit record lists the audits
		}
		name := ch.Field
		if f, ok := registry.FieldNamed(ch.Field); ok {
			name = lang.T(f.Label)
		}
		h.Changes = append(h.Changes, lang.Tf("change.from_to", name, changeValue(lang, sc, ch.Field, ch.Before), changeValue(lang, sc, ch.Field, ch.After)))
	}
	return h
}

// changeValue words a changed field's value: statuses and levels by name,
// dates in the language's format.
func changeValue(lang i18n.Lang, sc *registry.Scheme, field, v string) string {
	switch field {
	case "status":
		return lang.Render(registry.Status(v))
	case "level":
		if sc == nil {
			break
		}
		if l, ok := sc.Level(v); ok {
			return l.Name(string(lang))
		}
	}
	if d, err := registry.ParseDate(v); err == nil && len(v) == len(registry.DateLayout) {
		return lang.Date(d)
	}
	if v == "" {
		return "—"
	}
	return v
}

// redirectCertificate answers a certificate URL that spells the number with
// "/" (as printed, "00114E22766R2L/3502") by sending the reader to the
// canonical URL.
func (s *Server) redirectCertificate(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimSuffix(r.PathValue("rest"), "/")
	suffix := ""
	if n, ok := strings.CutSuffix(rest, "/feed.atom"); ok {
		rest, suffix = n, "/feed.atom"
	}
	c, err := s.certificate(r, views.ParseURLNumber(rest))
	if err != nil {
		return err
	}
	http.Redirect(w, r, langOf(r).Path(views.CertificatePath(c.Number)+suffix), http.StatusMovedPermanently)
	return nil
}

// eventTitles are the message keys of the certificate events' titles in a
// history.
var eventTitles = map[string]string{
	registry.EventIssued:       "event.issued",
	registry.EventChanged:      "event.changed",
	registry.EventSuspended:    "event.suspended",
	registry.EventReinstated:   "event.reinstated",
	registry.EventRevoked:      "event.revoked",
	registry.EventWithdrawn:    "event.withdrawn",
	registry.EventSurveillance: "event.surveillance",
}
