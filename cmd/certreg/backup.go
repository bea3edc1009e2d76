package main

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
)

func init() {
	register("backup", "write a consistent copy of the live database and its signing keys into a new folder, ready to serve", runBackup)
}

// backupPrefix names the folders that --dated makes, so that --keep
// removes only backups, never anything else in the folder.
const backupPrefix = "certreg-"

// runBackup runs `certreg backup DEST`: an online copy of the registry
// (VACUUM INTO, one consistent snapshot, while serve keeps writing),
// checked with integrity_check, and a copy of the signing keys, laid out as
// a live installation is: DEST/registry.db and DEST/keys/keys.json. A
// restore is a copy of the folder and `serve --db DEST/registry.db`.
func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "backup", "backup [--db FILE] [--keys DIR] [--dated [--keep N]] DEST")
	db := dbFlag(fs, e)
	keysDirFlag := keysFlag(fs, e)
	dated := fs.Bool("dated", false, "write into a new folder DEST/"+backupPrefix+"YYYYMMDDTHHMMSSZ (for a timer) instead of DEST itself")
	keep := fs.Int("keep", 0, "with --dated: afterwards remove all but the `N` newest "+backupPrefix+"* folders in DEST (0 keeps all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"backup: name one destination folder"}
	}
	if *keep < 0 || (*keep > 0 && !*dated) {
		return usageError{"backup: --keep takes a number of backups to keep, with --dated"}
	}
	if _, err := os.Stat(*db); err != nil {
		// Opening would create an empty registry and back that up.
		return fmt.Errorf("backup: %w", err)
	}
	s, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer s.Close()

	dest := fs.Arg(0)
	if *dated {
		if err := os.MkdirAll(dest, 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		dest = filepath.Join(dest, backupPrefix+s.Now().UTC().Format("20060102T150405Z"))
	}
	// The folder must be new: a backup never mixes with an older one.
	if err := os.Mkdir(dest, 0o700); err != nil {
		if errors.Is(err, iofs.ErrExist) {
			return fmt.Errorf("backup: %s already exists: name a new folder", dest)
		}
		return fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dest) // never leave half a backup that looks whole
		}
	}()
	dbOut := filepath.Join(dest, "registry.db")
	if err := s.Backup(ctx, dbOut); err != nil {
		return err
	}
	keysOut := signing.KeysDir(dbOut)
	kr, err := signing.LoadKeys(keysDir(*keysDirFlag, *db))
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		fmt.Fprintf(e.stderr, "backup: no signing keys in %s: the backup holds the database only\n", keysDir(*keysDirFlag, *db))
	case err != nil:
		return fmt.Errorf("backup: signing keys: %w", err)
	default:
		if err := copyKeys(keysDir(*keysDirFlag, *db), keysOut); err != nil {
			return err
		}
		// Read the copy back: a backup whose keys do not load is no backup.
		if _, err := signing.LoadKeys(keysOut); err != nil {
			return fmt.Errorf("backup: the copied signing keys do not load: %w", err)
		}
	}
	ok = true
	fmt.Fprintf(e.stdout, "backed up %s to %s (integrity_check: ok)\n", *db, dbOut)
	if kr != nil {
		fmt.Fprintf(e.stdout, "backed up %d signing keys to %s (they are secret: keep the backup private)\n", len(kr.Keys()), keysOut)
	}
	if *keep > 0 {
		return pruneBackups(e, fs.Arg(0), *keep)
	}
	return nil
}

// copyKeys copies the key ring's files (keys.json and whatever else the
// folder holds, such as the published key set) with private modes.
func copyKeys(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("backup: signing keys: %w", err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("backup: signing keys: %w", err)
	}
	for _, de := range entries {
		if !de.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, de.Name()))
		if err != nil {
			return fmt.Errorf("backup: signing keys: %w", err)
		}
		if err := writeSynced(filepath.Join(to, de.Name()), b, 0o600); err != nil {
			return fmt.Errorf("backup: signing keys: %w", err)
		}
	}
	return nil
}

// writeSynced writes a new file and syncs it to disk.
func writeSynced(name string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pruneBackups removes all but the keep newest dated backups in dir. The
// names sort by time, so the newest are last.
func pruneBackups(e *env, dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup: prune: %w", err)
	}
	var names []string
	for _, de := range entries {
		if de.IsDir() && strings.HasPrefix(de.Name(), backupPrefix) {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("backup: prune: %w", err)
		}
		fmt.Fprintf(e.stdout, "removed old backup %s\n", filepath.Join(dir, names[0]))
		names = names[1:]
	}
	return nil
}
