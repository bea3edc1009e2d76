package site

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ServeProof serves at /log/proof/{number}, as JSON, the inclusion proof of a certificate's latest
// logged event in the current checkpoint's tree (translog.InclusionProof):
// with it and the verifier key, anyone can check the certificate's record
// is the one the registry signed, without trusting this server.
func (h *LogHandlers) ServeProof(w http.ResponseWriter, r *http.Request) error {
	// A number's "/" is "~" in its URL segment, as on the certificate's
	// page (views.URLNumber).
	p, err := h.Log.Inclusion(r.Context(), strings.ReplaceAll(r.PathValue("number"), "~", "/"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode inclusion proof: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// It changes with every checkpoint.
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(append(b, '\n'))
	return nil
}
