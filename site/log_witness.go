package site

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/certreg/certreg/registry"

	"github.com/certreg/certreg/translog"
	"github.com/certreg/certreg/views"
)

// The log's independent witnesses as the pages show them: how many
// cosigned a checkpoint holding a certificate's entry, and how anyone can
// check it (the API page's section "log").

// witnessed returns how many of the configured witnesses have a valid
// cosignature on the latest checkpoint, if that checkpoint holds the
// certificate's latest entry; 0 otherwise (no log, no witness, the entry
// not logged or not cosigned yet).
func (s *Server) witnessed(ctx context.Context, certID int64) (int, error) {
	if s.cfg.Log == nil || len(s.cfg.Witnesses) == 0 {
		return 0, nil
	}
	idx, ok, err := s.cfg.Log.LatestEntry(ctx, certID)
	if err != nil || !ok {
		return 0, err
	}
	return s.witnessedEntry(ctx, idx)
}

// witnessedEntry is witnessed for a certificate whose latest entry is idx
// (the caller has read it already).
func (s *Server) witnessedEntry(ctx context.Context, idx int64) (int, error) {
	if s.cfg.Log == nil || len(s.cfg.Witnesses) == 0 {
		return 0, nil
	}
	n, size, err := s.witness.get(ctx, s.store, s.cfg.Log, s.cfg.Witnesses)
	if err != nil || idx >= size {
		return 0, err
	}
	return n, nil
}

// witnessCount keeps translog.Log.Witnessed for one registry generation:
// checking the cosignatures' signatures is most of its cost, and they
// change only with a write (a new checkpoint or cosignature).
type witnessCount struct {
	mu   sync.Mutex
	gen  int64
	n    int
	size int64
	ok   bool
}

func (c *witnessCount) get(ctx context.Context, store *registry.Store, l *translog.Log, ws []translog.Witness) (int, int64, error) {
	gen, err := store.Generation(ctx)
	if err != nil {
		return 0, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.gen == gen {
		return c.n, c.size, nil
	}
	n, size, err := l.Witnessed(ctx, ws)
	if err != nil {
		return 0, 0, err
	}
	c.gen, c.n, c.size, c.ok = gen, n, size, true
	return n, size, nil
}

// logCheckView tells how to check the log and its witnesses: the keys and
// a monitor command requiring a majority of the witnesses.
func (s *Server) logCheckView() views.LogCheckView {
	v := views.LogCheckView{Served: s.cfg.Log != nil, Key: strings.TrimSpace(s.cfg.LogKey)}
	for _, w := range s.cfg.Witnesses {
		v.Witnesses = append(v.Witnesses, w.Key)
	}
	if len(v.Witnesses) == 0 {
		return v
	}
	v.Quorum = len(v.Witnesses)/2 + 1
	var b strings.Builder
	b.WriteString("certreg log monitor " + s.cfg.BaseURL + " --state certreg-monitor.json")
	if v.Key != "" {
		b.WriteString(" \\\n  --key " + v.Key)
	}
	for _, k := range v.Witnesses {
		b.WriteString(" \\\n  --witness " + k)
	}
	b.WriteString(" \\\n  --witness-quorum " + strconv.Itoa(v.Quorum))
	v.Command = b.String()
	return v
}

// cosignedCheckpoint is the latest checkpoint with the cosignatures kept
// for its tree.
func (s *Server) cosignedCheckpoint(ctx context.Context, l *translog.Log) ([]byte, error) {
	cp, _, err := l.CosignedCheckpoint(ctx, s.cfg.Witnesses)
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}
