"""Shared by the tunnel tests (GRE, VXLAN, Geneve, MPLS): tcpdump's lines on the corpus captures
against rawnet sniff's, for the lines of one protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"


def _lines(command: list[str]) -> list[str]:
    env = dict(os.environ, TZ="GMT0")
    run = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env, check=False)
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


def corpus_pairs(capture: str) -> list[tuple[str, str]]:
    """(tcpdump's line, rawnet's line) for each line ``tcpdump -n -t -r`` and ``rawnet sniff -t
    -r`` print for a corpus capture (continuation lines, which tcpdump indents, left out)."""
    path = str(CORPUS / capture)
    expected = _lines(["tcpdump", "-n", "-t", "-r", path])
    printed = _lines([sys.executable, "-m", "rawnet", "sniff", "-t", "-r", path])
    assert len(expected) == len(printed), (capture, len(expected), len(printed))
    return list(zip(expected, printed, strict=True))


def assert_lines_as_tcpdump(frames: list[bytes], verbose: int = 0) -> None:
    """rawnet's summaries of Ethernet ``frames`` (decoded as captured) are tcpdump -n's, with -v
    or -vv for ``verbose`` 1 or 2: every line, the indented ones too, but tcpdump's hex dumps."""
    from rawnet import Ether
    from tests.oracle import tcpdump_lines

    options = ("-" + "v" * verbose,) if verbose else ()
    lines = "\n".join(Ether.decode_captured(frame, None).summary(verbose) for frame in frames).splitlines()
    expected = [line for line in tcpdump_lines(frames, 1, "-n", *options) if not line.startswith("\t0x")]
    assert lines == expected
