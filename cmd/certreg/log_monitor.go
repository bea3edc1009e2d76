package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/certreg/certreg/translog"
	"golang.org/x/mod/sumdb/tlog"
)

// monitorState is what `log monitor` remembers between runs, in the
// --state file: the key it trusts, the latest checkpoint it verified, and
// the size and root of every checkpoint it has seen, so that a mirror that
// is behind can still be checked against what was seen at its size.
type monitorState struct {
	Origin     string        `json:"origin"`
	Keys       []string      `json:"keys"`       // verifier keys trusted: the log's, and any added after a rotation
	Checkpoint string        `json:"checkpoint"` // the latest signed checkpoint seen
	LastAt     string        `json:"last_at"`    // the time of the latest entry checked
	Seen       []seenTreeRec `json:"seen"`
}

type seenTreeRec struct {
	Size int64     `json:"size"`
	Hash tlog.Hash `json:"hash"`
	URL  string    `json:"url"`
	At   time.Time `json:"at"`
}

// errFork is a proof that the log is not append-only: two checkpoints,
// both signed, that cannot both be true.
var errFork = errors.New("FORK: the log shows two different histories")

func runLogMonitor(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "log monitor", "log monitor URL --state FILE [--key VKEY|@FILE] [--add-key VKEY|@FILE] [--witness VKEY]... [--witness-quorum N]")
	statePath := fs.String("state", "", "`file` keeping the last checkpoint seen (created on the first run)")
	key := fs.String("key", envOr(e, "CERTREG_LOG_KEY", ""), "the log's published verifier `key` (name+hash+base64), or @file; needed on the first run, then kept in the state (env CERTREG_LOG_KEY)")
	addKey := fs.String("add-key", "", "trust one more verifier `key` from now on, after the registry rotated its key (check it by hand first)")
	var witnessKeys keyList
	fs.Var(&witnessKeys, "witness", "the verifier `key` of a witness whose cosignatures count (name+hash+base64, or @file); repeat it for each witness")
	quorum := fs.Int("witness-quorum", 0, "refuse a checkpoint without valid cosignatures by at least `N` of the --witness keys (c2sp.org/tlog-cosignature)")
	wait := fs.Duration("witness-wait", 10*time.Second, "how long to wait for a checkpoint just signed to gather its cosignatures before refusing it")
	// Flags may come after the URL.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 || *statePath == "" {
		fs.Usage()
		return usageError{"log monitor: give one URL and --state FILE"}
	}
	m := &monitor{base: strings.TrimRight(rest[0], "/"), out: e.stdout, client: &http.Client{Timeout: 60 * time.Second}, tiles: map[string][]byte{}}
	if err := m.setWitnesses(witnessKeys, *quorum, *wait); err != nil {
		return err
	}
	return m.run(ctx, *statePath, *key, *addKey)
}

type monitor struct {
	base   string // the registry's URL; the log is under base/log/
	out    io.Writer
	client *http.Client
	ctx    context.Context
	tiles  map[string][]byte // tiles fetched in this run (they are immutable)

	witnesses []translog.Witness // whose cosignatures count
	quorum    int                // how many of them a checkpoint needs
	wait      time.Duration      // for a new checkpoint's cosignatures
}

func (m *monitor) run(ctx context.Context, statePath, keyFlag, addKey string) error {
	m.ctx = ctx
	var st monitorState
	switch b, err := os.ReadFile(statePath); {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("state %s: %w", statePath, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if keyFlag != "" {
		k, err := readKey(keyFlag)
		if err != nil {
			return err
		}
		if len(st.Keys) > 0 && !slices.Contains(st.Keys, k) {
			return fmt.Errorf("the key given (%s) is not one in %s (%s): to trust a new key after a rotation, check it by hand and pass --add-key", k, statePath, strings.Join(st.Keys, ", "))
		}
		if len(st.Keys) == 0 {
			st.Keys = []string{k}
		}
	}
	if addKey != "" {
		k, err := readKey(addKey)
		if err != nil {
			return err
		}
		if !slices.Contains(st.Keys, k) {
			st.Keys = append(st.Keys, k)
		}
	}
	if len(st.Keys) == 0 {
		return usageError{"log monitor: the first run needs --key, the log's published verifier key"}
	}
	vers, err := parseVerifierKeys(st.Keys)
	if err != nil {
		return err
	}

	cp, err := m.checkpoint(vers)
	if err != nil {
		return err
	}
	if st.Origin != "" && cp.Origin != st.Origin {
		return fmt.Errorf("the checkpoint is for log %q, not %q as before", cp.Origin, st.Origin)
	}
	fmt.Fprintf(m.out, "checkpoint 检查点: %s size 大小 %d root 根 %s (signature OK 签名有效)\n", cp.Origin, cp.Size, cp.Hash)
	tree := tlog.Tree{N: cp.Size, Hash: cp.Hash}
	hr := tlog.TileHashReader(tree, m)

	var old *translog.Checkpoint
	if st.Checkpoint != "" {
		if old, err = translog.ParseCheckpoint([]byte(st.Checkpoint), vers...); err != nil {
			return fmt.Errorf("state %s: %w", statePath, err)
		}
	}
	for _, s := range st.Seen {
		if s.Size == cp.Size && s.Hash != cp.Hash {
			return m.fork(old, cp, fmt.Sprintf("size %d was seen with root %s at %s (%s)", s.Size, s.Hash, s.URL, s.At.Format(time.RFC3339)))
		}
	}
	from := int64(0)
	switch {
	case old == nil:
		fmt.Fprintln(m.out, "first checkpoint seen: checking every entry 首次运行：检查全部记录")
	case cp.Size < old.Size:
		for _, s := range st.Seen {
			if s.Size == cp.Size { // same root: checked above
				fmt.Fprintf(m.out, "this copy is behind: it serves the checkpoint of size %d seen before; the latest seen is %d 此副本落后，但与之前所见一致\n", cp.Size, old.Size)
				return nil
			}
		}
		return fmt.Errorf("the log went back from size %d to %d, a size never seen: it cannot be checked against the last checkpoint 日志变小且无法核对", old.Size, cp.Size)
	case cp.Size == old.Size && cp.Hash != old.Hash:
		return m.fork(old, cp, fmt.Sprintf("two different roots for size %d", cp.Size))
	case cp.Size == old.Size:
		fmt.Fprintln(m.out, "unchanged since the last run 与上次相同")
		return m.save(statePath, st, cp)
	default:
		if old.Size > 0 {
			proof, err := tlog.ProveTree(cp.Size, old.Size, hr)
			if err != nil {
				return fmt.Errorf("consistency proof from size %d: %w", old.Size, err)
			}
			if err := tlog.CheckTree(proof, cp.Size, cp.Hash, old.Size, old.Hash); err != nil {
				return m.fork(old, cp, fmt.Sprintf("the tree of size %d does not extend the one of size %d seen before", cp.Size, old.Size))
			}
		}
		fmt.Fprintf(m.out, "consistent with the last checkpoint (size %d): the log only grew 与上次检查点一致：日志只增不改\n", old.Size)
		from = old.Size
	}
	if err := m.checkEntries(hr, from, cp.Size, &st); err != nil {
		return err
	}
	st.Origin = cp.Origin
	return m.save(statePath, st, cp)
}

// fork reports two checkpoints that cannot both be true, printing both
// signed notes: together they are the evidence.
func (m *monitor) fork(old, cp *translog.Checkpoint, why string) error {
	fmt.Fprintf(m.out, "\n%v: %s\n日志出现分叉：同一签名密钥签署了互相矛盾的两个检查点\n", errFork, why)
	if old != nil {
		fmt.Fprintf(m.out, "\nlast checkpoint seen 上次所见:\n%s", old.Note)
	}
	fmt.Fprintf(m.out, "\ncheckpoint served now 当前所见 (%s/log/checkpoint):\n%s", m.base, cp.Note)
	return fmt.Errorf("%w: %s", errFork, why)
}

// checkEntries fetches the entry bundles of entries [from, to), checks each
// entry hashes to its leaf in the authenticated tiles, and summarises them.
func (m *monitor) checkEntries(hr tlog.HashReader, from, to int64, st *monitorState) error {
	kinds := map[string]int{}
	lastAt, _ := time.Parse(time.RFC3339Nano, st.LastAt)
	for n := from >> translog.TileHeight; n<<translog.TileHeight < to; n++ {
		start := n << translog.TileHeight
		w := min(to-start, 1<<translog.TileHeight)
		path := translog.TilePath(tlog.Tile{H: translog.TileHeight, L: -1, N: n, W: int(w)})
		b, err := m.get(path, int(w)*(2+translog.MaxEntry))
		if err != nil {
			return err
		}
		entries, err := translog.SplitEntryBundle(b)
		if err != nil || int64(len(entries)) != w {
			return fmt.Errorf("%s: want %d entries (%v)", path, w, err)
		}
		idx := make([]int64, w)
		for i := range idx {
			idx[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		leaves, err := hr.ReadHashes(idx)
		if err != nil {
			return fmt.Errorf("tiles for %s: %w", path, err)
		}
		for i, entry := range entries {
			at := start + int64(i)
			if at < from {
				continue
			}
			if tlog.RecordHash(entry) != leaves[i] {
				return fmt.Errorf("entry #%d served in %s is not the one in the signed tree", at, path)
			}
			le, err := translog.ParseEntry(entry)
			if err != nil {
				return fmt.Errorf("entry #%d: %w", at, err)
			}
			kinds[le.Kind]++
			t, _ := time.Parse(time.RFC3339Nano, le.At)
			if t.Before(lastAt.Add(-translog.BackdateTolerance)) {
				fmt.Fprintf(m.out, "WARNING 警告: entry #%d (certificate %s, %s) is dated %s, before an earlier entry (%s): back-dated 时间被倒填\n",
					at, le.Number, le.Kind, le.At, lastAt.Format(time.RFC3339))
			}
			if t.After(lastAt) {
				lastAt = t
			}
		}
	}
	st.LastAt = lastAt.Format(time.RFC3339Nano)
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, fmt.Sprintf("%s %d", k, kinds[k]))
	}
	sort.Strings(names)
	fmt.Fprintf(m.out, "%d new entries checked 新记录已核对: %s\n", to-from, strings.Join(names, ", "))
	return nil
}

// save writes the state atomically: a crash never leaves half a file.
func (m *monitor) save(path string, st monitorState, cp *translog.Checkpoint) error {
	st.Checkpoint = string(cp.Note)
	seen := false
	for _, s := range st.Seen {
		seen = seen || s.Size == cp.Size
	}
	if !seen {
		st.Seen = append(st.Seen, seenTreeRec{Size: cp.Size, Hash: cp.Hash, URL: m.base, At: time.Now().UTC()})
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".monitor-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(m.out, "state saved 已保存: %s\n", path)
	return nil
}

// get fetches base/log/path, at most limit bytes.
func (m *monitor) get(path string, limit int) ([]byte, error) {
	url := m.base + "/log/" + path
	req, err := http.NewRequestWithContext(m.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("GET %s: more than %d bytes", url, limit)
	}
	return b, nil
}

// Height, ReadTiles and SaveTiles make the monitor a tlog.TileReader:
// tlog.TileHashReader checks every tile it reads against the checkpoint.

func (m *monitor) Height() int { return translog.TileHeight }

func (m *monitor) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := translog.TilePath(t)
		if b, ok := m.tiles[p]; ok {
			out[i] = b
			continue
		}
		b, err := m.get(p, t.W*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (m *monitor) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		m.tiles[translog.TilePath(t)] = data[i]
	}
}
