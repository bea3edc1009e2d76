package site

import (
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// sinceLabels are the message keys of the day a status other than valid
// took effect, by status.
var sinceLabels = map[registry.Status]string{
	registry.StatusSuspended: "summary.since.suspended",
	registry.StatusRevoked:   "summary.since.revoked",
	registry.StatusWithdrawn: "summary.since.withdrawn",
}

// summaryOf is what the status box and the verdict panel show of a
// registered certificate at day now. events are its history, oldest first:
// the newest event that set its present status gives the date and reason.
func (s *Server) summaryOf(lang i18n.Lang, c *registry.Certificate, events []registry.Event, now time.Time) views.Summary {
	sum := views.Summary{Holder: c.HolderName, Level: c.LevelCode, Expiry: c.ExpiryDate}
	if sc, ok := s.store.Schemes().Get(c.SchemeCode); ok {
		if lv, ok := sc.Level(c.LevelCode); ok {
			sum.Level, sum.Stars = lv.Name(string(lang)), lv.Stars
		}
	}
	st := c.EffectiveStatus(now)
	switch st {
	case registry.StatusValid:
	case registry.StatusExpired:
		sum.Reason = lang.Tf("summary.expired_reason", lang.Date(c.ExpiryDate))
	default:
		sum.SinceLabel, sum.Since = lang.T(sinceLabels[st]), c.StatusDate
		for i := len(events) - 1; i >= 0; i-- {
			if e := events[i]; e.Kind == string(st) {
				if !e.EffectiveDate.IsZero() {
					sum.Since = e.EffectiveDate
				}
				sum.Reason = e.Reason
				break
			}
		}
		if sum.Since.IsZero() {
			sum.SinceLabel = ""
		}
		if sum.Reason == "" {
			sum.Reason = lang.T("summary.no_reason")
		}
	}
	return sum
}

// certificateQR is the certificate page's QR code: the signature of its
// current claims, drawn inline, its files, the verdict page it opens and
// the receipt form.
//
// stored is the symbol stored for c (registry.CertificatePage): drawn when
// it encodes exactly the content signed now (see qrSymbol).
func (s *Server) certificateQR(lang i18n.Lang, c *registry.Certificate, stored registry.StoredQR) (views.CertificateQR, error) {
	qs, err := s.verify.keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		return views.CertificateQR{}, err
	}
	content := qs.URL(s.cfg.BaseURL)
	// The static export draws a certificate's images, the SVG among them,
	// just before its pages and leaves the SVG in the image cache: its
	// pages use it rather than encode the symbol again.
	svg, ok := s.verify.images.CachedSVG(content)
	if !ok {
		sym, err := s.qrSymbol(c, content, stored)
		if err != nil {
			return views.CertificateQR{}, err
		}
		svg = sym.SVG()
	}
	q := views.CertificateQR{
		SVG:        string(svg),
		Images:     []views.Link{{Text: "SVG", URL: qrPath("svg", qs)}},
		VerdictURL: lang.Path(views.VerdictPath(qs.Token(), qs.Number)),
		Receipt:    views.ReceiptForm{Action: lang.Path(views.ReceiptsPath), Kind: "qr", Token: qs.Token(), Number: qs.Number},
	}
	for _, f := range qrFormats {
		q.Images = append(q.Images, views.Link{Text: lang.Tf("cert.qr.png", qrSizes[f]), URL: qrPath(f, qs)})
	}
	return q, nil
}
