// Package i18n holds the site's message catalogue in Chinese and English and
// the formatting that differs between them (dates, numbers).
//
// Every message is one entry with both languages side by side, so that a
// message cannot exist in one language only. The messages of each part of
// the program are in a file of their own (messages_*.go), merged into the
// one catalogue below; the domain (package registry and its adapters)
// returns message keys with their arguments, and this package renders them.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Lang is a language of the site. The language lives in the URL: Chinese at
// "/…", English at "/en/…".
type Lang string

// The site's languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Langs lists the languages, Chinese first.
var Langs = []Lang{ZH, EN}

// Msg is one message in both languages.
type Msg struct {
	ZH string
	EN string
}

// catalogue is every message, by key.
var catalogue = merge(accountsMessages, apiMessages, cliMessages, consoleMessages, fieldsMessages,
	fileformatMessages, logMessages, witnessMessages, offlineMessages, pagesMessages, registryMessages, signingMessages,
	siteMessages, verifyMessages)

// merge joins the files' messages. A key in two files, or a message
// missing a language, is a programming error and panics at start-up.
func merge(parts ...map[string]Msg) map[string]Msg {
	out := map[string]Msg{}
	for _, msgs := range parts {
		for k, m := range msgs {
			if _, dup := out[k]; dup {
				panic("i18n: message " + k + " defined twice")
			}
			if m.ZH == "" || m.EN == "" {
				panic("i18n: message " + k + " lacks a language")
			}
			out[k] = m
		}
	}
	return out
}

// Keys returns every key in the catalogue (for tests).
func Keys() []string {
	ks := make([]string, 0, len(catalogue))
	for k := range catalogue {
		ks = append(ks, k)
	}
	return ks
}

// Lookup returns the message for key in both languages.
func Lookup(key string) (Msg, bool) {
	m, ok := catalogue[key]
	return m, ok
}

// T returns the message for key in l. A missing key shows as "[key]" so
// that it is noticed on the page and by the tests, never silently empty.
func (l Lang) T(key string) string {
	m, ok := catalogue[key]
	if !ok {
		return "[" + key + "]"
	}
	if l == EN {
		return m.EN
	}
	return m.ZH
}

// Label returns the message for key as a label: in English with its first
// letter upper-cased, so that a field's name reads "holder name" in a
// sentence and "Holder name" above its input.
func (l Lang) Label(key string) string {
	s := l.T(key)
	if l != EN || s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// Tf formats the message for key with args. An argument that is itself a
// message (Keyed: a field's name, a status) is rendered in l first, as is
// one that names itself in each language (Localized: a level of a scheme).
func (l Lang) Tf(key string, args ...any) string {
	if len(args) == 0 {
		return l.T(key)
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case Keyed:
			out[i] = l.Render(a)
		case Localized:
			out[i] = a.In(string(l))
		default:
			out[i] = a
		}
	}
	return fmt.Sprintf(l.T(key), out...)
}

// Keyed is a message of the catalogue given by its key: a registry error,
// a field error, a status. If it also has arguments (MessageArgs), they
// fill the message's verbs.
type Keyed interface{ MessageKey() string }

// Localized is a value that names itself in each language, from data
// rather than the catalogue (a scheme's level).
type Localized interface{ In(lang string) string }

// Render returns the message m in l.
func (l Lang) Render(m Keyed) string {
	if a, ok := m.(interface{ MessageArgs() []any }); ok {
		return l.Tf(m.MessageKey(), a.MessageArgs()...)
	}
	return l.T(m.MessageKey())
}

// Pick returns zh or en by l: for text that comes from data (a scheme's or a
// body's name) rather than the catalogue.
func (l Lang) Pick(zh, en string) string {
	if l == EN && en != "" {
		return en
	}
	return zh
}

// Prefix is the URL prefix of l: "" for Chinese, "/en" for English.
func (l Lang) Prefix() string {
	if l == EN {
		return "/en"
	}
	return ""
}

// Path returns the URL path of the language-neutral path p in l:
// Path("/certificates") is "/certificates" in Chinese and
// "/en/certificates" in English; "/" becomes "/en/".
func (l Lang) Path(p string) string {
	if l != EN {
		return p
	}
	return "/en" + p
}

// Other returns the other language.
func (l Lang) Other() Lang {
	if l == EN {
		return ZH
	}
	return EN
}

// HTML is the value of <html lang> and hreflang for l.
func (l Lang) HTML() string {
	if l == EN {
		return "en"
	}
	return "zh-CN"
}

// Name is the language's name in itself, for the language switch.
func (l Lang) Name() string {
	if l == EN {
		return "English"
	}
	return "中文"
}

// Split returns the language of a URL path and the path without its
// language prefix.
func Split(path string) (Lang, string) {
	if path == "/en" {
		return EN, "/"
	}
	if rest, ok := strings.CutPrefix(path, "/en/"); ok {
		return EN, "/" + rest
	}
	return ZH, path
}

// Date formats a calendar date: 2024年3月5日 in Chinese, 2024-03-05 in
// English. The zero time is shown as "—".
func (l Lang) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if l == EN {
		return t.Format("2006-01-02")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

var chinaTime = time.FixedZone("CST", 8*3600)

// DateTime formats an instant in China Standard Time, in which the
// registry's dates are read: 2024年3月5日 14:03 (北京时间) or
// 2024-03-05 14:03 (UTC+8).
func (l Lang) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(chinaTime)
	if l == EN {
		return t.Format("2006-01-02 15:04") + " (UTC+8)"
	}
	return fmt.Sprintf("%d年%d月%d日 %s（北京时间）", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// Int formats n with thousands separators (both languages use commas).
func (l Lang) Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
