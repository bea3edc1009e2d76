package site

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// exportCertificates writes the files of every certificate that changed
// (see exportPlan), each certificate whole in one worker: its QR symbol
// is encoded once, for its four images and the drawing its pages show,
// and its files are written while its row is at hand. Workers are
// bounded (exportWorkers), and so is what each holds: one certificate's
// files at a time. It returns the links the certificates' pages hold to
// other pages (their holders, bodies, schemes), for the crawl.
func (s *Server) exportCertificates(ctx context.Context, h http.Handler, out *exportFolder, res *ExportResult, plan *exportPlan) ([]string, error) {
	now := s.store.Now()
	var (
		mu    sync.Mutex // guards res and links
		links = map[string]bool{}
	)
	// The first failure stops the rest: g's context ends with it.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(exportWorkers())
	for _, c := range plan.changed {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			var r ExportResult
			ls, err := s.exportCertificate(gctx, h, out, &r, c, now, plan.qrCurrent)
			if err != nil {
				return fmt.Errorf("export certificate %s: %w", c.Number, err)
			}
			mu.Lock()
			defer mu.Unlock()
			res.Files, res.Written, res.Unchanged = res.Files+r.Files, res.Written+r.Written, res.Unchanged+r.Unchanged
			res.Broken = append(res.Broken, r.Broken...)
			res.LiveOnly = append(res.LiveOnly, r.LiveOnly...)
			for _, l := range ls {
				links[l] = true
			}
			return nil
		})
	}
	err := g.Wait()
	if ctx.Err() != nil { // cancelled from outside: say so, not which worker saw it
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	// Every certificate's files are written: the crawl leaves them be.
	clear(plan.staleCerts)
	out2 := make([]string, 0, len(links))
	for l := range links {
		if !plan.isCurrent(l) {
			out2 = append(out2, l)
		}
	}
	slices.Sort(out2)
	return out2, nil
}

// exportCertificate writes one certificate's files: its QR images (first,
// so that its pages find their drawing in the image cache), its pages and
// feeds in both languages, its JSON record and its verdict pages. A row
// that differs from its log (edited on the file) gets no signed QR code
// and no offline verdict: the copy's generic page at /V/ answers its QR
// URL and sends the reader to the live registry. The failure is logged at
// error level (integrity.go).
func (s *Server) exportCertificate(ctx context.Context, h http.Handler, out *exportFolder, res *ExportResult, c *registry.Certificate, now time.Time, qrCurrent bool) ([]string, error) {
	ok, err := s.checkRow(ctx, c)
	if err != nil {
		return nil, err
	}
	cl := registry.ClaimsOf(c)
	qs, err := s.verify.keys.SignClaims(cl)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := s.exportQR(out, res, qs, qrCurrent); err != nil {
			return nil, err
		}
	}
	cp, fp := views.CertificatePath(c.Number), views.CertificateFeedPath(c.Number)
	var links []string
	for _, p := range []string{cp, i18n.EN.Path(cp), fp, i18n.EN.Path(fp), views.APICertificatePath(c.Number)} {
		f, status, ls, err := s.exportOne(h, p)
		if err != nil {
			return nil, err
		}
		links = append(links, ls...)
		if status != http.StatusOK {
			if status < 300 || status >= 400 {
				res.Broken = append(res.Broken, BrokenLink{To: p, Status: status})
			}
			continue
		}
		err = exportWrite(out, f, res)
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) {
			// A resource whose path is also a directory of others: a
			// file tree cannot hold both.
			res.LiveOnly = append(res.LiveOnly, p)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	if ok {
		if err := s.exportVerdict(ctx, out, res, c, qs, cl, now); err != nil {
			return nil, err
		}
	}
	return links, nil
}
