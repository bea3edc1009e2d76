package site

import (
	"net/http"
	"net/url"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// listBodies lists the certification bodies.
func (s *Server) listBodies(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	var v views.BodiesView
	for _, b := range sn.bodies {
		c := sn.bodyCounts[b.ID]
		v.Bodies = append(v.Bodies, views.BodyRow{Name: b.Name(string(lang)), Approval: b.Approval, URL: views.BodyPath(b.Approval), Place: place(lang, b.Province, b.City),
			Certificates: lang.Int(c.Certificates), Valid: lang.Int(c.Valid)})
	}
	b := s.base(r, lang.T("bodies.title"))
	b.Nav = "bodies"
	return s.render(w, r, http.StatusOK, views.BodiesPage(b, v))
}

// showBody shows a certification body with counts of its certificates, the
// newest ones and its feeds.
func (s *Server) showBody(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	lang := langOf(r)
	body, err := s.store.Body(ctx, r.PathValue("approval"))
	if err != nil {
		return err
	}
	if r.PathValue("approval") != body.Approval {
		http.Redirect(w, r, lang.Path(views.BodyPath(body.Approval)), http.StatusMovedPermanently)
		return nil
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	st, err := s.bodyStats(ctx, sn, body.ID)
	if err != nil {
		return err
	}
	recent, err := s.store.Search(ctx, registry.Filter{BodyID: body.ID, PerPage: 10})
	if err != nil {
		return err
	}
	q := "?body=" + url.QueryEscape(body.Approval)
	v := views.BodyView{
		Body:       body,
		Place:      place(lang, body.Province, body.City),
		Counts:     []views.Total{{Label: lang.T("home.total.certs"), N: lang.Int(st.Certificates), URL: lang.Path(views.CertificatesPath + q)}},
		Items:      s.items(lang, recent.Certificates),
		AllURL:     lang.Path(views.CertificatesPath + q),
		FeedIssued: lang.Path(views.BodyIssuedFeedPath(body.Approval)),
		FeedStatus: lang.Path(views.BodyStatusFeedPath(body.Approval)),
	}
	for _, t := range statusTotals(lang, st) {
		t.URL += "&body=" + url.QueryEscape(body.Approval)
		v.Counts = append(v.Counts, t)
	}
	for _, t := range levelTotals(lang, st) {
		t.URL = ""
		v.Levels = append(v.Levels, t)
	}
	b := s.base(r, body.Name(string(lang)))
	b.Nav = "bodies"
	b.AsOf = s.now()
	b.Feeds = []views.Link{{Text: lang.T("body.feed.issued"), URL: v.FeedIssued}, {Text: lang.T("body.feed.status"), URL: v.FeedStatus}}
	return s.render(w, r, http.StatusOK, views.BodyPage(b, v))
}
