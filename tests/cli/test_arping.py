"""rawnet arping, run inside a lab; what it claims checked by what b saw.

The observer: a tcpdump capture in b read back by tshark (the requests that left, and b's
kernel's answers).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import (
    assert_one_line_error,
    json_lines,
    lines_of,
    rawnet,
    tcpdump,
    tshark_fields,
)
from tests.cli.probe_helpers import (
    NOBODY,
    assert_needs_cap_net_raw,
    link,
    statistics,
)


def test_arping_reports_bs_mac(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "arp", tmp_path / "arp.pcap") as capture:
        result = rawnet(
            lab, "a", "arping", b.ipv4, "-I", link(lab, "a", "b"), "-c", "2", "-i", "0.1", "--json"
        )
    assert result.returncode == 0, result.stderr
    replies = [record for record in json_lines(result.stdout) if record["type"] == "reply"]
    assert [record["mac"] for record in replies] == [b.interfaces["a"].mac.lower()] * 2
    assert (statistics(result)["sent"], statistics(result)["received"]) == (2, 2)
    # the first a broadcast, the next to the MAC that answered, as iputils arping (its -b: always
    # broadcast); the kernels' own ARP probes (a target MAC of zeros, or unicast) left out
    requests = tshark_fields(
        capture,
        "eth.dst",
        "arp.src.hw_mac",
        "arp.dst.hw_mac",
        "arp.dst.proto_ipv4",
        display_filter="arp.opcode == 1 and arp.dst.hw_mac != 00:00:00:00:00:00",
    )
    mine, theirs = lab["a"].interfaces["b"].mac, b.interfaces["a"].mac
    assert requests[0] == ["ff:ff:ff:ff:ff:ff", mine, "ff:ff:ff:ff:ff:ff", b.ipv4]
    assert [theirs, mine, theirs, b.ipv4] in requests[1:]
    answers = tshark_fields(
        capture, "arp.src.hw_mac", display_filter=f"arp.opcode == 2 and arp.src.proto_ipv4 == {b.ipv4}"
    )
    assert len(answers) >= 2 and {row[0] for row in answers} == {b.interfaces["a"].mac}


def test_arping_ipv6_sends_a_neighbour_solicitation(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp6", tmp_path / "ns.pcap") as capture:
        result = rawnet(lab, "a", "arping", b.ipv6, "-I", link(lab, "a", "b"), "-c", "1")
    assert result.returncode == 0, result.stderr
    mac = b.interfaces["a"].mac.upper()
    assert re.fullmatch(rf"Unicast reply from {b.ipv6} \[{mac}\]  \d+\.\d{{3}}ms", lines_of(result)[1])
    assert lines_of(result)[-2:] == ["Sent 1 probes (1 multicast(s))", "Received 1 response(s)"]
    # (multicast from a: the kernels' own unicast NUD probes left out)
    ours = f"icmpv6.type == 135 and ipv6.src == {lab['a'].ipv6} and ipv6.dst == ff00::/8"
    solicitations = tshark_fields(capture, "ipv6.dst", "icmpv6.nd.ns.target_address", display_filter=ours)
    assert solicitations == [["ff02::1:ff00:2", b.ipv6]]  # the solicited-node group of ...::2


def test_arping_unanswered_exits_1(lab: Lab) -> None:
    result = rawnet(lab, "a", "arping", NOBODY, "-c", "1", "-w", "0.3")  # interface from the route
    assert result.returncode == 1
    assert lines_of(result)[-1] == "Received 0 response(s)"


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["arping", "198.18.1.2", "-I", "nosuch"], ["rawnet arping", "no interface named 'nosuch'"]),
        (["arping", "198.18.1.2", "-I", "lo"], ["-I", "loopback"]),
        (["arping", "127.0.0.1"], ["127.0.0.1", "loopback", "no link-layer neighbour", "Ethernet"]),
        (["arping", "198.18.1.1"], ["198.18.1.1", "loopback"]),  # a's own address
        (["arping", "1.2.3.4.5"], ["1.2.3.4.5"]),
        (["arping", "198.18.1.2", "-c", "-1"], ["-c"]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    result = rawnet(lab, "a", *args)
    assert_one_line_error(result, 2, *words)
    assert "-I" in args or "-I" not in result.stderr  # no blame on an option that was not given


def test_without_cap_net_raw_it_is_one_line_and_exit_3(lab: Lab) -> None:
    assert_needs_cap_net_raw(lab, "arping")
