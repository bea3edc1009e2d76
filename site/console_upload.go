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
	"mime/multipart"
	"net/http"
	"path/filepath"
	"time"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// Bulk upload limits: the file's size, the part of it the multipart
// reader holds in memory (the rest goes to a temporary file until it is
// kept), how long an upload waits for its confirmation, and how many wait
// at once in the registry (oldest dropped first).
const (
	maxUploadBytes = 32 << 20
	uploadMemory   = 1 << 20
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
	// The kept file is held in memory while it is stored and previewed.
	j, err := s.heavy.admit(w, r, min(max(r.ContentLength, uploadMemory), maxUploadBytes))
	if err != nil {
		return err
	}
	defer j.done()
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+(64<<10))
	// The file goes to disk beyond the first MiB, not into memory.
	err = r.ParseMultipartForm(uploadMemory)
	var file multipart.File
	var hdr *multipart.FileHeader
	if err == nil {
		file, hdr, err = r.FormFile("file")
	}
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
	v, tooLarge, err := s.previewUpload(w, r, j, u, p, true)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(v.Errors) > 0 || v.Error != "" {
		status = http.StatusUnprocessableEntity
		if tooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		if _, err := s.store.TakeUpload(r.Context(), p.Token, u.ID, u.BodyID, uploadTTL); err != nil {
			return err
		}
		v.ID = ""
	}
	return s.render(w, r, status, views.ConsoleUpload(cb, v))
}

// previewUpload imports the kept file as u would: dry (a preview) or for
// real, in a turn of j's (see heavyWork). tooLarge says the file was
// refused for its size once unpacked (fileformat.TooLarge): answered 413
// rather than 422.
func (s *Server) previewUpload(w http.ResponseWriter, r *http.Request, j *job, u *registry.User, p *registry.PendingUpload, dry bool) (v views.ConsoleUploadView, tooLarge bool, err error) {
	err = j.run(r.Context(), w, s.heavy.sheets, importMemory, func() error {
		v, tooLarge, err = s.importUpload(r, u, p, dry)
		return err
	})
	return v, tooLarge, err
}

// importMemory is what reading an import file takes at most: the parts of
// a workbook held in memory (fileformat.ImportLimits) and excelize's
// structures made of them, or a CSV line by line.
const importMemory = 96 << 20

func (s *Server) importUpload(r *http.Request, u *registry.User, p *registry.PendingUpload, dry bool) (views.ConsoleUploadView, bool, error) {
	lang := string(langOf(r))
	v := views.ConsoleUploadView{Preview: dry, Done: !dry, ID: p.Token, FileName: p.Name}
	f, err := openUpload(p)
	if err != nil {
		return v, false, err
	}
	rows, err := fileformat.OpenRows(p.Name, f)
	if err != nil {
		v.Error = i18n.Lang(lang).Render(answer(err).message)
		tooLarge := fileformat.TooLarge(err)
		var ie *registry.ImportError
		if !errors.As(err, &ie) {
			if registry.ErrorCode(err) == registry.EINTERNAL {
				return v, tooLarge, err
			}
			return v, tooLarge, nil
		}
		// A problem of the whole file: say what it is, as a row's would be.
		v.ErrorTotal = ie.Total
		for _, fe := range ie.Errors {
			v.Errors = append(v.Errors, views.ConsolePreviewError{Line: fe.Line, Field: fe.Field, Message: i18n.Lang(lang).Render(fe)})
		}
		return v, tooLarge, nil
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
		return v, false, nil
	}
	if err != nil {
		return v, false, err
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
	return v, false, nil
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
	j, err := s.heavy.admit(w, r, int64(len(p.Content)))
	if err != nil {
		if perr := s.store.PutBackUpload(r.Context(), p); perr != nil {
			return perr
		}
		return err
	}
	defer j.done()
	v, _, err := s.previewUpload(w, r, j, u, p, true)
	if err != nil {
		if registry.ErrorCode(err) == registry.EBUSY {
			// It can be confirmed again once there is room.
			if perr := s.store.PutBackUpload(r.Context(), p); perr != nil {
				return perr
			}
		}
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
	v, _, err = s.previewUpload(w, r, j, u, p, false)
	if registry.ErrorCode(err) == registry.EBUSY {
		// Nothing was written: it can be confirmed again.
		if perr := s.store.PutBackUpload(r.Context(), p); perr != nil {
			return perr
		}
		return err
	}
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
