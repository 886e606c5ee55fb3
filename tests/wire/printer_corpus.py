"""rawnet's lines and tcpdump's on tcpdump's own test captures (tests/data/tcpdump), for the
tests of the printers: the installed tcpdump's lines, or the lines a TESTLIST output holds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
_NUMBERED = re.compile(r"^\s*\d+  (.*)$")


def _first_lines(command: list[str], capture: str) -> list[str]:
    run = subprocess.run(
        [*command, "-r", str(CORPUS / capture), "-tttt"],
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


def rawnet_lines(capture: str) -> list[str]:
    """``rawnet sniff -r``'s lines for a capture of the corpus."""
    return _first_lines([sys.executable, "-m", "rawnet", "sniff"], capture)


def tcpdump_lines(capture: str) -> list[str]:
    """The installed ``tcpdump -n -r``'s first lines for a capture of the corpus."""
    return _first_lines(["tcpdump", "-n"], capture)


def expected_lines(output: str) -> list[str]:
    """The first lines of a TESTLIST output of the corpus (tcpdump's own expected text)."""
    lines = (CORPUS / output).read_text(errors="replace").splitlines()
    return [match.group(1) for line in lines if (match := _NUMBERED.match(line))]


def differences(want: list[str], got: list[str], marker: str) -> list[tuple[str, str]]:
    """The (tcpdump, rawnet) pairs of lines that differ among those of tcpdump holding ``marker``."""
    assert len(want) == len(got), (len(want), len(got))
    chosen = [(line, mine) for line, mine in zip(want, got, strict=True) if marker in line]
    assert chosen, f"no line holds {marker!r}"
    return [(line, mine) for line, mine in chosen if line != mine]
