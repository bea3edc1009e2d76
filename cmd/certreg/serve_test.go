package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
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

// Memory flags take sizes with units, from the flag or the environment,
// and a wrong one stops serve before it opens anything, naming what is
// wrong.
func TestServeSizeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--upload-memory-bytes", "lots"}, nil, `"lots"`},
		{[]string{"--page-cache-bytes", "-1MiB"}, nil, `"-1"`},
		{[]string{"--sqlite-cache-bytes", "2TiB"}, nil, `"2TiB"`},
		{nil, map[string]string{"CERTREG_UPLOAD_MEMORY_BYTES": "64 MB"}, "CERTREG_UPLOAD_MEMORY_BYTES"},
	} {
		db := filepath.Join(t.TempDir(), "r.db")
		var out bytes.Buffer
		e := &env{stdout: &out, stderr: &out, getenv: func(k string) string { return c.env[k] }}
		err := run(context.Background(), e, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, c.args...))
		if err == nil || !strings.Contains(err.Error()+out.String(), c.want) {
			t.Errorf("serve %v %v: %v %q, want an error naming %s", c.args, c.env, err, out.String(), c.want)
		}
		if _, statErr := os.Stat(db); statErr == nil {
			t.Errorf("serve %v %v created the registry before refusing its flags", c.args, c.env)
		}
	}
	var b byteSize
	for in, want := range map[string]int64{"0": 0, "512KiB": 512 << 10, "64 MiB": 64 << 20, "1GiB": 1 << 30, "100": 100} {
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
}
