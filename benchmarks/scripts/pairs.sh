#!/usr/bin/env bash
# One matrix row, nchan and the warmed gateway alternating run by run, so both see the same
# machine: nchan fresh for every run on its fixed ports (8282/8283), one gatewayd process on
# 8382/8383 for all runs, after WARMUPS (4) unrecorded runs (C2 settles after 4–5 unicast runs).
# REPS (5) runs each; JSON lines to OUT. GW_NODE_YAML adds settings under the gateway's `node:`
# (e.g. GW_NODE_YAML='transport: epoll').
#
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/pairs.sh broadcast --n 5000 --m 100 --s 200
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/pairs.sh unicast --n 5000 --k 50000 --c 64
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
[[ $# -ge 1 ]] || { sed -n '2,7p' "$0" >&2; exit 2; }
ROW=("$@")
cd "$BENCH"
mkdir -p results
OUT="${OUT:-results/pairs-$1-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
ulimit -n "$(ulimit -Hn)"
CONF=/tmp/bench-gw-pairs.yaml
printf 'listeners:\n  - url: websocket://127.0.0.1:8382\ncontrol:\n  listen: http://127.0.0.1:8383\n' > "$CONF"
[[ -n "${GW_NODE_YAML:-}" ]] && printf 'node:\n  %s\n' "$GW_NODE_YAML" >> "$CONF"
start_gateway "$CONF" /tmp/bench-gw-pairs.log 8383 || exit 1
trap 'kill $GPID 2>/dev/null' EXIT
gateway_run() { # label
  WS_PORT=8382 API_PORT=8383 bash run.sh external "${ROW[@]}" --target gateway --server-pid "$GPID" \
    --ws-port 8382 --api-port 8383 --json --quiet --label "$1"
}
for _ in $(seq 1 "${WARMUPS:-4}"); do gateway_run warmup > /dev/null; done
for rep in $(seq 1 "${REPS:-5}"); do
  echo ">> rep$rep ${ROW[*]}" >&2
  bash run.sh nchan "${ROW[@]}" --json --quiet --label nchan >> "$OUT" || echo "   (nchan failed)" >&2
  gateway_run gatewayd-warm >> "$OUT" || echo "   (gatewayd failed)" >&2
done
echo "$OUT"
