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

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// handlerFunc is a handler that returns its error instead of writing it:
// the adapter (serve) turns the error into the right status page, so that
// handler bodies read "if err != nil { return err }".
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusError is an error that carries its HTTP status and a message safe
// to show, for the few cases the registry's codes do not cover.
type statusError struct {
	status int
	msg    i18n.Msg
}

func (e *statusError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg.EN) }

// errStatus returns an error that answers with status and the message.
func errStatus(status int, zh, en string) error {
	return &statusError{status: status, msg: i18n.Msg{ZH: zh, EN: en}}
}

// errNotFoundPage is the error of a URL that names no page.
var errNotFoundPage = registry.Errorf(registry.ENOTFOUND, "", "没有这个页面。", "There is no such page.")

// errorPages maps each registry error code to its HTTP status and the title
// of its page.
var errorPages = map[string]struct {
	status int
	title  string
}{
	registry.ENOTFOUND:     {http.StatusNotFound, "error.notfound.title"},
	registry.EINVALID:      {http.StatusBadRequest, "error.invalid.title"},
	registry.ECONFLICT:     {http.StatusConflict, "error.conflict.title"},
	registry.EFORBIDDEN:    {http.StatusForbidden, "error.forbidden.title"},
	registry.EUNAUTHORIZED: {http.StatusUnauthorized, "error.unauthorized.title"},
	registry.EINTERNAL:     {http.StatusInternalServerError, "error.internal.title"},
}

var statusTitles = map[int]string{
	http.StatusNotFound:            "error.notfound.title",
	http.StatusBadRequest:          "error.invalid.title",
	http.StatusConflict:            "error.conflict.title",
	http.StatusForbidden:           "error.forbidden.title",
	http.StatusUnauthorized:        "error.unauthorized.title",
	http.StatusTooManyRequests:     "error.toomany.title",
	http.StatusMethodNotAllowed:    "error.invalid.title",
	http.StatusInternalServerError: "error.internal.title",
}

// describeError returns the status, title key and message (in lang) for
// err, and whether it is internal (to be logged, never shown).
func describeError(err error, lang i18n.Lang) (status int, titleKey, msg string, internal bool) {
	var se *statusError
	if errors.As(err, &se) {
		t, ok := statusTitles[se.status]
		if !ok {
			t = "error.invalid.title"
		}
		return se.status, t, lang.Pick(se.msg.ZH, se.msg.EN), false
	}
	code := registry.ErrorCode(err)
	p, ok := errorPages[code]
	if !ok {
		p = errorPages[registry.EINTERNAL]
	}
	return p.status, p.title, registry.ErrorMessage(err, string(lang)), p.status == http.StatusInternalServerError
}

// serveError writes the status page for err: HTML in the request's
// language, or JSON for the API. Internal errors are logged and shown with
// a generic message.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error, asJSON bool) {
	lang := langOf(r)
	status, titleKey, msg, internal := describeError(err, lang)
	if internal {
		if errors.Is(err, context.Canceled) {
			return // the client went away; nothing to answer
		}
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if asJSON {
		writeJSONError(w, status, err)
		return
	}
	b := s.base(r, lang.T(titleKey))
	b.NoIndex = true
	if err := s.render(w, r, status, views.ErrorPage(b, views.ErrorView{Status: status, Title: lang.T(titleKey), Message: msg})); err != nil {
		s.log.Error("render error page", "path", r.URL.Path, "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// apiError is the body of every JSON error: a stable code, the message in
// both languages and the field at fault.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Field     string `json:"field,omitempty"`
		MessageZH string `json:"message_zh"`
		MessageEN string `json:"message_en"`
	} `json:"error"`
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	var body apiError
	_, _, body.Error.MessageZH, _ = describeError(err, i18n.ZH)
	_, _, body.Error.MessageEN, _ = describeError(err, i18n.EN)
	body.Error.Code = registry.ErrorCode(err)
	var se *statusError
	if errors.As(err, &se) {
		body.Error.Code = http.StatusText(se.status)
	}
	var re *registry.Error
	if errors.As(err, &re) {
		body.Error.Field = re.Field
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
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
