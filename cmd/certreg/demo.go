package main

import (
	"context"
	"fmt"

	"github.com/certreg/certreg/demo"
)

func init() {
	register("demo", "fill an empty registry with the sample (示例) demo dataset", runDemo)
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "demo [--db FILE]")
	db := dbFlag(fs, e)
	s, err := parseAndOpen(fs, args, db)
	if err != nil {
		return err
	}
	defer s.Close()
	loaded, err := demo.Load(ctx, s)
	if err != nil {
		return err
	}
	if !loaded {
		return fmt.Errorf("demo: %s already holds certificates; the demo loads only into an empty registry", *db)
	}
	fmt.Fprintf(e.stdout, "loaded %d sample certificates into %s\n", demo.Size, *db)
	return nil
}
