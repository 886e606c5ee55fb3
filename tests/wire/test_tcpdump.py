"""tcpdump.py: relative TCP sequence numbers (tcpdump's default) against tcpdump itself.

Random conversations (both directions, SYNs restarting a connection, numbers wrapping past 2**32,
SACK blocks, ports equal on both ends, IPv4 and IPv6, two connections interleaved) go through
``tcpdump -nn -t -r`` without -S; each line must equal the summary made inside
relative_sequences(), and summaries made outside it stay as sent (-S).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import IP, TCP, Ether, IPv6
from rawnet.wire.tcpdump import Conversations, relative_sequences
from tests.oracle import tcpdump_lines

needs_tcpdump = pytest.mark.tcpdump

U32 = st.integers(0, 0xFFFFFFFF)
FLAGS = st.sampled_from(["S", "SA", "A", "PA", "FA", "R", "RA", "", "U", "UA"])
HOSTS = {4: ("198.18.0.1", "198.18.0.2"), 6: ("2001:db8::1", "2001:db8::2")}


@st.composite
def segment(draw: st.DrawFn) -> tuple[int, int, str, int, int, int, tuple[int, ...]]:
    """(connection 0/1, direction 0/1, flags, seq, ack, payload size, SACK edges)."""
    sack = draw(st.lists(U32, max_size=4).map(tuple)) if draw(st.booleans()) else ()
    return (
        draw(st.integers(0, 1)),
        draw(st.integers(0, 1)),
        draw(FLAGS),
        draw(U32),
        draw(U32),
        draw(st.integers(0, 3)),
        sack[: len(sack) // 2 * 2],
    )


def frames_of(version: int, ports: list[tuple[int, int]], segments: list[tuple]) -> list[bytes]:
    a, b = HOSTS[version]
    frames = []
    for connection, direction, flags, seq, ack, size, sack in segments:
        sport, dport = ports[connection]
        src, dst = (a, b) if direction == 0 else (b, a)
        if direction:
            sport, dport = dport, sport
        options = [("SAck", sack)] if sack else []
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, urgptr=1, options=options)
        network = IP(src=src, dst=dst) if version == 4 else IPv6(src=src, dst=dst)
        frames.append(
            bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / network / tcp / (b"x" * size))
        )
    return frames


def relative_lines(frames: list[bytes]) -> list[str]:
    conversations = Conversations()
    with relative_sequences(conversations):
        return [Ether.decode(data).summary() for data in frames]


@needs_tcpdump
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=st.sampled_from([4, 6]),
    ports=st.sampled_from(
        [[(40000, 4444), (4444, 40001)], [(5555, 5555), (7, 9)], [(1111, 1024), (1111, 1024)]]
    ),
    segments=st.lists(segment(), min_size=1, max_size=12),
)
def test_relative_numbers_are_tcpdumps(
    version: int, ports: list[tuple[int, int]], segments: list[tuple]
) -> None:
    frames = frames_of(version, ports, segments)
    assert relative_lines(frames) == tcpdump_lines(frames, 1)
    # outside relative_sequences(), and with -S, the numbers are the ones sent
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames, 1, "-S")


@needs_tcpdump
def test_a_handshake_and_data_read_as_tcpdump_shows_them() -> None:
    # the first ACK-bearing segment is shown as sent, the rest from its numbers; a SYN starts anew
    seg = [
        (0, 0, "S", 0xFFFFFFF0, 0, 0, ()),
        (0, 1, "SA", 7000, 0xFFFFFFF1, 0, ()),
        (0, 0, "A", 0xFFFFFFF1, 7001, 0, ()),
        (0, 0, "PA", 0xFFFFFFF1, 7001, 3, ()),  # crosses 2**32 from its base
        (0, 1, "A", 7001, 0xFFFFFFF4, 0, (0xFFFFFFF1, 0xFFFFFFF4)),
        (0, 1, "SA", 9000, 5, 0, ()),  # a new SYN: bases again
        (0, 0, "A", 5, 9001, 0, ()),
    ]
    frames = frames_of(4, [(40000, 4444)], seg)
    lines = relative_lines(frames)
    assert lines == tcpdump_lines(frames, 1)
    assert "seq 4294967280," in lines[0] and "ack 4294967281," in lines[1]  # as sent
    assert ", ack 1," in lines[2] and "seq 1:4, ack 1," in lines[3]
    assert "ack 4, " in lines[4] and "sack 1 {1:4}" in lines[4]
    assert "seq 9000, ack 5," in lines[5] and ", ack 1," in lines[6]


def test_each_capture_keeps_its_own_connections() -> None:
    frames = frames_of(4, [(40000, 4444)], [(0, 0, "A", 100, 200, 0, ()), (0, 0, "A", 150, 260, 0, ())])
    first = relative_lines(frames)
    assert relative_lines(frames) == first  # a new Conversations: the bases again
    assert ", ack 200," in first[0] and ", ack 61," in first[1]
