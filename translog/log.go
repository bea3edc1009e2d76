// Package translog is the registry's public transparency log: every
// certificate event is a leaf of an RFC 6962 Merkle tree, the registry
// signs C2SP checkpoints of it, and the tree is served as C2SP tlog-tiles
// so that anyone can check inclusion and consistency, and that the rows
// of the registry are the rows it logged (docs/transparency-log.md).
package translog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
)

// The transparency log makes every certificate event public and
// tamper-evident: each event with a certificate is one leaf of a Merkle tree
// (RFC 6962, as golang.org/x/mod/sumdb/tlog builds it), and the registry
// signs checkpoints of the tree (C2SP tlog-checkpoint in a signed note).
// Anyone holding an old checkpoint can check that a newer one extends it, and
// anyone holding a certificate's entry can check it is in the tree. The
// format is described in docs/transparency-log.md.

// EntryVersion is the first line of every log entry; a change of the
// encoding is a new version, and old entries keep theirs.
const EntryVersion = "certreg-log-entry/v1"

// MaxEntry is the largest entry the log accepts: entry bundles (C2SP
// tlog-tiles) prefix each entry with a 16-bit length.
const MaxEntry = 1<<16 - 1

// TileHeight is the height of the log's tiles, fixed at 8 (256 hashes a
// tile) by C2SP tlog-tiles.
const TileHeight = 8

// Log is the registry's public transparency log, kept in the registry's own
// file. A Log without a signer serves and verifies but cannot sequence (a
// read-only replica).
type Log struct {
	store  *registry.Store
	origin string
	signer note.Signer
}

// New returns the log of store. origin is the checkpoint's first line,
// by C2SP convention the log's URL without its scheme
// ("certreg.example.cn/log"), which should also be the signer's key name.
// signer signs checkpoints; it may be nil for a
// log that is only read (served or verified), and then origin may be empty.
func New(store *registry.Store, origin string, signer note.Signer) (*Log, error) {
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

// logEntry encodes an event as its log entry: the version line, then one
// "key value" line per field, each value JSON, in this fixed order. The
// changes and the record are the stored JSON with insignificant space
// removed. The actor and the remote address are left out: they are personal
// data, kept only in the registry's own audit trail.
//
// An event without a snapshot (a kind written by code that keeps none) is
// logged with number "" and record null rather than stopping the log.
func logEntry(e registry.LogEvent) ([]byte, error) {
	var rec struct {
		Number string `json:"number"`
	}
	if strings.TrimSpace(e.Record) == "" {
		e.Record = "null"
	}
	if strings.TrimSpace(e.Changes) == "" {
		e.Changes = "[]"
	}
	if e.Record != "null" {
		if err := json.Unmarshal([]byte(e.Record), &rec); err != nil || rec.Number == "" {
			return nil, fmt.Errorf("event %d: snapshot is not a certificate record", e.ID)
		}
	}
	var b bytes.Buffer
	b.WriteString(EntryVersion + "\n")
	fmt.Fprintf(&b, "event %d\n", e.ID)
	for _, f := range []struct{ key, val string }{
		{"kind", e.Kind}, {"number", rec.Number}, {"effective", e.Effective},
		{"at", e.At}, {"source", e.Source}, {"reason", e.Reason},
	} {
		b.WriteString(f.key + " ")
		if err := writeJSONString(&b, f.val); err != nil {
			return nil, fmt.Errorf("event %d: %s: %w", e.ID, f.key, err)
		}
		b.WriteByte('\n')
	}
	for _, f := range []struct{ key, val string }{{"changes", e.Changes}, {"record", e.Record}} {
		b.WriteString(f.key + " ")
		if err := json.Compact(&b, []byte(f.val)); err != nil {
			return nil, fmt.Errorf("event %d: %s: %w", e.ID, f.key, err)
		}
		b.WriteByte('\n')
	}
	if b.Len() > MaxEntry {
		return nil, fmt.Errorf("event %d: log entry of %d bytes exceeds %d", e.ID, b.Len(), MaxEntry)
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

// Entry is a decoded log entry.
type Entry struct {
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

// ParseEntry decodes an entry written by the log. It accepts only the
// exact encoding: re-encoding the result gives the same bytes.
func ParseEntry(b []byte) (*Entry, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) != 11 || lines[0] != EntryVersion || lines[10] != "" {
		return nil, errors.New("log entry: not a " + EntryVersion + " entry")
	}
	keys := []string{"event", "kind", "number", "effective", "at", "source", "reason", "changes", "record"}
	var e Entry
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
	again, err := logEntry(registry.LogEvent{ID: e.Event, Kind: e.Kind, Effective: e.Effective, Reason: e.Reason,
		Source: e.Source, At: e.At, Changes: string(e.Changes), Record: string(e.Record)})
	if err != nil {
		return nil, fmt.Errorf("log entry: %w", err)
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("log entry: not in canonical form")
	}
	return &e, nil
}

// hashReader reads the tree's stored hashes for tlog, from the store or
// from the sequencer's transaction.
type hashReader func(indexes []int64) ([][32]byte, error)

// ReadHashes implements tlog.HashReader.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs, err := r(indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

// stored reads hashes from the store.
func (l *Log) stored(ctx context.Context) hashReader {
	return func(indexes []int64) ([][32]byte, error) { return l.store.LogHashes(ctx, indexes) }
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
		pending, err := l.store.LogPending(ctx)
		if err != nil {
			return nil, err
		}
		if !pending {
			return cp, nil
		}
	} else if err != nil && registry.ErrorCode(err) != registry.ENOTFOUND {
		return nil, err
	}
	// A large backlog (a first import of a million certificates) is
	// logged in several transactions, each signing its checkpoint, so that
	// the write lock is never held for long and other writers keep going.
	var out *Checkpoint
	for {
		var full bool
		err := l.store.AppendLog(ctx, func(a *registry.LogAppend) error {
			cp, n, err := l.sequence(ctx, a)
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

func (l *Log) sequence(ctx context.Context, a *registry.LogAppend) (_ *Checkpoint, logged int64, err error) {
	size, last, err := a.State()
	if err != nil {
		return nil, 0, err
	}
	start := size
	r := hashReader(a.ReadHashes)
	for {
		// Read a batch, then write: the cursor is closed before the inserts.
		batch, err := a.Unlogged(last, sequenceBatch)
		if err != nil {
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
			stored := make([][32]byte, len(hashes))
			for i, h := range hashes {
				stored[i] = h
			}
			if err := a.Append(registry.LogLeaf{Index: size, EventID: e.ID, CertificateID: e.CertificateID}, tlog.StoredHashCount(size), stored); err != nil {
				return nil, 0, err
			}
			size++
			last = e.ID
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
	if err := a.AddCheckpoint(size, root, msg); err != nil {
		return nil, 0, err
	}
	return &Checkpoint{Origin: l.origin, Size: size, Hash: root, Note: msg, SignedAt: a.Now()}, size - start, nil
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
	stored, err := l.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	text, _, ok := strings.Cut(stored.Note, "\n\n")
	if !ok {
		return nil, errors.New("transparency log checkpoint: stored note has no signature")
	}
	cp, err := parseCheckpointText(text + "\n")
	if err != nil {
		return nil, err
	}
	cp.Note, cp.SignedAt = []byte(stored.Note), stored.SignedAt
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
		pending, err := l.store.LogPending(ctx)
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
