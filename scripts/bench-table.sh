#!/usr/bin/env bash
# Prints one table of every benchmark in a `go test -bench` output with its
# ratio to its baseline, measured in the same run. scripts/bench-baselines.tsv
# names each benchmark's baseline; a baseline is marked "baseline". A
# benchmark with no baseline, or whose baseline did not run, is listed as
# MISSING and the script exits 1, so a new benchmark cannot go unpaired.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
f="${1:-bench.out}"
awk -F'\t' -v OUT="$f" '
FNR == NR {
  if ($0 ~ /^#/ || NF < 3) next
  k = $1 " " $2; base[k] = $1 " " $3; per[k] = ($4 == "" ? 1 : $4); isbase[$1 " " $3] = 1
  next
}
/^pkg: / { split($0, a, " "); pkg = a[2]; sub(/^github.com\/espai\/espai\/?/, "", pkg); next }
/^Benchmark/ {
  split($0, a, /[ \t]+/)
  name = a[1]; sub(/-[0-9]+$/, "", name)
  k = pkg " " name
  if (!(k in val)) order[++n] = k
  val[k] = a[3]; pk[k] = pkg; nm[k] = name
}
END {
  printf "%-18s %-42s %16s %-36s %10s\n", "package", "benchmark", "ns/op", "baseline", "ratio"
  bad = 0
  for (i = 1; i <= n; i++) {
    k = order[i]; r = ""; b = ""
    if (k in base) {
      b = base[k]; bn = substr(b, length(pk[k]) + 2)
      if (b in val && val[b] > 0) { r = sprintf("%.2fx", val[k] / (val[b] * per[k])); if (per[k] != 1) bn = bn " x" per[k] }
      else { r = "MISSING"; bn = bn " (did not run)"; bad++ }
    } else if (k in isbase) { bn = "(baseline)"; r = "1.00x" }
    else { bn = "(none in bench-baselines.tsv)"; r = "MISSING"; bad++ }
    printf "%-18s %-42s %16s %-36s %10s\n", pk[k], nm[k], val[k], bn, r
  }
  if (bad > 0) { printf "%d benchmark(s) without a measured baseline\n", bad; exit 1 }
}' "$here/bench-baselines.tsv" "$f"
