package translog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Paths returns the paths, relative to the log's URL (/log/), of every
// file that serves the latest checkpoint's tree: "checkpoint", each entry,
// each hash tile and each entry bundle. A static export writes these.
func (l *Log) Paths(ctx context.Context) ([]string, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return logPaths(cp.Size), nil
}

func logPaths(size int64) []string {
	paths := []string{"checkpoint"}
	// Each entry on its own too, for the "recorded in the public log at
	// #N" links of certificate pages (written once: entries never change).
	for i := range size {
		paths = append(paths, fmt.Sprintf("entry/%d", i))
	}
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
	// signed meanwhile (tiles of an older tree stay available). The
	// checkpoint carries the witnesses' cosignatures kept for its tree, so
	// that a copy can be held to a witness quorum like the live registry.
	cp, _, err := l.CosignedCheckpoint(ctx, nil)
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
			if rest, ok := strings.CutPrefix(p, "entry/"); ok {
				i, _ := strconv.ParseInt(rest, 10, 64)
				b, err = l.Entry(ctx, i)
			} else {
				b, err = l.Tile(ctx, p)
			}
			if err != nil {
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
