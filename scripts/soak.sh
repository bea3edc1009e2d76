#!/usr/bin/env bash
# soak.sh: a long run of mixed traffic against `certreg serve` on
# 127.0.0.1, to show that it holds steady: no 5xx, memory flat, latency
# stable.
#
#   scripts/soak.sh                     # 10 minutes, 64 connections, 100,000 certificates
#   DURATION=2m scripts/soak.sh         # shorter
#   DB=/tmp/soak.db scripts/soak.sh     # reuse a registry made earlier (it is written to)
#   N=1000000 CONNS=128 scripts/soak.sh
#
# The traffic (scripts/soak/main.go) is, per connection, each from its own
# source address 127.0.0.2…: search pages and API searches (22 %),
# certificate pages (22 %, more when a verification is not due), other
# pages, feeds and the log (20 %), publishing API writes (10 %: new
# certificates and updates), verification (22 %: QR code URLs, the manual
# form, the JSON API, photos of QR codes) and CSV batch uploads (4 %), the
# last two paced under the per-client limits (one lookup a second, one
# batch each 10 s). The server runs with its metrics on a second listener
# and the log sequencing every write.
#
# It prints one line per minute (requests, 5xx, 429, p50/p99/max latency,
# the median of the server's RSS, sampled every second) and then: 0
# responses 5xx? The per-minute RSS medians after the first
# (warm-up) minute flat within 10 %? p99 of every minute within 3x of the
# first measured one? It exits 1 if not. The work folder is removed at the
# end (KEEP=1 keeps it). On a shared machine the figures move with the
# neighbours' load: read them as a trend, not a benchmark.
set -euo pipefail

N=${N:-100000}
DURATION=${DURATION:-10m}
CONNS=${CONNS:-64}
PORT=${PORT:-18280}
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/certreg-soak.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/certreg" ./cmd/certreg
go build -o "$work/soak" ./scripts/soak
if [ -n "${DB:-}" ]; then
	echo "== using $DB (work folder $work)"
	db=$(realpath "$DB")
else
	db="$work/registry.db"
	echo "== generating and importing $N certificates (work folder $work)"
	awk -v n="$N" -f scripts/gencsv.awk > "$work/certs.csv"
	"$work/certreg" import --db "$db" "$work/certs.csv" | tail -1
fi

body=CNCA-R-2017-902
key=$("$work/certreg" apikey create --db "$db" --body "$body" --name soak --days 1 2>/dev/null)
base=https://certreg.example.cn

"$work/certreg" serve --db "$db" --addr "127.0.0.1:$PORT" --metrics-addr "127.0.0.1:$((PORT + 1))" \
	--base-url "$base" --demo=false --access-log=false > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "soak.sh: serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }

# Signed QR codes of a few certificates (URLs, and one as a PNG photo).
numbers=$(curl -sf "http://127.0.0.1:$PORT/api/v1/certificates?per_page=20&status=valid&sort=number" |
	sed -n 's/^      "number": "\(.*\)",$/\1/p')
for n in $numbers; do "$work/certreg" qr --db "$db" --base-url "$base" "$n" >> "$work/qr.txt"; done
"$work/certreg" qr --db "$db" --base-url "$base" --png "$work/qr.png" --size 400 "$(head -1 <<<"$numbers")" >/dev/null
echo "== $(wc -l < "$work/qr.txt") QR codes; $CONNS connections for $DURATION on $(nproc) cores (load: $(cut -d' ' -f1-3 /proc/loadavg))"

# The log takes in a fresh import, and the registry totals are computed,
# before the clock starts.
for _ in $(seq 900); do
	curl -sf "http://127.0.0.1:$((PORT + 1))/metrics" | grep -qx 'certreg_log_pending_events 0' && break
	sleep 1
done
curl -sf "http://127.0.0.1:$PORT/certificates" >/dev/null
status=0
"$work/soak" -url "http://127.0.0.1:$PORT" -pid "$pid" -conns "$CONNS" -duration "$DURATION" \
	-key "$key" -body "$body" -qr "$work/qr.txt" -png "$work/qr.png" || status=$?

echo "== the server's own figures (metrics listener)"
curl -sf "http://127.0.0.1:$((PORT + 1))/metrics" | grep -E '^certreg_(log_size|log_pending_events|log_sequencing_lag_seconds|db_wait_count_total|db_open_connections) |^certreg_import_rows_total|^certreg_ratelimit_refusals_total|^process_resident_memory_bytes' || true
grep -ciE 'level=(ERROR|WARN)' "$work/serve.log" | sed 's/^/server log lines at WARN or ERROR: /' || true
exit $status
