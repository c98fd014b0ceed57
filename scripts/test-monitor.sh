#!/bin/bash
# Tests native/cloche-monitor.c against runc with a busybox container. Run as root from anywhere:
#   scripts/test-monitor.sh          (CMT_BASE=/dev/shm puts all scratch files on tmpfs, as production should)
# Builds the monitor, creates one container (cgroup /cloche-mon-test/<id>), runs tests (a)-(i), prints timings,
# and removes everything it created (container, cgroup dirs, monitors, scratch dir) via the EXIT trap.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/usr/bin/busybox}
W=$(mktemp -d "${CMT_BASE:-/tmp}/cmt.XXXXXX")   # short: DIR/console.sock must fit in sun_path; CMT_BASE=/dev/shm for tmpfs
CID=cmt-$$-$RANDOM
CG=cloche-mon-test
R=$W/state
MON=$W/cloche-monitor
PASS=0 FAIL=0

cleanup() {
    local rc=$? f p
    # Monitors we started: only those whose pid file is in our scratch dir and whose cmdline is ours.
    for f in "$W"/p/*/monitor.pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f")
        if tr '\0' ' ' 2>/dev/null < /proc/"$p"/cmdline | grep -q "^$MON "; then kill -KILL "$p" 2>/dev/null; fi
    done
    if [ -d "$R" ]; then
        "$RUNC" --root "$R" delete --force "$CID" >/dev/null 2>&1
    fi
    for c in /sys/fs/cgroup/*/"$CG"; do
        [ -d "$c" ] || continue
        rmdir "$c"/* 2>/dev/null; rmdir "$c" 2>/dev/null || echo "warning: could not remove $c" >&2
    done
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()  { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
die() { echo "fatal: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---- build ----
gcc -static -O2 -Wall -Wextra -Werror -o "$MON" "$HERE/native/cloche-monitor.c" || die "build failed"

# ---- rootfs and bundle ----
B=$W/b
mkdir -p "$B/rootfs"/{bin,proc,dev,sys,tmp} "$R" "$W/p" || die mkdir
cp "$BUSYBOX" "$B/rootfs/bin/busybox" || die "copy busybox"
for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "$B/rootfs/bin/$a"; done
(cd "$B" && "$RUNC" spec) || die "runc spec"
python3 - "$B/config.json" "/$CG/$CID" <<'EOF' || die "edit config.json"
import json, sys
p, cg = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["process"]["args"] = ["sleep", "100000"]
c["process"]["terminal"] = False
c["process"]["env"] = ["PATH=/bin", "TERM=xterm"]
c["root"]["readonly"] = True
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]})
c["linux"]["cgroupsPath"] = cg
json.dump(c, open(p, "w"), indent=1)
EOF
"$RUNC" --root "$R" run --detach --bundle "$B" "$CID" </dev/null >/dev/null 2>"$W/run.err" || die "runc run: $(cat "$W/run.err")"

# mkproc FILE TTY ARGS...: the container's process object with new args (what the daemon writes to process.json).
mkproc() {
    python3 - "$B/config.json" "$@" <<'EOF'
import json, sys
cfg, out, tty, args = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
p = json.load(open(cfg))["process"]
p["args"] = args
p["terminal"] = tty
if tty and len(sys.argv) > 4 and sys.argv[4].startswith("--size="):   # runc applies it before exec: no race
    r, c = sys.argv[4][7:].split("x"); p["args"] = args[1:]
    p["consoleSize"] = {"height": int(r), "width": int(c)}
json.dump(p, open(out, "w"))
EOF
}

# start NAME [--tty RxC] -- ARGS...: runs ARGS through the monitor in DIR=$W/p/NAME; sets D, LINE, RC.
start() {
    local name=$1 tty=() cs=()
    shift
    if [ "$1" = --tty ]; then tty=(--tty "$2"); cs=(--console-socket @CONSOLE@); shift 2; fi
    shift
    D=$W/p/$name
    mkdir -p "$D"
    if [ ${#tty[@]} -gt 0 ]; then mkproc "$D/process.json" 1 "--size=${tty[1]}" "$@" || die mkproc
    else mkproc "$D/process.json" 0 "$@" || die mkproc; fi
    LINE=$("$MON" "${tty[@]}" "$D" -- "$RUNC" --root "$R" --log "$D/runtime.log" --log-format json \
        exec --detach --pid-file "$D/pid" --process "$D/process.json" "${cs[@]}" "$CID") && RC=0 || RC=$?
}

# wait_exit [SECONDS]: waits for $D/exit and the monitor to be gone; prints the code (empty on timeout).
wait_exit() {
    local n=$(( ${1:-10} * 50 )) mp
    while [ ! -f "$D/exit" ] && [ $n -gt 0 ]; do sleep 0.02; n=$((n - 1)); done
    mp=$(cat "$D/monitor.pid" 2>/dev/null)
    while [ -n "$mp" ] && grep -q '^State:.*[RSD]' /proc/"$mp"/status 2>/dev/null && [ $n -gt 0 ]; do
        sleep 0.02; n=$((n - 1))
    done
    cat "$D/exit" 2>/dev/null
}

# send FILE TEXT: writes to a FIFO without ever hanging the test (O_NONBLOCK: ENXIO if nobody reads it).
send() {
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
os.write(fd, sys.argv[2].encode())' "$1" "$2"
}

zombies() { ps -eo stat= | grep -c '^Z'; }
Z0=$(zombies)

# (a) stdout and stderr land directly in the files; exit 0
start a -- sh -c 'echo out1; echo err1 >&2; echo out2'
code=$(wait_exit)
if [ $RC = 0 ] && [[ $LINE =~ ^[0-9]+$ ]] && [ "$code" = 0 ] && [ "$(cat "$D/stdout")" = $'out1\nout2' ] \
    && [ "$(cat "$D/stderr")" = err1 ]; then ok "(a) echo: stdout/stderr files, exit 0"
else bad "(a) rc=$RC line=$LINE code=$code stdout=$(cat "$D/stdout") stderr=$(cat "$D/stderr")"; fi

# (b) exit code
start b -- sh -c 'exit 7'
code=$(wait_exit)
[ $RC = 0 ] && [ "$code" = 7 ] && ok "(b) exit 7" || bad "(b) rc=$RC code=$code"

# (c) stdin: the daemon opens DIR/stdin O_WRONLY|O_NONBLOCK, writes, closes; close-stdin gives EOF
start c -- cat
ok_c=1
python3 - "$D" <<'EOF' || ok_c=0
import os, sys, time
d = sys.argv[1]
fd = os.open(d + "/stdin", os.O_WRONLY | os.O_NONBLOCK)   # never blocks: the process holds a reader
os.set_blocking(fd, True)                                 # EPIPE (not a hang) if the process goes away
os.write(fd, b"hello stdin\n")
os.close(fd)                                              # the daemon's writer closing is NOT EOF ...
for _ in range(250):
    if open(d + "/stdout", "rb").read() == b"hello stdin\n": break
    time.sleep(0.02)
else: sys.exit("no echo: %r" % open(d + "/stdout", "rb").read())
time.sleep(0.3)
if os.path.exists(d + "/exit"): sys.exit("process saw EOF without close-stdin")
fd = os.open(d + "/stdin", os.O_WRONLY | os.O_NONBLOCK)   # a re-attached daemon can write again
os.write(fd, b"second\n")
os.close(fd)
c = os.open(d + "/ctl", os.O_WRONLY | os.O_NONBLOCK)     # ... close-stdin is
os.write(c, b"close-stdin\n")
os.close(c)
EOF
code=$(wait_exit)
if [ $ok_c = 1 ] && [ "$code" = 0 ] && [ "$(cat "$D/stdout")" = $'hello stdin\nsecond' ]; then
    # once the process is gone, opening stdin for writing fails at once (ENXIO) instead of blocking
    if python3 -c 'import os,sys
try: os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK); sys.exit(1)
except OSError as e: sys.exit(0 if e.errno == 6 else 1)' "$D/stdin"; then ok "(c) stdin via FIFO, close-stdin -> EOF, exit 0, ENXIO afterwards"
    else bad "(c) open of stdin after exit did not fail with ENXIO"; fi
else bad "(c) ok=$ok_c code=$code stdout=$(cat "$D/stdout")"; fi

# (d) signals sent by the daemon straight to the host pid
start d1 -- sleep 1000
kill -KILL "$LINE"
code=$(wait_exit)
[ $RC = 0 ] && [ "$code" = 137 ] && ok "(d) SIGKILL -> 137" || bad "(d) KILL rc=$RC code=$code"
start d2 -- sleep 1000
kill -TERM "$LINE"
code=$(wait_exit)
[ $RC = 0 ] && [ "$code" = 143 ] && ok "(d) SIGTERM -> 143" || bad "(d) TERM rc=$RC code=$code"

# (d3) signals to the monitor: HUP is ignored (the monitor stays), TERM is forwarded to the process
start d3 -- sleep 1000
mp=$(cat "$D/monitor.pid")
kill -HUP "$mp"; sleep 0.2
if grep -q '^State:.*[RSD]' /proc/"$mp"/status 2>/dev/null && [ ! -e "$D/exit" ]; then
    kill -TERM "$mp"
    code=$(wait_exit)
    [ "$code" = 143 ] && ok "(d) SIGHUP to monitor ignored, SIGTERM to monitor forwarded -> 143" || bad "(d3) code=$code"
else bad "(d3) monitor died on SIGHUP"; kill -KILL "$LINE"; fi

# (d4) a launcher that ignores SIGCHLD and SIGTERM (SIG_IGN survives exec; an ignored SIGCHLD auto-reaps children,
# which would lose the exit code): the monitor must reset them
D=$W/p/d4
mkdir -p "$D"
mkproc "$D/process.json" 0 sleep 1000 || die mkproc
LINE=$(python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$MON" "$D" -- "$RUNC" --root "$R" --log "$D/runtime.log" \
    --log-format json exec --detach --pid-file "$D/pid" --process "$D/process.json" "$CID") && RC=0 || RC=$?
[ -s "$D/monitor.pid" ] && kill -TERM "$(cat "$D/monitor.pid")"
code=$(wait_exit)
[ $RC = 0 ] && [ "$code" = 143 ] && ok "(d) launcher ignoring CHLD and TERM: exit code kept, TERM forwarded -> 143" \
    || { bad "(d4) rc=$RC line=$LINE code=$code"; [[ $LINE =~ ^[0-9]+$ ]] && kill -KILL "$LINE" 2>/dev/null; }

# (e) runtime failure: one error line carrying the runtime's message, exit 1, no exit file
start e -- /nonexistent/prog
sleep 0.1
if [ $RC = 1 ] && [[ $LINE == error:* ]] && [[ $LINE == *nonexistent* ]] && [ ! -e "$D/exit" ] \
    && [ ! -e "$D/console.sock" ]; then ok "(e) missing executable -> '$LINE'"
else bad "(e) rc=$RC line=$LINE exit=$(cat "$D/exit" 2>/dev/null)"; fi

# (f) the launcher (a shell standing in for the daemon) is SIGKILLed right after the pid line
D=$W/p/f
mkdir -p "$D"
mkproc "$D/process.json" 0 sh -c 'for i in 1 2 3; do echo $i; sleep 1; done; exit 5' || die mkproc
bash -c 'read -r l < <("$@"); echo "$l" > "'"$D"'/line"; kill -STOP $$' wrapper "$MON" "$D" -- "$RUNC" \
    --root "$R" --log "$D/runtime.log" --log-format json exec --detach --pid-file "$D/pid" \
    --process "$D/process.json" "$CID" &
wpid=$!
n=250; while [ ! -s "$D/line" ] && [ $n -gt 0 ]; do sleep 0.02; n=$((n - 1)); done
kill -KILL "$wpid"; wait "$wpid" 2>/dev/null
code=$(wait_exit 15)
if [[ $(cat "$D/line") =~ ^[0-9]+$ ]] && [ "$code" = 5 ] && [ "$(cat "$D/stdout")" = $'1\n2\n3' ]; then
    ok "(f) launcher killed -9: output 1 2 3 and exit 5 kept"
else bad "(f) line=$(cat "$D/line") code=$code stdout=$(cat "$D/stdout")"; fi

# (g) TTY: initial size, resize via ctl, input via stdin FIFO, \r\n output, stderr merged
start g --tty 24x80 -- sh -c 'stty size; read x; stty size; echo to-stderr >&2'
sleep 0.3
send "$D/ctl" $'resize 40 100\n'
send "$D/stdin" $'go\n'
code=$(wait_exit)
out=$(cat "$D/stdout")
if [ $RC = 0 ] && [ "$code" = 0 ] && [[ $out == $'24 80\r\n'*$'40 100\r\n'*$'to-stderr\r' ]] \
    && [ ! -s "$D/stderr" ] && [ ! -e "$D/console.sock" ]; then ok "(g) TTY: 24 80 then 40 100, \\r\\n, stderr merged"
else bad "(g) rc=$RC code=$code stdout=$(printf %q "$out") stderr=$(cat "$D/stderr")"; fi

# (g2) TTY close-stdin -> EOT -> cat ends
start g2 --tty 24x80 -- cat
send "$D/stdin" $'abc\n'
sleep 0.2
send "$D/ctl" $'close-stdin\n'
code=$(wait_exit)
[ "$code" = 0 ] && grep -q abc "$D/stdout" && ok "(g2) TTY close-stdin -> EOT, exit 0" \
    || bad "(g2) code=$code stdout=$(cat "$D/stdout" | od -c | head -3)"

# (h) lossless: 20 MB of random bytes, sha256 inside the container vs the file
t0=$(date +%s%N)
start h -- sh -c 'head -c 20000000 /dev/urandom | tee /tmp/x; sha256sum /tmp/x >&2; rm /tmp/x'
code=$(wait_exit 60)
t1=$(date +%s%N)
inside=$(cut -d' ' -f1 < "$D/stderr")
outside=$(sha256sum < "$D/stdout" | cut -d' ' -f1)
size=$(stat -c %s "$D/stdout")
if [ "$code" = 0 ] && [ "$size" = 20000000 ] && [ "$inside" = "$outside" ]; then
    ok "(h) 20 MB lossless (sha256 $inside), $(( (t1 - t0) / 1000000 )) ms end to end"
else bad "(h) code=$code size=$size inside=$inside outside=$outside"; fi

# ---- timings: /bin/true, direct foreground exec vs through the monitor until the exit code is known ----
mkproc "$W/true.json" 0 /bin/true || die mkproc
python3 - "$MON" "$RUNC" "$R" "$CID" "$W" <<'EOF' || bad "timings"
import os, select, statistics, subprocess, sys, time
mon, runc, root, cid, w = sys.argv[1:]
direct, detach, line, via = [], [], [], []
for i in range(20):
    t = time.perf_counter()
    subprocess.run([runc, "--root", root, "exec", "--process", w + "/true.json", cid], check=True)
    direct.append(time.perf_counter() - t)
    t = time.perf_counter()   # the runtime alone in the mode the monitor uses (exit code lost)
    subprocess.run([runc, "--root", root, "exec", "--detach", "--process", w + "/true.json", cid], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    detach.append(time.perf_counter() - t)
    d = "%s/p/t%d" % (w, i)
    os.mkdir(d)
    t = time.perf_counter()
    r = subprocess.run([mon, d, "--", runc, "--root", root, "--log", d + "/runtime.log", "--log-format", "json",
                        "exec", "--detach", "--pid-file", d + "/pid", "--process", w + "/true.json", cid],
                       stdout=subprocess.PIPE, check=True)
    line.append(time.perf_counter() - t)
    # exit known: the monitor writes DIR/exit, then exits; a pidfd tells us when it is gone
    try:
        fd = os.pidfd_open(int(open(d + "/monitor.pid").read()))
        select.select([fd], [], [])
        os.close(fd)
    except ProcessLookupError:
        pass
    via.append(time.perf_counter() - t)
    assert open(d + "/exit").read() == "0", "exit file"
m = lambda v: statistics.median(v) * 1000
print("timing: /bin/true, median of 20 interleaved: runc exec direct (foreground) %.1f ms; runc exec --detach alone "
      "%.1f ms; via cloche-monitor: pid line %.1f ms, exit known %.1f ms (%.2fx direct)"
      % (m(direct), m(detach), m(line), m(via), m(via) / m(direct)))
EOF

# (i) nothing left, checked after the timing runs too: every monitor gone, not even as a zombie (PID 1 reaps late
# on this VM, so wait up to 10 s); only the init runs in the container, not a zombie; and no zombie anywhere has a
# monitor or a container process as its parent. Zombies of unrelated processes on the machine are not counted.
mons=$(cat "$W"/p/*/monitor.pid 2>/dev/null | tr '\n' ' ')
n=200
while :; do
    left=0
    for p in $mons; do grep -qs '^Name:[[:space:]]*cloche-monitor' /proc/"$p"/status && left=$((left + 1)); done
    [ $left = 0 ] || [ $n = 0 ] && break
    sleep 0.05; n=$((n - 1))
done
cpids=$("$RUNC" --root "$R" ps --format json "$CID" | python3 -c 'import json, sys; print(" ".join(map(str, json.load(sys.stdin))))')
cps=$(wc -w <<< "$cpids")
zc=0
for p in $cpids; do grep -qs '^State:[[:space:]]*Z' /proc/"$p"/status && zc=$((zc + 1)); done
zp=$(ps -eo stat=,ppid= | awk -v L=" $cpids $mons " '$1 ~ /^Z/ && index(L, " " $2 " ") { n++ } END { print n + 0 }')
if [ $left = 0 ] && [ "$cps" = 1 ] && [ $zc = 0 ] && [ "$zp" = 0 ]; then
    ok "(i) $(wc -w <<< "$mons") monitors all gone, only the init in the container, no zombies of ours (machine-wide: $(zombies), before: $Z0)"
else bad "(i) monitors left=$left container processes=$cps container zombies=$zc zombies with our parents=$zp"
    ps -eo pid,ppid,stat,args | awk '$3 ~ /^Z/'; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
