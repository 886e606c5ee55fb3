"""rawnet traceroute beside Linux traceroute (Dmitry Butskoy's), on one target in a line a - r1 - b.

Both run in a; their lines are compared with the times blanked out (hops, addresses, "*" and
marks stay), and what their probes looked like on the wire is read from tcpdump captures in r1.
The link r1 - b has an MTU of 1400, so that -F probes longer than that meet a "!F-1400" at r1.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import (
    answer_every_probe,
    assert_one_line_error,
    lines_of,
    rawnet,
    tcpdump,
    tshark_fields,
)
from tests.cli.probe_helpers import link


@pytest.fixture(scope="module")
def line() -> Iterator[Lab]:
    """a - r1 - b, r1 and b answering every probe, the r1 - b link at MTU 1400."""
    with Lab.line(routers=1) as made:
        for host in ("r1", "b"):
            answer_every_probe(made, host)
        for host, peer in (("r1", "b"), ("b", "r1")):
            made.run(host, ["ip", "link", "set", link(made, host, peer), "mtu", "1400"], check=True)
        yield made


def classic(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return lab.run("a", ["traceroute", "-n", *args], timeout=60)


def shape(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines with each round-trip time blanked out."""
    return [re.sub(r"\d+\.\d{3} ms", "T ms", text) for text in lines_of(result)]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-I"],
        ["-T"],
        ["-q", "1"],
        ["-f", "2", "-q", "2"],
        ["-m", "1", "-q", "1"],
        ["-N", "1", "-q", "2"],
        ["-w", "2,3,10"],
        ["1400"],
        ["10"],
        ["-F", "1450"],
        ["-I", "-F", "1450", "-q", "1"],
        ["-t", "16", "-q", "1"],
        ["-6", "-q", "1"],
        ["-6", "-F", "1450", "-q", "1"],
    ],
    ids=lambda args: " ".join(args) or "defaults",
)
def test_lines_match_traceroutes(line: Lab, args: list[str]) -> None:
    b = line["b"]
    target = b.ipv6 if "-6" in args else b.ipv4
    ours, theirs = rawnet(line, "a", "traceroute", target, *args), classic(line, target, *args)
    assert theirs.returncode == 0, theirs.stderr
    assert shape(ours) == shape(theirs), (ours.stdout, ours.stderr, theirs.stdout)
    # (the exit code is rawnet's own: 1 when b never answered; traceroute exits 0)
    reached = any(target in text.split() for text in lines_of(ours)[1:])
    assert ours.returncode == (0 if reached else 1)


def test_probes_on_the_wire_match_traceroutes(line: Lab, tmp_path: Path) -> None:
    """Packet length, TOS, DF, TTLs and ports, and how many probes fly at once (-N)."""
    b, where = line["b"], link(line, "r1", "a")
    fields = ("ip.len", "ip.dsfield", "ip.flags.df", "ip.ttl", "udp.dstport")
    runs = [["-t", "16", "-F", "1000"], ["-N", "1"], ["-f", "2", "-q", "1"], []]
    seen = {}
    for who, run in (("rawnet", rawnet), ("classic", None)):
        for args in runs:
            path = tmp_path / f"{who}{len(seen)}.pcap"
            with tcpdump(line, "r1", where, "udp and src host " + line["a"].ipv4, path):
                if run is None:
                    classic(line, b.ipv4, *args)
                else:
                    run(line, "a", "traceroute", b.ipv4, *args)
            seen[who, tuple(args)] = tshark_fields(path, *fields)
    for args in runs:
        ours, theirs = seen["rawnet", tuple(args)], seen["classic", tuple(args)]
        if args == ["-N", "1"]:  # one at a time: the same probes exactly
            assert ours == theirs, args
        else:  # with probes in flight, how many leave before b's answer comes depends on timing
            common = min(len(ours), len(theirs))
            assert common >= 3 and ours[:common] == theirs[:common], args
    assert {tuple(row[:3]) for row in seen["rawnet", ("-t", "16", "-F", "1000")]} == {("1000", "0x10", "1")}
    # 16 probes in flight by default (TTLs up to 6), one at a time with -N 1 (none past b)
    assert [row[3] for row in seen["rawnet", ()]] == [str(ttl) for ttl in range(1, 7) for _ in range(3)][:16]
    assert [row[3] for row in seen["rawnet", ("-N", "1")]] == ["1", "1", "1", "2", "2", "2"]
    assert seen["rawnet", ("-f", "2", "-q", "1")][0][3:] == ["2", "33434"]  # (the first port, any -f)


def test_sendwait_above_10_is_milliseconds(line: Lab, tmp_path: Path) -> None:
    b = line["b"]
    with tcpdump(line, "r1", link(line, "r1", "a"), "udp", tmp_path / "z.pcap") as capture:
        result = rawnet(line, "a", "traceroute", b.ipv4, "-q", "1", "-z", "300")  # 300 ms, not 300 s
    assert result.returncode == 0, result.stderr
    times = [float(row[0]) for row in tshark_fields(capture, "frame.time_relative")]
    assert len(times) == 2 and times[1] - times[0] >= 0.29  # (a pause at least: never a speed)


def test_dont_fragment_over_the_first_mtu(line: Lab) -> None:
    """-F longer than a's own MTU: traceroute's "!F-1500" at hop 1, without its made-up times."""
    result = rawnet(line, "a", "traceroute", line["b"].ipv4, "-F", "1600")
    assert result.returncode == 1
    assert lines_of(result)[1:] == [" 1  * !F-1500 * !F-1500 * !F-1500"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-I", "-T"], ["-I/--icmp", "-T/--tcp"]),
        (["-T", "-U"], ["-T/--tcp", "-U/--udp"]),
        (["70000"], ["PACKETLEN", "65000"]),
        (["-w", "1,2,3,4"], ["-w", "MAX[,HERE,NEAR]"]),
        (["-w", "0"], ["-w", "more than 0"]),
        (["-w", "1,x"], ["-w", "factors"]),
        (["-N", "0"], ["-N"]),
        (["-t", "256"], ["-t"]),
        (["-z", "soon"], ["-z"]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(line: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(line, "a", "traceroute", "198.18.2.2", *args), 2, *words)
