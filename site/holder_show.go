package site

import (
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// showHolder lists every certificate held under one unified social credit
// code.
func (s *Server) showHolder(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	code := r.PathValue("code")
	cs, err := s.store.CertificatesByCreditCode(r.Context(), code)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		m, _ := i18n.Lookup("holder.notfound")
		shown := []rune(code)
		if len(shown) > 40 {
			shown = shown[:40]
		}
		return registry.Errorf(registry.ENOTFOUND, "holder", m.ZH, m.EN, string(shown))
	}
	if code != cs[0].HolderCreditCode {
		http.Redirect(w, r, lang.Path(views.HolderPath(cs[0].HolderCreditCode)), http.StatusMovedPermanently)
		return nil
	}
	v := views.HolderView{Name: cs[0].HolderName, CreditCode: cs[0].HolderCreditCode, Items: s.items(lang, cs)}
	b := s.base(r, lang.Tf("holder.title", v.Name))
	b.Nav = "certificates"
	b.AsOf = s.now()
	return s.render(w, r, http.StatusOK, views.HolderPage(b, v))
}
