package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The transparency log makes every certificate event public and
// tamper-evident: each event with a certificate is one leaf of a Merkle tree
// (RFC 6962, as golang.org/x/mod/sumdb/tlog builds it), and the registry
// signs checkpoints of the tree (C2SP tlog-checkpoint in a signed note).
// Anyone holding an old checkpoint can check that a newer one extends it, and
// anyone holding a certificate's entry can check it is in the tree. The
// format is described in docs/transparency-log.md.

// LogEntryVersion is the first line of every log entry; a change of the
// encoding is a new version, and old entries keep theirs.
const LogEntryVersion = "certreg-log-entry/v1"

// MaxLogEntry is the largest entry the log accepts: entry bundles (C2SP
// tlog-tiles) prefix each entry with a 16-bit length.
const MaxLogEntry = 1<<16 - 1

// TileHeight is the height of the log's tiles, fixed at 8 (256 hashes a
// tile) by C2SP tlog-tiles.
const TileHeight = 8

// Log is the registry's public transparency log, kept in the registry's own
// file. A Log without a signer serves and verifies but cannot sequence (a
// read-only replica).
type Log struct {
	store  *Store
	origin string
	signer note.Signer
}

// NewLog returns the log of store. origin is the checkpoint's first line,
// by C2SP convention the log's URL without its scheme
// ("certreg.example.cn/log"), which should also be the signer's key name.
// signer signs checkpoints; it may be nil for a
// log that is only read (served or verified), and then origin may be empty.
func NewLog(store *Store, origin string, signer note.Signer) (*Log, error) {
	if signer == nil && origin == "" {
		return &Log{store: store}, nil
	}
	if origin == "" || strings.IndexFunc(origin, unicode.IsSpace) >= 0 || strings.Contains(origin, "+") || !utf8.ValidString(origin) {
		return nil, fmt.Errorf("transparency log: origin %q must be non-empty, without spaces or \"+\" (C2SP tlog-checkpoint)", origin)
	}
	return &Log{store: store, origin: origin, signer: signer}, nil
}

// Origin is the log's origin line.
func (l *Log) Origin() string { return l.origin }

// NoteSigner returns a signed-note signer for an Ed25519 key under name (the
// registry's key, see docs/transparency-log.md). The signature algorithm and
// key hash are those of golang.org/x/mod/sumdb/note.
func NoteSigner(name string, key ed25519.PrivateKey) (note.Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("note signer %s: bad Ed25519 key length %d", name, len(key))
	}
	pub := append([]byte{1}, key.Public().(ed25519.PublicKey)...) // 1: Ed25519
	h := sha256.Sum256(append([]byte(name+"\n"), pub...))
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...)))
	return note.NewSigner(skey)
}

// NoteSignerFunc returns a signed-note signer for an Ed25519 key held
// elsewhere (the registry's key ring, which does not hand out its private
// half): pub is the key's public half and sign signs with it. Each
// signature is checked against pub, so that a key rotated in between is an
// error rather than a checkpoint no one can verify.
func NoteSignerFunc(name string, pub ed25519.PublicKey, sign func(msg []byte) ([]byte, error)) (note.Signer, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &funcSigner{v: v, sign: sign}, nil
}

type funcSigner struct {
	v    note.Verifier
	sign func([]byte) ([]byte, error)
}

func (s *funcSigner) Name() string    { return s.v.Name() }
func (s *funcSigner) KeyHash() uint32 { return s.v.KeyHash() }
func (s *funcSigner) Sign(msg []byte) ([]byte, error) {
	sig, err := s.sign(msg)
	if err != nil {
		return nil, err
	}
	if !s.v.Verify(msg, sig) {
		return nil, errors.New("transparency log: the signing key is not the one the log was opened with (rotated?)")
	}
	return sig, nil
}

// RingNoteSigner returns a signed-note signer that signs, under name (the
// log's origin), with the key ring's current key: the registry's one
// Ed25519 key signs both QR codes and checkpoints. After a rotation it
// signs with the new key (monitors must then be given the new verifier
// key). A rotation between the key hash and the signature is caught and
// the checkpoint refused, to be signed again by the next sequencing.
func RingNoteSigner(name string, ring *KeyRing) (note.Signer, error) {
	s := &ringSigner{name: name, ring: ring}
	if _, err := s.verifier(); err != nil {
		return nil, err
	}
	return s, nil
}

type ringSigner struct {
	name string
	ring *KeyRing
	mu   sync.Mutex
	last note.Verifier // the key whose hash KeyHash last reported
}

func (s *ringSigner) verifier() (note.Verifier, error) {
	k := s.ring.Current()
	if k == nil {
		return nil, errors.New("transparency log: the key ring has no current key")
	}
	vkey, err := note.NewEd25519VerifierKey(s.name, k.Public)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

func (s *ringSigner) Name() string { return s.name }

func (s *ringSigner) KeyHash() uint32 {
	v, err := s.verifier()
	if err != nil {
		return 0 // Sign then fails
	}
	s.mu.Lock()
	s.last = v
	s.mu.Unlock()
	return v.KeyHash()
}

func (s *ringSigner) Sign(msg []byte) ([]byte, error) {
	s.mu.Lock()
	v := s.last
	s.mu.Unlock()
	_, sig, err := s.ring.Sign(msg)
	if err != nil {
		return nil, err
	}
	if v == nil || !v.Verify(msg, sig) {
		return nil, errors.New("transparency log: the key ring's key changed while signing; the next sequencing signs again")
	}
	return sig, nil
}

// NoteVerifierKey returns the published form of the verifier key matching
// NoteSigner(name, key): "name+hash+base64", what monitors are given.
func NoteVerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(name, pub)
}

// Checkpoint is a signed statement of the log's size and root hash.
type Checkpoint struct {
	Origin   string
	Size     int64
	Hash     tlog.Hash
	Note     []byte // the whole signed note
	SignedAt time.Time
}

// checkpointText is the body of a checkpoint (C2SP tlog-checkpoint): origin,
// decimal size, base64 root hash, one per line.
func checkpointText(origin string, size int64, h tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(h[:]))
}

// ParseCheckpoint opens a signed checkpoint, checking it is signed by one
// of the verifiers (the log's key, and its earlier keys after a rotation),
// and reads its origin, size and root hash.
func ParseCheckpoint(msg []byte, verifiers ...note.Verifier) (*Checkpoint, error) {
	if len(verifiers) == 0 {
		return nil, errors.New("checkpoint: no verifier key")
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, err
	}
	c.Note = msg
	return c, nil
}

func parseCheckpointText(text string) (*Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return nil, errors.New("checkpoint: want origin, size and hash lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return nil, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	c := &Checkpoint{Origin: lines[0], Size: size}
	copy(c.Hash[:], h)
	return c, nil
}

// eventRow is an events row as the log reads it.
type eventRow struct {
	id, certID                                       int64
	kind, effective, reason, source, at, chg, record string
}

const eventRowColumns = `id, certificate_id, kind, coalesce(effective_date, ''), reason, source, at, changes, snapshot`

func scanEventRow(r scanner) (eventRow, error) {
	var e eventRow
	var cid sql.NullInt64
	err := r.Scan(&e.id, &cid, &e.kind, &e.effective, &e.reason, &e.source, &e.at, &e.chg, &e.record)
	e.certID = cid.Int64
	return e, err
}

// logEntry encodes an event as its log entry: the version line, then one
// "key value" line per field, each value JSON, in this fixed order. The
// changes and the record are the stored JSON with insignificant space
// removed. The actor and the remote address are left out: they are personal
// data, kept only in the registry's own audit trail.
//
// An event without a snapshot (a kind written by code that keeps none) is
// logged with number "" and record null rather than stopping the log.
func logEntry(e eventRow) ([]byte, error) {
	var rec struct {
		Number string `json:"number"`
	}
	if strings.TrimSpace(e.record) == "" {
		e.record = "null"
	}
	if strings.TrimSpace(e.chg) == "" {
		e.chg = "[]"
	}
	if e.record != "null" {
		if err := json.Unmarshal([]byte(e.record), &rec); err != nil || rec.Number == "" {
			return nil, fmt.Errorf("event %d: snapshot is not a certificate record", e.id)
		}
	}
	var b bytes.Buffer
	b.WriteString(LogEntryVersion + "\n")
	fmt.Fprintf(&b, "event %d\n", e.id)
	for _, f := range []struct{ key, val string }{
		{"kind", e.kind}, {"number", rec.Number}, {"effective", e.effective},
		{"at", e.at}, {"source", e.source}, {"reason", e.reason},
	} {
		b.WriteString(f.key + " ")
		if err := writeJSONString(&b, f.val); err != nil {
			return nil, fmt.Errorf("event %d: %s: %w", e.id, f.key, err)
		}
		b.WriteByte('\n')
	}
	for _, f := range []struct{ key, val string }{{"changes", e.chg}, {"record", e.record}} {
		b.WriteString(f.key + " ")
		if err := json.Compact(&b, []byte(f.val)); err != nil {
			return nil, fmt.Errorf("event %d: %s: %w", e.id, f.key, err)
		}
		b.WriteByte('\n')
	}
	if b.Len() > MaxLogEntry {
		return nil, fmt.Errorf("event %d: log entry of %d bytes exceeds %d", e.id, b.Len(), MaxLogEntry)
	}
	return b.Bytes(), nil
}

// writeJSONString writes s as a JSON string without HTML escaping, so that
// the entry reads as the text it holds.
func writeJSONString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8")
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
	return nil
}

// LogEntry is a decoded log entry.
type LogEntry struct {
	Event     int64           `json:"event"`
	Kind      string          `json:"kind"`
	Number    string          `json:"number"`
	Effective string          `json:"effective"`
	At        string          `json:"at"`
	Source    string          `json:"source"`
	Reason    string          `json:"reason"`
	Changes   json.RawMessage `json:"changes"`
	Record    json.RawMessage `json:"record"`
}

// ParseLogEntry decodes an entry written by the log. It accepts only the
// exact encoding: re-encoding the result gives the same bytes.
func ParseLogEntry(b []byte) (*LogEntry, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) != 11 || lines[0] != LogEntryVersion || lines[10] != "" {
		return nil, errors.New("log entry: not a " + LogEntryVersion + " entry")
	}
	keys := []string{"event", "kind", "number", "effective", "at", "source", "reason", "changes", "record"}
	var e LogEntry
	dst := []any{&e.Event, &e.Kind, &e.Number, &e.Effective, &e.At, &e.Source, &e.Reason, &e.Changes, &e.Record}
	for i, k := range keys {
		v, ok := strings.CutPrefix(lines[i+1], k+" ")
		if !ok {
			return nil, fmt.Errorf("log entry: line %d: want %s", i+2, k)
		}
		if err := json.Unmarshal([]byte(v), dst[i]); err != nil {
			return nil, fmt.Errorf("log entry: %s: %w", k, err)
		}
	}
	again, err := logEntry(eventRow{id: e.Event, kind: e.Kind, effective: e.Effective, reason: e.Reason,
		source: e.Source, at: e.At, chg: string(e.Changes), record: string(e.Record)})
	if err != nil {
		return nil, fmt.Errorf("log entry: %w", err)
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("log entry: not in canonical form")
	}
	return &e, nil
}

// txHashReader reads stored hashes through a transaction or the database.
type txHashReader struct {
	ctx context.Context
	q   logQuerier
	st  *sql.Stmt // one hash by index
}

type logQuerier interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func newHashReader(ctx context.Context, q logQuerier) (txHashReader, error) {
	st, err := q.PrepareContext(ctx, `SELECT hash FROM translog_hashes WHERE id = ?`)
	return txHashReader{ctx: ctx, q: q, st: st}, err
}

// ReadHashes reads a few hashes one by one (appending reads ~log n), and
// many (a tile's 256) in one query.
func (r txHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) <= 8 {
		for i, x := range indexes {
			var b []byte
			if err := r.st.QueryRowContext(r.ctx, x).Scan(&b); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("transparency log: stored hash %d is missing", x)
				}
				return nil, err
			}
			if err := copyHash(&out[i], x, b); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	args := make([]any, 0, len(indexes))
	for i, x := range indexes {
		if _, ok := pos[x]; !ok {
			args = append(args, x)
		}
		pos[x] = append(pos[x], i)
	}
	rows, err := r.q.QueryContext(r.ctx, `SELECT id, hash FROM translog_hashes WHERE id IN (?`+strings.Repeat(",?", len(args)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var x int64
		var b []byte
		if err := rows.Scan(&x, &b); err != nil {
			return nil, err
		}
		for _, i := range pos[x] {
			if err := copyHash(&out[i], x, b); err != nil {
				return nil, err
			}
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(args) {
		return nil, fmt.Errorf("transparency log: %d of %d stored hashes are missing", len(args)-found, len(args))
	}
	return out, nil
}

func copyHash(dst *tlog.Hash, x int64, b []byte) error {
	if len(b) != tlog.HashSize {
		return fmt.Errorf("transparency log: stored hash %d is %d bytes", x, len(b))
	}
	copy(dst[:], b)
	return nil
}

// sequenceBatch bounds how many events are read into memory at once.
const sequenceBatch = 512

// Sequence appends to the log every certificate event not logged yet,
// whichever process wrote it, and signs a checkpoint of the new tree, all in
// one transaction. With nothing new it returns the latest checkpoint (signing
// one if there is none, or if the last was signed by another key).
func (l *Log) Sequence(ctx context.Context) (*Checkpoint, error) {
	if l.signer == nil {
		return nil, errors.New("transparency log: no signing key: this log is read-only")
	}
	if cp, err := l.Checkpoint(ctx); err == nil && l.signedByUs(cp) {
		pending, err := l.pending(ctx, l.store.db)
		if err != nil {
			return nil, err
		}
		if !pending {
			return cp, nil
		}
	} else if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	// A large backlog (a first import of a million certificates) is
	// logged in several transactions, each signing its checkpoint, so that
	// the write lock is never held for long and other writers keep going.
	var out *Checkpoint
	for {
		var full bool
		err := l.store.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			cp, n, err := l.sequence(ctx, tx, now)
			out, full = cp, n >= sequencePerTx
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("sequence transparency log: %w", err)
		}
		if !full {
			return out, nil
		}
	}
}

// sequencePerTx bounds how many entries one transaction logs.
const sequencePerTx = 20 * sequenceBatch

// pending reports whether some certificate event is not logged yet.
func (l *Log) pending(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE certificate_id IS NOT NULL
		AND id > coalesce((SELECT max(event_id) FROM translog_leaves), 0))`).Scan(&n)
	return n != 0, err
}

func (l *Log) sequence(ctx context.Context, tx *sql.Tx, now time.Time) (_ *Checkpoint, logged int64, err error) {
	var size, last int64
	if err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(event_id), 0) FROM translog_leaves`).Scan(&size, &last); err != nil {
		return nil, 0, err
	}
	start := size
	r, err := newHashReader(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	defer r.st.Close()
	insLeaf, err := tx.PrepareContext(ctx, `INSERT INTO translog_leaves(idx, event_id, certificate_id) VALUES (?, ?, ?)`)
	if err != nil {
		return nil, 0, err
	}
	defer insLeaf.Close()
	insHash, err := tx.PrepareContext(ctx, `INSERT INTO translog_hashes(id, hash) VALUES (?, ?)`)
	if err != nil {
		return nil, 0, err
	}
	defer insHash.Close()
	sel, err := tx.PrepareContext(ctx, `SELECT `+eventRowColumns+` FROM events
		WHERE certificate_id IS NOT NULL AND id > ? ORDER BY id LIMIT ?`)
	if err != nil {
		return nil, 0, err
	}
	defer sel.Close()
	for {
		// Read a batch, then write: the cursor is closed before the inserts.
		rows, err := sel.QueryContext(ctx, last, sequenceBatch)
		if err != nil {
			return nil, 0, err
		}
		var batch []eventRow
		for rows.Next() {
			e, err := scanEventRow(rows)
			if err != nil {
				rows.Close()
				return nil, 0, err
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		for _, e := range batch {
			entry, err := logEntry(e)
			if err != nil {
				return nil, 0, err
			}
			hashes, err := tlog.StoredHashes(size, entry, r)
			if err != nil {
				return nil, 0, err
			}
			for i, h := range hashes {
				if _, err := insHash.ExecContext(ctx, tlog.StoredHashCount(size)+int64(i), h[:]); err != nil {
					return nil, 0, err
				}
			}
			if _, err := insLeaf.ExecContext(ctx, size, e.id, e.certID); err != nil {
				return nil, 0, err
			}
			size++
			last = e.id
		}
		if len(batch) < sequenceBatch || size-start >= sequencePerTx {
			break
		}
	}
	if size == start {
		// Another sequencer got here first: its checkpoint may do.
		if cp, err := l.Checkpoint(ctx); err == nil && cp.Size == size && l.signedByUs(cp) {
			return cp, 0, nil
		}
	}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return nil, 0, err
	}
	msg, err := note.Sign(&note.Note{Text: checkpointText(l.origin, size, root)}, l.signer)
	if err != nil {
		return nil, 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO translog_checkpoints(size, root, note, signed_at) VALUES (?, ?, ?, ?)`,
		size, root[:], string(msg), fmtTime(now)); err != nil {
		return nil, 0, err
	}
	// Pages that show log entries and proofs are out of date now.
	if err := bumpGeneration(tx); err != nil {
		return nil, 0, err
	}
	return &Checkpoint{Origin: l.origin, Size: size, Hash: root, Note: msg, SignedAt: now}, size - start, nil
}

// signedByUs reports whether cp is for this log's origin and carries a
// signature by this log's signer.
func (l *Log) signedByUs(cp *Checkpoint) bool {
	if cp.Origin != l.origin {
		return false
	}
	_, err := note.Open(cp.Note, note.VerifierList())
	var u *note.UnverifiedNoteError
	if !errors.As(err, &u) {
		return false
	}
	for _, s := range u.Note.UnverifiedSigs {
		if s.Name == l.signer.Name() && s.Hash == l.signer.KeyHash() {
			return true
		}
	}
	return false
}

// Checkpoint returns the latest signed checkpoint, ENOTFOUND if none was
// signed yet.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	var msg, at string
	err := l.store.db.QueryRowContext(ctx, `SELECT note, signed_at FROM translog_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&msg, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "", "公开日志尚无签名检查点", "the public log has no signed checkpoint yet")
	}
	if err != nil {
		return nil, fmt.Errorf("transparency log checkpoint: %w", err)
	}
	text, _, ok := strings.Cut(msg, "\n\n")
	if !ok {
		return nil, errors.New("transparency log checkpoint: stored note has no signature")
	}
	cp, err := parseCheckpointText(text + "\n")
	if err != nil {
		return nil, err
	}
	cp.Note, cp.SignedAt = []byte(msg), parseTime(at)
	return cp, nil
}

// Follow sequences the log whenever events appear that it has not logged,
// checking every interval, until ctx ends. It is how `serve` logs the
// writes of every process (a command-line import included). Errors go to
// report and the next round tries again.
func (l *Log) Follow(ctx context.Context, every time.Duration, report func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pending, err := l.pending(ctx, l.store.db)
		if err == nil && pending {
			_, err = l.Sequence(ctx)
		}
		if err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
