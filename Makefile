# Hub Talks: `make run` serves the app with a demo; `make test` runs every test.
# Both install what they need (apt-get) and start private services.

GO        ?= go
# Go 1.26.10 fixes standard-library vulnerabilities that govulncheck reports
# for 1.26.8; the go command fetches it once through the module proxy.
export GOTOOLCHAIN ?= go1.26.10
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json \
                frontend/vite.config.ts $(wildcard frontend/svelte.config.js frontend/tsconfig.json)
GO_SRC    := $(shell find cmd server realtime migrations frontend/embed.go -name '*.go' -o -name '*.sql' -o -name '*.json' 2>/dev/null | grep -v node_modules)

.PHONY: bench-search fuzz run test test-go test-frontend deps deps-test frontend build vet clean soak test-faults

run: deps build
	scripts/run.sh

build: bin/hubtalks

bin/hubtalks: frontend/dist/index.html $(GO_SRC) go.mod go.sum
	$(GO) build -o bin/hubtalks ./cmd/hubtalks

frontend: frontend/dist/index.html

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

deps:
	scripts/deps.sh run

deps-test:
	scripts/deps.sh test

test: deps-test frontend
	scripts/with-test-services.sh $(MAKE) --no-print-directory test-go test-frontend fuzz
	$(MAKE) --no-print-directory test-faults
	scripts/vulncheck.sh

# staticcheck is a tool of the module (go.mod's tool directive pins its
# version and go.sum its hash): `go tool` builds it once and caches it.
test-go:
	$(GO) vet ./...
	$(GO) vet -tags faults ./server/faults/
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags faults ./server/faults/
	$(GO) test -race -count=1 -timeout 25m ./...

# A short run of every fuzz target (seed corpora in each package's testdata/).
# Go 1.26's fuzzer can end a run at -fuzztime with a bare "context deadline
# exceeded" (golang/go#75804, fixed in Go 1.27) when a worker is still busy
# at the deadline; a real failure always writes its input ("Failing input
# written to testdata/fuzz/..."), so only that, or any other failure, fails.
FUZZTIME ?= 10s
FUZZ_TARGETS := ./server/httpx:FuzzDecode ./server:FuzzAPIBodies ./server:FuzzLiveFrames ./server:FuzzCalendar \
                ./server/playlists:FuzzParseFeed
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  out=$$($(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg 2>&1); rc=$$?; \
	  if [ $$rc -eq 0 ]; then echo "$$out" | grep -v '^{' | tail -n 3; \
	  elif echo "$$out" | grep -A1 -- '^--- FAIL' | grep -qx '    context deadline exceeded' \
	    && ! echo "$$out" | grep -q 'Failing input written'; then \
	    echo "$$out" | grep -v '^{' | tail -n 4; echo "fuzz $$name: stopped by Go's -fuzztime race (golang/go#75804), no failing input: passed"; \
	  else echo "$$out" | grep -v '"level":"\(INFO\|DEBUG\)"' | tail -n 60; exit 1; fi; \
	done

# Three real instances on a private PostgreSQL and Redis, broken on purpose.
# It starts its own services (it stops and restarts them), so it runs alone.
test-faults:
	$(GO) test -tags faults -count=1 -timeout 10m -v ./server/faults/

# check:api fails when src/lib/api-types.ts is not what server/openapi.json generates.
test-frontend:
	cd frontend && npm run check:api && npm run check && npm test

# 1,000 live clients and steady traffic for SOAK_DURATION (default 10m);
# reports memory, goroutines and open files at start and end.
SOAK_DURATION ?= 10m
soak:
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags faults -count=1 -timeout 0 -v -run TestSoak ./server/faults/

# Search latency over 2,000 talks, 1,000,000 questions and 1,000,000 posts on
# a durable PostgreSQL named by HUBTALKS_TEST_DATABASE_URL (scripts/pg.sh
# start DIR, without PG_FSYNC=off); prints p50/p95/p99 and the slowest plan.
bench-search:
	scripts/bench-search.sh

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html
