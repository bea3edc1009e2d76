#!/usr/bin/env bash
# load.sh: load test of `certreg serve` on 127.0.0.1, with the same
# certificate page also served as a static file by nginx and by Go's
# net/http FileServer, so that the figures are ratios from one run.
#
#   scripts/load.sh                 # 100,000 certificates, 10 s per run
#   N=1000000 scripts/load.sh       # search on 1,000,000 (import takes minutes)
#   DURATION=5s CONNS=64 scripts/load.sh
#   DB=/tmp/1m.db scripts/load.sh   # reuse a registry made earlier
#
# Needs wrk and nginx (apt-get install wrk nginx) and Go. Everything binds
# to 127.0.0.1; the work folder is removed at the end (KEEP=1 keeps it).
# It prints requests/s and p99 latency for: the certificate page (live,
# page cache on), the same bytes from nginx and from FileServer, the
# certificate page rendered on every request (cache off), and search
# (common and rare terms, filters, pages) with the cache off, so that every
# search runs its queries.
set -euo pipefail

N=${N:-100000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18180}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "load.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "load.sh: nginx not found (apt-get install nginx)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/certreg-load.XXXXXX)
chmod 755 "$work" # nginx workers run as an unprivileged user
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/certreg" ./cmd/certreg
if [ -n "${DB:-}" ]; then
	echo "== using $DB (work folder $work)"
	ln -s "$(realpath "$DB")" "$work/registry.db"
else
	echo "== generating and importing $N certificates (work folder $work)"
	awk -v n="$N" -f scripts/gencsv.awk > "$work/certs.csv"
	"$work/certreg" import --db "$work/registry.db" "$work/certs.csv" | tail -1
fi

serve() { # port, extra flags
	"$work/certreg" serve --db "$work/registry.db" --addr "127.0.0.1:$1" --base-url https://certreg.example.cn \
		--demo=false --access-log=false "${@:2}" > "$work/serve-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.1; done
	echo "load.sh: serve on $1 did not start" >&2; cat "$work/serve-$1.log" >&2; exit 1
}
serve "$PORT"
serve $((PORT + 1)) --page-cache=false

# A certificate from the middle of the registry (its URL from the JSON API).
total=$(curl -sf "http://127.0.0.1:$PORT/api/v1/certificates?per_page=1&sort=number" | sed -n 's/^  "total": \([0-9]*\).*/\1/p')
path=$(curl -sf "http://127.0.0.1:$PORT/api/v1/certificates?per_page=1&page=$(( (total + 1) / 2 ))&sort=number" |
	sed -n 's#^ *"url": "https://certreg.example.cn\(/certificates/[^"]*\)".*#\1#p' | head -1)
mkdir -p "$work/static/certificates"
curl -sf "http://127.0.0.1:$PORT$path" > "$work/static/cert.html"
echo "certificate page $path: $(wc -c < "$work/static/cert.html") bytes"

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000;
	types { text/html html; }
	server {
		listen 127.0.0.1:$((PORT + 2));
		root $work/static;
	}
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work" -g 'daemon on;'

cat > "$work/fileserver.go" <<GO
package main

import (
	"log"
	"net/http"
)

func main() {
	log.Fatal(http.ListenAndServe("127.0.0.1:$((PORT + 3))", http.FileServer(http.Dir("$work/static"))))
}
GO
(cd "$work" && GOFLAGS= GO111MODULE=off go build -o fileserver fileserver.go)
"$work/fileserver" & pids+=($!)
sleep 0.5
cmp <(curl -sf "http://127.0.0.1:$((PORT + 2))/cert.html") "$work/static/cert.html"
cmp <(curl -sf "http://127.0.0.1:$((PORT + 3))/cert.html") "$work/static/cert.html"

# Search: common and rare terms, two-character terms, a single character,
# filters and deep pages, chosen at random per request.
cat > "$work/search.lua" <<'LUA'
local qs = {
	"/certificates?q=%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8",                  -- 有限公司: nearly every row
	"/certificates?q=%E5%AE%81%E6%B3%A2",                                      -- 宁波
	"/certificates?q=%E7%94%B5%E5%99%A8",                                      -- 电器
	"/certificates?q=%E5%AE%81%E6%B3%A2%E4%B8%9C%E6%96%B9%E7%94%B5%E5%99%A8",  -- 宁波东方电器
	"/certificates?q=%E6%B5%B7%E5%A4%A9%E7%94%B5%E6%A2%AF",                    -- 海天电梯
	"/certificates?q=%E6%9C%89",                                               -- 有 (one character)
	"/certificates?q=000123",                                                  -- rare digits
	"/certificates?level=five-star&city=%E5%AE%81%E6%B3%A2",
	"/certificates?status=expired",
	"/certificates?scheme=AS&level=four-star&page=7",
	"/certificates?q=%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8&status=valid&page=20",
	"/certificates?province=%E6%B5%99%E6%B1%9F&year=2023",
}
math.randomseed(os.time())
request = function()
	return wrk.format("GET", qs[math.random(#qs)])
end
LUA

run() { # label, url, extra wrk args
	local out
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${@:3}" "$2")
	printf '%-44s %10s req/s   p99 %s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

# Both servers compute their registry totals before they are measured.
for p in "$PORT" $((PORT + 1)); do curl -sf "http://127.0.0.1:$p/certificates" >/dev/null; done

echo "== $CONNS connections, $THREADS wrk threads, $DURATION each, $(nproc) cores"
run "nginx, static file"                "http://127.0.0.1:$((PORT + 2))/cert.html"
run "Go FileServer, static file"        "http://127.0.0.1:$((PORT + 3))/cert.html"
run "certreg, certificate page (cached)" "http://127.0.0.1:$PORT$path"
run "certreg, certificate page (render)" "http://127.0.0.1:$((PORT + 1))$path"
run "certreg, search mix (no page cache)" "http://127.0.0.1:$((PORT + 1))/" -s "$work/search.lua"
run "certreg, 有限公司 (no page cache)"    "http://127.0.0.1:$((PORT + 1))/certificates?q=%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8"
