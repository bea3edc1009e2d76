// Command abuse runs the attacks of issue 13 against a real `certreg
// serve` on 127.0.0.1 and prints, for each, the server's peak resident
// memory, its slowest /healthz answer and whether a reviewer's requests
// still worked meanwhile. It makes every bomb itself. Run it through
// scripts/abuse.sh, which builds certreg first.
//
//	go run ./scripts/abuse --certreg /tmp/certreg [--duration 8s] [--only image]
//
// Each attack runs from one address (127.0.0.2) and then from 20
// (127.0.0.10 to 127.0.0.29), with the attack's parallelism from every
// address; the reviewer comes from an address of its own (127.0.1.x) and
// the health probe from 127.0.0.250.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	bin := flag.String("certreg", "", "the certreg `binary` to run")
	duration := flag.Duration("duration", 8*time.Second, "how long each attack lasts")
	only := flag.String("only", "", "run only the attacks whose name contains `text`")
	probeURL := flag.String("probe", "", "(internal) time GET `url` every 200 ms for --duration and print the slowest in ms")
	attackName := flag.String("attack", "", "(internal) run the attack `name` for --duration and print its answers")
	spread := flag.Int("spread", 1, "(internal) with --attack: from how many addresses")
	base := flag.String("base", "", "(internal) with --attack: the server's `URL`")
	session := flag.String("session", "", "(internal) with --attack: the publisher's session `cookie`")
	bombs := flag.String("bombs", "", "(internal) with --attack: the `folder` of the bombs")
	flag.Parse()
	if *probeURL != "" {
		fmt.Println(probe(*probeURL, *duration).Milliseconds())
		return
	}
	if *attackName != "" {
		if err := attackFrom(*attackName, *spread, *duration, *base, *session, *bombs); err != nil {
			fmt.Fprintln(os.Stderr, "abuse:", err)
			os.Exit(1)
		}
		return
	}
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "abuse: --certreg is required")
		os.Exit(2)
	}
	if err := run(*bin, *duration, *only); err != nil {
		fmt.Fprintln(os.Stderr, "abuse:", err)
		os.Exit(1)
	}
}

// attack is one kind of hostile request, sent by parallel workers from
// each address.
type attack struct {
	name     string
	parallel int
	request  func(ctx context.Context) (*http.Request, error)
}

// attackList is every attack, made of the bombs.
func attackList(base, session string, bombs map[string][]byte) []attack {
	form := func(path, field, file string, body []byte, cookie string) func(ctx context.Context) (*http.Request, error) {
		b, ct := multipartFile(field, file, body) // made once: the attacker's own work is not the server's
		return func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", ct)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			return req, nil
		}
	}
	return []attack{
		{"image: 16-bit PNG bomb ×16", 16, form("/verify/image", "image", "qr.png", bombs["png16"], "")},
		{"image: largest accepted PNG ×16", 16, form("/verify/image", "image", "qr.png", bombs["png8"], "")},
		{"batch: shared-strings XLSX ×5", 5, form("/verify/batch", "file", "list.xlsx", bombs["sst"], "")},
		{"batch: 1 GB styles.xml XLSX ×5", 5, form("/verify/batch", "file", "list.xlsx", bombs["styles"], "")},
		{"upload: 1 GB styles.xml XLSX ×5", 5, form("/console/upload", "file", "certs.xlsx", bombs["styles"], session)},
		{"upload: 1.2 GB sheet XLSX ×5", 5, form("/console/upload", "file", "certs.xlsx", bombs["sheet"], session)},
		{"login: wrong password ×100", 100, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, "POST", base+"/console/login",
				strings.NewReader(url.Values{"name": {"publisher13"}, "password": {"wrong password"}}.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return req, err
		}},
	}
}

func run(bin string, duration time.Duration, only string) error {
	dir, err := os.MkdirTemp("", "certreg-abuse-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "registry.db")
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	// A publisher, for the console's uploads and the wrong logins.
	const password = "correct horse battery staple 13"
	cmd := exec.Command(bin, "demo", "--db", db)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("demo: %v: %s", err, out)
	}
	cmd = exec.Command(bin, "user", "add", "--db", db, "--role", "publisher", "--body", "CNCA-R-2016-901", "publisher13")
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("user add: %v: %s", err, out)
	}

	serve := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:"+strconv.Itoa(port), "--access-log=false")
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { serve.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			serve.Process.Kill()
		}
	}()
	pid := serve.Process.Pid
	reviewer := clientFrom("127.0.0.251")
	if err := waitHealthy(reviewer, base); err != nil {
		return err
	}

	// A real certificate and its QR code, as a reviewer would upload it.
	number, err := firstNumber(reviewer, base)
	if err != nil {
		return err
	}
	legitPNG := filepath.Join(dir, "legit.png")
	if out, err := exec.Command(bin, "qr", "--db", db, "--base-url", base, "--png", legitPNG, number).CombinedOutput(); err != nil {
		return fmt.Errorf("qr: %v: %s", err, out)
	}
	qrPNG, err := os.ReadFile(legitPNG)
	if err != nil {
		return err
	}
	session, err := login(clientFrom("127.0.0.252"), base, "publisher13", password)
	if err != nil {
		return err
	}

	fmt.Println("making the bombs…")
	bombDir := filepath.Join(dir, "bombs")
	os.Mkdir(bombDir, 0o700)
	made := map[string][]byte{
		"png16":  bombPNG(4000, 4000, 16, 6),
		"png8":   bombPNG(4000, 4000, 8, 6), // 80 MB decoded: the largest image accepted
		"sst":    sharedStringsBomb(),
		"styles": stylesBomb(),
		"sheet":  sheetBomb(),
	}
	for name, b := range made {
		if err := os.WriteFile(filepath.Join(bombDir, name), b, 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("  PNG 4000×4000 16-bit RGBA: %d KB; 8-bit: %d KB; XLSX of a million shared strings: %d KB; styles.xml of 1 GB: %d KB; sheet of 1.2 GB: %d KB\n",
		len(made["png16"])>>10, len(made["png8"])>>10, len(made["sst"])>>10, len(made["styles"])>>10, len(made["sheet"])>>10)
	attacks := attackList(base, session, made)

	legit := func(reviewer *http.Client) string {
		var ok []string
		if r, err := reviewer.Get(base + "/certificates/" + strings.ReplaceAll(number, "/", "~")); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			ok = append(ok, fmt.Sprintf("page %d", r.StatusCode))
		}
		b, ct := multipartFile("image", "qr.png", qrPNG)
		if r, err := reviewer.Post(base+"/verify/image", ct, bytes.NewReader(b)); err == nil {
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			verdict := ""
			if r.StatusCode == 200 && bytes.Contains(body, []byte(number)) {
				verdict = " read"
			}
			ok = append(ok, fmt.Sprintf("QR image %d%s", r.StatusCode, verdict))
		}
		if r, err := reviewer.PostForm(base+"/verify/batch", url.Values{"lines": {number}}); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			ok = append(ok, fmt.Sprintf("batch %d", r.StatusCode))
		}
		return strings.Join(ok, ", ")
	}

	fmt.Printf("\nserve (pid %d) at rest: %d MB resident\n\n", pid, rss(pid)>>20)
	fmt.Printf("%-34s %-8s %9s %9s %6s %11s  %-40s %s\n", "attack", "from", "RSS start", "peak RSS", "CPU", "/healthz max", "reviewer meanwhile", "attack answers")
	run := 0
	for _, a := range attacks {
		if only != "" && !strings.Contains(a.name, only) {
			continue
		}
		for _, spread := range []int{1, 20} {
			settle(pid)
			run++ // a reviewer of its own each time, so that its batch limit is its own
			res := runAttack(a, spread, duration, pid, base, session, bombDir, clientFrom(fmt.Sprintf("127.0.1.%d", run)), legit)
			from := "1 addr"
			if spread > 1 {
				from = fmt.Sprintf("%d addrs", spread)
			}
			fmt.Printf("%-34s %-8s %6d MB %6d MB %5.1fs %9d ms  %-40s %s\n", a.name, from, res.start>>20, res.peak>>20, res.cpu.Seconds(), res.healthz.Milliseconds(), res.legit, res.statuses)
		}
	}
	return nil
}

type result struct {
	start    uint64
	cpu      time.Duration
	peak     uint64
	healthz  time.Duration
	legit    string
	statuses string
}

// runAttack runs a from spread addresses for duration (in a process of
// its own, see attackFrom), while sampling the server's memory and CPU,
// timing /healthz, and making the reviewer's requests halfway through.
func runAttack(a attack, spread int, duration time.Duration, pid int, base, session, bombDir string, reviewer *http.Client, legit func(*http.Client) string) result {
	resetPeak(pid)
	start, cpu0 := rss(pid), cpuTime(pid)
	var peak atomic.Uint64
	var slowest atomic.Int64
	stop := make(chan struct{})
	go func() { // memory, every 10 ms
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				if r := rss(pid); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	// The health probe is a process of its own, as a load balancer is: its
	// timing is not held up by the attacking goroutines of this one.
	var probeOut bytes.Buffer
	prober := exec.Command(os.Args[0], "--probe", base+"/healthz", "--duration", duration.String())
	prober.Stdout = &probeOut
	prober.Start()
	// The attacker is a process of its own at a lower CPU priority: it
	// stands for clients elsewhere, whose CPU is not the server's.
	var answers bytes.Buffer
	args := []string{os.Args[0], "--attack", a.name, "--spread", strconv.Itoa(spread), "--duration", duration.String(),
		"--base", base, "--session", session, "--bombs", bombDir}
	if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", "10"}, args...)
	}
	attacker := exec.Command(args[0], args[1:]...)
	attacker.Stdout, attacker.Stderr = &answers, os.Stderr
	if err := attacker.Start(); err != nil {
		return result{legit: err.Error()}
	}
	time.Sleep(duration / 2)
	said := legit(reviewer)
	attacker.Wait()
	prober.Wait()
	close(stop)
	if ms, err := strconv.Atoi(strings.TrimSpace(probeOut.String())); err == nil {
		slowest.Store(int64(time.Duration(ms) * time.Millisecond))
	} else {
		slowest.Store(int64(time.Hour))
	}
	if hwm := peakRSS(pid); hwm > peak.Load() {
		peak.Store(hwm)
	}
	return result{start: start, cpu: cpuTime(pid) - cpu0, peak: peak.Load(), healthz: time.Duration(slowest.Load()), legit: said, statuses: strings.TrimSpace(answers.String())}
}

// attackFrom runs the attack named name from spread addresses, its
// parallelism from each, for d, and prints how many of each status it
// got.
func attackFrom(name string, spread int, d time.Duration, base, session, bombDir string) error {
	bombs := map[string][]byte{}
	for _, n := range []string{"png16", "png8", "sst", "styles", "sheet"} {
		b, err := os.ReadFile(filepath.Join(bombDir, n))
		if err != nil {
			return err
		}
		bombs[n] = b
	}
	var a *attack
	for _, x := range attackList(base, session, bombs) {
		if x.name == name {
			a = &x
		}
	}
	if a == nil {
		return fmt.Errorf("no attack named %q", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	statuses := map[string]int{}
	for i := range spread {
		addr := "127.0.0.2"
		if spread > 1 {
			addr = fmt.Sprintf("127.0.0.%d", 10+i)
		}
		c := clientFrom(addr)
		for range a.parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, err := a.request(ctx)
					if err != nil {
						return
					}
					key := "error"
					if r, err := c.Do(req); err == nil {
						io.Copy(io.Discard, r.Body)
						r.Body.Close()
						key = strconv.Itoa(r.StatusCode)
					} else if ctx.Err() != nil {
						return
					}
					mu.Lock()
					statuses[key]++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	var keys []string
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s×%d ", k, statuses[k])
	}
	fmt.Println()
	return nil
}

// probe GETs url from 127.0.0.250 every 200 ms for d and returns the
// slowest answer; a failure or a status other than 200 counts as 10 s.
func probe(url string, d time.Duration) time.Duration {
	c := clientFrom("127.0.0.250")
	c.Timeout = 10 * time.Second
	var slowest time.Duration
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		t := time.Now()
		r, err := c.Get(url)
		took := time.Since(t)
		if err != nil {
			took = c.Timeout
		} else {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				took = c.Timeout
			}
		}
		slowest = max(slowest, took)
	}
	return slowest
}

// clientFrom is an HTTP client whose connections come from the local
// address addr (any 127.x.y.z works on Linux without configuration).
func clientFrom(addr string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 200},
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func multipartFile(field, name string, body []byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile(field, name)
	w.Write(body)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(c *http.Client, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := c.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("serve did not answer /healthz at %s within a minute", base)
}

var numberJSON = regexp.MustCompile(`"number":\s*"([^"]+)"`)

func firstNumber(c *http.Client, base string) (string, error) {
	r, err := c.Get(base + "/api/v1/certificates?status=valid")
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	m := numberJSON.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("no certificate number in /api/v1/certificates: %.200s", b)
	}
	return string(m[1]), nil
}

// login signs in and returns the session cookie as a Cookie header.
func login(c *http.Client, base, name, password string) (string, error) {
	r, err := c.PostForm(base+"/console/login", url.Values{"name": {name}, "password": {password}})
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	for _, ck := range r.Cookies() {
		if ck.Value != "" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("login as %s: %d and no session cookie", name, r.StatusCode)
}

// rss and peakRSS read the process's resident set now and its high-water
// mark (reset by resetPeak) from /proc.
func rss(pid int) uint64     { return procStatus(pid, "VmRSS:") }
func peakRSS(pid int) uint64 { return procStatus(pid, "VmHWM:") }

func procStatus(pid int, field string) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the CPU time the process has used (user and system), from
// /proc/PID/stat in clock ticks of 10 ms.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// resetPeak resets the high-water mark (Linux: clear_refs 5); where that
// is not allowed the sampled peak stands alone.
func resetPeak(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// settle waits for the server's memory to stop falling after an attack,
// so that each attack starts from rest.
func settle(pid int) {
	last := rss(pid)
	for range 20 {
		time.Sleep(500 * time.Millisecond)
		now := rss(pid)
		if now+(2<<20) >= last {
			return
		}
		last = now
	}
}
