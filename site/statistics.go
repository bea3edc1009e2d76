package site

import (
	"net/http"
	"net/url"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showStatistics draws the registry's statistics as SVG on the server: by
// level, by status, by province and issued per year.
func (s *Server) showStatistics(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	st := sn.stats
	level := views.Chart{ID: "by-level", Title: lang.T("stats.by_level")}
	for _, t := range st.ByLevel {
		level.Bars = append(level.Bars, views.Bar{Label: t.Scheme.Kind(string(lang)) + " " + t.Level.Name(string(lang)), N: t.N, Text: lang.Int(t.N),
			URL: lang.Path(views.CertificatesPath + "?scheme=" + t.Scheme.Code + "&level=" + t.Level.Code)})
	}
	status := views.Chart{ID: "by-status", Title: lang.T("stats.by_status")}
	for _, stt := range registry.Statuses {
		class := "bar-bad"
		switch stt {
		case registry.StatusValid:
			class = "bar-ok"
		case registry.StatusSuspended:
			class = "bar-warn"
		}
		status.Bars = append(status.Bars, views.Bar{Label: lang.Render(stt), N: st.ByStatus[stt], Text: lang.Int(st.ByStatus[stt]), Class: class,
			URL: lang.Path(views.CertificatesPath + "?status=" + string(stt))})
	}
	prov := views.Chart{ID: "by-province", Title: lang.T("stats.by_province")}
	for _, p := range st.ByProvince {
		prov.Bars = append(prov.Bars, views.Bar{Label: registry.ProvinceName(p.Name, string(lang)), N: p.N, Text: lang.Int(p.N), URL: lang.Path(views.CertificatesPath + "?province=" + url.QueryEscape(p.Name))})
	}
	year := views.Chart{ID: "by-year", Title: lang.T("stats.by_year")}
	for _, y := range st.ByYear {
		year.Bars = append(year.Bars, views.Bar{Label: y.Name, N: y.N, Text: lang.Int(y.N), URL: lang.Path(views.CertificatesPath + "?year=" + y.Name)})
	}
	b := s.base(r, lang.T("stats.title"))
	b.Nav = "statistics"
	b.AsOf = s.now()
	return s.render(w, r, http.StatusOK, views.StatsPage(b, views.StatsView{Charts: []views.Chart{level, status, prov, year}}))
}
