# drdrill. `make help` lists the targets; each has a one-line comment after `##`.
GO  ?= go
SHELL := /bin/bash
BIN := bin/drdrill

.PHONY: help build images clean-docker deps-images deps-test

# need installs the Debian packages whose commands are missing, as `make drill` and `make test`
# must work on a fresh machine with nothing typed in between: as root it runs apt-get with a
# one-line notice; otherwise it prints the exact command and fails. Arguments: command:package ...
define need
@missing=""; for p in $(1); do command -v "$${p%%:*}" >/dev/null 2>&1 || missing="$$missing $${p#*:}"; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" != 0 ]; then \
    echo "make: missing$$missing: run  sudo apt-get install -y$$missing  (or make as root)" >&2; exit 1; \
  fi; \
  command -v apt-get >/dev/null || { echo "make: missing$$missing and no apt-get: install them with this system's package manager" >&2; exit 1; }; \
  echo "make: installing$$missing (apt-get, as root; $(2))"; \
  export DEBIAN_FRONTEND=noninteractive; \
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
    || { echo "make: apt-get install$$missing failed" >&2; exit 1; }; \
fi
endef

# The engine cannot be installed from here; say so before anything is built.
define need-docker
@docker info >/dev/null 2>&1 || { echo "make: no Docker engine answers \`docker info\` (DOCKER_HOST=$${DOCKER_HOST:-unset}): start the engine, then run make again" >&2; exit 1; }
endef

deps-images: ## install what building the images needs (debootstrap, when missing; as root)
	$(call need-docker)
	$(call need,debootstrap:debootstrap,the Postgres image is built from a Debian root filesystem without a registry)

deps-test: deps-images ## install what the whole suite needs (Chromium for the report test, xmllint for JUnit)
	$(call need,chromium:chromium xmllint:libxml2-utils,make test checks the HTML report in a real browser and JUnit against its schema)

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/drdrill, the CLI
	$(GO) build -o $(BIN) ./cmd/drdrill

images: deps-images build ## build the images that are missing or whose inputs changed (drdrill/postgres:15, drdrill/saasd:dev, drdrill/notesd:dev)
	$(BIN) images

clean-docker: build ## remove containers, networks and volumes of drills whose process is gone
	$(BIN) clean

# ---- the two commands of the README, and the benchmarks --------------------------------------
OUT       ?= drill-out
TAGS      ?=
FEATURES  ?=
TEST_TIMEOUT ?= 80m

.PHONY: drill test bench vet fuzz flake faults

drill: images ## run the default drill set (quick profile) and print where the outputs are (OUT=dir)
	$(BIN) run --out $(OUT) $(if $(TAGS),--tags '$(TAGS)') $(FEATURES)

# The suite fails, never skips, a test whose Docker engine, Chromium or xmllint is missing:
# a green `make test` really ran them (set DRDRILL_REQUIRE= to let them skip).
DRDRILL_REQUIRE ?= docker,chromium,xmllint

test: deps-test images ## the whole suite: unit, golden, browser and real-container tests
	$(GO) vet ./...
	DRDRILL_REQUIRE=$(DRDRILL_REQUIRE) $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

BENCH_RUNS ?= 3
# The projection's drill sizes (the atlassian profile resized): tenants:faulty sites:faulty
# tenants. With the main drill (10,000 tenants, 883 sites of 775) they make a square in which
# the database (5.9-11.7 M rows) and the blast radius (451-906 k rows) vary apart, so the model
# can tell what each step grows with; each is left out in turn to judge the fit.
BENCH_PROJECT ?= 5000:440:388,5000:883:775,10000:440:388
# Drills at each of the projection's sizes (the main drill's and the scaled one's too): the fit
# is on each size's medians, as one drill's side-database start spreads by seconds.
BENCH_PROJECT_RUNS ?= 3
# The same blast radius on a 3× database (30,000 tenants, 35 M rows): which runbook steps grow
# with the database and which with the blast radius only; the projection is fitted on it too.
BENCH_SCALE ?= 30000
# The sizes the runbook and the RTO are projected to: tenants, or a database size (GB, TB, GiB,
# TiB), each optionally :SITES for the blast radius (default: the main drill's 883 sites).
BENCH_PROJECT_TO ?= 200000,2TB
# Where the bench's page (bench.html, the projection first) and bench.json go.
BENCH_OUT ?= $(OUT)/bench
bench: images ## drdrill bench: the drill against the physical limit, BENCH_RUNS times, and the RTO projection (minutes; prints each run's table, then medians and spread; the page: BENCH_OUT/bench.html)
	$(BIN) bench -runs $(BENCH_RUNS) -project $(BENCH_PROJECT) -project-runs $(BENCH_PROJECT_RUNS) -scale $(BENCH_SCALE) -project-to='$(BENCH_PROJECT_TO)' -out $(BENCH_OUT)
	@echo "=== generic tenant copy (any tenancy model) against the reference schema's own, same data, same run (target generic/reference <= 1.25)"
	$(GO) test -run '^$$' -bench 'CopyOwnedVsReference' -benchtime 5x ./scenarios | grep -E 'Benchmark'
	@echo "=== generic seeding (from the discovered schema) against the reference generator, atlassian profile, same database and run (target reference/generic rows/s <= 1.25)"
	DRDRILL_BENCH_PROFILE=atlassian $(GO) test -run '^$$' -bench 'SeedGenericVsReference' -benchtime 1x -timeout 30m ./fixtures | grep -E 'Benchmark|reference/generic'
	@echo "=== the traffic alone at 200 writes/s, on one processor as drdrill runs on two cores: answers read as they come against a release's answers read together (harness CPU and thread switches per write)"
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench 'TrafficWakeups' -benchtime 1x -count 3 ./measure | grep -E 'Benchmark'
	@echo "=== the bench's page (projection first): $(BENCH_OUT)/bench.html, figures in $(BENCH_OUT)/bench.json"

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

faults: images ## the @faults drills (crashes, cuts, a missing WAL segment, a corrupt backup during the restore) with each backup tool: plain, then pgBackRest (OUT=dir)
	$(BIN) run --out $(OUT)/faults-plain --backup-tool plain --tags '@faults && ~@pgbackrest' features/
	$(BIN) run --out $(OUT)/faults-pgbackrest --backup-tool pgbackrest --tags @faults features/

flake: images ## run the default drill set REPEAT times (default 5): verdicts must not differ; prints the RTO spread
	set -o pipefail; DRDRILL_REPEAT=$(or $(REPEAT),5) $(GO) test -count=1 -timeout 60m -run '^TestVerdictsStable$$' -v ./runner | grep -E 'repeat_test|^(---|ok|FAIL)'
