package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/translog"
)

// witnessFlag adds `--witness KEY+URL` (repeatable) to a command, with the
// environment variable CERTREG_WITNESSES (witnesses separated by white
// space) as the fallback, and returns a function that reads them.
func witnessFlag(fs *flag.FlagSet, e *env) func() ([]translog.Witness, error) {
	var list keyList
	fs.Var(&list, "witness", "an independent `witness` the log's checkpoints are sent to for cosigning (c2sp.org/tlog-witness): its verifier key name+hash+base64, \"+\", and the base URL of its API; repeat it for each witness (env CERTREG_WITNESSES: witnesses separated by spaces)")
	return func() ([]translog.Witness, error) {
		if len(list) == 0 {
			list = strings.Fields(envOr(e, "CERTREG_WITNESSES", ""))
		}
		var out []translog.Witness
		seen := map[string]bool{}
		for _, s := range list {
			w, err := translog.ParseWitness(s)
			if err != nil {
				return nil, usageError{err.Error()}
			}
			if seen[w.Name] {
				return nil, usageError{fmt.Sprintf("witness %s is given twice", w.Name)}
			}
			seen[w.Name] = true
			out = append(out, w)
		}
		return out, nil
	}
}

// witnessTimeout bounds one submission to a witness: a witness that hangs
// is retried later, and never holds anything of the registry's.
const witnessTimeout = 10 * time.Second

// followWitnesses runs, for each witness and until ctx ends, the loop that sends it every
// new checkpoint (translog.Log.FollowWitnesses) and logs what happens: a
// cosignature at info level, a failure at warning level, and a refusal
// (the witness saw another tree: a fork) at error level.
func followWitnesses(ctx context.Context, l *translog.Log, ws []translog.Witness, log *slog.Logger) {
	if len(ws) == 0 {
		return
	}
	client := &http.Client{Timeout: witnessTimeout}
	l.FollowWitnesses(ctx, ws, client, time.Second, func(r translog.WitnessReport) {
		var refused *translog.WitnessRefusedError
		switch {
		case r.Err == nil:
			log.Info("transparency log: checkpoint cosigned", "witness", r.Witness, "size", r.Size)
		case errors.As(r.Err, &refused):
			log.Error("transparency log: witness refused the checkpoint", "witness", r.Witness, "err", r.Err)
		default:
			log.Warn("transparency log: witness not reached; will retry", "witness", r.Witness, "err", r.Err)
		}
	})
}

// setWitnesses reads the monitor's witness flags.
func (m *monitor) setWitnesses(keys []string, quorum int, wait time.Duration) error {
	for _, k := range keys {
		k, err := readKey(k)
		if err != nil {
			return err
		}
		w, err := translog.ParseWitnessKey(k)
		if err != nil {
			return usageError{err.Error()}
		}
		m.witnesses = append(m.witnesses, w)
	}
	switch {
	case quorum < 0:
		return usageError{"log monitor: --witness-quorum must be 0 or more"}
	case quorum > len(m.witnesses):
		return usageError{fmt.Sprintf("log monitor: --witness-quorum %d needs at least %d --witness keys, got %d", quorum, quorum, len(m.witnesses))}
	case wait < 0:
		return usageError{"log monitor: --witness-wait must not be negative"}
	}
	m.quorum, m.wait = quorum, wait
	return nil
}

// checkpoint fetches the registry's checkpoint and checks its signature
// and, with a quorum, its witnesses' cosignatures. A checkpoint signed a
// moment ago may not have them yet (the registry sends it to the witnesses
// after signing it), so it is fetched again for up to m.wait before being
// refused.
func (m *monitor) checkpoint(vers []note.Verifier) (*translog.Checkpoint, error) {
	deadline := time.Now().Add(m.wait)
	for {
		msg, err := m.get("checkpoint", 1<<20)
		if err != nil {
			return nil, err
		}
		cp, err := translog.ParseCheckpoint(msg, vers...)
		if err != nil {
			return nil, fmt.Errorf("%s/log/checkpoint: %w", m.base, err)
		}
		if len(m.witnesses) == 0 {
			return cp, nil
		}
		by := translog.CountCosignatures(msg, m.witnesses)
		names := make([]string, len(by))
		for i, w := range by {
			names[i] = w.Name
		}
		if len(by) >= m.quorum {
			fmt.Fprintf(m.out, "witnesses 见证方: %d cosigned 已副署 (%d required 要求): %s\n", len(by), m.quorum, strings.Join(names, ", "))
			return cp, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("WITNESSES: the checkpoint of size %d has valid cosignatures by %d of the %d witnesses required (%s): witnesses have not seen this tree, which may be a history shown only to you\n见证不足：大小为 %d 的检查点只有 %d 个有效见证副署，要求 %d 个",
				cp.Size, len(by), m.quorum, strings.Join(names, ", "), cp.Size, len(by), m.quorum)
		}
		select {
		case <-m.ctx.Done():
			return nil, m.ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
