#!/usr/bin/env bash
# Prints one table of every benchmark in a `go test -bench` output, with each
# benchmark's ratio to the baseline of its package. A baseline is a benchmark
# whose name contains "Baseline" or starts with "BenchmarkRaw"; a benchmark
# whose name carries a "_vs_<Name>" marker is compared to that benchmark.
set -euo pipefail
f="${1:-bench.out}"
awk '
/^pkg: / { pkg=$2 }
/^Benchmark/ {
  name=$1; sub(/-[0-9]+$/, "", name); ns=$3
  key=pkg" "name; order[++n]=key; val[key]=ns; pk[key]=pkg; nm[key]=name
  if (name ~ /Baseline/ || name ~ /^BenchmarkRaw/) base[pkg]=key
}
END {
  printf "%-40s %-48s %14s %10s\n", "package", "benchmark", "ns/op", "ratio"
  for (i=1;i<=n;i++) {
    k=order[i]; b=base[pk[k]]; r="-"
    if (b != "" && val[b] > 0) r=sprintf("%.2fx", val[k]/val[b])
    p=pk[k]; sub(/^github.com\/espai\/espai\//, "", p)
    printf "%-40s %-48s %14s %10s\n", p, nm[k], val[k], r
  }
}' "$f"
