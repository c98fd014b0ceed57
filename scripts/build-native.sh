#!/bin/sh
# Builds the static container init and the per-process monitor into OUTDIR (idempotent: each is rebuilt only when
# its source is newer).
set -eu
OUT=${1:?usage: build-native.sh OUTDIR}
SRC="$(cd "$(dirname "$0")/.." && pwd)/native"
mkdir -p "$OUT"
for prog in cloche-init cloche-monitor; do
  if [ ! -x "$OUT/$prog" ] || [ "$SRC/$prog.c" -nt "$OUT/$prog" ]; then
    gcc -static -O2 -Wall -Wextra -o "$OUT/$prog.tmp.$$" "$SRC/$prog.c"
    mv "$OUT/$prog.tmp.$$" "$OUT/$prog"
  fi
done
