package registry

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// DefaultSearchCacheBytes is the search result cache's size unless
// `serve --search-cache` says otherwise.
const DefaultSearchCacheBytes = 16 << 20

// searchCache keeps recent search results, keyed by the validated filter,
// the registry's generation and the day (expiry is derived from the day),
// so that a popular query ("有限公司", a city) is answered without touching
// the database until the registry changes. It is bounded in bytes (an
// estimate of the results' memory) and evicts the least recently used.
type searchCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List // front: most recently used
	m        map[searchKey]*list.Element
	// hits and misses count the searches answered from the cache and
	// those run while it was on, for the operator's metrics.
	hits, misses atomic.Int64
}

type searchKey struct {
	f   Filter
	gen int64
	day string
}

type searchEntry struct {
	key  searchKey
	res  SearchResult
	size int64
}

// SetSearchCache sets the search result cache's size in bytes; 0 turns it
// off, as it is in a store just opened (serve turns it on).
func (s *Store) SetSearchCache(maxBytes int64) {
	c := &s.searches
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxBytes = max(maxBytes, 0)
	c.ll, c.m, c.bytes = nil, nil, 0
}

// SearchCacheCounts returns how many searches the result cache answered
// (hits) and how many it did not while it was on (misses), since the
// store was opened.
func (s *Store) SearchCacheCounts() (hits, misses int64) {
	return s.searches.hits.Load(), s.searches.misses.Load()
}

// ForgetSearches empties the search result cache (for benchmarks that
// measure the queries).
func (s *Store) ForgetSearches() {
	c := &s.searches
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll, c.m, c.bytes = nil, nil, 0
}

func (c *searchCache) get(k searchKey) (*SearchResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	// A copy: callers may set Total on the result they get (the slices
	// are read only).
	res := el.Value.(*searchEntry).res
	return &res, true
}

func (c *searchCache) put(k searchKey, res *SearchResult) {
	size := int64(unsafe.Sizeof(searchEntry{})) + 2*int64(len(k.f.Query)) + 128
	for _, cs := range [][]*Certificate{res.Exact, res.Certificates} {
		for _, x := range cs {
			size += certificateBytes(x)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.maxBytes/8 {
		return // one result never takes much of the cache
	}
	if c.m == nil {
		c.ll, c.m = list.New(), map[searchKey]*list.Element{}
	}
	if el, ok := c.m[k]; ok {
		c.bytes -= el.Value.(*searchEntry).size
		c.ll.Remove(el)
	}
	c.m[k] = c.ll.PushFront(&searchEntry{key: k, res: *res, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		el := c.ll.Back()
		e := el.Value.(*searchEntry)
		c.ll.Remove(el)
		delete(c.m, e.key)
		c.bytes -= e.size
	}
}

// certificateBytes estimates the memory a certificate read from the
// database holds: the struct, its strings and its audits.
func certificateBytes(c *Certificate) int64 {
	n := int64(unsafe.Sizeof(*c)) + int64(len(c.Number)+len(c.HolderName)+len(c.HolderCreditCode)+len(c.HolderAddress)+
		len(c.Province)+len(c.City)+len(c.SchemeCode)+len(c.LevelCode)+len(c.Scope)+len(c.BodyApproval)+len(c.BodyNameZH)+len(c.BodyNameEN)+len(c.Status))
	for _, a := range c.Surveillance {
		n += int64(unsafe.Sizeof(a)) + int64(len(a.Result)+len(a.Note))
	}
	return n
}

// cachedSearch answers f from the cache when the registry has not changed
// since it was stored, and otherwise runs it and stores the result.
func (s *Store) cachedSearch(ctx context.Context, f Filter) (*SearchResult, error) {
	s.searches.mu.Lock()
	on := s.searches.maxBytes > 0
	s.searches.mu.Unlock()
	if !on {
		return s.search(ctx, f)
	}
	gen, err := s.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	k := searchKey{f: f, gen: gen, day: Today(s.Now()).Format(DateLayout)}
	if res, ok := s.searches.get(k); ok {
		s.searches.hits.Add(1)
		return res, nil
	}
	s.searches.misses.Add(1)
	res, err := s.search(ctx, f)
	if err != nil {
		return nil, err
	}
	s.searches.put(k, res)
	out := *res
	return &out, nil
}
