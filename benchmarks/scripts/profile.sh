#!/usr/bin/env bash
# CPU profile of one benchmark run, gateway and load client together: `perf record -a` over the
# measured run of a warmed gateway, then per-process, per-thread and per-symbol tables.
#
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/profile.sh broadcast|batch|unicast [OUT_DIR]
#
#   broadcast  the matrix's unpaced row: wsload broadcast --n 5000 --m 100 --s 200 (Node client)
#   unicast    the matrix's unpaced row: wsload unicast --n 5000 --k 50000 --c 64 (Node client)
#   batch      gatewayctl bench batch --n 5000 --k 200000 --c 8 --b 100 (our Java client;
#              the Node client has no batch scenario)
#
# Needs perf (linux-perf) with kernel.perf_event_paranoid <= 1 or root. Java frames are named
# through the JVMs' perf maps (`jcmd PID Compiler.perfmap` for the gateway,
# -XX:+DumpPerfMapAtExit for the Java load client); Node frames through --perf-basic-prof.
# WARMUPS (4) unrecorded runs of the scenario first, so the gateway's hot paths are compiled (C2).
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
SCEN="${1:?usage: profile.sh broadcast|batch|unicast [OUT_DIR]}"
OUT_DIR="${2:-/tmp/profile-$SCEN-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT_DIR"
CONF="${CONF:-/tmp/bench-gw.yaml}"
[[ -f "$CONF" ]] || printf 'listeners:\n  - url: websocket://127.0.0.1:8282\ncontrol:\n  listen: http://127.0.0.1:8283\n' > "$CONF"
ulimit -n "$(ulimit -Hn)"

start_gateway "$CONF" "$OUT_DIR/gateway.log" 8283 || exit 1
trap 'kill $GPID 2>/dev/null' EXIT

run_once() { # label
  case "$SCEN" in
    broadcast|unicast)
      local row="broadcast --n 5000 --m 100 --s 200"
      [[ "$SCEN" == unicast ]] && row="unicast --n 5000 --k 50000 --c 64"
      # shellcheck disable=SC2086
      (cd "$BENCH" && NODE_OPTIONS=--perf-basic-prof-only-functions \
        bash run.sh external $row --target gateway --server-pid $GPID --json --quiet --label "$1") ;;
    batch)
      GATEWAYD_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" \
        "$GW/bin/gatewayctl" bench --control-url http://127.0.0.1:8283 --ws-url ws://127.0.0.1:8282/ \
        --server-pid "$GPID" --json batch --n 5000 --k 200000 --c 8 --b 100 ;;
    *) echo "profile.sh: unknown scenario $SCEN" >&2; exit 2 ;;
  esac
}

for i in $(seq 1 "${WARMUPS:-4}"); do
  echo ">> warm-up $i: $SCEN" >&2
  run_once warmup >> "$OUT_DIR/warmup.json"
done
echo ">> measured $SCEN under perf" >&2
perf record -a -g -F 999 -k realtime -o "$OUT_DIR/perf.data" -- bash -c "$(declare -f run_once); \
  SCEN=$SCEN GW=$GW BENCH=$BENCH GPID=$GPID run_once profiled" > "$OUT_DIR/run.json" 2> "$OUT_DIR/perf.log"
jcmd "$GPID" Compiler.perfmap > /dev/null
cat "$OUT_DIR/run.json"

# The tables cover the push phase only (connecting 5,000 clients is a different profile): perf's
# timestamps are wall-clock (-k realtime), and the run's JSON says when it started and how long
# each phase took.
WINDOW="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop());
  const t0 = Date.parse(r.date) / 1000;
  // wsload: run_s ends at the last receipt, duration_s runs from the first push to it.
  // gatewayctl bench: connect, bind and warm-up come before the push phase (push_s).
  const [a, b] = r.run_s !== undefined
    ? [t0 + r.run_s - r.duration_s, t0 + r.run_s]
    : [t0 + r.connect_s + (r.bind_s || 0) + (r.warmup_s || 0), t0 + r.connect_s + (r.bind_s || 0) + (r.warmup_s || 0) + r.push_s];
  console.log(a.toFixed(3) + "," + b.toFixed(3));' "$OUT_DIR/run.json")"
echo "push phase (perf time window): $WINDOW" > "$OUT_DIR/window.txt"
report() { perf report -i "$OUT_DIR/perf.data" --stdio --no-children --time "$WINDOW" "$@" 2>/dev/null | grep -v '^#' | grep -v '^$'; }
# The gateway's process name in perf is "java" like the Java load client's; its pid tells them apart.
report -g none --sort pid --percent-limit 0.5 > "$OUT_DIR/by-process.txt"
report -g none --sort comm --percent-limit 0.5 > "$OUT_DIR/by-thread.txt"
report -g none --sort comm,sym --percent-limit 0.4 > "$OUT_DIR/all-symbols.txt"
# The gateway alone, as shares of its own samples.
report -g none --pid "$GPID" --percentage relative --sort comm --percent-limit 0.5 > "$OUT_DIR/gateway-threads.txt"
report -g none --pid "$GPID" --percentage relative --sort sym > "$OUT_DIR/gateway-symbols.txt"
# Kernel ([k]), Java methods (JIT-compiled, named with their signature), the JVM itself (C++:
# GC, compiler) and the rest.
awk '{ p = $1; sub("%", "", p)
       if ($2 == "[k]") k += p; else if ($0 ~ /\(/) j += p; else if ($3 ~ /::|^[A-Z][A-Za-z]+$/) v += p; else o += p }
     END { printf "kernel %.1f %%  Java %.1f %%  JVM %.1f %%  other %.1f %%\n", k, j, v, o }' \
  "$OUT_DIR/gateway-symbols.txt" > "$OUT_DIR/gateway-split.txt"
echo "$OUT_DIR"
