// Command soak is the load driver of scripts/soak.sh: mixed traffic
// (pages, search, verification, API writes, uploads) from many connections
// against a running `certreg serve`, for minutes, with per-minute figures:
// requests, 5xx, 429, p50/p99 latency and the server's RSS.
//
// Each connection has a source address of its own (127.0.0.2, .3, …), as
// separate reviewers would, and paces its verifications and batch uploads
// below the per-client limits a reviewer is given, so that a 429 is a
// finding, not the plan. It exits 1 when any response was a 5xx, when the
// RSS after the warm-up minute moved by more than 10 %, or when the p99 of
// a later minute was more than three times the first measured minute's.
// RSS is sampled every second; a minute's figure is its median.
//
// Why every second: under writes the RSS swings by tens of megabytes within
// seconds. Each commit makes every other SQLite connection drop its page
// cache at its next read, and the pages go back to the system at once
// (modernc's allocator unmaps them), then the cache fills again. With
// twelve samples a minute, the minute's median moved by about 10 % from
// sampling alone (two runs of the same server: 11.3 % and 11.7 % spread
// without a trend); sixty samples measure the minute's level.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18280", "the server's address")
	pid := flag.Int("pid", 0, "the server's process id, for its RSS")
	conns := flag.Int("conns", 64, "connections (clients), each from its own 127.0.0.x address")
	duration := flag.Duration("duration", 10*time.Minute, "how long to run")
	warmup := flag.Duration("warmup", time.Minute, "how long the RSS and latency are not judged")
	key := flag.String("key", "", "a publishing API key (Bearer) of body --body")
	body := flag.String("body", "", "the body the API key publishes for")
	qrFile := flag.String("qr", "", "file of signed QR code URLs, one a line")
	png := flag.String("png", "", "a PNG of a certificate's QR code, for /verify/image")
	flag.Parse()

	d := &driver{base: strings.TrimRight(*base, "/"), key: *key, body: *body}
	if err := d.prepare(*qrFile, *png); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	minutes := int((*duration + time.Minute - 1) / time.Minute)
	d.mins = make([]minute, minutes+1)
	d.start = time.Now()

	var wg sync.WaitGroup
	for i := range *conns {
		wg.Go(func() { d.client(ctx, i) })
	}
	rssStop := make(chan struct{})
	var rssWG sync.WaitGroup
	rssWG.Go(func() { d.sampleRSS(*pid, rssStop) })
	fmt.Printf("%-6s %9s %8s %6s %6s %6s %6s %9s %9s %9s %9s\n", "minute", "requests", "req/s", "5xx", "429", "4xx", "errors", "p50 ms", "p99 ms", "max ms", "RSS MB")
	printed := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		// A minute is printed once it is over (the last when the run ends).
		for m := printed; m < minutes && (done || time.Since(d.start) >= time.Duration(m+1)*time.Minute); m++ {
			if done {
				wg.Wait()
			}
			d.printMinute(m)
			printed = m + 1
		}
	}
	wg.Wait()
	close(rssStop)
	rssWG.Wait()
	os.Exit(d.summary(*warmup, minutes))
}

// driver holds what the clients share: the data they pick requests from
// and the figures of every minute.
type driver struct {
	base, key, body string
	numbers         []cert
	qrPaths         []string
	png             []byte
	start           time.Time
	seq             atomic.Int64 // numbers of the certificates the run creates

	mu   sync.Mutex
	mins []minute
}

type cert struct {
	Number           string `json:"number"`
	HolderName       string `json:"holder_name"`
	HolderCreditCode string `json:"holder_credit_code"`
	URL              string `json:"url"`
}

type minute struct {
	lat                    []float64 // milliseconds
	s5xx, s429, s4xx, errs int
	rss                    []int64 // kB
	kinds                  map[string]int
}

// prepare reads certificates to ask about from the read API, and the QR
// URLs and PNG the script made.
func (d *driver) prepare(qrFile, pngFile string) error {
	// 20 pages of 100 spread over the whole registry.
	pages := 1
	for i := 0; i < 20 && i < pages; i++ {
		page := 1 + i*pages/20
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/certificates?per_page=100&page=%d&sort=number", d.base, page))
		if err != nil {
			return err
		}
		var p struct {
			Total        int    `json:"total"`
			Certificates []cert `json:"certificates"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("read API page %d: %w", page, err)
		}
		if i == 0 {
			pages = max(1, p.Total/100)
		}
		d.numbers = append(d.numbers, p.Certificates...)
	}
	if len(d.numbers) == 0 {
		return fmt.Errorf("the registry at %s lists no certificates", d.base)
	}
	if qrFile != "" {
		b, err := os.ReadFile(qrFile)
		if err != nil {
			return err
		}
		for _, line := range strings.Fields(string(b)) {
			if u, err := url.Parse(line); err == nil {
				d.qrPaths = append(d.qrPaths, u.Path)
			}
		}
	}
	if pngFile != "" {
		var err error
		if d.png, err = os.ReadFile(pngFile); err != nil {
			return err
		}
	}
	return nil
}

// searches are search pages and API searches: common and rare terms,
// filters, deep pages.
var searches = []string{
	"/certificates?q=" + url.QueryEscape("有限公司"),
	"/certificates?q=" + url.QueryEscape("宁波"),
	"/en/certificates?q=" + url.QueryEscape("电器"),
	"/certificates?q=" + url.QueryEscape("海天电梯"),
	"/certificates?q=000123",
	"/certificates?level=five-star&city=" + url.QueryEscape("宁波"),
	"/certificates?status=expired&page=3",
	"/certificates?scheme=AS&level=four-star&page=7",
	"/api/v1/certificates?q=" + url.QueryEscape("杭州") + "&per_page=20",
	"/api/v1/certificates?province=" + url.QueryEscape("浙江") + "&status=valid",
}

var pages = []string{"/", "/en/", "/certificates", "/bodies", "/schemes", "/statistics", "/verify", "/en/verify", "/data", "/api",
	"/feeds/issued.atom", "/log/checkpoint", "/healthz"}

// client is one connection's loop: it picks a request by weight, with
// verifications paced under the lookup limit (1 a second after a burst of
// 60) and batch uploads under the batch limit (1 each 10 s).
func (d *driver) client(ctx context.Context, i int) {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+(i+1)/250), byte(2+i%250))}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		DisableCompression:  false,
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	nextLookup := time.Now()
	nextBatch := time.Now().Add(time.Duration(rng.IntN(10000)) * time.Millisecond)
	for ctx.Err() == nil {
		var kind string
		var req *http.Request
		roll := rng.IntN(100)
		now := time.Now()
		// A verification or upload not due yet (the client keeps under its
		// limits) becomes a certificate page, so the mix stays as planned.
		switch {
		case roll < 4 && now.After(nextBatch):
			kind, req = "batch", d.batchUpload(rng)
			nextBatch = now.Add(12 * time.Second)
		case roll >= 4 && roll < 26 && now.After(nextLookup):
			kind, req = d.lookup(rng)
			nextLookup = now.Add(1100 * time.Millisecond)
		case roll >= 26 && roll < 36 && d.key != "":
			kind, req = "write", d.write(rng)
		case roll >= 36 && roll < 58:
			kind, req = "search", get(d.base+searches[rng.IntN(len(searches))])
		case roll >= 80:
			kind, req = "page", get(d.base+pages[rng.IntN(len(pages))])
		default:
			c := d.numbers[rng.IntN(len(d.numbers))]
			u, _ := url.Parse(c.URL)
			path := u.Path
			if rng.IntN(3) == 0 {
				path = "/en" + path
			}
			kind, req = "certificate", get(d.base+path)
		}
		req = req.WithContext(ctx)
		t0 := time.Now()
		resp, err := hc.Do(req)
		status := 0
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		if ctx.Err() != nil {
			return // the run ended during the request: not counted
		}
		d.record(t0, time.Since(t0), kind, status, err)
	}
}

func get(u string) *http.Request {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	return req
}

// lookup is one verification: a QR code, the manual form, the JSON API or
// a photo of a QR code.
func (d *driver) lookup(rng *rand.Rand) (string, *http.Request) {
	c := d.numbers[rng.IntN(len(d.numbers))]
	switch n := rng.IntN(10); {
	case n < 4 && len(d.qrPaths) > 0:
		return "verify-qr", get(d.base + d.qrPaths[rng.IntN(len(d.qrPaths))])
	case n < 7:
		return "verify-form", get(d.base + "/verify/check?number=" + url.QueryEscape(c.Number) + "&holder=" + url.QueryEscape(c.HolderName))
	case n < 9 || len(d.png) == 0:
		b, _ := json.Marshal(map[string]string{"number": c.Number, "holder": c.HolderName})
		req, _ := http.NewRequest("POST", d.base+"/api/v1/verify", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		return "verify-api", req
	default:
		return "upload-image", multipartReq(d.base+"/verify/image", "image", "qr.png", d.png)
	}
}

// batchUpload is a CSV file of 50 certificate numbers for /verify/batch.
func (d *driver) batchUpload(rng *rand.Rand) *http.Request {
	var b bytes.Buffer
	b.WriteString("number\n")
	for range 50 {
		b.WriteString(d.numbers[rng.IntN(len(d.numbers))].Number + "\n")
	}
	return multipartReq(d.base+"/verify/batch", "file", "batch.csv", b.Bytes())
}

func multipartReq(u, field, name string, content []byte) *http.Request {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", u, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if o, err := url.Parse(u); err == nil {
		req.Header.Set("Origin", o.Scheme+"://"+o.Host) // as a browser sends it
	}
	return req
}

// write is a publishing API call: a new certificate, or an update of one
// this run created (a new score).
func (d *driver) write(rng *rand.Rand) *http.Request {
	n := d.seq.Load()
	if n == 0 || rng.IntN(3) > 0 {
		n = d.seq.Add(1)
	} else {
		n = 1 + rng.Int64N(n)
	}
	number := fmt.Sprintf("SOAK-%d-%06d", d.start.Unix(), n)
	c := map[string]any{
		"number": number, "holder_name": "杭州浸泡测试家电服务有限公司", "holder_credit_code": "91440300708461136T",
		"province": "浙江", "city": "杭州", "scheme": "GB/T 27922-2011", "score": 70 + rng.IntN(30), "scope": "家用电器的安装、维修和退换货服务",
		"issue_date": "2025-04-01", "expiry_date": "2028-03-31", "body_approval": d.body,
	}
	b, _ := json.Marshal(c)
	req, _ := http.NewRequest("PUT", d.base+"/api/v1/publish/certificates/"+url.PathEscape(number), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.key)
	return req
}

// record adds one answer to the minute it started in.
func (d *driver) record(t0 time.Time, took time.Duration, kind string, status int, err error) {
	m := int(t0.Sub(d.start) / time.Minute)
	d.mu.Lock()
	defer d.mu.Unlock()
	if m >= len(d.mins) {
		return
	}
	x := &d.mins[m]
	if x.kinds == nil {
		x.kinds = map[string]int{}
	}
	x.kinds[kind]++
	switch {
	case err != nil:
		x.errs++
		if x.errs <= 3 {
			fmt.Fprintf(os.Stderr, "soak: %s: %v\n", kind, err)
		}
		return
	case status >= 500:
		x.s5xx++
		fmt.Fprintf(os.Stderr, "soak: %s answered %d\n", kind, status)
	case status == 429:
		x.s429++
	case status >= 400 && !(kind == "verify-form" && status == 404):
		// A not-registered verdict is a 404 page: not counted as an error.
		x.s4xx++
		if x.s4xx <= 3 {
			fmt.Fprintf(os.Stderr, "soak: %s answered %d\n", kind, status)
		}
	}
	x.lat = append(x.lat, float64(took.Microseconds())/1000)
}

// sampleRSS reads the server's resident set size every second.
func (d *driver) sampleRSS(pid int, stop chan struct{}) {
	if pid == 0 {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				f := strings.Fields(rest)
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				m := int(time.Since(d.start) / time.Minute)
				d.mu.Lock()
				if m < len(d.mins) {
					d.mins[m].rss = append(d.mins[m].rss, kb)
				}
				d.mu.Unlock()
			}
		}
	}
}

func median(xs []int64) int64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func (d *driver) printMinute(m int) {
	d.mu.Lock()
	x := d.mins[m]
	lat := slices.Clone(x.lat)
	d.mu.Unlock()
	slices.Sort(lat)
	n := len(lat) + x.errs
	secs := 60.0
	if rest := time.Since(d.start) - time.Duration(m)*time.Minute; rest < time.Minute {
		secs = rest.Seconds()
	}
	rss := "-"
	if len(x.rss) > 0 {
		rss = fmt.Sprintf("%.1f", float64(median(x.rss))/1024)
	}
	fmt.Printf("%-6d %9d %8.0f %6d %6d %6d %6d %9.1f %9.1f %9.1f %9s\n", m+1, n, float64(n)/secs, x.s5xx, x.s429, x.s4xx, x.errs,
		pct(lat, .5), pct(lat, .99), pct(lat, 1), rss)
}

// summary prints the run's verdicts and returns the exit code.
func (d *driver) summary(warmup time.Duration, minutes int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	var total, s5xx, s429, errs int
	kinds := map[string]int{}
	var rss, rssMedians []int64
	var p99s []float64
	first := int(warmup / time.Minute)
	for m, x := range d.mins[:minutes] {
		total += len(x.lat) + x.errs
		s5xx += x.s5xx
		s429 += x.s429
		errs += x.errs
		for k, v := range x.kinds {
			kinds[k] += v
		}
		if m >= first && len(x.lat) > 0 {
			rss = append(rss, x.rss...)
			if len(x.rss) > 0 {
				rssMedians = append(rssMedians, median(x.rss))
			}
			lat := slices.Clone(x.lat)
			slices.Sort(lat)
			p99s = append(p99s, pct(lat, .99))
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Print("\nrequests by kind:")
	for _, k := range names {
		fmt.Printf(" %s %d", k, kinds[k])
	}
	fmt.Printf("\ntotal %d requests, %d answered 5xx, %d answered 429, %d connection errors\n", total, s5xx, s429, errs)
	code := 0
	if s5xx > 0 {
		fmt.Println("FAIL: responses with 5xx")
		code = 1
	} else {
		fmt.Println("ok: 0 responses 5xx")
	}
	if len(rssMedians) > 0 {
		// Judged on each minute's median: the garbage collector's sawtooth
		// within a minute is not growth. The samples' own range is shown.
		lo, hi := slices.Min(rssMedians), slices.Max(rssMedians)
		spread := float64(hi-lo) / float64(lo) * 100
		fmt.Printf("RSS after warm-up (1 s samples): min %.1f MB, max %.1f MB\n", float64(slices.Min(rss))/1024, float64(slices.Max(rss))/1024)
		fmt.Printf("RSS after warm-up, median of each minute: first %.1f MB, last %.1f MB, min %.1f MB, max %.1f MB, spread %.1f %%\n",
			float64(rssMedians[0])/1024, float64(rssMedians[len(rssMedians)-1])/1024, float64(lo)/1024, float64(hi)/1024, spread)
		if spread > 10 {
			fmt.Println("FAIL: RSS after warm-up moved by more than 10 %")
			code = 1
		} else {
			fmt.Println("ok: RSS after warm-up flat within 10 %")
		}
	}
	if len(p99s) > 0 {
		lo, hi := slices.Min(p99s), slices.Max(p99s)
		sorted := slices.Sorted(slices.Values(p99s))
		fmt.Printf("p99 per minute after warm-up: min %.1f ms, median %.1f ms, max %.1f ms\n", lo, sorted[len(sorted)/2], hi)
		if hi > 3*p99s[0] {
			fmt.Println("FAIL: a minute's p99 was more than 3x the first measured minute's")
			code = 1
		} else {
			fmt.Println("ok: p99 stable (every minute within 3x of the first measured)")
		}
	}
	return code
}
