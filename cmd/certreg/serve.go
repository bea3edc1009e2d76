package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/translog"
)

func init() {
	register("serve", "run the public site (fills an empty registry with the demo data)", serve)
}

// serve runs the site until ctx ends, then shuts down gracefully: requests
// in flight finish, new ones are refused.
func serve(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [--db FILE] [--keys DIR] [--addr HOST:PORT] [--base-url URL] [--trusted-proxies CIDR,…] [--witness KEY+URL]... [--metrics-addr HOST:PORT] [--shutdown-grace D]")
	db := dbFlag(fs, e)
	keysDirFlag := keysFlag(fs, e)
	addr := fs.String("addr", envOr(e, "CERTREG_ADDR", "127.0.0.1:8080"), "listen on `host:port` (env CERTREG_ADDR)")
	baseURL := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL`, shown on every page and in QR codes (env CERTREG_BASE_URL; default http://ADDR)")
	loadDemo := fs.Bool("demo", envOr(e, "CERTREG_DEMO", "true") != "false", "fill an empty registry with the demo dataset (env CERTREG_DEMO)")
	pageCache := fs.Bool("page-cache", envOr(e, "CERTREG_PAGE_CACHE", "true") != "false", "keep rendered pages until the registry changes; off only to measure rendering (env CERTREG_PAGE_CACHE)")
	witnesses := witnessFlag(fs, e)
	metricsAddr := fs.String("metrics-addr", envOr(e, "CERTREG_METRICS_ADDR", ""), "serve Prometheus metrics at http://`host:port`/metrics, on a listener of its own (env CERTREG_METRICS_ADDR; default: off). Keep it private: never the public address")
	grace := fs.Duration("shutdown-grace", envDuration(e, "CERTREG_SHUTDOWN_GRACE", 10*time.Second), "on SIGTERM or SIGINT, how long requests in flight may take to finish before their connections are closed (env CERTREG_SHUTDOWN_GRACE)")
	qrFill := fs.Bool("qr-symbols", envOr(e, "CERTREG_QR_SYMBOLS", "true") != "false", "store certificates' QR symbols in the background (lowest priority, while no request is in flight), so that pages draw them without encoding (env CERTREG_QR_SYMBOLS)")
	accessLog := fs.Bool("access-log", envOr(e, "CERTREG_ACCESS_LOG", "true") != "false", "log every request to stderr (env CERTREG_ACCESS_LOG)")
	proxies := fs.String("trusted-proxies", envOr(e, "CERTREG_TRUSTED_PROXIES", ""), "the reverse proxies in front of the site, as `CIDR,…` (\"127.0.0.1/32,::1\"): only from these are X-Forwarded-For/Forwarded and X-Forwarded-Proto believed (env CERTREG_TRUSTED_PROXIES)")
	// Memory is set in bytes for the whole process, not per connection or
	// per entry, so that what serve holds is known in advance.
	var sizes [5]*byteSize
	for i, f := range []struct {
		name, env string
		def       int64
		usage     string
	}{
		{"page-cache-bytes", "CERTREG_PAGE_CACHE_BYTES", site.DefaultPageCacheBytes, "memory for rendered pages"},
		{"search-cache-bytes", "CERTREG_SEARCH_CACHE_BYTES", registry.DefaultSearchCacheBytes, "memory for recent search results; 0 turns the cache off"},
		{"sqlite-cache-bytes", "CERTREG_SQLITE_CACHE_BYTES", registry.DefaultCacheBytes, "SQLite's page cache, for all connections together"},
		{"sqlite-mmap-bytes", "CERTREG_SQLITE_MMAP_BYTES", 0, "how much of the database file to map (the kernel's page cache, shared; counted in RSS as file pages)"},
		{"upload-memory-bytes", "CERTREG_UPLOAD_MEMORY_BYTES", site.DefaultHeavyMemory, "memory that uploads, image decoding and spreadsheet reading in flight may reserve together; past it a request waits its turn, then gets 503"},
	} {
		var err error
		if sizes[i], err = byteFlag(fs, e, f.name, f.env, f.def, f.usage); err != nil {
			return usageError{err.Error()}
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	trusted, err := site.ParseTrustedProxies(*proxies)
	if err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	ws, err := witnesses()
	if err != nil {
		return err
	}
	if *grace <= 0 {
		return usageError{"--shutdown-grace must be longer than 0"}
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
	srv := site.New(store, site.Config{BaseURL: base, Logger: reqLog, NoCache: !*pageCache, PageCacheBytes: int64(*sizes[0]), Keys: keys, Log: tlog, LogKey: logKey, Witnesses: ws, TrustedProxies: trusted,
		Heavy: site.Heavy{Memory: int64(*sizes[4])}})
	// The log follower, the witness loops and the registry totals stop
	// with ctx; the store closes only once all have returned.
	var bg sync.WaitGroup
	defer bg.Wait()
	ctx, stopBG := context.WithCancel(ctx) // also on an early return
	defer stopBG()
	if sequence {
		bg.Go(func() { tlog.Follow(ctx, time.Second, func(err error) { log.Error("transparency log", "err", err) }) })
		bg.Go(func() { followWitnesses(ctx, tlog, ws, log) })
	}
	// Pages queue the QR symbols they encode; this writes them and fills in
	// the rest. It ends with ctx and is joined before the store closes.
	if *qrFill {
		bg.Go(func() { srv.RunQRSymbols(ctx) })
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

	// The metrics have a listener of their own, so that the public one
	// never shows them, whatever the proxy in front forwards.
	var ms *http.Server
	var mln net.Listener
	if *metricsAddr != "" {
		if mln, err = net.Listen("tcp", *metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("serve: metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		// Go's profiles beside the metrics, on the same private listener:
		// where the time goes on the operator's own machine.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 90 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	}
	fmt.Fprintf(e.stdout, "certreg: serving %s at http://%s\n", base, ln.Addr())
	if ms != nil {
		fmt.Fprintf(e.stdout, "certreg: metrics at http://%s/metrics\n", mln.Addr())
	}

	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if ms != nil {
		go func() { errc <- ms.Serve(mln) }()
	}
	bg.Go(func() {
		if err := srv.Warm(ctx); err != nil && ctx.Err() == nil {
			log.Error("compute registry totals", "err", err)
		}
		// Which name trigrams are common changes slowly: learn it now and
		// hourly (seconds at 1,000,000 certificates, on one connection).
		for {
			t0 := time.Now()
			if err := store.LearnSearchTerms(ctx); err != nil && ctx.Err() == nil {
				log.Error("learn search terms", "err", err)
			}
			// The filters' counts too (searches refresh them after a change).
			if err := store.LearnFilterCounts(ctx); err != nil && ctx.Err() == nil {
				log.Error("learn filter counts", "err", err)
			} else if err == nil {
				log.Info("search terms and filter counts learned", "took", time.Since(t0).Round(time.Millisecond).String())
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Hour):
			}
		}
	})
	select {
	case err := <-errc:
		hs.Close()
		if ms != nil {
			ms.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(e, log, hs, ms, tlog, sequence, *grace)
}

// shutdown stops serving after SIGTERM: the listener closes at once (new
// connections are refused), idle connections close, and requests in
// flight have up to grace to finish; then their connections are closed.
// A write is acknowledged only once committed (synchronous=FULL), so none
// that a client was told succeeded is lost. Last, the log is sequenced
// once more so that the final checkpoint covers every write served.
func shutdown(e *env, log *slog.Logger, hs, ms *http.Server, tlog *translog.Log, sequence bool, grace time.Duration) error {
	log.Info("shutting down: finishing requests in flight", "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if ms != nil {
		go ms.Shutdown(ctx)
	}
	var stopErr error
	if err := hs.Shutdown(ctx); err != nil {
		// Past the grace period: cut the connections still open.
		hs.Close()
		stopErr = fmt.Errorf("serve: requests still in flight after %s were cut off: %w", grace, err)
		log.Error("shutdown", "err", stopErr)
	}
	if ms != nil {
		ms.Close()
	}
	if sequence {
		seq, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := tlog.Sequence(seq); err != nil {
			log.Error("transparency log: final sequencing (the next start logs the rest)", "err", err)
		}
	}
	if stopErr != nil {
		return stopErr
	}
	fmt.Fprintln(e.stdout, "certreg: stopped")
	return nil
}

// envDuration reads a duration from the environment ("30s"), def when
// unset or not a duration.
func envDuration(e *env, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(envOr(e, key, "")); err == nil {
		return d
	}
	return def
}

// errorsOnly is a log handler that drops records below warning level: the
// request log is off, errors still show.
type errorsOnly struct{ slog.Handler }

func (h *errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
