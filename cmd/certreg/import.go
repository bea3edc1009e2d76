package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strings"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
)

func init() {
	register("import", "import certificates from CSV, XLSX or NDJSON files, all or nothing", runImport)
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "import [--db FILE] [--dry-run] [--no-create-bodies] FILE...")
	db := dbFlag(fs, e)
	dry := fs.Bool("dry-run", false, "check the files and report what would change, but write nothing")
	noCreate := fs.Bool("no-create-bodies", false, "reject rows naming a body the registry does not know, instead of creating it from the row's body name")
	actorName := fs.String("actor", envOr(e, "USER", "operator"), "who is importing, as the history records it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{"import: name at least one file"}
	}
	// All files go in one transaction: either every row of every file is
	// imported, or nothing is.
	files := fs.Args()
	var cur *fileformat.RowReader
	var curFile *os.File
	defer func() {
		if cur != nil {
			cur.Close()
			curFile.Close()
		}
	}()
	i := 0
	next := func() (registry.Input, error) {
		for {
			if cur == nil {
				if i == len(files) {
					return registry.Input{}, io.EOF
				}
				f, err := os.Open(files[i])
				if err != nil {
					return registry.Input{}, err
				}
				rr, err := fileformat.OpenRows(files[i], f)
				if err != nil {
					f.Close()
					return registry.Input{}, prefixFile(files[i], err)
				}
				cur, curFile = rr, f
				i++
			}
			in, err := cur.Next()
			if err == io.EOF {
				cur.Close()
				curFile.Close()
				cur = nil
				continue
			}
			return in, prefixFile(files[i-1], err)
		}
	}
	actor := registry.Actor{Name: *actorName, Source: "cli"}
	opts := registry.ImportOptions{CreateBodies: !*noCreate, DryRun: *dry}
	var res registry.ImportResult
	var err error
	if _, serr := os.Lstat(*db); errors.Is(serr, iofs.ErrNotExist) && !*dry {
		// A registry made by its first import is built in a file of its
		// own and named when complete: no journal, nothing written twice.
		res, err = registry.CreateByImport(ctx, *db, actor, next, opts)
	} else {
		s, oerr := registry.Open(*db)
		if oerr != nil {
			return oerr
		}
		defer s.Close()
		res, err = s.Import(ctx, actor, next, opts)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, "warning:", problemText(w))
	}
	if err != nil {
		var ie *registry.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintf(e.stderr, "nothing imported / 未导入任何数据: %d problem(s) in %d row(s)\n", ie.Total, ie.Rows)
			for _, fe := range ie.Errors {
				fmt.Fprintln(e.stderr, "  "+problemText(fe))
			}
			if ie.Total > len(ie.Errors) {
				fmt.Fprintf(e.stderr, "  … and %d more\n", ie.Total-len(ie.Errors))
			}
			return errors.New("import failed")
		}
		return err
	}
	verb := "imported"
	if *dry {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(e.stdout, "%s %d rows from %s: %d created, %d updated, %d unchanged, %d warnings\n",
		verb, res.Rows, strings.Join(files, ", "), res.Created, res.Updated, res.Unchanged, len(res.Warnings))
	return nil
}

// prefixFile names the file in a row's problems, since one import may read
// several files.
func prefixFile(name string, err error) error {
	if err == nil {
		return nil
	}
	var re *registry.RowError
	if errors.As(err, &re) {
		return re
	}
	var ie *registry.ImportError
	if errors.As(err, &ie) {
		for i := range ie.Errors {
			ie.Errors[i].Message = registry.Message{Key: "cli.in_file", Args: []any{name, ie.Errors[i].Message}}
		}
		return ie
	}
	return fmt.Errorf("%s: %w", name, err)
}
