"""Capture with kernel filters, checked against what was really sent inside a lab."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawnet import IP, TCP, UDP, Dot1Q, Ether
from rawnet.net.bpf import FilterError, compile_filter
from rawnet.net.capture import AsyncSniffer, sniff
from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_LINUX_SLL2, LINKTYPE_RAW
from rawnet.net.sockets import RawSocket
from tests.servers import Tun, tun


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def send_mix(lab: Lab) -> None:
    """UDP to ports 9 and 10, and a TCP connection attempt, from a to b."""
    b = lab["b"].ipv4
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for port in (9, 10, 9, 10, 9):
            udp.sendto(b"port %d" % port, (b, port))
    with lab.socket("a", socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.settimeout(1)
        with contextlib.suppress(OSError):  # refused: a SYN and a RST went by
            tcp.connect((b, 5555))


def test_a_bad_filter_is_an_error_with_libpcaps_reason() -> None:
    with pytest.raises(FilterError, match="filter 'udp prt 9': can't parse filter expression: syntax error"):
        compile_filter("udp prt 9")
    assert compile_filter("udp port 9")[0] == (0x28, 0, 0, 12)  # ldh [12]: the EtherType


def test_the_kernel_filter_lets_exactly_the_matching_packets_through(lab: Lab) -> None:
    interface = lab["b"].interfaces["a"].name
    sniffer = AsyncSniffer(interface, "udp dst port 9", timeout=3, netns=lab["b"].netns)
    sniffer.start()
    send_mix(lab)
    time.sleep(0.3)
    got = sniffer.stop()
    assert [bytes(r.packet[UDP].payload or b"") for r in got] == [b"port 9"] * 3
    assert all(r.packet[UDP].dport == 9 and r.interface == interface for r in got)


def test_start_returns_only_when_capturing(lab: Lab) -> None:
    # Sent the instant start() returns: a sniffer that was not capturing yet would miss it.
    for _ in range(5):
        sniffer = AsyncSniffer(None, "udp port 7777", count=1, timeout=2, netns=lab["b"].netns)
        sniffer.start()
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"first", (lab["b"].ipv4, 7777))
        got = sniffer.join()
        assert len(got) == 1 and bytes(got[0].packet[UDP].payload or b"") == b"first"


def test_count_stop_filter_prn_and_store(lab: Lab) -> None:
    seen: list[int] = []
    sniffer = AsyncSniffer(
        None,
        "tcp port 5555",
        stop_filter=lambda r: bool(r.packet[TCP].flags & 0x04),  # until the RST
        prn=lambda r: seen.append(r.packet[TCP].sport),
        store=False,
        timeout=3,
        netns=lab["b"].netns,
    )
    sniffer.start()
    send_mix(lab)
    assert sniffer.join() == [] and sniffer.seen == len(seen) >= 2
    assert sniffer.drops == 0


def test_sniff_returns_after_count(lab: Lab) -> None:
    results: list[object] = []

    def later() -> None:
        time.sleep(0.3)
        send_mix(lab)

    import threading

    sender = threading.Thread(target=later)
    sender.start()
    results = list(sniff(None, "udp", count=2, timeout=3, netns=lab["b"].netns))
    sender.join()
    assert len(results) == 2


@pytest.mark.parametrize("store", [False, True])
def test_memory_stays_flat_unless_packets_are_stored(lab: Lab, store: bool) -> None:
    import tracemalloc

    from rawnet import IP, Ether
    from rawnet.net.sockets import RawSocket

    a, b = lab["a"], lab["b"]
    frame = bytes(
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=40500, dport=9)
        / bytes(200)
    )
    sniffer = AsyncSniffer(
        b.interfaces["a"].name, "udp port 40500", prn=lambda got: got.packet, store=store, netns=b.netns
    )
    tracemalloc.start()
    try:
        sniffer.start()
        with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
            for sent in range(8000):
                sock.send(frame)
                while sniffer.seen < sent - 50:  # (within the socket buffer: nothing dropped)
                    time.sleep(0.0005)
        deadline = time.monotonic() + 5
        while sniffer.seen < 8000 and time.monotonic() < deadline:
            time.sleep(0.01)
        sniffer.stop()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sniffer.seen == 8000
    # 8000 stored packets of 242 bytes, decoded, take several MB; a streaming capture holds one.
    if store:
        assert len(sniffer.results) == 8000 and peak > 4_000_000
    else:
        assert sniffer.results == [] and peak < 1_000_000, peak


def test_stop_takes_the_packets_already_queued(lab: Lab) -> None:
    import threading

    release = threading.Event()
    sniffer = AsyncSniffer(
        None, "udp port 7778", prn=lambda got: release.wait(5), store=True, netns=lab["b"].netns
    )
    sniffer.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for number in range(20):
            udp.sendto(b"%d" % number, (lab["b"].ipv4, 7778))
    time.sleep(0.3)  # the kernel queues them while the sniffer is held in prn by the first one
    stopping = threading.Thread(target=sniffer.stop)
    stopping.start()
    time.sleep(0.05)
    release.set()
    stopping.join(5)
    assert [bytes(got.packet[UDP].payload or b"") for got in sniffer.results] == [
        b"%d" % n for n in range(20)
    ]


def test_timestamps_are_the_kernels_as_tcpdump_sees_them(lab: Lab, tmp_path: Path) -> None:
    import subprocess

    from rawnet.net.pcap import PcapReader

    interface = lab["b"].interfaces["a"].name
    path = tmp_path / "stamps.pcap"
    options = ["--immediate-mode", "-U", "-Z", "root", "--time-stamp-precision=nano", "-i", interface]
    dump = lab.popen("b", ["tcpdump", *options, "-w", str(path), "udp port 7779"], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on ...": capturing
    sniffer = AsyncSniffer(interface, "udp port 7779", count=5, timeout=5, netns=lab["b"].netns)
    sniffer.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for number in range(5):
            udp.sendto(b"%d" % number, (lab["b"].ipv4, 7779))
            time.sleep(0.01)
    got = sniffer.join()
    time.sleep(0.2)
    dump.terminate()
    dump.communicate(timeout=10)
    theirs = [record.timestamp_ns for record in PcapReader(path).records()]
    assert len(theirs) == 5
    assert [received.timestamp_ns for received in got] == theirs  # the same skb time, to the ns
    assert all(abs(received.timestamp - ns / 1e9) < 1e-6 for received, ns in zip(got, theirs, strict=True))


# -- links without an Ethernet header, and every interface at once ------------------------------
TUN_ADDRESS, TUN_PEER = "198.18.200.1", "198.18.200.2"


def from_tun_peer(port: int, payload: bytes) -> bytes:
    return bytes(IP(src=TUN_PEER, dst=TUN_ADDRESS) / UDP(sport=4000, dport=port) / payload)


@pytest.fixture
def tun0(lab: Lab) -> Iterator[Tun]:
    with tun(lab, "b", "tun0", TUN_ADDRESS) as made:
        yield made


@pytest.mark.parametrize("interface", ["tun0", None])
def test_a_link_without_ethernet_header_is_filtered_from_its_ip_header(
    lab: Lab, tun0: Tun, interface: str | None
) -> None:
    # tun0 has no link header (ARPHRD_NONE, as wireguard): an Ethernet program would read the IP
    # header at the wrong offsets and keep nothing; libpcap compiles for raw IP, or for Linux
    # cooked v2 on every interface (moved to the cooked socket's offsets).
    sniffer = AsyncSniffer(interface, "udp dst port 9", timeout=3, netns=lab["b"].netns)
    assert sniffer.open().linktype == (LINKTYPE_RAW if interface else LINKTYPE_LINUX_SLL2)
    sniffer.start()
    for port, payload in ((9, b"one"), (10, b"other"), (9, b"two")):
        tun0.inject(from_tun_peer(port, payload))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(sniffer.results) < 2:
        time.sleep(0.02)
    got = sniffer.stop()
    assert [bytes(r.packet[UDP].payload or b"") for r in got] == [b"one", b"two"]
    assert {(r.interface, r.direction, r.start) for r in got} == {("tun0", "host", IP)}
    for received in got:  # what a capture file gets: the IP packet, or SLL2 and the IP packet
        record = sniffer.record(received)
        if interface is None:
            header = struct.unpack("!HHIHBB", record[:12])  # protocol, -, ifindex, hatype, pkttype, halen
            assert header == (0x0800, 0, lab_index(lab, "b", "tun0"), 0xFFFE, 0, 0)
            record = record[20:]
        assert record == received.data and received.data[:1] == b"\x45"


def lab_index(lab: Lab, host: str, interface: str) -> int:
    return int(lab.run(host, ["cat", f"/sys/class/net/{interface}/ifindex"], check=True).stdout)


def test_a_vlan_tag_the_kernel_took_out_is_put_back_as_tcpdump_does(lab: Lab, tmp_path: Path) -> None:
    # Linux strips the 802.1Q tag of a received frame before packet sockets see it; libpcap puts
    # it back from PACKET_AUXDATA, and so does rawnet: both must record the same bytes.
    import subprocess

    from rawnet.net.pcap import PcapReader

    a, b = lab["a"], lab["b"]
    interface = b.interfaces["a"].name
    path = tmp_path / "vlan.pcap"
    options = ["--immediate-mode", "-U", "-Z", "root", "-i", interface, "-w", str(path), "vlan"]
    dump = lab.popen("b", ["tcpdump", *options], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on ...": capturing
    sniffer = AsyncSniffer(interface, "vlan 100 and udp port 9", timeout=5, netns=b.netns)
    sniffer.start()
    frame = (
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / Dot1Q(prio=5, vlan=100)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=4000, dport=9)
        / b"tagged"
    )
    untagged = Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac) / frame[IP]
    with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
        sock.send(frame)
        sock.send(untagged)
    time.sleep(0.3)
    got = sniffer.stop()  # "vlan ...": libpcap's test of the frame with its tag back, in rawnet
    dump.terminate()
    dump.communicate(timeout=10)
    theirs = [record.data for record in PcapReader(path).records()]
    assert len(got) == 1 and theirs == [got[0].data] == [bytes(frame)]
    assert got[0].packet[Dot1Q].vlan == 100 and got[0].packet[Dot1Q].prio == 5
