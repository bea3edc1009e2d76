package site

import (
	"context"
	"image"
	"image/color"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/views"
)

var (
	inlineQR  = regexp.MustCompile(`(?s)<div class="qr-svg"[^>]*>\s*<svg[^>]*viewBox="0 0 (\d+) (\d+)"[^>]*>.*?<path fill="#000" d="([^"]*)"`)
	qrRunPath = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// pageQR reads the QR code a certificate page draws inline: its SVG
// drawn on a white image, 4 pixels a module, then decoded by gozxing as
// a phone would read it. It returns the content and the SVG's path.
func pageQR(t *testing.T, body string) (content, path string) {
	t.Helper()
	m := inlineQR.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page draws no inline QR code")
	}
	n, _ := strconv.Atoi(m[1])
	const px = 4
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, r := range qrRunPath.FindAllStringSubmatch(m[3], -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for dx := range w * px {
			for dy := range px {
				img.SetGray(x*px+dx, y*px+dy, color.Gray{})
			}
		}
	}
	text, err := qrimage.Decode(img)
	if err != nil {
		t.Fatalf("the page's QR code does not read: %v", err)
	}
	return text, m[3]
}

// qrFixture is a registry of its own with one certificate, served without
// the page cache so that every request renders.
type qrFixture struct {
	store  *registry.Store
	srv    *Server
	ts     *httptest.Server
	in     registry.Input
	certID int64
}

func newQRFixture(t *testing.T) *qrFixture {
	t.Helper()
	f := &qrFixture{store: newStore(t), in: registrytest.SampleInput("AS-2024-00001")}
	registrytest.Put(t, f.store, f.in)
	f.srv = New(f.store, Config{BaseURL: testBase, NoCache: true})
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	if err := registrytest.RawDB(t, f.store).QueryRow(`SELECT id FROM certificates WHERE number = ?`, f.in.Number).Scan(&f.certID); err != nil {
		t.Fatal(err)
	}
	return f
}

// page fetches the certificate's page and reads its QR code.
func (f *qrFixture) page(t *testing.T) (content, path string) {
	t.Helper()
	r := get(t, f.ts, views.CertificatePath(f.in.Number))
	if r.status != 200 {
		t.Fatalf("certificate page: %d", r.status)
	}
	content, path = pageQR(t, r.body)
	// The QR code is the one the page's verify link opens.
	if !strings.Contains(r.body, strings.TrimPrefix(content, strings.ToUpper(testBase))) {
		t.Errorf("the QR code reads %q, which the page's verify link is not", content)
	}
	return content, path
}

// stored is the content sum stored for the certificate ("" for none).
func (f *qrFixture) stored(t *testing.T) string {
	t.Helper()
	var sum []byte
	err := registrytest.RawDB(t, f.store).QueryRow(`SELECT content_sum FROM qr_symbols WHERE certificate_id = ?`, f.certID).Scan(&sum)
	if err != nil {
		return ""
	}
	return string(sum)
}

func (f *qrFixture) count(result string) int {
	return int(testutil.ToFloat64(f.srv.qr.results.WithLabelValues(result)))
}

// A page encodes the QR code it does not find stored and has it stored;
// the next page draws the stored symbol, the same drawing, reading the same
// content. When the certificate changes so that its QR content does (a new
// holder name is signed), the stale symbol is never drawn: the page shows
// the new QR code, which reads the new content, and that is stored in turn.
func TestCertificatePageStoredQR(t *testing.T) {
	f := newQRFixture(t)
	ctx := context.Background()
	first, firstPath := f.page(t)
	if f.count(qrMissing) != 1 || f.stored(t) != "" {
		t.Fatalf("first page: missing %d, stored %q", f.count(qrMissing), f.stored(t))
	}
	if err := f.srv.flushQRSymbols(ctx); err != nil {
		t.Fatal(err)
	}
	if f.stored(t) != string(qrimage.ContentSum(first)) {
		t.Fatal("the page's symbol was not stored for its content")
	}
	again, againPath := f.page(t)
	if f.count(qrStored) != 1 || again != first || againPath != firstPath {
		t.Fatalf("second page: stored %d; reads %q (first %q), same drawing %v", f.count(qrStored), again, first, againPath == firstPath)
	}

	changed := f.in
	changed.HolderName = "宁波新名电器有限公司"
	registrytest.Put(t, f.store, changed)
	if f.stored(t) != string(qrimage.ContentSum(first)) {
		t.Fatal("the old symbol should still be stored: this test is about not drawing it")
	}
	now, _ := f.page(t)
	if now == first {
		t.Fatal("the changed certificate's page shows the old QR code")
	}
	if f.count(qrStale) != 1 || f.count(qrStored) != 1 {
		t.Errorf("after the change: stale %d, stored %d", f.count(qrStale), f.count(qrStored))
	}
	// The new content is the signature of the new claims.
	c, err := f.store.Certificate(ctx, f.in.Number)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := f.srv.verify.keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	if want := qs.URL(testBase); now != want {
		t.Errorf("the page's QR code reads %q, the new claims' signature is %q", now, want)
	}
	if err := f.srv.flushQRSymbols(ctx); err != nil {
		t.Fatal(err)
	}
	if f.stored(t) != string(qrimage.ContentSum(now)) {
		t.Error("the new symbol was not stored")
	}
	if again, _ := f.page(t); again != now || f.count(qrStored) != 2 {
		t.Errorf("after storing the new symbol: reads %q, stored %d", again, f.count(qrStored))
	}
}

// A stored symbol whose bytes were changed on the file — damaged, or
// replaced by someone without the signing key — is never drawn: the page
// encodes its QR code again, which reads the right content.
func TestCertificatePageDamagedQR(t *testing.T) {
	f := newQRFixture(t)
	ctx := context.Background()
	want, _ := f.page(t)
	if err := f.srv.flushQRSymbols(ctx); err != nil {
		t.Fatal(err)
	}
	db := registrytest.RawDB(t, f.store)
	other, err := qrimage.Encode("HTTPS://EVIL.EXAMPLE/V/" + strings.Repeat("A", 100))
	if err != nil {
		t.Fatal(err)
	}
	_, forged, err := other.Pack(want, []byte("not the registry's key..........."))
	if err != nil {
		t.Fatal(err)
	}
	for i, change := range []struct {
		what string
		sql  string
		args []any
	}{
		{"a byte flipped", `UPDATE qr_symbols SET modules = substr(modules, 1, 100) || x'FF' || substr(modules, 102) WHERE certificate_id = ?`, nil},
		{"truncated", `UPDATE qr_symbols SET modules = substr(modules, 1, 200) WHERE certificate_id = ?`, nil},
		{"another symbol, another key", `UPDATE qr_symbols SET modules = ? WHERE certificate_id = ?`, []any{forged}},
	} {
		if _, err := db.Exec(change.sql, append(change.args, f.certID)...); err != nil {
			t.Fatal(err)
		}
		got, _ := f.page(t)
		if got != want {
			t.Errorf("%s: the page's QR code reads %q, want %q", change.what, got, want)
		}
		if f.count(qrDamaged) != i+1 || f.count(qrStored) != 0 {
			t.Errorf("%s: damaged %d, stored %d", change.what, f.count(qrDamaged), f.count(qrStored))
		}
		// The page stores a good symbol again.
		if err := f.srv.flushQRSymbols(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// The background filler stores every certificate's symbol without any
// page being asked, skips a row that fails its integrity check (nothing is
// signed for it), keeps off while a request is in flight, and returns when
// its context ends, having written what pages queued.
func TestRunQRSymbols(t *testing.T) {
	store := newStore(t)
	var ins []registry.Input
	for i := range 80 { // more than one batch
		ins = append(ins, registrytest.SampleInput("AS-2024-"+strconv.Itoa(10000+i)))
	}
	registrytest.Put(t, store, ins...)
	db := registrytest.RawDB(t, store)
	if _, err := db.Exec(`UPDATE certificates SET holder_name = '伪造公司' WHERE number = 'AS-2024-10005'`); err != nil {
		t.Fatal(err)
	}
	srv := New(store, Config{BaseURL: testBase, NoCache: true})
	count := func() (n int) {
		db.QueryRow(`SELECT count(*) FROM qr_symbols`).Scan(&n)
		return n
	}
	srv.inflight.Add(1) // a request in flight
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.RunQRSymbols(ctx); close(done) }()
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 0 {
		t.Errorf("the filler stored %d symbols while a request was in flight", n)
	}
	srv.inflight.Add(-1)
	deadline := time.Now().Add(60 * time.Second)
	for count() < 79 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(); n != 79 {
		t.Fatalf("the filler stored %d symbols, want 79 (80 less the tampered row)", n)
	}
	var forged int
	db.QueryRow(`SELECT count(*) FROM qr_symbols q JOIN certificates c ON c.id = q.certificate_id WHERE c.number = 'AS-2024-10005'`).Scan(&forged)
	if forged != 0 {
		t.Error("a symbol was stored for the tampered row")
	}
	// Every stored symbol is the one its page would draw.
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	r := get(t, ts, views.CertificatePath("AS-2024-10042"))
	pageQR(t, r.body)
	if n := int(testutil.ToFloat64(srv.qr.results.WithLabelValues(qrStored))); n != 1 {
		t.Errorf("page after the filler: drawn from storage %d times, want 1", n)
	}
	// A symbol queued by a page is written on the way out.
	if _, err := db.Exec(`DELETE FROM qr_symbols WHERE certificate_id = (SELECT id FROM certificates WHERE number = 'AS-2024-10043')`); err != nil {
		t.Fatal(err)
	}
	get(t, ts, views.CertificatePath("AS-2024-10043"))
	srv.inflight.Add(1) // keep the filler from putting it back itself
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the filler did not stop when its context ended")
	}
	if n := count(); n != 79 {
		t.Errorf("after shutdown %d symbols are stored, want 79: the page's symbol was not written", n)
	}
}

// `certreg qr --prepare`'s pass stores every symbol and says which rows it
// skipped; a second pass finds every symbol current.
func TestPrepareQRSymbols(t *testing.T) {
	store := newStore(t)
	var ins []registry.Input
	for i := range 150 {
		ins = append(ins, registrytest.SampleInput("AS-2024-"+strconv.Itoa(20000+i)))
	}
	registrytest.Put(t, store, ins...)
	if _, err := registrytest.RawDB(t, store).Exec(`UPDATE certificates SET holder_name = '伪造公司' WHERE number = 'AS-2024-20100'`); err != nil {
		t.Fatal(err)
	}
	srv := New(store, Config{BaseURL: testBase, NoCache: true})
	st, err := srv.PrepareQRSymbols(context.Background(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 150 || st.Written != 149 || st.Skipped != 1 {
		t.Errorf("first pass: %+v, want 150 read, 149 written, 1 skipped", st)
	}
	st, err = srv.PrepareQRSymbols(context.Background(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 150 || st.Written != 0 || st.Skipped != 1 {
		t.Errorf("second pass: %+v, want 150 read, nothing written, 1 skipped", st)
	}
}

// After a complete walk (here `qr --prepare`'s), a filler started with the
// same keys and base URL looks only at certificates with new events: it
// stores the new symbol of a certificate that changed. One started with
// another base URL walks the registry again.
func TestRunQRSymbolsAfterPrepare(t *testing.T) {
	store := newStore(t)
	var ins []registry.Input
	for i := range 20 {
		ins = append(ins, registrytest.SampleInput("AS-2024-"+strconv.Itoa(30000+i)))
	}
	registrytest.Put(t, store, ins...)
	keys := signing.NewMemoryKeys()
	srv := New(store, Config{BaseURL: testBase, NoCache: true, Keys: keys})
	if _, err := srv.PrepareQRSymbols(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	db := registrytest.RawDB(t, store)
	sumOf := func(number string) (sum []byte) {
		db.QueryRow(`SELECT content_sum FROM qr_symbols q JOIN certificates c ON c.id = q.certificate_id WHERE c.number = ?`, number).Scan(&sum)
		return sum
	}
	changed := ins[7]
	changed.HolderName = "宁波改名电器有限公司"
	registrytest.Put(t, store, changed)
	c, err := store.Certificate(context.Background(), changed.Number)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	want := qrimage.ContentSum(qs.URL(testBase))
	run := func(srv *Server, done func() bool) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { srv.RunQRSymbols(ctx); close(stopped) }()
		deadline := time.Now().Add(60 * time.Second)
		for !done() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-stopped
	}
	run(srv, func() bool { return string(sumOf(changed.Number)) == string(want) })
	if string(sumOf(changed.Number)) != string(want) {
		t.Fatal("the filler did not store the changed certificate's new symbol")
	}
	other := New(store, Config{BaseURL: "https://mirror.example.cn", NoCache: true, Keys: keys})
	first := ins[0].Number
	c0, _ := store.Certificate(context.Background(), first)
	qs0, _ := keys.SignClaims(registry.ClaimsOf(c0))
	want0 := qrimage.ContentSum(qs0.URL("https://mirror.example.cn"))
	run(other, func() bool { return string(sumOf(first)) == string(want0) })
	if string(sumOf(first)) != string(want0) {
		t.Error("a filler with another base URL did not walk the registry again")
	}
}
