// Command certreg runs the certreg registry: the public site, the importer
// and the operator's tools.
//
//	certreg serve        run the site (creates a demo registry on first start)
//	certreg import FILE  import certificates from CSV or XLSX
//	certreg help         list every subcommand
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/certreg/certreg/registry"
)

// command is one subcommand: its one-line summary and the function that
// runs it with its own arguments.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may use of the process: its output streams and
// environment variables, so that tests can run the whole program.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// commands lists every subcommand. Each lives in a file of its own.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *env, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if err := run(ctx, e, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "certreg:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors, the status a subcommand chose for an
// exitError (`certreg verify`'s 3), and 1 for every other failure.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	var x exitError
	if errors.As(err, &x) {
		return x.code
	}
	return 1
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// run runs the subcommand named by args[0].
func run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return usageError{"no subcommand given"}
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(e.stderr)
		return usageError{fmt.Sprintf("unknown subcommand %q", args[0])}
	}
	return readable(cmd.run(ctx, e, args[1:]))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "certreg: public registry and verification of service certification certificates")
	fmt.Fprintln(w, "\nUsage: certreg <subcommand> [flags] [args]\n\nSubcommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'certreg <subcommand> --help' for its flags.")
}

// newFlagSet returns a flag set for a subcommand whose --help prints its
// usage line and flags to e.stdout.
func newFlagSet(e *env, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fs.SetOutput(e.stdout)
		fmt.Fprintf(e.stdout, "Usage: certreg %s\n\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parseAndOpen parses a subcommand's flags and opens the registry named by
// its --db flag; the caller closes it.
func parseAndOpen(fs *flag.FlagSet, args []string, db *string) (*registry.Store, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return registry.Open(*db)
}

// dbFlag adds --db (env CERTREG_DB, default data/registry.db).
func dbFlag(fs *flag.FlagSet, e *env) *string {
	return fs.String("db", envOr(e, "CERTREG_DB", "data/registry.db"), "registry database `file` (env CERTREG_DB)")
}

func envOr(e *env, key, def string) string {
	if v := strings.TrimSpace(e.getenv(key)); v != "" {
		return v
	}
	return def
}
