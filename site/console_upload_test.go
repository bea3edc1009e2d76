package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

// TestConsoleUploadSurvivesRestart previews an upload, stops the server
// and closes the registry, starts again on the same file and confirms: the
// upload is still there and imports. One left unconfirmed past its hour is
// refused with a message that says so. No temporary folder is left.
func TestConsoleUploadSurvivesRestart(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	path := filepath.Join(t.TempDir(), "registry.db")
	now := fixedNow
	open := func() *registry.Store {
		st, err := registry.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st.Now = func() time.Time { return now }
		return st
	}
	serve := func(st *registry.Store) (*consoleFixture, *httptest.Server) {
		ts := httptest.NewTLSServer(New(st, Config{BaseURL: testBase}).Handler())
		return &consoleFixture{tls: ts}, ts
	}
	ctx := context.Background()
	st := open()
	op := registry.Actor{Name: "setup", Source: "cli"}
	if _, err := st.AddBody(ctx, op, registry.Body{Approval: approvalA, NameZH: "甲认证中心"}); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.New(st).AddUser(ctx, op, registry.NewUser{Name: "alice", Role: registry.RolePublisher, BodyApproval: approvalA}, alicePass); err != nil {
		t.Fatal(err)
	}
	head := "number,holder_name,holder_credit_code,province,city,scheme,score,scope,issue_date,expiry_date,body_approval\n"
	row := func(n string) string {
		return n + ",温州样例家电有限公司,914403001922038216,浙江,温州,AS,93,家电售后服务,2025-06-01,2028-05-31," + approvalA + "\n"
	}
	confirmID := regexp.MustCompile(`/console/upload/([A-Za-z0-9_-]+)/confirm`)

	f, ts := serve(st)
	a := f.signedIn(t, "alice", alicePass)
	r := a.upload("batch.csv", []byte(head+row("A-2025-0400")))
	first := confirmID.FindStringSubmatch(r.body)
	r = a.upload("later.csv", []byte(head+row("A-2025-0401")))
	second := confirmID.FindStringSubmatch(r.body)
	if first == nil || second == nil {
		t.Fatalf("no confirm forms: %d %s", r.status, r.body)
	}
	ts.Close()
	st.Close()

	st = open()
	t.Cleanup(func() { st.Close() })
	f, ts = serve(st)
	t.Cleanup(ts.Close)
	a = f.signedIn(t, "alice", alicePass)
	if r := a.post("/console/upload/"+first[1]+"/confirm", nil); r.status != http.StatusOK || !strings.Contains(r.body, "新建 1 张") {
		t.Fatalf("confirm after a restart: %d %s", r.status, r.body)
	}
	if _, err := st.Certificate(ctx, "A-2025-0400"); err != nil {
		t.Fatalf("not imported: %v", err)
	}
	now = now.Add(uploadTTL + time.Minute)
	a = f.signedIn(t, "alice", alicePass)
	r = a.post("/en/console/upload/"+second[1]+"/confirm", nil)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "waited more than 60 minutes for its confirmation") {
		t.Fatalf("an expired upload: %d %s", r.status, r.body)
	}
	if _, err := st.Certificate(ctx, "A-2025-0401"); err == nil {
		t.Fatal("an expired upload was imported")
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "certreg-uploads-*"))
	if entries, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary folders left behind: %v", entries)
	}
}
