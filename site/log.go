package site

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/translog"
	"github.com/certreg/certreg/views"
)

// The registry's public transparency log, in the C2SP tlog-tiles layout
// under /log/: the signed checkpoint, the hash tiles, the entry bundles,
// single entries, inclusion proofs and the verifier key. A site whose
// Config has no Log answers them all "not found".

// theLog returns the log, or the error that there is none.
func (s *Server) theLog() (*translog.Log, error) {
	if s.cfg.Log == nil {
		return nil, registry.Errorf(registry.ENOTFOUND, "", "log.none")
	}
	return s.cfg.Log, nil
}

// writeLogBytes writes b with its content type and caching: immutable
// resources (tiles, entries) may be cached for a year.
func writeLogBytes(w http.ResponseWriter, ctype string, immutable bool, b []byte) {
	w.Header().Set("Content-Type", ctype)
	if immutable {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// C2SP: the checkpoint must not be cached beyond a few seconds.
		w.Header().Set("Cache-Control", "public, max-age=5")
	}
	w.Write(b)
}

// showCheckpoint serves the latest signed checkpoint (C2SP
// tlog-checkpoint): origin, size and root hash, the registry's
// signature, and the witnesses' cosignatures (c2sp.org/tlog-cosignature).
func (s *Server) showCheckpoint(w http.ResponseWriter, r *http.Request) error {
	l, err := s.theLog()
	if err != nil {
		return err
	}
	note, err := s.cosignedCheckpoint(r.Context(), l)
	if err != nil {
		return err
	}
	writeLogBytes(w, "text/plain; charset=utf-8", false, note)
	return nil
}

// showLogKey serves the checkpoints' verifier key, for monitors.
func (s *Server) showLogKey(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.LogKey == "" {
		return registry.Errorf(registry.ENOTFOUND, "", "log.registry_publishes_no_verifier")
	}
	writeLogBytes(w, "text/plain; charset=utf-8", false, []byte(strings.TrimSpace(s.cfg.LogKey)+"\n"))
	return nil
}

// showTile serves a hash tile (/log/tile/<L>/<N>[.p/<W>]) or an entry
// bundle (/log/tile/entries/<N>[.p/<W>]) of the current tree. Both are
// immutable: a partial tile keeps its width in its path.
func (s *Server) showTile(w http.ResponseWriter, r *http.Request) error {
	l, err := s.theLog()
	if err != nil {
		return err
	}
	b, err := l.Tile(r.Context(), "tile/"+r.PathValue("path"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(r.PathValue("path"), "entries/") {
		// An entry bundle is text (a full one about 200 KB) and shrinks
		// several times over; hash tiles are random bytes, sent as they are.
		compressAlways(w)
	}
	writeLogBytes(w, "application/octet-stream", true, b)
	return nil
}

// showEntry serves one log entry as text (the bytes whose RFC 6962 leaf
// hash is in the tree), for people following an "entry #N" link.
func (s *Server) showEntry(w http.ResponseWriter, r *http.Request) error {
	l, err := s.theLog()
	if err != nil {
		return err
	}
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return registry.Errorf(registry.ENOTFOUND, "", "log.no_entry_named", r.PathValue("index"))
	}
	b, err := l.Entry(r.Context(), index)
	if err != nil {
		return err
	}
	writeLogBytes(w, "text/plain; charset=utf-8", true, b)
	return nil
}

// showProof serves at /log/proof/{number}, as JSON, the inclusion proof of
// a certificate's latest logged event in the current checkpoint's tree
// (translog.InclusionProof): with it and the verifier key, anyone can
// check the certificate's record is the one the registry signed, without
// trusting this server.
func (s *Server) showProof(w http.ResponseWriter, r *http.Request) error {
	l, err := s.theLog()
	if err != nil {
		return err
	}
	p, err := l.Inclusion(r.Context(), views.ParseURLNumber(r.PathValue("number")))
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
