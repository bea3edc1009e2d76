package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

func init() {
	register("apikey", "manage bodies' API keys: apikey create|list|revoke", runAPIKey)
}

func runAPIKey(ctx context.Context, e *env, args []string) error {
	return subcommands(e, "apikey", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlagSet(e, "apikey create", "apikey create [--db FILE] --body APPROVAL --name NAME [--days N]")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			body := fs.String("body", "", "the certification body the key publishes for, by approval number")
			name := fs.String("name", "", "what the key is for (\"ERP system\")")
			days := fs.Int("days", 365, "days until the key expires (at most 731)")
			s, err := parseAndOpen(fs, args, db)
			if err != nil {
				return err
			}
			defer s.Close()
			key, k, err := accounts.New(s).CreateAPIKey(ctx, registry.Actor{Name: *actor, Source: "cli"}, *body, *name, s.Now().Add(time.Duration(*days)*24*time.Hour))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "API key %d for %s, expires %s. It is shown once and cannot be shown again:\n", k.ID, k.BodyApproval, k.Expires.Format(registry.DateLayout))
			fmt.Fprintln(e.stdout, key)
			return nil
		},
		"list": func(args []string) error {
			fs := newFlagSet(e, "apikey list", "apikey list [--db FILE] [--body APPROVAL]")
			db := dbFlag(fs, e)
			body := fs.String("body", "", "only this body's keys")
			s, err := parseAndOpen(fs, args, db)
			if err != nil {
				return err
			}
			defer s.Close()
			var bodyID int64
			if *body != "" {
				b, err := s.Body(ctx, *body)
				if err != nil {
					return err
				}
				bodyID = b.ID
			}
			ks, err := s.APIKeys(ctx, bodyID)
			if err != nil {
				return err
			}
			now := s.Now()
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPREFIX\tBODY\tNAME\tSTATE\tEXPIRES\tLAST USED")
			for _, k := range ks {
				state := "live"
				switch {
				case !k.Revoked.IsZero():
					state = "revoked"
				case !k.Live(now):
					state = "expired"
				}
				used := "never"
				if !k.LastUsed.IsZero() {
					used = k.LastUsed.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.BodyApproval, k.Name, state, k.Expires.Format(registry.DateLayout), used)
			}
			return tw.Flush()
		},
		"revoke": func(args []string) error {
			fs := newFlagSet(e, "apikey revoke", "apikey revoke [--db FILE] ID")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			if err := fs.Parse(args); err != nil {
				return err
			}
			id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
			if fs.NArg() != 1 || err != nil {
				return usageError{"apikey revoke: give the key's ID (see apikey list)"}
			}
			s, err := registry.Open(*db)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.RevokeAPIKey(ctx, registry.Actor{Name: *actor, Source: "cli"}, id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked API key %d\n", id)
			return nil
		},
	})
}
