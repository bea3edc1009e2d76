package site

import (
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/views"
)

// createReceipt checks a certificate again, from what the verdict page's
// form sends (the QR code's token, or the number and holder typed), and
// stores what the registry says now as a receipt. The verdict is never
// taken from the form.
func (s *Server) createReceipt(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.EINVALID, "", "verify.form_could_not_read")
	}
	f := r.PostForm
	var v *registry.Verification
	var err error
	switch f.Get("kind") {
	case "qr":
		qs, perr := signing.ParseQRPath(f.Get("token") + "/" + f.Get("number"))
		if perr != nil {
			return perr
		}
		v, err = s.verifyQR(r.Context(), qs)
	case "manual":
		v, err = s.verifyManual(r.Context(), f.Get("number"), f.Get("holder"))
	default:
		return registry.Errorf(registry.EINVALID, "", "verify.make_receipt_from_verification")
	}
	if err != nil {
		return err
	}
	rc, err := s.store.SaveReceipt(r.Context(), v)
	if err != nil {
		return err
	}
	http.Redirect(w, r, langOf(r).Path(views.ReceiptPath(rc.ID)), http.StatusSeeOther)
	return nil
}

// showReceipt shows a stored receipt exactly as it was issued.
func (s *Server) showReceipt(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.store.Receipt(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if r.PathValue("id") != rc.ID {
		http.Redirect(w, r, langOf(r).Path(views.ReceiptPath(rc.ID)), http.StatusMovedPermanently)
		return nil
	}
	lang := langOf(r)
	v := &rc.Verification
	printed, head := v.Printed, lang.T("verify.col.printed")
	if v.Signature == registry.SigNone {
		printed, head = nil, ""
	}
	rv := views.ReceiptView{
		ID: rc.ID, URL: s.cfg.BaseURL + lang.Path(views.ReceiptPath(rc.ID)), QRImage: views.ReceiptQRPath(rc.ID),
		CreatedAt: rc.CreatedAt, V: v, Rows: s.claimRows(lang, printed, v.Live, v.Differences),
		ByQR: v.Signature != registry.SigNone, Host: s.canonicalHost(),
	}
	if head == "" {
		for i := range rv.Rows {
			rv.Rows[i].Differs = false
		}
	}
	b := s.base(r, lang.Tf("receipt.title", rc.ID))
	b.NoIndex = true
	return s.render(w, r, http.StatusOK, views.ReceiptPage(b, rv))
}

// receiptQR is the receipt's own QR code, which opens the receipt again.
func (s *Server) receiptQR(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.store.Receipt(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.verify.images.SVG(signing.QRBase(s.cfg.BaseURL) + views.ReceiptPath(rc.ID))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
	return nil
}
