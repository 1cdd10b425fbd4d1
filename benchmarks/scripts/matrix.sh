#!/usr/bin/env bash
# The matrix of BENCHMARKS.md: nchan and gatewayd (a fresh process per run), then gatewayd warmed
# up (one process, one unrecorded run of each row first). REPS runs of each row; JSON lines to $OUT.
#
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/matrix.sh
#
# BENCH is a copy of ../shared/bench with `npm install` done; nchan needs nginx and
# libnginx-mod-nchan; the gateway is the checkout's build (mvn -B -DskipTests package).
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
REPS="${REPS:-3}"
cd "$BENCH"
mkdir -p results
OUT="${OUT:-results/matrix-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
CONF="${CONF:-/tmp/bench-gw.yaml}"
[[ -f "$CONF" ]] || printf 'listeners:\n  - url: websocket://127.0.0.1:8282\ncontrol:\n  listen: http://127.0.0.1:8283\n' > "$CONF"
export PEER_CMD="java $OPTS -cp $GW/target/gatewayd.jar:$GW/target/lib/* io.gatewayd.cli.GatewayCtl start -q --config $CONF"
ROWS=("broadcast --n 5000 --m 100 --s 200" "unicast --n 5000 --k 50000 --c 64"
      "broadcast --n 5000 --m 50 --s 200 --rate 10" "unicast --n 5000 --k 25000 --c 64 --rate 5000"
      "connect --n 10000")
ulimit -n "$(ulimit -Hn)"
for rep in $(seq 1 "$REPS"); do
  for row in "${ROWS[@]}"; do
    for peer in nchan cmd; do
      echo ">> $peer rep$rep $row" >&2
      # shellcheck disable=SC2086
      bash run.sh $peer $row --json --quiet --label "$peer-fresh" >> "$OUT" || echo "   (failed)" >&2
    done
  done
done
start_gateway "$CONF" /tmp/bench-gw-warm.log 8283 || exit 1
trap 'kill $GPID 2>/dev/null' EXIT
for row in "${ROWS[@]}"; do
  echo ">> warm-up $row" >&2
  # shellcheck disable=SC2086
  bash run.sh external $row --target gateway --server-pid $GPID --json --quiet --label warmup >> "$OUT.warmup"
done
for rep in $(seq 1 "$REPS"); do
  for row in "${ROWS[@]}"; do
    echo ">> warm rep$rep $row" >&2
    # shellcheck disable=SC2086
    bash run.sh external $row --target gateway --server-pid $GPID --json --quiet --label gatewayd-warm >> "$OUT" \
      || echo "   (failed)" >&2
  done
done
echo "$OUT"
