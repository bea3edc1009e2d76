package site

import (
	"net/http"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showVerifyForm is the start of verification: by number and holder, by a
// picture of the QR code, or a batch.
func (s *Server) showVerifyForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderVerifyForm(w, r, http.StatusOK, views.VerifyFormView{})
}

func (s *Server) renderVerifyForm(w http.ResponseWriter, r *http.Request, status int, v views.VerifyFormView) error {
	lang := langOf(r)
	v.ImageMB, v.Host = qrimage.MaxUploadBytes>>20, s.canonicalHost()
	b := s.base(r, lang.T("verify.title"))
	b.Nav = "verify"
	if status != http.StatusOK {
		b.NoIndex = true
	}
	return s.render(w, r, status, views.VerifyFormPage(b, v))
}

// checkManual checks a certificate number with the holder's name or credit
// code as typed from the paper. A form with a problem comes back with the
// problem stated beside it.
func (s *Server) checkManual(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	number, holder := q.Get("number"), q.Get("holder")
	v, err := s.verifyManual(r.Context(), number, holder)
	if registry.ErrorCode(err) == registry.EINVALID {
		if len(number) > 200 {
			number = number[:200]
		}
		if len(holder) > 800 {
			holder = holder[:800]
		}
		return s.renderVerifyForm(w, r, http.StatusBadRequest, views.VerifyFormView{
			Number: number, Holder: holder, Error: langOf(r).Render(answer(err).message),
		})
	}
	if err != nil {
		return err
	}
	return s.renderVerdict(w, r, v, "", views.ReceiptForm{Kind: "manual", Number: v.Number, Holder: holder})
}
