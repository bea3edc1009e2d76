package translog_test

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/translog"
)

// witnessKey is a fresh witness key: its cosignature/v1 signer and the
// verifier key in both forms.
func witnessKey(t *testing.T, name string) (signer note.Signer, plain, cosig string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(crand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey, c
}

func TestParseWitness(t *testing.T) {
	_, plain, cosig := witnessKey(t, "witness.test/w")
	for _, k := range []string{plain, cosig} {
		w, err := translog.ParseWitness(k + "+https://witness.test/api/")
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if w.Name != "witness.test/w" || w.Key != cosig || w.URL != "https://witness.test/api" {
			t.Errorf("%s: %+v", k, w)
		}
	}
	// Keys whose base64 holds "+" still split at the URL.
	for i := 0; i < 50; i++ {
		_, _, k := witnessKey(t, "w")
		if _, err := translog.ParseWitness(k + "+http://127.0.0.1:1"); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	for _, bad := range []string{
		"", cosig, cosig + "+", cosig + "+ftp://witness.test", cosig + "+https://", cosig + "+https://witness.test/?a=b",
		cosig + "+https://u:p@witness.test", "w+00000000+AAAA+https://witness.test", "w+https://witness.test",
		strings.Repeat("+", 100) + "http://x",
	} {
		if w, err := translog.ParseWitness(bad); err == nil {
			t.Errorf("%q accepted: %+v", bad, w)
		}
	}
}

// fakeWitness answers add-checkpoint requests as handle says, counting
// them.
type fakeWitness struct {
	*httptest.Server
	requests atomic.Int32
}

func newFakeWitness(t *testing.T, handle func(w http.ResponseWriter, old int64, proof []string, cp []byte)) *fakeWitness {
	return newFakeWitnessCtx(t, func(_ context.Context, w http.ResponseWriter, old int64, proof []string, cp []byte) {
		handle(w, old, proof, cp)
	})
}

// newFakeWitnessCtx is newFakeWitness with the request's context, for a
// witness that hangs until the client gives up.
func newFakeWitnessCtx(t *testing.T, handle func(ctx context.Context, w http.ResponseWriter, old int64, proof []string, cp []byte)) *fakeWitness {
	f := &fakeWitness{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/add-checkpoint" {
			http.NotFound(w, r)
			return
		}
		br := bufio.NewReader(r.Body)
		line, _ := br.ReadString('\n')
		var old int64
		if _, err := fmt.Sscanf(line, "old %d\n", &old); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var proof []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if l == "\n" {
				break
			}
			proof = append(proof, strings.TrimSuffix(l, "\n"))
		}
		cp, _ := io.ReadAll(br)
		handle(r.Context(), w, old, proof, cp)
	}))
	t.Cleanup(f.Close)
	return f
}

// cosign signs cp's text as a witness would and returns the line.
func cosign(t *testing.T, s note.Signer, cp []byte) string {
	text, _, _ := strings.Cut(string(cp), "\n\n")
	msg, err := note.Sign(&note.Note{Text: text + "\n"}, s)
	if err != nil {
		t.Error(err)
		return ""
	}
	_, sig, _ := strings.Cut(string(msg), "\n\n")
	return sig
}

func witnessLog(t *testing.T) (*registry.Store, *translog.Log) {
	s := registrytest.Open(t)
	signer, _, _ := testKey(t)
	l := openLog(t, s, signer)
	putN(t, s, 1, 5)
	sequence(t, l)
	return s, l
}

// A witness that stands at another size (409) is followed once, with a
// consistency proof from its size that it checks; its cosignature is kept
// and served; a second submission of the same tree sends nothing.
func TestSubmitFollowsConflictWithProof(t *testing.T) {
	s, l := witnessLog(t)
	first := sequence(t, l)
	putN(t, s, 6, 7)
	cp := sequence(t, l)
	signer, _, vkey := witnessKey(t, "witness.test/w")
	var olds []int64
	// The witness stands at the first checkpoint (cosigned elsewhere),
	// then at each one it cosigns.
	haveSize, haveHash := first.Size, first.Hash
	fw := newFakeWitness(t, func(w http.ResponseWriter, old int64, proof []string, body []byte) {
		olds = append(olds, old)
		if old != haveSize {
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "%d\n", haveSize)
			return
		}
		lines := strings.SplitN(string(body), "\n", 4)
		var size int64
		fmt.Sscan(lines[1], &size)
		h, _ := base64.StdEncoding.DecodeString(lines[2])
		var p tlog.TreeProof
		for _, b := range proof {
			h, err := base64.StdEncoding.DecodeString(b)
			if err != nil || len(h) != tlog.HashSize {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			p = append(p, tlog.Hash(h))
		}
		if err := tlog.CheckTree(p, size, tlog.Hash(h), haveSize, haveHash); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		haveSize, haveHash = size, tlog.Hash(h)
		io.WriteString(w, cosign(t, signer, body))
	})
	wit, err := translog.ParseWitness(vkey + "+" + fw.URL)
	if err != nil {
		t.Fatal(err)
	}
	size, err := l.Submit(context.Background(), fw.Client(), wit)
	if err != nil || size != cp.Size {
		t.Fatalf("submit: %d %v", size, err)
	}
	if fmt.Sprint(olds) != fmt.Sprintf("[0 %d]", first.Size) {
		t.Errorf("old sizes sent: %v", olds)
	}
	got, by, err := l.CosignedCheckpoint(context.Background(), []translog.Witness{wit})
	if err != nil || len(by) != 1 || !strings.Contains(string(got.Note), "— witness.test/w ") {
		t.Fatalf("cosigned checkpoint: %v %v\n%s", err, by, got.Note)
	}
	if n := translog.CountCosignatures(got.Note, []translog.Witness{wit}); len(n) != 1 {
		t.Errorf("count: %v", n)
	}
	if n, size, err := l.Witnessed(context.Background(), []translog.Witness{wit}); n != 1 || size != cp.Size || err != nil {
		t.Errorf("witnessed: %d %d %v", n, size, err)
	}
	if _, err := l.Submit(context.Background(), fw.Client(), wit); err != nil || fw.requests.Load() != 2 {
		t.Errorf("second submission: %v, %d requests", err, fw.requests.Load())
	}
	// Next time it starts from the size it cosigned.
	putN(t, s, 13, 1)
	sequence(t, l)
	if _, err := l.Submit(context.Background(), fw.Client(), wit); err != nil || olds[len(olds)-1] != cp.Size {
		t.Errorf("third submission: %v, olds %v", err, olds)
	}
}

// Each way a witness can fail is an error that names it, keeps nothing,
// and is bounded in time and memory.
func TestSubmitWitnessFailures(t *testing.T) {
	_, l := witnessLog(t)
	signer, _, vkey := witnessKey(t, "witness.test/w")
	otherSigner, _, _ := witnessKey(t, "witness.test/w")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name    string
		handle  func(w http.ResponseWriter, old int64, proof []string, cp []byte)
		hangs   bool
		url     string
		refused bool
		want    string
		tries   int32
	}{
		{name: "unreachable", url: unreachable, want: "connect"},
		{name: "hangs", hangs: true, want: "Timeout", tries: 1},
		{name: "fork", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) { w.WriteHeader(422) }, refused: true, want: "not consistent", tries: 1},
		{name: "unknown log", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) { w.WriteHeader(404) }, refused: true, want: "does not witness", tries: 1},
		{name: "bad log key", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) { w.WriteHeader(403) }, refused: true, want: "log's signature", tries: 1},
		{name: "server error", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) { w.WriteHeader(500) }, want: "HTTP 500", tries: 1},
		{name: "conflict without size", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) {
			w.WriteHeader(409)
			io.WriteString(w, "soon")
		}, want: "409 without", tries: 1},
		{name: "conflict forever", handle: func(w http.ResponseWriter, old int64, _ []string, _ []byte) {
			w.WriteHeader(409)
			fmt.Fprintf(w, "%d\n", old+1)
		}, want: "cosigned size", tries: 2},
		{name: "conflict larger than our tree", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) {
			w.WriteHeader(409)
			io.WriteString(w, "99\n")
		}, refused: true, want: "larger tree", tries: 1},
		{name: "another key's cosignature", handle: func(w http.ResponseWriter, _ int64, _ []string, cp []byte) {
			io.WriteString(w, cosign(t, otherSigner, cp))
		}, want: "no valid cosignature", tries: 1},
		{name: "garbage", handle: func(w http.ResponseWriter, _ int64, _ []string, _ []byte) {
			io.WriteString(w, "— witness.test/w AAAA\n")
		}, want: "no valid cosignature", tries: 1},
		{name: "huge answer", handle: func(w http.ResponseWriter, _ int64, _ []string, cp []byte) {
			io.WriteString(w, cosign(t, signer, cp))
			w.Write(make([]byte, 1<<20))
		}, want: "larger than", tries: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.url
			var fw *fakeWitness
			if tc.handle != nil {
				fw = newFakeWitness(t, tc.handle)
				u = fw.URL
			}
			if tc.hangs {
				fw = newFakeWitnessCtx(t, func(ctx context.Context, _ http.ResponseWriter, _ int64, _ []string, _ []byte) { <-ctx.Done() })
				u = fw.URL
			}
			wit, err := translog.ParseWitness(vkey + "+" + u)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Timeout: 300 * time.Millisecond}
			_, err = l.Submit(context.Background(), client, wit)
			var refused *translog.WitnessRefusedError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &refused) != tc.refused {
				t.Fatalf("err = %v, want %q (refused %v)", err, tc.want, tc.refused)
			}
			if fw != nil && fw.requests.Load() != tc.tries {
				t.Errorf("%d requests, want %d", fw.requests.Load(), tc.tries)
			}
			cp, by, err := l.CosignedCheckpoint(context.Background(), []translog.Witness{wit})
			if err != nil || len(by) != 0 || strings.Count(string(cp.Note), "— ") != 1 {
				t.Errorf("something was kept: %v %v\n%s", err, by, cp.Note)
			}
		})
	}
}

// Witnesses that hang or are down never hold up the registry's writes or
// its sequencing; each failure is reported, and retried.
func TestFollowWitnessesDoesNotBlockWrites(t *testing.T) {
	s, l := witnessLog(t)
	_, _, vkey1 := witnessKey(t, "witness.test/hangs")
	_, _, vkey2 := witnessKey(t, "witness.test/down")
	fw := newFakeWitnessCtx(t, func(ctx context.Context, _ http.ResponseWriter, _ int64, _ []string, _ []byte) { <-ctx.Done() })
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + closed.Addr().String()
	closed.Close()
	w1, err := translog.ParseWitness(vkey1 + "+" + fw.URL)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := translog.ParseWitness(vkey2 + "+" + down)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	failures := map[string]int{}
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		l.FollowWitnesses(ctx, []translog.Witness{w1, w2}, &http.Client{Timeout: 200 * time.Millisecond}, 20*time.Millisecond, func(r translog.WitnessReport) {
			mu.Lock()
			defer mu.Unlock()
			if r.Err != nil {
				failures[r.Witness]++
			}
		})
	}()
	for i := 0; i < 5; i++ {
		putN(t, s, 100+i, 1)
		if cp := sequence(t, l); cp.Size != int64(6+i) {
			t.Fatalf("size %d", cp.Size)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		f1, f2 := failures["witness.test/hangs"], failures["witness.test/down"]
		mu.Unlock()
		if f1 >= 2 && f2 >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failures reported: %v", failures)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The loops end with their context, the hanging witness's included,
	// and FollowWitnesses returns only then: a caller may close the store
	// once it has returned.
	select {
	case <-followed:
		t.Fatal("FollowWitnesses returned while its loops were running")
	default:
	}
	cancel()
	select {
	case <-followed:
	case <-time.After(5 * time.Second):
		t.Fatal("FollowWitnesses did not return after its context ended")
	}
}

// BenchmarkWitnessed measures what a certificate or verdict page adds to
// its rendering when witnesses are configured: reading the latest
// checkpoint's cosignatures and checking three of them.
func BenchmarkWitnessed(b *testing.B) {
	s := registrytest.Open(b)
	signer, _, _ := testKey(b)
	l := openLog(b, s, signer)
	putN(b, s, 1, 100)
	cp := sequence(b, l)
	var ws []translog.Witness
	for i := range 3 {
		skey, vkey, err := note.GenerateKey(crand.Reader, fmt.Sprintf("witness.test/w%d", i))
		if err != nil {
			b.Fatal(err)
		}
		ws1, _ := fnote.NewSignerForCosignatureV1(skey)
		ck, _ := fnote.VKeyToCosignatureV1(vkey)
		var line string
		fw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			_, cpText, _ := strings.Cut(string(body), "\n\n")
			text, _, _ := strings.Cut(cpText, "\n\n")
			msg, _ := note.Sign(&note.Note{Text: text + "\n"}, ws1)
			_, line, _ = strings.Cut(string(msg), "\n\n")
			io.WriteString(w, line)
		}))
		w, err := translog.ParseWitness(ck + "+" + fw.URL)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Submit(context.Background(), fw.Client(), w); err != nil {
			b.Fatal(err)
		}
		fw.Close()
		ws = append(ws, w)
	}
	b.ResetTimer()
	for b.Loop() {
		n, size, err := l.Witnessed(context.Background(), ws)
		if err != nil || n != 3 || size != cp.Size {
			b.Fatalf("%d %d %v", n, size, err)
		}
	}
}
