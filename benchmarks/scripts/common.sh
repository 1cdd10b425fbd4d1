# Sourced by the benchmark scripts: the checkout (GW, its build in target/), the copy of
# ../shared/bench with `npm install` done (BENCH), and the gateway's JVM options as
# conf/jvm.options gives them (OPTS).
GW="${GW:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BENCH="${BENCH:-/tmp/bench}"
OPTS="$(grep -v '^#' "$GW/conf/jvm.options" | sed 's/ #.*//' | grep -v '^$' | tr '\n' ' ')"
