package site

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showAccount shows the signed-in user's own settings: password and the
// optional second factor.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.renderAccount(w, r, u, http.StatusOK, views.ConsoleAccountView{})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, u *registry.User, status int, v views.ConsoleAccountView) error {
	v.TOTP = u.TOTP
	if !u.TOTP && v.Secret == "" {
		secret, err := accounts.NewTOTPSecret()
		if err != nil {
			return err
		}
		v.Secret = secret
	}
	if v.Secret != "" {
		v.URI = accounts.TOTPURI(s.canonicalHost(), u.Name, v.Secret)
	}
	cb := s.consoleBase(r, u, "console.account.title", "account")
	cb.Flash = flash(r)
	return s.render(w, r, status, views.ConsoleAccount(cb, v))
}

// changeOwnPassword changes the user's password after checking the current
// one. Every session of the user ends, this one too: the user signs in
// again with the new password.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	lang := langOf(r)
	ok, err := s.accounts.ConfirmPassword(r.Context(), u, r.PostForm.Get("current"), clientAddr(r))
	if te := throttled(w, err); te != nil {
		return s.renderAccount(w, r, u, http.StatusTooManyRequests, views.ConsoleAccountView{Errors: map[string][]string{"current": {lang.Render(te)}}})
	}
	if err != nil {
		return err
	}
	if !ok {
		return s.renderAccount(w, r, u, http.StatusUnprocessableEntity, views.ConsoleAccountView{Errors: map[string][]string{"current": {lang.T("console.account.wrongcurrent")}}})
	}
	if r.PostForm.Get("new") != r.PostForm.Get("again") {
		return s.renderAccount(w, r, u, http.StatusUnprocessableEntity, views.ConsoleAccountView{Errors: map[string][]string{"again": {lang.T("console.account.mismatch")}}})
	}
	err = s.accounts.SetPassword(r.Context(), u.Actor("console", clientAddr(r)), u.Name, r.PostForm.Get("new"))
	if registry.ErrorCode(err) == registry.EINVALID {
		errs, _ := fieldErrors(err, lang)
		errs["new"] = errs["password"]
		return s.renderAccount(w, r, u, http.StatusUnprocessableEntity, views.ConsoleAccountView{Errors: errs})
	}
	if err != nil {
		return err
	}
	clearSessionCookie(w)
	http.Redirect(w, r, lang.Path(views.ConsoleLoginPath), http.StatusSeeOther)
	return nil
}

// setOwnTOTP turns the second factor on (with the secret shown on the page
// and a code from the app that proves the app has it) or off (with the
// current password or a code: an open session alone is not enough).
func (s *Server) setOwnTOTP(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	lang := langOf(r)
	actor := u.Actor("console", clientAddr(r))
	if r.PostForm.Get("action") != "enable" {
		err := s.accounts.DisableTOTP(r.Context(), actor, u, r.PostForm.Get("confirm"), clientAddr(r))
		if te := throttled(w, err); te != nil {
			return s.renderAccount(w, r, u, http.StatusTooManyRequests, views.ConsoleAccountView{Errors: map[string][]string{"confirm": {lang.Render(te)}}})
		}
		if registry.ErrorCode(err) == registry.EINVALID {
			errs, _ := fieldErrors(err, lang)
			return s.renderAccount(w, r, u, http.StatusUnprocessableEntity, views.ConsoleAccountView{Errors: errs})
		}
		if err != nil {
			return err
		}
		return seeOther(w, r, views.ConsoleAccountPath, "console.done.totp")
	}
	secret := strings.TrimSpace(r.PostForm.Get("secret"))
	if len(secret) != 32 {
		return registry.Errorf(registry.EINVALID, "secret", "console.invalid_secret_reload_page")
	}
	err := s.accounts.SetTOTP(r.Context(), actor, u.ID, secret, r.PostForm.Get("code"))
	if registry.ErrorCode(err) == registry.EINVALID {
		errs, _ := fieldErrors(err, lang)
		return s.renderAccount(w, r, u, http.StatusUnprocessableEntity, views.ConsoleAccountView{Secret: secret, Errors: errs})
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleAccountPath, "console.done.totp")
}

// throttled returns err's *accounts.ThrottledError, if it is one, with
// Retry-After set on the answer.
func throttled(w http.ResponseWriter, err error) *accounts.ThrottledError {
	var te *accounts.ThrottledError
	if !errors.As(err, &te) {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Seconds())+1))
	return te
}
