package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/certreg/certreg/signing"
)

func init() {
	register("keys", "show, create or rotate the QR signing keys; print the public key set", keys)
}

// keysFlag adds --keys (env CERTREG_KEYS, default: a "keys" directory next
// to the database given by --db).
func keysFlag(fs *flag.FlagSet, e *env) *string {
	return fs.String("keys", envOr(e, "CERTREG_KEYS", ""), "signing keys `directory` (env CERTREG_KEYS; default: keys/ next to the database)")
}

// keysDir resolves the keys directory from --keys and --db.
func keysDir(keys, db string) string {
	if keys != "" {
		return keys
	}
	return signing.KeysDir(db)
}

// keys runs `certreg keys [show|create|rotate|public]`.
func keys(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys", "keys [--db FILE] [--keys DIR] [show|create|rotate|public]")
	db := dbFlag(fs, e)
	dirFlag := keysFlag(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	action := "show"
	if fs.NArg() > 1 {
		return usageError{"keys takes one action: show, create, rotate or public"}
	}
	if fs.NArg() == 1 {
		action = fs.Arg(0)
	}
	dir := keysDir(*dirFlag, *db)
	switch action {
	case "show":
		kr, err := signing.LoadKeys(dir)
		if errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("keys: no signing keys in %s yet: run 'certreg keys create' (serve creates them on first start)", dir)
		}
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		printKeys(e, dir, kr)
		return nil
	case "create":
		if _, err := signing.LoadKeys(dir); err == nil {
			return fmt.Errorf("keys: %s already holds signing keys: use 'certreg keys rotate' to replace the current one", dir)
		}
		kr, err := signing.OpenKeys(dir)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		fmt.Fprintf(e.stdout, "created signing key %s in %s\n", kr.Current().ID, filepath.Join(dir, "keys.json"))
		printKeys(e, dir, kr)
		return nil
	case "rotate":
		kr, err := signing.LoadKeys(dir)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		old := kr.Current().ID
		k, err := kr.Rotate()
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		fmt.Fprintf(e.stdout, "rotated: %s is the new signing key; %s is retired and still verifies the QR codes it signed\n", k.ID, old)
		fmt.Fprintln(e.stdout, "restart 'certreg serve' so that it signs with the new key, and republish the public key set")
		printKeys(e, dir, kr)
		return nil
	case "public":
		kr, err := signing.LoadKeys(dir)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		b, err := json.MarshalIndent(kr.PublicSet(), "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	return usageError{fmt.Sprintf("keys: unknown action %q: use show, create, rotate or public", action)}
}

func printKeys(e *env, dir string, kr *signing.KeyRing) {
	fmt.Fprintf(e.stdout, "keys in %s (private key file: mode 0600):\n", dir)
	for _, k := range kr.Keys() {
		state := "current"
		if !k.Current() {
			state = "retired " + k.Retired.Format(time.RFC3339)
		}
		fmt.Fprintf(e.stdout, "  %s  created %s  %s\n", k.ID, k.Created.Format(time.RFC3339), state)
	}
}

// loadVerifyKeys reads a public key set file (as published at
// /.well-known/certreg-keys.json) into a ring that verifies.
func loadVerifyKeys(path string) (*signing.KeyRing, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return signing.ParsePublicKeySet(b)
}
