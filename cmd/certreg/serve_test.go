package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer that the server goroutine writes while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start the whole program on 127.0.0.1:0 with an empty database: it loads
// the demo data, serves pages and /healthz, passes healthcheck, and shuts
// down cleanly when its context ends.
func TestServeDemoAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr, getenv: func(string) string { return "" }}
	db := filepath.Join(t.TempDir(), "registry.db")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--base-url", "https://certreg.example.cn"})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var addr string
	for lines.Scan() {
		if _, a, ok := strings.Cut(lines.Text(), " at http://"); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatalf("no address announced; stderr: %s", stderr.String())
	}
	go io.Copy(io.Discard, pr)

	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "certreg.example.cn") {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	if !strings.Contains(stderr.String(), "loaded the demo dataset") {
		t.Errorf("demo not loaded: %s", stderr.String())
	}
	var out bytes.Buffer
	he := &env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	if err := run(ctx, he, []string{"healthcheck", "--url", "http://" + addr + "/healthz"}); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if err := run(context.Background(), he, []string{"healthcheck", "--url", "http://" + addr + "/healthz", "--timeout", "2s"}); err == nil {
		t.Error("healthcheck passed against a stopped server")
	}
}

func TestServeHelp(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	err := run(context.Background(), e, []string{"serve", "--help"})
	if err == nil || !strings.Contains(out.String(), "--addr") && !strings.Contains(out.String(), "-addr") {
		t.Fatalf("help: %v %q", err, out.String())
	}
}
