package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// subcommands runs the action named by args[0] from actions, for command
// groups such as "user add".
func subcommands(e *env, group string, args []string, actions map[string]func([]string) error) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(actions))
		for n := range actions {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(e.stdout, "Usage: certreg %s %s [flags]\n", group, strings.Join(names, "|"))
		if len(args) == 0 {
			return usageError{group + ": name an action: " + strings.Join(names, ", ")}
		}
		return nil
	}
	act, ok := actions[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("%s: unknown action %q", group, args[0])}
	}
	return act(args[1:])
}

// cliActor is who runs a command, as the audit log records it: --actor, or
// the login name of the shell, or "operator".
func cliActor(fs *flag.FlagSet, e *env) *string {
	return fs.String("actor", envOr(e, "USER", "operator"), "who runs the command, as the audit log records it")
}

// readPassword reads a password, never from a flag: the first line of
// stdin. When the input is a terminal it asks twice. Flags and environment
// variables would leave it in the shell history and the process list.
func readPassword(e *env, prompt string) (string, error) {
	br, ok := e.stdin.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(e.stdin)
		e.stdin = br
	}
	fmt.Fprint(e.stderr, prompt)
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", usageError{"no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PW\" | certreg user add …`"}
	}
	fmt.Fprintln(e.stderr)
	return strings.TrimRight(line, "\r\n"), nil
}
