#!/usr/bin/env bash
# scale.sh: the national-scale figures (issue 14) in one run, on
# 127.0.0.1: the search mix at 1, 16 and 64 connections, certificate pages
# uniformly at random over every number, one cached page against nginx
# serving the same bytes, serve's RSS after all of it, and the import's rate
# and bytes per certificate.
#
#   scripts/scale.sh                        # builds /work/scale/1m.db once, then reuses it
#   DB=/tmp/x.db N=100000 scripts/scale.sh  # another size
#   SEED=7 DB=/tmp/other.db scripts/scale.sh  # a second dataset, other names
#   DURATION=10s scripts/scale.sh
#   ONLY=import CSV=/work/scale/1m.csv scripts/scale.sh  # the import alone
#   ZIPF_QUERIES=50000 ZIPF_S=1 scripts/scale.sh  # the long-tail mix's size and skew
#   ONLY=pages scripts/scale.sh             # only the certificate pages, nginx and RSS
#   PROFILE=/tmp/prof scripts/scale.sh      # CPU profiles of serve during the page runs
#   ONLY=export scripts/scale.sh            # only the static export rows (EXPORT=0 skips them)
#   PREPARE=0 scripts/scale.sh              # pages encode the QR symbols not stored (no qr --prepare first)
#
# The registry is made by scripts/gencsv.awk and `certreg import`; the
# import's figures are measured when the registry is built and kept beside
# it ($DB.import), so a reused registry still reports them (IMPORT=1 imports
# again into a fresh file to measure them now). The search mix is
# scripts/searchmix.txt, asked with every cache off; a second, long-tail
# mix (scripts/zipfmix.sql: tens of thousands of distinct queries made from
# the registry's own names, numbers and places, asked with a Zipf-like
# frequency) is asked of a server with the search result cache on, as
# served, and the page cache off, and its hit rate printed. Needs wrk and
# nginx (apt-get install -y wrk nginx).
# Certificate pages draw their QR code from the symbol stored beside each
# certificate: when the registry lacks some, `certreg qr --prepare` stores
# them first (once; the time and the bytes a certificate it adds are
# printed).
# Benchmarks on shared cores are noisy: compare ratios within one run.
set -euo pipefail

N=${N:-1000000}
DB=${DB:-/work/scale/1m.db}
SEED=${SEED:-42}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
ZIPF_QUERIES=${ZIPF_QUERIES:-50000}
ZIPF_S=${ZIPF_S:-1}
# Nine free ports in a row (other work on the machine may hold some): three
# servers at PORT, PORT+1 and PORT+5, each with its metrics 3 above, and
# nginx at PORT+2.
free() { ! ss -ltn | awk '{print $4}' | grep -qE ":($(seq -s '|' "$1" $(($1 + 8))))\$"; }
if [ -z "${PORT:-}" ]; then
	for _ in $(seq 20); do
		PORT=$((20000 + RANDOM % 20000))
		free "$PORT" && break
	done
fi
cd "$(dirname "$0")/.."
root=$PWD
command -v sqlite3 >/dev/null || { echo "scale.sh: sqlite3 not found (apt-get install -y sqlite3)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "scale.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "scale.sh: nginx not found (apt-get install -y nginx)" >&2; exit 1; }

work=$(mktemp -d /tmp/certreg-scale.XXXXXX)
chmod 755 "$work" # nginx workers run as an unprivileged user
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$work/nginx.conf" ] && "$NGINX" -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/certreg" ./cmd/certreg

# import DEST: generates N rows (or reads $CSV) and imports them into a
# fresh DEST, and prints the import's line of the table: wall time, CPU
# time (user + system: on shared cores the wall time is mostly waiting),
# rate and bytes a certificate.
import() {
	local dest=$1 csv="$work/certs.csv" wall user sys rows bytes
	if [ -n "${CSV:-}" ]; then
		csv=$CSV
	else
		awk -v n="$N" -v seed="$SEED" -f scripts/gencsv.awk > "$csv"
	fi
	rm -f "$dest" "$dest-wal" "$dest-shm"
	local TIMEFORMAT='%R %U %S'
	{ time "$work/certreg" import --db "$dest" "$csv" > "$work/import.out" 2>&1; } 2> "$work/import.time" ||
		{ cat "$work/import.out" >&2; exit 1; }
	tail -1 "$work/import.out" >&2
	read -r wall user sys < "$work/import.time"
	rows=$(sqlite3 -readonly -batch "$dest" "SELECT count(*) FROM certificates")
	bytes=$(stat -c %s "$dest")
	awk -v r="$rows" -v t="$wall" -v u="$user" -v s="$sys" -v b="$bytes" 'BEGIN {
		printf "%-46s %d rows in %.1f s (CPU %.1f s), %d rows/s; %.0f MB, %d bytes a certificate\n", "import, fresh registry", r, t, u + s, r / t, b / 1e6, b / r }'
	[ -n "${CSV:-}" ] || rm -f "$csv"
}

# ONLY=import measures the import alone (into a fresh file of its own,
# removed afterwards) and stops.
if [ "${ONLY:-}" = import ]; then
	import "$work/import.db"
	exit 0
fi

# The static export's rows (issue 14: cold at 100,000 certificates, and
# after 10 changes): scripts/export-bench.sh, on a registry of its own
# (EXPORT_N certificates), wall and processor time.
export_rows() {
	[ "${EXPORT:-1}" != 0 ] || return 0
	echo "== static export, ${EXPORT_N:-100000} certificates (scripts/export-bench.sh)"
	N=${EXPORT_N:-100000} scripts/export-bench.sh | grep -E '^== (cold|unchanged|incremental)|^   exported'
}
if [ "${ONLY:-}" = export ]; then
	export_rows
	exit 0
fi

if [ ! -f "$DB" ]; then
	mkdir -p "$(dirname "$DB")"
	echo "== building $DB: $N certificates (seed $SEED)"
	import "$DB.building" > "$DB.import"
	mv "$DB.building" "$DB"
elif [ -n "${IMPORT:-}" ]; then
	import "$work/import.db" > "$DB.import"
	rm -f "$work/import.db"*
fi

# The QR symbols the pages draw (the base URL and keys are serve's below).
symbols() { sqlite3 -readonly -batch "$DB" "SELECT (SELECT count(*) FROM certificates) - (SELECT count(*) FROM qr_symbols)" 2>/dev/null || echo missing; }
if [ "${PREPARE:-1}" != 0 ] && [ "$(symbols)" != 0 ]; then
	before=$(stat -c %s "$DB")
	t0=$(date +%s.%N)
	"$work/certreg" qr --prepare --db "$DB" --base-url https://certreg.example.cn | tail -1
	t1=$(date +%s.%N)
	awk -v t="$(echo "$t1 - $t0" | bc)" -v b="$(($(stat -c %s "$DB") - before))" -v n="$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM certificates')" 'BEGIN {
		printf "%-46s %.0f s; the file grew %.0f MB, %d bytes a certificate\n", "QR symbols stored (qr --prepare)", t, b / 1e6, b / n }' > "$DB.qr"
fi
[ -f "$DB.qr" ] && cat "$DB.qr"
printf '%-46s %s bytes a certificate (the table, dbstat)\n' "QR symbols" \
	"$(sqlite3 -readonly "$DB" "SELECT sum(pgsize) / (SELECT count(*) FROM certificates) FROM dbstat WHERE name = 'qr_symbols'" 2>/dev/null || echo '?')"

# Every run starts with the file in the kernel's page cache, so that the
# first run measured does not also pay for reading the disk.
cat "$DB" > /dev/null

# With PREPARE=0 the servers do not fill the QR symbols in the background
# either: an idle server's filler would take a core from the one measured.
qrfill=true
[ "${PREPARE:-1}" != 0 ] || qrfill=false
serve() { # port, metrics port, extra flags
	"$work/certreg" serve --db "$DB" --addr "127.0.0.1:$1" --base-url https://certreg.example.cn \
		--metrics-addr "127.0.0.1:$2" --demo=false --access-log=false --qr-symbols=$qrfill "${@:3}" > "$work/serve-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 300); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.1; done
	echo "scale.sh: serve on $1 did not start" >&2; cat "$work/serve-$1.log" >&2; exit 1
}
serve "$PORT" $((PORT + 3))                       # as deployed: page cache on
serve $((PORT + 1)) $((PORT + 4)) --page-cache=false --search-cache-bytes=0 # every request does its work
# The long-tail mix's server: the search result cache on (its default
# size, as served), the page cache off so that every request searches or
# hits the search cache; its metrics count the hits.
serve $((PORT + 5)) $((PORT + 8)) --page-cache=false
serve_pid=${pids[0]}
# Each server learns its search terms and filter counts at start (seconds
# at 1,000,000): the runs start once all three have, so that no run
# measures that work.
for p in "$PORT" $((PORT + 1)) $((PORT + 5)); do
	for _ in $(seq 600); do grep -q "filter counts learned" "$work/serve-$p.log" && break; sleep 0.5; done
	grep -o 'filter counts learned.*' "$work/serve-$p.log" | sed "s/^/== serve $p: search terms and /" || echo "== serve $p: still learning after 300 s"
done

# One certificate, its holder and its name, for the mix; 200,000 numbers
# drawn uniformly from the whole registry, for the page runs (with fewer,
# most pages would be asked twice in a run: cached and compressed, which a
# reader of a million certificates seldom causes).
sql() { sqlite3 -readonly -batch "$DB" "$1"; }
total=$(sql "SELECT count(*) FROM certificates")
IFS='|' read -r number code name < <(sql "SELECT number, holder_credit_code, holder_name FROM certificates WHERE id = $((total / 2))")
echo "== $DB: $total certificates; sample $number, $code, $name"
path="/certificates/${number//\//\~}"
urlencode() { # the query string's values, percent-encoded byte by byte
	local s=$1 out="" c i
	LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case "$c" in
		[a-zA-Z0-9.~_=\&-]) out+=$c ;;
		' ') out+=+ ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}
queries=()
while IFS= read -r line; do
	case "$line" in '#'* | '') continue ;; esac
	line=${line//\{NUMBER\}/$number}
	line=${line//\{CODE\}/$code}
	line=${line//\{NAME\}/$name}
	queries+=("/certificates?$(urlencode "$line")")
done < scripts/searchmix.txt
{
	echo "local qs = {"
	for q in "${queries[@]}"; do echo "  \"$q\","; done
	echo "}"
	echo 'local i = 0'
	echo 'request = function() i = i + 1; return wrk.format("GET", qs[(i % #qs) + 1]) end'
	echo 'local n = 0'
	echo 'setup = function(thread) n = n + 1; thread:set("tid", n) end'
	echo 'init = function(args) math.randomseed(tid * 1000003 + os.time()); i = math.random(#qs) end'
} > "$work/search.lua"

# The long-tail mix: line r is asked about as often as 1/r^ZIPF_S. Each
# wrk thread draws from its own seed.
sqlite3 -readonly -batch "$DB" -cmd ".parameter set :k $ZIPF_QUERIES" < scripts/zipfmix.sql > "$work/zipf.txt"
{
	echo "local lines = {"
	sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/  "&",/' "$work/zipf.txt"
	echo "}"
	cat <<LUA
local s = $ZIPF_S
local qs, cum = {}, {}
local function enc(v) -- url.QueryEscape, which the page's canonical URL uses
	return (v:gsub("[^%w%-%._~=&]", function(c)
		if c == " " then return "+" end
		return string.format("%%%02X", string.byte(c))
	end))
end
local nthreads = 0
setup = function(thread) nthreads = nthreads + 1; thread:set("tid", nthreads) end
init = function(args)
	math.randomseed(7919 * (tid or 1))
	local c = 0
	for i, l in ipairs(lines) do
		qs[i] = "/certificates?" .. enc(l)
		c = c + 1 / i ^ s
		cum[i] = c
	end
end
request = function()
	local u, lo, hi = math.random() * cum[#cum], 1, #cum
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		if cum[mid] < u then lo = mid + 1 else hi = mid end
	end
	return wrk.format("GET", qs[lo])
end
LUA
} > "$work/zipf.lua"

{
	echo "local ps = {"
	sql "SELECT number FROM certificates WHERE id IN (SELECT 1 + abs(random()) % $total FROM generate_series(1, 200000))" |
		sed 's#/#~#; s#.*#  "/certificates/&",#'
	echo "}"
	# Each thread draws its own sequence: unseeded, wrk's threads draw the
	# same one, so every page was asked twice (once by each thread), and
	# with the page cache on the second ask kept and compressed it.
	echo 'local n = 0'
	echo 'setup = function(thread) n = n + 1; thread:set("tid", n) end'
	echo 'init = function(args) math.randomseed(tid * 1000003 + os.time()) end'
	echo 'request = function() return wrk.format("GET", ps[math.random(#ps)]) end'
} > "$work/pages.lua"

mkdir -p "$work/static"
curl -sf "http://127.0.0.1:$PORT$path" > "$work/static/cert.html"
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	types { text/html html; }
	server {
		listen 127.0.0.1:$((PORT + 2));
		root $work/static;
	}
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work" -g 'daemon on;'
sleep 0.3
cmp <(curl -sf "http://127.0.0.1:$((PORT + 2))/cert.html") "$work/static/cert.html"

run() { # label, conns, url, extra wrk args
	local out prof="" ppid=""
	if [ -n "${PROFILE:-}" ]; then # the serve behind the URL, profiled for most of the run
		mkdir -p "$PROFILE"
		local mport=$(($(echo "$3" | sed -E 's#^http://[^:]+:([0-9]+).*#\1#') + 3))
		prof="$PROFILE/$(echo "$1" | tr -c 'a-zA-Z0-9\n' '_').pprof"
		curl -s -o "$prof" "http://127.0.0.1:$mport/debug/pprof/profile?seconds=$((${DURATION%s} - 2))" &
		ppid=$!
	fi
	out=$(wrk -t"$((THREADS < $2 ? THREADS : $2))" -c"$2" -d"$DURATION" --latency "${@:4}" "$3")
	awk -v label="$1" '
		/Requests\/sec/ {rps = $2}
		$1 == "50%" {p50 = $2}
		$1 == "99%" {p99 = $2}
		/Non-2xx/ {bad = $NF}
		END {printf "%-46s p50 %8s  p99 %8s  %9s req/s%s\n", label, p50, p99, rps, bad ? "  NON-2xx: " bad : ""}' <<<"$out"
	[ -z "$ppid" ] || wait "$ppid" || true
}

for p in "$PORT" $((PORT + 1)); do curl -sf "http://127.0.0.1:$p/certificates" >/dev/null; done
# serve's start-up work (the registry's totals, the common search terms:
# seconds at 1,000,000) is left to finish before anything is measured.
ticks() { local t=0 p; for p in "${pids[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
for _ in $(seq 120); do a=$(ticks); sleep 1; [ $(($(ticks) - a)) -lt 5 ] && break; done
echo "== wrk: $THREADS threads, $DURATION a run, $(nproc) cores; ${#queries[@]} queries in the mix"
if [ "${ONLY:-}" != pages ]; then
echo "-- each query alone, once warm (1 connection, no caches): median of 5"
for q in "${queries[@]}"; do
	ts=()
	for _ in 1 2 3 4 5 6; do ts+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$((PORT + 1))$q")"); done
	med=$(printf '%s\n' "${ts[@]:1}" | sort -n | sed -n 3p)
	printf '   %7.1f ms  %s\n' "$(echo "$med * 1000" | bc)" "$(printf '%b' "${q//%/\\x}")"
done
run "search mix, no caches, 1 connection" 1 "http://127.0.0.1:$((PORT + 1))/" -s "$work/search.lua"
run "search mix, no caches, 16 connections" 16 "http://127.0.0.1:$((PORT + 1))/" -s "$work/search.lua"
run "search mix, no caches, 64 connections" 64 "http://127.0.0.1:$((PORT + 1))/" -s "$work/search.lua"
run "search mix, caches on, 16 connections" 16 "http://127.0.0.1:$PORT/" -s "$work/search.lua"
# The long-tail mix, search cache on: hits and misses from the server's
# metrics, before and after each run.
cachecounts() { curl -sf "http://127.0.0.1:$((PORT + 8))/metrics" | awk '/^certreg_search_cache_requests_total\{result="hit"\}/ {h = $2} /^certreg_search_cache_requests_total\{result="miss"\}/ {m = $2} END {print h + 0, m + 0}'; }
echo "-- long-tail mix: $(wc -l < "$work/zipf.txt") distinct queries, Zipf s=$ZIPF_S; search cache on, page cache off"
run "long-tail mix, no caches, 16 connections" 16 "http://127.0.0.1:$((PORT + 1))/" -s "$work/zipf.lua"
for c in 1 16 64; do
	read -r h0 m0 < <(cachecounts)
	row=$(run "long-tail mix, search cache, $c connection$([ "$c" = 1 ] || echo s)" "$c" "http://127.0.0.1:$((PORT + 5))/" -s "$work/zipf.lua")
	read -r h1 m1 < <(cachecounts)
	awk -v r="$row" -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {printf "%s  search cache hits %.0f%%\n", r, (h + m > 0 ? 100 * h / (h + m) : 0)}'
done
fi
# Reading random rows warms SQLite's caches and the kernel's: a run that
# is not reported, so that neither measured run pays for it alone.
wrk -t"$THREADS" -c64 -d"$DURATION" -s "$work/pages.lua" "http://127.0.0.1:$((PORT + 1))/" >/dev/null
run "random certificate pages, 64 conns (cache on)" 64 "http://127.0.0.1:$PORT/" -s "$work/pages.lua"
run "random certificate pages, 64 conns (no cache)" 64 "http://127.0.0.1:$((PORT + 1))/" -s "$work/pages.lua"
run "one certificate page, cached, 64 conns" 64 "http://127.0.0.1:$PORT$path"
run "same bytes from nginx, 64 conns" 64 "http://127.0.0.1:$((PORT + 2))/cert.html"
printf '%-46s %d MB (cache on); %d MB (no caches)\n' "serve RSS after the runs" \
	$(($(awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status") / 1024)) \
	$(($(awk '/VmRSS/ {print $2}' "/proc/${pids[1]}/status") / 1024))
if [ -f "$DB.import" ]; then
	cat "$DB.import"
else
	echo "import: not measured ($DB was not built by this script; IMPORT=1 measures it)"
fi
printf '%-46s %d bytes a certificate (%s)\n' "database size" $(($(stat -c %s "$DB") / total)) "$(du -h "$DB" | cut -f1)"
[ -n "${ONLY:-}" ] || export_rows
