#!/bin/sh
# Builds the static container init into OUTDIR (idempotent: rebuilt only when the source is newer).
set -eu
OUT=${1:?usage: build-native.sh OUTDIR}
SRC="$(cd "$(dirname "$0")/.." && pwd)/native/cloche-init.c"
mkdir -p "$OUT"
if [ ! -x "$OUT/cloche-init" ] || [ "$SRC" -nt "$OUT/cloche-init" ]; then
  gcc -static -O2 -Wall -o "$OUT/cloche-init.tmp" "$SRC"
  mv "$OUT/cloche-init.tmp" "$OUT/cloche-init"
fi
