package site

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// SessionCookie is the name of the console's session cookie. The __Host-
// prefix makes browsers accept it only with Secure, Path=/ and no Domain,
// so that no other host (a sibling subdomain) can set or overwrite it.
//
// Secure means the browser sends it only over HTTPS, and to http://localhost
// and http://127.0.0.1, which Chromium and Firefox treat as secure: the
// console works in production behind HTTPS and on a developer's machine.
// The tests serve over TLS (httptest.NewTLSServer), so that they exercise
// the cookie exactly as production sets it.
const SessionCookie = "__Host-certreg_session"

// redirectConsole sends /console to /console/.
func (s *Server) redirectConsole(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, langOf(r).Path(views.ConsolePath), http.StatusMovedPermanently)
	return nil
}

// Who may use a console route.
const (
	anyRole   = ""
	publisher = registry.RolePublisher
	operator  = registry.RoleOperator
)

// consoleFunc is a console handler: it gets the signed-in user.
type consoleFunc func(w http.ResponseWriter, r *http.Request, u *registry.User) error

// crossOrigin refuses state-changing requests that a browser says come from
// another site (Sec-Fetch-Site, or Origin against Host): the console's
// protection against cross-site request forgery, with SameSite=Lax on the
// cookie as a second line.
var crossOrigin = http.NewCrossOriginProtection()

var errCrossOrigin = registry.Errorf(registry.EFORBIDDEN, "", "page.cross_site_request_refused")

// csrf guards a state-changing handler against cross-site requests.
func (s *Server) csrf(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := crossOrigin.Check(r); err != nil {
			return errCrossOrigin
		}
		return h(w, r)
	}
}

// signedIn wraps a console handler: it requires a live session of a user
// with role (any role when ""), and cross-origin protection on every
// method but GET and HEAD. Without a session a page redirects to the
// sign-in page; a POST is refused.
func (s *Server) signedIn(role registry.Role, h consoleFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := crossOrigin.Check(r); err != nil {
				return errCrossOrigin
			}
		}
		var token string
		if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		u, err := s.accounts.SessionUser(r.Context(), token)
		if registry.ErrorCode(err) == registry.EUNAUTHORIZED {
			if token != "" {
				clearSessionCookie(w)
			}
			if r.Method == http.MethodGet {
				lang := langOf(r)
				http.Redirect(w, r, lang.Path(views.ConsoleLoginPath)+"?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return nil
			}
			return err
		}
		if err != nil {
			return err
		}
		if role != anyRole && u.Role != role {
			return registry.Errorf(registry.EFORBIDDEN, "", "page.your_account_may_not")
		}
		return h(w, r, u)
	}
}

func setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// consoleBase is the layout's view model for a console page.
func (s *Server) consoleBase(r *http.Request, u *registry.User, titleKey, nav string) views.ConsoleBase {
	b := s.base(r, langOf(r).T(titleKey))
	b.NoIndex = true
	cb := views.ConsoleBase{Base: b, Nav: nav}
	if u != nil {
		cb.User = u.Name
		cb.Role = u.Role
		cb.Body = u.BodyApproval
		if u.BodyID != 0 {
			if body, err := s.store.BodyByID(r.Context(), u.BodyID); err == nil {
				cb.Body = body.Approval + " " + body.Name(string(langOf(r)))
			}
		}
	}
	return cb
}

// seeOther redirects after a POST to the page at the language-neutral
// path p, with a flash message key in the query.
func seeOther(w http.ResponseWriter, r *http.Request, p, flash string) error {
	u := langOf(r).Path(p)
	if flash != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "done=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// flash returns the message for the page's ?done= key, if it is one of
// the console's.
func flash(r *http.Request) string {
	k := r.URL.Query().Get("done")
	if k == "" || !strings.HasPrefix(k, "console.done.") {
		return ""
	}
	if _, ok := i18n.Lookup(k); !ok {
		return ""
	}
	return langOf(r).T(k)
}

// fieldErrors maps each field to its messages in lang, for a form.
func fieldErrors(err error, lang i18n.Lang) (map[string][]string, string) {
	out := map[string][]string{}
	var ve registry.ValidationErrors
	if errors.As(err, &ve) {
		for _, fe := range ve {
			out[fe.Field] = append(out[fe.Field], lang.Render(fe))
		}
		return out, ""
	}
	var re *registry.Error
	if errors.As(err, &re) {
		if re.Field != "" {
			out[re.Field] = append(out[re.Field], lang.Render(re))
			return out, ""
		}
		return out, lang.Render(re)
	}
	return out, ""
}
