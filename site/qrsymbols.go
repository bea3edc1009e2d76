package site

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
)

// A certificate's page draws its signed QR code from the symbol stored
// beside it (registry.CertificatePage reads it with the certificate),
// when the symbol's sum matches the content the page signs now; otherwise
// it encodes the symbol as before and queues it to be stored. The table is
// filled three ways: `certreg qr --prepare` (all of it, every core),
// serve's background filler (RunQRSymbols: one goroutine, small batches,
// only while no request is in flight, at most half a core) and the pages
// themselves (write-behind, in batches, never in a request's path).

// qrSymbolResults label certreg_qr_symbols_total.
const (
	qrStored  = "stored"  // drawn from the stored symbol
	qrMissing = "missing" // none stored: encoded
	qrStale   = "stale"   // stored for another content: encoded
	qrDamaged = "damaged" // stored bytes malformed: encoded, and logged
)

// qrPendingMax bounds the symbols waiting to be written (about 300 bytes
// each): past it, a page's symbol is not queued (the filler, or a later
// page, stores it).
const qrPendingMax = 4096

// qrSymbols is the write-behind queue and the counts.
type qrSymbols struct {
	mu      sync.Mutex
	pending map[int64]registry.QRSymbol
	results *prometheus.CounterVec
}

func newQRSymbols() *qrSymbols {
	return &qrSymbols{
		pending: map[int64]registry.QRSymbol{},
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certreg_qr_symbols_total",
			Help: "Certificate QR codes drawn for pages, by where the symbol came from: stored (drawn from bits), missing, stale (stored for an older content) or damaged (stored bytes malformed; never drawn).",
		}, []string{"result"}),
	}
}

// queue adds a symbol to be stored, unless the queue is full.
func (q *qrSymbols) queue(sym registry.QRSymbol) {
	q.mu.Lock()
	if len(q.pending) < qrPendingMax {
		q.pending[sym.CertificateID] = sym
	}
	q.mu.Unlock()
}

// take empties the queue.
func (q *qrSymbols) take() []registry.QRSymbol {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil
	}
	out := make([]registry.QRSymbol, 0, len(q.pending))
	for _, s := range q.pending {
		out = append(out, s)
	}
	clear(q.pending)
	return out
}

// qrSymbol returns the symbol of content, certificate c's QR code: the
// stored one when it encodes exactly content and is intact, else a fresh
// encoding (queued to be stored).
func (s *Server) qrSymbol(c *registry.Certificate, content string, stored registry.StoredQR) (qrimage.Symbol, error) {
	result := qrMissing
	if stored.Modules != nil {
		sym, err := qrimage.Unpack(content, s.qrKey(), stored.Sum, stored.Modules)
		switch {
		case err == nil:
			s.qr.results.WithLabelValues(qrStored).Inc()
			return sym, nil
		case errors.Is(err, qrimage.ErrSymbolDamaged):
			result = qrDamaged
			s.log.Error("stored QR symbol is damaged: encoding it again", "number", c.Number)
		default:
			result = qrStale
		}
	}
	s.qr.results.WithLabelValues(result).Inc()
	sym, err := qrimage.Encode(content)
	if err != nil {
		return nil, err
	}
	if sum, modules, err := sym.Pack(content, s.qrKey()); err == nil {
		s.qr.queue(registry.QRSymbol{CertificateID: c.ID, Sum: sum, Modules: modules})
	}
	return sym, nil
}

// QRSymbol returns certificate c's QR code symbol for its current claims
// and the content it encodes, drawn from stored (as registry.QRSymbols
// returns it) when that matches: for callers that draw many, such as the
// static export. Unlike a page it queues nothing; c must have passed its
// integrity check (Store.CheckRow).
func (s *Server) QRSymbol(c *registry.Certificate, stored registry.StoredQR) (qrimage.Symbol, string, error) {
	qs, err := s.verify.keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		return nil, "", err
	}
	content := qs.URL(s.cfg.BaseURL)
	if sym, err := qrimage.Unpack(content, s.qrKey(), stored.Sum, stored.Modules); err == nil {
		return sym, content, nil
	}
	sym, err := qrimage.Encode(content)
	return sym, content, err
}

// flushQRSymbols writes the queued symbols.
func (s *Server) flushQRSymbols(ctx context.Context) error {
	syms := s.qr.take()
	for len(syms) > 0 {
		n := min(len(syms), 256) // one short write transaction each
		if err := s.store.PutQRSymbols(ctx, syms[:n]); err != nil {
			return err
		}
		syms = syms[n:]
	}
	return nil
}

// QRFillStats is what a pass of the filler did.
type QRFillStats struct {
	Read    int // certificates looked at
	Written int // symbols stored (missing, stale or damaged before)
	Skipped int // rows that failed their integrity check: nothing signed
}

// qrBatch is how many certificates the filler reads at a time.
const qrBatch = 64

// fillQRSymbols makes sure the stored symbols of certs match their
// current content, encoding with workers goroutines; it returns the
// symbols to store. A row that fails its integrity check is skipped: the
// registry never signs what its log does not hold.
func (s *Server) fillQRSymbols(ctx context.Context, certs []*registry.Certificate, stored []registry.StoredQR, workers int, st *QRFillStats) ([]registry.QRSymbol, error) {
	out := make([]registry.QRSymbol, len(certs))
	errs := make([]error, len(certs))
	skipped := make([]bool, len(certs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range next {
				out[i], skipped[i], errs[i] = s.fillOne(ctx, certs[i], stored[i])
			}
		})
	}
	for i := range certs {
		next <- i
	}
	close(next)
	wg.Wait()
	syms := out[:0]
	for i := range certs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		st.Read++
		if skipped[i] {
			st.Skipped++
		}
		if out[i].Modules != nil {
			syms = append(syms, out[i])
		}
	}
	st.Written += len(syms)
	return syms, nil
}

// fillOne returns c's symbol to store, or none when the stored one is
// current (or the row fails its integrity check: skipped).
func (s *Server) fillOne(ctx context.Context, c *registry.Certificate, stored registry.StoredQR) (sym registry.QRSymbol, skipped bool, err error) {
	qs, err := s.verify.keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		return sym, false, err
	}
	content := qs.URL(s.cfg.BaseURL)
	if _, err := qrimage.Unpack(content, s.qrKey(), stored.Sum, stored.Modules); err == nil {
		return sym, false, nil
	}
	// Signed only once the row is known to be the logged record: a row
	// edited on the file must not get a stored, genuine signature.
	if ok, err := s.checkRow(ctx, c); err != nil || !ok {
		return sym, err == nil, err
	}
	q, err := qrimage.Encode(content)
	if err != nil {
		return sym, false, err
	}
	sum, modules, err := q.Pack(content, s.qrKey())
	if err != nil {
		return sym, false, fmt.Errorf("certificate %s: %w", c.Number, err)
	}
	return registry.QRSymbol{CertificateID: c.ID, Sum: sum, Modules: modules}, false, nil
}

// PrepareQRSymbols stores every certificate's current QR symbol, with
// workers goroutines encoding (`certreg qr --prepare`). progress, if not
// nil, is called after each batch. The base URL and keys must be those
// serve uses, or its pages will find every symbol stale.
func (s *Server) PrepareQRSymbols(ctx context.Context, workers int, progress func(QRFillStats)) (QRFillStats, error) {
	var st QRFillStats
	after := int64(0)
	lastEvent, err := s.store.LastEventID(ctx)
	if err != nil {
		return st, err
	}
	for {
		certs, stored, err := s.store.QRCandidates(ctx, after, qrBatch*max(workers, 1))
		if err != nil {
			return st, err
		}
		if len(certs) == 0 {
			if st.Skipped > 0 {
				return st, nil // serve's filler walks again
			}
			return st, s.store.SetQRFillState(ctx, s.qrScope(), lastEvent)
		}
		after = certs[len(certs)-1].ID
		syms, err := s.fillQRSymbols(ctx, certs, stored, workers, &st)
		if err != nil {
			return st, err
		}
		if err := s.store.PutQRSymbols(ctx, syms); err != nil {
			return st, err
		}
		if progress != nil {
			progress(st)
		}
	}
}

// Background filler pacing: how long it waits for requests in flight to
// finish before looking again, how often it writes what pages queued (each
// commit makes SQLite drop every other connection's page cache, so not
// often), and how often it looks for changes once it has walked the
// registry.
const (
	qrIdleWait   = 20 * time.Millisecond
	qrFlushEvery = 5 * time.Second
	qrRescan     = 10 * time.Second
)

// RunQRSymbols writes the pages' queued symbols and, at the lowest
// priority, walks the registry storing every certificate's current symbol;
// afterwards it looks every few seconds at the certificates whose events
// are new. A walk that completed for the same keys and base URL (by this
// filler or `qr --prepare`) is not made again: only the certificates with
// events since it began are looked at. It works in batches of qrBatch on
// one goroutine, only while no request is in flight, and sleeps as long as
// each batch took (at most half a core). It returns when ctx ends, after
// writing what is queued.
func (s *Server) RunQRSymbols(ctx context.Context) {
	defer func() {
		// What the pages queued is written before the store closes.
		fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.flushQRSymbols(fctx); err != nil {
			s.log.Error("store QR symbols", "err", err)
		}
	}()
	scope := s.qrScope()
	doneScope, lastEvent, walked, err := s.store.QRFillState(ctx)
	if err == nil && (!walked || doneScope != scope) {
		walked = false
		lastEvent, err = s.store.LastEventID(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("QR symbols: where to start", "err", err)
		}
		return
	}
	var (
		st        QRFillStats
		after     int64
		walkStart = lastEvent
		lastFlush = time.Now()
		lastScan  time.Time
		changed   bool // a batch of changes was handled: record it
	)
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for ctx.Err() == nil {
		if time.Since(lastFlush) >= qrFlushEvery {
			if err := s.flushQRSymbols(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("store QR symbols", "err", err)
			}
			lastFlush = time.Now()
		}
		if s.inflight.Load() > 0 {
			if !wait(qrIdleWait) {
				return
			}
			continue
		}
		var (
			certs  []*registry.Certificate
			stored []registry.StoredQR
		)
		switch {
		case !walked:
			certs, stored, err = s.store.QRCandidates(ctx, after, qrBatch)
			if err == nil && len(certs) == 0 {
				walked = true
				s.log.Info("QR symbols: every certificate's symbol is stored", "read", st.Read, "written", st.Written, "skipped", st.Skipped)
				if st.Skipped == 0 {
					err = s.store.SetQRFillState(ctx, scope, walkStart)
				}
			} else if err == nil {
				after = certs[len(certs)-1].ID
			}
		case time.Since(lastScan) >= qrRescan:
			ids, last, err2 := s.store.CertificatesChangedSince(ctx, lastEvent, qrBatch)
			if err = err2; err == nil && len(ids) > 0 {
				certs, stored, err = s.store.QRCandidatesByID(ctx, ids)
				changed = true
			}
			if err == nil { // else the same events are looked at again
				lastEvent = last
			}
			if len(ids) < qrBatch {
				lastScan = time.Now()
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("QR symbols", "err", err)
			}
			if !wait(qrRescan) {
				return
			}
			continue
		}
		if len(certs) == 0 {
			if !wait(min(qrFlushEvery, qrRescan)) {
				return
			}
			continue
		}
		start := time.Now()
		syms, err := s.fillQRSymbols(ctx, certs, stored, 1, &st)
		if err == nil {
			err = s.store.PutQRSymbols(ctx, syms)
		}
		if err == nil && changed && st.Skipped == 0 {
			err = s.store.SetQRFillState(ctx, scope, lastEvent)
		}
		changed = false
		if err != nil && ctx.Err() == nil {
			s.log.Error("QR symbols", "err", err)
		}
		if !wait(time.Since(start)) {
			return
		}
	}
}

// qrScope names what the stored symbols depend on besides each
// certificate's claims: the stored form, the signing key and the base URL.
func (s *Server) qrScope() string {
	id := ""
	if k := s.verify.keys.Current(); k != nil {
		id = k.ID
	}
	return qrimage.MACLabel + " " + id + " " + s.cfg.BaseURL
}

// qrKey is the key that authenticates stored symbols, derived from the
// current signing key (nil without one: nothing is stored or drawn from
// storage then).
func (s *Server) qrKey() []byte { return s.verify.keys.DerivedKey(qrimage.MACLabel) }
