"""geneve.py: Geneve (RFC 8926) over UDP 6081 and its options, checked against tshark, tcpdump
and tcpdump's own captures."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import (
    GENEVE,
    ICMP,
    IP,
    UDP,
    DecodeError,
    Ether,
    GeneveOptions,
    IPv6,
    MalformedError,
    TruncatedError,
)
from rawnet.errors import FieldValueError
from rawnet.wire.layer import Layer
from tests.oracle import tshark_fields
from tests.wire.golden import assert_matches_tshark
from tests.wire.tunnels import assert_lines_as_tcpdump, corpus_pairs

needs_tshark = pytest.mark.tshark
needs_tcpdump = pytest.mark.tcpdump


def outer() -> Layer:
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="198.18.0.1", dst="198.18.0.2")
        / UDP(sport=40000, dport=6081)
    )


def inner() -> Layer:
    return IP(src="192.0.2.1", dst="192.0.2.2") / ICMP()


OVN = GeneveOptions(classid=0x0102, type=0x80, data=b"\x00\x01\x00\x02")


def test_lengths_and_protocol_are_computed() -> None:
    geneve = Ether.decode(
        bytes(outer() / GENEVE(vni=10, options=[OVN, GeneveOptions(data=b"abc")]) / inner())
    )[GENEVE]
    assert (geneve.optionlen, geneve.proto, geneve.vni) == (4, 0x0800, 10)
    assert geneve.options == [
        GeneveOptions(0x0102, 0x80, 0, 1, b"\x00\x01\x00\x02"),
        GeneveOptions(0, 0, 0, 1, b"abc\x00"),
    ]
    assert isinstance(geneve.payload, IP)
    assert GENEVE.decode(bytes(GENEVE() / Ether())).proto == 0x6558
    assert GENEVE.decode(bytes(GENEVE() / IPv6())).proto == 0x86DD


def test_verify_is_clean_and_user_values_are_sent_as_set() -> None:
    assert Ether.decode(bytes(outer() / GENEVE(options=[OVN]) / inner())).verify() == []
    assert bytes(GENEVE(optionlen=5, proto=0x1234))[:4] == b"\x05\x00\x12\x34"


def test_bad_options() -> None:
    with pytest.raises(FieldValueError):
        GENEVE(options=[b"raw"])
    with pytest.raises(MalformedError):
        GENEVE.decode(bytes.fromhex("01000800000000000102801f"))  # an option of 31 words in 1
    with pytest.raises(TruncatedError):
        GENEVE.decode(bytes.fromhex("0200080000000000"))  # 2 words of options announced, none there


def test_show_and_fields() -> None:
    geneve = GENEVE.decode(bytes(GENEVE(vni=5, options=[OVN])))
    assert geneve.fields["vni"] == 5
    text = geneve.show(dump=True)
    assert text is not None and "vni       = 0x5" in text


@needs_tshark
def test_built_frames_match_tshark() -> None:
    packets = [
        outer() / GENEVE(vni=0xA, critical=1, options=[OVN]) / inner(),
        outer()
        / GENEVE(vni=0xFFFFFF, oam=1)
        / Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04")
        / inner(),
    ]
    for packet, seen in zip(packets, tshark_fields([bytes(packet) for packet in packets]), strict=True):
        geneve = Ether.decode(bytes(packet))[GENEVE]
        expected = {
            "geneve.vni": [f"0x{geneve.vni:06x}"],
            "geneve.flags.oam": [str(geneve.oam)],
            "geneve.flags.critical": [str(geneve.critical)],
            "geneve.proto_type": [f"0x{geneve.proto:04x}"],
        }
        if geneve.options:
            expected["geneve.option.class"] = [f"0x{option.classid:04x}" for option in geneve.options]
            expected["geneve.option.type"] = [f"0x{option.type:02x}" for option in geneve.options]
        assert_matches_tshark(expected, seen)
        assert not any(key.startswith("_ws.expert") for key in seen), seen


OPTION = st.builds(
    GeneveOptions,
    classid=st.sampled_from([0x0000, 0x0100, 0x0102, 0x0104, 0x0200, 0xFFF0]),
    type=st.integers(0, 255),
    reserved=st.just(0),
    length=st.none(),
    data=st.binary(max_size=12),
)
PAYLOADS = {
    0x0800: bytes(inner()),
    0x86DD: bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")),
    0x6558: bytes(Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04") / inner()),
    0x1234: b"data",
}


@needs_tcpdump
@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 0xFF),
            st.sampled_from(sorted(PAYLOADS)),
            st.integers(0, 0xFFFFFF),
            st.lists(OPTION, max_size=3),
            st.sampled_from([0, 0, 1]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([0, 1, 2]),
)
def test_summaries_match_tcpdump(
    headers: list[tuple[int, int, int, int, list[GeneveOptions], int]], verbose: int
) -> None:
    frames = []
    for version, flags, proto, vni, geneve_options, reserved in headers:
        geneve = GENEVE(
            version=version, oam=flags >> 7, critical=flags >> 6 & 1, reserved=flags & 0x3F,
            proto=proto, vni=vni, reserved2=reserved, options=geneve_options,
        )  # fmt: skip
        frames.append(bytes(outer() / geneve / PAYLOADS[proto]))
    assert_lines_as_tcpdump(frames, verbose)


def test_verbose_options() -> None:
    from rawnet.wire.tcpdump import geneve_text

    data = bytes(GENEVE(vni=1, options=[OVN, GeneveOptions(classid=0xFFF1, type=1)]))
    assert geneve_text(data, 1) == (
        "Geneve, Flags [none], vni 0x1, options [class Open Virtual Networking (OVN) (0x102) "
        "type 0x80(C) len 8, class Experimental (0xfff1) type 0x1 len 4]\n\tgeneve-proto-0x0"
    )
    assert "len 8 data 00010002" in geneve_text(data, 2)


@given(st.binary(max_size=48))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        GENEVE.decode(data)
    Ether.decode_captured(bytes(outer() / data), None).summary()


CAPTURES = [
    "geneve.pcap",
    "gso-ipv4-geneve-ipv4.pcap",
    "gso-ipv4-geneve-ipv6.pcap",
    "gso-ipv6-geneve-ipv4.pcap",
    "gso-ipv6-geneve-ipv6.pcap",
    # (bigtcp-ipv4-geneve-*.pcap: the installed tcpdump 4.99.3 stops at IPv4's length 0, "bad-len 0")
]


@needs_tcpdump
@pytest.mark.parametrize("capture", CAPTURES)
def test_corpus_lines_match_tcpdump(capture: str) -> None:
    pairs = [(want, line) for want, line in corpus_pairs(capture) if "Geneve" in want]
    assert pairs
    for want, line in pairs:
        assert line == want
