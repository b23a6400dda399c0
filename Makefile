# freezetrace — build, test, demo.
GO        ?= go
BIN       := bin/freezetrace
STATICCHECK_VERSION := v0.8.2
PKGS      := ./...

.PHONY: all build test check bench demo fmt clean

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS) | tee bench-results.txt

# The fixture case traced on Ethereum (over JSON-RPC from an in-process dev
# chain) and on TRON (from a Tronscan export), with its reports, in demo-out/.
demo: build
	./fixtures/demo.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin demo-out
