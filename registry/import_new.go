package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// bulkOptions are the settings of a registry built by CreateByImport: one
// connection holding the file for itself, and no journal and no fsync
// (the file is not the registry until it is complete and flushed, so a
// crash or a bad row only ever loses the unfinished file): every page is
// written once, not to the WAL and then again to the file. The page cache
// is Open's for one connection: with 512 MiB, 1,000,000 rows took 1 GB
// more memory and more CPU time, not less (the indexes' sorts, which get a
// quarter of the cache, sorted longer runs more slowly: 28 s of CPU
// against 19 s, one run each on shared cores).
var bulkOptions = Options{CacheBytes: DefaultCacheBytes, MaxConns: 1, bulk: true}

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
// without a journal, its search indexes beside it on another core
// (ftsBuilder), flushed to disk, and only then linked to path, which
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
	ftsPath := tmp + "-fts"
	defer os.Remove(ftsPath)
	if s.fts, err = newFTSBuilder(ctx, s.db, ftsPath); err != nil {
		s.Close()
		return ImportResult{}, fmt.Errorf("create %s by import: %w", path, err)
	}
	res, err := s.Import(ctx, actor, next, opts)
	if ferr := s.fts.finish(); err == nil && ferr != nil {
		err = fmt.Errorf("create %s by import: %w", path, ferr)
	}
	if err == nil {
		if err = s.fts.copy(ctx, s.db); err != nil {
			err = fmt.Errorf("create %s by import: search indexes: %w", path, err)
		}
	}
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

// ftsTables are the search indexes a fresh import fills (0001_core.sql,
// 0015_number_trigram.sql).
var ftsTables = []string{"holder_fts", "holder_bigram_fts", "number_fts"}

// ftsBuilder fills the search indexes of a fresh import in a database
// file of its own, on a connection and a goroutine of its own, so that
// tokenizing names and numbers (a third of an import's work) runs on
// another core than the certificates' and events' writes. When the import
// is done, copy moves the indexes' tables into the registry: FTS5 keeps an
// index in ordinary tables (its shadow tables), which copy as rows.
type ftsBuilder struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
	ch   chan [2][]nameRow
	done chan struct{}
	err  error
}

// newFTSBuilder creates, at path, the search indexes as the registry's
// schema in main defines them, and starts the goroutine that fills them.
func newFTSBuilder(ctx context.Context, main *sql.DB, path string) (*ftsBuilder, error) {
	for _, side := range []string{"", "-journal"} {
		if err := os.Remove(path + side); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", bulkOptions.dsn(path))
	if err != nil {
		return nil, err
	}
	b := &ftsBuilder{path: path, db: db, ch: make(chan [2][]nameRow, 4), done: make(chan struct{})}
	if err := b.create(ctx, main); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("search indexes: %w", err)
	}
	go b.run()
	return b, nil
}

func (b *ftsBuilder) create(ctx context.Context, main *sql.DB) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, t := range ftsTables {
		var create string
		if err := main.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, t).Scan(&create); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", t, err)
		}
		if _, err := tx.ExecContext(ctx, create); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	b.tx = tx
	return nil
}

// run writes what send queues until the channel closes; after a failure it
// only drains it, and close reports the failure.
func (b *ftsBuilder) run() {
	defer close(b.done)
	exec := func(q string, args ...any) (sql.Result, error) { return b.tx.Exec(q, args...) }
	for rows := range b.ch {
		if b.err != nil {
			continue
		}
		if err := indexNames(exec, rows[0]); err != nil {
			b.err = err
		} else if err := indexNumbers(exec, rows[1]); err != nil {
			b.err = err
		}
	}
	if b.err != nil {
		b.tx.Rollback()
		return
	}
	b.err = b.tx.Commit()
}

// send queues holder names and number keys (copies of them: the writer
// reuses its slices).
func (b *ftsBuilder) send(names, keys []nameRow) error {
	select {
	case b.ch <- [2][]nameRow{slices.Clone(names), slices.Clone(keys)}:
		return nil
	case <-b.done:
		return fmt.Errorf("search indexes: %w", b.err)
	}
}

// finish waits for the last rows to be written and closes the file.
func (b *ftsBuilder) finish() error {
	close(b.ch)
	<-b.done
	if err := b.db.Close(); b.err == nil && err != nil {
		b.err = err
	}
	return b.err
}

// copy replaces the registry's (empty) search indexes with the ones
// built, in one transaction of the registry's connection.
func (b *ftsBuilder) copy(ctx context.Context, main *sql.DB) error {
	conn, err := main.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS fts`, b.path); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE fts`)
	rows, err := conn.QueryContext(ctx, `SELECT name FROM fts.sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`)
	if err != nil {
		return err
	}
	var shadows []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		shadows = append(shadows, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range shadows {
		q := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if _, err := tx.ExecContext(ctx, `DELETE FROM main.`+q); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO main.`+q+` SELECT * FROM fts.`+q); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
	}
	return tx.Commit()
}
