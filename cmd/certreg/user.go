package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

func init() {
	register("user", "manage accounts: user add|list|disable|reset-password (passwords on stdin)", runUser)
}

func runUser(ctx context.Context, e *env, args []string) error {
	return subcommands(e, "user", args, map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlagSet(e, "user add", "user add [--db FILE] --role operator|publisher [--body APPROVAL] NAME  (password on stdin)")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			role := fs.String("role", "", "operator (manages bodies and accounts) or publisher (publishes for one body)")
			body := fs.String("body", "", "a publisher's certification body, by approval number")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return usageError{"user add: name one user"}
			}
			pw, err := readPassword(e, "new password / 新密码: ")
			if err != nil {
				return err
			}
			s, err := registry.Open(*db)
			if err != nil {
				return err
			}
			defer s.Close()
			u, err := accounts.New(s).AddUser(ctx, registry.Actor{Name: *actor, Source: "cli"}, registry.NewUser{Name: fs.Arg(0), Role: registry.Role(*role), BodyApproval: *body}, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "added %s %s %s\n", u.Role, u.Name, u.BodyApproval)
			return nil
		},
		"list": func(args []string) error {
			fs := newFlagSet(e, "user list", "user list [--db FILE]")
			db := dbFlag(fs, e)
			s, err := parseAndOpen(fs, args, db)
			if err != nil {
				return err
			}
			defer s.Close()
			us, err := s.Users(ctx, 0)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tBODY\tSTATE\tTOTP")
			for _, u := range us {
				state := "active"
				if u.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.Name, u.Role, u.BodyApproval, state, u.TOTP)
			}
			return tw.Flush()
		},
		"disable": func(args []string) error {
			fs := newFlagSet(e, "user disable", "user disable [--db FILE] NAME")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return usageError{"user disable: name one user"}
			}
			s, err := registry.Open(*db)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.DisableUser(ctx, registry.Actor{Name: *actor, Source: "cli"}, fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "disabled %s; every session of the user has ended\n", fs.Arg(0))
			return nil
		},
		"reset-password": func(args []string) error {
			fs := newFlagSet(e, "user reset-password", "user reset-password [--db FILE] NAME  (new password on stdin)")
			db := dbFlag(fs, e)
			actor := cliActor(fs, e)
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return usageError{"user reset-password: name one user"}
			}
			pw, err := readPassword(e, "new password / 新密码: ")
			if err != nil {
				return err
			}
			s, err := registry.Open(*db)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := accounts.New(s).SetPassword(ctx, registry.Actor{Name: *actor, Source: "cli"}, fs.Arg(0), pw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password of %s changed; every session of the user has ended\n", fs.Arg(0))
			return nil
		},
	})
}
