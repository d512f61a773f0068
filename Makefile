# drdrill. `make help` lists the targets; each has a one-line comment after `##`.
GO  ?= go
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
