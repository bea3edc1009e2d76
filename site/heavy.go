package site

import (
	"context"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/certreg/certreg/registry"
)

// Heavy bounds the expensive work the site does for a request: reading an
// uploaded file, decoding an image, reading a spreadsheet. Zero fields
// take defaults.
type Heavy struct {
	// Memory is the memory, in bytes, that all such work in flight may
	// reserve together (default DefaultHeavyMemory): each piece reserves what it may
	// take at most (an upload its size, a decode what its header
	// declares) before it starts.
	Memory int64
	// Images and Sheets are how many images are decoded, and how many
	// spreadsheets read, at once (default 2 each): each is one core's work.
	Images, Sheets int
	// Wait is how long a piece of work waits for its turn before the
	// request is answered 503 with Retry-After (default 5 s).
	Wait time.Duration
}

// DefaultHeavyMemory is Heavy.Memory unless set: room for two spreadsheets
// and two photos at their largest, with the rest of serve under 300 MB.
const DefaultHeavyMemory = 128 << 20

func (h Heavy) withDefaults() Heavy {
	if h.Memory <= 0 {
		h.Memory = DefaultHeavyMemory
	}
	if h.Images <= 0 {
		h.Images = 2
	}
	if h.Sheets <= 0 {
		h.Sheets = 2
	}
	if h.Wait <= 0 {
		h.Wait = 5 * time.Second
	}
	return h
}

// heavyWork admits expensive work within Heavy's bounds. One client
// address has one piece of work in hand at a time (a second is refused at
// once, 429), so that one client cannot fill the queue, and 20 clients
// take turns; whatever fits in the memory left goes first.
type heavyWork struct {
	cfg    Heavy
	memory *semaphore.Weighted
	images *semaphore.Weighted
	sheets *semaphore.Weighted

	mu      sync.Mutex
	clients map[string]bool
}

func newHeavyWork(h Heavy) *heavyWork {
	h = h.withDefaults()
	return &heavyWork{cfg: h, memory: semaphore.NewWeighted(h.Memory), images: semaphore.NewWeighted(int64(h.Images)),
		sheets: semaphore.NewWeighted(int64(h.Sheets)), clients: map[string]bool{}}
}

// job is one request's admitted work and the memory it holds while the
// upload is read. done releases it.
type job struct {
	h      *heavyWork
	client string
	memory int64
}

// admit starts a job for the request's client holding bytes of memory (the
// upload being read), or says why it cannot: the client already has a
// job (429), or the memory is not free within the wait (503). Both set
// Retry-After.
func (h *heavyWork) admit(w http.ResponseWriter, r *http.Request, bytes int64) (*job, error) {
	client := clientAddr(r)
	h.mu.Lock()
	if h.clients[client] {
		h.mu.Unlock()
		unreadBody(w, r)
		w.Header().Set("Retry-After", "2")
		return nil, registry.Errorf(registry.ETOOMANY, "", "heavy.one_at_a_time")
	}
	h.clients[client] = true
	h.mu.Unlock()
	j := &job{h: h, client: client}
	bytes = min(max(bytes, 0), h.cfg.Memory)
	if err := h.acquire(r.Context(), w, h.memory, bytes); err != nil {
		unreadBody(w, r)
		j.done()
		return nil, err
	}
	j.memory = bytes
	return j, nil
}

// run waits for bytes more memory and a turn of kind (images or sheets),
// runs f, and gives both back.
func (j *job) run(ctx context.Context, w http.ResponseWriter, kind *semaphore.Weighted, bytes int64, f func() error) error {
	// Never more than the budget leaves beside what the job holds, or it
	// could never start.
	bytes = min(max(bytes, 0), j.h.cfg.Memory-j.memory)
	if err := j.h.acquire(ctx, w, j.h.memory, bytes); err != nil {
		return err
	}
	defer j.h.memory.Release(bytes)
	if err := j.h.acquire(ctx, w, kind, 1); err != nil {
		return err
	}
	defer kind.Release(1)
	if bytes >= largeWork {
		// The collector would otherwise keep the freed tens of megabytes
		// until its next cycle, and the process would look (and, to a
		// container's memory limit, be) that much larger meanwhile.
		defer func() { go debug.FreeOSMemory() }()
	}
	return f()
}

// largeWork is the reservation after which the memory is handed back to
// the system at once.
const largeWork = 32 << 20

// done releases the job's memory and the client's place.
func (j *job) done() {
	if j.memory > 0 {
		j.h.memory.Release(j.memory)
		j.memory = 0
	}
	j.h.mu.Lock()
	delete(j.h.clients, j.client)
	j.h.mu.Unlock()
}

// acquire takes n of sem, trying again every few milliseconds for at
// most the configured wait, or sets Retry-After and returns the 503
// error. It tries rather than queues: a queue would keep a small image
// waiting behind a large one that waits for memory, where trying lets
// whatever fits go first.
func (h *heavyWork) acquire(ctx context.Context, w http.ResponseWriter, sem *semaphore.Weighted, n int64) error {
	deadline := time.Now().Add(h.cfg.Wait)
	for !sem.TryAcquire(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			secs := int(h.cfg.Wait.Seconds()) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return registry.Errorf(registry.EBUSY, "", "heavy.busy", secs)
		}
		time.Sleep(acquireRetry)
	}
	return nil
}

// acquireRetry is how often waiting work tries again.
const acquireRetry = 10 * time.Millisecond

// uploadSize is the memory reading r's upload may take: its declared
// length, or limit when it declares none.
func uploadSize(r *http.Request, limit int64) int64 {
	if r.ContentLength >= 0 && r.ContentLength < limit {
		return r.ContentLength
	}
	return limit
}

// unreadBody closes the connection after a refusal that leaves the
// request's body unread: otherwise the server reads up to 256 KB of it to
// keep the connection, work a refused upload should not cost.
func unreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}
