package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// The static export writes the public site as files by requesting every
// page from the site's own handler — the one `serve` runs — and following
// the links of each page, so that the export and the live site cannot
// drift: a page exists in the export exactly when a link reaches it live.

// ExportResult says what an export did.
type ExportResult struct {
	Files     int // files the export holds
	Written   int // of which written (new or changed)
	Unchanged int // of which already current
	// Current counts, among the unchanged, the files of certificates and
	// holders that did not change since the last export: not rendered.
	Current int
	// Rendered counts the certificates whose files were rendered.
	Rendered int
	// Keyed counts the certificates read to be keyed: every one on a
	// first or --full export, otherwise only those that may have changed
	// since the last export's position (events, log entries, expiry).
	Keyed int
	// LiveOnly lists links a static copy cannot serve, which need the live
	// registry: those with a query (filters, pagination, search), and a
	// resource whose path is also the directory of others.
	LiveOnly []string
	// Broken lists links that answer an error on the live site too,
	// with the page that links to them.
	Broken   []BrokenLink
	Duration time.Duration
}

// ExportOptions says what to export besides the site's pages.
type ExportOptions struct {
	// Extra lists paths no page links to that the export must hold (the
	// log's tiles, say).
	Extra []string
	// Full renders every page again, ignoring what the last export into
	// the folder recorded; QR images, named by their content, are kept
	// while current.
	Full bool
}

// BrokenLink is a link whose target answers an error.
type BrokenLink struct {
	From, To string
	Status   int
}

// exportFile is one resource fetched through the handler.
type exportFile struct {
	path  string // URL path
	body  []byte
	ctype string
}

// Export writes every page reachable from the home pages in both languages,
// and the extra paths (the log's files, say), under dir. Files are written
// atomically, and only when their content changed; the files of
// certificates and holders unchanged since the last export into dir are
// not even rendered (see exportPlan). An HTML page at /a/b is written to
// a/b/index.html (the same URL under any static server); any other
// resource to a/b.
func (s *Server) Export(ctx context.Context, dir string, opt ExportOptions) (*ExportResult, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	out := &exportFolder{dir: dir}
	var err error
	if out.fresh, err = emptyFolder(dir); err != nil {
		return nil, err
	}
	h := s.Handler()
	plan, err := s.planExport(ctx, h, dir, opt.Full)
	if err != nil {
		return nil, err
	}
	res := &ExportResult{Current: plan.current, Files: plan.current, Unchanged: plan.current, Rendered: len(plan.changed), Keyed: plan.keyed}
	var (
		mu       sync.Mutex
		seen     = map[string]bool{}
		liveOnly = map[string]bool{}
		referrer = map[string]string{} // the page that first linked to each path
		queue    []string
		errOnce  error
	)
	// The certificates that changed first, each whole in one worker (its
	// QR symbol encoded once for its page and its images); the links
	// their pages hold join the crawl's start.
	certLinks, err := s.exportCertificates(ctx, h, out, res, plan)
	if err != nil {
		return nil, err
	}
	// enqueue adds a path to fetch, once; the files of a certificate or
	// holder known current are neither fetched nor counted again.
	enqueue := func(p string) {
		if !seen[p] {
			seen[p] = true
			if !plan.isCurrent(p) {
				queue = append(queue, p)
			}
		}
	}
	// Start from the home pages, the files for crawlers, the pages of the
	// certificates and holders that changed (most certificates are linked
	// only from paginated lists, whose further pages need the live
	// registry), and the extra paths. The published key set is linked from
	// no page, but the verdict pages check QR codes against it.
	seeds := append([]string{views.HomePath, i18n.EN.Path(views.HomePath), views.RobotsPath, views.SitemapPath, views.KeySetPath}, plan.seeds()...)
	for _, p := range seeds {
		enqueue(p)
	}
	for _, l := range certLinks {
		if strings.Contains(l, "?") {
			liveOnly[l] = true
		} else {
			enqueue(l)
		}
	}
	for _, p := range opt.Extra {
		if n, ok := logEntry(p); ok {
			plan.next.LogEntries = max(plan.next.LogEntries, n+1)
		}
		if plan.trusted && plan.logFileCurrent(dir, p) {
			// Written by an earlier export of this log, and never changed
			// since: the log only grows.
			seen[p] = true
			res.Files++
			res.Unchanged++
			res.Current++
			continue
		}
		enqueue(p)
	}
	for len(queue) > 0 {
		batch := queue
		queue = nil
		work := make(chan string)
		var wg sync.WaitGroup
		for range exportWorkers() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range work {
					f, status, links, err := s.exportOne(h, p)
					changed, collided := false, false
					if err == nil && status == http.StatusOK {
						changed, err = writeIfChanged(out, f)
						if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) {
							// A resource whose path is also a directory of
							// others (a JSON list beside its items): a file
							// tree cannot hold both.
							collided, err = true, nil
						}
					}
					mu.Lock()
					if collided {
						liveOnly[p] = true
						mu.Unlock()
						continue
					}
					switch {
					case err != nil:
						if errOnce == nil {
							errOnce = err
						}
					case status != http.StatusOK:
						// Reported with its referrer below.
					default:
						res.Files++
						if changed {
							res.Written++
						} else {
							res.Unchanged++
						}
					}
					for _, l := range links {
						if strings.Contains(l, "?") {
							liveOnly[l] = true
							continue
						}
						if !seen[l] {
							// Fetch it; remember who linked, to report it
							// if it is broken.
							referrer[l] = p
						}
						enqueue(l)
					}
					if status != http.StatusOK && err == nil {
						res.Broken = append(res.Broken, BrokenLink{From: referrer[p], To: p, Status: status})
					}
					mu.Unlock()
				}
			}()
		}
		for _, p := range batch {
			if ctx.Err() != nil {
				break
			}
			work <- p
		}
		close(work)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if errOnce != nil {
			return nil, errOnce
		}
	}
	if err := s.exportOffline(ctx, out, res, plan); err != nil {
		return nil, err
	}
	// Files are not flushed one by one: every file the export wrote is
	// made durable at once, before the manifest that says they are
	// current, and the manifest after it. A crash before the first flush
	// leaves each file old, new or (on some file systems) empty, under
	// the old manifest, which the next export does not trust for the
	// certificates that changed: it renders and compares them again.
	if err := syncFolder(dir); err != nil {
		return nil, err
	}
	if err := writeManifest(out, plan.next); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := syncFolder(dir); err != nil {
		return nil, err
	}
	for l := range liveOnly {
		res.LiveOnly = append(res.LiveOnly, l)
	}
	sort.Strings(res.LiveOnly)
	sort.Slice(res.Broken, func(i, j int) bool { return res.Broken[i].To < res.Broken[j].To })
	res.Duration = time.Since(start)
	return res, nil
}

// logFileCurrent reports whether the log's file at URL path p is in
// the folder and current: an entry the last export wrote, or a full tile
// whose file exists (a partial one, under ".p/", is replaced by the full
// tile as the log grows). Neither ever changes once written.
func (p *exportPlan) logFileCurrent(dir, u string) bool {
	if n, ok := logEntry(u); ok {
		return n < p.logEntries
	}
	return strings.HasPrefix(u, "/log/tile/") && !strings.Contains(u, ".p/") && fileExists(dir, u)
}

// logEntry returns the index of the log entry at URL path u.
func logEntry(u string) (int64, bool) {
	rest, ok := strings.CutPrefix(u, "/log/entry/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n >= 0
}

// fileExists reports whether the non-HTML resource at URL path p is in
// the export folder.
func fileExists(dir, p string) bool {
	name, err := exportName(dir, &exportFile{path: p})
	if err != nil {
		return false
	}
	_, err = os.Stat(name)
	return err == nil
}

// exportOne fetches path p through the handler and returns the resource,
// its status and the same-site links it holds (HTML pages only).
func (s *Server) exportOne(h http.Handler, p string) (*exportFile, int, []string, error) {
	req := httptest.NewRequest(http.MethodGet, p, nil)
	req.Header.Set("User-Agent", CrawlerUserAgent)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	status := rec.Code
	if status >= 300 && status < 400 {
		if loc := rec.Header().Get("Location"); loc != "" {
			if l, ok := s.sameSite(p, loc); ok {
				return nil, status, []string{l}, nil
			}
		}
		return nil, status, nil, nil
	}
	if status != http.StatusOK {
		return nil, status, nil, nil
	}
	f := &exportFile{path: p, body: rec.Body.Bytes(), ctype: rec.Header().Get("Content-Type")}
	var links []string
	if strings.Contains(f.ctype, "html") || strings.Contains(f.ctype, "xml") {
		links = Links(f.body, s.cfg.BaseURL) // pages, feeds and sitemaps
	}
	return f, status, links, nil
}

// sameSite resolves a link found on page p and returns its path (with its
// query, if any) when it points into this site.
func (s *Server) sameSite(p, link string) (string, bool) {
	base, err := url.Parse(s.cfg.BaseURL + p)
	if err != nil {
		return "", false
	}
	u, err := base.Parse(link)
	if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
		return "", false
	}
	out := u.EscapedPath()
	if out == "" {
		out = "/"
	}
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, true
}

// exportName is the file an exported resource is written to.
func exportName(dir string, f *exportFile) (string, error) {
	p, err := url.PathUnescape(f.path)
	if err != nil {
		return "", err
	}
	clean := path.Clean("/" + p)
	if clean != strings.TrimSuffix(p, "/") && clean != p {
		return "", fmt.Errorf("export: path %q is not clean", f.path)
	}
	name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(clean, "/")))
	if strings.HasPrefix(f.ctype, "text/html") {
		name = filepath.Join(name, "index.html")
	}
	return name, nil
}

// exportFolder is the folder an export writes to.
type exportFolder struct {
	dir  string
	dirs dirSet // directories made
	// fresh says the folder was empty when the export began: no file
	// can hold old bytes, so none is read first, and each is created in
	// place rather than renamed over an old one. Nothing serves a folder
	// before its first export is done; a crash leaves no manifest, so
	// the next export writes every file again.
	fresh bool
}

// emptyFolder reports whether dir holds nothing.
func emptyFolder(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("export: %w", err)
	}
	return len(names) == 0, nil
}

// writeIfChanged writes f's file atomically unless it already holds the
// same bytes, and reports whether it wrote.
func writeIfChanged(out *exportFolder, f *exportFile) (bool, error) {
	name, err := exportName(out.dir, f)
	if err != nil {
		return false, err
	}
	if err := out.makeDir(filepath.Dir(name)); err != nil {
		return false, err
	}
	if out.fresh {
		// Three calls (open, write, close) instead of six: no old file
		// to read, no temporary name to rename.
		w, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = w.Write(f.body)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(name)
				return false, err
			}
			return true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		// Written already (or a directory of that name): compare, or
		// report the collision, as in a folder that was not empty.
	}
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, f.body) {
		return false, nil
	}
	// A temporary name of our own (not os.CreateTemp) so that the file is
	// created readable by the web server in one call; O_EXCL makes sure it
	// is a new file.
	tmp := filepath.Join(filepath.Dir(name), ".export-"+strconv.FormatUint(rand.Uint64(), 36))
	w, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, err
	}
	_, err = w.Write(f.body)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return false, err
	}
	return true, nil
}

// makeDir makes directory d and its parents. In a fresh folder nothing
// exists but what the export made (out.dirs): parents are made first,
// one call a directory. Otherwise d is tried first: it or its parent
// usually exists.
func (out *exportFolder) makeDir(d string) error {
	if !out.fresh || out.dirs.has(d) {
		return makeDir(d, &out.dirs)
	}
	if p := filepath.Dir(d); p != d && len(p) >= len(out.dir) && !out.dirs.has(p) {
		if err := out.makeDir(p); err != nil {
			return err
		}
	}
	err := os.Mkdir(d, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return makeDir(d, &out.dirs) // says whether it is a directory
	}
	if err != nil {
		return err
	}
	out.dirs.add(d)
	return nil
}

// makeDir makes directory d and its parents, remembering in dirs those
// known to exist: most of an export's files are alone in a new directory
// of their own, whose parent is already made.
func makeDir(d string, dirs *dirSet) error {
	if dirs.has(d) {
		return nil
	}
	err := os.Mkdir(d, 0o755)
	if errors.Is(err, fs.ErrNotExist) {
		if err = makeDir(filepath.Dir(d), dirs); err == nil {
			err = os.Mkdir(d, 0o755)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if errors.Is(err, fs.ErrExist) {
		// A file of that name is not a directory: the caller reports
		// the collision.
		if fi, serr := os.Stat(d); serr != nil || !fi.IsDir() {
			return syscall.ENOTDIR
		}
	}
	dirs.add(d)
	return nil
}

// dirSet remembers directories known to exist, at most dirSetMax: a cold
// export of 100,000 certificates makes a million directories, most
// holding one certificate's file or two, written one after the other. A
// directory forgotten is made again at the cost of one call that finds
// it exists; the garbage collector no longer scans a million names.
type dirSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

const dirSetMax = 1 << 16

func (s *dirSet) has(d string) bool {
	s.mu.Lock()
	_, ok := s.m[d]
	s.mu.Unlock()
	return ok
}

func (s *dirSet) add(d string) {
	s.mu.Lock()
	if s.m == nil || len(s.m) >= dirSetMax {
		s.m = make(map[string]struct{}, 1024)
	}
	s.m[d] = struct{}{}
	s.mu.Unlock()
}

// exportWorkers is how many pages are rendered and written at once: more
// than the processors, as a worker waits on the file system as long as it
// renders.
func exportWorkers() int { return 4 * runtime.GOMAXPROCS(0) }
