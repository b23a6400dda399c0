# freezetrace — build, test, demo.
GO        ?= go
BIN       := bin/freezetrace
STATICCHECK_VERSION := v0.8.2
PKGS      := ./...

.PHONY: all build test check crash fuzz bench bench-screen bench-quick bench-deps demo fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/freezetrace
	$(GO) build -o bin/devchain ./cmd/devchain

# Everything the tests need is installed by the Go toolchain itself.
test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

# The crash harness in full (internal/crash): each scenario's command
# (import, labels import, RPC-backed trace, report) SIGKILLed at 50 random
# points, restarted, and checked; a summary table at the end. `make test`
# runs the quick subset (3 kills each). CRASH_SEED=N repeats a run.
crash:
	CRASH_KILLS=50 $(GO) test -count=1 -run . ./internal/crash -v -timeout 60m

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)
	$(GO) test -race -count=1 -timeout 45m $(PKGS)

# Every Fuzz target of the module, one after another, each for $(FUZZTIME)
# from its seed corpus (f.Add and testdata/fuzz/NAME): a line per target,
# then the total time and the failures. A crash or a broken property fails
# the target and leaves its input in the package's testdata/fuzz/NAME,
# where plain go test runs it from then on. A run that Go 1.26 ends with a
# bare "context deadline exceeded" and no input (go.dev/issue/75804) is
# not a failure. FUZZMINTIME bounds the minimizing of each new input (Go's
# default, 60s, would spend a short FUZZTIME minimizing the first one).
FUZZTIME ?= 30s
FUZZMINTIME ?= 2s

fuzz:
	@start=$$(date +%s); n=0; failed=""; found=""; flaked=""; log=$$(mktemp); \
	for pkg in $$($(GO) list $(PKGS)); do \
	  if ! names=$$($(GO) test -list '^Fuzz' $$pkg 2>$$log); then \
	    echo "FAIL  $$pkg: does not build"; cat $$log; failed="$$failed $$pkg"; continue; \
	  fi; \
	  for name in $$(echo "$$names" | grep '^Fuzz'); do \
	    n=$$((n+1)); t0=$$(date +%s); res=ok; \
	    $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$pkg >$$log 2>&1 || res=FAIL; \
	    if [ $$res = FAIL ] && grep -qx '    context deadline exceeded' $$log && \
	       ! grep -qE 'Failing input written|seed corpus entry|^        ' $$log; then \
	      res=ok; flaked="$$flaked $$name"; \
	    fi; \
	    execs=$$(grep -o 'execs: .*' $$log | tail -1); \
	    printf '%-4s  %-36s %-26s %4ss  %s\n' $$res $$pkg $$name $$(( $$(date +%s) - t0 )) "$${execs:-no fuzzing}"; \
	    if [ $$res = FAIL ]; then \
	      failed="$$failed $$pkg.$$name"; grep -v '^fuzz: elapsed' $$log | head -30 | sed 's/^/      /'; \
	      found="$$found$$(grep -oE 'testdata/fuzz/[^ ]+|seed corpus entry: [^ ]+' $$log | sed -e 's|seed corpus entry: |seed |' -e "s|^| $$pkg: |")"; \
	    fi; \
	  done; \
	done; rm -f $$log; \
	echo "fuzz: $$n targets, $(FUZZTIME) each, $$(( $$(date +%s) - start ))s in all"; \
	if [ -n "$$flaked" ]; then echo "fuzz: stopped by Go's fuzztime deadline race (go.dev/issue/75804), nothing found:$$flaked"; fi; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; echo "fuzz: failing inputs:$${found:- none written}"; exit 1; fi; \
	echo "fuzz: nothing found"

# The Go benchmarks (bench-results.txt), then the CLI as a user runs it on
# generated 1M- and 10M-transfer datasets, side by side with the sqlite3
# CLI and networkx (docs/benchmarks.md). About half an hour; the datasets
# (~2.5 GB) are cached in .bench-data/. Then bench-screen.
BENCH_SIZES ?= 1000000,10000000

bench: bench-deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS) | tee bench-results.txt
	$(GO) run ./internal/bench -sizes $(BENCH_SIZES) -live-results bench-results.txt -out docs/benchmarks.md
	$(MAKE) bench-screen

# Screening on its own (docs/benchmarks-screen.md): 100,000 addresses of the
# 1M-transfer dataset screened at 1 hop (the baseline) and 3 hops (the
# target: <= 60 s, <= 1 GB peak RSS) against its transfers, its labels and
# the shared label sets in ../shared/data/labels. About 4 minutes with the
# dataset cached. BENCH_SCREEN_FLAGS=-profile adds CPU and heap profiles.
BENCH_SCREEN_SIZES ?= 1000000
BENCH_SCREEN_FLAGS ?=

bench-screen:
	$(GO) run ./internal/bench -screen -sizes $(BENCH_SCREEN_SIZES) $(BENCH_SCREEN_FLAGS) -out docs/benchmarks-screen.md

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
