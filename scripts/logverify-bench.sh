#!/usr/bin/env bash
# logverify-bench.sh: times `certreg log verify` (the log's audit and the
# row audit, one read snapshot) on a large registry, the figure of
# docs/transparency-log.md. Prints each run's wall and CPU time and the
# medians.
#
#   DB=/tmp/1m.db scripts/logverify-bench.sh        # a registry already sequenced
#   N=1000000 scripts/logverify-bench.sh            # generate, import, sequence first (slow)
#   RUNS=5 DB=… scripts/logverify-bench.sh
#
# Needs GNU time (/usr/bin/time). The work folder is removed at the end.
set -euo pipefail

N=${N:-1000000}
RUNS=${RUNS:-3}
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/certreg-logverify.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/certreg" ./cmd/certreg

db=${DB:-}
if [ -z "$db" ]; then
	db=$work/registry.db
	echo "== generating and importing $N certificates"
	awk -v n="$N" -f scripts/gencsv.awk > "$work/certs.csv"
	"$work/certreg" import --db "$db" "$work/certs.csv" | tail -1
	rm "$work/certs.csv"
	cat > "$work/key.go" <<'GO'
package main

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	k, _, err := note.GenerateKey(rand.Reader, "certreg.example.cn/log")
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
}
GO
	go run "$work/key.go" > "$work/signer.key"
	echo "== sequencing the log"
	"$work/certreg" log sequence --db "$db" --origin certreg.example.cn/log --signer-key "@$work/signer.key" | sed -n 2p
fi

for i in $(seq "$RUNS"); do
	/usr/bin/time -f "%e %U %S %M" -o "$work/time.$i" "$work/certreg" log verify --db "$db" > "$work/out.$i" || true
	tail -1 "$work/out.$i"
	read -r wall user sys rss < "$work/time.$i"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	echo "run $i: $wall s wall, $cpu s CPU, $((rss / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
	echo "$wall $cpu" >> "$work/times"
done
sort -n -k1 "$work/times" | awk '{ w[NR] = $1 } END { printf "median wall %.1f s\n", w[int((NR + 1) / 2)] }'
sort -n -k2 "$work/times" | awk '{ c[NR] = $2 } END { printf "median CPU  %.1f s\n", c[int((NR + 1) / 2)] }'
