package site

import (
	"net/http"
)

// healthz answers whether the site can read its database, for load
// balancers and `certreg healthcheck`.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	g, err := s.store.Generation(r.Context())
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	w.Header().Set("Cache-Control", "no-store")
	// integrity_failures counts the certificate rows found, since start,
	// to differ from their log (integrity.go): anything but 0 is for the
	// operator to investigate with `certreg log verify`.
	return writeJSON(w, http.StatusOK, struct {
		Status            string `json:"status"`
		Generation        int64  `json:"generation"`
		IntegrityFailures int64  `json:"integrity_failures"`
	}{"ok", g, s.integrityFailures.Load()})
}
