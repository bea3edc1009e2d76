package site

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
)

// LogHandlers serve the registry's public transparency log in the C2SP
// tlog-tiles layout under /log/: the signed checkpoint, the hash tiles, the
// entry bundles, single entries, inclusion proofs and the verifier key.
// The handlers return their error, as every handler of the site does.
type LogHandlers struct {
	Log *translog.Log
	// VerifierKey is the published signed-note verifier key of the
	// checkpoints ("name+hash+base64"), served at /log/key; empty serves
	// nothing there.
	VerifierKey string
}

// LogRoute is one route of the log: a net/http pattern and its handler.
type LogRoute struct {
	Pattern string
	Handler func(w http.ResponseWriter, r *http.Request) error
	JSON    bool // errors answer as JSON
}

// Routes lists the log's routes, to be added to the site's route table
// (neither bilingual nor page-cached: the bytes are the same in every
// language, and the checkpoint must be fresh).
func (h *LogHandlers) Routes() []LogRoute {
	return []LogRoute{
		{"GET /log/checkpoint", h.ServeCheckpoint, false},
		{"GET /log/key", h.ServeKey, false},
		{"GET /log/tile/{path...}", h.ServeTile, false},
		{"GET /log/entry/{index}", h.ServeEntry, false},
		{"GET /log/proof/{number}", h.ServeProof, true},
	}
}

// MountLog adds the log's routes to the site, served through the site's
// adapter and middleware (error pages, security headers, compression) like
// every other route, and lets the certificate API show each certificate's
// log entry and inclusion proof. Call it before serving.
func (s *Server) MountLog(h *LogHandlers) {
	s.tlog = h
	for _, rt := range h.Routes() {
		s.mux.Handle(rt.Pattern, s.adapt(i18n.ZH, rt.Handler, rt.JSON))
	}
}

// Handler serves the log's routes on their own (for a process without the
// site, and for tests), mapping errors as the site does: a registry error
// code to its status, a bilingual message, JSON for the proof API.
func (h *LogHandlers) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range h.Routes() {
		mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			if err := rt.Handler(w, r); err != nil {
				writeLogError(w, err, rt.JSON)
			}
		})
	}
	return mux
}

// logStatus maps registry error codes to HTTP statuses.
var logStatus = map[string]int{
	registry.ENOTFOUND: http.StatusNotFound,
	registry.EINVALID:  http.StatusBadRequest,
}

// writeLogError answers err: its code's status and its bilingual message,
// or 500 with a generic message for an internal error (never its text).
func writeLogError(w http.ResponseWriter, err error, asJSON bool) {
	code := registry.ErrorCode(err)
	status, ok := logStatus[code]
	zh, en := "登记库内部错误，请稍后再试", "internal error in the registry; please try again later"
	var re *registry.Error
	if ok && errors.As(err, &re) {
		zh, en = re.ZH, re.EN
	} else {
		status, code = http.StatusInternalServerError, registry.EINTERNAL
	}
	w.Header().Set("Cache-Control", "no-store")
	if asJSON {
		var body struct {
			Error struct {
				Code      string `json:"code"`
				MessageZH string `json:"message_zh"`
				MessageEN string `json:"message_en"`
			} `json:"error"`
		}
		body.Error.Code, body.Error.MessageZH, body.Error.MessageEN = code, zh, en
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s\n%s\n", zh, en)
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

// ServeKey serves the checkpoints' verifier key, for monitors.
func (h *LogHandlers) ServeKey(w http.ResponseWriter, r *http.Request) error {
	if h.VerifierKey == "" {
		return registry.Errorf(registry.ENOTFOUND, "", "本登记库未公布公开日志的验证密钥", "this registry publishes no verifier key for its log")
	}
	writeLogBytes(w, "text/plain; charset=utf-8", false, []byte(strings.TrimSpace(h.VerifierKey)+"\n"))
	return nil
}
