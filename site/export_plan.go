package site

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// An incremental export renders only what may have changed. Most of a
// registry's files belong to one certificate (its pages and feed in both
// languages, its JSON record, its verdict pages and QR images) or to one
// holder (the holder's pages). Each such group has a key: a hash of
// everything its files are made from. The export keeps the keys it wrote
// in a manifest in the folder; a group whose key is unchanged is not
// rendered again. The files shared by many certificates (home, lists,
// bodies, schemes, statistics, feeds, sitemaps, the search index, the log)
// are rendered every time and written when their bytes changed.
//
// A certificate's key covers its record (number, version, last change), its
// status on the export day (expiry is derived from the day), and its latest
// log entry; and, through the salt, everything every page is made from: the
// program itself (templates, translations, assets), the base URL, the
// signing keys and the bodies. A page skipped keeps the "as of" time of the
// export that wrote it, which stays true: nothing it shows has changed.

// manifestName is the manifest's file in the export folder. It holds
// only hashes of public data.
const manifestName = ".certreg-export.json"

const manifestFormat = "certreg-export/1"

// Files each certificate and holder group has (the open data downloads
// are a group of their own, keyed by every certificate's key).
const (
	certFileCount   = 11 // page ×2, feed ×2, JSON, verdict page ×2, QR SVG and PNG ×3
	holderFileCount = 2  // page ×2
)

type exportManifest struct {
	Format       string            `json:"format"`
	Salt         string            `json:"salt"`
	Certificates map[string]string `json:"certificates"` // URL number → key
	Holders      map[string]string `json:"holders"`      // credit code → key
	// QRSalt keys the QR images, which are named by their signature
	// token: one whose file exists is current while the base URL (the
	// rest of its content) and the drawing are the same.
	QRSalt string `json:"qr_salt"`
	// Data keys the open data downloads, made from every certificate.
	Data string `json:"data"`
	// LogEntries is how many of the log's entries the folder holds: an
	// entry never changes once written.
	LogEntries int64 `json:"log_entries"`
}

// exportPlan is what an export renders and what it knows to be current.
type exportPlan struct {
	next        exportManifest
	certs       map[string]bool // URL number → current (true: not rendered)
	holders     map[string]bool // credit code → current
	changed     []*registry.Certificate
	index       *searchIndex
	current     int   // files known current, not rendered
	trusted     bool  // the folder holds an export with the same salt
	logEntries  int64 // entries the folder holds, when trusted
	qrCurrent   bool  // QR image files in the folder are current
	dataCurrent bool  // the open data downloads are current
	logByCert   map[int64]int64
}

// planExport reads the registry once: it keys every certificate and
// holder, compares the keys with the manifest in dir (ignored when full),
// keeps the certificates to render and builds the search index.
func (s *Server) planExport(ctx context.Context, h http.Handler, dir string, full bool) (*exportPlan, error) {
	salt, err := s.exportSalt(ctx, h)
	if err != nil {
		return nil, err
	}
	old := readManifest(dir)
	qrSalt := hashKey(qrimage.Drawing, s.cfg.BaseURL)
	qrCurrent := old.QRSalt == qrSalt
	if full || old.Format != manifestFormat || old.Salt != salt {
		old = exportManifest{}
	}
	trusted := old.Salt != ""
	logEntries := old.LogEntries
	p := &exportPlan{
		next:       exportManifest{Format: manifestFormat, Salt: salt, QRSalt: qrSalt, Certificates: map[string]string{}, Holders: map[string]string{}},
		certs:      map[string]bool{},
		holders:    map[string]bool{},
		index:      newSearchIndex(s.store.Schemes()),
		trusted:    trusted,
		logEntries: logEntries,
		qrCurrent:  qrCurrent,
	}
	// How many witnesses cosigned the tree, and its size: a page saying
	// so is rendered again when that changes.
	var witnesses int
	var witnessedSize int64
	if s.cfg.Log != nil {
		if p.logByCert, err = s.cfg.Log.LatestEntries(ctx); err != nil {
			return nil, err
		}
		if witnesses, witnessedSize, err = s.cfg.Log.Witnessed(ctx, s.cfg.Witnesses); err != nil {
			return nil, err
		}
	}
	now := s.store.Now()
	holderKeys := map[string][]string{}
	data := sha256.New()
	err = s.store.EachCertificate(ctx, 0, func(c *registry.Certificate) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		status := c.EffectiveStatus(now)
		p.index.add(c, status)
		un := views.URLNumber(c.Number)
		idx, logged := p.logByCert[c.ID]
		if !logged {
			idx = -1
		}
		key := hashKey(salt, c.Number, strconv.FormatInt(c.Version, 10), c.UpdatedAt.UTC().Format("2006-01-02T15:04:05.999999999"), string(status), strconv.FormatInt(idx, 10))
		if logged && idx < witnessedSize {
			key = hashKey(key, "witnesses", strconv.Itoa(witnesses))
		}
		p.next.Certificates[un] = key
		data.Write([]byte(key))
		if old.Certificates[un] == key {
			p.certs[un] = true
			p.current += certFileCount
		} else {
			p.certs[un] = false
			p.changed = append(p.changed, c)
		}
		holderKeys[c.HolderCreditCode] = append(holderKeys[c.HolderCreditCode], key)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	p.next.Data = hashKey(salt, base64.RawURLEncoding.EncodeToString(data.Sum(nil)))
	if old.Data == p.next.Data {
		p.dataCurrent = true
		p.current += len(dataDownloads)
	}
	for code, keys := range holderKeys {
		slices.Sort(keys)
		key := hashKey(append([]string{salt, code}, keys...)...)
		p.next.Holders[code] = key
		cur := old.Holders[code] == key
		p.holders[code] = cur
		if cur {
			p.current += holderFileCount
		}
	}
	return p, nil
}

// seeds returns the paths of the holders to render: the crawl reaches
// most holders only through certificates, which exportCertificates
// renders without the crawl.
func (p *exportPlan) seeds() []string {
	var out []string
	for code, cur := range p.holders {
		if !cur {
			hp := views.HolderPath(code)
			out = append(out, hp, i18n.EN.Path(hp))
		}
	}
	slices.Sort(out)
	return out
}

// isCurrent reports whether the file at URL path u belongs to a group
// whose key is unchanged: the crawl neither fetches nor counts it again.
func (p *exportPlan) isCurrent(u string) bool {
	_, u = i18n.Split(u)
	if rest, ok := strings.CutPrefix(u, views.CertificatesPath+"/"); ok {
		return p.certs[strings.TrimSuffix(rest, "/feed.atom")]
	}
	if rest, ok := strings.CutPrefix(u, views.APICertificatesPath+"/"); ok {
		return p.certs[rest]
	}
	if rest, ok := strings.CutPrefix(u, "/holders/"); ok {
		return p.holders[rest]
	}
	return slices.Contains(dataDownloads, u) && p.dataCurrent
}

// dataDownloads are the open data files, made from every certificate.
var dataDownloads = []string{views.DataCSVPath, views.DataNDJSONPath}

// exportSalt hashes what every page is made from besides its own data:
// the program, the base URL, the published keys and the bodies.
func (s *Server) exportSalt(ctx context.Context, h http.Handler) (string, error) {
	exe, err := programHash()
	if err != nil {
		return "", err
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, views.KeySetPath, nil))
	if rec.Code != http.StatusOK {
		return "", fmt.Errorf("export: the key set answers %d", rec.Code)
	}
	bodies, err := s.store.Bodies(ctx)
	if err != nil {
		return "", err
	}
	bj, err := json.Marshal(bodies)
	if err != nil {
		return "", err
	}
	verifier := ""
	if s.cfg.Log != nil {
		verifier = s.cfg.LogKey
	}
	return hashKey(manifestFormat, exe, s.cfg.BaseURL, rec.Body.String(), string(bj), verifier), nil
}

var programHash = sync.OnceValues(func() (string, error) {
	name, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
})

// hashKey hashes parts, each length-prefixed so that no two lists of
// parts hash alike.
func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// readManifest reads dir's manifest; a missing or unreadable one is
// empty, which makes the export render everything.
func readManifest(dir string) exportManifest {
	var m exportManifest
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return exportManifest{}
	}
	return m
}

// writeManifest replaces dir's manifest, atomically as every exported
// file: it is written last, so an export that stopped half-way renders
// again what it had not finished.
func writeManifest(out *exportFolder, m exportManifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = writeIfChanged(out, &exportFile{path: "/" + manifestName, body: b, ctype: "application/json"})
	return err
}
