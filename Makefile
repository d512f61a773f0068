# drdrill. `make help` lists the targets; each has a one-line comment after `##`.
GO  ?= go
SHELL := /bin/bash
BIN := bin/drdrill

.PHONY: help build images clean-docker

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/drdrill, the CLI
	$(GO) build -o $(BIN) ./cmd/drdrill

images: build ## build the images that are missing or whose inputs changed (drdrill/postgres:15, drdrill/saasd:dev)
	$(BIN) images

clean-docker: build ## remove containers, networks and volumes of drills whose process is gone
	$(BIN) clean

# ---- the two commands of the README, and the benchmarks --------------------------------------
OUT       ?= drill-out
TAGS      ?=
FEATURES  ?=
TEST_TIMEOUT ?= 80m

.PHONY: drill test bench vet fuzz flake

drill: images ## run the default drill set (quick profile) and print where the outputs are (OUT=dir)
	$(BIN) run --out $(OUT) $(if $(TAGS),--tags '$(TAGS)') $(FEATURES)

test: images ## the whole suite: unit, golden, browser and real-container tests
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

bench: images ## benchmarks against the physical limit (minutes; prints a table)
	$(GO) run ./cmd/drbench

# Every `func Fuzz...` of the module is found by name, so a new target runs without an edit here.
FUZZTIME ?= 10s

# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when its
# own -fuzztime deadline races a worker (golang/go#75804, fixed in Go 1.27): no failing input is
# written then. Such a run is repeated once; any other failure stops make fuzz.
fuzz: ## run every fuzz target (parsers of user input) for FUZZTIME each (default 10s)
	@set -e; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for f in $$(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git '^func Fuzz' . | sort); do \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    for try in 1 2; do \
	      echo "=== fuzz $$(dirname $$f) $$fn ($(FUZZTIME))"; \
	      $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$(dirname $$f) > "$$log" 2>&1 && rc=0 || rc=$$?; \
	      cat "$$log"; \
	      [ $$rc = 0 ] && break; \
	      if [ $$try = 1 ] && grep -q 'context deadline exceeded' "$$log" && ! grep -q 'Failing input written' "$$log"; then \
	        echo "=== fuzz $$fn: the coordinator raced its -fuzztime deadline (golang/go#75804), no failing input: once more"; \
	      else exit 1; fi; \
	    done; \
	  done; \
	done

flake: images ## run the default drill set REPEAT times (default 5): verdicts must not differ; prints the RTO spread
	set -o pipefail; DRDRILL_REPEAT=$(or $(REPEAT),5) $(GO) test -count=1 -timeout 60m -run '^TestVerdictsStable$$' -v ./runner | grep -E 'repeat_test|^(---|ok|FAIL)'
