package site

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certreg/certreg/registry"
)

// metrics are the server's Prometheus series, for the operator's
// monitoring. They live in a registry of their own (never the global
// default), so that every Server, in tests too, counts only its own
// requests; `serve --metrics-addr` serves them on a listener of their own,
// never on the public one.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	refused  *prometheus.CounterVec
	verdicts *prometheus.CounterVec
	imported *prometheus.CounterVec
}

// Label values of the series whose values come from a fixed list, so that
// no request can add a series.
const (
	// noRoute labels a request no route pattern matched (the mux's own
	// redirects of unclean paths).
	noRoute = "none"

	viaPage  = "page"  // a QR code, the manual form or an image, answered as a page
	viaAPI   = "api"   // POST /api/v1/verify
	viaBatch = "batch" // a batch, from the form or the API

	fromConsole = "console" // an upload confirmed in the console
	fromAPI     = "api"     // POST /api/v1/publish/certificates
)

// latencyBuckets span a cached page (well under a millisecond) to a
// 1,000-line batch or a large XLSX upload (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics(store *registry.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certreg_http_requests_total",
			Help: "HTTP requests answered, by route pattern (method and path pattern of the route table, never the raw path) and status class.",
		}, []string{"route", "class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "certreg_http_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route pattern and status class.",
			Buckets: latencyBuckets,
		}, []string{"route", "class"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certreg_ratelimit_refusals_total",
			Help: "Requests refused with 429 Too Many Requests (lookup, batch and sign-in limits), by route pattern.",
		}, []string{"route"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certreg_verifications_total",
			Help: "Verification verdicts given, by verdict and by how they were asked for (page, api, batch).",
		}, []string{"verdict", "via"}),
		imported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certreg_import_rows_total",
			Help: "Certificate rows imported by this process, by source (console upload, publishing API batch) and result (created, updated, unchanged).",
		}, []string{"source", "result"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.refused, m.verdicts, m.imported,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{store: store})
	return m
}

// MetricsHandler serves the server's metrics in the Prometheus text format.
// It is meant for a listener of its own (serve --metrics-addr), reachable
// by the monitoring system only: the series say how busy the registry is
// and which limits are hit.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{s},
		Timeout:             10 * time.Second,
		MaxRequestsInFlight: 4,
	})
}

// promLogger sends the metrics handler's errors to the server's log.
type promLogger struct{ s *Server }

func (l promLogger) Println(v ...any) { l.s.log.Error("metrics", "err", v) }

// measure counts every request by the route pattern that served it and
// the class of its status. It is the outermost middleware, so that its
// time covers compression and every other layer; it reads r.Pattern after
// the mux has set it on this same request.
func (s *Server) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = noRoute
		}
		class := statusClass(sw.status)
		s.metrics.requests.WithLabelValues(route, class).Inc()
		s.metrics.latency.WithLabelValues(route, class).Observe(time.Since(start).Seconds())
		if sw.status == http.StatusTooManyRequests {
			s.metrics.refused.WithLabelValues(route).Inc()
		}
	})
}

// statusClasses are the labels of the status classes, so that a status
// out of range cannot make a new series.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "5xx" // net/http would refuse it: count it as the server's fault
	}
	return statusClasses[status/100-1]
}

// verdict counts one verification's verdict.
func (m *metrics) verdict(v registry.Verdict, via string) {
	m.verdicts.WithLabelValues(string(v), via).Inc()
}

// imports counts the rows of one import.
func (m *metrics) imports(source string, created, updated, unchanged int) {
	m.imported.WithLabelValues(source, "created").Add(float64(created))
	m.imported.WithLabelValues(source, "updated").Add(float64(updated))
	m.imported.WithLabelValues(source, "unchanged").Add(float64(unchanged))
}

// storeCollector reads the registry's own figures at each scrape: the
// transparency log's size and how far its sequencing lags behind the
// events, and the SQLite connection pool (database/sql's DBStats).
type storeCollector struct{ store *registry.Store }

var (
	logSizeDesc = prometheus.NewDesc("certreg_log_size",
		"Entries in the transparency log (its tree size).", nil, nil)
	logCheckpointDesc = prometheus.NewDesc("certreg_log_checkpoint_size",
		"Tree size of the latest signed checkpoint.", nil, nil)
	logPendingDesc = prometheus.NewDesc("certreg_log_pending_events",
		"Certificate events not yet in the transparency log.", nil, nil)
	logLagDesc = prometheus.NewDesc("certreg_log_sequencing_lag_seconds",
		"Age of the oldest certificate event not yet in the transparency log; 0 when the log is current.", nil, nil)
	logCheckpointAgeDesc = prometheus.NewDesc("certreg_log_checkpoint_age_seconds",
		"Time since the latest checkpoint was signed.", nil, nil)
	scrapeErrorDesc = prometheus.NewDesc("certreg_store_scrape_error",
		"1 if the registry's figures could not be read at this scrape.", nil, nil)

	dbOpenDesc      = prometheus.NewDesc("certreg_db_open_connections", "SQLite connections open, in use or idle.", nil, nil)
	dbInUseDesc     = prometheus.NewDesc("certreg_db_in_use_connections", "SQLite connections in use.", nil, nil)
	dbIdleDesc      = prometheus.NewDesc("certreg_db_idle_connections", "SQLite connections idle.", nil, nil)
	dbMaxOpenDesc   = prometheus.NewDesc("certreg_db_max_open_connections", "The pool's limit of open connections.", nil, nil)
	dbWaitDesc      = prometheus.NewDesc("certreg_db_wait_count_total", "Times a query waited for a free connection.", nil, nil)
	dbWaitTimeDesc  = prometheus.NewDesc("certreg_db_wait_duration_seconds_total", "Time spent waiting for a free connection.", nil, nil)
	searchCacheDesc = prometheus.NewDesc("certreg_search_cache_requests_total",
		"Searches asked while the search result cache was on, by result: hit (answered from the cache) or miss (run on the database).", []string{"result"}, nil)
	dbClosedDesc = prometheus.NewDesc("certreg_db_closed_connections_total", "Connections closed, by reason (max_idle, max_idle_time, max_lifetime).", []string{"reason"}, nil)
)

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{logSizeDesc, logCheckpointDesc, logPendingDesc, logLagDesc, logCheckpointAgeDesc,
		scrapeErrorDesc, searchCacheDesc, dbOpenDesc, dbInUseDesc, dbIdleDesc, dbMaxOpenDesc, dbWaitDesc, dbWaitTimeDesc, dbClosedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	st := c.store.DBStats()
	gauge(dbOpenDesc, float64(st.OpenConnections))
	gauge(dbInUseDesc, float64(st.InUse))
	gauge(dbIdleDesc, float64(st.Idle))
	gauge(dbMaxOpenDesc, float64(st.MaxOpenConnections))
	counter(dbWaitDesc, float64(st.WaitCount))
	counter(dbWaitTimeDesc, st.WaitDuration.Seconds())
	counter(dbClosedDesc, float64(st.MaxIdleClosed), "max_idle")
	counter(dbClosedDesc, float64(st.MaxIdleTimeClosed), "max_idle_time")
	counter(dbClosedDesc, float64(st.MaxLifetimeClosed), "max_lifetime")
	hits, misses := c.store.SearchCacheCounts()
	counter(searchCacheDesc, float64(hits), "hit")
	counter(searchCacheDesc, float64(misses), "miss")

	// A scrape must not hang on a busy database: the figures are two
	// indexed reads, bounded in time.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ls, err := c.store.LogStatus(ctx)
	if err != nil {
		gauge(scrapeErrorDesc, 1)
		return
	}
	gauge(scrapeErrorDesc, 0)
	gauge(logSizeDesc, float64(ls.Size))
	gauge(logCheckpointDesc, float64(ls.CheckpointSize))
	gauge(logPendingDesc, float64(ls.Pending))
	lag := 0.0
	if ls.Pending > 0 && !ls.OldestPending.IsZero() {
		lag = max(0, c.store.Now().Sub(ls.OldestPending).Seconds())
	}
	gauge(logLagDesc, lag)
	if !ls.CheckpointAt.IsZero() {
		gauge(logCheckpointAgeDesc, max(0, c.store.Now().Sub(ls.CheckpointAt).Seconds()))
	}
}
