# Memoria — the two commands of the README's quick start are `make run` and
# `make test`; the rest are their parts.

SHELL := /bin/bash
GO    ?= go
NPM   ?= npm
BUF   := web/node_modules/.bin/buf

.PHONY: run build web web-deps test test-go test-generated test-lint test-web test-e2e fuzz bench clean

## run: build the web UI if it is not built yet, then serve on :5230 with data in ./data
run: web
	$(GO) run . $(ARGS)

## build: the single binary ./memoria with the UI embedded
build: web
	$(GO) build -o memoria .

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund

web: web-deps
	@if [ ! -f web/dist/index.html ]; then cd web && $(NPM) run build; fi

## test: every test — lint, generated code, Go (unit, end-to-end, fuzz seeds), web unit and browser tests
test: test-lint test-generated test-go test-web test-e2e

test-lint: web-deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	$(BUF) lint

## test-generated: `buf generate` must reproduce gen/ and web/src/gen/ exactly
test-generated: web-deps
	$(BUF) generate
	@git diff --exit-code -- gen web/src/gen || { echo "generated code is stale: run '$(BUF) generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- gen web/src/gen); if [ -n "$$untracked" ]; then echo "untracked generated files: $$untracked"; exit 1; fi

## test-go: every Go test on SQLite, then the packages in POSTGRES_PACKAGES again on PostgreSQL
## (MEMORIA_TEST_POSTGRES, default the local server; without one they skip, one line each, or fail
## with MEMORIA_TEST_REQUIRE_POSTGRES=1). Tests that need PostgreSQL whatever the run
## (POSTGRES_ALWAYS) ran in the first pass already.
POSTGRES_PACKAGES ?= ./store/... ./rules/... ./app/... ./server/... ./bot/...
POSTGRES_ALWAYS   ?= ^TestSeveralProcesses$$
test-go:
	$(GO) test -race -count=1 ./...
	@echo "PostgreSQL run of $(POSTGRES_PACKAGES) on $${MEMORIA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test} (skipped if it does not answer; MEMORIA_TEST_REQUIRE_POSTGRES=1 fails instead)"
	MEMORIA_TEST_DB=postgres $(GO) test -race -count=1 -skip '$(POSTGRES_ALWAYS)' $(POSTGRES_PACKAGES)

test-web: web-deps
	cd web && $(NPM) test
	cd web && $(NPM) run build

## test-e2e: the browser scenarios on SQLite, then (but screenshots) on PostgreSQL, a fresh schema
## per server (skipped, one line, without a server or psql; MEMORIA_TEST_REQUIRE_POSTGRES=1 fails)
test-e2e: web
	cd web && $(NPM) run e2e
	cd web && E2E_SKIP_BUILD=1 $(NPM) run e2e -- --db=postgres

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./bot -run '^$$' -fuzz FuzzEntitiesToMarkdown -fuzztime $(FUZZTIME)
	$(GO) test ./tgtoken -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./rules -run '^$$' -fuzz FuzzParseMemoFilter -fuzztime $(FUZZTIME)
	$(GO) test ./rules -run '^$$' -fuzz FuzzExtractTags -fuzztime $(FUZZTIME)
	$(GO) test ./rules -run '^$$' -fuzz FuzzDecodeMemoPageToken -fuzztime $(FUZZTIME)
	$(GO) test ./rules -run '^$$' -fuzz FuzzExtractMentions -fuzztime $(FUZZTIME)

## bench: server and bot benchmarks (see docs/benchmarks.md)
bench:
	$(GO) run ./bench

clean:
	rm -rf memoria web/dist/assets web/dist/index.html
