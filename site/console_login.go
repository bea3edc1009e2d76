package site

import (
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// maxFormBody bounds every console form but the upload.
const maxFormBody = 64 << 10

// showLogin shows the sign-in form.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	return s.renderLogin(w, r, http.StatusOK, views.ConsoleLoginView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, v views.ConsoleLoginView) error {
	return s.render(w, r, status, views.ConsoleLogin(s.consoleBase(r, nil, "console.login.title", ""), v))
}

// safeNext keeps a post-login redirect on the console, so that the sign-in
// page cannot be used to send people elsewhere: p must be a plain path
// (no scheme, host, query, "\\", "%", control character or space) that is
// already clean (no "." or ".." segment, no "//": a browser would resolve
// those, "/en/console/../../evil" to "/evil") and lies under /console/ or
// /en/console/. Anything else is dropped, and the console's first page is
// used instead.
func safeNext(p string) string {
	if p == "" || len(p) > 1024 || strings.ContainsAny(p, "\\%?#") {
		return ""
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return ""
	}
	for _, root := range []string{views.ConsolePath, i18n.EN.Path(views.ConsolePath)} {
		if strings.HasPrefix(p, root) {
			return p
		}
	}
	return ""
}

// login checks the name, password and TOTP code and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	lang := langOf(r)
	v := views.ConsoleLoginView{Name: strings.TrimSpace(r.PostForm.Get("name")), Next: safeNext(r.PostForm.Get("next"))}
	token, u, err := s.accounts.Login(r.Context(), v.Name, r.PostForm.Get("password"), r.PostForm.Get("totp"), clientAddr(r))
	var te *accounts.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Seconds())+1))
		v.Error = lang.Render(te)
		return s.renderLogin(w, r, http.StatusTooManyRequests, v)
	case err == accounts.ErrTOTPRequired:
		v.NeedTOTP = true
		v.Error = lang.Render(answer(err).message)
		return s.renderLogin(w, r, http.StatusUnauthorized, v)
	case registry.ErrorCode(err) == registry.EUNAUTHORIZED || registry.ErrorCode(err) == registry.EFORBIDDEN:
		v.NeedTOTP = r.PostForm.Get("totp") != ""
		v.Error = lang.Render(answer(err).message)
		return s.renderLogin(w, r, http.StatusUnauthorized, v)
	case err != nil:
		return err
	}
	setSessionCookie(w, token)
	next := v.Next
	if next == "" {
		next = lang.Path(views.ConsolePath)
		if u.Role == registry.RoleOperator {
			next = lang.Path(views.ConsoleAuditPath)
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.accounts.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	clearSessionCookie(w)
	http.Redirect(w, r, langOf(r).Path(views.ConsoleLoginPath), http.StatusSeeOther)
	return nil
}

// consoleHome is the console's first page: the body's certificates for a
// publisher, the audit log for the operator.
func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	if u.Role == registry.RoleOperator {
		http.Redirect(w, r, langOf(r).Path(views.ConsoleAuditPath), http.StatusSeeOther)
		return nil
	}
	return s.listOwnCertificates(w, r, u)
}
