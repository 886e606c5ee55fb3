"""mpls.py: MPLS label stacks (RFC 3032) over Ethernet, GRE and UDP 6635, checked against tshark
and tcpdump."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import GRE, ICMP, IP, MPLS, UDP, DecodeError, Ether, IPv6, LimitError, Raw, TruncatedError
from rawnet.wire.layer import MAX_DEPTH, Layer
from tests.oracle import tshark_fields
from tests.wire.golden import assert_matches_tshark
from tests.wire.tunnels import assert_lines_as_tcpdump

needs_tshark = pytest.mark.tshark
needs_tcpdump = pytest.mark.tcpdump


def link() -> Layer:
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def inner() -> Layer:
    return IP(src="192.0.2.1", dst="192.0.2.2") / ICMP()


def test_bottom_of_stack_and_ethertype_are_computed() -> None:
    packet = Ether.decode(bytes(link() / MPLS(label=100, ttl=64) / MPLS(label=200, cos=5, ttl=3) / inner()))
    assert packet.type == 0x8847
    top, bottom = packet[MPLS], packet[MPLS].payload
    assert isinstance(bottom, MPLS)
    assert (top.label, top.s, top.ttl) == (100, 0, 64)
    assert (bottom.label, bottom.cos, bottom.s, bottom.ttl) == (200, 5, 1, 3)
    assert isinstance(bottom.payload, IP)
    assert packet.verify() == []
    assert bytes(MPLS()) == b"\x00\x00\x31\x00"  # scapy's defaults: label 3, bottom of stack, TTL 0


def test_the_first_nibble_tells_what_follows_the_bottom() -> None:
    assert isinstance(MPLS.decode(bytes(MPLS() / IPv6())).payload, IPv6)
    assert isinstance(MPLS.decode(bytes(MPLS() / b"\x00\x00data")).payload, Raw)
    assert isinstance(MPLS.decode(bytes(MPLS(s=0) / MPLS())).payload, MPLS)


def test_over_gre_and_udp() -> None:
    gre = IP.decode(bytes(IP() / GRE() / MPLS(label=16) / inner()))
    assert gre[GRE].proto == 0x8847 and gre[MPLS].label == 16
    udp = IP.decode(bytes(IP() / UDP(sport=1, dport=6635) / MPLS(label=17) / inner()))
    assert udp[MPLS].label == 17 and isinstance(udp[MPLS].payload, IP)


def test_deep_stacks_end_in_a_limit_error() -> None:
    stack = b"\x00\x01\x00\x40" * (MAX_DEPTH + 1) + bytes(inner())
    with pytest.raises(LimitError):
        MPLS.decode(stack)
    assert isinstance(MPLS.decode(stack, lenient=True).layers()[-1], Raw)


def test_truncated_entry() -> None:
    with pytest.raises(TruncatedError):
        MPLS.decode(b"\x00\x01\x00")


@needs_tshark
def test_built_frames_match_tshark() -> None:
    packets = [
        link() / MPLS(label=100, cos=5, ttl=64) / MPLS(label=200, ttl=3) / inner(),
        link() / MPLS(label=0xFFFFF, cos=7, ttl=255) / IPv6(src="2001:db8::1", dst="2001:db8::2"),
    ]
    for packet, seen in zip(packets, tshark_fields([bytes(packet) for packet in packets]), strict=True):
        entries = [layer for layer in Ether.decode(bytes(packet)).layers() if isinstance(layer, MPLS)]
        expected = {
            "mpls.label": [str(entry.label) for entry in entries],
            "mpls.exp": [str(entry.cos) for entry in entries],
            "mpls.bottom": [str(entry.s) for entry in entries],
            "mpls.ttl": [str(entry.ttl) for entry in entries],
        }
        assert_matches_tshark(expected, seen)
        assert not any(key.startswith("_ws.expert") for key in seen), seen


PAYLOADS = [
    bytes(inner()),
    bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")),
    b"\x00\x00data",
    b"",
    b"\x45\x00",
]


@needs_tcpdump
@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(
                st.tuples(
                    st.sampled_from([0, 2, 3, 16, 100656, 0xFFFFF]), st.integers(0, 7), st.integers(0, 255)
                ),
                min_size=1,
                max_size=4,
            ),
            st.sampled_from(range(len(PAYLOADS))),
            st.sampled_from(["ether", "gre", "udp", "cut"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([0, 1, 2]),
)
def test_summaries_match_tcpdump(
    stacks: list[tuple[list[tuple[int, int, int]], int, str]], verbose: int
) -> None:
    frames = []
    for entries, payload, carrier in stacks:
        stack = b"".join(
            ((label << 12) | (cos << 9) | ((at == len(entries) - 1) << 8) | ttl).to_bytes(4, "big")
            for at, (label, cos, ttl) in enumerate(entries)
        )
        data = stack + PAYLOADS[payload]
        if carrier == "cut":  # (an entry cut short, in an Ethernet frame)
            data = stack[:-1]
        if carrier == "gre":
            frames.append(bytes(link() / IP(src="198.18.0.1", dst="198.18.0.2") / GRE(proto=0x8847) / data))
        elif carrier == "udp":
            frames.append(
                bytes(link() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=9, dport=6635) / data)
            )
        else:
            frames.append(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x8847) / data))
    assert_lines_as_tcpdump(frames, verbose)


@given(st.binary(max_size=48))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        MPLS.decode(data)
    Ether.decode_captured(bytes(Ether(type=0x8847) / data), None).summary()
