"""Hostile input: decoders raise only DecodeError, never hang, never allocate beyond the input.

Each case is a frame built to trip a specific guard (a zero option length that would loop, a
length claiming more than the buffer, chains nested past the depth limit); the property tests
feed random and mutated bytes to every decoder and walk everything a user can touch.
"""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import (
    ARP,
    CHDLC,
    DSA,
    EDSA,
    ICMP,
    IP,
    IPNET,
    LLDPDU,
    NFLOG,
    TCP,
    UDP,
    VSOCK,
    BRCMTag,
    BRCMTagPrepend,
    DecodeError,
    Dot1Q,
    Ether,
    ICMPv6,
    IPv6,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    LimitError,
    Loopback,
    LoopbackOpenBSD,
    MalformedError,
    TruncatedError,
)
from rawnet.wire.layer import MAX_DEPTH, Layer, Undecoded

DECODERS: list[type[Layer]] = [
    Ether,
    Dot1Q,
    ARP,
    IP,
    IPv6,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    ICMP,
    ICMPv6,
    TCP,
    UDP,
    Loopback,
    LoopbackOpenBSD,
    LLDPDU,
    CHDLC,
    IPNET,
    DSA,
    EDSA,
    VSOCK,
    NFLOG,
    BRCMTag,
    BRCMTagPrepend,
]


def walk(packet: Layer) -> None:
    """Touch everything a user can: every layer, field, summary, show, verify, bytes."""
    for layer in packet.layers():
        layer.field_values()
    packet.summary()
    packet.show(dump=True)
    packet.verify()
    bytes(packet)


def ipv4(
    body: bytes, *, ihl: int = 0, total: int | None = None, proto: int = 6, options: bytes = b""
) -> bytes:
    ihl = ihl or 5 + len(options) // 4
    length = 20 + len(options) + len(body) if total is None else total
    header = bytes([0x40 | ihl, 0]) + length.to_bytes(2, "big") + bytes([0, 1, 0, 0, 64, proto, 0, 0])
    return header + bytes([198, 18, 0, 1, 198, 18, 0, 2]) + options + body


TCP_ZERO_OPTION = bytes(12) + bytes([0x60, 0x02]) + bytes(6) + bytes([2, 0, 0, 0])  # MSS with length 0


@pytest.mark.parametrize(
    ("decode", "data", "error", "message"),
    [
        (
            IP.decode,
            ipv4(b"", options=bytes([7, 0, 0, 0])),
            MalformedError,
            "ipv4 at offset 20: option 7 length 0 < 2",
        ),
        (
            IP.decode,
            ipv4(b"", options=bytes([7, 200, 0, 0])),
            TruncatedError,
            "option 7 length 200 runs past",
        ),
        (IP.decode, ipv4(b"", ihl=4), MalformedError, "ipv4 at offset 0: IHL 4 < 5"),
        (IP.decode, ipv4(b"", total=65535), TruncatedError, "total length 65535, only 20 bytes left"),
        (IP.decode, ipv4(b"", total=12), MalformedError, "total length 12 < header length 20"),
        (TCP.decode, TCP_ZERO_OPTION, MalformedError, "tcp at offset 20: option kind 2 length 0 < 2"),
        (TCP.decode, bytes(12) + bytes([0xF0]) + bytes(7), TruncatedError, "data offset 15 needs 60 bytes"),
        (
            UDP.decode,
            b"\0\1\0\2\xff\xff\0\0",
            TruncatedError,
            "udp at offset 0: length 65535, only 8 bytes left",
        ),
        (UDP.decode, b"\0\1\0\2\0\4\0\0", MalformedError, "udp at offset 0: length 4 < 8"),
        (Ether.decode, bytes(13), TruncatedError, "ether at offset 0: 13 bytes left, the header needs 14"),
    ],
)
def test_each_guard_names_layer_and_offset(
    decode: Callable[[bytes], Layer], data: bytes, error: type[DecodeError], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        walk(decode(data))


def test_nesting_past_the_depth_limit_is_an_error_not_a_hang() -> None:
    # IPv4-in-IPv4 (protocol 4) nested deeper than MAX_DEPTH: each level is a valid header.
    frame = b"end"
    for _ in range(MAX_DEPTH + 5):
        frame = ipv4(frame, proto=4)
    with pytest.raises(LimitError, match="more than 64 nested layers"):
        walk(IP.decode(frame))
    lenient = IP.decode(frame, lenient=True)
    assert isinstance(lenient.layers()[-1], Undecoded)
    assert bytes(lenient) == frame


def test_lengths_beyond_the_buffer_do_not_allocate_them() -> None:
    frame = ipv4(b"\0" * 8, total=65535, proto=17)
    tracemalloc.start()
    try:
        for _ in range(100):
            with contextlib.suppress(DecodeError):
                walk(IP.decode(frame))
            walk(IP.decode(frame, lenient=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, peak  # a claimed 65535-byte datagram never becomes a 64 KiB buffer


@pytest.mark.parametrize("decoder", DECODERS, ids=lambda cls: cls.__name__)
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(decoder: type[Layer], data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        walk(decoder.decode(data))
    lenient = decoder.decode(data, lenient=True)
    walk(lenient)
    assert bytes(lenient) == data  # nothing lost


VALID = bytes(
    Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    / Dot1Q(vlan=5)
    / IP(src="198.18.0.1", dst="198.18.0.2", options=[])
    / TCP(options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 2)), ("WScale", 7)])
    / b"payload"
)


@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete"]), st.integers(0, len(VALID) - 1), st.integers(0, 255)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_frames_raise_only_decode_error(edits: list[tuple[str, int, int]]) -> None:
    data = bytearray(VALID)
    for kind, where, value in edits:
        where %= max(len(data), 1)
        if kind == "flip" and data:
            data[where] ^= value or 1
        elif kind == "insert":
            data.insert(where, value)
        elif data:
            del data[where]
    with contextlib.suppress(DecodeError):
        walk(Ether.decode(bytes(data)))
    assert bytes(Ether.decode(bytes(data), lenient=True)) == bytes(data)


def test_an_undecoded_layer_shows_its_reason_on_its_own_too() -> None:
    from rawnet import IP, TCP, Ether
    from rawnet.wire.layer import Undecoded

    cut = bytes(Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / TCP())[:30]
    tail = Ether.decode(cut, lenient=True).payload
    assert isinstance(tail, Undecoded)
    reason = "ipv4 at offset 14: 16 bytes left, the header needs 20"
    assert f"reason    = {reason!r}" in (tail.show(dump=True) or "")
