package site

import (
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

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
		return s.damagedQR(w, r, err)
	}
	v, err := s.verifyQR(r.Context(), qs)
	if err != nil {
		return err
	}
	form := views.ReceiptForm{Kind: "qr", Token: qs.Token(), Number: qs.Number}
	return s.renderVerdict(w, r, v, langOf(r).T("verify.col.printed"), form)
}

// damagedQR answers a QR code URL that cannot be read with a verdict
// panel of its own, 400: why it cannot be read and what to do next.
// Anything but a registry error is the server's own failure.
func (s *Server) damagedQR(w http.ResponseWriter, r *http.Request, err error) error {
	var re *registry.Error
	if !errors.As(err, &re) {
		return err
	}
	lang := langOf(r)
	b := s.base(r, lang.T("verify.damaged.title"))
	b.NoIndex = true
	b.Nav = "verify"
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusBadRequest, views.DamagedQRPage(b, views.DamagedQRView{Why: sentence(lang.Render(re)), Host: s.canonicalHost()}))
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
	if vv.Witnesses, err = s.witnessed(ctx, c.ID); err != nil {
		return vv, err
	}
	if sc, ok := s.store.Schemes().Get(c.SchemeCode); ok {
		for i := len(events) - 1; i >= 0; i-- {
			vv.History = append(vv.History, historyItem(lang, sc, events[i]))
		}
	}
	// A crawler or a prefetch sees the count but does not add to it.
	if countsAsCheck(r) {
		vv.Count, vv.LastChecked, err = s.store.CountVerification(ctx, c.ID, clientAddr(r))
	} else {
		vv.Count, vv.LastChecked, err = s.store.VerificationCount(ctx, c.ID)
	}
	if err != nil {
		return vv, err
	}
	if v.Live != nil && v.Verdict != registry.VerdictForged && v.Verdict != registry.VerdictMismatch && v.Verdict != registry.VerdictIntegrity {
		// The certificate the paper shows is the one registered: what the
		// reviewer needs at once, in the panel. (A forged or altered
		// paper gets no holder beside its verdict, which could read as
		// an endorsement; the record stands in the table below.)
		sum := s.summaryOf(lang, c, events, v.CheckedAt)
		vv.Summary = &sum
	}
	return vv, nil
}

// sentence starts a message that other messages embed in lower case
// ("the certificate QR code address is …") with a capital, to stand alone.
func sentence(m string) string {
	r, n := utf8.DecodeRuneInString(m)
	return string(unicode.ToUpper(r)) + m[n:]
}
