#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 30s).
# Targets are discovered with `go test -list`, so every Fuzz function the test
# binaries hold runs, whatever file defines it. A failing target does not stop
# the others; the script fails at the end if any failed (the failing input is
# in that package's testdata/fuzz/<Name>/: commit it as a regression seed).
set -euo pipefail
t="${1:-30s}"

# Packages with tests; `go test -list` prints each package's matching names
# followed by its "ok <package>" line.
pkgs=$(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...)
[ -n "$pkgs" ] || { echo "no test packages" >&2; exit 1; }
# shellcheck disable=SC2086
listing=$(go test -list '^Fuzz' $pkgs)
targets=()
names=()
while read -r first second _; do
  case "$first" in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in "${names[@]}"; do targets+=("$second $n"); done
      names=()
      ;;
  esac
done <<<"$listing"
[ "${#targets[@]}" -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
flaked=()
for pt in "${targets[@]}"; do
  pkg=${pt% *}
  f=${pt#* }
  echo "== $pkg $f ($t)"
  if go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg" 2>&1 | tee "$log"; then
    continue
  fi
  # Go 1.26's fuzzing coordinator can fail a target with a bare "context
  # deadline exceeded" when -fuzztime ends while a worker is busy (a race in
  # the coordinator, golang/go#75804, fixed in Go 1.27): no input failed, none
  # is written. Anything else, or any written input, is a failure.
  if grep -qx '    context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
    flaked+=("$pkg $f")
  else
    failed+=("$pkg $f")
  fi
done

echo "== ${#targets[@]} fuzz targets, ${#failed[@]} failed, ${#flaked[@]} stopped by golang/go#75804 (not failures)"
for x in "${flaked[@]}"; do echo "DEADLINE $x"; done
for x in "${failed[@]}"; do echo "FAIL $x"; done
[ "${#failed[@]}" -eq 0 ]
