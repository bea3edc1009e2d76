package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certreg/certreg/registry"
)

func init() {
	register("audit", "read the audit log: who did what, when, from where (filters as in the console)", runAudit)
}

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "audit", "audit [--db FILE] [--body APPROVAL] [--kind KIND|PREFIX.] [--actor NAME] [--source console|api|cli] [--number N] [--since YYYY-MM-DD] [--limit N]")
	db := dbFlag(fs, e)
	body := fs.String("body", "", "only this body's entries, by approval number")
	var f registry.AuditFilter
	fs.StringVar(&f.Kind, "kind", "", "an event kind (suspended, user.login) or a prefix ending in . (user.)")
	fs.StringVar(&f.Actor, "actor", "", "who")
	fs.StringVar(&f.Source, "source", "", "through what: console, api, cli, import, demo")
	fs.StringVar(&f.Number, "number", "", "a certificate number")
	since := fs.String("since", "", "from this day (China time)")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many entries, newest first (max 1000)")
	s, err := parseAndOpen(fs, args, db)
	if err != nil {
		return err
	}
	defer s.Close()
	if *body != "" {
		b, err := s.Body(ctx, *body)
		if err != nil {
			return err
		}
		f.BodyID = b.ID
	}
	if *since != "" {
		d, err := registry.ParseDate(*since)
		if err != nil {
			return usageError{fmt.Sprintf("audit: --since %q is not a date", *since)}
		}
		f.Since = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, registry.ChinaTime())
	}
	evs, err := s.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	bodies := map[int64]string{}
	bs, err := s.Bodies(ctx)
	if err != nil {
		return err
	}
	for _, b := range bs {
		bodies[b.ID] = b.Approval
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT (UTC)\tACTOR\tSOURCE\tADDRESS\tBODY\tKIND\tNUMBER\tCHANGES")
	for _, ev := range evs {
		var ch []string
		for _, c := range ev.Changes {
			ch = append(ch, c.Field+": "+c.Before+" → "+c.After)
		}
		if ev.Reason != "" {
			ch = append(ch, "reason: "+ev.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format("2006-01-02 15:04:05"), ev.Actor, ev.Source, ev.RemoteAddr,
			bodies[ev.BodyID], ev.Kind, ev.Number, strings.ReplaceAll(strings.Join(ch, "; "), "\n", " "))
	}
	return tw.Flush()
}
