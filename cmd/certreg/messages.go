package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

// The command line writes the registry's messages from the catalogue
// (site/i18n), like the site: English, and Chinese beside it where a
// publisher reads them (an import's problems).

// problemText writes a problem of an input for the terminal: where it is,
// then its message in English and in Chinese.
func problemText(fe registry.FieldError) string {
	var b strings.Builder
	if fe.Line > 0 {
		b.WriteString("line " + itoa(fe.Line) + ": ")
	}
	if fe.Column != "" {
		b.WriteString("column \"" + fe.Column + "\": ")
	} else if fe.Field != "" {
		b.WriteString(fe.Field + ": ")
	}
	b.WriteString(i18n.EN.Render(fe) + " / " + i18n.ZH.Render(fe))
	return b.String()
}

// errText is err as the terminal shows it: a registry error's message in
// English after whatever context wraps it, validation errors one problem
// after another; any other error as it is.
func errText(err error) string {
	var ie *registry.ImportError
	if errors.As(err, &ie) {
		parts := make([]string, len(ie.Errors))
		for i, fe := range ie.Errors {
			parts[i] = problemText(fe)
		}
		return fmt.Sprintf("nothing imported: %d of %d rows have problems: %s", ie.Total, ie.Rows, strings.Join(parts, "; "))
	}
	var ve registry.ValidationErrors
	if errors.As(err, &ve) {
		parts := make([]string, len(ve))
		for i, fe := range ve {
			parts[i] = problemText(fe)
		}
		return strings.TrimSuffix(err.Error(), ve.Error()) + strings.Join(parts, "; ")
	}
	var re *registry.Error
	if errors.As(err, &re) {
		return strings.TrimSuffix(err.Error(), re.Error()) + re.Code + ": " + i18n.EN.Render(re)
	}
	return err.Error()
}

// readable returns err, reading as words when a registry error is in its
// chain (errText); errors.Is and errors.As still see err.
func readable(err error) error {
	var re *registry.Error
	var ve registry.ValidationErrors
	if err == nil || !errors.As(err, &re) && !errors.As(err, &ve) {
		return err
	}
	return readableError{err}
}

type readableError struct{ err error }

func (r readableError) Error() string { return errText(r.err) }
func (r readableError) Unwrap() error { return r.err }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}
