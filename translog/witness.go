package translog

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
)

// Witnesses stop the registry from showing different histories to
// different people (a split view): each new checkpoint is sent, with a
// consistency proof from the last one the witness cosigned, to independent
// witnesses (c2sp.org/tlog-witness); a witness cosigns it
// (c2sp.org/tlog-cosignature) only if it extends everything it saw of this
// log, and never cosigns two trees of one size. The registry keeps the
// cosignatures and serves them with its checkpoint, so that a verifier who
// requires N of them knows N witnesses saw that same tree.

// Witness is an independent witness the log submits its checkpoints to.
type Witness struct {
	Name     string // the witness's key name
	Key      string // its verifier key, cosignature/v1 form ("name+hash+base64")
	URL      string // the base URL of its tlog-witness API (POST URL/add-checkpoint)
	verifier note.Verifier
}

// Verifier checks the witness's cosignatures.
func (w Witness) Verifier() note.Verifier { return w.verifier }

// ParseWitness reads a witness as configured: its verifier key, "+", and
// the base URL of its API: "name+hash+base64+https://witness.example/".
// The key may be a plain Ed25519 signed-note key (type 0x01) or a
// cosignature/v1 key (type 0x04); both verify cosignature/v1 signatures.
func ParseWitness(s string) (Witness, error) {
	// The key's base64 may hold "+": the URL starts at the last "+http".
	s = strings.TrimSpace(s)
	i := strings.LastIndex(s, "+http")
	if i < 0 {
		return Witness{}, fmt.Errorf("witness %q: want KEYNAME+HASH+KEY+URL, the URL http:// or https://", s)
	}
	w, err := ParseWitnessKey(s[:i])
	if err != nil {
		return Witness{}, err
	}
	u, err := url.Parse(s[i+1:])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Witness{}, fmt.Errorf("witness %s: %q is not an http(s) URL without user, query or fragment", w.Name, s[i+1:])
	}
	w.URL = strings.TrimSuffix(u.String(), "/")
	return w, nil
}

// ParseWitnessKey reads a witness's verifier key ("name+hash+base64", an
// Ed25519 key of type 0x01 or 0x04), for checking its cosignatures.
func ParseWitnessKey(key string) (Witness, error) {
	key = strings.TrimSpace(key)
	v, err := fnote.NewVerifierForCosignatureV1(key)
	if err != nil {
		return Witness{}, fmt.Errorf("witness key %q: %w", key, err)
	}
	if k, err := fnote.VKeyToCosignatureV1(key); err == nil {
		key = k // a plain Ed25519 key: show the form the witness signs with
	}
	return Witness{Name: v.Name(), Key: key, verifier: v}, nil
}

// maxWitnessResponse bounds what is read of a witness's answer: a few
// signature lines.
const maxWitnessResponse = 16 << 10

// WitnessRefusedError is a witness's refusal of a checkpoint it must not
// cosign: 422, the tree is not consistent with one it saw (a fork, or a
// rewritten log), or a signature or log it does not accept.
type WitnessRefusedError struct {
	Witness string
	Status  int
	Size    int64
	Reason  string
}

func (e *WitnessRefusedError) Error() string {
	return fmt.Sprintf("witness %s refused the checkpoint of size %d (HTTP %d): %s", e.Witness, e.Size, e.Status, e.Reason)
}

// witnessConflict is a 409 answer: the witness's latest cosigned size for
// this log is not the old size we sent.
type witnessConflict struct{ size int64 }

func (e *witnessConflict) Error() string {
	return fmt.Sprintf("witness has cosigned size %d", e.size)
}

// Submit sends the log's latest checkpoint to the witness, with a
// consistency proof from the size the witness last cosigned, and keeps
// the cosignature it returns. It asks the store where the witness stands;
// on a 409 (the witness stands elsewhere, for example after losing the
// registry's database or its own) it follows the witness's size once. A
// checkpoint already cosigned by the witness is not sent again. It
// returns the size now cosigned.
func (l *Log) Submit(ctx context.Context, client *http.Client, w Witness) (int64, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	have, err := l.store.Cosignatures(ctx, cp.Size, cp.Hash)
	if err != nil {
		return 0, err
	}
	for _, c := range have {
		if c.Witness == w.Name && c.KeyHash == w.verifier.KeyHash() {
			return cp.Size, nil
		}
	}
	old, _, err := l.store.LatestCosignedSize(ctx, w.Name, w.verifier.KeyHash())
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		if old > cp.Size {
			return 0, &WitnessRefusedError{Witness: w.Name, Status: http.StatusConflict, Size: cp.Size,
				Reason: fmt.Sprintf("it has cosigned a larger tree (size %d) of this log than the registry's", old)}
		}
		err = l.submit(ctx, client, w, cp, old)
		var c *witnessConflict
		if errors.As(err, &c) && attempt == 0 && c.size != old {
			old = c.size
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("submit checkpoint %d to witness %s: %w", cp.Size, w.Name, err)
		}
		return cp.Size, nil
	}
}

// submit makes one add-checkpoint request (c2sp.org/tlog-witness).
func (l *Log) submit(ctx context.Context, client *http.Client, w Witness, cp *Checkpoint, old int64) error {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	if old > 0 && old < cp.Size {
		proof, err := tlog.ProveTree(cp.Size, old, l.stored(ctx))
		if err != nil {
			return fmt.Errorf("consistency proof %d→%d: %w", old, cp.Size, err)
		}
		for _, h := range proof {
			body.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
	}
	body.WriteString("\n")
	body.Write(cp.Note)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+"/add-checkpoint", &body)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxWitnessResponse+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxWitnessResponse {
		return fmt.Errorf("answer larger than %d bytes", maxWitnessResponse)
	}
	refused := func(reason string) error {
		return &WitnessRefusedError{Witness: w.Name, Status: resp.StatusCode, Size: cp.Size, Reason: reason}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		size, err := strconv.ParseInt(strings.TrimSuffix(string(b), "\n"), 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("HTTP 409 without a tree size (%q)", truncate(b))
		}
		return &witnessConflict{size}
	case http.StatusUnprocessableEntity:
		return refused("the tree is not consistent with the one the witness cosigned before: a fork or a rewritten log")
	case http.StatusForbidden:
		return refused("it does not accept the log's signature (is the log's key configured at the witness?)")
	case http.StatusNotFound:
		return refused(fmt.Sprintf("it does not witness a log of origin %q", cp.Origin))
	case http.StatusBadRequest:
		return refused(fmt.Sprintf("it found the request malformed (old size %d)", old))
	default:
		return fmt.Errorf("HTTP %d: %q", resp.StatusCode, truncate(b))
	}
	sigs, err := parseCosignatures(cp, w, b)
	if err != nil {
		return err
	}
	for _, c := range sigs {
		if err := l.store.AddCosignature(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// parseCosignatures reads a witness's answer, signature lines, and keeps
// those by the witness's key that verify over the checkpoint; none is an
// error.
func parseCosignatures(cp *Checkpoint, w Witness, b []byte) ([]registry.Cosignature, error) {
	text, _, ok := strings.Cut(string(cp.Note), "\n\n")
	if !ok {
		return nil, errors.New("checkpoint without signatures")
	}
	var out []registry.Cosignature
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		sig, ok := verifyCosignature(text+"\n", w, line)
		if !ok {
			continue
		}
		t, err := fnote.CoSigV1Timestamp(sig)
		if err != nil {
			continue
		}
		out = append(out, registry.Cosignature{Size: cp.Size, Root: cp.Hash, Witness: w.Name,
			KeyHash: w.verifier.KeyHash(), Line: strings.TrimSuffix(line, "\n") + "\n", CosignedAt: t.UTC()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no valid cosignature by %s in its answer %q", w.Name, truncate(b))
	}
	return out, nil
}

// verifyCosignature checks one signature line against the checkpoint text
// with the witness's key.
func verifyCosignature(text string, w Witness, line string) (note.Signature, bool) {
	if !strings.HasPrefix(line, "— "+w.Name+" ") || !strings.HasSuffix(line, "\n") {
		return note.Signature{}, false
	}
	n, err := note.Open([]byte(text+"\n"+line), note.VerifierList(w.verifier))
	if err != nil || len(n.Sigs) != 1 {
		return note.Signature{}, false
	}
	return n.Sigs[0], true
}

// CosignedCheckpoint returns the latest checkpoint with every cosignature
// kept for its tree appended to its note (those were checked when they
// came; a verifier checks them again with the witnesses' keys it trusts),
// and which of the witnesses given have a valid cosignature on it.
func (l *Log) CosignedCheckpoint(ctx context.Context, witnesses []Witness) (*Checkpoint, []Witness, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs, err := l.store.Cosignatures(ctx, cp.Size, cp.Hash)
	if err != nil {
		return nil, nil, err
	}
	text, _, ok := strings.Cut(string(cp.Note), "\n\n")
	if !ok {
		return nil, nil, errors.New("transparency log checkpoint: stored note has no signature")
	}
	msg := append([]byte(nil), cp.Note...)
	var by []Witness
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Line] || !strings.HasPrefix(c.Line, "— ") || strings.Count(c.Line, "\n") != 1 {
			continue
		}
		seen[c.Line] = true
		msg = append(msg, c.Line...)
		for _, w := range witnesses {
			if w.Name == c.Witness && w.verifier.KeyHash() == c.KeyHash && !containsWitness(by, w) {
				if _, ok := verifyCosignature(text+"\n", w, c.Line); ok {
					by = append(by, w)
				}
			}
		}
	}
	out := *cp
	out.Note = msg
	return &out, by, nil
}

func containsWitness(ws []Witness, w Witness) bool {
	for _, x := range ws {
		if x.Name == w.Name {
			return true
		}
	}
	return false
}

// Witnessed counts the witnesses among those given whose cosignature on
// the latest checkpoint is valid, and returns that checkpoint's size: an
// entry below it was seen by them.
func (l *Log) Witnessed(ctx context.Context, witnesses []Witness) (n int, size int64, err error) {
	if len(witnesses) == 0 {
		return 0, 0, nil
	}
	cp, by, err := l.CosignedCheckpoint(ctx, witnesses)
	if registry.ErrorCode(err) == registry.ENOTFOUND {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return len(by), cp.Size, nil
}

// CountCosignatures returns the witnesses among those given with a valid
// cosignature on a signed checkpoint note (one per witness, whatever its
// number of lines): what a verifier requiring a quorum counts.
func CountCosignatures(msg []byte, witnesses []Witness) []Witness {
	text, sigs, ok := strings.Cut(string(msg), "\n\n")
	if !ok {
		return nil
	}
	var by []Witness
	for _, line := range strings.SplitAfter(sigs, "\n") {
		for _, w := range witnesses {
			if containsWitness(by, w) {
				continue
			}
			if _, ok := verifyCosignature(text+"\n", w, line); ok {
				by = append(by, w)
			}
		}
	}
	return by
}

// WitnessReport is what the submitter says after each attempt with a
// witness: the size cosigned, or the error.
type WitnessReport struct {
	Witness string
	Size    int64
	Err     error
}

// FollowWitnesses submits the log's latest checkpoint to each witness whenever it
// has not cosigned it yet, checking every interval, until ctx ends. Each
// witness has its own loop, so that a slow or unreachable one delays no
// other, and none of them delays the registry's writes: a failed
// submission is retried later, backing off up to maxBackoff. Each attempt
// that did something, or failed, goes to report. It returns once every
// loop has returned, so a caller that closes the store afterwards knows
// no submission still reads it.
func (l *Log) FollowWitnesses(ctx context.Context, witnesses []Witness, client *http.Client, every time.Duration, report func(WitnessReport)) {
	var wg sync.WaitGroup
	for _, w := range witnesses {
		wg.Go(func() { l.followWitness(ctx, w, client, every, report) })
	}
	wg.Wait()
}

// maxBackoff is the longest wait between two attempts with a failing
// witness.
const maxBackoff = 5 * time.Minute

func (l *Log) followWitness(ctx context.Context, w Witness, client *http.Client, every time.Duration, report func(WitnessReport)) {
	wait, last := every, int64(-1)
	for {
		size, err := l.Submit(ctx, client, w)
		switch {
		case ctx.Err() != nil:
			return
		case registry.ErrorCode(err) == registry.ENOTFOUND: // no checkpoint yet
			wait = every
		case err != nil:
			report(WitnessReport{Witness: w.Name, Err: err})
			wait = min(max(wait*2, every), maxBackoff)
		default:
			if size != last {
				report(WitnessReport{Witness: w.Name, Size: size})
				last = size
			}
			wait = every
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
