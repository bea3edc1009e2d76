package main

import (
	"context"
	"fmt"

	"github.com/certreg/certreg/registry"
)

func init() {
	register("backup", "write a consistent copy of the live database (checked with integrity_check)", runBackup)
}

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "backup", "backup [--db FILE] DEST")
	db := dbFlag(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"backup: name one destination file"}
	}
	s, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (integrity_check: ok)\n", *db, fs.Arg(0))
	return nil
}
