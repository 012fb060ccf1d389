# The README's two commands: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test unit runtime-tests system-deps venv lint bench fuzz docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,all]'
	@touch $(STAMP)

venv: $(STAMP)

# apt packages for emulated and loopback devices (qemu-user, mmdebstrap, sshd, adb, chromium).
system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP) system-deps
	$(BIN)/python examples/demo.py --out demo-out

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q tests runtime_tests; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

# The fast tier: no TensorFlow, no device, no CLI child processes (markers in pyproject.toml; conftest.py
# marks tests using run_cli as `cli`). `make test` runs every tier.
unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not device and not cli" tests

runtime-tests: $(STAMP) system-deps
	$(BIN)/python -m pytest -q runtime_tests

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests runtime_tests examples benchmarks

docs: $(STAMP)
	$(BIN)/edgetk targets docs --out docs/SUPPORTED_OPS.md
	$(BIN)/python -m toolkit.schemas docs/schemas

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.run --write docs/PERFORMANCE.md

fuzz: $(STAMP)
	$(BIN)/python -m benchmarks.fuzz --cases 10000 --write docs/RELIABILITY.md
	$(BIN)/python -m benchmarks.fuzz_documents --cases 900
	$(BIN)/python -m benchmarks.fuzz_store --cases 900
	$(BIN)/python -m benchmarks.fuzz_documents --cases 900

clean:
	rm -rf $(VENV) demo-out build *.egg-info
