// Package registry is the domain of certreg: certification bodies, schemes,
// certificates and their lifecycle, validation, and the SQLite store.
//
// It never imports net/http or anything that renders pages; the site and the
// command line build on it. Its errors carry a code and a message key of
// the catalogue (site/i18n) with its arguments: the site and the command
// line render them in Chinese and English.
package registry

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each has one HTTP status (see site's error mapper).
const (
	ENOTFOUND     = "not_found"
	EINVALID      = "invalid" // a request that cannot be read as asked: a bad parameter, a malformed value
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"         // the input is larger than the registry takes
	EUNSUPPORTED  = "unsupported"       // the input is of a type the registry does not read
	EUNREADABLE   = "unreadable"        // the input is of the right type but its content cannot be used
	ETOOMANY      = "too_many_requests" // too many attempts or requests: wait and try again
	EBUSY         = "busy"              // the server has as much of this work in hand as it takes: try again shortly
	EINTERNAL     = "internal"
)

// Message is a message of the catalogue: its key, and the values of its
// verbs. An argument that is itself a message (a Key, a Status) is
// rendered in the same language: a field's name inside "%s is required".
type Message struct {
	Key  string `json:"key"`
	Args []any  `json:"args,omitempty"`
}

// MessageKey is the message's key in the catalogue.
func (m Message) MessageKey() string { return m.Key }

// MessageArgs are the values of the message's verbs.
func (m Message) MessageArgs() []any { return m.Args }

// Key is a message key given as an argument of another message.
type Key string

// MessageKey is the key itself.
func (k Key) MessageKey() string { return string(k) }

// Names is a value named in each language by data rather than the
// catalogue (a scheme, a level, a body), as a message's argument too.
type Names struct{ ZH, EN string }

// In returns the name in lang ("zh" or "en"), the Chinese one when there
// is no English one.
func (n Names) In(lang string) string {
	if lang == "en" && n.EN != "" {
		return n.EN
	}
	return n.ZH
}

// String writes the message for a log: its key and arguments, not words.
func (m Message) String() string {
	if len(m.Args) == 0 {
		return m.Key
	}
	return fmt.Sprintf("%s%v", m.Key, m.Args)
}

// Error is a domain error: a code, the input field at fault when there is
// one, and a message safe to show a user.
type Error struct {
	Code  string
	Field string
	Message
}

// Error writes the error for a log: its code, field and message key with
// its arguments, not words (the catalogue has those).
func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + ": " + e.Field + ": " + e.Message.String()
	}
	return e.Code + ": " + e.Message.String()
}

// Errorf returns an *Error with code and the message key with its
// arguments.
func Errorf(code, field, key string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: Message{Key: key, Args: args}}
}

// ErrorCode returns the code of the first *Error in err's chain, EINVALID
// for validation errors, EINTERNAL for any other non-nil error, and "" for
// nil.
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

// FieldError is one problem with one field of one input row. Line is the
// 1-based line (or row) in the source file, 0 when the input is not a file.
// Warning marks a problem that is recorded and shown but does not reject the
// row (a credit code whose check character does not match).
type FieldError struct {
	Line   int
	Column string // the column as the file's header names it
	Field  string
	Message
	Warning bool
}

// String writes the problem for a log: its line, column or field, and its
// message key with its arguments.
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
	b.WriteString(f.Message.String())
	return b.String()
}

// ValidationErrors is every problem found in an input; a write that returns
// it has written nothing. It holds only errors, never warnings.
type ValidationErrors []FieldError

// Error lists the problems for a log, at most 20.
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

// Invalid is the problem of one field of a submission: content that a
// well-formed request states and the registry refuses (EINVALID, by
// contrast, is a request that cannot be read as asked).
func Invalid(field, key string, args ...any) ValidationErrors {
	return ValidationErrors{fieldErr(field, key, args...)}
}

func fieldErr(field, key string, args ...any) FieldError {
	return FieldError{Field: field, Message: Message{Key: key, Args: args}}
}
