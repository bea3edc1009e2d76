package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
)

// Request body limits of the publishing API. A request that announces a
// larger body is refused before any of it is read; one that sends more
// than it announced (or is chunked) is cut off at the limit.
const (
	maxAPIBody   = 1 << 20  // one certificate, a status change
	maxBatchBody = 16 << 20 // a batch of certificates
	maxBatchSize = 5000
)

// apiRequest is what an API handler gets: the request, the key that
// authenticated it and the body, read within its limit.
type apiRequest struct {
	r    *http.Request
	key  *registry.APIKey
	body []byte
}

// actor is the actor of writes made by this request.
func (a *apiRequest) actor() registry.Actor { return a.key.Actor(clientAddr(a.r)) }

// decode reads the JSON body into v (see decodeStrict).
func (a *apiRequest) decode(v any) error { return decodeStrict(a.body, v) }

// decodeStrict reads one JSON value into v, refusing unknown fields so that
// a misspelt field is an error and not silently dropped. Problems with the
// content a value states (registry.ValidationErrors) come back as they
// are; anything else is bad JSON.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ve registry.ValidationErrors
		if errors.As(err, &ve) {
			return ve
		}
		return errBadJSON(err)
	}
	if dec.More() {
		return errBadJSON(errors.New("more than one JSON value"))
	}
	return nil
}

// apiFunc handles an authenticated API request and returns the status and
// the value to write as JSON.
type apiFunc func(a *apiRequest) (int, any, error)

func errBadJSON(err error) error {
	return registry.Errorf(codeBadJSON, "", "api.bad_json", err.Error())
}

func errTooLarge(limit int64) error {
	return registry.Errorf(registry.ETOOLARGE, "", "api.too_large", limit)
}

// api wraps an API handler: it authenticates the bearer key, reads the
// body within limit, replays or records Idempotency-Key requests, and
// writes the result as JSON; an error goes back to the adapter, which
// answers it as every JSON error (errorJSON). A key is never logged.
func (s *Server) api(limit int64, fn apiFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		status, v, err := s.serveAPI(w, r, limit, fn)
		if err != nil {
			return err
		}
		if status == 0 {
			return nil // already written (a replay)
		}
		return writeJSON(w, status, v)
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, limit int64, fn apiFunc) (int, any, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return 0, nil, registry.Errorf(registry.EUNAUTHORIZED, "", "api.api_key_required_authorization")
	}
	key, err := s.accounts.APIKey(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return 0, nil, err
	}
	a := &apiRequest{r: r, key: key}
	if limit > 0 {
		if r.ContentLength > limit {
			// Refused on the announcement alone: nothing is read. The
			// connection is closed, since the client may still be sending.
			w.Header().Set("Connection", "close")
			return 0, nil, errTooLarge(limit)
		}
		a.body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return 0, nil, errTooLarge(limit)
		}
		if err != nil {
			return 0, nil, errBadJSON(err)
		}
	}
	idem := r.Header.Get("Idempotency-Key")
	if idem == "" || r.Method == http.MethodGet {
		return fn(a)
	}
	if len(idem) > 255 || strings.ContainsFunc(idem, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return 0, nil, registry.Errorf(codeBadIdempotencyKey, "Idempotency-Key", "api.bad_idempotency_key")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.EscapedPath())
	h.Write(a.body)
	hash := hex.EncodeToString(h.Sum(nil))
	prev, err := s.store.IdempotentLookup(r.Context(), key.ID, idem)
	if err != nil {
		return 0, nil, err
	}
	if prev == nil {
		status, v, err := fn(a)
		if err != nil {
			ans := answer(err)
			if ans.internal {
				return 0, nil, err // not recorded: a retry may succeed
			}
			status, v = ans.status, ans.json()
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return 0, nil, fmt.Errorf("encode json: %w", err)
		}
		prev, err = s.store.IdempotentSave(r.Context(), key.ID, idem, registry.IdempotentResponse{RequestHash: hash, Status: status, Body: append(b, '\n')})
		if err != nil {
			return 0, nil, err
		}
		if prev.RequestHash == hash {
			writeRaw(w, prev.Status, prev.Body, false)
			return 0, nil, nil
		}
	}
	if prev.RequestHash != hash {
		return 0, nil, registry.Errorf(codeIdempotencyReused, "Idempotency-Key", "api.idempotency_key_reused")
	}
	writeRaw(w, prev.Status, prev.Body, true)
	return 0, nil, nil
}

// writeRaw writes a stored JSON response; replayed marks it as a replay.
func writeRaw(w http.ResponseWriter, status int, body []byte, replayed bool) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// asValidation finds validation errors in err.
func asValidation(err error, ve *registry.ValidationErrors) bool { return errors.As(err, ve) }
