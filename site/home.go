package site

import (
	"context"
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// showHome shows the home page: the search box, registry totals and the
// latest issued and suspended or revoked certificates.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	lang := langOf(r)
	sn, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	st := sn.stats
	v := views.HomeView{
		Totals: []views.Total{
			{Label: lang.T("home.total.certs"), N: lang.Int(st.Certificates), URL: lang.Path(views.CertificatesPath)},
			{Label: lang.T("home.total.valid"), N: lang.Int(st.Valid), URL: lang.Path(views.CertificatesPath + "?status=valid")},
			{Label: lang.T("home.total.holders"), N: lang.Int(st.Holders)},
			{Label: lang.T("home.total.bodies"), N: lang.Int(st.Bodies), URL: lang.Path(views.BodiesPath)},
		},
		Levels: levelTotals(lang, st),
		Status: statusTotals(lang, st),
	}
	recent, err := s.store.Search(ctx, registry.Filter{PerPage: 5})
	if err != nil {
		return err
	}
	v.Recent = s.items(lang, recent.Certificates)
	changed, err := s.recentlyChanged(ctx, 0, 5)
	if err != nil {
		return err
	}
	v.Changes = s.items(lang, changed)
	b := s.base(r, "")
	b.AsOf = s.now()
	b.Feeds = []views.Link{
		{Text: lang.T("feed.issued.title"), URL: lang.Path(views.IssuedFeedPath)},
		{Text: lang.T("feed.status.title"), URL: lang.Path(views.StatusFeedPath)},
	}
	return s.render(w, r, http.StatusOK, views.Home(b, v))
}

// statusKinds are the events that take a certificate out of force.
var statusKinds = []string{registry.EventSuspended, registry.EventRevoked, registry.EventWithdrawn}

// recentlyChanged returns the certificates most recently suspended, revoked
// or withdrawn (of one body when bodyID is not 0), each once, in one query
// for the events and one for the certificates.
func (s *Server) recentlyChanged(ctx context.Context, bodyID int64, n int) ([]*registry.Certificate, error) {
	evs, err := s.store.RecentEvents(ctx, bodyID, n*3, statusKinds...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, e := range evs {
		if !seen[e.CertificateID] && len(ids) < n {
			seen[e.CertificateID] = true
			ids = append(ids, e.CertificateID)
		}
	}
	return s.store.CertificatesByID(ctx, ids)
}

// levelTotals counts certificates by level, each linked to the browse page
// filtered to it.
func levelTotals(lang i18n.Lang, st *registry.Stats) []views.Total {
	var out []views.Total
	for _, lc := range st.ByLevel {
		label := lc.Scheme.Kind(string(lang)) + " · " + lc.Level.Name(string(lang))
		if lc.Level.Stars > 0 {
			label += " " + views.Stars(lc.Level.Stars)
		}
		out = append(out, views.Total{Label: label, N: lang.Int(lc.N),
			URL: lang.Path(views.CertificatesPath + "?scheme=" + lc.Scheme.Code + "&level=" + lc.Level.Code)})
	}
	return out
}

// statusTotals counts certificates by effective status.
func statusTotals(lang i18n.Lang, st *registry.Stats) []views.Total {
	var out []views.Total
	for _, s := range registry.Statuses {
		out = append(out, views.Total{Label: lang.Render(s), N: lang.Int(st.ByStatus[s]),
			URL: lang.Path(views.CertificatesPath + "?status=" + string(s)), Class: "badge-" + string(s)})
	}
	return out
}
