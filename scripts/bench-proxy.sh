#!/usr/bin/env bash
# bench-proxy.sh [SECONDS]: the proxy's overhead, side by side with nginx as a reverse proxy to the same container
# and with no proxy at all. A private daemon (own depot, network pool, ports), one environment (busybox httpd),
# wrk on loopback for SECONDS (default 10) per target, 2 threads and 16 connections. Installs nginx and wrk if
# missing. Prints a markdown table (requests/s, p50, p99) and writes it to docs/benchmarks/proxy.md.
set -euo pipefail
SECS=${1:-10}
cd "$(dirname "$0")/.."
command -v nginx >/dev/null && command -v wrk >/dev/null || \
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx wrk; }
D=$(mktemp -d /tmp/cloche-bench-proxy.XXXXXX); chmod 711 "$D"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PPORT=$(port); NPORT=$(port)
bin/clocheD --listen none --socket "$D/g.sock" --depot "$D/depot" --rootfs /var/lib/cloche/rootfs \
  --init-binary /var/lib/cloche/bin/cloche-init --backend-setting cgroupParent=cloche-bench-proxy \
  --backend-setting runtimeRoot="$D/rt" --backend-setting networkPool=10.249.0.0/24 --backend-setting networkPrefix=clbp \
  --backend-setting portPool=45000-45099 --proxy-listen 127.0.0.1:$PPORT > "$D/daemon.log" 2>&1 &
DAEMON=$!
cleanup() {
  [ -f "$D/nginx.pid" ] && kill "$(cat "$D/nginx.pid")" 2>/dev/null || true
  for h in $(bin/cloche --socket "$D/g.sock" list 2>/dev/null); do bin/cloche --socket "$D/g.sock" destroy "$h" || true; done
  kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null || true
  rm -rf "$D"
}
trap cleanup EXIT
for _ in $(seq 200); do [ -S "$D/g.sock" ] && bin/cloche --socket "$D/g.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
ID=$(curl -sS -X POST "http://127.0.0.1:$PPORT/demo/new" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
IP=$(bin/cloche --socket "$D/g.sock" info "proxy-$ID" | awk '/container ip/ {print $3}')
cat > "$D/nginx.conf" <<CONF
worker_processes 1; pid $D/nginx.pid; error_log $D/nginx.err; daemon on;
events { worker_connections 1024; }
http { access_log off; upstream env { server $IP:8080; keepalive 32; }
  server { listen 127.0.0.1:$NPORT; location /demo/$ID/ { proxy_pass http://env/; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_set_header X-Forwarded-For \$remote_addr; } } }
CONF
nginx -c "$D/nginx.conf"
row() { # name url
  local out; out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$2")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99"
}
{
  echo "# Proxy overhead, $(date -u +%FT%TZ)"
  echo
  echo "wrk -t2 -c16 -d${SECS}s on loopback, one busybox httpd environment serving a 40-byte page; this 2-core VM."
  echo
  echo "| target | requests/s | p50 | p99 |"
  echo "|---|---:|---:|---:|"
  row "direct to the container (no proxy)" "http://$IP:8080/"
  row "nginx 1.22 reverse proxy (upstream keep-alive)" "http://127.0.0.1:$NPORT/demo/$ID/"
  row "cloche proxy" "http://127.0.0.1:$PPORT/demo/$ID/"
} | tee docs/benchmarks/proxy.md
