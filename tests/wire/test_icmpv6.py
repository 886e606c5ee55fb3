"""ICMPv6 and Neighbor Discovery (icmpv6.py, ndp.py): golden frames checked by tshark and tcpdump,
quotes, errors, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.errors import DecodeError, MalformedError, TruncatedError
from rawnet.wire.ether import Ether
from rawnet.wire.icmpv6 import (
    ICMPv6,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
)
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from rawnet.wire.layer import QUOTED, Layer, Raw, Undecoded
from rawnet.wire.ndp import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOpt,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
)
from rawnet.wire.quoted import TCPerror
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP
from tests.oracle import LINKTYPE_RAW, tcpdump_lines
from tests.wire.golden import (
    UNCLAIMED_UDP_PORTS,
    assert_decodes_back,
    assert_matches_tshark,
    assert_same_except_computed,
    tshark_by_name,
)

A, B, C = "2001:db8::1", "2001:db8::2", "2001:db8::3"
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"

# -- golden frames (raw IPv6, no link header) ---------------------------------------------------
# Each case: the packet, what tshark says about its bytes (values read from tshark 4.0, checked
# against it on every run), and what rawnet's decode must say (layer, field, value).

GOLDEN: dict[str, tuple[Layer, dict[str, list[str]], list[tuple[type[Layer], str, Any]]]] = {
    "echo_request": (
        IPv6(src=A, dst=B) / ICMPv6EchoRequest(id=7, seq=9) / b"ping",
        {
            "ipv6.nxt": ["58"],
            "icmpv6.type": ["128"],
            "icmpv6.code": ["0"],
            "icmpv6.checksum": ["0x4563"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.echo.identifier": ["0x0007"],
            "icmpv6.echo.sequence_number": ["9"],
            "data.data": ["70:69:6e:67"],
        },
        [
            (ICMPv6EchoRequest, "type", 128),
            (ICMPv6EchoRequest, "cksum", 0x4563),
            (ICMPv6EchoRequest, "id", 7),
            (ICMPv6EchoRequest, "seq", 9),
            (Raw, "load", b"ping"),
        ],
    ),
    "echo_reply": (
        IPv6(src=B, dst=A) / ICMPv6EchoReply(id=7, seq=9) / b"ping",
        {"icmpv6.type": ["129"], "icmpv6.checksum.status": ["1"], "icmpv6.echo.sequence_number": ["9"]},
        [(ICMPv6EchoReply, "type", 129), (ICMPv6EchoReply, "id", 7)],
    ),
    "neighbor_solicitation": (
        IPv6(src=A, dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
        {
            "icmpv6.type": ["135"],
            "icmpv6.checksum": ["0x1c27"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.nd.ns.target_address": [B],
            "icmpv6.opt.type": ["1"],
            "icmpv6.opt.length": ["1"],
            "icmpv6.opt.src_linkaddr": [MAC1],
        },
        [
            (ICMPv6ND_NS, "tgt", B),
            (ICMPv6ND_NS, "cksum", 0x1C27),
            (ICMPv6NDOptSrcLLAddr, "len", 1),
            (ICMPv6NDOptSrcLLAddr, "lladdr", MAC1),
        ],
    ),
    "neighbor_advertisement": (
        IPv6(src=B, dst=A, hlim=255) / ICMPv6ND_NA(tgt=B, R=0, S=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC2),
        {
            "icmpv6.type": ["136"],
            "icmpv6.checksum": ["0x8a71"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.nd.na.flag": ["0x60000000"],
            "icmpv6.nd.na.flag.r": ["0"],
            "icmpv6.nd.na.flag.s": ["1"],
            "icmpv6.nd.na.flag.o": ["1"],
            "icmpv6.nd.na.target_address": [B],
            "icmpv6.opt.type": ["2"],
            "icmpv6.opt.target_linkaddr": [MAC2],
        },
        [
            (ICMPv6ND_NA, "R", 0),
            (ICMPv6ND_NA, "S", 1),
            (ICMPv6ND_NA, "O", 1),
            (ICMPv6ND_NA, "tgt", B),
            (ICMPv6NDOptDstLLAddr, "lladdr", MAC2),
        ],
    ),
    "router_solicitation": (
        IPv6(src="fe80::1", dst="ff02::2", hlim=255) / ICMPv6ND_RS(),
        {"icmpv6.type": ["133"], "icmpv6.checksum": ["0x7d36"], "icmpv6.checksum.status": ["1"]},
        [(ICMPv6ND_RS, "res", 0), (ICMPv6ND_RS, "cksum", 0x7D36)],
    ),
    "router_advertisement": (
        IPv6(src="fe80::1", dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(chlim=64, M=1, O=1, prf=1, routerlifetime=600, reachabletime=30000, retranstimer=1000)
        / ICMPv6NDOptSrcLLAddr(lladdr=MAC1)
        / ICMPv6NDOptMTU(mtu=1500)
        / ICMPv6NDOptPrefixInfo(prefix="2001:db8::", validlifetime=86400, preferredlifetime=14400),
        {
            "icmpv6.type": ["134"],
            "icmpv6.checksum": ["0xb6a8"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.nd.ra.cur_hop_limit": ["64"],
            "icmpv6.nd.ra.flag": ["0xc8"],
            "icmpv6.nd.ra.flag.prf": ["1"],
            "icmpv6.nd.ra.router_lifetime": ["600"],
            "icmpv6.nd.ra.reachable_time": ["30000"],
            "icmpv6.nd.ra.retrans_timer": ["1000"],
            "icmpv6.opt.type": ["1", "5", "3"],
            "icmpv6.opt.length": ["1", "1", "4"],
            "icmpv6.opt.mtu": ["1500"],
            "icmpv6.opt.prefix.length": ["64"],
            "icmpv6.opt.prefix.flag": ["0xc0"],
            "icmpv6.opt.prefix.valid_lifetime": ["86400"],
            "icmpv6.opt.prefix.preferred_lifetime": ["14400"],
            "icmpv6.opt.prefix": ["2001:db8::"],
        },
        [
            (ICMPv6ND_RA, "chlim", 64),
            (ICMPv6ND_RA, "M", 1),
            (ICMPv6ND_RA, "O", 1),
            (ICMPv6ND_RA, "prf", 1),
            (ICMPv6ND_RA, "routerlifetime", 600),
            (ICMPv6ND_RA, "reachabletime", 30000),
            (ICMPv6ND_RA, "retranstimer", 1000),
            (ICMPv6NDOptMTU, "mtu", 1500),
            (ICMPv6NDOptPrefixInfo, "len", 4),
            (ICMPv6NDOptPrefixInfo, "prefixlen", 64),
            (ICMPv6NDOptPrefixInfo, "L", 1),
            (ICMPv6NDOptPrefixInfo, "A", 1),
            (ICMPv6NDOptPrefixInfo, "validlifetime", 86400),
            (ICMPv6NDOptPrefixInfo, "prefix", "2001:db8::"),
        ],
    ),
    "redirect_with_unknown_option": (
        IPv6(src="fe80::1", dst=A, hlim=255)
        / ICMPv6ND_Redirect(tgt="fe80::2", dst=C)
        / ICMPv6NDOptUnknown(type=4, data=bytes(6) + bytes(IPv6(src=A, dst=C))),
        {
            "icmpv6.type": ["137"],
            "icmpv6.checksum": ["0x2335"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.nd.rd.target_address": ["fe80::2"],
            "icmpv6.rd.na.destination_address": [C],
            "icmpv6.opt.type": ["4"],
            "icmpv6.opt.length": ["6"],
        },
        [
            (ICMPv6ND_Redirect, "tgt", "fe80::2"),
            (ICMPv6ND_Redirect, "dst", C),
            (ICMPv6NDOptUnknown, "type", 4),
            (ICMPv6NDOptUnknown, "len", 6),
        ],
    ),
    "destination_unreachable_port": (
        IPv6(src=C, dst=A)
        / ICMPv6DestUnreach(code=4)
        / IPv6(src=A, dst=B)
        / UDP(sport=5000, dport=999)
        / b"q",
        {
            "icmpv6.type": ["1"],
            "icmpv6.code": ["4"],
            "icmpv6.checksum": ["0x31e3"],
            "icmpv6.checksum.status": ["1"],
            "ipv6.plen": ["57", "9"],
            "ipv6.dst": [A, B],
            "udp.dstport": ["999"],
        },
        [(ICMPv6DestUnreach, "code", 4), (ICMPv6DestUnreach, "unused", 0), (UDP, "dport", 999)],
    ),
    "packet_too_big": (
        IPv6(src=C, dst=A)
        / ICMPv6PacketTooBig(mtu=1280)
        / IPv6(src=A, dst=B)
        / UDP(sport=1000, dport=2000)
        / bytes(100),
        {
            "icmpv6.type": ["2"],
            "icmpv6.checksum": ["0x2b84"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.mtu": ["1280"],
        },
        [(ICMPv6PacketTooBig, "mtu", 1280), (UDP, "len", 108)],
    ),
    "time_exceeded_quoting_an_echo": (
        IPv6(src=C, dst=A)
        / ICMPv6TimeExceeded()
        / IPv6(src=A, dst=B, hlim=1)
        / ICMPv6EchoRequest(id=1, seq=1),
        {
            "icmpv6.type": ["3", "128"],
            "icmpv6.checksum": ["0x0750", "0x2446"],
            "icmpv6.checksum.status": ["1", "2"],  # 2: not verified inside an error
            "icmpv6.echo.identifier": ["0x0001"],
        },
        [
            (ICMPv6TimeExceeded, "code", 0),
            (ICMPv6EchoRequest, "seq", 1),
            (ICMPv6EchoRequest, "cksum", 0x2446),
        ],
    ),
    "parameter_problem": (
        IPv6(src=C, dst=A) / ICMPv6ParamProblem(code=1, ptr=6) / IPv6(src=A, dst=B, nh=200) / b"xxxxxxxx",
        {
            "icmpv6.type": ["4"],
            "icmpv6.code": ["1"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.pointer": ["6"],
        },
        [(ICMPv6ParamProblem, "ptr", 6), (ICMPv6ParamProblem, "code", 1), (Raw, "load", b"xxxxxxxx")],
    ),
    "unknown_type": (
        IPv6(src=C, dst=A) / ICMPv6(type=250, code=3) / b"body",
        {
            "icmpv6.type": ["250"],
            "icmpv6.code": ["3"],
            "icmpv6.checksum": ["0xe35a"],
            "icmpv6.checksum.status": ["1"],
            "icmpv6.data": ["62:6f:64:79"],
        },
        [(ICMPv6, "type", 250), (ICMPv6, "code", 3), (Raw, "load", b"body")],
    ),
    "behind_hop_by_hop_and_fragment": (
        IPv6(src=A, dst=B)
        / IPv6ExtHdrHopByHop(options=[("RouterAlert", 0)])
        / IPv6ExtHdrFragment()
        / ICMPv6EchoRequest(id=3, seq=4),
        {"ipv6.hopopts.nxt": ["44"], "ipv6.fraghdr.nxt": ["58"], "icmpv6.checksum.status": ["1"]},
        [(IPv6ExtHdrFragment, "nh", 58), (ICMPv6EchoRequest, "id", 3)],
    ),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    return tshark_by_name(GOLDEN, LINKTYPE_RAW)


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_frame_matches_tshark(name: str, tshark: dict[str, dict[str, list[str]]]) -> None:
    assert_matches_tshark(GOLDEN[name][1], tshark[name])


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_frame_decodes_back(name: str) -> None:
    packet, _, fields = GOLDEN[name]
    assert_decodes_back(IPv6, packet, fields)


# -- tcpdump summaries -----------------------------------------------------------------------

SUMMARIES = [
    IPv6(src=A, dst=B) / ICMPv6EchoRequest(id=1, seq=2) / bytes(56),
    IPv6(src=A, dst=B) / ICMPv6EchoReply(id=1, seq=2) / bytes(56),
    IPv6(src=A, dst=B) / IPv6ExtHdrHopByHop(options=[("RouterAlert", 0)]) / ICMPv6EchoRequest(),
    IPv6(src=A, dst=B) / IPv6ExtHdrFragment(m=1, id=5) / ICMPv6EchoRequest() / b"abcdefgh",
    IPv6(src=A, dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt=B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
    IPv6(src=B, dst=A) / ICMPv6ND_NA(tgt=B, S=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC2),
    IPv6(src="fe80::1", dst="ff02::2") / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
    IPv6(src="fe80::1", dst="ff02::1") / ICMPv6ND_RA() / ICMPv6NDOptMTU() / ICMPv6NDOptPrefixInfo(),
    IPv6(src="fe80::1", dst=A) / ICMPv6ND_Redirect(tgt="fe80::2", dst=C),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / IPv6(src=A, dst=B) / UDP(sport=5000, dport=999) / b"q",
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / IPv6(src=A, dst=B) / TCP(sport=5000, dport=22),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / IPv6(src=A, dst=B) / IPv6ExtHdrFragment() / UDP(dport=9),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / IPv6(src=A, dst=B) / ICMPv6EchoRequest(),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=0) / IPv6(src=A, dst=B) / TCP(),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=1) / IPv6(src=A, dst=B) / TCP(),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=2) / IPv6(src=A, dst=B) / TCP(),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=3) / IPv6(src=A, dst=B) / TCP(),
    IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=3) / b"short quote",
    IPv6(src=C, dst=A) / ICMPv6PacketTooBig(mtu=1280) / IPv6(src=A, dst=B) / UDP() / bytes(100),
    IPv6(src=C, dst=A) / ICMPv6TimeExceeded() / IPv6(src=A, dst=B, hlim=1) / ICMPv6EchoRequest(),
    IPv6(src=C, dst=A) / ICMPv6TimeExceeded(code=1) / IPv6(src=A, dst=B) / ICMPv6EchoRequest(),
    IPv6(src=C, dst=A) / ICMPv6TimeExceeded(code=3) / IPv6(src=A, dst=B) / ICMPv6EchoRequest(),
    IPv6(src=C, dst=A) / ICMPv6TimeExceeded() / b"short",
    IPv6(src=C, dst=A) / ICMPv6ParamProblem(code=1, ptr=6) / IPv6(src=A, dst=B, nh=200) / bytes(8),
    IPv6(src=C, dst=A) / ICMPv6ParamProblem(code=0, ptr=4) / IPv6(src=A, dst=B, nh=200) / bytes(8),
    IPv6(src=C, dst=A) / ICMPv6ParamProblem(code=7) / IPv6(src=A, dst=B, nh=200) / bytes(8),
    IPv6(src=C, dst=A) / ICMPv6(type=250, code=3),
    IPv6(src=C, dst=A) / ICMPv6(type=200),
]


def test_summary_matches_tcpdump() -> None:
    frames = [bytes(packet) for packet in SUMMARIES]
    lines = [line for line in tcpdump_lines(frames, LINKTYPE_RAW) if not line.startswith("\t")]  # no hexdumps
    assert len(lines) == len(frames)
    assert [IPv6.decode(frame).summary() for frame in frames] == lines


def test_summary_of_a_packet_not_built_yet_and_alone() -> None:
    packet = IPv6(src=A, dst=B) / ICMPv6EchoRequest(id=1, seq=2) / b"abcd"
    assert packet.summary() == "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 12"
    assert ICMPv6ND_NS(tgt=B).summary() == "ICMP6, neighbor solicitation, who has 2001:db8::2, length 24"


# -- building --------------------------------------------------------------------------------


def test_each_class_builds_its_own_type_with_next_header_58() -> None:
    classes = {
        ICMPv6EchoRequest: 128,
        ICMPv6EchoReply: 129,
        ICMPv6DestUnreach: 1,
        ICMPv6PacketTooBig: 2,
        ICMPv6TimeExceeded: 3,
        ICMPv6ParamProblem: 4,
        ICMPv6ND_RS: 133,
        ICMPv6ND_RA: 134,
        ICMPv6ND_NS: 135,
        ICMPv6ND_NA: 136,
        ICMPv6ND_Redirect: 137,
    }
    for cls, number in classes.items():
        assert cls().type == number
        wire = bytes(IPv6() / cls())
        assert wire[6] == 58 and wire[40] == number, cls.__name__
        assert type(IPv6.decode(wire).payload) is cls
    assert ICMPv6EchoRequest(type=129).type == 129
    options = {ICMPv6NDOptSrcLLAddr: 1, ICMPv6NDOptDstLLAddr: 2, ICMPv6NDOptPrefixInfo: 3, ICMPv6NDOptMTU: 5}
    for option, number in options.items():
        assert bytes(option())[0] == number and option().type == number


def test_checksum_needs_the_pseudo_header() -> None:
    alone = bytes(ICMPv6EchoRequest())
    assert alone == bytes.fromhex("8000000000000000")  # no network layer: 0, as TCP and UDP do
    set_by_user = IPv6.decode(bytes(IPv6() / ICMPv6EchoRequest(cksum=0xBEEF) / b"x"))
    assert set_by_user[ICMPv6].cksum == 0xBEEF
    assert [(p.layer, p.field, p.found) for p in set_by_user.verify()] == [("icmpv6", "cksum", 0xBEEF)]
    assert set_by_user.fixed().verify() == []


def test_build_does_not_change_user_objects() -> None:
    option = ICMPv6NDOptSrcLLAddr(lladdr=MAC1)
    packet = IPv6() / ICMPv6ND_NS(tgt=B) / option
    bytes(packet)
    assert (
        packet[ICMPv6ND_NS].cksum is None and packet[ICMPv6NDOptSrcLLAddr].len is None and option.len is None
    )


def test_option_addresses_may_be_given_as_wire_bytes() -> None:
    assert ICMPv6NDOptSrcLLAddr(lladdr=bytes.fromhex("020000000001")).lladdr == MAC1
    assert ICMPv6NDOptPrefixInfo(prefix=bytes(16)).prefix == "::"


def test_unknown_option_data_is_padded_to_eight_bytes() -> None:
    wire = bytes(ICMPv6NDOptUnknown(type=99, data=b"abc"))
    assert wire == bytes((99, 1)) + b"abc" + bytes(3)
    assert bytes(ICMPv6NDOptUnknown(type=99, data=bytes(7)))[1] == 2


def test_options_of_a_known_type_with_another_length_stay_raw() -> None:
    body = bytes(ICMPv6ND_NS(tgt=B)) + bytes((1, 2)) + bytes(14)  # a 16-byte source link-layer option
    decoded = ICMPv6.decode(body)
    assert type(decoded.payload) is ICMPv6NDOptUnknown and decoded[ICMPv6NDOptUnknown].data == bytes(14)
    assert bytes(decoded) == body


# -- quotes ----------------------------------------------------------------------------------


def test_quoted_packet_cut_short_decodes_with_its_original_lengths() -> None:
    invoking = IPv6(src=A, dst=B) / TCP(sport=5000, dport=22) / bytes(1000)
    quote = bytes(invoking)[:50]  # the IPv6 header and 10 bytes of TCP
    decoded = IPv6.decode(bytes(IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / quote))
    inner = decoded[ICMPv6DestUnreach].payload
    assert isinstance(inner, IPv6) and inner._mode & QUOTED
    # 10 bytes of the TCP header: its ports and sequence number read, as scapy's TCPerror (RFC 792's 8)
    assert inner.plen == 1020 and type(inner.payload) is TCPerror and inner.payload.sport == 5000
    wire = bytes(IPv6(src=C, dst=A) / ICMPv6DestUnreach(code=4) / quote)
    assert bytes(decoded) == wire  # untouched, the part quoted is its bytes
    assert decoded.verify() == []  # the quote's lengths describe bytes that are not there
    udp_quote = bytes(IPv6(src=A, dst=B) / UDP(sport=1, dport=2) / bytes(1000))[:60]
    decoded = IPv6.decode(bytes(IPv6(src=C, dst=A) / ICMPv6PacketTooBig() / udp_quote))
    assert decoded[UDP].len == 1008 and len(decoded[Raw].load) == 12 and decoded.verify() == []


def test_error_inside_a_quote_keeps_its_own_quote_raw() -> None:
    inner_error = IPv6(src=B, dst=A) / ICMPv6TimeExceeded() / IPv6(src=A, dst=C) / UDP()
    decoded = IPv6.decode(bytes(IPv6(src=C, dst=B) / ICMPv6DestUnreach() / inner_error))
    quoted_error = decoded[IPv6].payload.payload.payload  # type: ignore[union-attr]
    assert type(quoted_error) is ICMPv6TimeExceeded
    assert type(quoted_error.payload) is Raw and UDP not in decoded


def test_quote_that_is_not_ipv6_is_malformed() -> None:
    wire = bytes(IPv6() / ICMPv6DestUnreach() / (b"\x45" + bytes(47)))
    with pytest.raises(MalformedError) as caught:
        IPv6.decode(wire).layers()
    assert (caught.value.layer, caught.value.offset) == ("ipv6", 48)
    assert isinstance(IPv6.decode(wire, lenient=True).layers()[-1], Undecoded)
    short = IPv6.decode(bytes(IPv6() / ICMPv6DestUnreach() / bytes(20)))  # too short to judge: raw
    assert type(short.layers()[-1]) is Raw


# -- decoding: one negative test per check --------------------------------------------------------


def _ipv6_with(body: bytes) -> bytes:
    return bytes(IPv6(src=A, dst=B, nh=58, plen=len(body))) + body


@pytest.mark.parametrize(
    ("body", "error", "layer", "offset", "reason"),
    [
        (bytes((128, 0, 0)), TruncatedError, "icmpv6", 40, "3 bytes left, the header needs 4"),
        (
            bytes((128, 0, 0, 0, 0, 0)),
            TruncatedError,
            "icmpv6",
            40,
            "6 bytes left, a type 128 message needs 8",
        ),
        (bytes((135,)) + bytes(22), TruncatedError, "icmpv6", 40, "a type 135 message needs 24"),
        (
            bytes(ICMPv6ND_RS()) + b"\x01",
            TruncatedError,
            "icmpv6-option",
            48,
            "1 bytes left, an option needs 2",
        ),
        (
            bytes(ICMPv6ND_RS()) + bytes((1, 0)) + bytes(6),
            MalformedError,
            "icmpv6-option",
            48,
            "type 1 has length 0",
        ),
        (
            bytes(ICMPv6ND_RS()) + bytes((1, 2)) + bytes(6),
            TruncatedError,
            "icmpv6-option",
            48,
            "length 2 needs 16",
        ),
        (
            bytes(ICMPv6ND_RS() / ICMPv6NDOptMTU()) + bytes((3, 0)),
            MalformedError,
            "icmpv6-option",
            56,
            "type 3 has length 0",
        ),
    ],
)
def test_decode_errors_name_layer_and_offset(
    body: bytes, error: type[DecodeError], layer: str, offset: int, reason: str
) -> None:
    with pytest.raises(error) as caught:
        IPv6.decode(_ipv6_with(body)).layers()
    assert (caught.value.layer, caught.value.offset) == (layer, offset)
    assert reason in caught.value.reason
    lenient = IPv6.decode(_ipv6_with(body), lenient=True)
    assert isinstance(lenient.layers()[-1], Undecoded) and bytes(lenient) == _ipv6_with(body)


def test_many_options_do_not_loop() -> None:
    body = bytes(ICMPv6ND_RA()) + bytes((99, 1)) * 4 * 100  # 100 eight-byte options
    with pytest.raises(DecodeError):  # deeper than the layer limit, never endless
        IPv6.decode(_ipv6_with(body)).layers()
    few = IPv6.decode(_ipv6_with(bytes(ICMPv6ND_RA()) + bytes((99, 1, 0, 0, 0, 0, 0, 0)) * 10))
    assert sum(isinstance(layer, ICMPv6NDOpt) for layer in few.layers()) == 10


# -- properties ------------------------------------------------------------------------------

_TYPES = st.sampled_from([1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, 250])


@st.composite
def icmpv6_like_bytes(draw: st.DrawFn) -> bytes:
    """An IPv6 header, maybe a fragment header, then an ICMPv6 message with option-like bytes."""
    kind = draw(_TYPES)
    body = bytes((kind, draw(st.integers(0, 5)), 0, 0)) + draw(st.binary(max_size=40))
    for _ in range(draw(st.integers(0, 4))):
        length = draw(st.integers(0, 4))
        body += bytes((draw(st.sampled_from([1, 2, 3, 5, 24, 99])), length))
        body += draw(st.binary(min_size=max(length * 8 - 2, 0), max_size=max(length * 8 - 2, 0)))
    if draw(st.booleans()):
        body = bytes(draw(st.sampled_from([IPv6(), IPv6(src=A, dst=B, nh=17)]))) + body  # a quote
        body = bytes((kind, 0, 0, 0, 0, 0, 0, 0)) + body
    nh = 58
    if draw(st.booleans()):
        body = bytes((58, 0, 0, 0, 0, 0, 0, 0)) + body
        nh = 44
    plen = draw(st.sampled_from([len(body), len(body), 0, len(body) + 2]))
    return bytes(IPv6(src=A, dst=B, nh=nh, plen=plen)) + body


@given(icmpv6_like_bytes())
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    try:
        packet = IPv6.decode(data)
        packet.layers()
        packet.summary()
    except DecodeError:
        pass
    else:
        assert bytes(packet) == data
    lenient = IPv6.decode(data, lenient=True)
    lenient.layers()
    assert bytes(lenient) == data


_ADDRESSES = st.sampled_from([A, B, C, "fe80::1", "ff02::1"])
_MACS = st.sampled_from([MAC1, MAC2, "02:00:00:00:00:ff"])


@st.composite
def nd_option(draw: st.DrawFn) -> Layer:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return ICMPv6NDOptSrcLLAddr(lladdr=draw(_MACS))
    if kind == 1:
        return ICMPv6NDOptDstLLAddr(lladdr=draw(_MACS))
    if kind == 2:
        return ICMPv6NDOptMTU(mtu=draw(st.integers(0, 0xFFFFFFFF)))
    if kind == 3:
        return ICMPv6NDOptPrefixInfo(
            prefix=draw(_ADDRESSES),
            prefixlen=draw(st.integers(0, 128)),
            L=draw(st.integers(0, 1)),
            A=draw(st.integers(0, 1)),
            validlifetime=draw(st.integers(0, 0xFFFFFFFF)),
        )
    size = draw(st.integers(1, 4)) * 8 - 2
    return ICMPv6NDOptUnknown(
        type=draw(st.sampled_from([6, 24, 25, 99])), data=draw(st.binary(min_size=size, max_size=size))
    )


@st.composite
def icmpv6_packet(draw: st.DrawFn) -> Layer:
    kind = draw(st.integers(0, 6))
    message: Layer
    if kind == 0:
        cls = draw(st.sampled_from([ICMPv6EchoRequest, ICMPv6EchoReply]))
        message = cls(id=draw(st.integers(0, 0xFFFF)), seq=draw(st.integers(0, 0xFFFF))) / draw(
            st.binary(min_size=1)
        )
    elif kind == 1:
        message = ICMPv6ND_NS(tgt=draw(_ADDRESSES))
    elif kind == 2:
        message = ICMPv6ND_NA(tgt=draw(_ADDRESSES), R=draw(st.integers(0, 1)), S=draw(st.integers(0, 1)))
    elif kind == 3:
        message = ICMPv6ND_RA(
            chlim=draw(st.integers(0, 255)), M=draw(st.integers(0, 1)), prf=draw(st.integers(0, 3))
        )
    elif kind == 4:
        message = ICMPv6ND_RS()
    elif kind == 5:
        quote = (
            IPv6(src=draw(_ADDRESSES), dst=draw(_ADDRESSES))
            / UDP(sport=draw(UNCLAIMED_UDP_PORTS), dport=draw(UNCLAIMED_UDP_PORTS))
            / b"data"
        )
        cls = draw(
            st.sampled_from([ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ParamProblem])
        )
        message = cls(code=draw(st.integers(0, 4))) / quote
    else:
        message = ICMPv6(type=draw(st.sampled_from([0, 5, 127, 200, 255]))) / draw(st.binary(min_size=1))
    if kind in (1, 2, 3, 4):
        for option in draw(st.lists(nd_option(), max_size=4)):
            message = message / option
    return IPv6(src=draw(_ADDRESSES), dst=draw(_ADDRESSES), hlim=255) / message


@given(icmpv6_packet())
def test_build_then_decode_round_trips(packet: Layer) -> None:
    wire = bytes(packet)
    decoded = IPv6.decode(wire)
    assert_same_except_computed(packet, decoded)
    assert bytes(decoded) == wire and decoded.verify() == []
    assert IPv6.decode(bytes(decoded)) == decoded and decoded.fixed() == decoded
    summary = decoded.summary()
    assert summary.startswith("IP6 ") and "ICMP6, " in summary


# MLD (RFC 2710, RFC 3810) as tcpdump prints it: v1's delay and address (right after the name,
# as tcpdump does), a v2 query's group and source count, a v2 report's record count, bad lengths.
MLD_BODIES = st.one_of(
    st.binary(min_size=0, max_size=60),
    st.builds(lambda head, count, rest: head + count.to_bytes(2, "big") + rest,
              st.binary(min_size=22, max_size=22), st.integers(0, 4), st.binary(max_size=70)),
)  # fmt: skip


@pytest.mark.tcpdump
@given(st.lists(st.tuples(st.sampled_from([130, 131, 132, 143]), MLD_BODIES), min_size=1, max_size=20))
def test_mld_summaries_are_tcpdumps(messages: list[tuple[int, bytes]]) -> None:
    frames = [
        bytes(
            Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:01")
            / IPv6(src="fe80::1", dst="ff02::1", hlim=1)
            / ICMPv6(type=kind)
            / Raw(body)
        )
        for kind, body in messages
    ]
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames)
