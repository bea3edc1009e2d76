package translog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certreg/certreg/registry"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// BackdateTolerance is how far an event's time may go back behind an event
// logged before it (clock adjustments between processes) before `log
// verify` calls it back-dated.
const BackdateTolerance = 5 * time.Minute

// Problem is one thing wrong that Verify found. Number is the
// certificate concerned, when there is one.
type Problem struct {
	Kind    string // edited, deleted, inserted, backdated, leaves, hashes, checkpoint, edited-row, inserted-row
	Index   int64  // the log entry (leaf index), or -1
	EventID int64
	Number  string
	// Fields are, for an edited row, the fields in which the row differs
	// from the record its latest event keeps.
	Fields []string
	registry.Message
}

// Audit is the result of Verify.
type Audit struct {
	Size        int64 // entries in the log
	Pending     int64 // certificate events not logged yet
	Checkpoints int   // signed checkpoints checked
	Rows        int64 // certificate rows compared with their latest event
	// SignaturesChecked is false when no verifier was given: checkpoint
	// roots were checked, their signatures not.
	SignaturesChecked bool
	Problems          []Problem
}

// memHashes is a tlog.HashReader over hashes held in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not in memory", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// Verify recomputes the log from the events table and checks it against the
// stored tree and every signed checkpoint: an event row edited, deleted, or
// inserted among logged ones, or dated before events logged earlier, is a
// problem naming its certificate; so is a stored hash that does not follow
// from the leaves, or a checkpoint whose root is not the tree's or whose
// signature none of the verifiers accepts. Give every key the log has used
// (after a rotation, the old ones too); with none, signatures are not
// checked. It reads one snapshot of the database and does not block writers.
func (l *Log) Verify(ctx context.Context, verifiers ...note.Verifier) (*Audit, error) {
	var keys []note.Verifier
	for _, v := range verifiers {
		if v != nil {
			keys = append(keys, v)
		}
	}
	v := &logAuditor{audit: &Audit{SignaturesChecked: len(keys) > 0}, numbers: map[int64]string{}}
	err := l.store.ReadLogSnapshot(ctx, func(r *registry.LogSnapshot) error {
		v.snap = r
		return v.run(keys)
	})
	if err != nil {
		return nil, fmt.Errorf("verify transparency log: %w", err)
	}
	return v.audit, nil
}

type logAuditor struct {
	snap    *registry.LogSnapshot
	audit   *Audit
	numbers map[int64]string
	leaves  []registry.LogLeaf
	stored  []tlog.Hash // translog_hashes, by index
}

func (v *logAuditor) problem(kind string, index, eventID, certID int64, key string, args ...any) {
	p := Problem{Kind: kind, Index: index, EventID: eventID, Message: registry.Message{Key: key, Args: args}}
	if certID != 0 {
		p.Number = v.number(certID)
	}
	v.audit.Problems = append(v.audit.Problems, p)
}

// number names a certificate by its number (certificates are never
// deleted), or by its id if even that row is gone.
func (v *logAuditor) number(certID int64) string {
	if n, ok := v.numbers[certID]; ok {
		return n
	}
	n := fmt.Sprintf("id %d", certID)
	if num, ok, err := v.snap.CertificateNumber(certID); err == nil && ok {
		n = num
	}
	v.numbers[certID] = n
	return n
}

func (v *logAuditor) run(keys []note.Verifier) error {
	if err := v.readLeaves(); err != nil {
		return err
	}
	if err := v.readHashes(); err != nil {
		return err
	}
	if err := v.checkEvents(); err != nil {
		return err
	}
	if err := v.checkRows(); err != nil {
		return err
	}
	tree := v.checkTree()
	return v.checkCheckpoints(tree, keys)
}

// errStop ends a walk over the snapshot early, without a failure.
var errStop = errors.New("stop")

func (v *logAuditor) readLeaves() error {
	var lastEvent int64
	err := v.snap.EachLeaf(func(r registry.LogLeaf) error {
		if r.Index != int64(len(v.leaves)) {
			v.problem("leaves", int64(len(v.leaves)), 0, 0, "log.leaf_missing", len(v.leaves))
			return errStop
		}
		if r.EventID <= lastEvent {
			v.problem("leaves", r.Index, r.EventID, r.CertificateID, "log.leaf_out_of_order", r.Index, r.EventID, lastEvent)
		}
		lastEvent = r.EventID
		v.leaves = append(v.leaves, r)
		return nil
	})
	v.audit.Size = int64(len(v.leaves))
	if err == errStop {
		return nil
	}
	return err
}

func (v *logAuditor) readHashes() error {
	err := v.snap.EachHash(func(id int64, b []byte) error {
		if id != int64(len(v.stored)) || len(b) != tlog.HashSize {
			v.problem("hashes", -1, 0, 0, "log.hash_table_damaged", len(v.stored))
			return errStop
		}
		v.stored = append(v.stored, tlog.Hash(b))
		return nil
	})
	if err == errStop {
		return nil
	}
	if err != nil {
		return err
	}
	if want := tlog.StoredHashCount(int64(len(v.leaves))); int64(len(v.stored)) != want {
		v.problem("hashes", -1, 0, 0, "log.hash_count_wrong", len(v.leaves), want, len(v.stored))
	}
	return nil
}

// storedLeaf is the stored hash of leaf i, if the hash table has it.
func (v *logAuditor) storedLeaf(i int64) (tlog.Hash, bool) {
	x := tlog.StoredHashIndex(0, i)
	if x >= int64(len(v.stored)) {
		return tlog.Hash{}, false
	}
	return v.stored[x], true
}

// checkEvents walks the events and the leaves together, both in event id
// order, and compares each logged event with its leaf.
func (v *logAuditor) checkEvents() error {
	j := 0
	var latest time.Time // the latest time of an event logged so far
	var latestID int64
	backdated := func(e registry.LogEvent, idx int64) {
		at, _ := time.Parse(time.RFC3339Nano, e.At)
		if at.IsZero() || at.Before(latest.Add(-BackdateTolerance)) {
			v.problem("backdated", idx, e.ID, e.CertificateID, "log.backdated",
				e.ID, v.number(e.CertificateID), e.At, latestID, latest.UTC().Format(time.RFC3339Nano))
		}
		if at.After(latest) {
			latest, latestID = at, e.ID
		}
	}
	deleted := func(lf registry.LogLeaf) {
		v.problem("deleted", lf.Index, lf.EventID, lf.CertificateID, "log.deleted", lf.EventID, v.number(lf.CertificateID), lf.Index)
	}
	err := v.snap.EachEvent(func(e registry.LogEvent) error {
		for j < len(v.leaves) && v.leaves[j].EventID < e.ID {
			deleted(v.leaves[j])
			j++
		}
		if j < len(v.leaves) && v.leaves[j].EventID == e.ID {
			lf := v.leaves[j]
			j++
			entry, err := logEntry(e)
			stored, ok := v.storedLeaf(lf.Index)
			if err != nil || !ok || e.CertificateID != lf.CertificateID || tlog.RecordHash(entry) != stored {
				v.problem("edited", lf.Index, e.ID, lf.CertificateID, "log.edited", e.ID, v.number(lf.CertificateID), lf.Index)
			}
			backdated(e, lf.Index)
			return nil
		}
		if e.CertificateID == 0 {
			return nil // not a certificate event: not logged
		}
		if j < len(v.leaves) {
			v.problem("inserted", -1, e.ID, e.CertificateID, "log.inserted", e.ID, v.number(e.CertificateID))
			return nil
		}
		v.audit.Pending++
		backdated(e, -1)
		return nil
	})
	if err != nil {
		return err
	}
	for ; j < len(v.leaves); j++ {
		deleted(v.leaves[j])
	}
	return nil
}

// checkTree rebuilds the tree from the stored leaf hashes and compares
// every stored hash with it; it returns the rebuilt hashes.
func (v *logAuditor) checkTree() memHashes {
	var tree memHashes
	for i := range int64(len(v.leaves)) {
		h, ok := v.storedLeaf(i)
		if !ok {
			break
		}
		hs, err := tlog.StoredHashesForRecordHash(i, h, tree)
		if err != nil {
			break
		}
		tree = append(tree, hs...)
	}
	bad := 0
	for x := range min(len(tree), len(v.stored)) {
		if tree[x] != v.stored[x] {
			if bad == 0 {
				level, n := tlog.SplitStoredHashIndex(int64(x))
				v.problem("hashes", -1, 0, 0, "log.hash_edited", x, level, n)
			}
			bad++
		}
	}
	if bad > 1 {
		v.problem("hashes", -1, 0, 0, "log.hashes_edited", bad)
	}
	return tree
}

// checkCheckpoints checks each signed checkpoint: signature, origin, and
// root hash equal to the rebuilt tree's at its size. Since every root is
// the same tree's, every checkpoint is consistent with every later one.
func (v *logAuditor) checkCheckpoints(tree memHashes, keys []note.Verifier) error {
	var lastSize int64
	var origin string
	return v.snap.EachCheckpoint(func(stored registry.StoredCheckpoint) error {
		id, size := stored.ID, stored.Size
		v.audit.Checkpoints++
		bad := func(key string, args ...any) {
			v.problem("checkpoint", -1, 0, 0, "log.checkpoint_problem", id, size, registry.Message{Key: key, Args: args})
		}
		var cp *Checkpoint
		var err error
		if len(keys) > 0 {
			cp, err = ParseCheckpoint([]byte(stored.Note), keys...)
			if err != nil {
				bad("log.bad_signature", err)
				return nil
			}
		} else {
			text, _, _ := cutNote(stored.Note)
			if cp, err = parseCheckpointText(text); err != nil {
				bad("log.malformed")
				return nil
			}
		}
		if cp.Size != size || string(cp.Hash[:]) != string(stored.Root) {
			bad("log.signed_text_does_not")
		}
		if origin == "" {
			origin = cp.Origin
		} else if cp.Origin != origin {
			bad("log.origin_differs_from_earlier", cp.Origin, origin)
		}
		if size < lastSize {
			bad("log.smaller_than_checkpoint_before", lastSize)
		}
		lastSize = max(lastSize, size)
		if size > int64(len(v.leaves)) {
			bad("log.beyond_log_s_entries", len(v.leaves))
			return nil
		}
		th, err := tlog.TreeHash(size, tree)
		if err != nil || th != cp.Hash {
			bad("log.root_hash_not_log")
		}
		return nil
	})
}

// cutNote splits a signed note into its text (with its final newline) and
// signature block.
func cutNote(msg string) (text, sigs string, ok bool) {
	for i := 0; i+1 < len(msg); i++ {
		if msg[i] == '\n' && msg[i+1] == '\n' {
			return msg[:i+1], msg[i+2:], true
		}
	}
	return msg, "", false
}

// errLogTampered lets callers tell a failed audit from a failure to audit.
var errLogTampered = errors.New("the transparency log does not match the registry")

// Err returns an error when the audit found problems.
func (a *Audit) Err() error {
	if len(a.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d problems", errLogTampered, len(a.Problems))
}
