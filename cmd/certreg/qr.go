package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
)

func init() {
	register("qr", "print a certificate's signed QR code URL; write its PNG or SVG for printing; --prepare stores every certificate's QR symbol", qr)
}

// qr runs `certreg qr NUMBER`: what a certification body prints on the
// paper certificate.
func qr(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "qr", "qr [--db FILE] [--keys DIR] [--base-url URL] [--png FILE [--size PX]] [--svg FILE] NUMBER\n       qr --prepare [--db FILE] [--keys DIR] [--base-url URL] [--workers N]")
	db := dbFlag(fs, e)
	dir := keysFlag(fs, e)
	base := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL` (env CERTREG_BASE_URL)")
	pngOut := fs.String("png", "", "write the QR code as a PNG `file`")
	size := fs.Int("size", 512, "PNG size in `pixels`")
	svgOut := fs.String("svg", "", "write the QR code as an SVG `file` (sharp at any print size)")
	prepare := fs.Bool("prepare", false, "store every certificate's current QR symbol, so that its page draws it without encoding (with serve's --base-url and keys)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "with --prepare: how many certificates to encode at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prepare {
		if fs.NArg() != 0 {
			return usageError{"qr --prepare takes no certificate number: it prepares every certificate"}
		}
		if *base == "" {
			return usageError{"qr --prepare needs --base-url (or CERTREG_BASE_URL): serve's canonical address, which every QR code holds"}
		}
		if *workers < 1 || *workers > 64 {
			return usageError{"--workers must be from 1 to 64"}
		}
		return qrPrepare(ctx, e, *db, keysDir(*dir, *db), *base, *workers)
	}
	if fs.NArg() != 1 {
		return usageError{"qr takes one argument: the certificate number"}
	}
	if *base == "" {
		return usageError{"qr needs --base-url (or CERTREG_BASE_URL): the registry's canonical address that the QR code opens"}
	}
	if *size < 64 || *size > 4096 {
		return usageError{"--size must be from 64 to 4096 pixels"}
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	store, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer store.Close()
	kr, err := signing.OpenKeys(keysDir(*dir, *db))
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	c, err := store.Certificate(ctx, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("qr: %s", errText(err))
	}
	// The registry signs only what its log holds: a row edited on the
	// file would otherwise get a genuine QR code for forged claims.
	if m, err := store.CheckRow(ctx, c); err != nil {
		return fmt.Errorf("qr: %w", err)
	} else if m != nil {
		return fmt.Errorf("qr: certificate %s failed its integrity check: its row differs from the record of its latest event (%s); run certreg log verify", c.Number, strings.Join(m.Fields, ", "))
	}
	qs, err := kr.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	u := qs.URL(*base)
	fmt.Fprintln(e.stdout, u)
	if *pngOut != "" {
		b, err := qrimage.PNG(u, *size)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*pngOut, b, 0o644); err != nil {
			return fmt.Errorf("qr: %w", err)
		}
	}
	if *svgOut != "" {
		b, err := qrimage.SVG(u)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*svgOut, b, 0o644); err != nil {
			return fmt.Errorf("qr: %w", err)
		}
	}
	return nil
}

// qrPrepare runs `certreg qr --prepare`: it stores every certificate's
// current QR symbol (a certificate whose stored one is current costs a
// signature and a hash), with the keys and base URL serve uses.
func qrPrepare(ctx context.Context, e *env, db, keys, base string, workers int) error {
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	store, err := registry.Open(db)
	if err != nil {
		return err
	}
	defer store.Close()
	kr, err := signing.OpenKeys(keys)
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	srv := site.New(store, site.Config{BaseURL: base, Keys: kr, NoCache: true})
	start := time.Now()
	last := start
	st, err := srv.PrepareQRSymbols(ctx, workers, func(st site.QRFillStats) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			fmt.Fprintf(e.stdout, "certreg: %d certificates read, %d symbols stored\n", st.Read, st.Written)
		}
	})
	if err != nil {
		return fmt.Errorf("qr --prepare: %w", err)
	}
	fmt.Fprintf(e.stdout, "certreg: QR symbols: %d certificates read, %d symbols stored, %d rows skipped (failed their integrity check; run certreg log verify) in %s\n",
		st.Read, st.Written, st.Skipped, time.Since(start).Round(time.Millisecond))
	if st.Skipped > 0 {
		return fmt.Errorf("qr --prepare: %d certificate rows failed their integrity check: no QR symbol was stored for them", st.Skipped)
	}
	return nil
}
