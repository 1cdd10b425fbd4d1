#!/usr/bin/env bash
# A/B of two builds of gatewayd on the unicast row, with the project's load client, warmed up,
# alternating builds so that drift in the machine hits both alike.
#   BASE=/path/to/old-checkout HEAD=/path/to/new-checkout ROUNDS=3 RUNS=2 benchmarks/scripts/ab-builds.sh
# Both checkouts must be built (mvn -DskipTests package). Output: JSON lines with "label" base|head.
set -u
BASE=${BASE:?checkout of the old build} HEAD=${HEAD:?checkout of the new build}
ROUNDS=${ROUNDS:-3} RUNS=${RUNS:-2} OUT=${OUT:-ab-builds.jsonl}
CONFIG=${CONFIG:-/tmp/bench-gw.yaml}   # as in BENCHMARKS.md: one websocket listener, control on loopback
ulimit -n "$(ulimit -Hn)"
OPTS="$(grep -v '^#' "$HEAD/conf/jvm.options" | sed 's/ #.*//' | grep -v '^$' | tr '\n' ' ')"
run() { # label checkout
  local label=$1 dir=$2 home
  home=$(mktemp -d)
  # shellcheck disable=SC2086
  java $OPTS -Dgatewayd.home="$home" -cp "$dir/target/gatewayd.jar:$dir/target/lib/*" io.gatewayd.cli.GatewayCtl \
    start -q --config "$CONFIG" --ws-port 8782 --control-port 8783 > "$home/gateway.log" 2>&1 &
  local pid=$!
  for _ in $(seq 150); do curl -sf localhost:8783/health > /dev/null && break; sleep 0.2; done
  local bench=("$HEAD/bin/gatewayctl" bench --control-url http://127.0.0.1:8783 --ws-url ws://127.0.0.1:8782/ --server-pid "$pid")
  "${bench[@]}" unicast --n 5000 --k 50000 --c 64 > /dev/null 2>&1   # warm-up, not recorded
  for _ in $(seq "$RUNS"); do
    "${bench[@]}" unicast --n 5000 --k 50000 --c 64 --json 2>/dev/null | sed "s/^{/{\"label\":\"$label\",/" >> "$OUT"
  done
  kill "$pid"; wait "$pid" 2>/dev/null
  rm -rf "$home"
}
for _ in $(seq "$ROUNDS"); do run base "$BASE"; run head "$HEAD"; done
