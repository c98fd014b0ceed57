#!/bin/bash
# The engine row of `make bench` (ENGINE=true): a second, private daemon on the docker backend over the test dockerd
# (scripts/test-engines.sh), beside the bench's own daemon on the Linux backend.
#
#   scripts/bench-engine.sh start BENCH_DIR ROOTFS   # engines up (started here only if they were down), daemon up
#   scripts/bench-engine.sh stop BENCH_DIR           # daemon stopped; engines stopped only if this script started them
set -euo pipefail
RUN=${CLOCHE_ENGINES_RUN:-/run/cloche-test-engines}
here=$(cd "$(dirname "$0")" && pwd)
dir=$2

case "${1:-}" in
  start)
    rootfs=$3
    if ! curl -sf --max-time 2 --unix-socket "$RUN/docker.sock" http://engine/_ping >/dev/null 2>&1; then
      CLOCHE_ENGINES_RUN=$RUN "$here/test-engines.sh" start >/dev/null
      touch "$dir/engines-started-here"
    fi
    "$here/../bin/clocheD" --listen none --socket "$dir/garden-docker.sock" --depot "$dir/docker-depot" --rootfs "$rootfs" \
      --backend docker --docker-host "unix://$RUN/docker.sock" --backend-setting owner=cloche-bench \
      > "$dir/daemon-docker.log" 2>&1 < /dev/null &
    echo $! > "$dir/daemon-docker.pid"
    for _ in $(seq 300); do [ -S "$dir/garden-docker.sock" ] && exit 0; sleep 0.1; done
    echo "the docker-backend daemon did not start; its log:" >&2; tail -20 "$dir/daemon-docker.log" >&2
    "$0" stop "$dir"; exit 1 ;;
  stop)
    pid=$(cat "$dir/daemon-docker.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    if [ -f "$dir/engines-started-here" ]; then
      CLOCHE_ENGINES_RUN=$RUN "$here/test-engines.sh" stop
      rm -f "$dir/engines-started-here"
    fi ;;
  *) echo "usage: $0 start BENCH_DIR ROOTFS | stop BENCH_DIR" >&2; exit 2 ;;
esac
