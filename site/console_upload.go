package site

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Bulk upload limits: the file's size, how long an upload waits for its
// confirmation, and how many wait at once in the registry (oldest dropped
// first).
const (
	maxUploadBytes = 32 << 20
	uploadTTL      = time.Hour
	maxPending     = 64
)

// keepUpload stores the uploaded file read from r in the registry's
// database (not a temporary folder: a restart loses no upload waiting for
// its confirmation, and nothing is left on disk), under a random id, with
// its SHA-256: the confirmation imports exactly the file that was
// previewed, and nothing the browser sends back but the id is trusted.
func (s *Server) keepUpload(r *http.Request, u *registry.User, name string, file io.Reader) (*registry.PendingUpload, error) {
	b := make([]byte, 32)
	rand.Read(b)
	content, err := io.ReadAll(io.LimitReader(file, maxUploadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	if len(content) > maxUploadBytes {
		return nil, registry.Errorf(registry.ETOOLARGE, "file", "console.file_too_large", maxUploadBytes>>20)
	}
	sum := sha256.Sum256(content)
	p := &registry.PendingUpload{Token: base64.RawURLEncoding.EncodeToString(b), UserID: u.ID, BodyID: u.BodyID,
		Name: filepath.Base(name), SHA256: sum[:], Content: content}
	if err := s.store.KeepUpload(r.Context(), *p, uploadTTL, maxPending); err != nil {
		return nil, err
	}
	return p, nil
}

// openUpload returns the kept file after checking it is still the file
// that was previewed.
func openUpload(p *registry.PendingUpload) (io.Reader, error) {
	sum := sha256.Sum256(p.Content)
	if subtle.ConstantTimeCompare(sum[:], p.SHA256) != 1 {
		return nil, errors.New("upload: the kept file changed since its preview")
	}
	return bytes.NewReader(p.Content), nil
}

// showUpload shows the upload form.
func (s *Server) showUpload(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	cb := s.consoleBase(r, u, "console.upload.title", "upload")
	cb.Flash = flash(r)
	return s.render(w, r, http.StatusOK, views.ConsoleUpload(cb, views.ConsoleUploadView{}))
}

// upload receives a CSV or XLSX file, keeps it, and shows what importing
// it would do: nothing is written until it is confirmed.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	lang := langOf(r)
	cb := s.consoleBase(r, u, "console.upload.title", "upload")
	if r.ContentLength > maxUploadBytes+(64<<10) {
		w.Header().Set("Connection", "close")
		return registry.Errorf(registry.ETOOLARGE, "file", "console.file_too_large", maxUploadBytes>>20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+(64<<10))
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return registry.Errorf(registry.ETOOLARGE, "file", "console.file_too_large", maxUploadBytes>>20)
		}
		return s.render(w, r, http.StatusBadRequest, views.ConsoleUpload(cb, views.ConsoleUploadView{Error: lang.T("console.upload.nofile")}))
	}
	defer file.Close()
	defer r.MultipartForm.RemoveAll()
	p, err := s.keepUpload(r, u, hdr.Filename, file)
	if err != nil {
		return err
	}
	v, err := s.previewUpload(r, u, p, true)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(v.Errors) > 0 || v.Error != "" {
		status = http.StatusUnprocessableEntity
		if _, err := s.store.TakeUpload(r.Context(), p.Token, u.ID, u.BodyID, uploadTTL); err != nil {
			return err
		}
		v.ID = ""
	}
	return s.render(w, r, status, views.ConsoleUpload(cb, v))
}

// previewUpload imports the kept file as u would: dry (a preview) or for
// real.
func (s *Server) previewUpload(r *http.Request, u *registry.User, p *registry.PendingUpload, dry bool) (views.ConsoleUploadView, error) {
	lang := string(langOf(r))
	v := views.ConsoleUploadView{Preview: dry, Done: !dry, ID: p.Token, FileName: p.Name}
	f, err := openUpload(p)
	if err != nil {
		return v, err
	}
	rows, err := fileformat.OpenRows(p.Name, f)
	if err != nil {
		v.Error = i18n.Lang(lang).Render(answer(err).message)
		if registry.ErrorCode(err) == registry.EINTERNAL {
			var ie *registry.ImportError
			if !errors.As(err, &ie) {
				return v, err
			}
		}
		return v, nil
	}
	defer rows.Close()
	res, err := s.store.Import(r.Context(), u.Actor("console", clientAddr(r)), rows.Next, registry.ImportOptions{DryRun: dry, KeepItems: true, MaxErrors: 500})
	v.Rows, v.Unchanged = res.Rows, res.Unchanged
	for _, fw := range res.Warnings {
		v.Warnings = append(v.Warnings, views.ConsolePreviewError{Line: fw.Line, Field: fw.Field, Message: i18n.Lang(lang).Render(fw)})
	}
	var ie *registry.ImportError
	if errors.As(err, &ie) {
		v.ErrorTotal = ie.Total
		for _, fe := range ie.Errors {
			v.Errors = append(v.Errors, views.ConsolePreviewError{Line: fe.Line, Field: fe.Field, Message: i18n.Lang(lang).Render(fe)})
		}
		return v, nil
	}
	if err != nil {
		return v, err
	}
	for _, it := range res.Items {
		pi := views.ConsolePreviewItem{Line: it.Line, Number: it.Number}
		for _, ch := range it.Changes {
			pi.Changes = append(pi.Changes, s.consoleChange(langOf(r), ch))
		}
		switch it.Action {
		case "create":
			v.Created = append(v.Created, pi)
		case "update":
			v.Updated = append(v.Updated, pi)
		}
	}
	return v, nil
}

// confirmUpload imports a previewed upload. The file is the one kept on
// the server under the id, checked against its hash; a file whose rows
// now fail (the registry changed meanwhile) imports nothing and shows why.
func (s *Server) confirmUpload(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return registry.Errorf(registry.ETOOLARGE, "", "console.form_too_large")
	}
	lang := langOf(r)
	p, err := s.store.TakeUpload(r.Context(), r.PathValue("id"), u.ID, u.BodyID, uploadTTL)
	if err != nil {
		return err
	}
	cb := s.consoleBase(r, u, "console.upload.title", "upload")
	v, err := s.previewUpload(r, u, p, true)
	if err != nil {
		return err
	}
	if len(v.Warnings) > 0 && r.PostForm.Get("ack_warnings") != "1" {
		if err := s.store.PutBackUpload(r.Context(), p); err != nil {
			return err
		}
		v.Error = lang.T("console.upload.ackneeded")
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	if len(v.Errors) > 0 || v.Error != "" {
		v.ID = ""
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	v, err = s.previewUpload(r, u, p, false)
	if err != nil {
		return err
	}
	if len(v.Errors) > 0 || v.Error != "" {
		v.ID = ""
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	cb.Flash = lang.Tf("console.upload.done", len(v.Created), len(v.Updated), v.Unchanged)
	return s.render(w, r, http.StatusOK, views.ConsoleUpload(cb, v))
}
