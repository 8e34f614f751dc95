# clue-bench: `make bench` runs the default suite, `make test` runs the tests. Both set up
# everything they need on a fresh Debian/Ubuntu machine (libtorch, OpenBLAS, a gotch copy
# adapted to that libtorch). Set LIBTORCH=/path to use another libtorch (official or a Python
# torch package directory, CPU or CUDA) instead of Debian's.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
BIN     := bin/bench
CONFIG  ?= experiments.yaml
OUT     ?= results
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := libtorch-dev libopenblas0-pthread python3-torch
BLAS_ALT := libblas.so.3-x86_64-linux-gnu
OPENBLAS := /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
export GOTCH_CACHE ?= $(CURDIR)/build/gotch-cache
# Built-in data and the pre-trained built-in backbone are cached here (keyed by their spec).
export CLUE_BENCH_CACHE ?= $(CURDIR)/build/cache
# Idle OpenMP threads sleep instead of spinning against OpenBLAS's threads: 2.5x faster steps
# on 2 cores, same results. bench sets this itself when it is unset; this is for go test.
export OMP_WAIT_POLICY ?= passive
# Prepared gotch copies, one per libtorch, shared by every checkout: Go's build cache keys the
# compiled C++ wrappers by the copy's directory, so a fresh clone reuses them.
CLUE_BENCH_GOTCH_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/clue-bench/gotch

.PHONY: help setup deps gotch build test test-faults paper-check test-slurm vet bench bench-smoke bench-extra bench-methods gate baseline clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: LIBTORCH=/path (other libtorch), CONFIG=$(CONFIG), OUT=$(OUT)"
	@echo "             CLUE_BENCH_GOTCH_DIR=$(CLUE_BENCH_GOTCH_DIR) (prepared gotch copies)"

setup: gotch ## install libtorch + OpenBLAS (unless LIBTORCH is set) and prepare gotch for it

deps: ## Debian's libtorch-dev, OpenBLAS selected as the system BLAS, python3-torch (reference tests)
	@if [ -n "$$LIBTORCH" ]; then echo "deps: using LIBTORCH=$$LIBTORCH"; \
	  if ! dpkg -s $(APT_PKGS) >/dev/null 2>&1 && command -v apt-get >/dev/null; then \
	    echo "deps: (python3-torch reference tests will be skipped unless installed)"; fi; \
	elif ! dpkg -s $(APT_PKGS) >/dev/null 2>&1; then \
	  echo "deps: installing $(APT_PKGS) with apt"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PKGS) >/dev/null; \
	fi
	@if [ -z "$$LIBTORCH" ] && [ -e $(OPENBLAS) ] && \
	    [ "$$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" != "$$(readlink -f $(OPENBLAS))" ]; then \
	  echo "deps: selecting OpenBLAS as the system BLAS (reference BLAS is ~10x slower)"; \
	  $(SUDO) update-alternatives --set $(BLAS_ALT) $(OPENBLAS); fi

gotch: deps ## prepare gotch for this libtorch in CLUE_BENCH_GOTCH_DIR (shared by all checkouts) and point go.work at it (no-op when current)
	@# go.work must name at least go.mod's go version, or every go command refuses to run.
	@dir=$$(GOWORK=off $(GO) run ./cmd/gotchprep -cache '$(CLUE_BENCH_GOTCH_DIR)') && \
	  printf 'go %s\n\nuse .\n\nreplace github.com/sugarme/gotch v0.9.1 => %s\n' "$$(sed -n 's/^go //p' go.mod)" "$$dir" > go.work.tmp
	@cmp -s go.work.tmp go.work 2>/dev/null && rm go.work.tmp || mv go.work.tmp go.work

build: gotch ## build bin/bench
	$(GO) build -o $(BIN) ./cmd/bench

vet: gotch
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# Packages that build without cgo (no libtorch): planning, results, reports, data and the
# pure halves of model, methods and builtin. Their tests run in that mode too.
NOCGO_PKGS := ./bench/plan ./bench/results ./reports ./clue ./miniclue ./tokenizer ./model ./methods ./builtin ./scale ./internal/atomicfile ./hub ./fetch ./internal/download ./internal/flock ./cmd/bench

test: gotch vet ## run all tests (the first on a machine compiles gotch's C++ part: ~3 min), and the build without cgo
	$(GO) test -count=1 ./...
	CGO_ENABLED=0 $(GO) vet $(NOCGO_PKGS)
	CGO_ENABLED=0 $(GO) test -count=1 $(NOCGO_PKGS)

# Not a prerequisite of gotch, so that it never re-prepares gotch: run it after make test or
# make setup (CI runs it right after make test).
test-faults: ## kill -9, concurrent workers, a full disk and SIGINT/SIGTERM against the real bench on a tiny matrix (~3 min; full disk needs root)
	@test -f go.work || { echo "test-faults: go.work missing; run make setup (or make test) first"; exit 1; }
	$(GO) vet -tags faults ./internal/faults
	$(GO) test -count=1 -tags faults -timeout 20m -v -run TestFaults ./internal/faults

# Like test-faults, not a prerequisite of gotch: run it after make test or make setup.
paper-check: ## plan paper.yaml on fixtures of every task and folder layout with tiny random BERT, NEZHA and RoFormer, train each cell 2 steps, report (~2 min)
	@test -f go.work || { echo "paper-check: go.work missing; run make setup (or make test) first"; exit 1; }
	$(GO) vet -tags papercheck ./internal/papercheck
	$(GO) test -count=1 -tags papercheck -timeout 15m -v -run TestPaperCheck ./internal/papercheck

bench: build ## run the default suite (experiments.yaml) and write the report to $(OUT)/report
	$(BIN) run -c $(CONFIG) --out $(OUT)
	$(BIN) report --results $(OUT) --reference reference.yaml > /dev/null
	@echo "report: $(OUT)/report/index.md"

bench-smoke: build ## a one-minute version of `make bench`: one seed, a few steps per cell, a briefly pre-trained backbone
	$(BIN) run -c $(CONFIG) --out $(OUT)-smoke --only '*/*/*/s1' --limit 5 --pretrain-steps 20
	$(BIN) report --results $(OUT)-smoke > /dev/null
	@echo "report: $(OUT)-smoke/report/index.md"

bench-extra: build ## the mini-CLUE tasks outside the suite (extra.yaml: AFQMC-, CSL-, CMRC-, C3-, CHID-like), one seed, to $(OUT)-extra (~35–45 min)
	$(BIN) run -c extra.yaml --out $(OUT)-extra
	$(BIN) report --results $(OUT)-extra > /dev/null
	@echo "report: $(OUT)-extra/report/index.md"

bench-methods: build ## every registered tuning method on the built-in suite at one matched budget (methods.yaml), to $(OUT)-methods
	$(BIN) run -c methods.yaml --out $(OUT)-methods
	$(BIN) report --results $(OUT)-methods > /dev/null
	@echo "report: $(OUT)-methods/report/index.md"

BASELINE ?= baselines/builtin.json

gate: build ## compare $(OUT) with the committed baseline of the built-in suite; exit 1 on a regression
	$(BIN) compare --baseline $(BASELINE) --results $(OUT)

baseline: build ## record $(OUT) as the committed baseline of the built-in suite (gate: drop > max(5 points, 3 x pooled seed std))
	@mkdir -p $(dir $(BASELINE))
	$(BIN) baseline --results $(OUT) --out $(BASELINE) --z 3 --floor 5

PERF_OUT ?= build/perf
PERF_FLAGS ?=  # e.g. --bf16, --threads 1, --sizes builtin; bin/bench help perf lists them

perf: build ## training steps/s vs PyTorch eager on the same libtorch, runner overhead, RSS flatness; writes $(PERF_OUT)/results.{json,md} (~20 min on 2 cores)
	$(BIN) perf --out $(PERF_OUT) $(PERF_FLAGS)

test-slurm: build ## run the tiny plan as Slurm job arrays on a throwaway localhost cluster (root, Debian; ~1 min)
	scale/testdata/test-slurm.sh

clean: ## remove build outputs (keeps results, and the gotch copies shared by checkouts: rm -rf "$CLUE_BENCH_GOTCH_DIR" removes those)
	rm -rf bin build go.work go.work.sum
