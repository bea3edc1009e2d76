package site

import (
	"context"
	"sync"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// place words a province and city for a page in lang: the province in
// English on English pages (data/provinces.csv); a city stays as
// registered.
func place(lang i18n.Lang, province, city string) string {
	p := registry.ProvinceName(province, string(lang))
	if city == "" || city == province {
		return p
	}
	return p + " " + city
}

// item returns a certificate as a result list shows it.
func (s *Server) item(lang i18n.Lang, c *registry.Certificate, now time.Time) views.CertItem {
	it := views.CertItem{
		Number: c.Number, URL: views.CertificatePath(c.Number), Holder: c.HolderName,
		Place: registry.ProvinceName(c.Province, string(lang)), Status: c.EffectiveStatus(now), IssueDate: c.IssueDate, Expiry: c.ExpiryDate,
		Body: lang.Pick(c.BodyNameZH, c.BodyNameEN),
	}
	if c.City != "" && c.City != c.Province {
		it.Place += " " + c.City
	}
	if sc, ok := s.store.Schemes().Get(c.SchemeCode); ok {
		it.Scheme = sc.Kind(string(lang))
		if l, ok := sc.Level(c.LevelCode); ok {
			it.Level, it.Stars = l.Name(string(lang)), l.Stars
		}
	}
	return it
}

func (s *Server) items(lang i18n.Lang, cs []*registry.Certificate) []views.CertItem {
	now := s.now()
	out := make([]views.CertItem, len(cs))
	for i, c := range cs {
		out[i] = s.item(lang, c, now)
	}
	return out
}

// snapshot is what several pages need that costs a scan of the registry
// (totals, the places and years for the filters) or is small and read on
// every page (the bodies). It is computed for one registry generation.
type snapshot struct {
	gen       int64
	day       time.Time
	stats     *registry.Stats
	provinces []string
	cities    map[string][]string
	bodies    []*registry.Body
	// bodyCounts are every body's certificates and valid ones, for the
	// list of bodies: a scan of every certificate, so made here, once per
	// snapshot, never per request.
	bodyCounts map[int64]registry.BodyCount

	// byBody keeps the bodies' totals as body pages ask for them: the
	// Chinese and English pages, and every page of an export, share them.
	bodyMu sync.Mutex
	byBody map[int64]*registry.Stats
}

// bodyStats returns a body's totals as of the snapshot's generation.
func (s *Server) bodyStats(ctx context.Context, sn *snapshot, bodyID int64) (*registry.Stats, error) {
	sn.bodyMu.Lock()
	st, ok := sn.byBody[bodyID]
	sn.bodyMu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.store.Stats(ctx, bodyID)
	if err != nil {
		return nil, err
	}
	sn.bodyMu.Lock()
	defer sn.bodyMu.Unlock()
	if sn.byBody == nil {
		sn.byBody = map[int64]*registry.Stats{}
	}
	sn.byBody[bodyID] = st
	return st, nil
}

type snapshotCache struct {
	mu         sync.Mutex
	snap       *snapshot
	refreshing bool
}

// snapshot returns the registry's totals. The first call computes them;
// later, when the registry has changed, the previous snapshot is returned
// while one goroutine computes the new one, so that a busy publisher does
// not make every page wait for a scan of a million rows. Totals lag the
// registry by the time of one scan at most (about a second at 1,000,000
// certificates); certificate pages and search results never lag.
func (s *Server) snapshot(ctx context.Context) (*snapshot, error) {
	gen, err := s.generation(ctx)
	if err != nil {
		return nil, err
	}
	day := registry.Today(s.now())
	s.snaps.mu.Lock()
	sn := s.snaps.snap
	if sn != nil && sn.gen == gen && sn.day.Equal(day) {
		s.snaps.mu.Unlock()
		return sn, nil
	}
	if sn != nil {
		markUncacheable(ctx)
		if !s.snaps.refreshing {
			s.snaps.refreshing = true
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				fresh, err := s.computeSnapshot(ctx, gen, day)
				s.snaps.mu.Lock()
				defer s.snaps.mu.Unlock()
				s.snaps.refreshing = false
				if err != nil {
					s.log.Error("refresh registry totals", "err", err)
					return
				}
				s.snaps.snap = fresh
			}()
		}
		s.snaps.mu.Unlock()
		return sn, nil
	}
	defer s.snaps.mu.Unlock()
	if sn, err = s.computeSnapshot(ctx, gen, day); err != nil {
		return nil, err
	}
	s.snaps.snap = sn
	return sn, nil
}

// Warm computes the registry totals that the home, browse and statistics
// pages show, so that the first visitor after a start does not wait for a
// scan of the registry (about a second at 1,000,000 certificates).
func (s *Server) Warm(ctx context.Context) error {
	_, err := s.snapshot(ctx)
	return err
}

func (s *Server) computeSnapshot(ctx context.Context, gen int64, day time.Time) (*snapshot, error) {
	sn := &snapshot{gen: gen, day: day}
	var err error
	if sn.stats, err = s.store.Stats(ctx, 0); err != nil {
		return nil, err
	}
	if sn.cities, sn.provinces, err = s.store.Places(ctx); err != nil {
		return nil, err
	}
	if sn.bodies, err = s.store.Bodies(ctx); err != nil {
		return nil, err
	}
	if sn.bodyCounts, err = s.store.CountsByBody(ctx); err != nil {
		return nil, err
	}
	return sn, nil
}
