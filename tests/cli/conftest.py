"""Shared fixtures of the CLI tests: the rawnet command as a subprocess, a lab, tcpdump as observer.

Every subcommand runs end to end as a subprocess (``python -m rawnet ...``) inside a lab
namespace, and what it claims is checked by something else: a tcpdump capture on the peer's
side read back by tshark, the kernel's counters, or a real server.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rawnet.net.lab import Lab

RAWNET = [sys.executable, "-m", "rawnet"]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """a and b; b answers every probe (tests count the ICMP errors a module's probes get)."""
    with Lab.pair() as made:
        answer_every_probe(made, "b")
        yield made


def answer_every_probe(lab: Lab, host: str) -> None:
    """No ICMP error rate limit in ``host``: Linux sends at most 6 to one peer at once, then one
    a second, so a module's earlier probes would silence a later test's."""
    lab.sysctl(host, "net.ipv4.icmp_ratelimit", "0")
    lab.sysctl(host, "net.ipv6.icmp.ratelimit", "0")


def rawnet(
    lab: Lab | None, host: str, *args: str, timeout: float = 30, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``rawnet ARGS`` in ``host``'s namespace (or here, with lab None) and wait."""
    argv = [*RAWNET, *args]
    if lab is None:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    return lab.run(host, argv, timeout=timeout, input=input)


def json_lines(text: str) -> list[dict[str, Any]]:
    """The objects of --json output (one per line)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextmanager
def tcpdump(
    lab: Lab, host: str, interface: str, expression: str, path: Path, *, burst: bool = False
) -> Iterator[Path]:
    """A tcpdump capture to ``path`` in ``host``'s namespace, running while the block runs.

    ``burst``: for thousands of frames at once (a flood): frames cut to 256 bytes in a 64 MiB
    ring (immediate mode's ring has a slot of the snapshot length per frame: 2 MiB of 256 KiB
    slots would drop all but a few).
    """
    process = lab.popen(
        host,
        [
            "tcpdump",
            "--immediate-mode",
            "-U",
            "-Z",
            "root",
            "-n",
            "-i",
            interface,
            "-w",
            str(path),
            *(["-s", "256", "-B", "65536"] if burst else []),
            expression,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], 5)  # "listening on ..." once capturing
    assert ready, "tcpdump did not start"
    process.stderr.readline()
    try:
        yield path
    finally:
        process.terminate()
        process.communicate(timeout=10)


def tshark_fields(
    path: Path, *fields: str, display_filter: str = "", checked: bool = False
) -> list[list[str]]:
    """tshark's values of ``fields`` for each packet of a capture file (an independent decoder).

    ``checked``: tshark verifies the IP, TCP and UDP checksums (their .status: 1 good, 0 bad) and
    shows raw TCP sequence numbers.
    """
    argv = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    if checked:
        argv += [
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ]
        argv += ["-o", "tcp.relative_sequence_numbers:FALSE"]
    if display_filter:
        argv += ["-Y", display_filter]
    for name in fields:
        argv += ["-e", name]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def interrupt(process: subprocess.Popen[str], times: int = 1, gap: float = 0.01) -> None:
    """Ctrl-C ``times`` times, ``gap`` seconds apart (two quick ones: an impatient user)."""
    for sent in range(times):
        if sent:
            time.sleep(gap)
        process.send_signal(signal.SIGINT)


def sigint_ignored() -> None:
    """preexec_fn: the child starts with SIGINT ignored, as a script's background job (``cmd &``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.strip()]


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """A user error: the given exit code, one line on stderr naming the problem, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])


__all__: Sequence[str] = [
    "RAWNET",
    "assert_one_line_error",
    "interrupt",
    "json_lines",
    "lab",
    "lines_of",
    "rawnet",
    "sigint_ignored",
    "tcpdump",
    "tshark_fields",
]
