package registry

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/certreg/certreg/data"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the registry's SQLite database.
type Store struct {
	db      *sql.DB
	path    string
	schemes *Schemes

	// certByKey reads a certificate by number key: the registry's hottest
	// query, prepared once.
	certByKey *sql.Stmt
	// stmts are the read queries prepared so far, by their text (see
	// prepared): parsing a statement costs as much as running the
	// registry's simple reads.
	stmts stmtCache
	// searches keeps recent search results (SetSearchCache).
	searches searchCache
	// common holds the name index's common trigrams (LearnSearchTerms).
	common atomic.Pointer[commonTerms]
	// shortSince is where a one-character search's window of the newest
	// certificates starts, as of a generation (see termSQL).
	shortSince atomic.Pointer[generationValue]
	// counts are the certificates counted by the browse filters' values
	// (LearnFilterCounts), and countsState their background refresh.
	counts      atomic.Pointer[filterCounts]
	countsState countsState

	// fts, when set, builds the search indexes of a fresh import in a file
	// of their own (CreateByImport).
	fts *ftsBuilder

	// Now is the clock; it is read once per transaction. Tests replace it.
	Now func() time.Time
}

// DSN returns the data source name for the database file at path, with
// the default Options. Pragmas are per connection, so they live in the
// DSN: every pooled connection gets them. _txlock=immediate makes every
// transaction take the write lock at BEGIN, so that two writers never
// deadlock upgrading a read lock.
func DSN(path string) string { return cliOptions.dsn(path) }

// Options sets how much memory the store's connections may use.
type Options struct {
	// CacheBytes is SQLite's page cache for the whole pool, shared out
	// evenly between the connections (each has its own); 0 is
	// DefaultCacheBytes.
	CacheBytes int64
	// MmapBytes is how much of the file each connection maps instead of
	// reading it into its cache; 0 maps nothing. Mapped pages are the
	// kernel's page cache, shared by every connection and process.
	MmapBytes int64
	// MaxConns is the size of the connection pool; 0 is DefaultMaxConns.
	MaxConns int

	// bulk is for a file no one else may open yet (CreateByImport): no
	// journal, no fsync, and the file locked by its one connection.
	bulk bool
}

// Defaults of Options.
const (
	DefaultCacheBytes = 64 << 20
	DefaultMaxConns   = 8
)

func (o Options) withDefaults() Options {
	if o.CacheBytes <= 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	o.MmapBytes = max(o.MmapBytes, 0)
	return o
}

func (o Options) dsn(path string) string {
	o = o.withDefaults()
	perConn := max(o.CacheBytes/int64(o.MaxConns)>>10, 256) // KiB; SQLite's negative cache_size
	if o.bulk {
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=foreign_keys(1)&_pragma=locking_mode(EXCLUSIVE)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)" +
			fmt.Sprintf("&_pragma=cache_size(-%d)", perConn) + "&_txlock=immediate"
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)" +
		fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=mmap_size(%d)", perConn, o.MmapBytes) + "&_txlock=immediate"
}

// cliOptions are Open's: the command-line tools (an import, an export) work
// on one or two connections, each of which may fill DefaultCacheBytes. A
// server sizes its pool as a whole with OpenWith.
var cliOptions = Options{CacheBytes: DefaultCacheBytes * DefaultMaxConns}

// Open opens (creating if need be) the database at path, applies pending
// migrations and loads the scheme definitions shipped in data/.
func Open(path string) (*Store, error) { return OpenWith(path, cliOptions) }

// OpenWith is Open with the memory the store may use.
func OpenWith(path string, o Options) (*Store, error) {
	o = o.withDefaults()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite", o.dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, path: path, Now: time.Now}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	b, err := data.FS.ReadFile("schemes.json")
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadSchemes(b); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if s.certByKey, err = db.Prepare(`SELECT ` + certColumns + certFrom + ` WHERE c.number_key = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.certByKey.Close()
	s.stmts.close()
	return s.db.Close()
}

// DBStats returns the statistics of the database's connection pool, for
// monitoring.
func (s *Store) DBStats() sql.DBStats { return s.db.Stats() }

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Schemes returns the schemes the registry knows.
func (s *Store) Schemes() *Schemes { return s.schemes }

// migrate applies, in name order, every embedded migration not yet applied.
// Migrations are never edited once shipped; a change is a new file.
func (s *Store) migrate() error {
	var exists int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		if _, err := s.db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
			return err
		}
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.inTx(context.Background(), func(tx *sql.Tx, now time.Time) error {
			if _, err := tx.Exec(string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.Exec(`INSERT INTO schema_migrations VALUES (?, ?)`, name, now.UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadSchemes stores the shipped scheme definitions (so that the database
// describes itself) and keeps them for validation.
func (s *Store) loadSchemes(b []byte) error {
	ss, err := ParseSchemes(b)
	if err != nil {
		return err
	}
	// Read first and write only what changed: another process (a long
	// import, the log's sequencer) may hold the write lock, and a reader
	// must still be able to open the registry.
	stored := map[string]string{}
	rows, err := s.db.Query(`SELECT code, definition FROM schemes`)
	if err != nil {
		return fmt.Errorf("load schemes: %w", err)
	}
	for rows.Next() {
		var code, def string
		if err := rows.Scan(&code, &def); err != nil {
			rows.Close()
			return fmt.Errorf("load schemes: %w", err)
		}
		stored[code] = def
	}
	rows.Close()
	var changed []*Scheme
	defs := map[string]string{}
	for _, sc := range ss.All() {
		def, err := json.Marshal(sc)
		if err != nil {
			return err
		}
		if defs[sc.Code] = string(def); stored[sc.Code] != string(def) {
			changed = append(changed, sc)
		}
	}
	if len(changed) > 0 {
		err = s.inTx(context.Background(), func(tx *sql.Tx, now time.Time) error {
			for _, sc := range changed {
				if _, err := tx.Exec(`INSERT INTO schemes(code, definition) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET definition = excluded.definition`, sc.Code, defs[sc.Code]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("load schemes: %w", err)
	}
	s.schemes = ss
	return nil
}

// inTx runs fn in one immediate transaction with the clock read once. It
// commits when fn returns nil and rolls back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx, s.Now().UTC()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Empty reports whether the registry holds no certificate yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM certificates LIMIT 1)`).Scan(&n); err != nil {
		return false, fmt.Errorf("count certificates: %w", err)
	}
	return n == 0, nil
}

// Generation is a number that grows with every committed write to the
// registry, from any process. Readers compare it to know whether cached
// pages are still current.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.queryRow(ctx, `SELECT generation FROM registry_state WHERE id = 1`).Scan(&g)
	return g, err
}

func bumpGeneration(tx *sql.Tx) error {
	_, err := tx.Exec(`UPDATE registry_state SET generation = generation + 1 WHERE id = 1`)
	return err
}

// Backup writes a consistent copy of the live database to dest with VACUUM
// INTO and checks it with PRAGMA integrity_check. dest must not exist.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return Errorf(ECONFLICT, "dest", "registry.backup_destination_already_exists", dest)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: dest}).EscapedPath()+"?mode=ro")
	if err != nil {
		return fmt.Errorf("backup check %s: %w", dest, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("backup check %s: %w", dest, err)
	}
	if res != "ok" {
		return fmt.Errorf("backup check %s: integrity_check says %s", dest, res)
	}
	return nil
}

func fmtDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(DateLayout)
}

func parseStoredDate(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, _ := time.Parse(DateLayout, s.String)
	return t
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likeEscape escapes s for a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return likeEscaper.Replace(s)
}
