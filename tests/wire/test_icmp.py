"""ICMP (wire/icmp.py): golden frames checked by tshark, tcpdump's summaries, quotes, aliases, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
import scapy.all as scapy
from hypothesis import example, given
from hypothesis import strategies as st

from rawnet.errors import DecodeError, FieldValueError, MalformedError, TruncatedError
from rawnet.wire.ether import Ether
from rawnet.wire.icmp import ICMP, ICMPType, code_name, type_name
from rawnet.wire.ipv4 import IP
from rawnet.wire.layer import Layer, Raw
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

HOST_A, HOST_B, ROUTER = "198.18.0.1", "198.18.0.2", "198.18.0.9"
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"

#: What a traceroute probe's ICMP error quotes: the IP header and the first 8 bytes (the UDP header).
PROBE = IP(src=HOST_A, dst=HOST_B, ttl=1, id=0x4D) / UDP(sport=40000, dport=33434) / (b"x" * 8)
QUOTE = bytes(PROBE)[:28]
TCP_QUOTE = bytes(IP(src=HOST_A, dst=HOST_B) / TCP(sport=40000, dport=22))[:28]


def _frame(icmp: ICMP, payload: bytes = b"", src: str = HOST_B, dst: str = HOST_A) -> bytes:
    return bytes(Ether(src=MAC_B, dst=MAC_A) / IP(src=src, dst=dst) / icmp / payload)


# An echo request assembled by hand from RFC 791/792 (checksums worked out by hand; tshark
# checks them in test_hand_assembled_echo_request_matches_tshark), as tcpdump -X shows it:
#   0x0000:  4500 0054 1c46 4000 4001 923b c612 0001  E..T.F@.@..;....
#   0x0010:  c612 0002 0800 463a 0b1e 0001 6161 6161  ......F:....aaaa
#   then 52 more bytes of 0x61 ("a").
PING = bytes.fromhex("4500 0054 1c46 4000 4001 923b c612 0001 c612 0002 0800 463a 0b1e 0001") + b"a" * 56


# Golden frames: built by rawnet, their meaning read back by tshark (one tshark run for all).
GOLDEN: dict[str, bytes] = {
    "echo-request": _frame(ICMP(id=1, seq=1), b"a" * 56, HOST_A, HOST_B),
    "echo-reply": _frame(ICMP(type="echo-reply", id=0xBEEF, seq=65535), b"a" * 56),
    "port-unreachable": _frame(ICMP(type="dest-unreach", code="port-unreachable"), QUOTE),
    "time-exceeded": _frame(ICMP(type=11, code=0), QUOTE),
    "need-frag": _frame(ICMP(type=3, code=4, nexthopmtu=1400), QUOTE),
    "redirect": _frame(ICMP(type=5, code=1, gw=ROUTER), QUOTE),
    "param-problem": _frame(ICMP(type=12, ptr=9), QUOTE),
    "bad-checksum": _frame(ICMP(chksum=0x1234, id=7, seq=8), b"abc", HOST_A, HOST_B),
    "hand-assembled": bytes(Ether(src=MAC_A, dst=MAC_B, type=0x0800)) + PING,
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    return dict(zip(GOLDEN, tshark_fields(list(GOLDEN.values())), strict=True))


@needs_tshark
@pytest.mark.parametrize("name", [name for name in GOLDEN if name != "bad-checksum"])
def test_golden_frames_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields = tshark[name]
    icmp = Ether.decode(GOLDEN[name])[ICMP]
    assert fields["icmp.checksum.status"] == ["1"]
    assert fields["icmp.type"] == [str(icmp.type)]
    assert fields["icmp.code"] == [str(icmp.code)]
    assert fields["icmp.checksum"] == [f"0x{icmp.chksum:04x}"]
    if icmp.type in (0, 8):
        assert fields["icmp.ident"] == [str(icmp.id)]
        assert fields["icmp.seq"] == [str(icmp.seq)]
        assert icmp[Raw].load == b"a" * 56
    if icmp.type == 5:
        assert fields["icmp.redir_gw"] == [icmp.gw] == [ROUTER]
    if icmp.type == 12:
        assert fields["icmp.pointer"] == [str(icmp.ptr)] == ["9"]
    if icmp.type == 3 and icmp.code == 4:
        assert fields["icmp.mtu"] == [str(icmp.nexthopmtu)] == ["1400"]


@needs_tshark
@pytest.mark.parametrize(
    "name", ["port-unreachable", "time-exceeded", "need-frag", "redirect", "param-problem"]
)
def test_quoted_datagram_matches_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields = tshark[name]
    packet = Ether.decode(GOLDEN[name])
    # scapy's classes of a quote: IPerror, UDPerror
    assert [type(layer).__name__ for layer in packet.layers()] == [
        "Ether",
        "IP",
        "ICMP",
        "IPerror",
        "UDPerror",
    ]
    quoted = packet[ICMP][IP]
    assert quoted is not packet[IP]
    # tshark lists the outer IP's fields first, then the quoted one's.
    assert fields["ip.src"][1] == quoted.src == HOST_A
    assert fields["ip.dst"][1] == quoted.dst == HOST_B
    assert fields["ip.len"][1] == str(quoted.len) == "36"  # more than the 28 bytes quoted
    assert fields["ip.ttl"][1] == str(quoted.ttl) == "1"
    assert fields["ip.id"][1] == f"0x{quoted.id:04x}"
    assert fields["ip.checksum"][1] == f"0x{quoted.chksum:04x}"
    assert fields["ip.checksum.status"][1] == "1"
    udp = packet[UDP]
    assert fields["udp.srcport"] == [str(udp.sport)] == ["40000"]
    assert fields["udp.dstport"] == [str(udp.dport)] == ["33434"]
    assert fields["udp.length"] == [str(udp.len)] == ["16"]
    assert fields["udp.checksum"] == [f"0x{udp.chksum:04x}"]


@needs_tshark
def test_wrong_checksum_is_sent_and_verify_gives_tsharks_value(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    fields = tshark["bad-checksum"]
    assert fields["icmp.checksum"] == ["0x1234"]
    assert fields["icmp.checksum.status"] == ["0"]
    should_be = re.search(r"should be (0x[0-9a-f]{4})", " ".join(fields["_ws.expert.message"]))
    assert should_be is not None
    problems = Ether.decode(GOLDEN["bad-checksum"]).verify()
    assert [(p.layer, p.field, p.found) for p in problems] == [("icmp", "chksum", 0x1234)]
    assert f"0x{problems[0].expected:04x}" == should_be.group(1)
    assert str(problems[0]) == f"icmp.chksum is 0x1234, should be {should_be.group(1)}"


@needs_tshark
def test_hand_assembled_echo_request_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["hand-assembled"]
    assert fields["ip.checksum.status"] == ["1"] and fields["icmp.checksum.status"] == ["1"]
    assert (fields["icmp.ident"], fields["icmp.seq"], fields["icmp.checksum"]) == (
        ["2846"],
        ["1"],
        ["0x463a"],
    )


def test_decode_reads_what_was_built_and_builds_it_back() -> None:
    for name, frame in GOLDEN.items():
        packet = Ether.decode(frame)
        assert bytes(packet) == frame, name
        assert bytes(Ether.decode(bytes(packet.copy()))) == frame, name
    echo = Ether.decode(GOLDEN["echo-reply"])[ICMP]
    assert (echo.type, echo.code, echo.id, echo.seq) == (0, 0, 0xBEEF, 65535)
    rebuilt = ICMP(type=echo.type, code=echo.code, id=echo.id, seq=echo.seq) / echo[Raw].load
    assert bytes(rebuilt) == GOLDEN["echo-reply"][34:]


def test_hand_assembled_echo_request() -> None:
    packet = IP.decode(PING)
    icmp = packet[ICMP]
    assert (icmp.type, icmp.code, icmp.chksum, icmp.id, icmp.seq) == (8, 0, 0x463A, 0x0B1E, 1)
    assert packet.verify() == []
    assert (
        bytes(IP(src=HOST_A, dst=HOST_B, id=0x1C46, flags="DF") / ICMP(id=0x0B1E, seq=1) / (b"a" * 56))
        == PING
    )


# -- summaries ----------------------------------------------------------------------------------

SUMMARIES: list[Any] = [
    IP(src=HOST_A, dst=HOST_B) / ICMP(id=1, seq=1) / (b"a" * 56),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=0, id=1, seq=1) / (b"a" * 56),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=3) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=3) / TCP_QUOTE,
    IP(src=HOST_B, dst=HOST_A)
    / ICMP(type=3, code=3)
    / bytes(IP(src=HOST_A, dst=HOST_B, proto=47) / b"\0\0\0\x35"),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=11, code=0) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=11, code=1) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=11, code=7) / QUOTE,
    *(IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=code) / QUOTE for code in range(17)),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=4, nexthopmtu=1400) / QUOTE,
    *(IP(src=HOST_B, dst=HOST_A) / ICMP(type=5, code=code, gw=ROUTER) / QUOTE for code in range(5)),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=12, code=0, ptr=9) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=12, code=1) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=4) / QUOTE,
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=13, id=5, seq=6) / bytes(12),
    IP(src=HOST_B, dst=HOST_A)
    / ICMP(type=14, id=5, seq=6)
    / bytes.fromhex("00001000 05265bff ffffffff"),  # org 4096 ms, recv 86399999 ms, xmit 2**32-1
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=15),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=16),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=17) / bytes(4),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=18) / b"\xff\xff\xff\x00",
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=10),
    IP(src=HOST_B, dst=HOST_A)
    / ICMP(type=9, id=0x0202, seq=1800)
    / bytes.fromhex("c6120001000000050000000000000000"),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=9, id=0x0104, seq=7200),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=9, id=0x0102, seq=30) / b"\xc6\x12\x00\x01",
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=42, code=1),
    # Quotes too short for what tcpdump reads: it prints " [|icmp]".
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=3),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=3) / QUOTE[:22],
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=11, code=0) / QUOTE[:10],
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=5, code=0),
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=18) / b"\x00",
    IP(src=HOST_B, dst=HOST_A) / ICMP(type=14) / b"\x00",
]


@needs_tcpdump
def test_summaries_match_tcpdump() -> None:
    frames = [bytes(packet) for packet in SUMMARIES]
    expected = tcpdump_lines(frames, LINKTYPE_RAW)
    assert len(expected) == len(frames)
    for frame, packet, line in zip(frames, SUMMARIES, expected, strict=True):
        assert packet.summary() == line
        assert IP.decode(frame).summary() == line


def test_summary_examples() -> None:
    assert SUMMARIES[0].summary() == "IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 1, seq 1, length 64"
    assert SUMMARIES[2].summary() == (
        "IP 198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port 33434 unreachable, length 36"
    )
    assert SUMMARIES[5].summary() == "IP 198.18.0.2 > 198.18.0.1: ICMP time exceeded in-transit, length 36"
    assert ICMP(id=1, seq=2).summary() == "ICMP echo request, id 1, seq 2, length 8"


# -- quotes -------------------------------------------------------------------------------------


def test_quote_decodes_as_quoted_ip_and_is_not_judged() -> None:
    bad_quote = bytes(IP(src=HOST_A, dst=HOST_B, chksum=0xDEAD) / UDP(chksum=0xBEEF, len=500) / b"12345678")
    packet = IP.decode(bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=3) / bad_quote[:40]))
    assert packet[ICMP][IP].chksum == 0xDEAD
    assert packet[UDP].len == 500  # beyond the bytes quoted: tolerated
    assert packet.verify() == []


def test_quote_cut_inside_the_transport_header_stays_raw() -> None:
    packet = IP.decode(bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=11) / QUOTE[:24]))
    assert [type(layer).__name__ for layer in packet.layers()] == ["IP", "ICMP", "IPerror", "Raw"]
    assert packet[Raw].load == QUOTE[20:24]


@pytest.mark.parametrize("size", [0, 1, 19])
def test_quote_shorter_than_an_ip_header_stays_raw(size: int) -> None:
    wire = bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=1) / QUOTE[:size])
    packet = IP.decode(wire)
    assert packet[ICMP].payload is None if size == 0 else packet[ICMP][Raw].load == QUOTE[:size]
    assert bytes(packet) == wire


def test_quote_shorter_than_its_ihl_stays_raw() -> None:
    quote = bytes([0x46]) + QUOTE[1:20]  # IHL 6: 24 bytes of header, 20 present
    packet = IP.decode(bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=1) / quote))
    assert type(packet[ICMP].payload) is Raw


def test_error_inside_a_quote_keeps_its_own_quote_raw() -> None:
    inner_error = bytes(IP(src=HOST_A, dst=HOST_B) / ICMP(type=11) / QUOTE)
    packet = IP.decode(bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=3, code=1) / inner_error))
    assert [type(layer).__name__ for layer in packet.layers()] == [
        "IP",
        "ICMP",
        "IPerror",
        "ICMPerror",
        "Raw",
    ]
    inner = packet.getlayer(ICMP, 2)
    assert inner is not None and inner[Raw].load == QUOTE


def test_echo_and_other_types_carry_raw_data() -> None:
    for icmp_type in (0, 8, 13, 14, 17, 18, 42):
        packet = ICMP.decode(bytes(ICMP(type=icmp_type) / QUOTE))
        assert type(packet.payload) is Raw and packet[Raw].load == QUOTE


def test_malformed_quote_is_a_decode_error_with_its_offset() -> None:
    quote = bytes([0x65]) + QUOTE[1:]  # version 6 inside an ICMPv4 error
    frame = bytes(Ether() / IP(src=HOST_B, dst=HOST_A) / ICMP(type=3) / quote)
    with pytest.raises(MalformedError) as caught:
        Ether.decode(frame)  # every header is checked when the frame is decoded
    assert (caught.value.layer, caught.value.offset) == ("ipv4", 14 + 20 + 8)
    lenient = Ether.decode(frame, lenient=True)
    assert type(lenient.layers()[-1]).__name__ == "Undecoded"


# -- header errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(8))
def test_truncated_header(size: int) -> None:
    with pytest.raises(TruncatedError) as caught:
        ICMP.decode(bytes(ICMP())[:size])
    assert (caught.value.layer, caught.value.offset) == ("icmp", 0)
    assert f"{size} bytes left, the header needs 8" in str(caught.value)


def test_truncated_header_inside_ip_reports_its_absolute_offset() -> None:
    wire = bytes(Ether() / IP(src=HOST_A, dst=HOST_B, proto=1) / b"\x08\x00\x00")
    with pytest.raises(TruncatedError) as caught:
        Ether.decode(wire)[ICMP]
    assert (caught.value.layer, caught.value.offset) == ("icmp", 34)


# -- fields, names, aliases ---------------------------------------------------------------------


def test_defaults_and_computed_checksum() -> None:
    icmp = ICMP()
    assert (icmp.type, icmp.code, icmp.chksum, icmp.id, icmp.seq) == (8, 0, None, 0, 0)
    wire = bytes(icmp / b"ping")
    assert wire[:2] == b"\x08\x00" and wire[4:] == b"\0\0\0\0ping"
    assert ICMP.decode(wire).verify() == []
    assert icmp.chksum is None  # building did not change it


def test_user_checksum_is_sent_as_set() -> None:
    assert bytes(ICMP(chksum=0xFFFF))[2:4] == b"\xff\xff"
    assert bytes(ICMP(chksum=0))[2:4] == b"\0\0"


def test_names_of_types_and_codes() -> None:
    assert ICMP(type="echo-reply").type == 0
    assert ICMP(type="time-exceeded", code="ttl-zero-during-transit").code == 0
    assert ICMP(type="dest-unreach", code="fragmentation-needed").code == 4
    assert ICMP(type=5, code="host-redirect").code == 1
    assert type_name(3) == "dest-unreach" and type_name(99) == "unknown-99"
    assert code_name(3, 3) == "port-unreachable" and code_name(8, 0) is None and code_name(3, 99) is None
    assert ICMPType(11).name == "time_exceeded"
    assert "type=dest-unreach" in repr(ICMP(type=3))  # (scapy's repr: the name)
    assert "type      = echo-reply (0)" in str(ICMP(type=0).show(dump=True))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ICMP(type="nope"), "ICMP.type must be 0..255 or a name such as 'echo-reply', got 'nope'"),
        (lambda: ICMP(code="nope"), "ICMP.code must be 0..255 or a name such as 'network-unreachable'"),
        (
            lambda: ICMP(code="port-unreachable"),
            "'port-unreachable' is a code of dest-unreach (3), not of echo-request (8)",
        ),
        (lambda: ICMP(type=256), "ICMP.type must be 0..255, got 256"),
        (lambda: ICMP(seq=-1), "ICMP.seq must be 0..65535, got -1"),
        (lambda: ICMP(gw="198.18.0"), "ICMP.gw must be an IPv4 address, got '198.18.0'"),
        (lambda: ICMP(ptr=256), "ICMP.ptr must be 0..255, got 256"),
        (lambda: ICMP(nexthopmtu=65536), "ICMP.seq must be 0..65535, got 65536"),
        (lambda: ICMP(unused=-1), "ICMP.unused must be 0..4294967295, got -1"),
        (lambda: ICMP(gw=ROUTER, id=1), "ICMP.gw and ICMP.id set the same bytes"),
        (lambda: ICMP(unused=1, ptr=1), "ICMP.unused and ICMP.ptr set the same bytes"),
        (lambda: ICMP(ptr=1, id=1), "ICMP.id and ICMP.ptr set the same bytes"),
        (lambda: ICMP(nexthopmtu=1, seq=1), "ICMP.seq and ICMP.nexthopmtu set the same bytes"),
    ],
)
def test_invalid_values_fail_at_construction(make: Any, message: str) -> None:
    with pytest.raises(FieldValueError, match=re.escape(message)):
        make()


def test_aliases_share_the_rest_of_header() -> None:
    redirect = ICMP(type=5, gw=ROUTER)
    assert (redirect.id, redirect.seq, redirect.gw) == (0xC612, 0x0009, ROUTER)
    assert bytes(redirect)[4:8] == bytes([198, 18, 0, 9])
    problem = ICMP(type=12, ptr=20)
    assert (problem.ptr, problem.id, bytes(problem)[4]) == (20, 20 << 8, 20)
    both = ICMP(type=3, code=4, ptr=1, nexthopmtu=1500)
    assert bytes(both)[4:8] == b"\x01\x00\x05\xdc" and both.nexthopmtu == 1500
    unused = ICMP(type=11, unused=0x01020304)
    assert (unused.id, unused.seq, unused.unused) == (0x0102, 0x0304, 0x01020304)
    echo = ICMP(id=0xC612, seq=0x1234)  # the same four bytes read as 198.18.18.52
    assert (echo.gw, echo.ptr, echo.nexthopmtu, echo.unused) == ("198.18.18.52", 0xC6, 0x1234, 0xC6121234)
    echo.gw = ROUTER
    echo.ptr = 7
    echo.nexthopmtu = 576
    assert (echo.id, echo.seq) == (0x0712, 576)
    echo.unused = 0
    assert (echo.id, echo.seq) == (0, 0)


def test_alias_sets_make_packet_sets() -> None:
    probes = list(ICMP(type=12, ptr=range(3)))
    assert [probe[ICMP].ptr for probe in probes] == [0, 1, 2]
    assert [bytes(probe)[4] for probe in probes] == [0, 1, 2]
    mtus = list(ICMP(type=3, code=4, nexthopmtu=[576, 1280]))
    assert [probe[ICMP].nexthopmtu for probe in mtus] == [576, 1280]
    assert ICMP(seq=[1, 2]).gw is None


def test_decoded_view_reads_aliases() -> None:
    icmp = Ether.decode(GOLDEN["redirect"])[ICMP]
    assert icmp.gw == ROUTER and icmp.unused == 0xC6120009


# -- properties ---------------------------------------------------------------------------------


def _walk(data: bytes, cls: Any) -> None:
    try:
        packet = cls.decode(data)
        for layer in packet.layers():
            layer.field_values()
        packet.summary()
    except DecodeError:
        return


@given(st.binary(max_size=120))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    _walk(data, ICMP)
    _walk(data, IP)
    _walk(data, Ether)
    for lenient in (True, False):
        try:
            packet = ICMP.decode(data, lenient=lenient)
            packet.layers()
        except DecodeError:
            continue
        assert bytes(packet) == data


# Bodies that often start like an IPv4 header (version 4, IHL 5), so quotes get decoded.
_BODIES = st.one_of(st.binary(max_size=80), st.binary(max_size=80).map(lambda rest: b"\x45" + rest))


@given(st.integers(0, 255), _BODIES)
def test_arbitrary_icmp_messages_in_ip_raise_only_decode_errors(icmp_type: int, body: bytes) -> None:
    wire = bytes(IP(src=HOST_B, dst=HOST_A) / ICMP(type=icmp_type) / body)
    try:
        packet = IP.decode(wire)
        packet.layers()
        packet.summary()
        packet.verify()
    except DecodeError:
        return
    assert bytes(packet) == wire


_NOT_ERRORS = st.integers(0, 255).filter(lambda number: number not in (3, 4, 5, 11, 12))


@given(
    _NOT_ERRORS,
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.binary(max_size=64),
)
def test_round_trip_of_messages_with_data(
    icmp_type: int, code: int, chksum: int, ident: int, seq: int, data: bytes
) -> None:
    packet: Layer = ICMP(type=icmp_type, code=code, chksum=chksum, id=ident, seq=seq)
    if data:
        packet = packet / data
    assert ICMP.decode(bytes(packet)) == packet


@given(
    st.sampled_from([3, 4, 5, 11, 12]),
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 200),
    st.integers(0, 0xFFFF),
    st.integers(8, 0xFFFF),
    st.binary(max_size=32),
)
@example(3, 0, 0, 0, 0, 0, 123, 8, b"\x07" + bytes(7))  # (the data reads as NTPPrivate: CI found it)
def test_round_trip_of_errors_with_a_quote(
    icmp_type: int,
    code: int,
    chksum: int,
    ident: int,
    ip_chksum: int,
    extra: int,
    sport: int,
    udp_len: int,
    data: bytes,
) -> None:
    size = 28 + len(data)
    quote: Layer = IP(src=HOST_A, dst=HOST_B, ihl=5, len=size + extra, proto=17, chksum=ip_chksum) / UDP(
        sport=sport, dport=33434, len=max(udp_len, size - 20), chksum=0
    )
    if data:
        quote = quote / data
    packet = ICMP(type=icmp_type, code=code, chksum=chksum, id=ident) / quote
    decoded = ICMP.decode(bytes(packet))
    assert bytes(decoded) == bytes(packet)
    # The headers read as built; what follows the quoted UDP header is dissected by its ports, as
    # scapy does it (sport 123 and a first byte 0x07 read as NTPPrivate: test_quoted_data_...).
    payload = decoded[UDP].payload
    assert (bytes(payload) if payload is not None else b"") == data
    headers, built = decoded.copy(), packet.copy()
    headers[UDP].payload = built[UDP].payload = None
    assert headers == built


def test_quoted_data_is_dissected_by_its_ports_as_scapy_does() -> None:
    """A quote's data after the UDP header is read as the port says (found by Hypothesis: NTP's
    port and a mode-7 byte make scapy's NTPPrivate, in a quote as in a packet)."""
    quote = (
        IP(src=HOST_A, dst=HOST_B, proto=17) / UDP(sport=123, dport=33434, chksum=0) / (b"\x07" + bytes(7))
    )
    frame = bytes(ICMP(type=3) / quote)
    ours, theirs = ICMP.decode(frame), scapy.ICMP(frame)
    assert (
        [type(layer).__name__ for layer in ours.layers()]
        == [layer.__name__ for layer in theirs.layers()]
        == ["ICMP", "IPerror", "UDPerror", "NTPPrivate"]
    )
    assert bytes(ours) == bytes(theirs) == frame
