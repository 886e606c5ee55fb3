"""Filters on cooked sockets: libpcap's program for Linux cooked v2, moved to the socket's offsets.

The oracle is libpcap itself: its BPF interpreter runs the unmoved program on the SLL2 record of
every packet an unfiltered socket saw, and the kernel, running the moved program, must keep the
same packets.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from rawnet import ICMP, ICMPv6EchoRequest, Layer, PacketList
from rawnet.net.bpf import compile_filter, compile_program, fix_cooked
from rawnet.net.capture import AsyncSniffer
from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_LINUX_SLL2

MARK = b"rawnet: end of the traffic"
START = b"rawnet: start of the traffic"  # (what came before, both sniffers may not have seen)
#: Expressions whose programs only read what a cooked socket's filter can: the kernel runs them.
IN_KERNEL = [
    "udp port 9",
    "inbound",
    "outbound",
    "arp",
    "icmp or icmp6",
    "ip6 and tcp",
    "tcp[tcpflags] & tcp-rst != 0",
    "ip[8] = 64 and not udp",
]
#: Expressions that read the whole length or SLL2 bytes the kernel has no load for: run here.
IN_PROCESS = ["greater 100", "link[11] = 6 and icmp"]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def send_traffic(lab: Lab) -> None:
    """ARP, UDP, ICMP echo, refused TCP over IPv4 and IPv6, between a and b (replies included)."""
    b = lab["b"]
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(START, (b.ipv4, 7))
    lab.run("a", ["ip", "neigh", "flush", "all"], check=True)  # a asks b's MAC again: ARP
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for port in (9, 10, 9):
            udp.sendto(b"x" * 90 * port, (b.ipv4, port))
    with lab.socket("a", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as icmp:
        icmp.sendto(bytes(ICMP(type=8, id=7, seq=1) / b"ping"), (b.ipv4, 0))  # the kernel answers
    with lab.socket("a", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as icmp6:
        icmp6.sendto(bytes(ICMPv6EchoRequest(id=7, seq=1) / b"ping"), (b.ipv6, 0))
    for family, address in ((socket.AF_INET, b.ipv4), (socket.AF_INET6, b.ipv6)):
        with lab.socket("a", family, socket.SOCK_STREAM) as tcp, contextlib.suppress(OSError):
            tcp.connect((address, 81))
    time.sleep(0.2)
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(MARK, (b.ipv4, 7))


def test_a_cooked_program_reads_the_packet_from_its_network_header() -> None:
    program = compile_filter("udp port 9", LINKTYPE_LINUX_SLL2)
    moved = fix_cooked(program)
    assert moved is not None and all(a[:3] == b[:3] for a, b in zip(program, moved, strict=True))
    changed = [(a[3], b[3]) for a, b in zip(program, moved, strict=True) if a != b]  # only offsets
    assert changed[0] == (0, 0xFFFFF000)  # ldh [0], SLL2's protocol field: the kernel's #proto
    assert len(changed) > 3 and all(old - new == 20 for old, new in changed[1:])  # past SLL2's 20 bytes
    assert all(fix_cooked(compile_filter(text, LINKTYPE_LINUX_SLL2)) is None for text in IN_PROCESS)


def after_start(packets: PacketList) -> list[Layer]:
    """The packets from the start mark on (a fresh lab's kernels send MLD reports at any time)."""
    starts = [index for index, packet in enumerate(packets) if START in bytes(packet)]
    assert starts, "the start mark was not captured"
    return list(packets)[starts[0] :]


@pytest.mark.parametrize("expression", IN_KERNEL + IN_PROCESS)
def test_the_kernel_keeps_what_libpcap_keeps(lab: Lab, expression: str) -> None:
    namespace, marked = lab["b"].netns, f"({expression}) or udp port 7"
    everything = AsyncSniffer(timeout=10, stop_filter=lambda p: MARK in bytes(p), netns=namespace)
    filtered = AsyncSniffer(
        filter=marked, timeout=10, stop_filter=lambda p: MARK in bytes(p), netns=namespace
    )
    everything.start()
    filtered.start()
    send_traffic(lab)
    seen, kept = after_start(everything.join()), after_start(filtered.join())
    libpcap = compile_program(marked, LINKTYPE_LINUX_SLL2)
    expected = [bytes(p) for p in seen if libpcap.filter(bytes(p))]  # (packets: as the file records them)
    assert sorted(bytes(p) for p in kept) == sorted(expected)
    assert 1 < len(expected) < len(seen)  # (the mark, and more; not everything)
