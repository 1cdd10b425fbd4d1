#!/usr/bin/env bash
# Server threads on a 2-core box shared with the load client: nchan with 2 and 1 nginx workers
# (fresh per run) against gatewayd with io-threads 0 (one per CPU, the default) and 1 (two
# processes, both warmed up by two unrecorded runs of each row first). The four alternate within
# each repetition, so slow spells of the machine hit all of them. JSON lines to $OUT.
#
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/threads.sh
#   ONLY="unicast --n 5000 --k 50000 --c 64" REPS=5 benchmarks/scripts/threads.sh   # one row
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
REPS="${REPS:-3}"
cd "$BENCH"
mkdir -p results
OUT="${OUT:-results/threads-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
SCRATCH="$(mktemp -d)"
ROWS=("broadcast --n 5000 --m 100 --s 200" "unicast --n 5000 --k 50000 --c 64"
      "broadcast --n 5000 --m 50 --s 200 --rate 10" "unicast --n 5000 --k 25000 --c 64 --rate 5000")
if [[ -n "${ONLY:-}" ]]; then ROWS=("$ONLY"); fi
ulimit -n "$(ulimit -Hn)"

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
start_gateway() { # threads ws-port control-port
  printf 'node:\n  io-threads: %s\nlisteners:\n  - url: websocket://127.0.0.1:%s\ncontrol:\n  listen: http://127.0.0.1:%s\n' \
    "$1" "$2" "$3" > "$SCRATCH/gw-$1.yaml"
  mkdir -p "$SCRATCH/home-$1"
  # shellcheck disable=SC2086
  java $OPTS -Dgatewayd.home="$SCRATCH/home-$1" -cp "$GW/target/gatewayd.jar:$GW/target/lib/*" \
    io.gatewayd.cli.GatewayCtl start -q --config "$SCRATCH/gw-$1.yaml" > "$SCRATCH/gw-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "localhost:$3/health" > /dev/null && return; sleep 0.2; done
  echo "gatewayd (io-threads $1) did not start; see $SCRATCH/gw-$1.log" >&2
  exit 1
}
start_gateway 0 8382 8383; GW2=${PIDS[0]}
start_gateway 1 8482 8483; GW1=${PIDS[1]}
gateway_run() { # pid ws-port control-port label row...
  local pid=$1 ws=$2 api=$3 label=$4; shift 4
  # shellcheck disable=SC2068
  node wsload.js $@ --target gateway --ws-port "$ws" --api-port "$api" --server-pid "$pid" --json --quiet \
    --label "$label"
}
for row in "${ROWS[@]}"; do
  for _ in 1 2; do
    gateway_run "$GW2" 8382 8383 warmup $row > /dev/null 2>&1
    gateway_run "$GW1" 8482 8483 warmup $row > /dev/null 2>&1
  done
done
for rep in $(seq 1 "$REPS"); do
  for row in "${ROWS[@]}"; do
    echo ">> rep$rep $row" >&2
    for w in 2 1; do
      # shellcheck disable=SC2086
      NCHAN_WORKERS=$w bash run.sh nchan $row --json --quiet --label "nchan-w$w" >> "$OUT" || echo "   (failed)" >&2
    done
    gateway_run "$GW2" 8382 8383 gatewayd-t0 $row >> "$OUT" || echo "   (failed)" >&2
    gateway_run "$GW1" 8482 8483 gatewayd-t1 $row >> "$OUT" || echo "   (failed)" >&2
  done
done
echo "$OUT"
