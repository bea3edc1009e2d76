package site

import (
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/views"
)

// qrSizes are the PNG sizes served, in pixels: 256 for screens, 512 and
// 1024 for print.
var qrSizes = map[string]int{"png-256": 256, "png-512": 512, "png-1024": 1024}

// qrFormats are the PNG formats in order of size, as download links list
// them.
var qrFormats = []string{"png-256", "png-512", "png-1024"}

// serveQR serves a certificate's QR code as SVG or PNG. The URL holds the
// signature token, so its content never changes: it is cached forever.
// Only a token that this registry signed for the certificate, now or in
// its history, gets an image, so that the registry never draws a QR code a
// forger made up.
func (s *Server) serveQR(w http.ResponseWriter, r *http.Request) error {
	format := r.PathValue("format")
	size, isPNG := qrSizes[format]
	if !isPNG && format != "svg" {
		return errNotFoundPage
	}
	qs, err := signing.ParseQRPath(r.PathValue("token") + "/" + views.ParseURLNumber(r.PathValue("number")))
	if err != nil {
		return registry.Errorf(registry.ENOTFOUND, "", "page.there_no_such_qr")
	}
	content := qs.URL(s.cfg.BaseURL)
	// The signature is checked once per content; later requests for any
	// size are answered from memory.
	if !s.verify.checked(content) {
		v, err := s.verify.keys.VerifyQR(r.Context(), s.store, qs)
		if err != nil {
			return err
		}
		if v.Signature != registry.SigGood {
			return registry.Errorf(registry.ENOTFOUND, "", "page.there_no_such_qr")
		}
		s.verify.markChecked(content)
	}
	var b []byte
	if isPNG {
		b, err = s.verify.images.PNG(content, size)
	} else {
		b, err = s.verify.images.SVG(content)
	}
	if err != nil {
		return err
	}
	ext, ct := ".svg", "image/svg+xml"
	if isPNG {
		ext, ct = ".png", "image/png"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Disposition", `inline; filename="certreg-qr-`+strings.NewReplacer("/", "-", ".", "-").Replace(qs.Number)+ext+`"`)
	w.Write(b)
	return nil
}

// publicKeys serves the public key set that verifies QR codes without the
// registry: the current key and every retired one.
func (s *Server) publicKeys(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return writeJSON(w, http.StatusOK, s.verify.keys.PublicSet())
}
