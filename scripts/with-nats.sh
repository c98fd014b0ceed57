#!/usr/bin/env bash
# with-nats.sh HOST PORT COMMAND...: runs COMMAND (the daemon, by `make run`) beside a private nats-server on
# HOST:PORT, and stops that server when COMMAND exits. Used when no NATS URL is configured.
set -u
host=$1 port=$2; shift 2
store=$(mktemp -d /tmp/cloche-nats.XXXXXX)
nats-server -a "$host" -p "$port" -sd "$store" > "$store/nats.log" 2>&1 &
nats=$!
cleanup() { kill "$nats" 2>/dev/null; wait "$nats" 2>/dev/null; rm -rf "$store"; }
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break
  kill -0 "$nats" 2>/dev/null || { echo "nats-server did not start:" >&2; cat "$store/nats.log" >&2; exit 1; }
  sleep 0.1
done
echo "nats-server on nats://$host:$port (pid $nats), stopped when the daemon exits"
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM
wait "$child"; rc=$?
# a signal interrupts the first wait: wait again for the daemon's own shutdown
while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
exit $rc
