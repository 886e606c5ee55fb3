"""The TPACKET_V3 receive ring, checked in a lab against what was really sent: metadata, block
timeout, drop counters that add up, fanout groups, and sr1's latency (which stays off the ring)."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from rawnet import ICMP, IP, UDP, Dot1Q, Ether
from rawnet.errors import InputError
from rawnet.net.capture import ReceivedSniffer, open_capture
from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_ETHERNET
from rawnet.net.ring import BLOCK_SIZE, MAX_CAPTURED, TIMEOUT_MS, Fanout, RxRing
from rawnet.net.sendrecv import sr
from rawnet.net.sockets import RawSocket


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        made.sysctl("b", "net.ipv4.icmp_ratelimit", "0")
        yield made


def veth_of_b(lab: Lab) -> str:
    return lab["b"].interfaces["a"].name


def udp_frames(lab: Lab, count: int, dport: int = 9, *, flows: bool = False) -> list[bytes]:
    """``count`` Ethernet frames from a to b, each carrying its number; from as many source
    ports as frames when ``flows`` (so that a fanout hash spreads them)."""
    a, b = lab["a"], lab["b"]
    head = Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac) / IP(src=a.ipv4, dst=b.ipv4)
    return [
        bytes(head / UDP(sport=(20000 + number) if flows else 4000, dport=dport) / number.to_bytes(4, "big"))
        for number in range(count)
    ]


def send_frames(lab: Lab, frames: list[bytes]) -> None:
    with RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as sock:
        for frame in frames:
            while not sock.socket.send(frame):  # (a full queue: again)
                time.sleep(0.001)


def number_of(data: bytes | memoryview) -> int:
    return int.from_bytes(bytes(data[-4:]), "big")


def test_a_packet_on_an_idle_ring_comes_within_the_block_timeout_with_its_metadata(lab: Lab) -> None:
    capture = open_capture(veth_of_b(lab), "udp dst port 9", netns=lab["b"].netns)
    ring = capture.ring
    assert ring is not None and capture.linktype == LINKTYPE_ETHERNET
    try:
        assert ring.block_size == BLOCK_SIZE and ring.timeout_ms == TIMEOUT_MS
        assert ring.blocks * ring.block_size == 32 << 20  # sixteen times tcpdump's default 2 MiB
        (frame,) = udp_frames(lab, 1)
        send_frames(lab, [frame])
        (got,) = list(ring.frames(timeout=1))
        assert bytes(got.data) == frame and got.wirelen == len(frame)
        assert abs(got.timestamp_ns - time.time_ns()) < 1_000_000_000
        assert (got.pkttype, got.protocol, got.hatype, got.vlan) == (0, 0x0800, 1, None)
        assert got.address == bytes.fromhex(lab["a"].interfaces["b"].mac.replace(":", ""))
        assert got.ifindex == capture.raw.index_of(veth_of_b(lab))
        delays = []
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for _ in range(15):
                time.sleep(0.02)  # idle: the kernel's block is empty, its timer running
                udp.sendto(b"lone", (lab["b"].ipv4, 9))
                (got,) = list(ring.frames(timeout=1))
                delays.append((time.time_ns() - got.timestamp_ns) / 1e9)  # from the kernel's receive time
        # handed over when its timeout passes (4 ms), not later: the median, on a busy machine
        assert statistics.median(delays) < (TIMEOUT_MS + 3) / 1000, delays
        assert ring.statistics() == (16, 0, 0)
    finally:
        ring.close()
        capture.raw.close()


def test_a_vlan_tag_the_kernel_took_out_is_reported_with_the_frame(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    capture = open_capture(veth_of_b(lab), None, netns=b.netns)
    assert capture.ring is not None
    try:
        tagged = (
            Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
            / Dot1Q(prio=5, vlan=100)
            / IP(src=a.ipv4, dst=b.ipv4)
            / UDP(sport=4000, dport=9)
        )
        send_frames(lab, [bytes(tagged)])
        deadline = time.monotonic() + 2
        found = []
        while not found and time.monotonic() < deadline:
            found = [(bytes(f.data), f.vlan) for f in capture.ring.frames(timeout=0.1) if f.vlan]
        untagged = bytes(tagged)[:12] + bytes(tagged)[16:]
        assert found == [(untagged, (0x8100, 5 << 13 | 100))]
    finally:
        capture.ring.close()
        capture.raw.close()


def test_ring_sizes_and_fanout_arguments_are_checked() -> None:
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
        with pytest.raises(InputError, match="multiple of the page size"):
            RxRing(sock, block_size=5000)
        with pytest.raises(InputError, match="fanout mode 'random'"):
            Fanout(1, "random").join(sock)
        with pytest.raises(InputError, match="fanout group 70000"):
            Fanout(70000).join(sock)
        ring = RxRing(sock, 1)  # (at least two blocks)
        assert ring.blocks == 2 and ring.size == 2 * BLOCK_SIZE
        ring.close()
    assert MAX_CAPTURED == BLOCK_SIZE - 48 - 96


# -- drops: what was captured and what the kernel says it dropped add up ------------------------
def test_a_slow_reader_counts_every_matching_packet_as_captured_or_dropped(lab: Lab) -> None:
    # 2 blocks of 128 KiB hold some 1,800 small frames: 6,000 sent while the reader sleeps overflow
    # them. Packets that do not match the filter must count nowhere.
    total = 6000
    capture = open_capture(veth_of_b(lab), "udp dst port 9", netns=lab["b"].netns, buffer_size=1)
    ring = capture.ring
    assert ring is not None and ring.blocks == 2
    try:
        noise = udp_frames(lab, 500, dport=10)
        send_frames(
            lab, [frame for pair in zip(udp_frames(lab, total), noise * 12, strict=False) for frame in pair]
        )
        send_frames(lab, noise)
        time.sleep(0.1)
        seen: list[int] = []
        quiet = time.monotonic() + 0.3
        while time.monotonic() < quiet:
            for block in ring.blocks_ready(timeout=0.05):
                time.sleep(0.01)  # a slow reader
                seen.extend(number_of(frame.data) for frame in block.frames())
                quiet = time.monotonic() + 0.3
        packets, drops, _ = ring.statistics()
    finally:
        ring.close()
        capture.raw.close()
    assert drops > 0 and len(seen) + drops == total == packets, (len(seen), drops, packets)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_a_sniffer_whose_callback_is_slow_reports_drops_that_add_up(lab: Lab) -> None:
    total = 5000
    held = threading.Event()

    def slow(_: object) -> None:
        held.wait(2)  # the first packet holds the reader while the rest pour in

    sniffer = ReceivedSniffer(
        veth_of_b(lab), "udp dst port 9", prn=slow, store=False, netns=lab["b"].netns, buffer_size=1
    )
    sniffer.start()
    send_frames(lab, udp_frames(lab, total) + udp_frames(lab, 300, dport=10))
    held.set()
    time.sleep(0.3)
    sniffer.stop()
    assert sniffer.drops > 0 and sniffer.seen + sniffer.drops == total, (sniffer.seen, sniffer.drops)


# -- fanout: sockets share a capture, each packet once --------------------------------------------
@pytest.mark.parametrize("mode", ["hash", "lb"])
def test_a_fanout_group_delivers_each_packet_to_exactly_one_socket(lab: Lab, mode: str) -> None:
    total = 2000
    group = Fanout(4242 if mode == "hash" else 4243, mode)
    captures = [
        open_capture(veth_of_b(lab), "udp dst port 9", netns=lab["b"].netns, fanout=group) for _ in range(2)
    ]
    try:
        send_frames(lab, udp_frames(lab, total, flows=True))
        time.sleep(0.1)
        each: list[list[int]] = []
        for capture in captures:
            assert capture.ring is not None
            each.append([number_of(frame.data) for frame in capture.ring.frames(timeout=0.2)])
            assert capture.ring.statistics()[1] == 0
    finally:
        for capture in captures:
            assert capture.ring is not None
            capture.ring.close()
            capture.raw.close()
    assert sorted(each[0] + each[1]) == list(range(total))  # every one, none twice
    assert all(len(got) > total // 10 for got in each), [len(got) for got in each]  # spread


def test_sniffers_in_a_fanout_group_share_a_capture(lab: Lab) -> None:
    total = 1000
    sniffers = [
        ReceivedSniffer(veth_of_b(lab), "udp dst port 9", netns=lab["b"].netns, fanout=Fanout(4244))
        for _ in range(2)
    ]
    for sniffer in sniffers:
        sniffer.start()
    send_frames(lab, udp_frames(lab, total, flows=True))
    time.sleep(0.2)
    got = [number_of(received.data) for sniffer in sniffers for received in sniffer.stop()]
    assert sorted(got) == list(range(total))


# -- sr1 stays off the ring -----------------------------------------------------------------------
def test_sr1_replies_are_not_held_back_by_a_block_timeout(lab: Lab) -> None:
    # sr, sr1 and the exchange engine listen with recv (net/links.py), packet by packet: a ring
    # would hold a lone reply until its block's timeout (libpcap too avoids TPACKET_V3 in
    # immediate mode). The reply's kernel time less the probe's send time stays under 1 ms.
    rtts = []
    for seq in range(21):
        results = sr(IP(dst=lab["b"].ipv4) / ICMP(id=99, seq=seq), netns=lab["a"].netns, timeout=1)
        [(query, answer)] = results.answered
        rtts.append(results.rtt(query, answer))
    assert 0 < statistics.median(rtts) < 0.001, rtts
