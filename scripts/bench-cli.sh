#!/usr/bin/env bash
# Start-up of bin/cloche (docs/benchmarks.md, "CLI start-up"): the median wall time, in ms, of N runs of each case
# after one warm-up run each, the cases taken in turn (A B C A B C ...) so that the machine's drift hits all alike.
#
#   scripts/bench-cli.sh [-n N] [--socket PATH] [DIR]
#
# Cases: `ping` against the daemon on --socket PATH (skipped without it), `ping` with nothing listening, and
# `--help`; each as bin/cloche starts by default (through its AOT cache) and without the cache (CLOCHE_AOT=off).
# DIR: the Cloche tree whose bin/cloche is measured (default: this one), e.g. an older commit's, built; a launcher
# that knows no AOT cache gets only the default cases. Run one tree at a time: a heavier launcher run in turn with
# a lighter one slowed the lighter one's next starts here. Each run's output is discarded; the exit codes are
# listed, to see that every run of a case did the same.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
n=10 socket="" tree="$here"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    --socket) socket="$2"; shift 2 ;;
    -*) echo "usage: $0 [-n N] [--socket PATH] [DIR]" >&2; exit 2 ;;
    *) tree="$(cd "$1" && pwd)"; shift ;;
  esac
done
cloche="$tree/bin/cloche"
absent="$(mktemp -u /tmp/cloche-bench-absent-XXXXXX.sock)"

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
for verb in ping-daemon ping-nothing help; do
  case "$verb" in
    ping-daemon) [ -n "$socket" ] || continue; args="--socket $socket ping" ;;
    ping-nothing) args="--socket $absent ping" ;;
    help) args="--help" ;;
  esac
  if grep -q CLOCHE_AOT "$cloche"; then
    add "$verb, no cache" "env CLOCHE_AOT=off $cloche $args"
    add "$verb, AOT cache" "$cloche $args"
  else
    add "$verb" "$cloche $args"
  fi
done

declare -A times codes
for i in "${!cmds[@]}"; do ${cmds[$i]} >/dev/null 2>&1 || true; done # warm-up: page cache, first-run costs
for ((r = 0; r < n; r++)); do
  for i in "${!cmds[@]}"; do
    start=$EPOCHREALTIME
    rc=0; ${cmds[$i]} >/dev/null 2>&1 || rc=$?
    end=$EPOCHREALTIME
    times[$i]+="$(( (${end/./} - ${start/./}) / 1000 )) "
    codes[$i]+="$rc "
  done
done

printf '%-26s %8s %6s %6s  %s\n' case median min max "exit"
for i in "${!cmds[@]}"; do
  sorted=($(tr ' ' '\n' <<<"${times[$i]}" | grep . | sort -n))
  k=${#sorted[@]}
  if (( k % 2 )); then median=${sorted[k / 2]}; else median=$(( (sorted[k / 2 - 1] + sorted[k / 2]) / 2 )); fi
  exits=$(tr ' ' '\n' <<<"${codes[$i]}" | grep . | sort -u | tr '\n' ' ')
  printf '%-26s %6d ms %6d %6d  %s\n' "${names[$i]}" "$median" "${sorted[0]}" "${sorted[k - 1]}" "$exits"
done
echo "($cloche: median of $n runs each, in turn; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
