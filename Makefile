# Two commands set up everything: `make demo` and `make test` (each works alone, in any order).
# On a machine without PyPI, pip installs from ../shared/wheels when that folder exists.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
WHEELS ?= $(wildcard ../shared/wheels)
PIP_OFFLINE := $(if $(WHEELS),PIP_NO_INDEX=1 PIP_FIND_LINKS=$(abspath $(WHEELS)),)
export PATH := $(abspath $(BIN)):$(PATH)
# the docker backend installs the project into its image from the same wheels when offline
export CHAOSNET_WHEELS := $(if $(WHEELS),$(abspath $(WHEELS)),)

.PHONY: install host-packages demo test lint images bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP_OFFLINE) $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(BIN)/toxiproxy-server: | $(BIN)/python
	scripts/install-toxiproxy.sh $(BIN)

install: $(VENV)/.installed $(BIN)/toxiproxy-server  ## virtualenv, the project, Toxiproxy

host-packages:  ## debootstrap (offline Docker base) and chromium (browser tests): apt-get as root
	scripts/install-host-packages.sh debootstrap chromium

demo: install  ## run the happy-path scenario on the local backend
	$(BIN)/chaosnet run scenarios/happy-path.yaml --backend local

# pytest exits 5 when it collected no tests: a test run that tests nothing is a failure
test: install host-packages  ## the whole test suite (Docker tests build the images they need)
	@code=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || code=$$?; \
	if [ $$code -eq 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; fi; \
	exit $$code

lint: install  ## what CI checks besides the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

images: install  ## build the node and Toxiproxy images (offline: a local Debian base)
	$(BIN)/chaosnet images build

# not part of `make test` or CI: minutes of real node processes and scenario runs (500 TPS: 6 min)
bench: install  ## performance figures (issue 13) to bench/results/perf.json; BENCH_QUICK=1 for a short run
	$(BIN)/python bench/bench_perf.py
	$(BIN)/python bench/bench_runner.py --runs $(if $(filter-out 0,$(BENCH_QUICK)),1,3)
	$(if $(filter-out 0,$(BENCH_QUICK)),,$(BIN)/python bench/bench_tps.py)

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache runs
