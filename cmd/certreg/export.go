package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/translog"
)

func init() {
	register("export", "write the public site as static files for any web server, object store or CDN", runExport)
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "export", "export [--db FILE] [--keys DIR] --out DIR [--base-url URL] [--full] [--witness KEY+URL]...")
	db := dbFlag(fs, e)
	keysDirFlag := keysFlag(fs, e)
	out := fs.String("out", "", "`directory` to write the site to (created; files already current are kept)")
	full := fs.Bool("full", false, "render every page again, ignoring what the last export into --out recorded (QR images, named by their content, are kept when current)")
	baseURL := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", "http://127.0.0.1:8080"), "the `URL` the copy will be served at (env CERTREG_BASE_URL)")
	// The witnesses whose cosignatures the pages count (nothing is sent
	// to them): the same setting as serve's.
	witnesses := witnessFlag(fs, e)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the export to `file` (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ws, err := witnesses()
	if err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return usageError{"export: give --out DIR and no arguments"}
	}
	store, err := registry.Open(*db)
	if err != nil {
		return err
	}
	// Closed in the background: an export reads the whole registry, and
	// closing hands every connection's page cache back to the system one
	// page at a time (seconds at 100,000 certificates), which exiting does
	// at once. Nothing is written, so nothing is lost if the process exits
	// first.
	defer func() { go store.Close() }()
	// Pages say "as of" the export time: freeze the clock at the last
	// change (or the start of today), so that an unchanged registry
	// exports unchanged pages.
	asOf, err := store.ExportTime(ctx, store.Now())
	if err != nil {
		return err
	}
	store.Now = func() time.Time { return asOf }
	// The key ring serve signs QR codes with (made on first use, as serve
	// does): the export's QR images, verdict pages and published key set
	// must be the live registry's, or no printed code would check.
	keys, err := signing.OpenKeys(keysDir(*keysDirFlag, *db))
	if err != nil {
		return fmt.Errorf("export: signing keys: %w", err)
	}
	// The log as of now, read-only: an export never signs, but publishes
	// the verifier key of its checkpoint: CERTREG_LOG_KEY, or the key of the
	// key ring that signed it (the same ring serve signs with).
	vars := map[string]string{"CERTREG_LOG_KEY": e.getenv("CERTREG_LOG_KEY")}
	tlog, logKey, _, err := serveLog(&env{getenv: func(k string) string { return vars[k] }}, store, *baseURL, nil)
	if err != nil {
		return err
	}
	if logKey == "" {
		if cp, err := tlog.Checkpoint(ctx); err == nil {
			logKey = signingKey(cp, keys)
		}
	}
	srv := site.New(store, site.Config{BaseURL: *baseURL, NoCache: true, Logger: slog.New(slog.DiscardHandler), Keys: keys, Log: tlog, LogKey: logKey, Witnesses: ws})
	var extra []string
	if logKey != "" {
		extra = append(extra, "/log/key")
	}
	paths, err := tlog.Paths(ctx)
	switch {
	case err == nil:
		for _, p := range paths {
			extra = append(extra, "/log/"+p)
		}
	case registry.ErrorCode(err) == registry.ENOTFOUND:
		fmt.Fprintln(e.stderr, "export: the registry has no signed log checkpoint yet: the log is not exported")
	default:
		return err
	}

	res, err := srv.Export(ctx, *out, site.ExportOptions{Extra: extra, Full: *full})
	if err != nil {
		return err
	}
	for name, b := range site.HostHeaders() {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			return err
		}
	}
	// Links to pages the site does not have are the site's bug, not the
	// export's: shown, but not fatal.
	for i, b := range res.Broken {
		if i == 10 {
			fmt.Fprintf(e.stderr, "warning: … %d broken links in all\n", len(res.Broken))
			break
		}
		fmt.Fprintf(e.stderr, "warning: %s links to %s, which answers %d\n", b.From, b.To, b.Status)
	}
	printExport(e.stdout, res)
	return nil
}

func printExport(w io.Writer, res *site.ExportResult) {
	rate := float64(res.Files) / res.Duration.Seconds()
	fmt.Fprintf(w, "已导出 %d 个文件（写入 %d，未变 %d），用时 %.1f 秒；读取了 %d 张证书，重新生成了其中 %d 张证书的文件，其余 %d 个文件自上次导出后未变\n",
		res.Files, res.Written, res.Unchanged, res.Duration.Seconds(), res.Keyed, res.Rendered, res.Current)
	fmt.Fprintf(w, "exported %d files (%d written, %d unchanged) in %.1f s, %.0f files/s; %d certificates read, the files of %d rendered, %d files were current since the last export\n",
		res.Files, res.Written, res.Unchanged, res.Duration.Seconds(), rate, res.Keyed, res.Rendered, res.Current)
	if len(res.LiveOnly) > 0 {
		fmt.Fprintf(w, "%d 个带查询参数的链接只在在线登记库可用\n%d links with a query work only on the live registry\n", len(res.LiveOnly), len(res.LiveOnly))
	}
}

// signingKey returns the verifier key, among the ring's keys, that signed
// the checkpoint, or "".
func signingKey(cp *translog.Checkpoint, ring *signing.KeyRing) string {
	for _, k := range ring.Keys() {
		vkey, err := translog.NoteVerifierKey(cp.Origin, k.Public)
		if err != nil {
			continue
		}
		if v, err := note.NewVerifier(vkey); err == nil {
			if _, err := translog.ParseCheckpoint(cp.Note, v); err == nil {
				return vkey
			}
		}
	}
	return ""
}
