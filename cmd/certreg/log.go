package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
)

func init() {
	register("log", "the public transparency log: verify the database against it, monitor a registry, sequence", runLog)
}

// logCommands are the subcommands of `certreg log`.
var logCommands = map[string]struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}{
	"verify":   {"recompute the log from the events and check the stored tree and every signed checkpoint", runLogVerify},
	"monitor":  {"fetch a registry's checkpoint, check it extends the last one seen, and save it", runLogMonitor},
	"sequence": {"log every event not logged yet and sign a checkpoint", runLogSequence},
}

func runLog(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: certreg log <verify|monitor|sequence> [flags]")
		for _, name := range []string{"verify", "monitor", "sequence"} {
			fmt.Fprintf(e.stdout, "  %-10s %s\n", name, logCommands[name].summary)
		}
		if len(args) == 0 {
			return usageError{"log: name a subcommand"}
		}
		return nil
	}
	c, ok := logCommands[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("log: unknown subcommand %q", args[0])}
	}
	return c.run(ctx, e, args[1:])
}

// readKey returns a key given on the command line, or read from the file
// named after an "@".
func readKey(v string) (string, error) {
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		v = string(b)
	}
	return strings.TrimSpace(v), nil
}

// keyList is a repeatable flag of keys.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error {
	*k = append(*k, v)
	return nil
}

// parseVerifierKeys reads each verifier key of a list.
func parseVerifierKeys(list []string) ([]note.Verifier, error) {
	var out []note.Verifier
	for _, k := range list {
		v, err := parseVerifierKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseVerifierKey reads a signed-note verifier key ("name+hash+base64").
func parseVerifierKey(v string) (note.Verifier, error) {
	k, err := readKey(v)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	ver, err := note.NewVerifier(k)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w", k, err)
	}
	return ver, nil
}

func runLogVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "log verify", "log verify [--db FILE] [--key VKEY|@FILE]...")
	db := dbFlag(fs, e)
	var keys keyList
	fs.Var(&keys, "key", "the log's published verifier `key` (name+hash+base64), or @file holding it; repeat it for every key the log has used (env CERTREG_LOG_KEY: one key); without it signatures are not checked")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if k := envOr(e, "CERTREG_LOG_KEY", ""); len(keys) == 0 && k != "" {
		keys = append(keys, k)
	}
	vers, err := parseVerifierKeys(keys)
	if err != nil {
		return err
	}
	s, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := translog.New(s, "", nil)
	if err != nil {
		return err
	}
	audit, err := l.Verify(ctx, vers...)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "公开日志：%d 条记录，%d 个事件待记入，已检查 %d 个检查点\n", audit.Size, audit.Pending, audit.Checkpoints)
	fmt.Fprintf(e.stdout, "log: %d entries, %d events not logged yet, %d checkpoints checked\n", audit.Size, audit.Pending, audit.Checkpoints)
	if !audit.SignaturesChecked {
		fmt.Fprintln(e.stdout, "注意：未给出 --key，未检查检查点签名\nnote: no --key given: checkpoint signatures were not checked")
	}
	for _, p := range audit.Problems {
		where := ""
		if p.Index >= 0 {
			where += fmt.Sprintf(" entry #%d", p.Index)
		}
		if p.EventID != 0 {
			where += fmt.Sprintf(" event #%d", p.EventID)
		}
		if p.Number != "" {
			where += " certificate " + p.Number
		}
		fmt.Fprintf(e.stdout, "\n%s%s\n  %s\n  %s\n", strings.ToUpper(p.Kind), where, i18n.ZH.Render(p), i18n.EN.Render(p))
	}
	if err := audit.Err(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "公开日志与登记库一致\nthe log matches the registry")
	return nil
}

// parseSignerKey reads a signed-note signer key ("PRIVATE+KEY+name+hash+
// base64", or @file) and returns its signer and published verifier key.
func parseSignerKey(v string) (note.Signer, string, error) {
	k, err := readKey(v)
	if err != nil {
		return nil, "", fmt.Errorf("signer key: %w", err)
	}
	// Errors never repeat the key: it is a secret.
	f := strings.SplitN(k, "+", 5) // base64 may hold "+"
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" {
		return nil, "", errors.New("signer key: not a PRIVATE+KEY+name+hash+base64 key")
	}
	seed, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(seed) != 1+ed25519.SeedSize || seed[0] != 1 {
		return nil, "", errors.New("signer key: not an Ed25519 signed-note key")
	}
	signer, err := note.NewSigner(k)
	if err != nil {
		return nil, "", fmt.Errorf("signer key: %w", err)
	}
	vkey, err := translog.NoteVerifierKey(f[2], ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey))
	return signer, vkey, err
}

// serveLog opens the transparency log for `serve`: always served, and
// sequenced by this process (sequence is true) when it can sign: with the
// signed-note key in CERTREG_LOG_SIGNER_KEY if set, otherwise with the
// registry's key ring (the key that signs QR codes), if ring is not nil.
// The origin, also the key's name, is CERTREG_LOG_ORIGIN, by default the
// base URL without its scheme + "/log": set it once and keep it.
func serveLog(e *env, store *registry.Store, baseURL string, ring *signing.KeyRing) (l *translog.Log, vkey string, sequence bool, err error) {
	origin := envOr(e, "CERTREG_LOG_ORIGIN", "")
	if origin == "" {
		origin = strings.TrimSuffix(baseURL[strings.Index(baseURL, "://")+3:], "/") + "/log"
	}
	var signer note.Signer
	vkey = envOr(e, "CERTREG_LOG_KEY", "")
	switch k := envOr(e, "CERTREG_LOG_SIGNER_KEY", ""); {
	case k != "":
		if signer, vkey, err = parseSignerKey(k); err != nil {
			return nil, "", false, err
		}
	case ring != nil && ring.Current() != nil:
		if signer, err = ring.NoteSigner(origin); err != nil {
			return nil, "", false, err
		}
		if vkey, err = translog.NoteVerifierKey(origin, ring.Current().Public); err != nil {
			return nil, "", false, err
		}
	case vkey != "":
		if vkey, err = readKey(vkey); err != nil {
			return nil, "", false, err
		}
	}
	if signer == nil {
		origin = ""
	}
	l, err = translog.New(store, origin, signer)
	if err != nil {
		return nil, "", false, err
	}
	return l, vkey, signer != nil, nil
}

func runLogSequence(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "log sequence", "log sequence [--db FILE] --origin ORIGIN --signer-key @FILE")
	db := dbFlag(fs, e)
	origin := fs.String("origin", envOr(e, "CERTREG_LOG_ORIGIN", ""), "the log's origin line, its URL without the scheme (env CERTREG_LOG_ORIGIN)")
	skey := fs.String("signer-key", envOr(e, "CERTREG_LOG_SIGNER_KEY", ""), "the signed-note signer `key` (PRIVATE+KEY+name+hash+base64), or @file holding it (env CERTREG_LOG_SIGNER_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *origin == "" || *skey == "" {
		fs.Usage()
		return usageError{"log sequence: --origin and --signer-key are required"}
	}
	signer, _, err := parseSignerKey(*skey)
	if err != nil {
		return err
	}
	s, err := registry.Open(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := translog.New(s, *origin, signer)
	if err != nil {
		return err
	}
	cp, err := l.Sequence(ctx)
	if err != nil {
		return err
	}
	e.stdout.Write(cp.Note)
	return nil
}
