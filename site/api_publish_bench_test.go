package site

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkAPIPutCertificate publishes one new certificate per request
// through the API over real HTTP: authentication, validation, the write
// with its events, the JSON answer.
func BenchmarkAPIPutCertificate(b *testing.B) {
	f := newPublishFixture(b)
	c := f.ts.Client()
	i := 0
	for b.Loop() {
		i++
		n := fmt.Sprintf("BENCH-%07d", i)
		body, _ := json.Marshal(certJSON(n))
		req, _ := http.NewRequest("PUT", f.ts.URL+"/api/v1/publish/certificates/"+n, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+f.keyA)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
