#!/usr/bin/env bash
# Regenerates the anchoring contract's artefacts: Anchor.abi and Anchor.bin
# (solc-js from npm, pinned version, evmVersion paris) and the abigen v2 Go
# bindings anchor.go. Run through `make contracts` or `go generate`.
# solc-js is installed into a scratch directory outside the repository.
set -euo pipefail
SOLC_VERSION=0.8.37
GETH_VERSION=v1.17.10
here="$(cd "$(dirname "$0")" && pwd)"
scratch="${SOLC_DIR:-${TMPDIR:-/tmp}/espai-solc-$SOLC_VERSION}"

if [ ! -f "$scratch/node_modules/solc/package.json" ] ||
   [ "$(node -p "require('$scratch/node_modules/solc/package.json').version")" != "$SOLC_VERSION" ]; then
  echo "gen.sh: installing solc@$SOLC_VERSION into $scratch"
  mkdir -p "$scratch"
  npm install --silent --prefix "$scratch" "solc@$SOLC_VERSION"
fi
SOLC_MODULE="$scratch/node_modules/solc" node "$here/compile.js"
cd "$here"
go run "github.com/ethereum/go-ethereum/cmd/abigen@$GETH_VERSION" --v2 \
  --abi Anchor.abi --bin Anchor.bin --pkg contract --type Anchor --out anchor.go
gofmt -l anchor.go
echo "gen.sh: wrote Anchor.abi Anchor.bin anchor.go"
