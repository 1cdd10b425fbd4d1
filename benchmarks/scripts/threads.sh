#!/usr/bin/env bash
# Server threads (and transports) on a 2-core box shared with the load client: nchan with 2 and 1
# nginx workers (fresh per run) against gatewayd processes, each warmed up by two unrecorded runs
# of each row first. The peers alternate within each repetition, so slow spells of the machine
# hit all of them. JSON lines to $OUT.
#
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/threads.sh
#   ONLY="unicast --n 5000 --k 50000 --c 64" REPS=5 benchmarks/scripts/threads.sh   # some rows, ';' between
#
# GATEWAYS lists the gatewayd set-ups as LABEL:IO_THREADS:TRANSPORT[:MAX_LOOP_BACKLOG] (default:
# io-threads 0, one per CPU, and 1, both on node.transport auto); NCHAN_WORKERS the nchan ones.
#   GATEWAYS="uring-t0:0:io_uring epoll-t0:0:epoll uring-t1-8k:1:io_uring:8192" benchmarks/scripts/threads.sh
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
REPS="${REPS:-3}"
GATEWAYS="${GATEWAYS:-gatewayd-t0:0:auto gatewayd-t1:1:auto}"
NCHAN_WORKERS="${NCHAN_WORKERS:-2 1}"
cd "$BENCH"
mkdir -p results
OUT="${OUT:-results/threads-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
SCRATCH="$(mktemp -d)"
ROWS=("broadcast --n 5000 --m 100 --s 200" "unicast --n 5000 --k 50000 --c 64"
      "broadcast --n 5000 --m 50 --s 200 --rate 10" "unicast --n 5000 --k 25000 --c 64 --rate 5000")
if [[ -n "${ONLY:-}" ]]; then IFS=';' read -ra ROWS <<< "$ONLY"; fi
ulimit -n "$(ulimit -Hn)"

PIDS=(); LABELS=(); PORTS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
start_gateway() { # label threads transport backlog ws-port control-port
  local label=$1 threads=$2 transport=$3 backlog=$4 ws=$5 api=$6
  {
    printf 'node:\n  io-threads: %s\n  transport: %s\n' "$threads" "$transport"
    printf 'listeners:\n  - url: websocket://127.0.0.1:%s\ncontrol:\n  listen: http://127.0.0.1:%s\n' "$ws" "$api"
    if [[ -n "$backlog" ]]; then printf 'outbound:\n  max-loop-backlog: %s\n' "$backlog"; fi
  } > "$SCRATCH/$label.yaml"
  mkdir -p "$SCRATCH/home-$label"
  # shellcheck disable=SC2086
  java $OPTS -Dgatewayd.home="$SCRATCH/home-$label" -cp "$GW/target/gatewayd.jar:$GW/target/lib/*" \
    io.gatewayd.cli.GatewayCtl start -q --config "$SCRATCH/$label.yaml" > "$SCRATCH/$label.log" 2>&1 &
  PIDS+=($!); LABELS+=("$label"); PORTS+=("$ws:$api")
  for _ in $(seq 1 100); do curl -sf "localhost:$api/health" > /dev/null && return; sleep 0.2; done
  echo "gatewayd $label did not start; see $SCRATCH/$label.log" >&2
  exit 1
}
port=8382
for g in $GATEWAYS; do
  IFS=: read -r label threads transport backlog <<< "$g"
  start_gateway "$label" "$threads" "$transport" "${backlog:-}" "$port" "$((port + 1))"
  port=$((port + 100))
done
gateway_run() { # index label row...
  local i=$1 label=$2; shift 2
  # shellcheck disable=SC2068
  node wsload.js $@ --target gateway --ws-port "${PORTS[$i]%:*}" --api-port "${PORTS[$i]#*:}" \
    --server-pid "${PIDS[$i]}" --json --quiet --label "$label"
}
for row in "${ROWS[@]}"; do
  for _ in 1 2; do
    for i in "${!PIDS[@]}"; do gateway_run "$i" warmup $row > /dev/null 2>&1; done
  done
done
for rep in $(seq 1 "$REPS"); do
  for row in "${ROWS[@]}"; do
    echo ">> rep$rep $row" >&2
    for w in $NCHAN_WORKERS; do
      # shellcheck disable=SC2086
      NCHAN_WORKERS=$w bash run.sh nchan $row --json --quiet --label "nchan-w$w" >> "$OUT" || echo "   (failed)" >&2
    done
    for i in "${!PIDS[@]}"; do
      gateway_run "$i" "${LABELS[$i]}" $row >> "$OUT" || echo "   (failed)" >&2
    done
  done
done
echo "$OUT"
