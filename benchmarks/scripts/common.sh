# Sourced by the benchmark scripts: the checkout (GW, its build in target/), the copy of
# ../shared/bench with `npm install` done (BENCH), and the gateway's JVM options as
# conf/jvm.options gives them (OPTS).
GW="${GW:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BENCH="${BENCH:-/tmp/bench}"
OPTS="$(grep -v '^#' "$GW/conf/jvm.options" | sed 's/ #.*//' | grep -v '^$' | tr '\n' ' ')"

# Starts the checkout's gateway in the background with CONFIG, output to LOG, and waits until
# its control port PORT answers /health. Sets GPID.
start_gateway() { # CONFIG LOG PORT
  # shellcheck disable=SC2086
  java $OPTS -cp "$GW/target/gatewayd.jar:$GW/target/lib/*" io.gatewayd.cli.GatewayCtl start -q --config "$1" \
    > "$2" 2>&1 &
  GPID=$!
  for _ in $(seq 1 100); do curl -sf "localhost:$3/health" > /dev/null && return 0; sleep 0.2; done
  echo "the gateway did not answer on 127.0.0.1:$3 within 20 s; see $2" >&2
  return 1
}
