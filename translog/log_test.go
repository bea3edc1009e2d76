package translog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
)

const testOrigin = "certreg.test/log"

// testKey is a fresh Ed25519 signing key for the log and its published
// verifier key.
func testKey(t testing.TB) (note.Signer, note.Verifier, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NoteSigner("certreg.test", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := translog.NoteVerifierKey("certreg.test", priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier, vkey
}

func openLog(t testing.TB, s *registry.Store, signer note.Signer) *translog.Log {
	t.Helper()
	l, err := translog.New(s, testOrigin, signer)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// putN creates certificates numbered from first, one issued event each.
func putN(t testing.TB, s *registry.Store, first, n int) {
	t.Helper()
	ins := make([]registry.Input, n)
	for i := range ins {
		ins[i] = registrytest.SampleInput(fmt.Sprintf("SAC-2024-%05d", first+i))
	}
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
}

func sequence(t testing.TB, l *translog.Log) *translog.Checkpoint {
	t.Helper()
	cp, err := l.Sequence(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// tileReader reads tiles from the log as a remote client would, by path.
type tileReader struct {
	l     *translog.Log
	paths []string
	cache map[string][]byte // tiles are immutable: clients keep them
}

func (r *tileReader) Height() int { return translog.TileHeight }
func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := translog.TilePath(t)
		if b, ok := r.cache[p]; ok {
			out[i] = b
			continue
		}
		r.paths = append(r.paths, p)
		b, err := r.l.Tile(context.Background(), p)
		if err != nil {
			return nil, err
		}
		if r.cache == nil {
			r.cache = map[string][]byte{}
		}
		r.cache[p] = b
		out[i] = b
	}
	return out, nil
}
func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func TestLogSequenceTilesAndProofs(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	signer, verifier, _ := testKey(t)
	l := openLog(t, s, signer)

	// A fresh registry's log is empty but signed.
	cp := sequence(t, l)
	if cp.Size != 0 || cp.Hash != sha256.Sum256(nil) { // RFC 6962: the empty tree's hash is SHA-256 of nothing
		t.Fatalf("empty log checkpoint: %d %v", cp.Size, cp.Hash)
	}

	putN(t, s, 1, 300)
	if _, err := s.ChangeStatus(ctx, registrytest.CLI, registry.StatusChange{Number: "SAC-2024-00007", To: registry.StatusSuspended, Reason: "监督审核未通过 <b>"}); err != nil {
		t.Fatal(err)
	}
	cp = sequence(t, l)
	if cp.Size != 301 {
		t.Fatalf("size %d, want 301 (300 issued + 1 suspended)", cp.Size)
	}
	// The checkpoint is a C2SP checkpoint signed by the published key.
	got, err := translog.ParseCheckpoint(cp.Note, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin != testOrigin || got.Size != 301 || got.Hash != cp.Hash {
		t.Fatalf("parsed checkpoint %+v", got)
	}
	wantText := fmt.Sprintf("%s\n301\n%s\n\n— certreg.test ", testOrigin, cp.Hash)
	if !strings.HasPrefix(string(cp.Note), wantText) {
		t.Fatalf("checkpoint note:\n%s\nwant prefix:\n%s", cp.Note, wantText)
	}
	_, otherVerifier, _ := testKey(t)
	if _, err := translog.ParseCheckpoint(cp.Note, otherVerifier); err == nil {
		t.Fatal("checkpoint accepted with another key")
	}
	forged := bytes.Replace(cp.Note, []byte("\n301\n"), []byte("\n300\n"), 1)
	if _, err := translog.ParseCheckpoint(forged, verifier); err == nil {
		t.Fatal("edited checkpoint accepted")
	}

	// Nothing new: no new checkpoint.
	again := sequence(t, l)
	if again.Size != 301 || !bytes.Equal(again.Note, cp.Note) {
		t.Fatal("a second sequence with nothing new signed a new checkpoint")
	}

	// Inclusion proof of the suspended certificate's latest event.
	p, err := l.Inclusion(ctx, "sac-2024-00007")
	if err != nil {
		t.Fatal(err)
	}
	if p.Index != 300 || p.TreeSize != 301 || p.Pending != 0 {
		t.Fatalf("proof index %d size %d pending %d", p.Index, p.TreeSize, p.Pending)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	e, err := translog.ParseEntry([]byte(p.Entry))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != "suspended" || e.Number != "SAC-2024-00007" || e.Reason != "监督审核未通过 <b>" || !strings.Contains(string(e.Record), `"status":"suspended"`) {
		t.Fatalf("entry %+v", e)
	}
	if !strings.HasPrefix(p.Entry, translog.EntryVersion+"\nevent ") || !strings.Contains(p.Entry, "\nreason \"监督审核未通过 <b>\"\n") {
		t.Fatalf("entry encoding:\n%s", p.Entry)
	}
	p.Entry = strings.Replace(p.Entry, "suspended", "valid", 1)
	if p.Check() == nil {
		t.Fatal("proof of an edited entry passed")
	}
	if _, err := l.Inclusion(ctx, "SAC-2099-0000"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("proof of an unknown certificate: %v", err)
	}

	// Tiles: a client reading only tiles by their C2SP paths gets hashes
	// that the checkpoint authenticates, and entry bundles that hash to them.
	tr := &tileReader{l: l}
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Hash}, tr)
	idx := make([]int64, cp.Size)
	for i := range idx {
		idx[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := hr.ReadHashes(idx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tile/0/000", "tile/0/001.p/45", "tile/1/000.p/1"}
	for _, w := range want {
		if !strings.Contains(strings.Join(tr.paths, " "), w) {
			t.Errorf("tiles read %v, want %s among them", tr.paths, w)
		}
	}
	var entries [][]byte
	for _, path := range []string{"tile/entries/000", "tile/entries/001.p/45"} {
		b, err := l.Tile(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		es, err := translog.SplitEntryBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, es...)
	}
	if len(entries) != 301 {
		t.Fatalf("%d entries in bundles, want 301", len(entries))
	}
	for i, e := range entries {
		if tlog.RecordHash(e) != leaves[i] {
			t.Fatalf("entry %d does not hash to its leaf", i)
		}
	}
	for _, bad := range []string{"tile/0/002", "tile/0/001.p/46", "tile/2/000.p/1", "tile/entries/001", "tile/8/0/000", "tile/0/1", "tile/data/000", "log/checkpoint", "tile/0/000.p/0"} {
		if _, err := l.Tile(ctx, bad); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("tile %s: %v, want ENOTFOUND", bad, err)
		}
	}

	// The log's tables refuse updates and deletes.
	for _, q := range []string{`UPDATE translog_hashes SET hash = hash`, `DELETE FROM translog_leaves`, `DELETE FROM translog_checkpoints`, `UPDATE translog_checkpoints SET size = 1`} {
		if _, err := registrytest.RawDB(t, s).Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}

	// A read-only log (a replica) serves but cannot sequence.
	ro := openLog(t, s, nil)
	if _, err := ro.Sequence(ctx); err == nil {
		t.Fatal("a log without a key sequenced")
	}
	if c, err := ro.Checkpoint(ctx); err != nil || c.Size != 301 {
		t.Fatalf("read-only checkpoint: %v", err)
	}

	audit, err := l.Verify(ctx, verifier)
	if err != nil || audit.Err() != nil || audit.Size != 301 || audit.Checkpoints != 2 {
		t.Fatalf("clean log verify: %+v %v", audit, err)
	}
}

// TestLogConsistencyAcrossAppends appends 1,000 events in batches of random
// size and checks every checkpoint against the next and the last with a
// consistency proof built from tiles, and every entry's inclusion in the
// final tree.
func TestLogConsistencyAcrossAppends(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	signer, verifier, _ := testKey(t)
	l := openLog(t, s, signer)
	rng := rand.New(rand.NewPCG(1, 2))
	var cps []*translog.Checkpoint
	for n := 0; n < 1000; {
		k := min(1+rng.IntN(40), 1000-n)
		putN(t, s, n+1, k)
		n += k
		cp := sequence(t, l)
		if cp.Size != int64(n) {
			t.Fatalf("size %d after %d appends", cp.Size, n)
		}
		cps = append(cps, cp)
	}
	last := cps[len(cps)-1]
	hr := tlog.TileHashReader(tlog.Tree{N: last.Size, Hash: last.Hash}, &tileReader{l: l})
	for i, cp := range cps {
		if _, err := translog.ParseCheckpoint(cp.Note, verifier); err != nil {
			t.Fatal(err)
		}
		for _, newer := range []*translog.Checkpoint{cps[min(i+1, len(cps)-1)], last} {
			// The proof is built from tiles of the newest tree; a proof
			// against the newer checkpoint must also verify.
			proof, err := tlog.ProveTree(newer.Size, cp.Size, hr)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(proof, newer.Size, newer.Hash, cp.Size, cp.Hash); err != nil {
				t.Fatalf("checkpoint %d (size %d) not consistent with size %d: %v", i, cp.Size, newer.Size, err)
			}
		}
		if p, _, err := l.Consistency(ctx, cp.Size); err != nil || tlog.CheckTree(p, last.Size, last.Hash, cp.Size, cp.Hash) != nil {
			t.Fatalf("Consistency(%d): %v", cp.Size, err)
		}
	}
	// A wrong old hash fails the proof.
	proof, _ := tlog.ProveTree(last.Size, cps[3].Size, hr)
	if tlog.CheckTree(proof, last.Size, last.Hash, cps[3].Size, cps[4].Hash) == nil {
		t.Fatal("consistency proof accepted a wrong old root")
	}
	for i := range last.Size {
		proof, err := tlog.ProveRecord(last.Size, i, hr)
		if err != nil {
			t.Fatal(err)
		}
		entry, err := l.Entry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, last.Size, last.Hash, i, tlog.RecordHash(entry)); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if _, err := translog.ParseEntry(entry); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	audit, err := l.Verify(ctx, verifier)
	if err != nil || audit.Err() != nil || audit.Checkpoints != len(cps) {
		t.Fatalf("verify: %+v %v", audit, err)
	}
}

// tamperSetup is a registry with a signed log of 5 certificates (one
// suspended), as an attacker with the file would find it.
func tamperSetup(t *testing.T) (*registry.Store, *translog.Log, note.Verifier) {
	t.Helper()
	s := registrytest.Open(t)
	signer, verifier, _ := testKey(t)
	l := openLog(t, s, signer)
	putN(t, s, 1, 5)
	if _, err := s.ChangeStatus(context.Background(), registrytest.CLI, registry.StatusChange{Number: "SAC-2024-00003", To: registry.StatusSuspended, Reason: "暂停"}); err != nil {
		t.Fatal(err)
	}
	sequence(t, l)
	return s, l, verifier
}

// attack runs SQL as an attacker with write access to the file: the
// append-only triggers are dropped first.
func attack(t *testing.T, s *registry.Store, queries ...string) {
	t.Helper()
	for _, q := range append([]string{`DROP TRIGGER IF EXISTS events_append_only_update`, `DROP TRIGGER IF EXISTS events_append_only_delete`}, queries...) {
		if _, err := registrytest.RawDB(t, s).Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// wantProblem checks that verify reports exactly the problem kinds, the
// first naming number.
func wantProblem(t *testing.T, l *translog.Log, v note.Verifier, number string, kinds ...string) *translog.Audit {
	t.Helper()
	audit, err := l.Verify(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range audit.Problems {
		got = append(got, p.Kind)
	}
	if strings.Join(got, ",") != strings.Join(kinds, ",") {
		t.Fatalf("problems %q, want %q: %+v", got, kinds, audit.Problems)
	}
	if len(kinds) > 0 {
		p := audit.Problems[0]
		if p.Number != number || !strings.Contains(i18n.EN.Render(p), number) || !strings.Contains(i18n.ZH.Render(p), number) || audit.Err() == nil {
			t.Fatalf("problem %+v does not name certificate %s", p, number)
		}
	}
	return audit
}

func TestLogVerifyDetectsTampering(t *testing.T) {
	// Events: 1 body.created, 2..6 issued SAC-2024-00001..5, 7 suspended 00003.
	t.Run("edited", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		attack(t, s, `UPDATE events SET snapshot = replace(snapshot, '"score":96', '"score":99') WHERE id = 4`)
		wantProblem(t, l, v, "SAC-2024-00003", "edited")
	})
	t.Run("reason edited", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		attack(t, s, `UPDATE events SET reason = '到期' WHERE id = 7`)
		wantProblem(t, l, v, "SAC-2024-00003", "edited")
	})
	t.Run("deleted", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		attack(t, s, `DELETE FROM events WHERE id = 7`)
		// The row, still suspended, also no longer matches its latest
		// event (TestLogVerifyAuditsRows).
		wantProblem(t, l, v, "SAC-2024-00003", "deleted", "edited-row")
	})
	t.Run("inserted in the past", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// The only free past id is that of an event the log does not hold
		// (the body's creation): the forged revocation takes its place.
		attack(t, s, `DELETE FROM events WHERE id = 1`,
			`INSERT INTO events(id, certificate_id, body_id, kind, effective_date, reason, actor, source, at, changes, snapshot)
			 SELECT 1, certificate_id, body_id, 'revoked', '2025-01-01', 'forged', 'x', 'registrytest.CLI', '2025-01-01T00:00:00Z', '[]', replace(snapshot, '"status":"valid"', '"status":"revoked"') FROM events WHERE id = 5`)
		wantProblem(t, l, v, "SAC-2024-00004", "inserted")
	})
	t.Run("back-dated append", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		// Inserting needs no trigger dropped: a new row dated a month back.
		if _, err := registrytest.RawDB(t, s).Exec(`INSERT INTO events(certificate_id, body_id, kind, effective_date, reason, actor, source, at, changes, snapshot)
			SELECT certificate_id, body_id, 'revoked', '2025-05-01', 'forged', 'x', 'registrytest.CLI', '2025-05-01T00:00:00Z', '[]', snapshot FROM events WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		audit := wantProblem(t, l, v, "SAC-2024-00001", "backdated")
		if audit.Pending != 1 {
			t.Fatalf("pending %d, want 1", audit.Pending)
		}
		// Once the running server logs it, it stays reported.
		sequence(t, l)
		wantProblem(t, l, v, "SAC-2024-00001", "backdated")
	})
	t.Run("hash table edited", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		if _, err := registrytest.RawDB(t, s).Exec(`DROP TRIGGER translog_hashes_no_update`); err != nil {
			t.Fatal(err)
		}
		// Stored hash 2 is the level-1 hash over leaves 0 and 1.
		if _, err := registrytest.RawDB(t, s).Exec(`UPDATE translog_hashes SET hash = zeroblob(32) WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, l, v, "", "hashes")
	})
	t.Run("checkpoint not signed by the key", func(t *testing.T) {
		s, l, v := tamperSetup(t)
		other, _, _ := testKey(t)
		// Someone with the file but not the key signs a checkpoint of a
		// rewritten log.
		forger := openLog(t, s, other)
		putN(t, s, 100, 1)
		sequence(t, forger)
		wantProblem(t, l, v, "", "checkpoint")
	})
}

// TestLogVerifyFileEdit edits the database file's bytes, as an attacker
// with a hex editor would, without going through SQLite at all.
func TestLogVerifyFileEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := registry.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC) }
	signer, verifier, _ := testKey(t)
	l := openLog(t, s, signer)
	putN(t, s, 1, 3)
	in := registrytest.SampleInput("SAC-2024-09999")
	in.HolderName = "杭州原样科技有限公司"
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, []registry.Input{in}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sequence(t, l)
	s.Close() // checkpoints the WAL into the file

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Same byte length, so that the page layout stays valid.
	old, forged := []byte("杭州原样科技"), []byte("杭州伪造科技")
	if bytes.Count(b, old) == 0 {
		t.Fatal("holder name not found in the file")
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(b, old, forged), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = registry.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Certificate(context.Background(), "SAC-2024-09999")
	if err != nil || !strings.Contains(c.HolderName, "伪造") {
		t.Fatalf("the edit did not take: %v %v", c, err)
	}
	wantProblem(t, openLog(t, s, nil), verifier, "SAC-2024-09999", "edited")
}

// TestLogFollowSequencesOtherProcesses checks that a log following the
// registry picks up events written through another connection (as a
// command-line import while serve runs).
func TestLogFollowSequencesOtherProcesses(t *testing.T) {
	s := registrytest.Open(t)
	signer, _, _ := testKey(t)
	l := openLog(t, s, signer)
	other, err := registry.Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Now = s.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Follow(ctx, 10*time.Millisecond, func(err error) { t.Error(err) }); close(done) }()
	putN(t, other, 1, 2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		cp, err := l.Checkpoint(context.Background())
		if err == nil && cp.Size == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not sequenced: %v %v", cp, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestParseLogEntryRejectsNonCanonical(t *testing.T) {
	s, l, _ := tamperSetup(t)
	_ = s
	e, err := l.Entry(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		strings.Replace(string(e), "kind \"issued\"", "kind  \"issued\"", 1),
		strings.Replace(string(e), "record {", "record { ", 1),
		strings.Replace(string(e), "/v1", "/v2", 1),
		strings.TrimSuffix(string(e), "\n"),
	} {
		if _, err := translog.ParseEntry([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

func BenchmarkLogSequence(b *testing.B) {
	// Each round writes 100 certificates (100 events) and sequences them.
	s := registrytest.Open(b)
	signer, _, _ := testKey(b)
	l := openLog(b, s, signer)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		putN(b, s, i*100+1, 100)
		b.StartTimer()
		sequence(b, l)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkLogAppendAndSequence(b *testing.B) {
	// Write and sequence together: one batch of 100 certificates a round.
	s := registrytest.Open(b)
	signer, _, _ := testKey(b)
	l := openLog(b, s, signer)
	b.ResetTimer()
	for i := range b.N {
		putN(b, s, i*100+1, 100)
		sequence(b, l)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkLogInclusionProof(b *testing.B) {
	s := registrytest.Open(b)
	signer, _, _ := testKey(b)
	l := openLog(b, s, signer)
	putN(b, s, 1, 5000)
	sequence(b, l)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := l.Inclusion(ctx, fmt.Sprintf("SAC-2024-%05d", 1+i%5000)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoteSignerFunc signs with a key held elsewhere (the key ring), and
// refuses a signature by another key, leaving the log as it was.
func TestNoteSignerFunc(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(crand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	signer, err := translog.NoteSignerFunc("certreg.test", pub, func(m []byte) ([]byte, error) { return ed25519.Sign(priv, m), nil })
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := translog.NoteVerifierKey("certreg.test", pub)
	ver, _ := note.NewVerifier(vkey)
	s := registrytest.Open(t)
	putN(t, s, 1, 2)
	cp := sequence(t, openLog(t, s, signer))
	if _, err := translog.ParseCheckpoint(cp.Note, ver); err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(crand.Reader)
	rotated, _ := translog.NoteSignerFunc("certreg.test", pub, func(m []byte) ([]byte, error) { return ed25519.Sign(other, m), nil })
	putN(t, s, 3, 1)
	if _, err := openLog(t, s, rotated).Sequence(context.Background()); err == nil {
		t.Fatal("a checkpoint signed by another key was accepted")
	}
	l := openLog(t, s, nil)
	if cp, err := l.Checkpoint(context.Background()); err != nil || cp.Size != 2 {
		t.Fatalf("after a failed sequence: %v %v", cp, err)
	}
	if audit, err := l.Verify(context.Background(), ver); err != nil || audit.Err() != nil || audit.Size != 2 || audit.Pending != 1 {
		t.Fatalf("after a failed sequence: %+v %v", audit, err)
	}
}

// TestLogEventWithoutSnapshot logs an event that some other code wrote
// without a snapshot, instead of stopping the log.
func TestLogEventWithoutSnapshot(t *testing.T) {
	s, l, v := tamperSetup(t)
	if _, err := registrytest.RawDB(t, s).Exec(`INSERT INTO events(certificate_id, body_id, kind, actor, source, at)
		SELECT certificate_id, body_id, 'qr.reissued', 'x', 'console', at FROM events WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	cp := sequence(t, l)
	e, err := l.Entry(context.Background(), cp.Size-1)
	if err != nil {
		t.Fatal(err)
	}
	le, err := translog.ParseEntry(e)
	if err != nil || le.Kind != "qr.reissued" || le.Number != "" || string(le.Record) != "null" {
		t.Fatalf("%v %+v\n%s", err, le, e)
	}
	wantProblem(t, l, v, "")
}

func TestExportTime(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	now := s.Now()
	at, err := s.ExportTime(ctx, now.Add(48*time.Hour))
	// No events: the start of that day, China time.
	day := registry.Today(now.Add(48 * time.Hour))
	if err != nil || !at.Equal(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, registry.ChinaTime())) {
		t.Fatalf("empty registry: %v %v", at, err)
	}
	putN(t, s, 1, 1)
	// The same day, after a write: the write's time.
	if at, err := s.ExportTime(ctx, now.Add(time.Minute)); err != nil || !at.Equal(now) {
		t.Fatalf("after a write: %v %v, want %v", at, err, now)
	}
}

// TestRingNoteSigner signs checkpoints with the registry's key ring, and
// with the new key after a rotation; verify needs both keys then.
func TestRingNoteSigner(t *testing.T) {
	ring, err := signing.OpenKeys(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ring.NoteSigner(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	verifierOf := func(k *signing.Key) note.Verifier {
		vkey, err := translog.NoteVerifierKey(testOrigin, k.Public)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1 := verifierOf(ring.Current())
	s := registrytest.Open(t)
	l := openLog(t, s, signer)
	putN(t, s, 1, 2)
	if _, err := translog.ParseCheckpoint(sequence(t, l).Note, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	v2 := verifierOf(ring.Current())
	putN(t, s, 3, 1)
	cp := sequence(t, l)
	if _, err := translog.ParseCheckpoint(cp.Note, v2); err != nil || cp.Size != 3 {
		t.Fatalf("after rotation: %v", err)
	}
	if _, err := translog.ParseCheckpoint(cp.Note, v1); err == nil {
		t.Fatal("signed with the retired key after a rotation")
	}
	if audit, err := l.Verify(context.Background(), v1, v2); err != nil || audit.Err() != nil {
		t.Fatalf("verify with both keys: %+v %v", audit, err)
	}
	if audit, _ := l.Verify(context.Background(), v2); audit.Err() == nil {
		t.Fatal("verify with the new key alone passed the old checkpoint")
	}
}

// TestSequenceLargeBacklogInSeveralTransactions logs a backlog larger than
// one transaction takes: every entry is logged, a checkpoint is signed for
// each transaction, and the log verifies.
func TestSequenceLargeBacklogInSeveralTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 12,000 certificates")
	}
	s := registrytest.Open(t)
	signer, verifier, _ := testKey(t)
	l := openLog(t, s, signer)
	putN(t, s, 0, 12000)
	cp := sequence(t, l)
	if cp.Size != 12000 {
		t.Fatalf("checkpoint size %d, want 12000", cp.Size)
	}
	audit, err := l.Verify(context.Background(), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Problems) != 0 || audit.Pending != 0 || audit.Size != 12000 {
		t.Fatalf("audit %+v", audit)
	}
	if audit.Checkpoints < 2 {
		t.Fatalf("%d checkpoints: the backlog was logged in one transaction", audit.Checkpoints)
	}
}
