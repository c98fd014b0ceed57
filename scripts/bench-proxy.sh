#!/usr/bin/env bash
# bench-proxy.sh [SECONDS]: the proxy's overhead, side by side with nginx as a reverse proxy to the same container
# and with no proxy at all, for two servers in environments:
#  * kahttpd (cloche-proxy/src/test/native/kahttpd.c, built static here and bind-mounted in): HTTP/1.1 keep-alive,
#    backlog 1024. It shows what the proxies themselves cost (both reuse their upstream connections).
#  * busybox httpd (the default template): closes every connection and listens with a backlog of 9, so every request
#    is a new upstream connection and connection bursts overflow its listen queue (each dropped connection costs a 1 s
#    SYN retransmission: that is the p99, and the throughput follows how many occur). The "listen drops" column counts
#    them in the container during the row.
# A private daemon (own depot, network pool, ports), wrk on loopback for SECONDS (default 10) per row, 2 threads and
# 16 connections, after an unmeasured warm-up of WARM seconds (default 5) per row: the daemon's JIT compiles the relay
# during its first seconds, and a proxy that has served for a while is warm. Installs nginx and wrk if missing.
# Prints a markdown table and writes it to docs/benchmarks/proxy.md.
set -euo pipefail
SECS=${1:-10}
WARM=${WARM:-5}
cd "$(dirname "$0")/.."
command -v nginx >/dev/null && command -v wrk >/dev/null || \
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx wrk; }
D=$(mktemp -d /tmp/cloche-bench-proxy.XXXXXX); chmod 711 "$D"
gcc -static -O2 -o "$D/kahttpd" cloche-proxy/src/test/native/kahttpd.c
cat > "$D/templates.json" <<JSON
[{"name": "busybox", "command": ["/bin/sh", "-c", "mkdir -p /www && echo '<h1>Hello from a Cloche environment</h1>' > /www/index.html && exec httpd -f -p 8080 -h /www"], "port": 8080},
 {"name": "kahttpd", "command": ["/opt/kahttpd", "8080"], "port": 8080, "binds": ["$D/kahttpd:/opt/kahttpd"]}]
JSON
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PPORT=$(port); NPORT=$(port)
bin/clocheD --listen none --socket "$D/g.sock" --depot "$D/depot" --rootfs /var/lib/cloche/rootfs \
  --init-binary /var/lib/cloche/bin/cloche-init --backend-setting cgroupParent=cloche-bench-proxy \
  --backend-setting runtimeRoot="$D/rt" --backend-setting networkPool=10.249.0.0/24 --backend-setting networkPrefix=clbp \
  --backend-setting portPool=45000-45099 --proxy-listen 127.0.0.1:$PPORT --proxy-config "$D/templates.json" \
  > "$D/daemon.log" 2>&1 &
DAEMON=$!
cleanup() {
  [ -f "$D/nginx.pid" ] && kill "$(cat "$D/nginx.pid")" 2>/dev/null || true
  for h in $(bin/cloche --socket "$D/g.sock" list 2>/dev/null); do bin/cloche --socket "$D/g.sock" destroy "$h" || true; done
  kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null || true
  rm -rf "$D"
}
trap cleanup EXIT
for _ in $(seq 200); do [ -S "$D/g.sock" ] && bin/cloche --socket "$D/g.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
declare -A ID IP CPID
for t in busybox kahttpd; do
  ID[$t]=$(curl -sS -X POST "http://127.0.0.1:$PPORT/demo/new?template=$t" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
  [ -n "${ID[$t]}" ] || { echo "cannot create a $t environment" >&2; cat "$D/daemon.log" >&2; exit 1; }
  IP[$t]=$(bin/cloche --socket "$D/g.sock" info "proxy-${ID[$t]}" | awk '/container ip/ {print $3}')
  # the container's network namespace, through its init's pid (runc state under this daemon's runtime root)
  CPID[$t]=$(runc --root "$D/rt" state "proxy-${ID[$t]}" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
done
cat > "$D/nginx.conf" <<CONF
worker_processes 1; pid $D/nginx.pid; error_log $D/nginx.err; daemon on;
events { worker_connections 1024; }
http { access_log off;
  upstream busybox { server ${IP[busybox]}:8080; keepalive 32; }
  upstream kahttpd { server ${IP[kahttpd]}:8080; keepalive 32; }
  server { listen 127.0.0.1:$NPORT; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For \$remote_addr;
    location /demo/${ID[busybox]}/ { proxy_pass http://busybox/; }
    location /demo/${ID[kahttpd]}/ { proxy_pass http://kahttpd/; } } }
CONF
nginx -c "$D/nginx.conf"
drops() { nsenter -t "${CPID[$1]}" -n nstat -az TcpExtListenDrops | awk '$1=="TcpExtListenDrops" {print $2}'; }
row() { # server target-name url
  [ "$WARM" -gt 0 ] && wrk -t2 -c16 -d"${WARM}s" "$3" >/dev/null
  local before out; before=$(drops "$1"); out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$3")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$p50" "$p99" "$(( $(drops "$1") - before ))"
}
{
  echo "# Proxy overhead, $(date -u +%FT%TZ)"
  echo
  echo "\`scripts/bench-proxy.sh $SECS\`: wrk -t2 -c16 -d${SECS}s on loopback after ${WARM}s of unmeasured warm-up per row;"
  echo "one environment per server; this 2-core VM (shared: other builds and benchmarks may run at the same time)."
  echo "kahttpd keeps connections alive (backlog 1024); busybox httpd closes each one (backlog 9)."
  echo "Listen drops: connections the container's listen queue dropped during the row; each costs a 1 s SYN retry."
  echo
  echo "| server | target | requests/s | p50 | p99 | listen drops |"
  echo "|---|---|---:|---:|---:|---:|"
  for t in kahttpd busybox; do
    row $t "direct to the container (no proxy)" "http://${IP[$t]}:8080/"
    row $t "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') (upstream keep-alive)" "http://127.0.0.1:$NPORT/demo/${ID[$t]}/"
    row $t "cloche proxy" "http://127.0.0.1:$PPORT/demo/${ID[$t]}/"
  done
} | tee docs/benchmarks/proxy.md
