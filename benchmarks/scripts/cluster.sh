#!/usr/bin/env bash
# cluster.sh start N [cluster|single] | stop   (run it in the bench copy: it uses ./gw, writes ./pids)
# Starts a redis-server (no persistence) on $REDIS_PORT and N gatewayd processes sharing ws port
# $WS_PORT (reuse-port), control ports $API_PORT, $API_PORT+10, ...; prints the gateway PIDs.
# JAVA_OPTS adds JVM options (e.g. -Xmn24m), GC_OPTS replaces -XX:+UseParallelGC; IO_THREADS sets node.io-threads (default 0: one per CPU); SHARE_LOOPS=true sets cluster.share-event-loops. First: mkdir -p gw && cp -r $GW/target/gatewayd.jar $GW/target/lib gw/
set -euo pipefail
HERE="${HERE:-$(pwd)}"  # the bench copy: wsload.js, and gw/ holding the build (gatewayd.jar, lib/)
WS_PORT="${WS_PORT:-8282}"; API_PORT="${API_PORT:-8283}"; REDIS_PORT="${REDIS_PORT:-16399}"
ulimit -n "$(ulimit -Hn)"
case "$1" in
  start)
    N="$2"; MODE="${3:-cluster}"
    : > "$HERE/pids"
    if [[ "$MODE" == cluster ]]; then
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --loglevel warning > "$HERE/redis.log" 2>&1 &
      echo "redis $!" >> "$HERE/pids"
      sleep 0.5
    fi
    for ((i = 0; i < N; i++)); do
      cp="$HERE/gw/gatewayd.jar:$HERE/gw/lib/*"
      {
        echo "node:"
        echo "  io-threads: ${IO_THREADS:-0}"
        echo "listeners:"
        echo "  - url: websocket://127.0.0.1:$WS_PORT"
        echo "    reuse-port: true"
        echo "control:"
        echo "  listen: http://127.0.0.1:$((API_PORT + i * 10))"
        echo "paths:"
        echo "  run-dir: $HERE/run/n$i"
        if [[ "$MODE" == cluster ]]; then
          echo "cluster:"
          echo "  redis: redis://127.0.0.1:$REDIS_PORT/0"
          echo "  key-prefix: bench"
          echo "  share-event-loops: ${SHARE_LOOPS:-false}"
        fi
      } > "$HERE/n$i.yaml"
      java ${JAVA_OPTS:-} -Xms256m -Xmx1500m ${GC_OPTS:--XX:+UseParallelGC} -cp "$cp" io.gatewayd.cli.GatewayCtl start -q \
        -c "$HERE/n$i.yaml" > "$HERE/n$i.log" 2>&1 &
      echo "gw $!" >> "$HERE/pids"
    done
    for ((i = 0; i < N; i++)); do
      for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$((API_PORT + i * 10))") 2>/dev/null && break; sleep 0.1; done
    done
    sleep 2
    awk '$1=="gw"{print $2}' "$HERE/pids" | paste -sd, ;;
  stop)
    while read -r kind pid; do kill -TERM "$pid" 2>/dev/null || true; done < "$HERE/pids"
    while read -r kind pid; do
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done < "$HERE/pids"
    : > "$HERE/pids" ;;
esac
