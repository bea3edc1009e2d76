package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/certreg/certreg/fileformat"
)

func init() {
	register("export-data", "write the whole registry as CSV and NDJSON (the open data; imports back unchanged)", runExportData)
}

func runExportData(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "export-data", "export-data [--db FILE] [--out DIR]")
	db := dbFlag(fs, e)
	out := fs.String("out", ".", "`directory` to write certificates.csv and certificates.ndjson in")
	s, err := parseAndOpen(fs, args, db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		write func(context.Context, *os.File) (int, error)
	}{
		{"certificates.csv", func(ctx context.Context, w *os.File) (int, error) { return fileformat.WriteCSV(ctx, s, w, 0) }},
		{"certificates.ndjson", func(ctx context.Context, w *os.File) (int, error) { return fileformat.WriteNDJSON(ctx, s, w, 0) }},
	} {
		n, err := writeFileAtomic(filepath.Join(*out, f.name), func(w *os.File) (int, error) { return f.write(ctx, w) })
		if err != nil {
			return fmt.Errorf("export-data %s: %w", f.name, err)
		}
		fmt.Fprintf(e.stdout, "wrote %d certificates to %s\n", n, filepath.Join(*out, f.name))
	}
	return nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory and renames it into place, so that no reader sees half of it.
func writeFileAtomic(path string, write func(*os.File) (int, error)) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return n, err
}
