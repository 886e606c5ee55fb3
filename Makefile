# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Each installs what it needs, idempotently: Debian packages, a virtual environment, pip packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
APT_PACKAGES := tshark tcpdump iproute2
export DEBIAN_FRONTEND := noninteractive

.PHONY: demo test lint typecheck unit bench system-deps clean

demo: $(STAMP)
	$(PY) -m rawnet demo

test: system-deps $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict src

unit: system-deps $(STAMP)
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	@test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -e . -r bench/requirements.txt
	$(BENCH_PY) bench/run.py
	@command -v hping3 >/dev/null || apt-get install -y -qq hping3 >/dev/null
	$(BENCH_PY) bench/send.py
	@command -v trafgen >/dev/null || apt-get install -y -qq netsniff-ng >/dev/null
	$(BENCH_PY) bench/flood.py

# tshark and tcpdump are the independent oracles of the tests; iproute2 runs commands in lab namespaces.
system-deps:
	@missing=""; for p in tshark tcpdump ip; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	  apt-get update -qq && apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) build dist src/*.egg-info
