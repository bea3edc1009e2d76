package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/certreg/certreg/registry"
)

func init() {
	register("body", "manage certification bodies: body add|list|disable|enable", runBody)
}

func runBody(ctx context.Context, e *env, args []string) error {
	return subcommands(e, "body", args, map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlagSet(e, "body add", "body add [--db FILE] --approval CNCA-R-YYYY-NNN --name 名称 [--name-en NAME] [--website URL] [--province P] [--city C] [--contact TEXT]")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			var b registry.Body
			fs.StringVar(&b.Approval, "approval", "", "CNCA approval number (批准号)")
			fs.StringVar(&b.NameZH, "name", "", "the body's name in Chinese")
			fs.StringVar(&b.NameEN, "name-en", "", "the body's name in English")
			fs.StringVar(&b.Website, "website", "", "the body's website")
			fs.StringVar(&b.Province, "province", "", "province")
			fs.StringVar(&b.City, "city", "", "city")
			fs.StringVar(&b.Contact, "contact", "", "contact for the public")
			s, err := parseAndOpen(fs, args, db)
			if err != nil {
				return err
			}
			defer s.Close()
			nb, err := s.AddBody(ctx, registry.Actor{Name: *actor, Source: "cli"}, b)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "added body %s %s\n", nb.Approval, nb.NameZH)
			return nil
		},
		"list": func(args []string) error {
			fs := newFlagSet(e, "body list", "body list [--db FILE]")
			db := dbFlag(fs, e)
			s, err := parseAndOpen(fs, args, db)
			if err != nil {
				return err
			}
			defer s.Close()
			bs, err := s.Bodies(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "APPROVAL\tSTATE\tNAME")
			for _, b := range bs {
				state := "active"
				if b.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Approval, state, b.NameZH)
			}
			return tw.Flush()
		},
		"disable": func(args []string) error { return setBodyDisabled(ctx, e, args, true) },
		"enable":  func(args []string) error { return setBodyDisabled(ctx, e, args, false) },
	})
}

func setBodyDisabled(ctx context.Context, e *env, args []string, disabled bool) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	fs := newFlagSet(e, "body "+verb, "body "+verb+" [--db FILE] APPROVAL")
	db := dbFlag(fs, e)
	actor := cliActor(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"body " + verb + ": name one approval number"}
	}
	s, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetBodyDisabled(ctx, registry.Actor{Name: *actor, Source: "cli"}, fs.Arg(0), disabled); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%sd body %s\n", verb, fs.Arg(0))
	return nil
}
