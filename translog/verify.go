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
	Kind    string // edited, deleted, inserted, backdated, leaves, hashes, checkpoint
	Index   int64  // the log entry (leaf index), or -1
	EventID int64
	Number  string
	ZH, EN  string
}

// Audit is the result of Verify.
type Audit struct {
	Size        int64 // entries in the log
	Pending     int64 // certificate events not logged yet
	Checkpoints int   // signed checkpoints checked
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

func (v *logAuditor) problem(kind string, index, eventID, certID int64, zh, en string, args ...any) {
	p := Problem{Kind: kind, Index: index, EventID: eventID}
	if certID != 0 {
		p.Number = v.number(certID)
	}
	p.ZH, p.EN = fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...)
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
	tree := v.checkTree()
	return v.checkCheckpoints(tree, keys)
}

// errStop ends a walk over the snapshot early, without a failure.
var errStop = errors.New("stop")

func (v *logAuditor) readLeaves() error {
	var lastEvent int64
	err := v.snap.EachLeaf(func(r registry.LogLeaf) error {
		if r.Index != int64(len(v.leaves)) {
			v.problem("leaves", int64(len(v.leaves)), 0, 0, "日志第 %d 条记录的叶子行缺失", "the leaf row of log entry #%d is missing", len(v.leaves))
			return errStop
		}
		if r.EventID <= lastEvent {
			v.problem("leaves", r.Index, r.EventID, r.CertificateID, "日志第 %d 条记录的事件编号 %d 不大于前一条的 %d", "log entry #%d names event #%d, not after the previous entry's #%d", r.Index, r.EventID, lastEvent)
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
			v.problem("hashes", -1, 0, 0, "日志的哈希表在第 %d 项处缺失或损坏", "the log's hash table is missing or damaged at stored hash %d", len(v.stored))
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
		v.problem("hashes", -1, 0, 0, "日志有 %d 条记录，应有 %d 个哈希，实有 %d 个", "the log has %d entries and should have %d stored hashes, not %d", len(v.leaves), want, len(v.stored))
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
			v.problem("backdated", idx, e.ID, e.CertificateID, "证书 %[2]s 的事件 #%[1]d 记为 %[3]s，早于已记入日志的事件 #%[4]d（%[5]s）：时间被倒填",
				"event #%[1]d of certificate %[2]s is dated %[3]s, before event #%[4]d logged earlier (%[5]s): back-dated",
				e.ID, v.number(e.CertificateID), e.At, latestID, latest.UTC().Format(time.RFC3339Nano))
		}
		if at.After(latest) {
			latest, latestID = at, e.ID
		}
	}
	deleted := func(lf registry.LogLeaf) {
		v.problem("deleted", lf.Index, lf.EventID, lf.CertificateID, "证书 %[2]s 的事件 #%[1]d（日志第 %[3]d 条）不见了：该行被删除",
			"event #%[1]d of certificate %[2]s (log entry #%[3]d) is missing: the row was deleted", lf.EventID, v.number(lf.CertificateID), lf.Index)
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
				v.problem("edited", lf.Index, e.ID, lf.CertificateID, "证书 %[2]s 的事件 #%[1]d（日志第 %[3]d 条）与公开日志记录的不一致：该行被修改",
					"event #%[1]d of certificate %[2]s (log entry #%[3]d) differs from what the log recorded: the row was edited", e.ID, v.number(lf.CertificateID), lf.Index)
			}
			backdated(e, lf.Index)
			return nil
		}
		if e.CertificateID == 0 {
			return nil // not a certificate event: not logged
		}
		if j < len(v.leaves) {
			v.problem("inserted", -1, e.ID, e.CertificateID, "证书 %[2]s 的事件 #%[1]d 不在公开日志中，而其后的事件已记入：该行是事后插入的",
				"event #%[1]d of certificate %[2]s is not in the log though later events are: it was inserted in the past", e.ID, v.number(e.CertificateID))
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
				v.problem("hashes", -1, 0, 0, "日志的第 %[1]d 个哈希（第 %[2]d 层第 %[3]d 个）与叶子不符：哈希表被修改",
					"stored hash %[1]d (level %[2]d, #%[3]d) does not follow from the leaves: the hash table was edited", x, level, n)
			}
			bad++
		}
	}
	if bad > 1 {
		v.problem("hashes", -1, 0, 0, "共有 %d 个哈希与叶子不符", "%d stored hashes in all do not follow from the leaves", bad)
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
		bad := func(zh, en string, args ...any) {
			v.problem("checkpoint", -1, 0, 0, "检查点 %d（大小 %d）："+zh, "checkpoint %d (size %d): "+en, append([]any{id, size}, args...)...)
		}
		var cp *Checkpoint
		var err error
		if len(keys) > 0 {
			cp, err = ParseCheckpoint([]byte(stored.Note), keys...)
			if err != nil {
				bad("签名无效（%s）", "bad signature (%s)", err)
				return nil
			}
		} else {
			text, _, _ := cutNote(stored.Note)
			if cp, err = parseCheckpointText(text); err != nil {
				bad("格式错误", "malformed")
				return nil
			}
		}
		if cp.Size != size || string(cp.Hash[:]) != string(stored.Root) {
			bad("签名内容与存储的大小或根哈希不符", "the signed text does not match the stored size or root")
		}
		if origin == "" {
			origin = cp.Origin
		} else if cp.Origin != origin {
			bad("来源行 %q 与之前的 %q 不同", "its origin %q differs from the earlier %q", cp.Origin, origin)
		}
		if size < lastSize {
			bad("比前一个检查点（%d）小", "smaller than the checkpoint before (%d)", lastSize)
		}
		lastSize = max(lastSize, size)
		if size > int64(len(v.leaves)) {
			bad("超出日志的 %d 条记录", "beyond the log's %d entries", len(v.leaves))
			return nil
		}
		th, err := tlog.TreeHash(size, tree)
		if err != nil || th != cp.Hash {
			bad("根哈希与日志中的树不符", "its root hash is not that of the log's tree")
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
