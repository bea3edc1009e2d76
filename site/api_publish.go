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

// publishRoutes are the routes of the publishing API, for the route table.
// The API answers in JSON only; errors carry both languages.
func (s *Server) publishRoutes() []route {
	return []route{
		{"GET /api/v1/openapi.json", s.serveOpenAPI, api},
		{"GET /api/v1/publish/certificates", s.api(0, s.pubListCertificates), api},
		{"POST /api/v1/publish/certificates", s.api(maxBatchBody, s.pubPutBatch), api},
		{"GET /api/v1/publish/certificates/{number}", s.api(0, s.pubGetCertificate), api},
		{"PUT /api/v1/publish/certificates/{number}", s.api(maxAPIBody, s.pubPutCertificate), api},
		{"POST /api/v1/publish/certificates/{number}/status", s.api(maxAPIBody, s.pubChangeStatus), api},
		{"POST /api/v1/publish/certificates/{number}/surveillance", s.api(maxAPIBody, s.pubAddSurveillance), api},
	}
}

// apiRequest is what an API handler gets: the request, the key that
// authenticated it and the body, read within its limit.
type apiRequest struct {
	r    *http.Request
	key  *registry.APIKey
	body []byte
}

// actor is the actor of writes made by this request.
func (a *apiRequest) actor() registry.Actor { return a.key.Actor(clientHost(a.r)) }

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

// apiProblem is an API error with its HTTP status and stable code.
type apiProblem struct {
	status int
	code   string
	zh, en string
	field  string
}

func (p *apiProblem) Error() string { return fmt.Sprintf("%d %s: %s", p.status, p.code, p.en) }

func errBadJSON(err error) error {
	return &apiProblem{http.StatusBadRequest, "bad_json", "请求体不是有效的 JSON：" + err.Error(), "the request body is not valid JSON: " + err.Error(), ""}
}

func errTooLarge(limit int64) error {
	return &apiProblem{http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("请求体超过 %d 字节的上限", limit), fmt.Sprintf("the request body exceeds the limit of %d bytes", limit), ""}
}

// apiErrorBody is every API error: a stable code, the message in Chinese and
// English, the field at fault and, for a rejected batch, every problem.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code      string                `json:"code"`
	Field     string                `json:"field,omitempty"`
	MessageZH string                `json:"message_zh"`
	MessageEN string                `json:"message_en"`
	Total     int                   `json:"total,omitempty"`
	Errors    []registry.FieldError `json:"errors,omitempty"`
}

// apiStatus maps registry codes to statuses. Bad input is 422: the request
// was well-formed JSON, its content is wrong.
var apiStatus = map[string]int{
	registry.ENOTFOUND:     http.StatusNotFound,
	registry.EINVALID:      http.StatusUnprocessableEntity,
	registry.ECONFLICT:     http.StatusConflict,
	registry.EFORBIDDEN:    http.StatusForbidden,
	registry.EUNAUTHORIZED: http.StatusUnauthorized,
}

// apiErrorFor returns the status and body of err, and whether it is an
// internal error (to be logged; its details are never shown).
func apiErrorFor(err error) (int, apiErrorBody, bool) {
	var b apiErrorBody
	d := &b.Error
	var p *apiProblem
	if errors.As(err, &p) {
		d.Code, d.MessageZH, d.MessageEN, d.Field = p.code, p.zh, p.en, p.field
		return p.status, b, false
	}
	var ie *registry.ImportError
	if errors.As(err, &ie) {
		d.Code, d.Total, d.Errors = registry.EINVALID, ie.Total, ie.Errors
		d.MessageZH = fmt.Sprintf("未写入任何数据：%d 处错误", ie.Total)
		d.MessageEN = fmt.Sprintf("nothing was written: %d problem(s)", ie.Total)
		return http.StatusUnprocessableEntity, b, false
	}
	var ve registry.ValidationErrors
	if errors.As(err, &ve) {
		d.Code, d.Total, d.Errors = registry.EINVALID, len(ve), ve
		d.MessageZH, d.MessageEN = ve.Message("zh"), ve.Message("en")
		if len(ve) > 0 {
			d.Field = ve[0].Field
		}
		return http.StatusUnprocessableEntity, b, false
	}
	code := registry.ErrorCode(err)
	status, ok := apiStatus[code]
	if !ok {
		status, code = http.StatusInternalServerError, registry.EINTERNAL
	}
	d.Code = code
	d.MessageZH, d.MessageEN = registry.ErrorMessage(err, "zh"), registry.ErrorMessage(err, "en")
	var re *registry.Error
	if errors.As(err, &re) {
		d.Field = re.Field
	}
	return status, b, status == http.StatusInternalServerError
}

// api wraps an API handler: it authenticates the bearer key, reads the
// body within limit, replays or records Idempotency-Key requests, and
// writes the result or the error as JSON. A key is never logged.
func (s *Server) api(limit int64, fn apiFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		status, v, err := s.serveAPI(w, r, limit, fn)
		if err != nil {
			var internal bool
			var body apiErrorBody
			status, body, internal = apiErrorFor(err)
			if internal {
				s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="certreg"`)
			}
			v = body
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
		return 0, nil, registry.Errorf(registry.EUNAUTHORIZED, "", "需要接口密钥：Authorization: Bearer <密钥>", "an API key is required: Authorization: Bearer <key>")
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
		return 0, nil, &apiProblem{http.StatusBadRequest, "bad_idempotency_key", "Idempotency-Key 应为 1–255 个可见 ASCII 字符", "Idempotency-Key must be 1–255 visible ASCII characters", "Idempotency-Key"}
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
			st, body, internal := apiErrorFor(err)
			if internal {
				return 0, nil, err // not recorded: a retry may succeed
			}
			status, v = st, body
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
		return 0, nil, &apiProblem{http.StatusUnprocessableEntity, "idempotency_key_reused",
			"此 Idempotency-Key 已用于另一个请求", "this Idempotency-Key was already used for a different request", "Idempotency-Key"}
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
