package site

import (
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// listSchemes lists the certification schemes.
func (s *Server) listSchemes(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	var v views.SchemesView
	for _, sc := range s.store.Schemes().All() {
		v.Schemes = append(v.Schemes, views.SchemeRow{Name: sc.Name(string(lang)), Standard: sc.Standard, Kind: sc.Kind(string(lang)), URL: views.SchemePath(sc.Code), Graded: sc.Graded})
	}
	b := s.base(r, lang.T("schemes.title"))
	b.Nav = "schemes"
	return s.render(w, r, http.StatusOK, views.SchemesPage(b, v))
}

// showScheme shows a scheme's standard and grading table.
func (s *Server) showScheme(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	sc, ok := s.store.Schemes().Get(r.PathValue("code"))
	if !ok {
		return registry.Errorf(registry.ENOTFOUND, "scheme", "page.no_scheme_has_code", r.PathValue("code"))
	}
	v := views.SchemeView{Scheme: sc, CertsURL: lang.Path(views.CertificatesPath + "?scheme=" + sc.Code)}
	for _, l := range sc.Levels {
		v.Rows = append(v.Rows, views.GradeRow{Level: l.Name(string(lang)), Stars: l.Stars, MinScore: registry.FormatScore(l.MinScore),
			URL: lang.Path(views.CertificatesPath + "?scheme=" + sc.Code + "&level=" + l.Code)})
	}
	if sc.Graded {
		v.Below = lang.Tf("scheme.below", registry.FormatScore(sc.MinScore()))
	}
	b := s.base(r, sc.Kind(string(lang)))
	b.Nav = "schemes"
	return s.render(w, r, http.StatusOK, views.SchemePage(b, v))
}
