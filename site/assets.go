package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/certreg/certreg/static"
	"github.com/certreg/certreg/views"
)

// asset is one static file, kept in memory with its gzipped form.
type asset struct {
	body  []byte
	gz    []byte
	ctype string
	etag  string
}

// assets are the static files under their content-hashed names
// ("app.3f9a1c2b7d.css"), so that they can be cached for a year: a changed
// file gets a new name.
type assets struct {
	byName map[string]*asset // hashed name and plain name
	urls   views.Assets
}

func loadAssets() *assets {
	a := &assets{byName: map[string]*asset{}}
	hashed := map[string]string{}
	entries, err := fs.ReadDir(static.FS, ".")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".go") {
			continue
		}
		body, err := fs.ReadFile(static.FS, name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:5])
		ext := path.Ext(name)
		hn := strings.TrimSuffix(name, ext) + "." + h + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		as := &asset{body: body, ctype: ct, etag: `"` + h + `"`}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if gz.Len() < len(body) {
			as.gz = gz.Bytes()
		}
		a.byName[hn] = as
		a.byName[name] = as
		hashed[name] = views.StaticPath(hn)
	}
	a.urls = views.Assets{CSS: hashed["app.css"], JS: hashed["app.js"], Icon: hashed["favicon.svg"], Offline: hashed["offline.js"]}
	return a
}

// serveStatic serves a static file: for a year under its hashed name,
// revalidated under its plain name.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	a, ok := s.assets.byName[name]
	if !ok {
		return errNotFoundPage
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	if strings.Count(name, ".") >= 2 {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.Write(body)
	return nil
}
