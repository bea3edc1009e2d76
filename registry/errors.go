// Package registry is the domain of certreg: certification bodies, schemes,
// certificates and their lifecycle, validation, and the SQLite store.
//
// It never imports net/http or anything that renders pages; the site and the
// command line build on it.
package registry

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Their messages are safe to show a user.
const (
	ENOTFOUND     = "not_found"
	EINVALID      = "invalid"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
)

// Error is a domain error with a message in Chinese and English. Field names
// the input field at fault, when there is one.
type Error struct {
	Code  string
	Field string
	ZH    string
	EN    string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.EN)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.EN)
}

// Message returns the message in lang ("zh" or "en").
func (e *Error) Message(lang string) string {
	if lang == "en" {
		return e.EN
	}
	return e.ZH
}

// Errorf returns an *Error with code and a bilingual message.
func Errorf(code, field, zh, en string, args ...any) *Error {
	return &Error{Code: code, Field: field, ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ve ValidationErrors
	if errors.As(err, &ve) {
		return EINVALID
	}
	return EINTERNAL
}

// ErrorMessage returns a message safe to show a user in lang. Internal errors
// get a generic message so that nothing of the machine leaks.
func ErrorMessage(err error, lang string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message(lang)
	}
	var ve ValidationErrors
	if errors.As(err, &ve) {
		return ve.Message(lang)
	}
	if lang == "en" {
		return "Internal error. Please try again later."
	}
	return "内部错误，请稍后再试。"
}

// FieldError is one problem with one field of one input row. Line is the
// 1-based line (or row) in the source file, 0 when the input is not a file.
// Warning marks a problem that is recorded and shown but does not reject the
// row (a credit code whose check character does not match).
type FieldError struct {
	Line    int    `json:"line,omitempty"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field"`
	ZH      string `json:"message_zh"`
	EN      string `json:"message_en"`
	Warning bool   `json:"warning,omitempty"`
}

// Message returns the message in lang.
func (f FieldError) Message(lang string) string {
	if lang == "en" {
		return f.EN
	}
	return f.ZH
}

func (f FieldError) String() string {
	var b strings.Builder
	if f.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", f.Line)
	}
	if f.Column != "" {
		fmt.Fprintf(&b, "column %q: ", f.Column)
	} else if f.Field != "" {
		fmt.Fprintf(&b, "%s: ", f.Field)
	}
	b.WriteString(f.EN)
	b.WriteString(" / ")
	b.WriteString(f.ZH)
	return b.String()
}

// ValidationErrors is every problem found in an input; a write that returns
// it has written nothing. It holds only errors, never warnings.
type ValidationErrors []FieldError

func (v ValidationErrors) Error() string {
	if len(v) == 1 {
		return "invalid input: " + v[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid input: %d problems:", len(v))
	for i, f := range v {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(v)-20)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// Message returns a one-line summary in lang.
func (v ValidationErrors) Message(lang string) string {
	if len(v) == 0 {
		return ""
	}
	if len(v) == 1 {
		return v[0].Message(lang)
	}
	if lang == "en" {
		return fmt.Sprintf("%d problems, first: %s", len(v), v[0].EN)
	}
	return fmt.Sprintf("共 %d 处错误，第一处：%s", len(v), v[0].ZH)
}

func fieldErr(field, zh, en string, args ...any) FieldError {
	return FieldError{Field: field, ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)}
}
