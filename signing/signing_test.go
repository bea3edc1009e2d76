package signing_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
)

const testBase = "https://certreg.example.cn"

func openKeys(t testing.TB) *signing.KeyRing {
	t.Helper()
	kr, err := signing.OpenKeys(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// putSample stores the sample certificate and returns it as read back.
func putSample(t testing.TB, s *registry.Store, number string) *registry.Certificate {
	t.Helper()
	ctx := context.Background()
	if _, err := s.PutCertificates(ctx, registrytest.CLI, []registry.Input{registrytest.SampleInput(number)}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Certificate(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signedURL(t testing.TB, kr *signing.KeyRing, s *registry.Store, c *registry.Certificate) string {
	t.Helper()
	sc, err := kr.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	return sc.URL(testBase)
}

func TestKeysCreatedWithPrivateModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	kr, err := signing.OpenKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("keys directory mode %v, want 0700", di.Mode().Perm())
	}
	fi, err := os.Stat(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys file mode %v, want 0600", fi.Mode().Perm())
	}
	// Reopening finds the same key instead of making a new one.
	again, err := signing.OpenKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Current().ID != kr.Current().ID || len(again.Keys()) != 1 {
		t.Errorf("reopened ring has %d keys, current %s; want 1, %s", len(again.Keys()), again.Current().ID, kr.Current().ID)
	}
	// A key file others can read is refused rather than used.
	os.Chmod(filepath.Join(dir, "keys.json"), 0o644)
	if _, err := signing.OpenKeys(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file: err %v, want a chmod hint", err)
	}
}

func TestSignatureRoundTripAndTampering(t *testing.T) {
	s := registrytest.Open(t)
	kr := openKeys(t)
	c := putSample(t, s, "00114E22766R2L/3502")
	u := signedURL(t, kr, s, c)
	if !strings.HasPrefix(u, "HTTPS://CERTREG.EXAMPLE.CN/V/") || !strings.HasSuffix(u, "/00114E22766R2L/3502") {
		t.Fatalf("url %s", u)
	}
	if u != strings.ToUpper(u) {
		t.Errorf("url %s is not upper case", u)
	}
	p, err := signing.ParseQRURL(u)
	if err != nil {
		t.Fatal(err)
	}
	if p.Origin != "https://certreg.example.cn" || p.Signature.Number != "00114E22766R2L/3502" || p.Signature.KeyID != kr.Current().ID {
		t.Errorf("parsed %+v", p)
	}
	cl := registry.ClaimsOf(c)
	if got := kr.VerifyClaims(p.Signature, &cl); got != registry.SigGood {
		t.Fatalf("verify untouched url: %s", got)
	}
	// Lower case (typed by hand) reads the same.
	if p2, err := signing.ParseQRURL(strings.ToLower(u)); err != nil || kr.VerifyClaims(p2.Signature, &cl) != registry.SigGood {
		t.Errorf("lower-case url: %v", err)
	}
	// Every claim is covered: changing any one fails the check.
	for name, edit := range map[string]func(c *registry.Claims){
		"number":      func(c *registry.Claims) { c.Number += "X" },
		"credit code": func(c *registry.Claims) { c.CreditCode = "91440300708461136T" },
		"holder":      func(c *registry.Claims) { c.HolderName += "分公司" },
		"scheme":      func(c *registry.Claims) { c.Scheme = "BB" },
		"level":       func(c *registry.Claims) { c.Level = "four-star" },
		"issue":       func(c *registry.Claims) { c.IssueDate = c.IssueDate.AddDate(0, 0, 1) },
		"expiry":      func(c *registry.Claims) { c.ExpiryDate = c.ExpiryDate.AddDate(1, 0, 0) },
		"body":        func(c *registry.Claims) { c.BodyApproval = "CNCA-R-2002-002" },
	} {
		c2 := cl
		edit(&c2)
		if got := kr.VerifyClaims(p.Signature, &c2); got != registry.SigBad {
			t.Errorf("claims with %s changed: %s, want bad", name, got)
		}
	}
	// Change each character of the token in turn to another character of
	// the same alphabet: every change must fail to parse or fail the check.
	start := strings.Index(u, "/V/") + 3
	end := start + strings.Index(u[start:], "/")
	for i := start; i < end; i++ {
		repl := byte('A')
		if u[i] == 'A' {
			repl = 'B'
		}
		t2 := u[:i] + string(repl) + u[i+1:]
		p2, err := signing.ParseQRURL(t2)
		if err != nil {
			continue
		}
		if got := kr.VerifyClaims(p2.Signature, &cl); got == registry.SigGood {
			t.Errorf("tampered at %d (%q→%q): signature still good", i, u[i], repl)
		}
	}
	// The message round-trips through its text form.
	back, err := registry.ParseClaimsMessage(cl.Message())
	if err != nil || string(back.Message()) != string(cl.Message()) {
		t.Errorf("message round trip: %v\n%s\n%s", err, cl.Message(), back.Message())
	}
}

func TestKeyRotation(t *testing.T) {
	s := registrytest.Open(t)
	dir := filepath.Join(t.TempDir(), "keys")
	kr, err := signing.OpenKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := putSample(t, s, "AS-2024-0001")
	oldURL := signedURL(t, kr, s, c)
	oldID := kr.Current().ID
	if _, err := kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	// The rotation survives a restart: load from disk.
	kr, err = signing.OpenKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Current().ID == oldID || len(kr.Keys()) != 2 {
		t.Fatalf("after rotation: current %s, %d keys", kr.Current().ID, len(kr.Keys()))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "keys.json"))
	if strings.Count(string(b), "private_seed") != 1 {
		t.Errorf("retired key kept its private half:\n%s", b)
	}
	cl := registry.ClaimsOf(c)
	p, _ := signing.ParseQRURL(oldURL)
	if got := kr.VerifyClaims(p.Signature, &cl); got != registry.SigGood {
		t.Errorf("old QR after rotation: %s, want good", got)
	}
	newURL := signedURL(t, kr, s, c)
	if newURL == oldURL || !strings.Contains(newURL, "/V/") {
		t.Errorf("new url %s", newURL)
	}
	// The published set verifies both, and holds no private key.
	set := kr.PublicSet()
	if len(set.Keys) != 2 || set.Keys[0].Status != "current" || set.Keys[1].Status != "retired" {
		t.Errorf("public set %+v", set)
	}
	// A ring that does not know the key answers unknown-key.
	other := openKeys(t)
	p2, _ := signing.ParseQRURL(newURL)
	if got := other.VerifyClaims(p2.Signature, &cl); got != registry.SigUnknownKey {
		t.Errorf("verify with a foreign ring: %s, want unknown-key", got)
	}
}

func TestParseQRURLRejects(t *testing.T) {
	for _, raw := range []string{
		"", "not a url", "https://certreg.example.cn/certificates/X", "ftp://x/V/a/b/c",
		"HTTPS://CERTREG.EXAMPLE.CN/V/AAAA/ABC123",
		"HTTPS://CERTREG.EXAMPLE.CN/V/" + strings.Repeat("A", 108),
		"HTTPS://CERTREG.EXAMPLE.CN/V/" + strings.Repeat("A", 107) + "/ABC123",
		"HTTPS://CERTREG.EXAMPLE.CN/V/" + strings.Repeat("A", 108) + "/AB",
		"HTTPS://CERTREG.EXAMPLE.CN/V/" + strings.Repeat("1", 108) + "/ABC123",
		"HTTPS://X/V/" + strings.Repeat("9", 600),
	} {
		p, err := signing.ParseQRURL(raw)
		if err == nil {
			t.Errorf("ParseQRURL(%q) = %+v, want an error", raw, p.Signature)
			continue
		}
		if registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("ParseQRURL(%q): code %s, want EINVALID", raw, registry.ErrorCode(err))
		}
	}
}

// TestDemoQRCodes checks that every demo certificate's QR code is version 7
// or lower at level M and decodes back to exactly its URL.
func TestDemoQRCodes(t *testing.T) {
	s := registrytest.Open(t)
	kr := openKeys(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	rows, err := registrytest.RawDB(t, s).QueryContext(ctx, `SELECT number FROM certificates ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		numbers = append(numbers, n)
	}
	rows.Close()
	if len(numbers) < 100 {
		t.Fatalf("only %d demo certificates", len(numbers))
	}
	maxVersion := 0
	for _, n := range numbers {
		c, err := s.Certificate(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		u := signedURL(t, kr, s, c)
		q, err := qrimage.New(u)
		if err != nil {
			t.Fatal(err)
		}
		maxVersion = max(maxVersion, q.VersionNumber)
		if q.VersionNumber > qrimage.MaxVersion {
			t.Errorf("%s: QR version %d for %s (%d chars)", n, q.VersionNumber, u, len(u))
		}
		// Three pixels a module: a small image, which must still decode.
		// (The PNG encoder is tested by the site's QR image test.)
		img := q.Image(-3)
		got, err := qrimage.Decode(img)
		if err != nil {
			t.Fatalf("%s: decode: %v", n, err)
		}
		if got != u {
			t.Fatalf("%s: decoded %q, want %q", n, got, u)
		}
	}
	t.Logf("%d demo QR codes, largest version %d", len(numbers), maxVersion)
}

// qrFor signs the certificate's current claims and returns the parsed QR.
func qrFor(t testing.TB, kr *signing.KeyRing, s *registry.Store, number string) *signing.QRSignature {
	t.Helper()
	c, err := s.Certificate(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := kr.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	p, err := signing.ParseQRURL(qs.URL(testBase))
	if err != nil {
		t.Fatal(err)
	}
	return p.Signature
}

func TestVerifyQRVerdicts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature
		want  registry.Verdict
		sig   registry.SigCheck
		diffs []string
	}{
		{"valid", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			return qrFor(t, kr, s, "AS-1")
		}, registry.VerdictValid, registry.SigGood, nil},
		{"suspended", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			registrytest.Move(t, s, "AS-1", registry.StatusSuspended)
			return q
		}, registry.VerdictSuspended, registry.SigGood, nil},
		{"revoked", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			registrytest.Move(t, s, "AS-1", registry.StatusRevoked)
			return q
		}, registry.VerdictRevoked, registry.SigGood, nil},
		{"withdrawn", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			registrytest.Move(t, s, "AS-1", registry.StatusWithdrawn)
			return q
		}, registry.VerdictWithdrawn, registry.SigGood, nil},
		{"expired", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			s.Now = func() time.Time { return time.Date(2027, 3, 5, 2, 0, 0, 0, time.UTC) } // the day after expiry, in China
			return q
		}, registry.VerdictExpired, registry.SigGood, nil},
		{"not registered", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			q.Number = "AS-404"
			return q
		}, registry.VerdictNotRegistered, registry.SigUnchecked, nil},
		{"tampered signature", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			q.Signature[10] ^= 1
			return q
		}, registry.VerdictForged, registry.SigBad, nil},
		{"another certificate's signature", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-2")
			q.Number = "AS-1"
			return q
		}, registry.VerdictForged, registry.SigBad, nil},
		{"unknown key", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			return qrFor(t, openKeys(t), s, "AS-1")
		}, registry.VerdictForged, registry.SigUnknownKey, nil},
		{"unknown key, unregistered number", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, openKeys(t), s, "AS-1")
			q.Number = "FAKE-0001"
			return q
		}, registry.VerdictForged, registry.SigUnknownKey, nil},
		{"level lowered after printing", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			in := registrytest.SampleInput("AS-1")
			in.Score = "85"
			registrytest.Put(t, s, in)
			return q
		}, registry.VerdictMismatch, registry.SigGood, []string{"level"}},
		{"holder renamed and expiry changed", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			in := registrytest.SampleInput("AS-1")
			in.HolderName = "宁波新名称电器有限公司"
			in.ExpiryDate = "2026-12-31"
			registrytest.Put(t, s, in)
			return q
		}, registry.VerdictMismatch, registry.SigGood, []string{"holder_name", "expiry_date"}},
		{"changed, then revoked", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			in := registrytest.SampleInput("AS-1")
			in.Score = "75"
			registrytest.Put(t, s, in)
			registrytest.Move(t, s, "AS-1", registry.StatusRevoked)
			return q
		}, registry.VerdictRevoked, registry.SigGood, []string{"level"}},
		{"signed under a retired key", func(t *testing.T, s *registry.Store, kr *signing.KeyRing) *signing.QRSignature {
			q := qrFor(t, kr, s, "AS-1")
			if _, err := kr.Rotate(); err != nil {
				t.Fatal(err)
			}
			return q
		}, registry.VerdictValid, registry.SigGood, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := registrytest.Open(t)
			kr := openKeys(t)
			registrytest.Put(t, s, registrytest.SampleInput("AS-1"))
			in2 := registrytest.SampleInput("AS-2")
			in2.HolderCreditCode = "91440300708461136T"
			registrytest.Put(t, s, in2)
			q := tc.setup(t, s, kr)
			v, err := kr.VerifyQR(ctx, s, q)
			if err != nil {
				t.Fatal(err)
			}
			if v.Verdict != tc.want || v.Signature != tc.sig || !slices.Equal(v.Differences, tc.diffs) {
				t.Fatalf("verdict %s, signature %s, differences %v; want %s, %s, %v", v.Verdict, v.Signature, v.Differences, tc.want, tc.sig, tc.diffs)
			}
			if v.Verdict.OK() != (tc.want == registry.VerdictValid) {
				t.Errorf("OK() = %v for %s", v.Verdict.OK(), v.Verdict)
			}
			if v.Signature == registry.SigGood && v.Printed == nil {
				t.Errorf("good signature without printed claims")
			}
			if len(tc.diffs) > 0 && v.Printed.Level == v.Live.Level && v.Printed.HolderName == v.Live.HolderName && v.Printed.ExpiryDate == v.Live.ExpiryDate {
				t.Errorf("printed %+v equals live %+v", v.Printed, v.Live)
			}
			for _, lang := range []string{"zh", "en"} {
				if i18n.Lang(lang).Render(v.Verdict) == "" || i18n.Lang(lang).Render(v.Verdict.Meaning()) == "" {
					t.Errorf("verdict %s has no %s text", v.Verdict, lang)
				}
			}
		})
	}
}

func BenchmarkSignClaims(b *testing.B) {
	kr := openKeys(b)
	cl := registry.Claims{Number: "AS-1", CreditCode: "914403001922038216", HolderName: "宁波示例电器有限公司", Scheme: "AS", Level: "five-star", BodyApproval: "CNCA-R-2002-001"}
	for b.Loop() {
		if _, err := kr.SignClaims(cl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	kr := openKeys(b)
	cl := registry.Claims{Number: "AS-1", CreditCode: "914403001922038216", HolderName: "宁波示例电器有限公司", Scheme: "AS", Level: "five-star", BodyApproval: "CNCA-R-2002-001"}
	qs, _ := kr.SignClaims(cl)
	p, err := signing.ParseQRURL(qs.URL(testBase))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if kr.VerifyClaims(p.Signature, &cl) != registry.SigGood {
			b.Fatal("bad")
		}
	}
}

func TestReceiptsAndCounts(t *testing.T) {
	ctx := context.Background()
	s := registrytest.Open(t)
	kr := openKeys(t)
	registrytest.Put(t, s, registrytest.SampleInput("AS-1"))
	v, err := kr.VerifyQR(ctx, s, qrFor(t, kr, s, "AS-1"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.SaveReceipt(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	// The certificate is revoked afterwards: the receipt still says what
	// the registry said then.
	registrytest.Move(t, s, "AS-1", registry.StatusRevoked)
	got, err := s.Receipt(ctx, strings.ToLower(r.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verification.Verdict != registry.VerdictValid || got.Verification.Printed == nil || got.Verification.Live.HolderName != "宁波示例电器有限公司" || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Errorf("receipt read back: %+v", got)
	}
	for _, q := range []string{`UPDATE verify_receipts SET verdict = 'revoked'`, `DELETE FROM verify_receipts`} {
		if _, err := registrytest.RawDB(t, s).ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	for _, id := range []string{"", "NOPE", strings.Repeat("A", 16), "../../etc/passwd"} {
		if _, err := s.Receipt(ctx, id); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("Receipt(%q): %v, want ENOTFOUND", id, err)
		}
	}

	c, _ := s.Certificate(ctx, "AS-1")
	n, last, err := s.CountVerification(ctx, c.ID, "192.0.2.1")
	if err != nil || n != 1 || !last.IsZero() {
		t.Fatalf("first count: %d %v %v", n, last, err)
	}
	gen, _ := s.Generation(ctx)
	n, last, err = s.CountVerification(ctx, c.ID, "192.0.2.2")
	if err != nil || n != 2 || !last.Equal(s.Now().UTC()) {
		t.Fatalf("second count: %d %v %v", n, last, err)
	}
	// The same clients again the same day: not counted again.
	if n, _, err := s.CountVerification(ctx, c.ID, "192.0.2.1"); err != nil || n != 2 {
		t.Fatalf("same client, same day: %d %v, want 2", n, err)
	}
	if err := s.CountVerifications(ctx, []int64{c.ID, c.ID}, "192.0.2.3"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.VerificationCount(ctx, c.ID); n != 3 {
		t.Errorf("count %d, want 3 (a batch naming one certificate twice counts it once)", n)
	}
	// The next day, the first client counts again, and yesterday's
	// record of who checked is gone.
	today := s.Now
	s.Now = func() time.Time { return today().Add(24 * time.Hour) }
	if n, _, err := s.CountVerification(ctx, c.ID, "192.0.2.1"); err != nil || n != 4 {
		t.Fatalf("next day: %d %v, want 4", n, err)
	}
	var kept int
	registrytest.RawDB(t, s).QueryRowContext(ctx, `SELECT count(*) FROM verify_seen WHERE day < ?`, s.Now().UTC().Format(registry.DateLayout)).Scan(&kept)
	if kept != 0 {
		t.Errorf("%d rows of earlier days kept", kept)
	}
	s.Now = today
	if g, _ := s.Generation(ctx); g != gen {
		t.Errorf("counting bumped the generation %d → %d: it would empty the page cache", gen, g)
	}
}
