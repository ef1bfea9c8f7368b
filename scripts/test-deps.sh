#!/usr/bin/env bash
# Installs what `make test` needs when it is missing. Idempotent; prints what it does.
set -euo pipefail
GOBIN="$(go env GOPATH)/bin"

if ! command -v geth >/dev/null && [ ! -x "$GOBIN/geth" ]; then
  echo "test-deps: installing geth v1.17.10 (go install, a few minutes once)"
  go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10
fi
