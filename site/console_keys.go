package site

import (
	"net/http"
	"strconv"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showKeys lists the body's API keys.
func (s *Server) showKeys(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.renderKeys(w, r, u, http.StatusOK, "", nil)
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, u *registry.User, status int, newKey string, errs map[string][]string) error {
	keys, err := s.store.APIKeys(r.Context(), u.BodyID)
	if err != nil {
		return err
	}
	now, lang := s.now(), langOf(r)
	v := views.ConsoleKeysView{NewKey: newKey, Errors: errs}
	for _, k := range keys {
		state := lang.T("console.keys.state.live")
		switch {
		case !k.Revoked.IsZero():
			state = lang.T("console.keys.state.revoked")
		case !k.Live(now):
			state = lang.T("console.keys.state.expired")
		}
		v.Keys = append(v.Keys, views.ConsoleKeyRow{ID: k.ID, Prefix: k.Prefix, Name: k.Name, State: state, Created: k.Created,
			Expires: k.Expires, LastUsed: k.LastUsed, CreatedBy: k.CreatedBy})
	}
	cb := s.consoleBase(r, u, "console.keys.title", "keys")
	cb.Flash = flash(r)
	return s.render(w, r, status, views.ConsoleKeys(cb, v))
}

// createKey creates an API key for the body and shows it, once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || days < 1 || days > 731 {
		return s.renderKeys(w, r, u, http.StatusUnprocessableEntity, "", map[string][]string{"days": {langOf(r).T("console.keys.days.bad")}})
	}
	key, _, err := s.accounts.CreateAPIKey(r.Context(), u.Actor("console", clientAddr(r)), u.BodyApproval, r.PostForm.Get("name"), s.now().Add(time.Duration(days)*24*time.Hour))
	if registry.ErrorCode(err) == registry.EINVALID {
		errs, _ := fieldErrors(err, langOf(r))
		return s.renderKeys(w, r, u, http.StatusUnprocessableEntity, "", errs)
	}
	if err != nil {
		return err
	}
	return s.renderKeys(w, r, u, http.StatusOK, key, nil)
}

// revokeKey revokes one of the body's keys at once.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return registry.Errorf(registry.ENOTFOUND, "", "registry.no_such_api_key")
	}
	if err := s.store.RevokeAPIKey(r.Context(), u.Actor("console", clientAddr(r)), id); err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleKeysPath, "console.done.revoked")
}
