package site

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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

const manifestFormat = "certreg-export/2"

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
	// CertHolders names each certificate's holder (URL number → credit
	// code): a holder whose certificate moved to another is keyed again.
	CertHolders map[string]string `json:"cert_holders"`
	// QRSalt keys the QR images, which are named by their signature
	// token: one whose file exists is current while the base URL (the
	// rest of its content) and the drawing are the same.
	QRSalt string `json:"qr_salt"`
	// Data keys the open data downloads, made from every certificate:
	// the exclusive or of a hash of each certificate's number and key
	// (dataKey), which an incremental export updates for the
	// certificates it keyed again.
	Data string `json:"data"`
	// LogEntries is how many of the log's entries the folder holds: an
	// entry never changes once written.
	LogEntries int64 `json:"log_entries"`
	// Position is where the registry stood when the export read it: the
	// next export reads only what changed since.
	Position *exportPosition `json:"position,omitempty"`
}

// exportPosition is where the registry stood for an export: what the
// certificates' keys were made from besides their own rows.
type exportPosition struct {
	Event int64  `json:"event"`    // the last event's id
	Log   int64  `json:"log_size"` // the latest checkpoint's size
	Day   string `json:"day"`      // the day statuses were read on (China time)
	// The witnesses that cosigned the log and the size they cosigned.
	Witnesses     int   `json:"witnesses"`
	WitnessedSize int64 `json:"witnessed_size"`
}

// exportPlan is what an export renders and what it knows to be current.
type exportPlan struct {
	next         exportManifest
	staleCerts   map[string]bool // URL numbers of the certificates to render
	staleHolders map[string]bool // credit codes of the holders to render
	changed      []*registry.Certificate
	index        *searchIndex
	current      int   // files known current, not rendered
	trusted      bool  // the folder holds an export with the same salt
	logEntries   int64 // entries the folder holds, when trusted
	qrCurrent    bool  // QR image files in the folder are current
	dataCurrent  bool  // the open data downloads are current
	// incremental says the plan was made from the changes since the
	// last export's position, without keying every certificate.
	incremental bool
	keyed       int // certificates read and keyed
	// fullSitemaps is how many certificate sitemaps the folder holds
	// full: each lists sitemapChunk certificates in registration order,
	// and certificates are never deleted nor renumbered, so a full one
	// never changes (while the salt, the base URL with it, is the same).
	fullSitemaps int
}

// planExport keys what changed since the export recorded in dir's
// manifest (ignored when full) and keeps the certificates and holders to
// render; it builds the search index.
//
// When the manifest's position is usable, only the certificates that may
// have changed since are read and keyed (planChanges): those with an
// event or a log entry since, and those that expired between the two
// days. Otherwise, or with --full, every certificate is keyed (planAll).
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
	p := &exportPlan{
		next:         exportManifest{Format: manifestFormat, Salt: salt, QRSalt: qrSalt},
		staleCerts:   map[string]bool{},
		staleHolders: map[string]bool{},
		index:        newSearchIndex(s.store.Schemes()),
		trusted:      old.Salt != "",
		logEntries:   old.LogEntries,
		qrCurrent:    qrCurrent,
	}
	// How many witnesses cosigned the tree, and its size: a page saying
	// so is rendered again when that changes.
	var pos exportPosition
	if s.cfg.Log != nil {
		if pos.Witnesses, pos.WitnessedSize, err = s.cfg.Log.Witnessed(ctx, s.cfg.Witnesses); err != nil {
			return nil, err
		}
	}
	if pos.Event, pos.Log, err = s.store.ExportPosition(ctx); err != nil {
		return nil, err
	}
	now := s.store.Now()
	day := registry.Today(now)
	pos.Day = day.Format(registry.DateLayout)
	p.next.Position = &pos
	k := &certKeyer{salt: salt, now: now, pos: pos, log: s.cfg.Log != nil}
	if op := old.Position; op != nil && old.CertHolders != nil && op.Witnesses == pos.Witnesses &&
		op.Event <= pos.Event && op.Log <= pos.Log && op.WitnessedSize <= pos.WitnessedSize && op.Day <= pos.Day {
		err = s.planChanges(ctx, p, k, &old)
	} else {
		err = s.planAll(ctx, p, k, &old)
	}
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if p.incremental {
		// The search index lists every certificate, numbered newest
		// first: it is built from every row, read narrow.
		err = s.store.EachSearchRow(ctx, func(c *registry.Certificate) error {
			p.index.add(c, c.EffectiveStatus(now))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	if old.Data != "" && old.Data == p.next.Data {
		p.dataCurrent = true
		p.current += len(dataDownloads)
	}
	p.current += certFileCount*(len(p.next.Certificates)-len(p.staleCerts)) + holderFileCount*(len(p.next.Holders)-len(p.staleHolders)) + p.fullSitemaps
	return p, nil
}

// certKeyer makes certificates' keys.
type certKeyer struct {
	salt string
	now  time.Time
	pos  exportPosition
	log  bool // the registry has a log: certificates have entries
}

// key hashes everything a certificate's files are made from besides the
// salt: its record's version and last change, its status on the day, its
// latest log entry and whether witnesses cosigned it.
func (k *certKeyer) key(c *registry.Certificate, idx int64) string {
	key := hashKey(k.salt, c.Number, strconv.FormatInt(c.Version, 10), c.UpdatedAt.UTC().Format("2006-01-02T15:04:05.999999999"), string(c.EffectiveStatus(k.now)), strconv.FormatInt(idx, 10))
	if idx >= 0 && idx < k.pos.WitnessedSize {
		key = hashKey(key, "witnesses", strconv.Itoa(k.pos.Witnesses))
	}
	return key
}

// planAll keys every certificate and holder, reading the whole registry
// once (and building the search index from the same rows).
func (s *Server) planAll(ctx context.Context, p *exportPlan, k *certKeyer, old *exportManifest) error {
	var logByCert map[int64]int64
	if k.log {
		var err error
		if logByCert, err = s.cfg.Log.LatestEntries(ctx); err != nil {
			return err
		}
	}
	p.next.Certificates, p.next.CertHolders, p.next.Holders = map[string]string{}, map[string]string{}, map[string]string{}
	holderKeys := map[string][]string{}
	var data dataKey
	err := s.store.EachCertificate(ctx, 0, func(c *registry.Certificate) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.index.add(c, c.EffectiveStatus(k.now))
		un := views.URLNumber(c.Number)
		idx, logged := logByCert[c.ID]
		if !logged {
			idx = -1
		}
		key := k.key(c, idx)
		p.keyed++
		p.next.Certificates[un] = key
		p.next.CertHolders[un] = c.HolderCreditCode
		data.toggle(un, key)
		if old.Certificates[un] != key {
			p.staleCerts[un] = true
			p.changed = append(p.changed, c)
		}
		holderKeys[c.HolderCreditCode] = append(holderKeys[c.HolderCreditCode], key)
		return nil
	})
	if err != nil {
		return err
	}
	p.next.Data = data.String()
	for code, keys := range holderKeys {
		p.next.Holders[code] = holderKey(p.next.Salt, code, keys)
		if old.Holders[code] != p.next.Holders[code] {
			p.staleHolders[code] = true
		}
	}
	return nil
}

// dataKey is the exclusive or of a hash of every certificate's number
// and key: the same whatever the order, and updated for one certificate
// by toggling its old and its new key.
type dataKey [sha256.Size]byte

func (d *dataKey) toggle(un, key string) {
	h := sha256.Sum256([]byte(un + "\x00" + key))
	for i := range d {
		d[i] ^= h[i]
	}
}

func (d dataKey) String() string { return base64.RawURLEncoding.EncodeToString(d[:]) }

func parseDataKey(s string) (dataKey, error) {
	var d dataKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("manifest data key %q is not one", s)
	}
	copy(d[:], b)
	return d, nil
}

// holderKey hashes a holder's certificates' keys.
func holderKey(salt, code string, keys []string) string {
	slices.Sort(keys)
	return hashKey(append([]string{salt, code}, keys...)...)
}

// planChanges keys only the certificates that may have changed since the
// last export's position, read by index (Store.ExportChanged), and the
// holders they belong to (or belonged to); every other key is the last
// export's.
func (s *Server) planChanges(ctx context.Context, p *exportPlan, k *certKeyer, old *exportManifest) error {
	op := old.Position
	fromDay, err := time.Parse(registry.DateLayout, op.Day)
	if err != nil {
		return fmt.Errorf("manifest day %q: %w", op.Day, err)
	}
	// Entries logged since, and those the witnesses newly cosigned.
	fromLog := op.Log
	if op.WitnessedSize < k.pos.WitnessedSize {
		fromLog = min(fromLog, op.WitnessedSize)
	}
	ids, err := s.store.ExportChanged(ctx, op.Event, fromLog, k.pos.Log, fromDay, registry.Today(k.now))
	if err != nil {
		return err
	}
	p.incremental, p.keyed = true, len(ids)
	p.fullSitemaps = len(old.Certificates) / sitemapChunk
	p.next.Certificates, p.next.CertHolders, p.next.Holders = cloneMap(old.Certificates), cloneMap(old.CertHolders), cloneMap(old.Holders)
	holders := map[string]bool{} // holders to key again
	data, err := parseDataKey(old.Data)
	if err != nil {
		return s.planAll(ctx, p, k, old) // a damaged manifest: key everything
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		cs, err := s.store.CertificatesByID(ctx, ids[:n])
		if err != nil {
			return err
		}
		ids = ids[n:]
		for _, c := range cs {
			idx := int64(-1)
			if k.log {
				i, ok, err := s.store.CheckpointedLeaf(ctx, c.ID)
				if err != nil {
					return err
				}
				if ok {
					idx = i
				}
			}
			key := k.key(c, idx)
			un := views.URLNumber(c.Number)
			if code, ok := p.next.CertHolders[un]; ok && code != c.HolderCreditCode {
				holders[code] = true
			}
			holders[c.HolderCreditCode] = true
			p.next.CertHolders[un] = c.HolderCreditCode
			if was := p.next.Certificates[un]; was != key {
				p.staleCerts[un] = true
				p.changed = append(p.changed, c)
				if was != "" {
					data.toggle(un, was)
				}
				data.toggle(un, key)
			}
			p.next.Certificates[un] = key
		}
	}
	p.next.Data = data.String()
	if len(holders) == 0 {
		return nil
	}
	holderKeys := map[string][]string{}
	for un, code := range p.next.CertHolders {
		if holders[code] {
			holderKeys[code] = append(holderKeys[code], p.next.Certificates[un])
		}
	}
	for code := range holders {
		keys, ok := holderKeys[code]
		if !ok {
			delete(p.next.Holders, code)
			continue
		}
		p.next.Holders[code] = holderKey(p.next.Salt, code, keys)
		if old.Holders[code] != p.next.Holders[code] {
			p.staleHolders[code] = true
		}
	}
	return nil
}

// cloneMap copies m; nil (an empty registry's manifest) becomes empty.
func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

// seeds returns the paths of the holders to render: the crawl reaches
// most holders only through certificates, which exportCertificates
// renders without the crawl.
func (p *exportPlan) seeds() []string {
	var out []string
	for code := range p.staleHolders {
		hp := views.HolderPath(code)
		out = append(out, hp, i18n.EN.Path(hp))
	}
	slices.Sort(out)
	return out
}

// isCurrent reports whether the file at URL path u belongs to a group
// whose key is unchanged: the crawl neither fetches nor counts it again.
func (p *exportPlan) isCurrent(u string) bool {
	_, u = i18n.Split(u)
	if rest, ok := strings.CutPrefix(u, views.CertificatesPath+"/"); ok {
		return p.certCurrent(strings.TrimSuffix(rest, "/feed.atom"))
	}
	if rest, ok := strings.CutPrefix(u, views.APICertificatesPath+"/"); ok {
		return p.certCurrent(rest)
	}
	if rest, ok := strings.CutPrefix(u, "/holders/"); ok {
		_, known := p.next.Holders[rest]
		return known && !p.staleHolders[rest]
	}
	if rest, ok := strings.CutPrefix(u, "/sitemaps/certificates/"); ok {
		n, err := strconv.Atoi(strings.TrimSuffix(rest, ".xml"))
		return err == nil && views.SitemapCertificatesPath(n) == u && n >= 1 && n <= p.fullSitemaps
	}
	return slices.Contains(dataDownloads, u) && p.dataCurrent
}

func (p *exportPlan) certCurrent(un string) bool {
	_, known := p.next.Certificates[un]
	return known && !p.staleCerts[un]
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
