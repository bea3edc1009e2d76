#!/usr/bin/env bash
# abuse.sh: the attacks of issue 13 against a real `certreg serve` on
# 127.0.0.1 with a temporary registry (the demo data and one publisher).
#
#   scripts/abuse.sh                    # every attack, 8 s each
#   DURATION=4s scripts/abuse.sh        # shorter
#   ONLY=image scripts/abuse.sh         # the attacks whose name has "image"
#
# It builds certreg, makes every bomb itself (a 4000×4000 16-bit PNG of
# about 125 KB, an XLSX of a million shared strings, one whose styles.xml
# unpacks to 1 GB and one whose sheet unpacks to 1.2 GB), and runs each
# attack from one address and from 20 (127.0.0.10–29), printing per attack
# the server's peak resident memory, its slowest /healthz answer, what a
# reviewer's page view, QR image check and batch check answered meanwhile,
# and the statuses the attack got. The aim: under 300 MB, /healthz within
# 1 s, the reviewer answered. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/certreg-abuse-bin.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/certreg" ./cmd/certreg
go build -o "$work/abuse" ./scripts/abuse
"$work/abuse" --certreg "$work/certreg" --duration "${DURATION:-8s}" --only "${ONLY:-}"
