#!/usr/bin/env bash
# export-bench.sh: times `certreg export` of a large registry, the figures
# of docs/scaling.md. Four exports into one folder:
#
# Each prints its wall time and its processor time (user + system); the
# cold run also a CPU profile's top (go tool pprof).
#
#   cold         an empty folder: every page in both languages, every
#                certificate's JSON, verdict pages and QR images (PNG, SVG)
#   unchanged    the same registry again: nothing to render
#   incremental  after ten certificates changed (and the log grew)
#   full         --full: every page rendered again, the QR images current
#                (only with FULL=1: at 100,000 it takes as long as cold)
#
#   scripts/export-bench.sh                  # 100,000 certificates
#   N=20000 scripts/export-bench.sh
#   OUT=/dev/shm/site scripts/export-bench.sh   # export to memory, to
#                                               # see the disk's share
#   DB=/tmp/100k.db scripts/export-bench.sh     # reuse a registry (its log
#                                               # is sequenced again)
#
# Needs sqlite3, curl and GNU time (/usr/bin/time). Binds only to 127.0.0.1 (serve runs a moment to sequence the log). The
# work folder is removed at the end unless KEEP=1.
set -euo pipefail

N=${N:-100000}
PORT=${PORT:-18190}
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/certreg-export.XXXXXX)
out=${OUT:-$work/site}
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
	[ -n "${KEEP:-}" ] || [ -z "${OUT:-}" ] || rm -rf "$OUT"
}
trap cleanup EXIT

go build -o "$work/certreg" ./cmd/certreg
if [ -n "${DB:-}" ]; then
	cp "$DB" "$work/registry.db"
	N=$(sqlite3 "$work/registry.db" 'SELECT count(*) FROM certificates')
else
	echo "== generating and importing $N certificates (work folder $work)"
	awk -v n="$N" -f scripts/gencsv.awk > "$work/certs.csv"
	t0=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$work/import.cpu" "$work/certreg" import --db "$work/registry.db" "$work/certs.csv" | tail -1
	t1=$(date +%s.%N)
	awk -v n="$N" -v a="$t0" -v b="$t1" -v cpu="$(cat "$work/import.cpu")" -v size="$(stat -c %s "$work/registry.db")" \
		'BEGIN { split(cpu, c, " "); t = c[1] + c[2]; printf "== import      %7.1f s wall, %7.0f rows/s; %7.1f s processor, %7.0f rows per processor-second; %.0f bytes a certificate\n", b - a, n / (b - a), t, n / t, size / n }'
fi

# sequence: serve signs the log's checkpoint at start; wait until it holds
# every event.
sequence() {
	"$work/certreg" serve --db "$work/registry.db" --keys "$work/keys" --addr "127.0.0.1:$PORT" \
		--base-url https://certreg.example.cn --demo=false --access-log=false > "$work/serve.log" 2>&1 &
	pid=$!
	local want size=
	want=$(sqlite3 "$work/registry.db" 'SELECT count(*) FROM events WHERE certificate_id IS NOT NULL')
	for _ in $(seq 1200); do
		size=$(curl -sf "http://127.0.0.1:$PORT/log/checkpoint" | sed -n 2p || true)
		[ "$size" = "$want" ] && break
		sleep 0.5
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	echo "   log size ${size:-none} of $want events"
}

export_run() { # label, extra flags
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$work/export.cpu" \
		"$work/certreg" export --db "$work/registry.db" --keys "$work/keys" --out "$out" \
		--base-url https://certreg.example.cn "${@:2}" > "$work/export.out" 2>&1
	t1=$(date +%s.%N)
	grep '^exported' "$work/export.out" | sed "s/^/   /"
	# Wall time on a shared machine waits for the processor as much as it
	# works; the processor time (user + system) is the export's own cost.
	awk -v l="$1" -v n="$N" -v a="$t0" -v b="$t1" -v cpu="$(cat "$work/export.cpu")" \
		'BEGIN { split(cpu, c, " "); t = c[1] + c[2]; printf "== %-11s %7.1f s wall, %7.0f certificates/s; %7.1f s processor, %7.0f certificates per processor-second\n", l, b - a, n / (b - a), t, n / t }'
}

echo "== sequencing the log"
sequence
export_run cold --cpuprofile "$work/cold.prof"
# Where the cold run's processor time went.
go tool pprof -top -nodecount=25 "$work/certreg" "$work/cold.prof" 2>/dev/null | sed -n '4,32p' | sed 's/^/   /'
export_run unchanged

echo "== changing 10 certificates"
head -11 "$work/certs.csv" 2>/dev/null | sed '2,$ s/售后服务,/售后服务（含上门服务）,/' > "$work/ten.csv" || true
if [ -s "$work/ten.csv" ]; then
	"$work/certreg" import --db "$work/registry.db" "$work/ten.csv" | tail -1
else
	echo "   (DB given: no CSV to change; the incremental run changes nothing)"
fi
sequence
export_run incremental
[ -z "${FULL:-}" ] || export_run full --full
echo "== $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1) in $out"
