"""scapy's arping and traceroute against the kernels of a lab: a router's time exceeded, the
target's own answer, the MACs that answer ARP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rawnet import ARP, ICMP, IP, TCP, UDP, IPv6, PacketList, SndRcvList
from rawnet.net.lab import Lab
from rawnet.net.probing import arping, traceroute


@pytest.fixture(scope="module")
def line() -> Iterator[Lab]:
    with Lab.line(routers=1) as made:
        yield made


def test_arping_lists_who_answered_and_returns_scapys_pair(
    line: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    a, r1 = line["a"], line["r1"]
    ans, unans = arping("198.18.1.0/30", timeout=0.5, netns=a.netns)  # the route picks the link
    assert isinstance(ans, SndRcvList) and isinstance(unans, PacketList)
    [(request, reply)] = ans  # .1 is a itself; .0 and .3 are nobody
    mac = r1.interfaces["a"].mac
    assert (reply[ARP].psrc, reply[ARP].hwsrc, request[ARP].hwsrc) == (
        "198.18.1.2",
        mac,
        a.interfaces["r1"].mac,
    )
    assert sorted(str(packet[ARP].pdst) for packet in unans) == ["198.18.1.0", "198.18.1.1", "198.18.1.3"]
    assert capsys.readouterr().out == f"  {mac:<17} 198.18.1.2\n"  # scapy's table, verbose by default
    arping("198.18.1.2", timeout=0.5, verbose=0, iface=a.interfaces["r1"].name, netns=a.netns)
    assert capsys.readouterr().out == ""


def test_traceroute_shows_the_router_then_the_target(line: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    a, r1, b = line["a"], line["r1"], line["b"]
    result, unans = traceroute(b.ipv4, dport=80, maxttl=3, timeout=1, netns=a.netns)
    router = r1.interfaces["a"].ipv4
    assert [row.rstrip() for row in capsys.readouterr().out.splitlines()] == [
        f"  {b.ipv4}:tcp80",
        f"1 {router:<15} 11",
        f"2 {b.ipv4:<15} RA",  # nothing listens on b's port 80: the kernel resets
        f"3 {b.ipv4:<15} RA",
    ]
    assert result.get_trace() == {b.ipv4: {1: (router, False), 2: (b.ipv4, True), 3: (b.ipv4, True)}}
    assert not unans and all(query[TCP].flags == "S" for query, _ in result)
    assert len({query[TCP].sport for query, _ in result}) == 3  # a random port drawn per probe, as scapy's


def test_traceroute_with_another_layer_4_and_over_ipv6(line: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = line["a"], line["b"]
    result, _ = traceroute(
        b.ipv4, maxttl=2, l4=UDP(sport=43500, dport=33434), timeout=1, verbose=0, netns=a.netns
    )
    assert [(int(query[IP].ttl), int(answer[ICMP].type)) for query, answer in result] == [(1, 11), (2, 3)]
    result, _ = traceroute(b.ipv6, maxttl=2, timeout=1, netns=a.netns)
    assert sorted((int(query[IPv6].hlim), str(answer[IPv6].src)) for query, answer in result) == [
        (1, line["r1"].interfaces["a"].ipv6),
        (2, b.ipv6),
    ]
    assert capsys.readouterr().out.splitlines()[0].rstrip() == f"  {b.ipv6}:tcp80"
