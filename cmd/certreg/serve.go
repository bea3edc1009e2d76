package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
)

func init() {
	register("serve", "run the public site (fills an empty registry with the demo data)", serve)
}

// serve runs the site until ctx ends, then shuts down gracefully: requests
// in flight finish, new ones are refused.
func serve(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [--db FILE] [--keys DIR] [--addr HOST:PORT] [--base-url URL]")
	db := dbFlag(fs, e)
	keysDirFlag := keysFlag(fs, e)
	addr := fs.String("addr", envOr(e, "CERTREG_ADDR", "127.0.0.1:8080"), "listen on `host:port` (env CERTREG_ADDR)")
	baseURL := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL`, shown on every page and in QR codes (env CERTREG_BASE_URL; default http://ADDR)")
	loadDemo := fs.Bool("demo", envOr(e, "CERTREG_DEMO", "true") != "false", "fill an empty registry with the demo dataset (env CERTREG_DEMO)")
	pageCache := fs.Bool("page-cache", envOr(e, "CERTREG_PAGE_CACHE", "true") != "false", "keep rendered pages until the registry changes; off only to measure rendering (env CERTREG_PAGE_CACHE)")
	accessLog := fs.Bool("access-log", envOr(e, "CERTREG_ACCESS_LOG", "true") != "false", "log every request to stderr (env CERTREG_ACCESS_LOG)")
	// Memory is set in bytes for the whole process, not per connection or
	// per entry, so that what serve holds is known in advance.
	var sizes [4]*byteSize
	for i, f := range []struct {
		name, env string
		def       int64
		usage     string
	}{
		{"page-cache-bytes", "CERTREG_PAGE_CACHE_BYTES", site.DefaultPageCacheBytes, "memory for rendered pages"},
		{"search-cache-bytes", "CERTREG_SEARCH_CACHE_BYTES", registry.DefaultSearchCacheBytes, "memory for recent search results; 0 turns the cache off"},
		{"sqlite-cache-bytes", "CERTREG_SQLITE_CACHE_BYTES", registry.DefaultCacheBytes, "SQLite's page cache, for all connections together"},
		{"sqlite-mmap-bytes", "CERTREG_SQLITE_MMAP_BYTES", 0, "how much of the database file to map (the kernel's page cache, shared; counted in RSS as file pages)"},
	} {
		var err error
		if sizes[i], err = byteFlag(fs, e, f.name, f.env, f.def, f.usage); err != nil {
			return usageError{err.Error()}
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))

	store, err := registry.OpenWith(*db, registry.Options{CacheBytes: int64(*sizes[2]), MmapBytes: int64(*sizes[3])})
	if err != nil {
		return err
	}
	defer store.Close()
	store.SetSearchCache(int64(*sizes[1]))
	if e.getenv("GOMEMLIMIT") == "" {
		// The Go heap holds the two caches and what requests allocate:
		// a soft limit makes the collector keep it near that rather than
		// let it double between collections.
		debug.SetMemoryLimit(int64(*sizes[0]) + int64(*sizes[1]) + 64<<20)
	}
	if *loadDemo {
		loaded, err := demo.Load(ctx, store)
		if err != nil {
			return fmt.Errorf("serve: load demo data: %w", err)
		}
		if loaded {
			log.Info("the registry was empty: loaded the demo dataset", "db", *db)
		}
	}

	keys, err := signing.OpenKeys(keysDir(*keysDirFlag, *db))
	if err != nil {
		return fmt.Errorf("serve: signing keys: %w", err)
	}
	log.Info("QR codes are signed with key "+keys.Current().ID, "keys", keysDir(*keysDirFlag, *db))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	base := *baseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	reqLog := log
	if !*accessLog {
		reqLog = slog.New(&errorsOnly{log.Handler()})
	}
	tlog, logKey, sequence, err := serveLog(e, store, base, keys)
	if err != nil {
		return fmt.Errorf("serve: transparency log: %w", err)
	}
	srv := site.New(store, site.Config{BaseURL: base, Logger: reqLog, NoCache: !*pageCache, PageCacheBytes: int64(*sizes[0]), Keys: keys, Log: tlog, LogKey: logKey})
	if sequence {
		go tlog.Follow(ctx, time.Second, func(err error) { log.Error("transparency log", "err", err) })
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(e.stdout, "certreg: serving %s at http://%s\n", base, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go func() {
		if err := srv.Warm(ctx); err != nil && ctx.Err() == nil {
			log.Error("compute registry totals", "err", err)
		}
		// Which name trigrams are common changes slowly: learn it now and
		// hourly (seconds at 1,000,000 certificates, on one connection).
		for {
			if err := store.LearnSearchTerms(ctx); err != nil && ctx.Err() == nil {
				log.Error("learn search terms", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Hour):
			}
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(e.stdout, "certreg: stopped")
	return nil
}

// errorsOnly is a log handler that drops records below warning level: the
// request log is off, errors still show.
type errorsOnly struct{ slog.Handler }

func (h *errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
