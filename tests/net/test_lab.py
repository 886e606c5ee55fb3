"""The lab: namespaces, veth pairs, addresses and routes, checked with the kernel and iproute2.

Everything here happens inside namespaces the tests create (198.18.0.0/15, 2001:db8::/32).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from rawnet.net.lab import (
    PREFIX,
    Lab,
    LabError,
    check_name,
    named_labs,
    remove_named,
    remove_stale,
    stale_namespaces,
)

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # linux/in.h; Python 3.11 does not export it


def namespaces() -> set[str]:
    """The namespaces iproute2 lists (not pyroute2: an independent look)."""
    out = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {entry["name"] for entry in json.loads(out or "[]")}


def exchange(lab: Lab, sender: str, receiver: str, family: int, address: str) -> tuple[bytes, int]:
    """A UDP datagram from one host to another through the kernel; returns data and the TTL seen."""
    inbound = lab.socket(receiver, family, socket.SOCK_DGRAM)
    outbound = lab.socket(sender, family, socket.SOCK_DGRAM)
    with inbound, outbound:
        if family == socket.AF_INET:
            inbound.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        else:
            inbound.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        inbound.bind((address, 0))
        inbound.settimeout(2)
        outbound.sendto(b"hello lab", (address, inbound.getsockname()[1]))
        data, ancillary, _, _ = inbound.recvmsg(100, socket.CMSG_SPACE(4))
        ttl = int.from_bytes(ancillary[0][2][:4], "little")
        return data, ttl


def test_a_pair_is_two_namespaces_joined_by_a_veth_pair() -> None:
    with Lab.pair() as lab:
        a, b = lab["a"], lab["b"]
        assert {a.netns, b.netns} <= namespaces()
        assert a.ipv4 == "198.18.1.1" and b.ipv4 == "198.18.1.2"
        assert a.ipv6 == "2001:db8:1::1" and b.ipv6 == "2001:db8:1::2"
        shown = json.loads(lab.run("a", ["ip", "-j", "addr", "show", "dev", a.interfaces["b"].name]).stdout)
        addresses = {info["local"] for info in shown[0]["addr_info"]}
        assert {"198.18.1.1", "2001:db8:1::1"} <= addresses
        assert shown[0]["address"] == a.interfaces["b"].mac
        assert exchange(lab, "a", "b", socket.AF_INET, b.ipv4) == (b"hello lab", 64)
        assert exchange(lab, "b", "a", socket.AF_INET6, a.ipv6) == (b"hello lab", 64)
    assert not {a.netns, b.netns} & namespaces()


def test_a_line_forwards_through_its_routers() -> None:
    with Lab.line(routers=2) as lab:
        assert [name for name in lab.hosts] == ["a", "r1", "r2", "b"]
        b, a = lab["b"], lab["a"]
        # Three hops: each router decrements the TTL once, so the far end sees 64 - 2.
        assert exchange(lab, "a", "b", socket.AF_INET, b.ipv4) == (b"hello lab", 62)
        assert exchange(lab, "b", "a", socket.AF_INET6, a.ipv6) == (b"hello lab", 62)
        assert (
            lab.run("a", ["ip", "route", "get", b.ipv4]).stdout.split()[2] == lab["r1"].interfaces["a"].ipv4
        )


def test_the_lab_is_removed_however_the_block_ends() -> None:
    created: list[str] = []
    with pytest.raises(RuntimeError, match="boom"), Lab.pair() as lab:
        created = [host.netns for host in lab.hosts.values()]
        raise RuntimeError("boom")
    assert created and not set(created) & namespaces()


def test_the_lab_has_no_way_out() -> None:
    with Lab.pair() as lab:
        routes = lab.run("a", ["ip", "-j", "route", "show"]).stdout
        assert all(route["dst"] != "default" for route in json.loads(routes))
        probe = lab.run("a", ["ip", "route", "get", "192.0.2.1"])  # a route lookup: nothing is sent
        assert probe.returncode != 0 and "unreachable" in probe.stderr


def test_stale_namespaces_of_dead_runs_are_found_and_removed() -> None:
    dead = f"{PREFIX}-999999999-1-a"  # no process has this pid
    subprocess.run(["ip", "netns", "add", dead], check=True)
    try:
        assert dead in stale_namespaces()
        assert dead in remove_stale()
        assert dead not in namespaces()
    finally:
        subprocess.run(["ip", "netns", "del", dead], capture_output=True)


def test_a_named_lab_outlives_its_object_and_is_found_again_by_name() -> None:
    name = f"keep{os.getpid()}"
    kept = {f"{PREFIX}-keep-{name}-{host}" for host in ("a", "r1", "b")}
    try:
        made = Lab.line(routers=1, name=name)
        expected = {host.name: (host.netns, host.interfaces) for host in made.hosts.values()}
        del made  # never closed: a named lab stays
        assert kept <= namespaces()
        assert not kept & set(stale_namespaces()) and not kept & set(remove_stale())
        assert named_labs()[name] == {host: f"{PREFIX}-keep-{name}-{host}" for host in ("a", "b", "r1")}

        again = Lab.attach(name)  # rebuilt from the kernel alone
        assert list(again.hosts) == ["a", "r1", "b"]
        assert {host.name: (host.netns, host.interfaces) for host in again.hosts.values()} == expected
        assert again["b"].ipv4 == "198.18.2.2" and again["r1"].interfaces["b"].ipv4 == "198.18.2.1"
        assert exchange(again, "a", "b", socket.AF_INET, again["b"].ipv4) == (b"hello lab", 63)
        with pytest.raises(LabError, match="exists already"):
            Lab.pair(name=name)
        assert kept <= namespaces()  # the refused second lab touched nothing

        assert sorted(remove_named(name)) == sorted(kept)
        assert not kept & namespaces()
        with pytest.raises(LabError, match="no lab named"):
            Lab.attach(name)
        with pytest.raises(LabError, match="no lab named"):
            remove_named(name)
    finally:
        for namespace in kept:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def test_a_named_lab_used_as_a_context_manager_is_removed_at_the_end() -> None:
    name = f"ctx{os.getpid()}"
    with Lab.pair(name=name) as lab:
        assert lab.name == name and lab["a"].netns == f"{PREFIX}-keep-{name}-a"
        assert name in named_labs()
    assert name not in named_labs()


@pytest.mark.parametrize("name", ["demo", "a.b-c_1", "X" * 32])
def test_lab_names_that_are_accepted(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize("name", ["", "-x", ".x", "a/b", "a b", "X" * 33, "é"])
def test_lab_names_that_are_refused_before_anything_is_made(name: str) -> None:
    with pytest.raises(LabError, match="cannot name a lab"):
        Lab.pair(name=name)
    assert not any(namespace.startswith(f"{PREFIX}-keep-{name}-") for namespace in namespaces())
