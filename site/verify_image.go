package site

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// checkImage reads the QR code in an uploaded screenshot or scan. A code
// for this registry opens its verdict; a code for another domain is
// reported as likely forged, naming that domain. The upload is bounded in
// bytes while it is read, and in pixels and decoding memory before it is
// decoded; decodes take turns (see heavyWork).
func (s *Server) checkImage(w http.ResponseWriter, r *http.Request) error {
	lang := string(langOf(r))
	j, err := s.heavy.admit(w, r, uploadSize(r, qrimage.MaxUploadBytes+64<<10))
	if err != nil {
		return err
	}
	defer j.done()
	b, err := readUpload(w, r, "image", qrimage.MaxUploadBytes)
	if err != nil {
		return err
	}
	// The header says what decoding will take; a bomb is refused here,
	// before it waits for a turn.
	h, err := qrimage.Inspect(b)
	if err != nil {
		return err
	}
	var text string
	err = j.run(r.Context(), w, s.heavy.images, h.Cost, func() (err error) {
		text, err = qrimage.DecodeUpload(b)
		return err
	})
	if err != nil {
		return err
	}
	p, perr := signing.ParseQRURL(text)
	fv := views.ForeignQRView{Host: s.canonicalHost(), Text: text}
	if p != nil && !p.Names(s.cfg.BaseURL) {
		fv.Foreign, fv.Origin = true, p.Origin
		return s.renderForeign(w, r, http.StatusOK, fv)
	}
	if perr != nil {
		fv.Message = i18n.Lang(lang).Render(answer(perr).message)
		return s.renderForeign(w, r, http.StatusUnprocessableEntity, fv)
	}
	v, err := s.verifyQR(r.Context(), p.Signature)
	if err != nil {
		return err
	}
	form := views.ReceiptForm{Kind: "qr", Token: p.Signature.Token(), Number: p.Signature.Number}
	return s.renderVerdict(w, r, v, langOf(r).T("verify.col.printed"), form)
}

func (s *Server) renderForeign(w http.ResponseWriter, r *http.Request, status int, v views.ForeignQRView) error {
	lang := langOf(r)
	title := lang.T("verify.notqr.title")
	if v.Foreign {
		title = lang.T("verify.foreign.title")
	}
	b := s.base(r, title)
	b.NoIndex = true
	b.Nav = "verify"
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, views.ForeignQRPage(b, v))
}

// readUpload reads the multipart file field name of r, refusing more than
// max bytes while reading (the body is bounded too, so a huge upload is
// cut off, not read to its end).
func readUpload(w http.ResponseWriter, r *http.Request, name string, max int) ([]byte, error) {
	tooLarge := registry.Errorf(registry.ETOOLARGE, name, "verify.file_too_large", max>>20)
	if r.ContentLength > int64(max)+64<<10 {
		return nil, tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(max)+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, registry.Errorf(registry.EINVALID, "", "verify.upload_file_form_multipart")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, registry.Errorf(registry.EINVALID, "", "verify.no_file_was_received")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge
			}
			return nil, registry.Errorf(registry.EINVALID, "", "verify.upload_incomplete")
		}
		if part.FormName() != name {
			part.Close()
			continue
		}
		b, err := readPart(part, max)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) || errors.Is(err, errPartTooLarge) {
				return nil, tooLarge
			}
			return nil, registry.Errorf(registry.EINVALID, "", "verify.upload_incomplete")
		}
		return b, nil
	}
}

var errPartTooLarge = errors.New("part too large")

func readPart(p *multipart.Part, max int) ([]byte, error) {
	defer p.Close()
	b, err := io.ReadAll(io.LimitReader(p, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, errPartTooLarge
	}
	return b, nil
}
