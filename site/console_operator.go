package site

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showBodies lists the certification bodies for the operator.
func (s *Server) showBodies(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.renderBodies(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderBodies(w http.ResponseWriter, r *http.Request, u *registry.User, status int, form map[string]string, errs map[string][]string) error {
	bs, err := s.store.Bodies(r.Context())
	if err != nil {
		return err
	}
	cb := s.consoleBase(r, u, "console.bodies.title", "bodies")
	cb.Flash = flash(r)
	return s.render(w, r, status, views.ConsoleBodies(cb, views.ConsoleBodiesView{Bodies: bs, Form: form, Errors: errs}))
}

// addBody registers a body.
func (s *Server) addBody(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	f := r.PostForm.Get
	b := registry.Body{Approval: f("approval"), NameZH: f("name_zh"), NameEN: f("name_en"), Website: f("website"), Province: f("province"), City: f("city")}
	_, err := s.store.AddBody(r.Context(), u.Actor("console", clientAddr(r)), b)
	if c := registry.ErrorCode(err); c == registry.EINVALID || c == registry.ECONFLICT {
		errs, msg := fieldErrors(err, langOf(r))
		if msg != "" {
			errs["approval"] = append(errs["approval"], msg)
		}
		return s.renderBodies(w, r, u, http.StatusUnprocessableEntity, map[string]string{"approval": b.Approval, "name_zh": b.NameZH, "name_en": b.NameEN, "website": b.Website, "province": b.Province, "city": b.City}, errs)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleBodiesPath, "console.done.body")
}

// disableBody disables a body: its publishers are signed out and its keys
// stop working.
func (s *Server) disableBody(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	if err := s.store.SetBodyDisabled(r.Context(), u.Actor("console", clientAddr(r)), r.PathValue("approval"), true); err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleBodiesPath, "console.done.bodydisabled")
}

// showUsers lists the accounts for the operator.
func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.renderUsers(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, u *registry.User, status int, form map[string]string, errs map[string][]string) error {
	us, err := s.store.Users(r.Context(), 0)
	if err != nil {
		return err
	}
	bs, err := s.store.Bodies(r.Context())
	if err != nil {
		return err
	}
	v := views.ConsoleUsersView{Users: us, Form: form, Errors: errs}
	for _, b := range bs {
		if !b.Disabled {
			v.Bodies = append(v.Bodies, views.Option{Value: b.Approval, Text: b.Approval + " " + b.Name(string(langOf(r))), Selected: form["body"] == b.Approval})
		}
	}
	cb := s.consoleBase(r, u, "console.users.title", "users")
	cb.Flash = flash(r)
	return s.render(w, r, status, views.ConsoleUsers(cb, v))
}

// addUser creates an account with a first password the operator gives the
// person, who should change it (reset-password) on first use.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	f := r.PostForm.Get
	nu := registry.NewUser{Name: f("name"), Role: registry.Role(f("role"))}
	if nu.Role == registry.RolePublisher {
		nu.BodyApproval = f("body")
	}
	_, err := s.accounts.AddUser(r.Context(), u.Actor("console", clientAddr(r)), nu, f("password"))
	if c := registry.ErrorCode(err); c == registry.EINVALID || c == registry.ECONFLICT || c == registry.ENOTFOUND {
		errs, msg := fieldErrors(err, langOf(r))
		if msg != "" {
			errs["name"] = append(errs["name"], msg)
		}
		// The password is never sent back into the page.
		return s.renderUsers(w, r, u, http.StatusUnprocessableEntity, map[string]string{"name": nu.Name, "role": string(nu.Role), "body": f("body")}, errs)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleUsersPath, "console.done.user")
}

// disableUser disables an account; its sessions end at once.
func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	if err := s.store.DisableUser(r.Context(), u.Actor("console", clientAddr(r)), r.PathValue("name")); err != nil {
		return err
	}
	return seeOther(w, r, views.ConsoleUsersPath, "console.done.userdisabled")
}

// showAudit shows the audit log, filtered.
func (s *Server) showAudit(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	q := r.URL.Query()
	lang := langOf(r)
	v := views.ConsoleAuditView{Body: q.Get("body"), Kind: q.Get("kind"), Actor: q.Get("actor"), Source: q.Get("source"),
		Number: q.Get("number"), Since: q.Get("since"), Until: q.Get("until")}
	f := registry.AuditFilter{Kind: v.Kind, Actor: v.Actor, Source: v.Source, Number: v.Number, Limit: 100}
	f.BeforeID, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	bs, err := s.store.Bodies(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	v.Bodies = append(v.Bodies, views.Option{Value: "", Text: lang.T("console.audit.allbodies")})
	for _, b := range bs {
		names[b.ID] = b.Approval
		v.Bodies = append(v.Bodies, views.Option{Value: b.Approval, Text: b.Approval + " " + b.Name(string(lang)), Selected: v.Body == b.Approval})
		if v.Body == b.Approval {
			f.BodyID = b.ID
		}
	}
	var bad []string
	for _, d := range []struct {
		s string
		t *time.Time
		n int
	}{{v.Since, &f.Since, 0}, {v.Until, &f.Until, 1}} {
		if strings.TrimSpace(d.s) == "" {
			continue
		}
		t, err := registry.ParseDate(d.s)
		if err != nil {
			bad = append(bad, d.s)
			continue
		}
		// Dates are China dates: a day runs from 00:00 UTC+8.
		*d.t = time.Date(t.Year(), t.Month(), t.Day()+d.n, 0, 0, 0, 0, registry.ChinaTime())
	}
	if len(bad) > 0 {
		v.Error = lang.Tf("console.audit.baddate", strings.Join(bad, ", "))
	}
	evs, err := s.store.AuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	for _, e := range evs {
		row := views.ConsoleAuditRow{ID: e.ID, At: e.At, Actor: e.Actor, Source: e.Source, Remote: e.RemoteAddr,
			Body: names[e.BodyID], Kind: consoleEventKind(lang, e.Kind), Number: e.Number, Reason: e.Reason}
		for _, ch := range e.Changes {
			row.Changes = append(row.Changes, s.consoleChange(lang, ch))
		}
		v.Rows = append(v.Rows, row)
	}
	if len(evs) == f.Limit {
		qq := url.Values{}
		for k, vs := range q {
			qq[k] = vs
		}
		qq.Set("before", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		v.More = lang.Path(views.ConsoleAuditPath) + "?" + qq.Encode()
	}
	cb := s.consoleBase(r, u, "console.audit.title", "audit")
	cb.Flash = flash(r)
	return s.render(w, r, http.StatusOK, views.ConsoleAudit(cb, v))
}
