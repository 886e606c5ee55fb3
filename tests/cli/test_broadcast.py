"""Sending to a broadcast address, run inside a lab: rawnet send (SO_BROADCAST always, as
hping3) and rawnet ping -b (as iputils ping: refused without -b, with ping's words)."""

from __future__ import annotations

import ipaddress
import select
import socket
from collections.abc import Iterator

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import answer_every_probe, assert_one_line_error, lines_of, rawnet

_ASK = "Do you want to ping broadcast? Then -b. If not, check your local firewall rules"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """a and b; b answers broadcast pings (Linux ignores them by default)."""
    with Lab.pair() as made:
        answer_every_probe(made, "b")
        made.sysctl("b", "net.ipv4.icmp_echo_ignore_broadcasts", "0")
        yield made


def _broadcast(lab: Lab) -> str:
    end = lab["a"].interfaces["b"]
    return str(ipaddress.ip_interface(f"{end.ipv4}/{end.prefix4}").network.broadcast_address)


def test_send_to_a_broadcast_address_reaches_the_peer(lab: Lab) -> None:
    with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        server.bind(("0.0.0.0", 9999))
        result = rawnet(lab, "a", "send", "--udp", "-p", "9999", "-c", "1", _broadcast(lab))
        assert result.returncode == 1, result.stderr  # sent, but nothing answers a UDP datagram: hping3's 1
        assert "Permission denied" not in result.stderr and "refused" not in result.stderr
        assert select.select([server], [], [], 5)[0], "b heard nothing"
        _, (source, _) = server.recvfrom(100)
    assert source == lab["a"].ipv4


def test_ping_of_a_broadcast_needs_b_as_iputils_ping(lab: Lab) -> None:
    target = _broadcast(lab)
    result = rawnet(lab, "a", "ping", "-c", "1", target)
    assert_one_line_error(result, 2, _ASK)
    assert "root" not in result.stderr
    classic = lab.run("a", ["ping", "-c", "1", target], timeout=10)
    assert classic.returncode == 2 and _ASK in classic.stderr


def test_ping_b_gets_the_peers_replies_as_iputils_ping(lab: Lab) -> None:
    target, peer = _broadcast(lab), lab["b"].ipv4
    result = rawnet(lab, "a", "ping", "-b", "-c", "2", "-i", "0.1", target)
    assert result.returncode == 0, result.stderr
    assert "WARNING: pinging broadcast address" in result.stderr
    replies = [line for line in lines_of(result) if " bytes from " in line]
    assert [line.split(":")[0] for line in replies] == [f"64 bytes from {peer}"] * 2
    assert "2 packets transmitted, 2 received, 0% packet loss" in result.stdout
    classic = lab.run("a", ["ping", "-b", "-c", "2", "-i", "0.1", target], timeout=10)
    assert classic.returncode == 0 and classic.stdout.count(f"64 bytes from {peer}:") == 2
