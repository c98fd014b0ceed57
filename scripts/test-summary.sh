#!/bin/sh
# Sums every Surefire/Failsafe report of the last build into one closing line, "tests: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
cat cloche-*/target/surefire-reports/TEST-*.xml cloche-*/target/failsafe-reports/TEST-*.xml 2>/dev/null \
  | grep -o '<testsuite [^>]*' \
  | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=\""); v = kv[2]; sub(/".*/, "", v);
           if (kv[1] == "tests") t += v; else if (kv[1] == "failures") f += v;
           else if (kv[1] == "errors") e += v; else if (kv[1] == "skipped") s += v } }
         END { printf "tests: %d passed, %d failed, %d skipped\n", t - f - e - s, f + e, s }'
