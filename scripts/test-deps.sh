#!/usr/bin/env bash
# Installs what `make test` needs when it is missing. Idempotent; prints what it does.
set -euo pipefail
GOBIN="$(go env GOPATH)/bin"

if ! command -v geth >/dev/null && [ ! -x "$GOBIN/geth" ]; then
  echo "test-deps: installing geth v1.17.10 (go install, a few minutes once)"
  go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10
fi

# The browser tests (internal/web/browser_test.go) drive Debian's Chromium.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  echo "test-deps: installing Debian's chromium (apt-get) for the browser tests"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      SUDO="sudo"
    else
      echo "test-deps: not root and no sudo: install chromium yourself (apt-get install chromium)" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
