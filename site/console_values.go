package site

import (
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// consoleChange words one changed field for the console in its language:
// the field's label, and values by name (a status, a level of any scheme,
// a scheme, an audit result, a date), never the codes the store keeps.
func (s *Server) consoleChange(lang i18n.Lang, ch registry.Change) views.FieldChange {
	return views.FieldChange{Label: fieldLabel(lang, ch.Field), Before: s.consoleValue(lang, ch.Field, ch.Before), After: s.consoleValue(lang, ch.Field, ch.After)}
}

// consoleValue words one stored value of field for the console.
func (s *Server) consoleValue(lang i18n.Lang, field, v string) string {
	switch field {
	case "level":
		for _, sc := range s.store.Schemes().All() {
			if l, ok := sc.Level(v); ok {
				return l.Name(string(lang))
			}
		}
	case "scheme":
		if sc, ok := s.store.Schemes().Get(v); ok {
			return sc.Kind(string(lang))
		}
	case "province":
		return registry.ProvinceName(v, string(lang))
	}
	switch strings.ToLower(v) {
	case "pass":
		return lang.T("surveillance.pass")
	case "fail":
		return lang.T("surveillance.fail")
	}
	return changeValue(lang, nil, field, v)
}

// consoleEventKind words an audit record's kind: a certificate event by
// its title; other kinds (accounts, keys) as recorded.
func consoleEventKind(lang i18n.Lang, kind string) string {
	if key, ok := eventTitles[kind]; ok {
		return lang.T(key)
	}
	return kind
}
