package site

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
)

// verifyRequest is the body of POST /api/v1/verify: exactly one of a QR
// code's URL, a number with the holder, or a batch of lines.
type verifyRequest struct {
	URL     string               `json:"url"`
	Number  string               `json:"number"`
	Holder  string               `json:"holder"`
	Lines   []registry.BatchLine `json:"lines"`
	Numbers []string             `json:"numbers"`
}

// apiVerification is a verification as the API answers it: the
// registry's answer with the verdict's words in both languages.
type apiVerification struct {
	registry.Verification
	VerdictZH string `json:"verdict_zh"`
	VerdictEN string `json:"verdict_en"`
	MeaningZH string `json:"meaning_zh"`
	MeaningEN string `json:"meaning_en"`
	NoteZH    string `json:"note_zh,omitempty"`
	NoteEN    string `json:"note_en,omitempty"`
}

func newAPIVerification(v registry.Verification) apiVerification {
	a := apiVerification{Verification: v, VerdictZH: i18n.ZH.Render(v.Verdict), VerdictEN: i18n.EN.Render(v.Verdict),
		MeaningZH: i18n.ZH.Render(v.Verdict.Meaning()), MeaningEN: i18n.EN.Render(v.Verdict.Meaning())}
	if v.Note != nil {
		a.NoteZH, a.NoteEN = i18n.ZH.Render(v.Note), i18n.EN.Render(v.Note)
	}
	return a
}

// apiVerify is POST /api/v1/verify for procurement platforms: JSON in,
// JSON out (docs/verification.md has examples). A single check counts
// against the lookup limit, a batch once against the batch limit.
func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var req verifyRequest
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return registry.Errorf(registry.ETOOLARGE, "", "verify.request_body_too_large")
		}
		return registry.Errorf(registry.EINVALID, "", "verify.request_body_not_valid", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return registry.Errorf(registry.EINVALID, "", "verify.request_body_must_hold")
	}
	kinds := 0
	for _, set := range []bool{req.URL != "", req.Number != "" || req.Holder != "", len(req.Lines) > 0, len(req.Numbers) > 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return registry.Errorf(registry.EINVALID, "", "verify.give_exactly_one_url")
	}
	ctx := r.Context()
	if len(req.Lines) > 0 || len(req.Numbers) > 0 {
		if err := allow(&s.verify.batches, w, r); err != nil {
			return err
		}
		lines := req.Lines
		for i, n := range req.Numbers {
			lines = append(lines, registry.BatchLine{Line: i + 1, Number: n})
		}
		for i := range lines {
			if lines[i].Line == 0 {
				lines[i].Line = i + 1
			}
		}
		res, err := s.verifyBatch(ctx, lines)
		if err != nil {
			return err
		}
		out := struct {
			Count   int              `json:"count"`
			Results []apiBatchResult `json:"results"`
		}{Count: len(res)}
		var ids []int64
		for _, x := range res {
			if x.Certificate != nil {
				ids = append(ids, x.Certificate.ID)
			}
			out.Results = append(out.Results, apiBatchResult{Line: x.Line, Input: x.Input, CreditCode: x.CreditCode, apiVerification: newAPIVerification(x.Verification)})
		}
		if err := s.store.CountVerifications(ctx, ids, clientAddr(r)); err != nil {
			return err
		}
		for _, x := range res {
			s.metrics.verdict(x.Verdict, viaBatch)
		}
		w.Header().Set("Cache-Control", "no-store")
		return writeJSON(w, http.StatusOK, out)
	}
	if err := allow(&s.verify.lookups, w, r); err != nil {
		return err
	}
	var v *registry.Verification
	if req.URL != "" {
		p, err := signing.ParseQRURL(req.URL)
		switch {
		case p != nil && !p.Names(s.cfg.BaseURL):
			v = signing.ForeignVerification(p, s.cfg.BaseURL, s.now())
		case err != nil:
			return err
		default:
			if v, err = s.verifyQR(ctx, p.Signature); err != nil {
				return err
			}
		}
	} else {
		var err error
		if v, err = s.verifyManual(ctx, req.Number, req.Holder); err != nil {
			return err
		}
	}
	if v.Certificate != nil {
		if _, _, err := s.store.CountVerification(ctx, v.Certificate.ID, clientAddr(r)); err != nil {
			return err
		}
	}
	s.metrics.verdict(v.Verdict, viaAPI)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, struct {
		Verification apiVerification `json:"verification"`
	}{newAPIVerification(*v)})
}

// apiBatchResult is one line of a batch answer.
type apiBatchResult struct {
	Line       int    `json:"line"`
	Input      string `json:"input"`
	CreditCode string `json:"input_credit_code,omitempty"`
	apiVerification
}
