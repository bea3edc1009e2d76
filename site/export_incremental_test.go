package site_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
)

// TestExportIncrementalEqualsCold changes a registry between two exports
// into one folder in every way that moves its public files — a day passes
// and two certificates expire without any event, one is suspended, one is
// re-graded, one is new, and later a body
// is added — and checks that each incremental export leaves, file by
// file, the bytes a cold export into an empty folder writes. It also
// checks that the incremental export read only the certificates that
// could have changed.
func TestExportIncrementalEqualsCold(t *testing.T) {
	ctx := context.Background()
	// Sitemaps of five certificates: the first two are full, and the
	// incremental export keeps them without reading them again.
	defer site.SetSitemapChunk(5)()
	store, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC) // 10:00 in China
	store.Now = func() time.Time { return now }
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := translog.NoteSigner("certreg.test", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := translog.NoteVerifierKey("certreg.test", priv.Public().(ed25519.PublicKey))
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	holders := []string{"914403001922038216", "91350100M0001TGQXM"}
	bodies := [][2]string{{"CNCA-R-2002-001", "示例认证中心"}, {"CNCA-R-2003-002", "第二认证中心"}}
	input := func(i int) registry.Input {
		in := registry.Input{
			Number: fmt.Sprintf("SAC-2025-%05d", i), HolderName: fmt.Sprintf("宁波示例电器有限公司%d", i%2), HolderCreditCode: holders[i%2],
			Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011", Score: "96", Scope: "家用电器的售后服务",
			IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: bodies[i%2][0], BodyName: bodies[i%2][1],
		}
		// Two expire on the days between the exports (valid on 1 June,
		// expired on 3 June); one on the last of those days, still valid.
		switch i {
		case 1:
			in.ExpiryDate = "2025-06-01"
		case 2:
			in.ExpiryDate = "2025-06-02"
		case 3:
			in.ExpiryDate = "2025-06-03"
		}
		return in
	}
	var ins []registry.Input
	for i := 1; i <= 12; i++ {
		ins = append(ins, input(i))
	}
	actor := registry.Actor{Name: "test", Source: "cli"}
	if _, err := store.PutCertificates(ctx, actor, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	l, err := translog.New(store, "certreg.test/log", signer)
	if err != nil {
		t.Fatal(err)
	}
	keys := signing.NewMemoryKeys()
	export := func(dir string, want int) *site.ExportResult {
		t.Helper()
		if _, err := l.Sequence(ctx); err != nil {
			t.Fatal(err)
		}
		ps, err := l.Paths(ctx)
		if err != nil {
			t.Fatal(err)
		}
		extra := []string{"/log/key"}
		for _, p := range ps {
			extra = append(extra, "/log/"+p)
		}
		srv := site.New(store, site.Config{BaseURL: "https://certreg.test", NoCache: true, Keys: keys, Log: l, LogKey: vkey})
		res, err := srv.Export(ctx, dir, site.ExportOptions{Extra: extra})
		if err != nil {
			t.Fatal(err)
		}
		if res.Keyed != want {
			t.Errorf("export into %s read %d certificates to key them, want %d", filepath.Base(dir), res.Keyed, want)
		}
		return res
	}
	dir := t.TempDir()
	export(dir, 12)
	before := now

	now = time.Date(2025, 6, 3, 2, 0, 0, 0, time.UTC)
	if _, err := store.ChangeStatus(ctx, actor, registry.StatusChange{Number: "SAC-2025-00005", To: registry.StatusSuspended, Reason: "暂停"}); err != nil {
		t.Fatal(err)
	}
	moved := input(6)
	moved.Score, moved.Scope = "91", "家用电器和厨房电器的售后服务"
	if _, err := store.PutCertificates(ctx, actor, []registry.Input{moved, input(13)}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// Read: the two expired, the suspended, the re-graded and the new one.
	res := export(dir, 5)
	if res.Rendered != 5 {
		t.Errorf("%d certificates rendered, want 5", res.Rendered)
	}
	cold := t.TempDir()
	export(cold, 13)
	compareExports(t, verifier, dir, cold, before, now)
	for _, n := range []string{"SAC-2025-00001", "SAC-2025-00002"} {
		b, err := os.ReadFile(filepath.Join(dir, "en", "certificates", n, "index.html"))
		if err != nil || !strings.Contains(string(b), i18n.EN.Render(registry.StatusExpired)) {
			t.Errorf("%s: not shown expired after its expiry date (%v)", n, err)
		}
	}

	// A new body changes what every page is made from: every certificate
	// is keyed again, and the folder still matches a cold export.
	if _, err := store.AddBody(ctx, actor, registry.Body{Approval: "CNCA-R-2004-003", NameZH: "第三认证中心", NameEN: "Third Certification Centre", Province: "浙江", City: "杭州"}); err != nil {
		t.Fatal(err)
	}
	before, now = now, now.Add(time.Hour)
	export(dir, 13)
	cold = t.TempDir()
	export(cold, 13)
	compareExports(t, verifier, dir, cold, before, now)
}

// compareExports checks that folder got holds the files of folder want,
// byte for byte, and no others. A certificate's files that the
// incremental export did not render keep the "as of" time of the export
// that wrote them (true: nothing they show changed), and its JSON record
// its log proof against that export's checkpoint (checked, then left
// out): those are set to want's before comparing.
func compareExports(t *testing.T, verifier note.Verifier, got, want string, before, now time.Time) {
	t.Helper()
	var pairs []string
	for _, l := range i18n.Langs {
		for _, k := range []string{"cert.asof", "footer.asof", "offline.status_as_of"} {
			pairs = append(pairs, l.Tf(k, l.DateTime(before)), l.Tf(k, l.DateTime(now)))
		}
	}
	pairs = append(pairs, `"as_of":"`+before.UTC().Format(time.RFC3339Nano), `"as_of":"`+now.UTC().Format(time.RFC3339Nano))
	asOf := strings.NewReplacer(pairs...)
	files := 0
	err := filepath.WalkDir(want, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel(want, name)
		w, _ := os.ReadFile(name)
		g, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: in the cold export, not in the incremental one", rel)
			return nil
		}
		if bytes.Equal(g, w) {
			return nil
		}
		g = []byte(asOf.Replace(string(g)))
		if strings.HasPrefix(filepath.ToSlash(rel), "api/v1/certificates/") && !bytes.Equal(g, w) {
			g, w = checkedRecord(t, verifier, g), checkedRecord(t, verifier, w)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s: the incremental export differs from a cold one", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An export never deletes: what an earlier one wrote stays, the
	// images and verdict pages of a QR code the registry signed before a
	// certificate changed (named by their token, so never wrong), and
	// the log's partial tiles (the log only grows). Nothing else may be
	// left.
	leftover := regexp.MustCompile(`^(?:(?:en/)?V/[A-Z2-7]+/SAC-2025-\d{5}/index\.html|qr/[a-z0-9-]+/[A-Z2-7]+/SAC-2025-\d{5}|log/tile/.*\.p/\d+)$`)
	filepath.WalkDir(got, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(got, name)
		if _, err := os.Stat(filepath.Join(want, rel)); err != nil && !leftover.MatchString(filepath.ToSlash(rel)) {
			t.Errorf("%s: in the incremental export, not in the cold one", rel)
		}
		return nil
	})
	if files < 13*11 {
		t.Errorf("the cold export holds %d files", files)
	}
}
