#!/usr/bin/env bash
# 10 connect/disconnect cycles of 15,000 clients against one gateway, a full GC after each:
# connections, live heap, RSS and Netty direct memory must come back, not grow.
#   GW=/path/to/checkout BENCH=/tmp/bench benchmarks/scripts/leak.sh
set -uo pipefail
# shellcheck source=benchmarks/scripts/common.sh
source "$(dirname "$0")/common.sh"
CONF="${CONF:-/tmp/bench-gw.yaml}"
start_gateway "$CONF" /tmp/gw-leak.log 8283 || exit 1
trap 'kill $GPID 2>/dev/null' EXIT
cd "$BENCH" && ulimit -n "$(ulimit -Hn)"
printf "cycle  ready  current_after  live_heap_MiB  rss_MiB  direct_KiB\n"
for c in $(seq 0 10); do
  READY=-
  if [ "$c" -gt 0 ]; then
    node wsload.js connect --n 15000 --hold 1 --target gateway --json --quiet > /tmp/leak-c.json 2>/dev/null
    READY=$(python3 -c "import json;print(json.load(open('/tmp/leak-c.json')).get('ready'))")
  fi
  for _ in $(seq 1 100); do
    n=$(curl -s localhost:8283/api/getAllClientIdCount | python3 -c "import json,sys;print(json.load(sys.stdin)['result'])")
    [ "$n" = 0 ] && break; sleep 0.1
  done
  jcmd $GPID GC.run > /dev/null
  python3 - "$c" "$READY" "$(curl -s localhost:8283/api/status)" <<'PY'
import json, sys
c, ready, s = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])['result']
j = s['jvm']
print("%5s  %5s  %13d  %13.1f  %7.1f  %10d" % (c, ready, s['connections']['current'], j['heap_used'] / 2**20,
                                             j['rss'] / 2**20, j['direct_used'] // 1024))
PY
done
