"""IPv6 and its extension headers (ipv6.py, ipv6ext.py: a chain, tested whole): golden frames checked by
tshark and tcpdump, decode checks, properties."""

from __future__ import annotations

import itertools
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.errors import BuildError, DecodeError, FieldValueError, LimitError, MalformedError, TruncatedError
from rawnet.wire.ether import Ether
from rawnet.wire.ipv4 import IP
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import (
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
)
from rawnet.wire.layer import FRAGMENT, IN_IPV6, Layer, Problem, Raw, Undecoded
from rawnet.wire.registry import LAYERS, TCP_PORT
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields
from tests.wire.golden import (
    UNCLAIMED_UDP_PORTS,
    assert_decodes_back,
    assert_matches_tshark,
    assert_same_except_computed,
    tshark_by_name,
)

A, B, C, D = "2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def ether() -> Ether:
    return Ether(src=MAC1, dst=MAC2)


# -- golden frames -------------------------------------------------------------------------
# Each case: the packet, what tshark says about its bytes (the values were read from tshark 4.0
# and are checked against it on every run), and what rawnet's decode must say (layer, field, value).

GOLDEN: dict[str, tuple[Layer, dict[str, list[str]], list[tuple[type[Layer], str, Any]]]] = {
    "udp": (
        ether() / IPv6(src=A, dst=B, tc=0xB8, fl=0x12345, hlim=7) / UDP(sport=1000, dport=2000) / b"abc",
        {
            "ipv6.version": ["6"],
            "ipv6.tclass": ["0x000000b8"],
            "ipv6.flow": ["0x012345"],
            "ipv6.plen": ["11"],
            "ipv6.nxt": ["17"],
            "ipv6.hlim": ["7"],
            "ipv6.src": [A],
            "ipv6.dst": [B],
            "udp.checksum": ["0xd448"],
            "udp.checksum.status": ["1"],
        },
        [
            (IPv6, "version", 6),
            (IPv6, "tc", 0xB8),
            (IPv6, "fl", 0x12345),
            (IPv6, "plen", 11),
            (IPv6, "nh", 17),
            (IPv6, "hlim", 7),
            (IPv6, "src", A),
            (IPv6, "dst", B),
            (UDP, "chksum", 0xD448),
            (Raw, "load", b"abc"),
        ],
    ),
    "tcp": (
        ether() / IPv6(src=A, dst=B) / TCP(sport=1000, dport=2000, flags="S", options=[("MSS", 1440)]),
        {
            "ipv6.plen": ["24"],
            "ipv6.nxt": ["6"],
            "tcp.checksum.status": ["1"],
            "tcp.options.mss_val": ["1440"],
        },
        [(IPv6, "plen", 24), (IPv6, "nh", 6), (TCP, "options", (("MSS", 1440),))],
    ),
    "no_next_header": (
        ether() / IPv6(src=A, dst=B),
        {"ipv6.plen": ["0"], "ipv6.nxt": ["59"], "ipv6.dst": [B]},
        [(IPv6, "plen", 0), (IPv6, "nh", 59)],
    ),
    "hop_by_hop_router_alert": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrHopByHop(options=[("RouterAlert", 0)])
        / UDP(sport=1, dport=2),
        {
            "ipv6.nxt": ["0"],
            "ipv6.hopopts.nxt": ["17"],
            "ipv6.hopopts.len": ["0"],
            "ipv6.opt.type": ["0x05", "0x01"],
            "ipv6.opt.router_alert": ["0"],
            "ipv6.opt.length": ["2", "0"],
            "udp.checksum.status": ["1"],
        },
        [
            (IPv6, "nh", 0),
            (IPv6ExtHdrHopByHop, "nh", 17),
            (IPv6ExtHdrHopByHop, "len", 0),
            (IPv6ExtHdrHopByHop, "options", (("RouterAlert", 0), ("PadN", b""))),
        ],
    ),
    "destination_options_unknown_option": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrDestOpt(options=[(0x1E, b"abc"), ("PadN", b"\0\0\0")])
        / UDP(sport=1000, dport=2000)
        / b"abc",
        {
            "ipv6.nxt": ["60"],
            "ipv6.plen": ["27"],
            "ipv6.dstopts.nxt": ["17"],
            "ipv6.dstopts.len": ["1"],
            "ipv6.opt.type": ["0x1e", "0x01", "0x01"],
            "ipv6.opt.experimental": ["61:62:63"],
            "ipv6.opt.padn": ["00:00:00", "00:00"],
            "udp.checksum.status": ["1"],
        },
        [
            (IPv6ExtHdrDestOpt, "len", 1),
            (IPv6ExtHdrDestOpt, "options", ((0x1E, b"abc"), ("PadN", b"\0\0\0"), ("PadN", b"\0\0"))),
        ],
    ),
    "routing_type0_udp_final_destination": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrRouting(addresses=[C])
        / UDP(sport=1000, dport=2000)
        / b"abc",
        {
            "ipv6.nxt": ["43"],
            "ipv6.routing.nxt": ["17"],
            "ipv6.routing.len": ["2"],
            "ipv6.routing.type": ["0"],
            "ipv6.routing.segleft": ["1"],
            "ipv6.routing.src.addr": [C],
            "udp.checksum": ["0xd447"],
            "udp.checksum.status": ["1"],
        },
        [
            (IPv6ExtHdrRouting, "len", 2),
            (IPv6ExtHdrRouting, "segleft", 1),
            (IPv6ExtHdrRouting, "addresses", (C,)),
            (UDP, "chksum", 0xD447),
        ],
    ),
    "routing_segleft_0_uses_ipv6_destination": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrRouting(addresses=[C], segleft=0)
        / UDP(sport=1000, dport=2000)
        / b"abc",
        {"ipv6.routing.segleft": ["0"], "udp.checksum.status": ["1"]},
        [(IPv6ExtHdrRouting, "segleft", 0)],
    ),
    "routing_type2_tcp": (
        ether() / IPv6(src=A, dst=B) / IPv6ExtHdrRouting(type=2, addresses=[C]) / TCP(sport=1000, dport=2000),
        {
            "ipv6.routing.type": ["2"],
            "ipv6.routing.segleft": ["1"],
            "ipv6.routing.mipv6.home_address": [C],
            "tcp.checksum.status": ["1"],
        },
        [(IPv6ExtHdrRouting, "type", 2), (IPv6ExtHdrRouting, "addresses", (C,))],
    ),
    "segment_routing_tcp": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrSegmentRouting(addresses=[C, B], tag=0x1234, tlvs=b"\x04\x06" + bytes(6))
        / TCP(sport=1000, dport=2000),
        {
            "ipv6.plen": ["68"],
            "ipv6.routing.nxt": ["6"],
            "ipv6.routing.len": ["5"],
            "ipv6.routing.type": ["4"],
            "ipv6.routing.segleft": ["1"],
            "ipv6.routing.srh.last_entry": ["1"],
            "ipv6.routing.srh.tag": ["12:34"],
            "ipv6.routing.srh.addr": [C, B],
            "tcp.checksum.status": ["1"],
        },
        [
            (IPv6ExtHdrSegmentRouting, "lastentry", 1),
            (IPv6ExtHdrSegmentRouting, "segleft", 1),
            (IPv6ExtHdrSegmentRouting, "tag", 0x1234),
            (IPv6ExtHdrSegmentRouting, "addresses", (C, B)),
            (IPv6ExtHdrSegmentRouting, "tlvs", b"\x04\x06" + bytes(6)),
        ],
    ),
    "routing_type3_kept_raw": (
        ether() / IPv6(src=A, dst=B) / IPv6ExtHdrRouting(type=3, data=bytes(20)) / b"12345678",
        {"ipv6.routing.type": ["3"], "ipv6.routing.len": ["3"], "ipv6.routing.nxt": ["59"]},
        [
            (IPv6ExtHdrRouting, "data", bytes(24)),
            (IPv6ExtHdrRouting, "addresses", ()),
            (Raw, "load", b"12345678"),
        ],
    ),
    "first_fragment": (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrFragment(m=1, id=0xDEADBEEF)
        / UDP(sport=1000, dport=2000, chksum=0x1234)
        / b"abcdefgh",
        {
            "ipv6.nxt": ["44"],
            "ipv6.fraghdr.nxt": ["17"],
            "ipv6.fraghdr.offset": ["0"],
            "ipv6.fraghdr.more": ["1"],
            "ipv6.fraghdr.ident": ["0xdeadbeef"],
        },
        [(IPv6ExtHdrFragment, "m", 1), (IPv6ExtHdrFragment, "id", 0xDEADBEEF), (UDP, "dport", 2000)],
    ),
    "later_fragment": (
        ether() / IPv6(src=A, dst=B) / IPv6ExtHdrFragment(nh=17, offset=100, id=7) / b"12345678",
        {"ipv6.fraghdr.nxt": ["17"], "ipv6.fraghdr.offset": ["100"], "ipv6.fraghdr.more": ["0"]},
        [(IPv6ExtHdrFragment, "offset", 100), (Raw, "load", b"12345678")],
    ),
    "ipv6_in_ipv6": (
        ether() / IPv6(src=A, dst=B) / IPv6(src=C, dst=D) / UDP(sport=1000, dport=2000),
        {"ipv6.nxt": ["41", "17"], "ipv6.src": [A, C], "ipv6.dst": [B, D], "udp.checksum.status": ["1"]},
        [(IPv6, "nh", 41), (UDP, "len", 8)],
    ),
    "ipv6_in_ipv4": (
        ether() / IP(src="198.18.0.1", dst="198.18.0.2") / IPv6(src=A, dst=B) / UDP(sport=1000, dport=2000),
        {"ip.proto": ["41"], "ipv6.dst": [B], "udp.checksum.status": ["1"]},
        [(IP, "proto", 41), (IPv6, "dst", B)],
    ),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    return tshark_by_name(GOLDEN)


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_frame_matches_tshark(name: str, tshark: dict[str, dict[str, list[str]]]) -> None:
    assert_matches_tshark(GOLDEN[name][1], tshark[name])


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_frame_decodes_back(name: str) -> None:
    packet, _, fields = GOLDEN[name]
    assert_decodes_back(Ether, packet, fields)


GOLDEN_HEX = (
    # Ether / IPv6 2001:db8::1 > 2001:db8::2 / Hop-by-Hop (Router Alert) / ICMPv6 echo request 7/9 "ping"
    "020000000002020000000001 86dd"
    "6000 0000 0014 0040 20010db8000000000000000000000001 20010db8000000000000000000000002"
    "3a00 0502 0000 0100"
    "8000 4563 0007 0009 70696e67"
)


def test_golden_hex_frame() -> None:
    from rawnet.wire.icmpv6 import ICMPv6EchoRequest

    wire = bytes.fromhex(GOLDEN_HEX.replace(" ", ""))
    packet = (
        ether()
        / IPv6(src=A, dst=B)
        / IPv6ExtHdrHopByHop(options=[("RouterAlert", 0)])
        / ICMPv6EchoRequest(id=7, seq=9)
        / b"ping"
    )
    assert bytes(packet) == wire
    fields = tshark_fields([wire])[0]
    assert fields["icmpv6.checksum"] == ["0x4563"] and fields["icmpv6.checksum.status"] == ["1"]
    assert fields["ipv6.plen"] == ["20"] and fields["ipv6.hopopts.nxt"] == ["58"]
    decoded = Ether.decode(wire)
    assert decoded[IPv6ExtHdrHopByHop].options == (("RouterAlert", 0), ("PadN", b""))
    assert decoded[ICMPv6EchoRequest].cksum == 0x4563 and decoded.verify() == []


# -- tcpdump summaries -----------------------------------------------------------------------

SUMMARIES = [
    IPv6(src=A, dst=B) / TCP(sport=1234, dport=80, flags="S", options=[("MSS", 1440)]),
    IPv6(src=A, dst=B) / UDP(sport=1000, dport=2000) / b"hello",
    IPv6(src=A, dst=B),
    IPv6(src=A, dst=B, nh=200) / b"zzz",
    IPv6(src=A, dst=B) / IPv6ExtHdrHopByHop() / TCP(),
    IPv6(src=A, dst=B) / IPv6ExtHdrHopByHop() / b"xyz",
    IPv6(src=A, dst=B) / IPv6ExtHdrHopByHop(nh=200) / b"zzz",
    IPv6(src=A, dst=B) / IPv6ExtHdrDestOpt() / UDP(sport=1000, dport=2000) / b"abc",
    IPv6(src=A, dst=B) / IPv6ExtHdrRouting(addresses=[C]) / UDP(sport=1000, dport=2000),
    IPv6(src=A, dst=B) / IPv6ExtHdrRouting(reserved=5, addresses=[C, D]) / b"abc",
    IPv6(src=A, dst=B) / IPv6ExtHdrRouting(type=2, addresses=[C]) / TCP(),
    IPv6(src=A, dst=B) / IPv6ExtHdrRouting(type=3, data=bytes(24)) / b"abc",
    IPv6(src=A, dst=B) / IPv6ExtHdrSegmentRouting(addresses=[C, B]) / UDP(sport=1000, dport=2000),
    IPv6(src=A, dst=B) / IPv6ExtHdrSegmentRouting(addresses=[C, B], tag=0x1234, flags=3) / b"abc",
    IPv6(src=A, dst=B) / IPv6ExtHdrFragment(m=1, id=5) / UDP(sport=1000, dport=2000) / b"abcdefgh",
    IPv6(src=A, dst=B) / IPv6ExtHdrFragment(offset=2, id=5) / b"abcdefgh",
    IPv6(src=A, dst=B)
    / IPv6ExtHdrHopByHop()
    / IPv6ExtHdrDestOpt()
    / IPv6ExtHdrRouting(addresses=[C])
    / IPv6ExtHdrFragment(m=1)
    / IPv6ExtHdrDestOpt()
    / UDP(sport=1000, dport=2000),
    IPv6(src=A, dst=B) / IPv6(src=C, dst=B) / UDP(sport=1000, dport=2000),
    IPv6(src=A, dst=B) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1000, dport=2000),
]


def test_summary_matches_tcpdump() -> None:
    frames = [bytes(packet) for packet in SUMMARIES]
    lines = tcpdump_lines(frames, LINKTYPE_RAW)
    assert len(lines) == len(frames)
    assert [IPv6.decode(frame).summary() for frame in frames] == lines


def test_summary_of_a_packet_not_built_yet() -> None:
    packet = IPv6(src=A, dst=B) / IPv6ExtHdrRouting(addresses=[C]) / UDP(sport=1, dport=2)
    assert packet.summary() == IPv6.decode(bytes(packet)).summary()


def test_ipv4_carrying_ipv6_summary() -> None:
    packet = IP(src="198.18.0.1", dst="198.18.0.2") / IPv6(src=A, dst=B) / UDP(sport=1000, dport=2000)
    frame = bytes(packet)
    assert IP.decode(frame).summary() == tcpdump_lines([frame], LINKTYPE_RAW)[0]


# -- building --------------------------------------------------------------------------------


def test_defaults_follow_scapy() -> None:
    wire = bytes(IPv6())
    assert wire[:8] == bytes.fromhex("60000000 0000 3b40".replace(" ", ""))
    loopback = socket.inet_pton(socket.AF_INET6, "::1")
    assert wire[8:24] == loopback == wire[24:40]  # to ::1, from ::1: the kernel's choice, and scapy's
    assert IPv6().src == "::1" and IPv6(dst="2001:db8::1").src == "::"  # (others: the route's, when sent)
    assert bytes(IPv6(dst="2001:db8::1"))[8:24] == bytes(16)
    assert IPv6ExtHdrFragment().nh == 59 and IPv6ExtHdrRouting().type == 0  # (59: scapy reads it)


def test_build_does_not_change_user_objects() -> None:
    routing = IPv6ExtHdrRouting(addresses=[C])
    packet = IPv6(src=A, dst=B) / IPv6ExtHdrHopByHop() / routing / UDP()
    bytes(packet)
    stored = packet._values()
    assert stored[IPv6.slot.plen] is None and stored[IPv6.slot.nh] is None and stored[IPv6.slot.hlim] is None
    assert packet.plen is None and packet.nh == 0  # read as scapy reads them: the next header computed
    assert packet[IPv6ExtHdrHopByHop].len is None and packet[IPv6ExtHdrHopByHop].options == ()
    assert packet[IPv6ExtHdrRouting].segleft is None and routing.len is None
    assert packet[UDP].chksum is None


def test_user_values_are_sent_as_set_and_verify_reports_them() -> None:
    packet = IPv6(src=A, dst=B, plen=99, nh=200) / IPv6ExtHdrDestOpt(len=3, nh=6) / UDP(sport=1, dport=2)
    wire = bytes(packet)
    assert wire[4:7] == b"\x00\x63\xc8" and wire[40:42] == b"\x06\x03"
    decoded = IPv6.decode(
        bytes(IPv6(src=A, dst=B) / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=2, chksum=0xBEEF))
    )
    assert decoded[UDP].chksum == 0xBEEF
    assert [(p.layer, p.field, p.found) for p in decoded.verify()] == [("udp", "chksum", 0xBEEF)]


def test_options_are_padded_to_eight_bytes() -> None:
    cases = {
        (): "3b00 0104 00000000",
        (("Pad1", None),): "3b00 00 0103 000000",
        (("RouterAlert", 2),): "3b00 0502 0002 0100",
        (("Jumbo", 70000),): "3b00 c204 00011170",
        ((7, b"abcde"),): "3b01 0705 6162636465 0105 0000000000",
    }
    for options, expected in cases.items():
        assert bytes(IPv6ExtHdrHopByHop(options=list(options))).hex() == expected.replace(" ", ""), options


def test_next_header_numbers_come_from_the_payload() -> None:
    chain = (
        IPv6(src=A, dst=B)
        / IPv6ExtHdrHopByHop()
        / IPv6ExtHdrRouting(addresses=[C])
        / IPv6ExtHdrSegmentRouting(addresses=[D])
        / IPv6ExtHdrFragment()
        / IPv6ExtHdrDestOpt()
        / TCP()
    )
    decoded = IPv6.decode(bytes(chain))
    assert [layer.nh for layer in decoded.layers()[:-1]] == [0, 43, 43, 44, 60, 6]
    assert IPv6.decode(bytes(IPv6() / b"x")).nh == 59 and IPv6.decode(bytes(IPv6())).nh == 59


@pytest.mark.parametrize(
    "header",
    [IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(addresses=[C]), IPv6ExtHdrFragment()],
    ids=lambda header: type(header).__name__,
)
def test_an_extension_header_on_top_announces_what_slash_put_under_it(header: Layer) -> None:
    assert bytes(header / TCP())[0] == 6 and bytes(header / UDP() / b"x")[0] == 17  # not 59
    packet = IPv6(src=A, dst=B) / header / TCP()
    packet[type(header)].payload = UDP()  # a payload given later (a frozen tail, thawed by nothing yet)
    decoded = IPv6.decode(bytes(packet))
    assert decoded[type(header)].nh == 17 and UDP in decoded


def test_pseudo_header_uses_the_final_destination() -> None:
    def udp_checksum_with(dst: str) -> int:
        return UDP.decode(bytes(IPv6(src=A, dst=dst) / UDP(sport=1, dport=2) / b"x")[40:]).chksum

    via_type0 = IPv6(src=A, dst=B) / IPv6ExtHdrRouting(addresses=[C, D]) / UDP(sport=1, dport=2) / b"x"
    via_srh = IPv6(src=A, dst=B) / IPv6ExtHdrSegmentRouting(addresses=[D, C]) / UDP(sport=1, dport=2) / b"x"
    arrived = (
        IPv6(src=A, dst=B) / IPv6ExtHdrRouting(addresses=[C, D], segleft=0) / UDP(sport=1, dport=2) / b"x"
    )
    assert IPv6.decode(bytes(via_type0))[UDP].chksum == udp_checksum_with(D)
    assert IPv6.decode(bytes(via_srh))[UDP].chksum == udp_checksum_with(D)
    assert IPv6.decode(bytes(arrived))[UDP].chksum == udp_checksum_with(B)
    wire_d = socket.inet_pton(socket.AF_INET6, D)
    assert IPv6.decode(bytes(via_type0)).pseudo_addresses()[16:] == wire_d
    assert IPv6.decode(bytes(via_srh)).pseudo_addresses()[16:] == wire_d


def test_srh_defaults_count_the_segments() -> None:
    decoded = IPv6.decode(bytes(IPv6() / IPv6ExtHdrSegmentRouting(addresses=[A, B, C])))
    srh = decoded[IPv6ExtHdrSegmentRouting]
    assert (srh.segleft, srh.lastentry, srh.len, srh.type) == (2, 2, 6, 4)


def test_jumbogram_needs_the_jumbo_option() -> None:
    data = bytes(70000)
    with pytest.raises(BuildError, match="over 65535"):
        bytes(IPv6() / data)
    wire = bytes(IPv6() / IPv6ExtHdrHopByHop(options=[("Jumbo", 70008)]) / data)
    assert wire[4:6] == b"\x00\x00"
    decoded = IPv6.decode(wire)
    assert decoded[IPv6ExtHdrHopByHop].options == (("Jumbo", 70008),)
    assert len(decoded[Raw].load) == 70000 and decoded.verify() == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: IPv6(fl=1 << 20), "IPv6.fl must be 0..1048575"),
        (lambda: IPv6(dst="198.18.0.1"), "IPv6.dst must be an IPv6 address"),
        (lambda: IPv6ExtHdrHopByHop(options=[("Bogus", 1)]), "unknown option 'Bogus'"),
        (lambda: IPv6ExtHdrHopByHop(options=[(7, bytes(300))]), "bad option value"),
        (lambda: IPv6ExtHdrHopByHop(options=[(7, bytes(250))] * 9), "extension header has room for 2046"),
        (lambda: IPv6ExtHdrRouting(addresses=["198.18.0.1"]), "is not an IPv6 address"),
        (lambda: IPv6ExtHdrRouting(addresses=A), "expected a list of IPv6 addresses"),
        (lambda: IPv6ExtHdrSegmentRouting(tlvs="text"), "expected bytes"),
    ],
)
def test_invalid_values_fail_at_construction(make: Any, message: str) -> None:
    with pytest.raises(FieldValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        make()


# -- decoding: edge cases and one negative test per check --------------------------------------


def test_payload_length_zero_runs_to_the_end_and_verify_reports_it() -> None:
    wire = bytearray(bytes(IPv6(src=A, dst=B) / UDP(sport=1, dport=2) / b"data"))
    wire[4:6] = b"\x00\x00"
    decoded = IPv6.decode(bytes(wire))
    assert decoded[Raw].load == b"data"
    assert [(p.field, p.found, p.expected) for p in decoded.verify()] == [("plen", 0, 12)]


def test_payload_length_zero_with_no_next_header_is_empty() -> None:
    frame = bytes(ether() / IPv6(src=A, dst=B)) + bytes(6)  # an Ethernet trailer up to 60 bytes
    decoded = Ether.decode(frame)
    assert decoded[IPv6].payload is None and decoded[IPv6].padding == bytes(6)
    assert bytes(decoded) == frame and decoded.verify() == []


def test_ethernet_trailer_is_padding() -> None:
    frame = bytes(ether() / IPv6(src=A, dst=B) / UDP(sport=1, dport=2)) + b"\xa5" * 4
    decoded = Ether.decode(frame)
    assert decoded[IPv6].padding == b"\xa5" * 4 and decoded[UDP].len == 8
    assert bytes(decoded) == frame and decoded.verify() == []


def test_fragment_modes() -> None:
    first = IPv6.decode(bytes(IPv6() / IPv6ExtHdrFragment(m=1) / UDP(chksum=0x1234) / b"abcd"))
    assert first[UDP]._mode & FRAGMENT and first.verify() == []
    atomic = IPv6.decode(bytes(IPv6() / IPv6ExtHdrFragment() / UDP(chksum=0x1234) / b"abcd"))
    assert not atomic[UDP]._mode & FRAGMENT
    assert [(p.layer, p.field) for p in atomic.verify()] == [("udp", "chksum")]
    later = IPv6.decode(bytes(IPv6() / IPv6ExtHdrFragment(nh=17, offset=1) / b"abcdefgh"))
    assert isinstance(later.payload.payload, Raw) and later[Raw].load == b"abcdefgh"  # type: ignore[union-attr]


def test_every_layer_carried_by_ipv6_knows_it() -> None:
    decoded = IPv6.decode(bytes(IPv6() / IPv6ExtHdrHopByHop() / UDP(chksum=0)))
    assert all(layer._mode & IN_IPV6 for layer in decoded.layers()[1:])
    assert [(p.layer, p.field) for p in decoded.verify()] == [("udp", "chksum")]  # 0 is invalid over IPv6


def test_unknown_next_header_ends_the_chain_as_raw() -> None:
    decoded = IPv6.decode(bytes(IPv6(nh=253) / b"\x00\x01\x02\x03"))
    assert type(decoded.payload) is Raw and decoded[Raw].load == b"\x00\x01\x02\x03"
    decoded = IPv6.decode(bytes(IPv6(nh=59) / b"tail"))
    assert type(decoded.payload) is Raw and decoded.verify() == []


def test_srh_whose_last_entry_does_not_fit_stays_generic() -> None:
    header = bytes((59, 2, 4, 0, 5, 0, 0, 0)) + bytes(16)  # last entry 5: 96 bytes of segments in 24
    decoded = IPv6.decode(_ipv6_header(43, 0) + header)
    assert type(decoded.payload) is IPv6ExtHdrRouting  # plen 0: runs to the end
    assert decoded[IPv6ExtHdrRouting].data == bytes(16) and bytes(decoded)[40:] == header


def _ipv6_header(nh: int, plen: int, version: int = 6) -> bytes:
    return bytes((version << 4, 0, 0, 0)) + plen.to_bytes(2, "big") + bytes((nh, 64)) + bytes(32)


@pytest.mark.parametrize(
    ("wire", "error", "layer", "offset", "reason"),
    [
        (bytes(39), TruncatedError, "ipv6", 0, "39 bytes left, the header needs 40"),
        (_ipv6_header(59, 0, version=4), MalformedError, "ipv6", 0, "version 4, expected 6"),
        (_ipv6_header(59, 9) + bytes(8), TruncatedError, "ipv6", 0, "payload length 9, only 8 bytes follow"),
        (_ipv6_header(0, 7) + bytes(7), TruncatedError, "ipv6-hopopts", 40, "7 bytes left"),
        (
            _ipv6_header(60, 8) + bytes((59, 1)) + bytes(6),
            TruncatedError,
            "ipv6-dstopts",
            40,
            "Hdr Ext Len 1",
        ),
        (
            _ipv6_header(0, 8) + bytes((59, 0, 1, 0, 5, 3, 0, 0)),
            TruncatedError,
            "ipv6-hopopts",
            44,
            "length 3",
        ),
        (
            _ipv6_header(0, 8) + bytes((59, 0, 1, 5, 0, 0, 0, 0)),
            TruncatedError,
            "ipv6-hopopts",
            42,
            "length 5",
        ),
        (
            _ipv6_header(0, 8) + bytes((59, 0, 1, 3, 0, 0, 0, 7)),
            TruncatedError,
            "ipv6-hopopts",
            47,
            "no length",
        ),
        (_ipv6_header(43, 4) + bytes((59, 1, 0, 0)), TruncatedError, "ipv6-route", 40, "4 bytes left"),
        (_ipv6_header(44, 7) + bytes(7), TruncatedError, "ipv6-frag", 40, "7 bytes left"),
        (
            _ipv6_header(43, 8) + bytes((59, 1, 4, 0, 0, 0, 0, 0)),
            TruncatedError,
            "ipv6-route",
            40,
            "Hdr Ext Len",
        ),
    ],
)
def test_decode_errors_name_layer_and_offset(
    wire: bytes, error: type[DecodeError], layer: str, offset: int, reason: str
) -> None:
    with pytest.raises(error) as caught:
        IPv6.decode(wire).layers()
    assert (caught.value.layer, caught.value.offset) == (layer, offset)
    assert reason in caught.value.reason
    framed = Ether.decode(
        bytes(Ether(src=MAC1, dst=MAC2, type=0x86DD)) + wire, lenient=True
    )  # the same failure, 14 bytes further
    assert isinstance(framed.layers()[-1], Undecoded)
    assert f"at offset {offset + 14}:" in framed.layers()[-1].reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (bytes((59, 2, 0, 0, 0, 0, 0, 0)) + bytes(16), "routing type 0, expected 4"),
        (bytes((59, 2, 4, 0, 1, 0, 0, 0)) + bytes(16), "last entry 1 does not fit in 24 bytes"),
    ],
)
def test_segment_routing_decoded_directly_checks_its_format(header: bytes, reason: str) -> None:
    with pytest.raises(MalformedError, match=reason) as caught:
        IPv6ExtHdrSegmentRouting.decode(header)
    assert caught.value.offset == 0


def test_endless_chain_of_extension_headers_is_a_limit_error() -> None:
    chain = b"".join(bytes((0, 0, 1, 4, 0, 0, 0, 0)) for _ in range(200))  # Hop-by-Hop after Hop-by-Hop
    wire = _ipv6_header(0, len(chain)) + chain
    with pytest.raises(LimitError):
        IPv6.decode(wire).layers()
    lenient = IPv6.decode(wire, lenient=True)
    assert isinstance(lenient.layers()[-1], Undecoded) and bytes(lenient) == wire


def test_quoted_ipv6_may_be_cut_short() -> None:
    from rawnet.wire.layer import QUOTED

    whole = bytes(IPv6(src=A, dst=B) / UDP(sport=1, dport=2) / bytes(100))
    quoted = IPv6._decode(whole[:60], 0, 60, QUOTED)
    assert quoted.plen == 108 and quoted[UDP].len == 108 and len(quoted[Raw].load) == 12
    assert bytes(quoted) == whole[:60]


# -- properties ------------------------------------------------------------------------------

_NEXT_NUMBERS = {"hbh": 0, "dst": 60, "route": 43, "frag": 44, "tcp": 6, "udp": 17, "icmpv6": 58, "raw": 59}
_OPTION_BYTES = st.lists(st.sampled_from([0, 0, 1, 1, 2, 4, 5, 0xC2, 7, 255]))


@st.composite
def _header_bytes(draw: st.DrawFn, kind: str, next_number: int) -> bytes:
    """One header of ``kind`` whose length byte agrees with its size (mostly), announcing ``next_number``."""
    if draw(st.integers(0, 9)) == 0:
        next_number = draw(st.integers(0, 255))
    if kind in ("hbh", "dst"):
        length = draw(st.integers(0, 2))
        options = bytes(draw(_OPTION_BYTES.map(lambda items: items[: (length + 1) * 8 - 2])))
        return bytes((next_number, length)) + options.ljust((length + 1) * 8 - 2, b"\0")
    if kind == "route":
        length = draw(st.integers(0, 6))
        fixed = (draw(st.sampled_from([0, 2, 3, 4])), draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        rest = draw(st.binary(min_size=(length + 1) * 8 - 5, max_size=(length + 1) * 8 - 5))
        return bytes((next_number, length, *fixed)) + rest
    if kind == "frag":
        return bytes((next_number, 0)) + draw(st.binary(min_size=6, max_size=6))
    return draw(st.binary(max_size=48))  # a transport header or data: random


@st.composite
def ipv6_like_bytes(draw: st.DrawFn) -> bytes:
    """An IPv6 header and a chain of headers that mostly agree on their lengths, then random bytes."""
    kinds = draw(st.lists(st.sampled_from(["hbh", "dst", "route", "frag"]), max_size=6))
    kinds.append(draw(st.sampled_from(["tcp", "udp", "icmpv6", "raw"])))
    body = b""
    for kind, following in itertools.pairwise(kinds):
        body += draw(_header_bytes(kind, _NEXT_NUMBERS[following]))
    body += draw(_header_bytes(kinds[-1], 59))
    plen = draw(st.sampled_from([len(body), len(body), len(body), 0, len(body) + 1, max(len(body) - 3, 0)]))
    version = draw(st.sampled_from([0x60, 0x60, 0x60, 0x6F, 0x40]))
    head = bytes((version, 0, 0, 0)) + plen.to_bytes(2, "big") + bytes((_NEXT_NUMBERS[kinds[0]], 64))
    return head + draw(st.binary(min_size=32, max_size=32)) + body


@given(st.one_of(st.binary(max_size=120), ipv6_like_bytes()))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    try:
        packet = IPv6.decode(data)
        packet.layers()
        packet.summary()
    except DecodeError:
        pass
    else:
        assert bytes(packet) == data
        packet.verify()
    lenient = IPv6.decode(data, lenient=True)
    lenient.layers()
    assert bytes(lenient) == data


_ADDRESSES = st.sampled_from([A, B, C, D, "2001:db8::ff", "2001:db8:1::1"])
_OPTION_VALUES = st.one_of(
    st.tuples(st.just("RouterAlert"), st.integers(0, 0xFFFF)),
    st.tuples(st.just("PadN"), st.binary(max_size=5)),
    st.tuples(st.just("Pad1"), st.none()),
    st.tuples(st.sampled_from([7, 0x1E, 0x3E, 0xC9]), st.binary(max_size=12)),
)


def _aligned(options: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Options plus the padding building would add, so that decoding gives the same list."""
    used = sum(1 if name == "Pad1" else 2 + len(_value_bytes(name, value)) for name, value in options)
    missing = -(2 + used) % 8
    if missing == 1:
        return [*options, ("Pad1", None)]
    if missing:
        return [*options, ("PadN", bytes(missing - 2))]
    return options


def _value_bytes(name: Any, value: Any) -> bytes:
    if name == "RouterAlert":
        return bytes(2)
    return bytes(value or b"")


@st.composite
def extension_header(draw: st.DrawFn) -> Layer:
    kind = draw(st.integers(0, 4))
    if kind in (0, 1):
        options = _aligned(draw(st.lists(_OPTION_VALUES, max_size=4)))
        cls = IPv6ExtHdrHopByHop if kind == 0 else IPv6ExtHdrDestOpt
        return cls(options=options)
    if kind == 2:
        return IPv6ExtHdrRouting(
            type=draw(st.sampled_from([0, 2])),
            addresses=draw(st.lists(_ADDRESSES, min_size=1, max_size=3)),
            segleft=draw(st.none() | st.integers(0, 3)),
            reserved=draw(st.integers(0, 0xFFFFFFFF)),
        )
    if kind == 3:
        return IPv6ExtHdrSegmentRouting(
            addresses=draw(st.lists(_ADDRESSES, min_size=1, max_size=3)),
            tag=draw(st.integers(0, 0xFFFF)),
            tlvs=bytes(8 * draw(st.integers(0, 2))),
        )
    return IPv6ExtHdrFragment(id=draw(st.integers(0, 0xFFFFFFFF)))  # atomic: the payload still decodes


@st.composite
def ipv6_packet(draw: st.DrawFn) -> Layer:
    packet: Layer = IPv6(
        src=draw(_ADDRESSES),
        dst=draw(_ADDRESSES),
        tc=draw(st.integers(0, 255)),
        fl=draw(st.integers(0, 0xFFFFF)),
        hlim=draw(st.integers(0, 255)),
    )
    for header in draw(st.lists(extension_header(), max_size=4)):
        packet = packet / header
    tail = draw(st.sampled_from(["tcp", "udp", "raw", "none"]))
    # (ports no protocol is registered on: the data stays Raw, as drawn)
    if tail == "tcp":
        sport = draw(st.integers(0, 0xFFFF).filter(lambda port: port not in LAYERS.table(TCP_PORT)))
        packet = packet / TCP(sport=sport, flags=draw(st.integers(0, 0x1FF)))
    elif tail == "udp":
        # (ports no protocol claims: the random data stays Raw)
        packet = packet / UDP(sport=draw(UNCLAIMED_UDP_PORTS), dport=draw(UNCLAIMED_UDP_PORTS))
    if tail != "none":
        data = draw(st.binary(min_size=1, max_size=40))
        packet = packet / data
    return packet


@given(ipv6_packet())
def test_build_then_decode_round_trips(packet: Layer) -> None:
    wire = bytes(packet)
    decoded = IPv6.decode(wire)
    assert_same_except_computed(packet, decoded)
    assert bytes(decoded) == wire and decoded.verify() == []
    assert IPv6.decode(bytes(decoded)) == decoded
    assert decoded.fixed() == decoded


def test_a_big_tcp_payload_without_a_jumbo_option_is_reported_not_raised() -> None:
    # tcpdump's bigtcp-ipv6: Linux BIG TCP sends GSO packets over 64 KiB with a payload length of
    # 0 and (since 6.x) no Hop-by-Hop jumbo option. verify() says what the length would need.
    wire = bytes(
        IPv6(src="2001:db8::1", dst="2001:db8::2", plen=0, nh=6)
        / TCP(sport=1, dport=2, flags="A")
        / (b"x" * 80000)
    )
    packet = IPv6.decode(wire)
    assert len(packet[TCP].payload.load) == 80000
    assert packet.verify() == [Problem("ipv6", "plen", 0, 80020, 0)]
