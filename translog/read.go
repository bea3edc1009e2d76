package translog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/certreg/certreg/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// TilePath returns the C2SP tlog-tiles path of a tile of height TileHeight:
// "tile/<L>/<N>[.p/<W>]" for hash tiles and "tile/entries/<N>[.p/<W>]" for
// entry bundles (tlog's level -1). tlog.Tile.Path writes the Go checksum
// database's form, which also names the height ("tile/8/0/x001/234"); C2SP
// fixes the height at 8 and leaves it out.
func TilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	if rest, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + rest
	}
	return "tile/" + p
}

// ParseTilePath parses a C2SP tlog-tiles path written by TilePath.
func ParseTilePath(path string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + r
	} else if strings.HasPrefix(rest, "data/") {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	return t, nil
}

// errNoTile is the answer for a tile the current tree does not have.
func errNoTile(path string) error {
	return registry.Errorf(registry.ENOTFOUND, "", "log.no_such_path", path)
}

// Tile returns the bytes of the tile or entry bundle at a C2SP tlog-tiles
// path ("tile/0/x001/234", "tile/1/000.p/17", "tile/entries/005"), as of the
// latest checkpoint. A path the tree does not (yet) cover is ENOTFOUND.
func (l *Log) Tile(ctx context.Context, path string) ([]byte, error) {
	t, err := ParseTilePath(path)
	if err != nil {
		return nil, registry.Errorf(registry.ENOTFOUND, "", "log.malformed_path", path)
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	level := t.L
	if level < 0 {
		level = 0
	}
	// The tile covers hashes [N·256, N·256+W) of its level; the tree of the
	// checkpoint has size >> (8·L) of them.
	if t.N<<TileHeight+int64(t.W) > cp.Size>>(uint(level)*TileHeight) {
		return nil, errNoTile(path)
	}
	if t.L < 0 {
		return l.entryBundle(ctx, t.N<<TileHeight, int64(t.W))
	}
	return tlog.ReadTileData(t, l.stored(ctx))
}

// entryBundle returns the entries [start, start+n) as an entry bundle: each
// entry prefixed with its length as a big-endian uint16.
func (l *Log) entryBundle(ctx context.Context, start, n int64) ([]byte, error) {
	events, err := l.store.LoggedEvents(ctx, start, n)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for i, e := range events {
		entry, err := logEntry(e)
		if err != nil {
			return nil, fmt.Errorf("log entries from %d: leaf %d: %w", start, start+int64(i), err)
		}
		b.WriteByte(byte(len(entry) >> 8))
		b.WriteByte(byte(len(entry)))
		b.Write(entry)
	}
	return b.Bytes(), nil
}

// SplitEntryBundle splits an entry bundle into its entries.
func SplitEntryBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle: truncated length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			return nil, errors.New("entry bundle: truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

// Entry returns the log entry at index, as hashed into the tree.
func (l *Log) Entry(ctx context.Context, index int64) ([]byte, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= cp.Size {
		return nil, registry.Errorf(registry.ENOTFOUND, "", "log.no_entry", index)
	}
	b, err := l.entryBundle(ctx, index, 1)
	if err != nil {
		return nil, err
	}
	return b[2:], nil
}

// InclusionProof proves that a certificate's latest logged event is in the
// tree of a signed checkpoint. Hashes are base64 in JSON.
type InclusionProof struct {
	Number     string      `json:"number"`
	Index      int64       `json:"index"`    // the entry's leaf index, "recorded in the public log at #Index"
	EventID    int64       `json:"event_id"` // the event's id in the registry
	Entry      string      `json:"entry"`    // the entry, whose RFC 6962 leaf hash is LeafHash
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	TreeSize   int64       `json:"tree_size"`
	RootHash   tlog.Hash   `json:"root_hash"`
	Proof      []tlog.Hash `json:"proof"`      // tlog.RecordProof from the leaf to the root
	Checkpoint string      `json:"checkpoint"` // the signed checkpoint of TreeSize and RootHash
	// Pending counts the certificate's events written after the checkpoint,
	// not in the log yet (the sequencer runs right after each write).
	Pending int `json:"pending"`
}

// Inclusion returns the proof that the latest logged event of the
// certificate numbered number is in the current checkpoint's tree.
func (l *Log) Inclusion(ctx context.Context, number string) (*InclusionProof, error) {
	c, err := l.store.Certificate(ctx, number)
	if err != nil {
		return nil, err
	}
	// With the witnesses' cosignatures: the proof then also shows who
	// saw the tree.
	cp, _, err := l.CosignedCheckpoint(ctx, nil)
	if err != nil {
		return nil, err
	}
	p := &InclusionProof{Number: c.Number, TreeSize: cp.Size, RootHash: cp.Hash, Checkpoint: string(cp.Note)}
	leaf, ok, err := l.store.LatestLeaf(ctx, c.ID, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof %s: %w", c.Number, err)
	}
	if !ok {
		return nil, registry.Errorf(registry.ENOTFOUND, "number", "log.not_recorded_yet", c.Number)
	}
	p.Index, p.EventID = leaf.Index, leaf.EventID
	if p.Pending, err = l.store.EventsAfter(ctx, c.ID, p.EventID); err != nil {
		return nil, err
	}
	entry, err := l.Entry(ctx, p.Index)
	if err != nil {
		return nil, err
	}
	p.Entry, p.LeafHash = string(entry), tlog.RecordHash(entry)
	proof, err := tlog.ProveRecord(cp.Size, p.Index, l.stored(ctx))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof %s: %w", c.Number, err)
	}
	p.Proof = proof
	return p, nil
}

// Check verifies the proof on its own terms: the entry hashes to the leaf
// and the leaf is in the tree of RootHash. The caller still checks the
// checkpoint's signature (ParseCheckpoint) and that it matches TreeSize and
// RootHash.
func (p *InclusionProof) Check() error {
	if tlog.RecordHash([]byte(p.Entry)) != p.LeafHash {
		return errors.New("inclusion proof: the entry does not hash to the leaf hash")
	}
	return tlog.CheckRecord(p.Proof, p.TreeSize, p.RootHash, p.Index, p.LeafHash)
}

// Consistency returns the proof that the tree of size oldSize is a prefix
// of the tree of the latest checkpoint.
func (l *Log) Consistency(ctx context.Context, oldSize int64) (tlog.TreeProof, *Checkpoint, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	if oldSize < 1 || oldSize > cp.Size {
		return nil, nil, registry.Errorf(registry.EINVALID, "size", "log.tree_size_must_between", oldSize, cp.Size)
	}
	p, err := tlog.ProveTree(cp.Size, oldSize, l.stored(ctx))
	return p, cp, err
}

// LatestEntry returns the index of the latest entry of the certificate with
// id certID in the current checkpoint's tree; ok is false while none is.
func (l *Log) LatestEntry(ctx context.Context, certID int64) (index int64, ok bool, err error) {
	return l.store.CheckpointedLeaf(ctx, certID)
}

// LatestEntries returns LatestEntry for every logged certificate, by
// certificate id, in one query: what the static export keys pages by.
func (l *Log) LatestEntries(ctx context.Context) (map[int64]int64, error) {
	return l.store.LatestLeaves(ctx)
}
