package site

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/certreg/certreg/registry"
)

// verdictsCounted is how many verdicts the server counted as given via
// (page, api, batch), whatever the verdict.
func verdictsCounted(t *testing.T, s *Server, via string) float64 {
	t.Helper()
	var n float64
	for _, v := range []registry.Verdict{registry.VerdictValid, registry.VerdictSuspended, registry.VerdictRevoked, registry.VerdictWithdrawn,
		registry.VerdictExpired, registry.VerdictNotRegistered, registry.VerdictForged, registry.VerdictMismatch} {
		n += testutil.ToFloat64(s.metrics.verdicts.WithLabelValues(string(v), via))
	}
	return n
}

// importedCounted is the rows counted as imported from source with result.
func importedCounted(s *Server, source, result string) float64 {
	return testutil.ToFloat64(s.metrics.imported.WithLabelValues(source, result))
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{101: "1xx", 200: "2xx", 304: "3xx", 404: "4xx", 429: "4xx", 500: "5xx", 503: "5xx", 0: "5xx", 999: "5xx"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %s, want %s", status, got, want)
		}
	}
}
