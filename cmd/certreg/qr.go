package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
)

func init() {
	register("qr", "print a certificate's signed QR code URL; write its PNG or SVG for printing", qr)
}

// qr runs `certreg qr NUMBER`: what a certification body prints on the
// paper certificate.
func qr(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "qr", "qr [--db FILE] [--keys DIR] [--base-url URL] [--png FILE [--size PX]] [--svg FILE] NUMBER")
	db := dbFlag(fs, e)
	dir := keysFlag(fs, e)
	base := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL` (env CERTREG_BASE_URL)")
	pngOut := fs.String("png", "", "write the QR code as a PNG `file`")
	size := fs.Int("size", 512, "PNG size in `pixels`")
	svgOut := fs.String("svg", "", "write the QR code as an SVG `file` (sharp at any print size)")
	if err := fs.Parse(args); err != nil {
		return err
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
