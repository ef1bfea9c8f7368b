# Espai: one binary, one module. `make run` starts everything with demo data;
# `make test` installs what the tests need (when missing) and runs every test.
GO       ?= go
BIN      := bin/espai
DATA     ?= ./espai-data
ADDR     ?= 127.0.0.1:8080
GOBIN    := $(shell $(GO) env GOPATH)/bin
FUZZTIME ?= 30s
LOADDATA ?= ./espai-loaddata
PKGS     := ./...

.PHONY: all build run test test-race-full test-race-crash test-deps bench load-pages load lint fuzz geth contracts clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/espai

## run: build, prepare ./espai-data with the demo registers and citizens, serve on $(ADDR)
run: build
	$(BIN) serve --demo --data $(DATA) --addr $(ADDR)

## test: the whole suite, fuzz seeds included. Every test runs under the race detector except two kinds,
## which `make test-race-full` runs with it too (they pass; they take twice as long): the crash harness
## (cmd/espai: child processes killed 20 times, geth restarted) and the tests that drive Chromium (named
## *Browser*; the server code they reach is raced by the HTTP tests)
TESTENV := ESPAI_REQUIRE_GETH=1 ESPAI_REQUIRE_CHROMIUM=1 PATH="$(GOBIN):$$PATH"
test: test-deps
	$(TESTENV) $(GO) test -race -timeout 30m -count=1 -skip 'Browser' $$($(GO) list $(PKGS) | grep -v '/cmd/espai$$')
	$(TESTENV) $(GO) test -timeout 30m -count=1 -run 'Browser' ./internal/web
	$(TESTENV) $(GO) test -timeout 30m -count=1 ./cmd/espai

## test-race-full: every test under the race detector, the crash harness and the browser tests included
test-race-full: test-deps
	$(TESTENV) $(GO) test -race -timeout 60m -count=1 $(PKGS)

## test-race-crash: the crash harness under the race detector
test-race-crash: test-deps
	$(TESTENV) $(GO) test -race -timeout 30m -count=1 ./cmd/espai

## test-deps: install what tests need when it is missing (geth for the real-node anchoring test,
## Debian's chromium for the browser tests)
test-deps:
	@scripts/test-deps.sh

## bench: every Go benchmark, with ratios against the baselines measured in the same run
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS) | tee bench.out
	@scripts/bench-table.sh bench.out
	$(MAKE) load-pages

## load-pages: 200 demo citizens browse their space for 30s; PASS when every page's server-side p99 < 50 ms
load-pages:
	$(GO) run ./cmd/espai-load --citizens 200 --duration 30s --data $(LOADDATA)

## load: 200 demo citizens browse for 60s while 50 presentations/s are verified over HTTP; PASS when nothing
## fails, >= 98% of the rate is achieved and every page's server-side p99 < 50 ms (not part of `make test`)
load:
	$(GO) run ./cmd/espai-load --citizens 200 --duration 60s --presentations-per-second 50 --data $(LOADDATA)

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@command -v $(GOBIN)/staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$(GOBIN)/staticcheck $(PKGS)

## fuzz: run every fuzz target for $(FUZZTIME) each
fuzz:
	@scripts/fuzz-all.sh $(FUZZTIME)

## geth: install the geth binary used by the real-node anchoring test
geth:
	@command -v geth >/dev/null || test -x $(GOBIN)/geth || $(GO) install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10

## contracts: recompile the anchoring contract (solc-js, evmVersion paris) and regenerate its Go bindings
contracts:
	ledger/anchor/contract/gen.sh

clean:
	rm -rf bin bench.out
