package site

// SetSitemapChunk makes certificate sitemaps list n certificates each,
// so that a test registry of a few certificates has full ones, and
// returns what puts it back.
func SetSitemapChunk(n int) (restore func()) {
	old := sitemapChunk
	sitemapChunk = n
	return func() { sitemapChunk = old }
}
