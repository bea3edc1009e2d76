package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/a-h/templ"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// handlerFunc is a handler that returns its error instead of writing it:
// the adapter turns the error into the right answer (errorAnswer), so that
// handler bodies read "if err != nil { return err }".
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Codes of errors of the HTTP layer itself, besides the registry's.
const (
	codeBadJSON           = "bad_json"
	codeBadIdempotencyKey = "bad_idempotency_key"
	codeIdempotencyReused = "idempotency_key_reused"
	codeMethodNotAllowed  = "method_not_allowed"
)

// statusOf is the HTTP status of every error code: the one table from
// which pages, the read API, the publishing API and the log answer.
var statusOf = map[string]int{
	registry.ENOTFOUND:     http.StatusNotFound,
	registry.EINVALID:      http.StatusBadRequest,
	registry.ECONFLICT:     http.StatusConflict,
	registry.EUNAUTHORIZED: http.StatusUnauthorized,
	registry.EFORBIDDEN:    http.StatusForbidden,
	registry.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	registry.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	registry.EUNREADABLE:   http.StatusUnprocessableEntity,
	registry.EINTERNAL:     http.StatusInternalServerError,
	codeBadJSON:            http.StatusBadRequest,
	codeBadIdempotencyKey:  http.StatusBadRequest,
	codeIdempotencyReused:  http.StatusUnprocessableEntity,
	codeMethodNotAllowed:   http.StatusMethodNotAllowed,
	registry.ETOOMANY:      http.StatusTooManyRequests,
	registry.EBUSY:         http.StatusServiceUnavailable,
}

// titleOf is the title of an error page, by status.
var titleOf = map[int]string{
	http.StatusNotFound:              "error.notfound.title",
	http.StatusBadRequest:            "error.invalid.title",
	http.StatusConflict:              "error.conflict.title",
	http.StatusForbidden:             "error.forbidden.title",
	http.StatusUnauthorized:          "error.unauthorized.title",
	http.StatusRequestEntityTooLarge: "error.toolarge.title",
	http.StatusUnsupportedMediaType:  "error.unsupported.title",
	http.StatusUnprocessableEntity:   "error.unprocessable.title",
	http.StatusMethodNotAllowed:      "error.method.title",
	http.StatusTooManyRequests:       "error.toomany.title",
	http.StatusServiceUnavailable:    "error.busy.title",
	http.StatusInternalServerError:   "error.internal.title",
}

// errorAnswer is what an error says to the person or program that made the
// request: its status, a stable code, the input field at fault, a message
// safe to show and, for a rejected submission, every problem with it.
type errorAnswer struct {
	status   int
	code     string
	field    string
	message  i18n.Keyed
	problems registry.ValidationErrors
	total    int
	internal bool // to be logged, never shown
}

// answer maps err to its answer. A registry.ValidationErrors (or an
// ImportError, which holds them) is a well-formed submission whose content
// the registry refuses: 422 with every problem. Any error without a code
// is internal: 500, with a generic message.
func answer(err error) errorAnswer {
	var ie *registry.ImportError
	if errors.As(err, &ie) {
		return errorAnswer{status: http.StatusUnprocessableEntity, code: registry.EINVALID,
			message: registry.Message{Key: "error.nothing_written", Args: []any{ie.Total}}, problems: ie.Errors, total: ie.Total}
	}
	var ve registry.ValidationErrors
	if errors.As(err, &ve) && len(ve) > 0 {
		a := errorAnswer{status: http.StatusUnprocessableEntity, code: registry.EINVALID, field: ve[0].Field,
			message: ve[0], problems: ve, total: len(ve)}
		if len(ve) > 1 {
			a.message = registry.Message{Key: "error.problems", Args: []any{len(ve), ve[0]}}
		}
		return a
	}
	var te *accounts.ThrottledError
	if errors.As(err, &te) {
		return errorAnswer{status: http.StatusTooManyRequests, code: registry.ETOOMANY, message: te}
	}
	var re *registry.Error
	if errors.As(err, &re) {
		if status, ok := statusOf[re.Code]; ok && re.Code != registry.EINTERNAL {
			return errorAnswer{status: status, code: re.Code, field: re.Field, message: re}
		}
	}
	return errorAnswer{status: http.StatusInternalServerError, code: registry.EINTERNAL, message: registry.Key("error.internal"), internal: true}
}

// errorFormat is how a route answers an error.
type errorFormat int

const (
	asPage  errorFormat = iota // an HTML page in the request's language
	asJSON                     // the JSON error (errorJSON)
	asPlain                    // two lines of text, Chinese then English: for the log's files
)

// serveError answers err in the route's format. Internal errors are
// logged, and shown with a generic message.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error, format errorFormat) {
	a := answer(err)
	if a.internal {
		if errors.Is(err, context.Canceled) {
			return // the client went away; nothing to answer
		}
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case asJSON:
		if a.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="certreg"`)
		}
		writeJSON(w, a.status, a.json())
	case asPlain:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(a.status)
		fmt.Fprintf(w, "%s\n%s\n", i18n.ZH.Render(a.message), i18n.EN.Render(a.message))
	default:
		lang := langOf(r)
		title := lang.T(titleOf[a.status])
		b := s.base(r, title)
		b.NoIndex = true
		if err := s.render(w, r, a.status, views.ErrorPage(b, views.ErrorView{Status: a.status, Title: title, Message: lang.Render(a.message)})); err != nil {
			s.log.Error("render error page", "path", r.URL.Path, "err", err)
			http.Error(w, http.StatusText(a.status), a.status)
		}
	}
}

// errorJSON is every JSON error: a stable code, the message in both
// languages, the field at fault and, for a rejected submission, every
// problem (docs/api.md).
type errorJSON struct {
	Error struct {
		Code      string           `json:"code"`
		Field     string           `json:"field,omitempty"`
		MessageZH string           `json:"message_zh"`
		MessageEN string           `json:"message_en"`
		Total     int              `json:"total,omitempty"`
		Errors    []fieldErrorJSON `json:"errors,omitempty"`
	} `json:"error"`
}

// fieldErrorJSON is one problem with one field of a submission, or a
// warning about it.
type fieldErrorJSON struct {
	Line      int    `json:"line,omitempty"`
	Column    string `json:"column,omitempty"`
	Field     string `json:"field"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
	Warning   bool   `json:"warning,omitempty"`
}

func (a errorAnswer) json() errorJSON {
	var e errorJSON
	e.Error.Code, e.Error.Field, e.Error.Total = a.code, a.field, a.total
	e.Error.MessageZH, e.Error.MessageEN = i18n.ZH.Render(a.message), i18n.EN.Render(a.message)
	e.Error.Errors = fieldErrorsJSON(a.problems)
	return e
}

// fieldErrorsJSON writes problems (or warnings) in both languages.
func fieldErrorsJSON(list []registry.FieldError) []fieldErrorJSON {
	if len(list) == 0 {
		return nil
	}
	out := make([]fieldErrorJSON, len(list))
	for i, fe := range list {
		out[i] = fieldErrorJSON{Line: fe.Line, Column: fe.Column, Field: fe.Field, Warning: fe.Warning,
			MessageZH: i18n.ZH.Render(fe), MessageEN: i18n.EN.Render(fe)}
	}
	return out
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render renders c to a buffer and only then writes it, so that a component
// that fails never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		return fmt.Errorf("render %s: %w", r.URL.Path, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}
