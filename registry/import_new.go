package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// bulkOptions are the settings of a registry built by CreateByImport: one
// connection holding the file for itself, no journal and no fsync (the
// file is not the registry until it is complete and flushed, so a crash
// or a bad row only ever loses the unfinished file), and a large page
// cache, so that most of the import is written once, when it is done.
var bulkOptions = Options{CacheBytes: 512 << 20, MaxConns: 1, bulk: true}

// creatingSuffix ends the name of the file CreateByImport builds beside
// the registry it is creating.
const creatingSuffix = ".creating"

// createClock is the clock of the stores CreateByImport opens; tests
// replace it.
var createClock = time.Now

// beforeLink, when set (by tests), runs after the new registry is complete
// and flushed, just before it is given the registry's name.
var beforeLink func(tmp string) error

// CreateByImport creates the registry at path, which must not exist yet,
// from an import: Import's rows, checks, events and result, with its
// all-or-nothing made by construction rather than by a transaction. The
// registry is built in a file of its own beside path (path+".creating"),
// without a journal, flushed to disk, and only then linked to path, which
// fails if path appeared meanwhile (a server started on it): nothing then
// replaces what that process wrote. Whatever fails, path is left as it
// was, absent, and the unfinished file is removed; after a crash it stays
// until the next CreateByImport of the same path removes it.
//
// A registry that exists, even empty, is written by Open and Import: other
// processes may have it open, and it may already hold bodies, accounts or
// a log that this path would not carry over.
func CreateByImport(ctx context.Context, path string, actor Actor, next func() (Input, error), opts ImportOptions) (ImportResult, error) {
	if opts.DryRun {
		return ImportResult{}, fmt.Errorf("create %s by import: a dry run writes nothing; use Open and Import", path)
	}
	if _, err := os.Lstat(path); err == nil {
		return ImportResult{}, fmt.Errorf("create %s by import: %w", path, fs.ErrExist)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ImportResult{}, fmt.Errorf("create %s by import: %w", path, err)
	}
	tmp := path + creatingSuffix
	lock, err := claimCreating(tmp)
	if err != nil {
		return ImportResult{}, fmt.Errorf("create %s by import: %w", path, err)
	}
	defer lock.Close()
	linked := false
	defer func() {
		if !linked {
			os.Remove(tmp)
		}
	}()

	s, err := OpenWith(tmp, bulkOptions)
	if err != nil {
		return ImportResult{}, fmt.Errorf("create %s by import: %w", path, err)
	}
	s.Now = createClock
	res, err := s.Import(ctx, actor, next, opts)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("create %s by import: close: %w", path, cerr)
	}
	if err != nil {
		return res, err
	}
	// SQLite wrote without fsync: flush the file before it gets its name.
	if err := lock.Sync(); err != nil {
		return res, fmt.Errorf("create %s by import: flush: %w", path, err)
	}
	if beforeLink != nil {
		if err := beforeLink(tmp); err != nil {
			return res, err
		}
	}
	// A link, unlike a rename, never replaces a file that appeared at path
	// since the check above.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return res, fmt.Errorf("create %s by import: the file appeared while importing (another process created it); nothing imported: %w", path, err)
		}
		return res, fmt.Errorf("create %s by import: %w", path, err)
	}
	linked = true
	if err := syncDir(dir); err != nil {
		return res, fmt.Errorf("create %s by import: flush folder: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return res, fmt.Errorf("create %s by import: remove %s: %w", path, tmp, err)
	}
	return res, syncDir(dir)
}

// claimCreating opens the unfinished file tmp and takes an exclusive
// advisory lock on it, which the kernel releases when this process ends
// however it ends: a file found unlocked is left by a crash and is emptied;
// a locked one is another import's, still running. The lock is flock's,
// which SQLite's own (fcntl) locks on the same file do not see.
func claimCreating(tmp string) (*os.File, error) {
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another import is creating this registry (%s)", tmp)
		}
		return nil, fmt.Errorf("lock %s: %w", tmp, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	for _, side := range []string{"-journal", "-wal", "-shm"} {
		if err := os.Remove(tmp + side); err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
