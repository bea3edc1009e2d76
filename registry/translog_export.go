package registry

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Paths returns the paths, relative to the log's URL (/log/), of every
// file that serves the latest checkpoint's tree: "checkpoint", each hash
// tile and each entry bundle. A static export writes these.
func (l *Log) Paths(ctx context.Context) ([]string, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return logPaths(cp.Size), nil
}

func logPaths(size int64) []string {
	paths := []string{"checkpoint"}
	for _, t := range tlog.NewTiles(TileHeight, 0, size) {
		paths = append(paths, TilePath(t))
		if t.L == 0 {
			t.L = -1
			paths = append(paths, TilePath(t))
		}
	}
	return paths
}

// Export writes the log's files (Paths) under dir, as /log/ serves them, so
// that a static copy of the registry can be monitored like the live one.
// Tiles and bundles never change, so one already there is kept; the
// checkpoint is replaced when it changed. Every file is written to a
// temporary name and renamed: a reader never sees half a file. It returns
// how many files it wrote.
func (l *Log) Export(ctx context.Context, dir string) (written int, err error) {
	// One checkpoint and the files of its tree, even if a new one is
	// signed meanwhile (tiles of an older tree stay available).
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range logPaths(cp.Size) {
		name := filepath.Join(dir, filepath.FromSlash(p))
		var b []byte
		if p == "checkpoint" {
			b = cp.Note
			if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
				continue
			}
		} else {
			if _, err := os.Stat(name); err == nil {
				continue
			}
			if b, err = l.Tile(ctx, p); err != nil {
				return written, err
			}
		}
		if err := writeFileAtomic(name, b); err != nil {
			return written, fmt.Errorf("export log %s: %w", p, err)
		}
		written++
	}
	return written, nil
}

// writeFileAtomic writes b to name through a temporary file in the same
// directory and a rename.
func writeFileAtomic(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// ExportTime is the moment a static export states its data "as of": the
// later of the registry's last event and the start of today (China time).
// Nothing changed between it and now, so the statement is true; and two
// exports of an unchanged registry on the same day give the same pages,
// which keeps an incremental export small. Expiry, derived from the day,
// still moves on at midnight.
func (s *Store) ExportTime(ctx context.Context, now time.Time) (time.Time, error) {
	t := Today(now)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinaTime).UTC()
	var last sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT max(at) FROM events`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("export time: %w", err)
	}
	if at := parseTime(last.String); at.After(day) && !at.After(now) {
		return at, nil
	}
	return day, nil
}
