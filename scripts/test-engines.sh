#!/bin/bash
# The container engines the Docker backend's tests run against: Debian's dockerd and podman's Docker-compatible
# service, each on a private socket, data root, config and bridge, so the host's own engine configuration
# (/etc/docker, /var/lib/docker, /run/docker.sock, /etc/containers) is never read or touched.
#
#   scripts/test-engines.sh start   # both engines up; prints their DOCKER_HOST URLs
#   scripts/test-engines.sh stop    # their containers removed, engines stopped, bridges deleted (data roots kept:
#                                   # the imported rootfs image is cached there by digest)
#
# Networking stays on two bridges on this machine (no iptables NAT from dockerd: published ports go through its
# userland proxy; podman's CNI portmap and firewall plugins add rules only for its own containers) and loopback.
set -euo pipefail
ROOT=${CLOCHE_ENGINES_ROOT:-/var/lib/cloche-test-engines}
RUN=${CLOCHE_ENGINES_RUN:-/run/cloche-test-engines}
DOCKER_BRIDGE=clochedk0 DOCKER_NET=10.250.0.1/24
PODMAN_BRIDGE=clochepd0 PODMAN_SUBNET=10.250.1.0/24 PODMAN_GATEWAY=10.250.1.1

podman_cmd() {
  CONTAINERS_CONF=$ROOT/podman/containers.conf podman --root "$ROOT/podman/storage" --runroot "$RUN/podman/run" \
    --storage-driver overlay "$@"
}

ping_socket() { curl -sf --max-time 2 --unix-socket "$1" http://engine/_ping >/dev/null 2>&1; }

wait_socket() {
  for _ in $(seq 150); do ping_socket "$1" && return 0; sleep 0.2; done
  echo "engine on $1 did not answer; its log:" >&2; tail -20 "$2" >&2; return 1
}

start_dockerd() {
  mkdir -p "$ROOT/docker" "$RUN/docker"
  ping_socket "$RUN/docker.sock" && return 0
  ip link show $DOCKER_BRIDGE >/dev/null 2>&1 || ip link add $DOCKER_BRIDGE type bridge
  ip addr show dev $DOCKER_BRIDGE | grep -q "${DOCKER_NET%/*}/" || ip addr add $DOCKER_NET dev $DOCKER_BRIDGE
  ip link set $DOCKER_BRIDGE up
  echo '{}' > "$ROOT/docker/daemon.json"
  # dockerd keeps its bridge network's address in its network store and puts it back on the bridge at start: a
  # store from a run with another DOCKER_NET would bring back an address that may overlap a test's pool
  rm -f "$ROOT/docker/data/network/files/local-kv.db"
  # its own containerd under the exec root; cgroupfs (no systemd here); no iptables, no masquerading. dockerd 20.10
  # writes its libtrust key to /etc/docker/key.json whatever its flags say, so it runs in a mount namespace of its
  # own where /etc/docker is a private directory (its container mounts stay out of the host's table too)
  mkdir -p "$ROOT/docker/etc"
  setsid unshare --mount --propagation private -- /bin/sh -c '
    mount --bind "$1/docker/etc" /etc/docker && shift && exec "$@"' sh "$ROOT" \
    dockerd --config-file "$ROOT/docker/daemon.json" --data-root "$ROOT/docker/data" \
    --exec-root "$RUN/docker/exec" --pidfile "$RUN/docker/dockerd.pid" -H "unix://$RUN/docker.sock" \
    --bridge $DOCKER_BRIDGE --iptables=false --ip6tables=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent cloche-dockerd --storage-driver overlay2 \
    > "$RUN/docker/dockerd.log" 2>&1 < /dev/null &
  wait_socket "$RUN/docker.sock" "$RUN/docker/dockerd.log"
}

start_podman() {
  mkdir -p "$ROOT/podman/net" "$RUN/podman/tmp"
  ping_socket "$RUN/podman.sock" && return 0
  # podman lowers its own RLIMIT_NPROC to 32768 and cannot raise a container's limits above its own (no
  # CAP_SYS_RESOURCE in every VM), so containers get exactly what it has
  local nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  cat > "$ROOT/podman/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUN/podman/events.log"
runtime = "runc"
# an exec's conmon stays 5 minutes after the exec by default (Docker keeps exec inspect that long); the backend
# reads the status at once, so 30 s keeps a test run from piling up hundreds of them
exit_command_delay = 30
tmp_dir = "$RUN/podman/tmp"
[network]
network_backend = "cni"
network_config_dir = "$ROOT/podman/net"
default_network = "cloche-podman"
default_subnet = "$PODMAN_SUBNET"
cni_plugin_dirs = ["/usr/lib/cni"]
EOF
  cat > "$ROOT/podman/net/cloche-podman.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "cloche-podman",
  "plugins": [
    { "type": "bridge", "bridge": "$PODMAN_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "routes": [{ "dst": "0.0.0.0/0" }],
                "ranges": [[{ "subnet": "$PODMAN_SUBNET", "gateway": "$PODMAN_GATEWAY" }]] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" }
  ] }
EOF
  # started directly, not through podman_cmd: $! must be podman's own pid for stop
  CONTAINERS_CONF=$ROOT/podman/containers.conf setsid podman --root "$ROOT/podman/storage" --runroot "$RUN/podman/run" \
    --storage-driver overlay system service --time 0 "unix://$RUN/podman.sock" \
    > "$RUN/podman/service.log" 2>&1 < /dev/null &
  echo $! > "$RUN/podman/service.pid"
  wait_socket "$RUN/podman.sock" "$RUN/podman/service.log"
}

stop_dockerd() {
  local pid
  pid=$(cat "$RUN/docker/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    for id in $(curl -sf --unix-socket "$RUN/docker.sock" 'http://engine/containers/json?all=1' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
      curl -sf -X DELETE --unix-socket "$RUN/docker.sock" "http://engine/containers/$id?force=1&v=1" >/dev/null || true
    done
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  ip link del $DOCKER_BRIDGE 2>/dev/null || true
  # dockerd makes its --cgroup-parent in every hierarchy and leaves it behind: remove it once it is empty
  find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name cloche-dockerd 2>/dev/null | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

stop_podman() {
  if [ -f "$ROOT/podman/containers.conf" ]; then
    podman_cmd rm --all --force --time 0 >/dev/null 2>&1 || true
  fi
  local pid
  pid=$(cat "$RUN/podman/service.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$RUN/podman.sock" "$RUN/podman/service.pid"
  # podman keeps its storage mounted while the service runs
  grep -o " $ROOT/podman/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  ip link del $PODMAN_BRIDGE 2>/dev/null || true
}

case "${1:-}" in
  start) start_dockerd; start_podman
         echo "dockerd: unix://$RUN/docker.sock"; echo "podman:  unix://$RUN/podman.sock" ;;
  stop)  stop_podman; stop_dockerd ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
