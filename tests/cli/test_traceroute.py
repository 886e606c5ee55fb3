"""rawnet traceroute, run in a line a - r1 - b; what it claims checked by what r1 and b saw.

The observers: a tcpdump capture in r1 or b read back by tshark (the probes' TTLs and ports),
a real listening socket in b, and the kernels' own ICMP answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import (
    answer_every_probe,
    assert_one_line_error,
    json_lines,
    lines_of,
    rawnet,
    tcpdump,
    tshark_fields,
)
from tests.cli.probe_helpers import (
    assert_needs_cap_net_raw,
    link,
    listening,
)


@pytest.fixture(scope="module")
def line() -> Iterator[Lab]:
    """a - r1 - b, with r1 and b answering every probe (no ICMP rate limit)."""
    with Lab.line(routers=1) as made:
        for host in ("r1", "b"):
            answer_every_probe(made, host)
        yield made


def test_traceroute_udp_finds_r1_then_b_and_stops(line: Lab, tmp_path: Path) -> None:
    r1, b = line["r1"], line["b"]
    with tcpdump(line, "r1", link(line, "r1", "a"), "udp", tmp_path / "trace.pcap") as capture:
        result = rawnet(line, "a", "traceroute", b.ipv4, "-n", "-w", "1", "-N", "1")  # one probe at a time
    assert result.returncode == 0, result.stderr
    lines = lines_of(result)
    assert lines[0] == f"traceroute to {b.ipv4} ({b.ipv4}), 30 hops max, 60 byte packets"
    assert re.fullmatch(rf" 1  {r1.interfaces['a'].ipv4}(  \d+\.\d{{3}} ms){{3}}", lines[1]), lines[1]
    assert re.fullmatch(rf" 2  {b.ipv4}(  \d+\.\d{{3}} ms){{3}}", lines[2]), lines[2]
    assert len(lines) == 3  # it stopped at the destination, and sent nothing past it
    probes = tshark_fields(capture, "ip.ttl", "udp.dstport")
    assert [row[0] for row in probes] == ["1", "1", "1", "2", "2", "2"]
    assert [int(row[1]) for row in probes] == list(range(33434, 33440))


def test_traceroute_icmp_and_tcp_with_json(line: Lab, tmp_path: Path) -> None:
    r1, b = line["r1"], line["b"]
    icmp = rawnet(line, "a", "traceroute", "-I", b.ipv4, "-q", "2", "-N", "1", "--json")
    assert icmp.returncode == 0, icmp.stderr
    hops = json_lines(icmp.stdout)
    assert [hop["ttl"] for hop in hops[:-1]] == [1, 2]
    assert [[probe["from"] for probe in hop["probes"]] for hop in hops[:-1]] == [
        [r1.interfaces["a"].ipv4] * 2,
        [b.ipv4] * 2,
    ]
    assert [hops[0]["probes"][0]["answer"], hops[1]["probes"][0]["answer"]] == ["time-exceeded", "echo-reply"]
    assert hops[-1] == {
        "type": "statistics",
        "destination": b.ipv4,
        "reached": True,
        "hops": 2,
        "sent": 4,
        "received": 4,
    }
    with (
        tcpdump(line, "b", link(line, "b", "r1"), "tcp", tmp_path / "tcp.pcap") as capture,
        listening(line, 2222),
    ):
        tcp = rawnet(line, "a", "traceroute", "-T", "-p", "2222", b.ipv4, "-q", "1", "-N", "1", "--json")
    assert tcp.returncode == 0, tcp.stderr
    assert [hop["probes"][0].get("answer") for hop in json_lines(tcp.stdout)[:-1]] == ["time-exceeded", "SA"]
    syns = tshark_fields(capture, "tcp.dstport", "ip.ttl", display_filter="tcp.flags == 0x002")
    assert syns == [["2222", "1"]]  # only the TTL-2 probe reached b (r1 took one off)


def test_traceroute_ipv6(line: Lab) -> None:
    r1, b = line["r1"], line["b"]
    result = rawnet(line, "a", "traceroute", b.ipv6, "-q", "1", "-w", "1")
    assert result.returncode == 0, result.stderr
    hops = [text.split()[:2] for text in lines_of(result)[1:]]
    assert hops == [["1", r1.interfaces["a"].ipv6], ["2", b.ipv6]]


def test_traceroute_that_runs_out_of_hops_exits_1(line: Lab) -> None:
    result = rawnet(line, "a", "traceroute", line["b"].ipv4, "-m", "1", "-q", "1", "-w", "1")
    assert result.returncode == 1
    assert [text.split()[:2] for text in lines_of(result)[1:]] == [["1", line["r1"].interfaces["a"].ipv4]]


def test_traceroute_interface_and_source(line: Lab, tmp_path: Path) -> None:
    a, b, through = line["a"], line["b"], link(line, "a", "r1")
    with tcpdump(line, "r1", link(line, "r1", "a"), "udp", tmp_path / "bound.pcap") as capture:
        result = rawnet(line, "a", "traceroute", b.ipv4, "-i", through, "-s", a.ipv4, "-q", "1", "-N", "1")
        looped = rawnet(line, "a", "traceroute", b.ipv4, "-i", "lo", "-q", "1", "-m", "1", "-w", "0.3")
    assert result.returncode == 0, result.stderr
    assert len(lines_of(result)) == 3  # r1, then b
    assert looped.returncode == 1 and lines_of(looped)[1] == " 1  *"
    assert tshark_fields(capture, "ip.src", "ip.ttl") == [[a.ipv4, "1"], [a.ipv4, "2"]]  # none by lo


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["traceroute", "198.18.1.300"], ["rawnet traceroute", "198.18.1.300"]),
        (["traceroute", "198.18.1.2", "-f", "5", "-m", "2"], ["beyond the max TTL"]),
        (["traceroute", "198.18.1.2", "-q", "0"], ["-q"]),
        (["traceroute", "198.18.1.2", "-I", "-p", "80"], ["-p PORT"]),
        (["traceroute", "198.18.1.2", "-i", "nosuch0"], ["no interface named 'nosuch0'"]),
        (["traceroute", "198.18.1.2", "-s", "2001:db8::1"], ["not of one family"]),
        (["traceroute", "198.18.1.2", "-s", "nobody"], ["-s", "not an IPv4 or IPv6 address"]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(lab, "a", *args), 2, *words)


def test_without_cap_net_raw_it_is_one_line_and_exit_3(lab: Lab) -> None:
    assert_needs_cap_net_raw(lab, "traceroute")
