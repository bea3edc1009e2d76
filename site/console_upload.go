package site

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Bulk upload limits: the file's size, how long an upload waits for its
// confirmation, and how many wait at once (oldest dropped first).
const (
	maxUploadBytes = 32 << 20
	uploadTTL      = time.Hour
	maxPending     = 64
)

// uploads keeps uploaded files on the server between the preview and the
// confirmation, under random ids, with their SHA-256: the confirmation
// imports exactly the file that was previewed, and nothing the browser
// sends back but the id is trusted.
type uploads struct {
	mu      sync.Mutex
	dir     string
	pending map[string]*pendingUpload
}

type pendingUpload struct {
	id      string
	userID  int64
	bodyID  int64
	name    string
	path    string
	hash    [32]byte
	created time.Time
}

// keep stores the file read from r and returns its entry.
func (up *uploads) keep(u *registry.User, name string, r io.Reader) (*pendingUpload, error) {
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.dir == "" {
		d, err := os.MkdirTemp("", "certreg-uploads-")
		if err != nil {
			return nil, fmt.Errorf("upload: %w", err)
		}
		up.dir, up.pending = d, map[string]*pendingUpload{}
	}
	up.expire()
	b := make([]byte, 32)
	rand.Read(b)
	p := &pendingUpload{id: base64.RawURLEncoding.EncodeToString(b), userID: u.ID, bodyID: u.BodyID, name: filepath.Base(name), created: time.Now()}
	p.path = filepath.Join(up.dir, p.id)
	f, err := os.OpenFile(p.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.path)
		return nil, err
	}
	copy(p.hash[:], h.Sum(nil))
	up.pending[p.id] = p
	return p, nil
}

// expire drops uploads past their time, and the oldest beyond maxPending.
func (up *uploads) expire() {
	var oldest *pendingUpload
	for id, p := range up.pending {
		if time.Since(p.created) > uploadTTL {
			os.Remove(p.path)
			delete(up.pending, id)
			continue
		}
		if oldest == nil || p.created.Before(oldest.created) {
			oldest = p
		}
	}
	if len(up.pending) >= maxPending && oldest != nil {
		os.Remove(oldest.path)
		delete(up.pending, oldest.id)
	}
}

// take returns u's upload id and forgets it, so that it is imported once.
func (up *uploads) take(u *registry.User, id string) (*pendingUpload, bool) {
	up.mu.Lock()
	defer up.mu.Unlock()
	p, ok := up.pending[id]
	if !ok || p.userID != u.ID || p.bodyID != u.BodyID || time.Since(p.created) > uploadTTL {
		return nil, false
	}
	delete(up.pending, id)
	return p, true
}

// putBack keeps an upload again after a confirmation that failed.
func (up *uploads) putBack(p *pendingUpload) {
	up.mu.Lock()
	defer up.mu.Unlock()
	up.pending[p.id] = p
}

// open opens the kept file after checking it is still the file that was
// previewed.
func (p *pendingUpload) open() (*os.File, error) {
	f, err := os.Open(p.path)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, err
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), p.hash[:]) != 1 {
		f.Close()
		return nil, errors.New("upload: the kept file changed since its preview")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
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
	p, err := s.uploads.keep(u, hdr.Filename, file)
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
		s.uploads.take(u, p.id)
		os.Remove(p.path)
		v.ID = ""
	}
	return s.render(w, r, status, views.ConsoleUpload(cb, v))
}

// previewUpload imports the kept file as u would: dry (a preview) or for
// real.
func (s *Server) previewUpload(r *http.Request, u *registry.User, p *pendingUpload, dry bool) (views.ConsoleUploadView, error) {
	lang := string(langOf(r))
	v := views.ConsoleUploadView{Preview: dry, Done: !dry, ID: p.id, FileName: p.name}
	f, err := p.open()
	if err != nil {
		return v, err
	}
	defer f.Close()
	rows, err := fileformat.OpenRows(p.name, f)
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
	res, err := s.store.Import(r.Context(), u.Actor("console", clientHost(r)), rows.Next, registry.ImportOptions{DryRun: dry, KeepItems: true, MaxErrors: 500})
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
			pi.Changes = append(pi.Changes, views.FieldChange{Label: fieldLabel(langOf(r), ch.Field), Before: ch.Before, After: ch.After})
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
	p, ok := s.uploads.take(u, r.PathValue("id"))
	if !ok {
		return registry.Errorf(registry.ENOTFOUND, "", "console.no_such_upload_already")
	}
	cb := s.consoleBase(r, u, "console.upload.title", "upload")
	v, err := s.previewUpload(r, u, p, true)
	if err != nil {
		return err
	}
	if len(v.Warnings) > 0 && r.PostForm.Get("ack_warnings") != "1" {
		s.uploads.putBack(p)
		v.Error = lang.T("console.upload.ackneeded")
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	if len(v.Errors) > 0 || v.Error != "" {
		os.Remove(p.path)
		v.ID = ""
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	v, err = s.previewUpload(r, u, p, false)
	os.Remove(p.path)
	if err != nil {
		return err
	}
	if len(v.Errors) > 0 || v.Error != "" {
		v.ID = ""
		return s.render(w, r, http.StatusUnprocessableEntity, views.ConsoleUpload(cb, v))
	}
	s.metrics.imports(fromConsole, len(v.Created), len(v.Updated), v.Unchanged)
	cb.Flash = lang.Tf("console.upload.done", len(v.Created), len(v.Updated), v.Unchanged)
	return s.render(w, r, http.StatusOK, views.ConsoleUpload(cb, v))
}
