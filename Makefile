# freezetrace — build, test, demo.
GO        ?= go
BIN       := bin/freezetrace
STATICCHECK_VERSION := v0.8.2
PKGS      := ./...

.PHONY: all build test check bench bench-quick bench-deps demo fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/freezetrace
	$(GO) build -o bin/devchain ./cmd/devchain

# Everything the tests need is installed by the Go toolchain itself.
test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)
	$(GO) test -race -count=1 -timeout 45m $(PKGS)

# The Go benchmarks (bench-results.txt), then the CLI as a user runs it on
# generated 1M- and 10M-transfer datasets, side by side with the sqlite3
# CLI and networkx (docs/benchmarks.md). About half an hour; the datasets
# (~2.5 GB) are cached in .bench-data/.
BENCH_SIZES ?= 1000000,10000000

bench: bench-deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS) | tee bench-results.txt
	$(GO) run ./internal/bench -sizes $(BENCH_SIZES) -live-results bench-results.txt -out docs/benchmarks.md

# The same measurements on small datasets, in a few minutes.
bench-quick: bench-deps
	$(GO) run ./internal/bench -sizes 100000,200000 -repeat 1 -live=false -cte-timeout 1m -out bench-quick.md

# The baselines' tools: the sqlite3 CLI and Python's networkx.
bench-deps:
	@command -v sqlite3 >/dev/null 2>&1 || { apt-get update && apt-get install -y sqlite3; }
	@python3 -c 'import networkx' 2>/dev/null || /usr/bin/python3 -c 'import networkx' 2>/dev/null || \
	  { apt-get update && apt-get install -y python3 python3-networkx; }

# The fixture case traced on Ethereum (over JSON-RPC from an in-process dev
# chain) and on TRON (from a Tronscan export), with its reports, in demo-out/.
demo: build
	./fixtures/demo.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin demo-out bench-quick.md
