package site

import "net/http"

// ServeCheckpoint serves the latest signed checkpoint (C2SP
// tlog-checkpoint): origin, size and root hash, and the registry's
// signature.
func (h *LogHandlers) ServeCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := h.Log.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeLogBytes(w, "text/plain; charset=utf-8", false, cp.Note)
	return nil
}
