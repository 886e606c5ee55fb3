"""gre.py: GRE (RFC 2784, RFC 2890) and PPTP's GRE (RFC 2637), checked against tshark, tcpdump
and tcpdump's own captures."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import GRE, GRE_PPTP, ICMP, IP, DecodeError, Ether, IPv6, LimitError, Raw, TruncatedError
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields
from tests.wire.golden import assert_matches_tshark
from tests.wire.tunnels import corpus_pairs

needs_tshark = pytest.mark.tshark
needs_tcpdump = pytest.mark.tcpdump


def outer() -> Layer:
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2")


def gre_frame(data: bytes) -> Layer:
    """``data`` as the GRE packet of an IPv4 packet (protocol 47)."""
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="198.18.0.1", dst="198.18.0.2", proto=47)
        / data
    )


def inner() -> Layer:
    return IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(id=7, seq=1) / b"ping"


def test_ip_and_gre_fill_their_protocol_numbers_from_the_registry() -> None:
    packet = IP(src="198.18.0.1", dst="198.18.0.2") / GRE() / IP() / ICMP()
    decoded = IP.decode(bytes(packet))
    assert decoded.proto == 47
    assert decoded[GRE].proto == 0x0800
    assert IP.decode(bytes(IP() / GRE() / IPv6()))[GRE].proto == 0x86DD
    assert IP.decode(bytes(IP() / GRE() / Ether()))[GRE].proto == 0x6558
    assert IP.decode(bytes(IP() / GRE_PPTP() / b"\xff\x03")).proto == 47


def test_present_bits_follow_the_fields_given() -> None:
    wire = bytes(GRE(key=0x1234, sequence_number=9) / b"x")
    assert wire[:2] == b"\x30\x00"  # K and S
    gre = GRE.decode(wire)
    assert (gre.key_present, gre.seqnum_present, gre.key, gre.sequence_number) == (1, 1, 0x1234, 9)
    assert (gre.chksum, gre.offset) == (None, None)
    assert bytes(GRE.decode(bytes(GRE(chksum_present=1))))[:2] == b"\x80\x00"


def test_checksum_is_computed_and_verified() -> None:
    packet = outer() / GRE(chksum_present=1) / inner()
    decoded = Ether.decode(bytes(packet))
    assert decoded.verify() == []
    wrong = Ether.decode(bytes(outer() / GRE(chksum_present=1, chksum=0x1234) / inner()))
    problems = wrong.verify()
    assert [(problem.layer, problem.field, problem.found) for problem in problems] == [
        ("gre", "chksum", 0x1234)
    ]
    assert problems[0].expected == decoded[GRE].chksum


GOLDEN = {
    "plain": outer() / GRE() / inner(),
    "key_seq": outer() / GRE(key=0xDEADBEEF, sequence_number=77) / inner(),
    "checksum": outer() / GRE(chksum_present=1, key=5) / inner(),
    "teb": outer() / GRE() / Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04") / inner(),
    "pptp": outer()
    / GRE_PPTP(call_id=7, sequence_number=3, ack_number=2)
    / (b"\xff\x03\x00\x21" + bytes(inner())),
}


@needs_tshark
def test_golden_frames_match_tshark() -> None:
    names = list(GOLDEN)
    seen = dict(zip(names, tshark_fields([bytes(GOLDEN[name]) for name in names]), strict=True))
    for name in names:
        gre = Ether.decode(bytes(GOLDEN[name]))[GRE]
        expected = {
            "gre.flags.checksum": [str(gre.chksum_present)],
            "gre.flags.key": [str(gre.key_present)],
            "gre.flags.sequence_number": [str(gre.seqnum_present)],
            "gre.flags.version": [str(gre.version)],
            "gre.proto": [f"0x{gre.proto:04x}"],
        }
        if isinstance(gre, GRE_PPTP):
            expected["gre.key.call_id"] = [str(gre.call_id)]
            expected["gre.key.payload_length"] = [str(gre.payload_len)]
            expected["gre.ack_number"] = [str(gre.ack_number)]
        else:
            if gre.key is not None:
                expected["gre.key"] = [f"0x{gre.key:08x}"]
            if gre.chksum is not None:
                expected["gre.checksum"] = [f"0x{gre.chksum:04x}"]
                expected["gre.checksum.status"] = ["1"]  # good
        if gre.sequence_number is not None:
            expected["gre.sequence_number"] = [str(gre.sequence_number)]
        assert_matches_tshark(expected, seen[name])
        assert not any(key.startswith("_ws.expert") for key in seen[name]), (name, seen[name])


def test_golden_frames_decode_back() -> None:
    for packet in GOLDEN.values():
        wire = bytes(packet)
        decoded = Ether.decode(wire)
        assert bytes(decoded) == wire
        assert decoded.verify() == []
        assert type(decoded[GRE]) is type(packet[GRE])


def test_pptp_decodes_from_the_version() -> None:
    gre = GRE.decode(bytes(GRE_PPTP(call_id=9, sequence_number=1) / b"\xff\x03"))
    assert type(gre) is GRE_PPTP
    assert (gre.call_id, gre.payload_len, gre.sequence_number, gre.ack_number) == (9, 2, 1, None)
    assert isinstance(gre.payload, Raw)


@needs_tcpdump
def test_pptp_ppp_lines_match_tcpdump() -> None:
    packet = bytes(inner())
    frames = [
        bytes(outer() / GRE_PPTP(call_id=7, sequence_number=3, ack_number=1) / payload)
        for payload in (
            b"\xff\x03\x00\x21" + packet,
            b"\x00\x21" + packet,
            b"\x21" + packet,
            b"\xff\x03\x00\x57" + bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")),
            b"\xff\x03\x12\x34",
            b"\xff\x03",
            b"",
        )
    ]
    frames.append(bytes(outer() / GRE_PPTP(call_id=7, ack_number=1)))
    assert [Ether.decode(frame).summary() for frame in frames] == tcpdump_lines(frames, 1, "-n")


def test_show_and_json_fields() -> None:
    text = GRE(key=0x10).show(dump=True)
    assert text is not None and "key       = 0x10" in text
    assert GRE.decode(bytes(GRE(key=0x10))).fields["key"] == 0x10


@needs_tcpdump
def test_summaries_match_tcpdump() -> None:
    frames = [bytes(packet) for packet in GOLDEN.values() if not isinstance(packet[GRE], GRE_PPTP)]
    frames += [
        bytes(outer() / GRE(proto=0x1234) / b"abcd"),
        bytes(outer() / GRE(version=2) / b"abcd"),
        bytes(outer() / GRE_PPTP(call_id=1)),
        bytes(outer() / GRE(routing_present=1) / b"\x08\x00\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08\0\0\0\0"),
        bytes(outer() / GRE(proto=0x8847) / (b"\x00\x01\x01\x40" + bytes(inner()))),
        bytes(outer() / GRE(proto=0x86DD) / IPv6(src="2001:db8::1", dst="2001:db8::2") / b""),
    ]
    lines = [Ether.decode(frame).summary() for frame in frames]
    assert lines == tcpdump_lines(frames, 1, "-n")


FLAG_WORDS = st.sampled_from([0x0000, 0x8000, 0x2000, 0x1000, 0xB000, 0x3000, 0x0001, 0x0007, 0x3081, 0x2081])
INNER = {
    0x0800: bytes(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP()),
    0x86DD: bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")),
    0x6558: bytes(Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04") / IP() / ICMP()),
    0x8847: b"\x00\x10\x11\x40" + bytes(IP() / ICMP()),
    0x0806: b"\x00\x01\x08\x00",
    0x1234: b"data",
    0x0000: b"",
}


def optional_size(word: int) -> int:
    """The bytes of a header's optional fields (version 0; PPTP's: its key, sequence, ack)."""
    if word & 0x7 == 1:
        return 4 * bool(word & 0x2000) + 4 * bool(word & 0x1000) + 4 * bool(word & 0x0080)
    return 4 * bool(word & 0xC000) + 4 * bool(word & 0x2000) + 4 * bool(word & 0x1000)


@needs_tcpdump
@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            FLAG_WORDS, st.sampled_from(sorted(INNER)), st.binary(min_size=12, max_size=12), st.booleans()
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([0, 1, 2]),
)
def test_arbitrary_gre_headers_print_as_tcpdump_prints_them(
    headers: list[tuple[int, int, bytes, bool]], verbose: int
) -> None:
    frames = []
    for word, proto, optional, cut in headers:
        size = optional_size(word)
        body = optional[: size - 1] if cut and size else optional[:size] + INNER[proto]
        frames.append(bytes(gre_frame(word.to_bytes(2, "big") + proto.to_bytes(2, "big") + body)))
    options = ("-" + "v" * verbose,) if verbose else ()
    lines = [Ether.decode_captured(frame, None).summary(verbose) for frame in frames]
    expected = tcpdump_lines(frames, 1, "-n", *options)
    if verbose:  # (-v: a packet's lines, each after the first indented)
        lines = "\n".join(lines).splitlines()
        assert len(lines) == len(expected)
        pairs = [(line, want) for line, want in zip(lines, expected, strict=True) if "PPP" not in want]
        assert all(line == want for line, want in pairs), [pair for pair in pairs if pair[0] != pair[1]]
        return
    for line, want in zip(lines, [line for line in expected if not line.startswith("\t")], strict=True):
        if "PPP" in want:
            continue  # (PPP in PPTP's GRE: rawnet has no PPP)
        assert line == want


@given(st.binary(max_size=80))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        GRE.decode(data)
    Ether.decode_captured(bytes(gre_frame(data)), None).summary()


def test_truncated_header() -> None:
    with pytest.raises(TruncatedError):
        GRE.decode(b"\x30\x00\x08\x00\x00\x00")  # K and S announce 12 bytes


def test_deep_nesting_raises_a_limit_error() -> None:
    packet: Layer = IP() / ICMP()
    for _ in range(70):
        packet = IP() / GRE() / packet
    with pytest.raises(LimitError):
        IP.decode(bytes(packet))


CAPTURES = [
    "NHRP-responder-address.pcap",
    "NHRP_registration.pcap",
    "erspan-type-i-2.pcap",
    "erspan-type-i-3.pcap",
    "erspan-type-ii-1.pcap",
    "erspan-type-iii-ft-0.pcap",
    "erspan-type-iii-ft-7.pcap",
    "gre-heapoverflow-2.pcap",
    "ios_nhrp.pcap",
    "nhrp-trace.pcap",
    "wccp_redirect_gre.pcap",
]


@needs_tcpdump
@pytest.mark.parametrize("capture", CAPTURES)
def test_corpus_lines_match_tcpdump(capture: str) -> None:
    pairs = [(want, line) for want, line in corpus_pairs(capture) if ": GRE" in want]
    assert pairs
    for want, line in pairs:
        assert line == want
