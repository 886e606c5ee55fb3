# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Each installs what it needs, idempotently: Debian packages, a virtual environment, pip packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
# tests/wire, tests/stream, the TCP machine and the host lock (the pure core; locks and signals differ by version) also run on these CPythons (.venv's is the 3.11 of the README), each in .venv-X.Y:
# python3.X on PATH if it runs and is that version, else the newest pyenv install of it.
WIRE_PYTHONS := 3.12 3.13
WIRE_VENVS := $(addprefix .venv-,$(WIRE_PYTHONS))
PYENV_VERSIONS := $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions
APT_PACKAGES := tshark tcpdump iproute2 iputils-ping nmap iptables libxml2-utils traceroute iputils-arping hping3 netsniff-ng curl nftables
export DEBIAN_FRONTEND := noninteractive

.PHONY: demo test lint typecheck unit wire-pythons bench system-deps clean

demo: $(STAMP)
	$(PY) -m rawnet demo

test: system-deps $(STAMP) lint typecheck unit wire-pythons

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples tools
	$(VENV)/bin/ruff format --check src tests bench examples tools

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict src

unit: system-deps $(STAMP)
	$(VENV)/bin/pytest -q

wire-pythons: system-deps $(addsuffix /.installed,$(WIRE_VENVS))
	@for venv in $(WIRE_VENVS); do \
	  echo "tests/wire, tests/stream, tests/tcp/test_machine.py and test_host.py on $$($$venv/bin/python -V)"; \
	  $$venv/bin/pytest -q tests/wire tests/stream tests/tcp/test_machine.py tests/tcp/test_host.py -p no:cacheprovider || exit 1; \
	done

bench: system-deps $(STAMP)
	@test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -e . -r bench/requirements.txt
	$(BENCH_PY) bench/run.py
	$(BENCH_PY) bench/send.py
	$(BENCH_PY) bench/flood.py
	$(BENCH_PY) bench/ping.py
	$(BENCH_PY) bench/engine.py
	$(BENCH_PY) bench/tcp.py

# tshark and tcpdump are the independent oracles of the tests; iproute2 runs commands in lab namespaces;
# iputils ping is the classic tool rawnet ping is compared with; trafgen (netsniff-ng) floods the
# capture tests' labs faster than any Python sender; curl is the kernel-TCP client rawnet.tcp is compared with.
system-deps:
	@missing=""; for p in tshark tcpdump ip ping nmap iptables xmllint traceroute arping hping3 trafgen curl nft; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
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

# A missing Python stops make with the places looked at; it is never skipped.
.venv-%/.installed: pyproject.toml
	@if ! test -x .venv-$*/bin/python; then \
	  found=""; \
	  for python in $$(command -v python$*) $$(ls -d $(PYENV_VERSIONS)/$*.*/bin/python$* 2>/dev/null | sort -rV); do \
	    if [ "$$($$python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = $* ]; then \
	      found=$$python; break; \
	    fi; \
	  done; \
	  if [ -z "$$found" ]; then \
	    echo "tests/wire needs Python $*: no working python$* on PATH nor in" \
	      "$(PYENV_VERSIONS)/$*.*/bin (install it, e.g. pyenv install $*)" >&2; \
	    exit 1; \
	  fi; \
	  echo "$$found -m venv .venv-$*"; \
	  $$found -m venv .venv-$*; \
	fi
	.venv-$*/bin/python -m pip install -q --upgrade pip
	.venv-$*/bin/python -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(WIRE_VENVS) build dist src/*.egg-info
