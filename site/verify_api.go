package site

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
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
}

func newAPIVerification(v registry.Verification) apiVerification {
	return apiVerification{Verification: v, VerdictZH: v.Verdict.Name("zh"), VerdictEN: v.Verdict.Name("en"),
		MeaningZH: v.Verdict.Meaning("zh"), MeaningEN: v.Verdict.Meaning("en")}
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
			return errStatus(http.StatusRequestEntityTooLarge, "请求体过大（最多 256 KB）", "the request body is too large (at most 256 KB)")
		}
		return registry.Errorf(registry.EINVALID, "", "请求体不是有效的 JSON：%v", "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return registry.Errorf(registry.EINVALID, "", "请求体只能含一个 JSON 对象", "the request body must hold one JSON object")
	}
	kinds := 0
	for _, set := range []bool{req.URL != "", req.Number != "" || req.Holder != "", len(req.Lines) > 0, len(req.Numbers) > 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return registry.Errorf(registry.EINVALID, "", "请只给出以下一种：url；number 和 holder；lines；numbers", "give exactly one of: url; number and holder; lines; numbers")
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
		res, err := s.store.VerifyBatch(ctx, lines)
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
		if err := s.store.CountVerifications(ctx, ids); err != nil {
			return err
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
			if v, err = s.verify.keys.VerifyQR(ctx, s.store, p.Signature); err != nil {
				return err
			}
		}
	} else {
		var err error
		if v, err = s.store.VerifyManual(ctx, req.Number, req.Holder); err != nil {
			return err
		}
	}
	if v.Certificate != nil {
		if _, _, err := s.store.CountVerification(ctx, v.Certificate.ID); err != nil {
			return err
		}
	}
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
