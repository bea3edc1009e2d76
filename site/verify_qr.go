package site

import (
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/views"
)

// showVerdict is what a certificate's QR code opens: it checks the
// signature the URL carries against the certificate's claims and shows the
// verdict. It is never cached: it counts the check and says when it was
// made.
func (s *Server) showVerdict(w http.ResponseWriter, r *http.Request) error {
	qs, err := signing.ParseQRPath(r.PathValue("rest"))
	if err != nil {
		return err
	}
	v, err := s.verify.keys.VerifyQR(r.Context(), s.store, qs)
	if err != nil {
		return err
	}
	form := views.ReceiptForm{Kind: "qr", Token: qs.Token(), Number: qs.Number}
	return s.renderVerdict(w, r, v, langOf(r).T("verify.col.printed"), form)
}

// renderVerdict counts the check and renders the verdict page for v.
func (s *Server) renderVerdict(w http.ResponseWriter, r *http.Request, v *registry.Verification, printedHead string, form views.ReceiptForm) error {
	lang := langOf(r)
	vv, err := s.verdictView(r, v, printedHead, form)
	if err != nil {
		return err
	}
	s.metrics.verdict(v.Verdict, viaPage)
	b := s.base(r, lang.Tf("verify.result.title", lang.Render(v.Verdict)))
	b.NoIndex = true
	b.Nav = "verify"
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if v.Verdict == registry.VerdictNotRegistered {
		status = http.StatusNotFound
	}
	return s.render(w, r, status, views.VerdictPage(b, vv))
}

// verdictView builds the verdict page's model: the claims side by side,
// the history, the count, and the current QR code.
func (s *Server) verdictView(r *http.Request, v *registry.Verification, printedHead string, form views.ReceiptForm) (views.VerdictView, error) {
	ctx := r.Context()
	lang := langOf(r)
	vv := views.VerdictView{V: v, Host: s.canonicalHost(), PrintedHead: printedHead}
	printed := v.Printed
	if v.Signature == registry.SigNone {
		printed, vv.PrintedHead = nil, ""
	}
	vv.Rows = s.claimRows(lang, printed, v.Live, v.Differences)
	if vv.PrintedHead == "" {
		for i := range vv.Rows {
			vv.Rows[i].Differs = false
		}
	}
	form.Action = lang.Path(views.ReceiptsPath)
	vv.Receipt = form
	c := v.Certificate
	if c == nil {
		return vv, nil
	}
	vv.CertURL = views.CertificatePath(c.Number)
	events, err := s.store.History(ctx, c.ID)
	if err != nil {
		return vv, err
	}
	if sc, ok := s.store.Schemes().Get(c.SchemeCode); ok {
		for i := len(events) - 1; i >= 0; i-- {
			vv.History = append(vv.History, historyItem(lang, sc, events[i]))
		}
	}
	vv.Count, vv.LastChecked, err = s.store.CountVerification(ctx, c.ID)
	if err != nil {
		return vv, err
	}
	if v.Verdict != registry.VerdictForged {
		qs, err := s.verify.keys.SignClaims(registry.ClaimsOf(c))
		if err != nil {
			return vv, err
		}
		vv.QRImage = qrPath("svg", qs)
		vv.QRImages = []views.Link{
			{Text: "SVG", URL: vv.QRImage},
			{Text: "PNG 256 px", URL: qrPath("png-256", qs)},
			{Text: "PNG 512 px", URL: qrPath("png-512", qs)},
			{Text: "PNG 1024 px", URL: qrPath("png-1024", qs)},
		}
	}
	return vv, nil
}
