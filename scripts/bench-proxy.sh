#!/usr/bin/env bash
# bench-proxy.sh [SECONDS]: the proxy's overhead, side by side with nginx as a reverse proxy to the same container
# and with no proxy at all, for two servers in environments:
#  * kahttpd (cloche-proxy/src/test/native/kahttpd.c, built static here and bind-mounted in): HTTP/1.1 keep-alive,
#    backlog 1024. It shows what the proxies themselves cost (both reuse their upstream connections).
#  * busybox httpd (the default template): closes every connection and listens with a backlog of 9, so every request
#    is a new upstream connection and connection bursts overflow its listen queue (each dropped connection costs a 1 s
#    SYN retransmission: that is the p99, and the throughput follows how many occur). The "listen drops" column counts
#    them in the container during the row.
# A private daemon (own depot, network pool, ports), wrk on loopback, 2 threads and 16 connections. Per server: an
# unmeasured warm-up of WARM seconds (default 5) per target (the daemon's JIT compiles the relay during its first
# seconds; a proxy that has served for a while is warm), then ROUNDS (default 3) rounds of SECONDS (default 10) per
# target in turn; the median round is reported, with the CPU time the proxy process (nginx's master and workers,
# the daemon's JVM) spent per request, which a shared machine's load moves much less than requests/s. About
# 2 x 3 x (WARM + ROUNDS x SECONDS) seconds in all. Installs nginx and wrk if missing. Prints a markdown table and
# writes it to docs/benchmarks/proxy.md.
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
# CPU time (user+system, in clock ticks) of a process and its children's threads: /proc/PID/stat fields 14 and 15
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo $t; }
HZ=$(getconf CLK_TCK)
NGINX_PIDS="$(cat "$D/nginx.pid") $(pgrep -P "$(cat "$D/nginx.pid")" | tr '\n' ' ')"
measure() { # server target-index url pids... -> appends "rps p50 p99 drops cpu-us-per-request" to $D/res.<server>.<index>
  local server=$1 idx=$2 url=$3; shift 3
  local before t0 out
  before=$(drops "$server"); t0=$( [ $# -gt 0 ] && ticks "$@" || echo 0 )
  out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$url")
  local t1 n; t1=$( [ $# -gt 0 ] && ticks "$@" || echo 0 ); n=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '%s %s %s %s %s\n' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(( $(drops "$server") - before ))" \
    "$( [ $# -gt 0 ] && awk -v d=$(( t1 - t0 )) -v n="$n" -v hz="$HZ" 'BEGIN {printf "%.0f", d * 1e6 / hz / n}' || echo -)" \
    >> "$D/res.$server.$idx"
}
ROUNDS=${ROUNDS:-3}
NAMES=("direct to the container (no proxy)" "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') (upstream keep-alive)" "cloche proxy")
{
  echo "# Proxy overhead, $(date -u +%FT%TZ)"
  echo
  echo "\`scripts/bench-proxy.sh $SECS\`: wrk -t2 -c16 -d${SECS}s on loopback; per server, $ROUNDS rounds of the three targets in turn"
  echo "after ${WARM}s of unmeasured warm-up each; the row with the median requests/s of its target is shown. This 2-core VM"
  echo "is shared (other builds and benchmarks may run at the same time), so requests/s move with the load; the CPU"
  echo "time the proxy process spent per request (user+system, from /proc) depends much less on it."
  echo "kahttpd keeps connections alive (backlog 1024); busybox httpd closes each one (backlog 9)."
  echo "Listen drops: connections the container's listen queue dropped during the row; each costs a 1 s SYN retry."
  echo
  echo "| server | target | requests/s | p50 | p99 | listen drops | proxy CPU per request |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for t in kahttpd busybox; do
    URLS=("http://${IP[$t]}:8080/" "http://127.0.0.1:$NPORT/demo/${ID[$t]}/" "http://127.0.0.1:$PPORT/demo/${ID[$t]}/")
    for i in 0 1 2; do [ "$WARM" -gt 0 ] && wrk -t2 -c16 -d"${WARM}s" "${URLS[$i]}" >/dev/null; done
    for _ in $(seq "$ROUNDS"); do
      measure $t 0 "${URLS[0]}"
      measure $t 1 "${URLS[1]}" $NGINX_PIDS
      measure $t 2 "${URLS[2]}" "$DAEMON"
    done
    for i in 0 1 2; do
      sort -n "$D/res.$t.$i" | awk -v n="$ROUNDS" -v s="$t" -v name="${NAMES[$i]}" 'NR == int((n + 1) / 2) {
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", s, name, $1, $2, $3, $4, ($5 == "-" ? "-" : $5 " µs") }'
    done
  done
} | tee docs/benchmarks/proxy.md
# the main report's front-end row gets the keep-alive server's figures (busybox httpd's are in proxy.md)
if [ -f docs/benchmarks/latest.md ]; then
  row=$(awk -F' [|] ' '{sub(/ [|]$/, "", $7)} $1 ~ /kahttpd/ && $2 ~ /cloche/ {c=$3; cc=$7} $1 ~ /kahttpd/ && $2 ~ /nginx/ {n=$3; nc=$7}
    END {printf "keep-alive server: Cloche %s requests/s, %s of proxy CPU per request; nginx %s requests/s, %s", c, cc, n, nc}' docs/benchmarks/proxy.md)
  sed -i "s#^| proxy overhead vs nginx |.*#| proxy overhead vs nginx | $row | [proxy.md](proxy.md), \`scripts/bench-proxy.sh\` after this report |#" docs/benchmarks/latest.md
fi
