package site

import (
	"errors"
	"net/http"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// inputFromForm reads a certificate input from a posted form: the fields
// the table puts on the console's form.
func inputFromForm(r *http.Request) registry.Input {
	var in registry.Input
	for _, f := range registry.Fields {
		if f.Form {
			f.Set(&in, r.PostForm.Get(f.Name))
		}
	}
	return in
}

// formValues are the form's values for an input.
func formValues(in registry.Input) map[string]string {
	v := map[string]string{}
	for _, f := range registry.Fields {
		if f.Form {
			v[f.Name] = f.Value(&in)
		}
	}
	return v
}

// fieldLabel is the console's label of the field called name (a change's
// field), or the name itself for a field the table does not describe.
func fieldLabel(lang i18n.Lang, name string) string {
	if f, ok := registry.FieldNamed(name); ok {
		return lang.Label(f.Column)
	}
	return name
}

// formInput is the kind of input a field is entered in.
func formInput(f registry.Field) string {
	switch f.Kind {
	case registry.KindLongText:
		return "textarea"
	case registry.KindDate:
		return "date"
	case registry.KindNumber:
		return "number"
	case registry.KindChoice:
		return "select"
	}
	return "text"
}

// buildFields makes the form's view model from values, errors and
// warnings by field: the table's form fields, in its order (the number only
// on a new certificate: it cannot change). Status is changed in its own
// form, with a date and a reason.
func (s *Server) buildFields(lang i18n.Lang, values map[string]string, errs, warns map[string][]string, isNew bool) []views.ConsoleField {
	var out []views.ConsoleField
	for _, f := range registry.Fields {
		if !f.Form || f.Name == "number" && !isNew {
			continue
		}
		ff := views.ConsoleField{Name: f.Name, Label: lang.Label(f.Column), Value: values[f.Name], Type: formInput(f),
			Required: f.Required, Errors: errs[f.Name], Warnings: warns[f.Name]}
		if f.Help != "" {
			ff.Help = lang.T(f.Help)
		}
		if f.Name == "scheme" {
			for _, sc := range s.store.Schemes().All() {
				sel := values["scheme"] == sc.Code || values["scheme"] == sc.Standard
				ff.Options = append(ff.Options, views.Option{Value: sc.Code, Text: sc.Standard + " " + sc.Name(string(lang)), Selected: sel})
			}
		}
		out = append(out, ff)
	}
	return out
}

// newCertificateForm shows an empty certificate form.
func (s *Server) newCertificateForm(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	lang := langOf(r)
	v := views.ConsoleCertForm{New: true, Action: lang.Path(views.ConsoleNewPath),
		Fields: s.buildFields(lang, map[string]string{}, nil, nil, true)}
	return s.render(w, r, http.StatusOK, views.ConsoleCertificate(s.consoleBase(r, u, "console.new.title", "new"), v))
}

// ownCertificate reads the certificate in the path if it is u's body's. A
// certificate of another body is not found.
func (s *Server) ownCertificate(r *http.Request, u *registry.User) (*registry.Certificate, error) {
	c, err := s.store.Certificate(r.Context(), views.ParseURLNumber(r.PathValue("number")))
	if err != nil {
		return nil, err
	}
	if c.BodyID != u.BodyID {
		return nil, registry.Errorf(registry.ENOTFOUND, "number", "api.your_body_has_no", c.Number)
	}
	return c, nil
}

// editCertificateForm shows a certificate's form with its status, audit
// and QR sections and its history.
func (s *Server) editCertificateForm(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	c, err := s.ownCertificate(r, u)
	if err != nil {
		return err
	}
	return s.renderEdit(w, r, u, c, http.StatusOK, s.currentValues(c), nil, nil, false, nil, nil)
}

// currentValues are the form's values for the stored certificate.
func (s *Server) currentValues(c *registry.Certificate) map[string]string {
	rec := c.Record(s.store.Schemes())
	return formValues(rec.Input())
}

func (s *Server) renderEdit(w http.ResponseWriter, r *http.Request, u *registry.User, c *registry.Certificate, status int,
	values map[string]string, errs, warns map[string][]string, acked bool, statusErr, survErr map[string][]string) error {
	lang := langOf(r)
	v := views.ConsoleCertForm{Number: c.Number, Action: lang.Path(views.ConsoleCertificatePath(c.Number)),
		Fields: s.buildFields(lang, values, errs, warns, false), NeedAck: len(warns["holder_credit_code"]) > 0, Acked: acked,
		Status: c.EffectiveStatus(s.now()), StatusErr: statusErr, SurvErr: survErr,
		Today:     registry.Today(s.now()).Format(registry.DateLayout),
		PublicURL: lang.Path(views.CertificatePath(c.Number)),
		QRPNG:     lang.Path(views.ConsoleQRPath(c.Number, "png")),
		QRSVG:     lang.Path(views.ConsoleQRPath(c.Number, "svg")),
	}
	for _, to := range []registry.Status{registry.StatusSuspended, registry.StatusValid, registry.StatusRevoked, registry.StatusWithdrawn} {
		if registry.CanMove(c.Status, to) {
			v.Moves = append(v.Moves, views.Option{Value: string(to), Text: lang.T(moveKeys[to])})
		}
	}
	evs, err := s.store.History(r.Context(), c.ID)
	if err != nil {
		return err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		var changes []string
		for _, ch := range e.Changes {
			changes = append(changes, ch.Field+": "+ch.Before+" → "+ch.After)
		}
		v.History = append(v.History, views.HistoryItem{Date: e.At, Kind: e.Kind, Title: e.Kind + " · " + e.Actor + " (" + e.Source + ")", Reason: e.Reason, Changes: changes})
	}
	cb := s.consoleBase(r, u, "console.edit.title", "certificates")
	cb.Flash = flash(r)
	return s.render(w, r, status, views.ConsoleCertificate(cb, v))
}

// saveCertificate creates (POST …/new) or updates (POST …/{number}) a
// certificate from the form. Problems come back next to their fields; a
// credit code whose check character fails must be acknowledged first.
func (s *Server) saveCertificate(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	lang := langOf(r)
	isNew := r.PathValue("number") == ""
	in := inputFromForm(r)
	in.BodyApproval = u.BodyApproval
	var old *registry.Certificate
	if isNew {
		if c, err := s.store.Certificate(r.Context(), in.Number); err == nil {
			msg := registry.Errorf(registry.ECONFLICT, "number", "console.number_taken_own", c.Number)
			if c.BodyID != u.BodyID {
				msg = registry.Errorf(registry.ECONFLICT, "number", "console.number_taken_other_body", c.Number)
			}
			errs, _ := fieldErrors(msg, lang)
			return s.renderNew(w, r, u, formValues(in), errs, nil)
		}
	} else {
		c, err := s.ownCertificate(r, u)
		if err != nil {
			return err
		}
		old = c
		in.Number = c.Number
		in.Status = string(c.Status) // status moves have their own form
	}
	_, warnings, verrs := in.Validate(s.store.Schemes())
	warns := map[string][]string{}
	for _, fw := range warnings {
		warns[fw.Field] = append(warns[fw.Field], lang.Render(fw))
	}
	acked := r.PostForm.Get("ack_credit_code") == "1"
	errs := map[string][]string{}
	for _, fe := range verrs {
		errs[fe.Field] = append(errs[fe.Field], lang.Render(fe))
	}
	if len(errs) == 0 && (len(warns) == 0 || acked) {
		_, err := s.store.PutCertificates(r.Context(), u.Actor("console", clientAddr(r)), []registry.Input{in}, registry.ImportOptions{})
		if err == nil {
			return seeOther(w, r, views.ConsoleCertificatePath(in.Number), "console.done.saved")
		}
		var ie *registry.ImportError
		if !errors.As(err, &ie) {
			return err
		}
		for _, fe := range ie.Errors {
			errs[fe.Field] = append(errs[fe.Field], lang.Render(fe))
		}
	}
	if isNew {
		return s.renderNew(w, r, u, formValues(in), errs, warns)
	}
	return s.renderEdit(w, r, u, old, http.StatusUnprocessableEntity, formValues(in), errs, warns, acked, nil, nil)
}

func (s *Server) renderNew(w http.ResponseWriter, r *http.Request, u *registry.User, values map[string]string, errs, warns map[string][]string) error {
	lang := langOf(r)
	v := views.ConsoleCertForm{New: true, Action: lang.Path(views.ConsoleNewPath),
		Fields: s.buildFields(lang, values, errs, warns, true), NeedAck: len(warns["holder_credit_code"]) > 0}
	cb := s.consoleBase(r, u, "console.new.title", "new")
	cb.Error = lang.T("console.form.problems")
	if len(errs) == 0 {
		cb.Error = ""
	}
	return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleCertificate(cb, v))
}

// consoleChangeStatus suspends, reinstates, revokes or withdraws a
// certificate with an effective date and a reason.
func (s *Server) consoleChangeStatus(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	c, err := s.ownCertificate(r, u)
	if err != nil {
		return err
	}
	to, ok := registry.ParseStatus(r.PostForm.Get("status"))
	var eff registry.StatusChange
	eff.Number, eff.To, eff.Reason = c.Number, to, r.PostForm.Get("reason")
	err = nil
	if !ok || strings.TrimSpace(r.PostForm.Get("status")) == "" {
		err = registry.Errorf(registry.EINVALID, "status", "console.choose_new_status")
	} else if d := strings.TrimSpace(r.PostForm.Get("effective_date")); d != "" {
		t, perr := registry.ParseDate(d)
		if perr != nil {
			err = registry.Errorf(registry.EINVALID, "effective_date", "api.effective_date_invalid", d)
		}
		eff.Effective = t
	}
	if err == nil {
		_, err = s.store.ChangeStatus(r.Context(), u.Actor("console", clientAddr(r)), eff)
		if err == nil {
			return seeOther(w, r, views.ConsoleCertificatePath(c.Number), "console.done.status")
		}
	}
	return s.actionFailed(w, r, u, c, err, "status")
}

// consoleAddSurveillance records a surveillance audit.
func (s *Server) consoleAddSurveillance(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	c, err := s.ownCertificate(r, u)
	if err != nil {
		return err
	}
	d, derr := registry.ParseDate(r.PostForm.Get("date"))
	res, ok := registry.ParseAuditResult(r.PostForm.Get("result"))
	switch {
	case derr != nil:
		err = registry.Errorf(registry.EINVALID, "date", "console.enter_valid_audit_date")
	case !ok:
		err = registry.Errorf(registry.EINVALID, "result", "console.choose_audit_result")
	default:
		_, err = s.store.AddSurveillance(r.Context(), u.Actor("console", clientAddr(r)), c.Number, registry.Surveillance{Date: d, Result: res, Note: r.PostForm.Get("note")})
		if err == nil {
			return seeOther(w, r, views.ConsoleCertificatePath(c.Number), "console.done.surveillance")
		}
	}
	return s.actionFailed(w, r, u, c, err, "date")
}

// actionFailed re-shows a certificate's edit page after a status change
// (field "status") or a surveillance audit (field "date") was refused, with
// the messages next to that form; an error that is not the user's goes to
// the error page.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, u *registry.User, c *registry.Certificate, err error, field string) error {
	code := registry.ErrorCode(err)
	if code != registry.EINVALID && code != registry.ECONFLICT {
		return err
	}
	errs, msg := fieldErrors(err, langOf(r))
	if msg != "" {
		errs[field] = append(errs[field], msg)
	}
	if field == "status" {
		return s.renderEdit(w, r, u, c, http.StatusUnprocessableEntity, s.currentValues(c), nil, nil, false, errs, nil)
	}
	return s.renderEdit(w, r, u, c, http.StatusUnprocessableEntity, s.currentValues(c), nil, nil, false, nil, errs)
}

// moveKeys are the message keys of the status moves the console offers.
var moveKeys = map[registry.Status]string{
	registry.StatusSuspended: "console.move.suspended",
	registry.StatusValid:     "console.move.valid",
	registry.StatusRevoked:   "console.move.revoked",
	registry.StatusWithdrawn: "console.move.withdrawn",
}
