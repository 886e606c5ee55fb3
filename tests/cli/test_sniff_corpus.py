"""rawnet sniff -r against tcpdump on tcpdump's own test captures (tests/data/tcpdump).

Two oracles: the expected outputs in tcpdump's TESTLIST (printed by tcpdump's git version of the
captures' commit) and the installed tcpdump. The issue's targets are checked as ratios over all
the lines, so that a capture rawnet gets wrong counts against it whatever its protocol:
- of the TESTLIST lines, at least 40% are printed the same;
- of the lines the installed tcpdump prints for the protocols issue 12 lists (told by tcpdump's
  own words in the line, or the capture's link type), at least 90%.
Each capture is read by both programs once (a module fixture); the lines are then compared.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.conftest import RAWNET

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
_NUMBERED = re.compile(r"^\s*\d+  (.*)$")
_ENV = dict(os.environ, TZ="GMT0")

Run = tuple[str, tuple[str, ...]]  # (capture, options)


def _first_lines(command: list[str], capture: str, options: tuple[str, ...]) -> list[str]:
    run = subprocess.run(
        [*command, "-r", str(CORPUS / capture), *options],
        capture_output=True,
        text=True,
        errors="replace",
        env=_ENV,
        timeout=120,
        check=False,
    )
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


def _testlist() -> list[tuple[str, str, tuple[str, ...]]]:
    """(capture, expected output, options) of the TESTLIST entries whose files are here."""
    entries = []
    for line in (CORPUS / "TESTLIST").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            _, capture, output, *options = parts
            if (CORPUS / capture).exists() and (CORPUS / output).exists():
                entries.append((capture, output, tuple(options)))
    return entries


def _linktype(capture: str) -> int | None:
    """The link type of a pcap file's header (None for pcapng: it has one per interface)."""
    head = (CORPUS / capture).read_bytes()[:24]
    if len(head) < 24 or head[:4] not in (
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"M<\xb2\xa1",
        b"\xa1\xb2<M",
    ):
        return None
    order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"M<\xb2\xa1") else ">"
    return int(struct.unpack(order + "I", head[20:24])[0]) & 0x0FFFFFFF


@pytest.fixture(scope="module")
def printed() -> Callable[[str, Run], list[str]]:
    """Every run both programs make, made once, four at a time: (program, run) -> its lines."""
    captures = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".pcap", ".pcapng"))
    runs: set[tuple[str, Run]] = {("rawnet", (c, ("-tttt", *o))) for c, _, o in _testlist()}
    for capture in captures:
        runs |= {("rawnet", (capture, ())), ("tcpdump", (capture, ()))}
    commands = {"rawnet": [*RAWNET, "sniff"], "tcpdump": ["tcpdump", "-n"]}
    order = sorted(runs)
    with ThreadPoolExecutor(4) as pool:
        results = pool.map(lambda job: _first_lines(commands[job[0]], *job[1]), order)
        lines = dict(zip(order, results, strict=True))
    return lambda program, run: lines[(program, run)]


def _same(want: list[str], got: list[str]) -> int:
    return sum(a == b for a, b in zip(want, got, strict=False))


def test_testlist_lines_are_tcpdumps(printed: Callable[[str, Run], list[str]]) -> None:
    same = total = 0
    worst = []
    for capture, output, options in _testlist():
        lines = (CORPUS / output).read_text(errors="replace").splitlines()
        # (a packet's line, numbered; or a line tcpdump does not indent: a VXLAN header's frame)
        want = [
            match.group(1) if (match := _NUMBERED.match(line)) else line
            for line in lines
            if _NUMBERED.match(line) or (line and not line[0].isspace())
        ]
        got = printed("rawnet", (capture, ("-tttt", *options)))
        hits = _same(want, got)
        same, total = same + hits, total + len(want)
        worst.append((len(want) - hits, capture, options))
    worst.sort(reverse=True)
    assert same >= 0.40 * total, f"{same}/{total} lines as tcpdump's; most missed: {worst[:5]}"


#: Issue 12's protocols as tcpdump's lines name them (their words, or the ports of DNS).
LISTED = {
    "dns": re.compile(r"^IP6? \S+\.(53|5353|5355) > |^IP6? \S+ > \S+\.(53|5353|5355): "),
    "dhcp": re.compile(r"BOOTP/DHCP|: dhcp6 "),
    "ntp": re.compile(r": NTPv\d"),
    "gre": re.compile(r": GREv\d"),
    "vxlan": re.compile(r": VXLAN,"),
    "geneve": re.compile(r": Geneve,"),
    "mpls": re.compile(r"\bMPLS \(label"),
    "igmp": re.compile(r": igmp "),
    "mld": re.compile(r"multicast listener"),
    "sctp": re.compile(r": sctp"),
    "lldp": re.compile(r"\bLLDP\b"),
}
_NULL_LINKS = (0, 108)  # DLT_NULL, DLT_LOOP
#: The lines of those link types that hold only what rawnet printed before issue 12 (an IP
#: header and its transport's plain line, ARP): the link type's own part of the measure.
_PLAIN = re.compile(
    r"^(IP6?) \S+ > \S+: (Flags \[[^\]]*\].*|UDP, length \d+|ICMP6?[ ,].*|ip-proto-\d+.*)$|^ARP, "
)


def test_the_listed_protocols_lines_are_tcpdumps(printed: Callable[[str, Run], list[str]]) -> None:
    counts = {name: [0, 0] for name in (*LISTED, "null/loop")}
    for capture in sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".pcap", ".pcapng")):
        want, got = printed("tcpdump", (capture, ())), printed("rawnet", (capture, ()))
        null = _linktype(capture) in _NULL_LINKS
        for index, line in enumerate(want):
            text = line.split(" ", 1)[-1]  # (without the time of day)
            mine = got[index].split(" ", 1)[-1] if index < len(got) else ""
            names = [name for name, words in LISTED.items() if words.search(text)]
            for name in [*names, *(["null/loop"] if null and _PLAIN.match(text) else [])]:
                counts[name][0] += text == mine
                counts[name][1] += 1
    same = sum(hits for hits, _ in counts.values())
    total = sum(seen for _, seen in counts.values())
    assert all(seen for _, seen in counts.values()), f"a protocol no capture holds: {counts}"
    assert same >= 0.90 * total, f"{same}/{total} lines as tcpdump's: {counts}"
