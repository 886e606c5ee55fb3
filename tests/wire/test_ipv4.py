"""ipv4.py: the IPv4 header, its options and fragments, checked against tshark.

Build direction: every packet in BUILT goes through one tshark run (checksum validation on)
and tshark's fields must equal what rawnet was given or computed. Decode direction: frames
written out as hex with their ``tcpdump -X`` view decode to tshark's values. Option bytes
are derived from RFC 791 section 3.1 by hand.
"""

from __future__ import annotations

import copy
import pickle
import re
import socket
from collections.abc import Callable

import pytest

from rawnet import (
    IP,
    TCP,
    UDP,
    BuildError,
    DecodeError,
    Ether,
    FieldValueError,
    IPOption,
    IPOption_EOL,
    IPOption_LSRR,
    IPOption_NOP,
    IPOption_RR,
    IPOption_SSRR,
    IPOption_Timestamp,
    MalformedError,
    Problem,
    Raw,
    TruncatedError,
    Undecoded,
    defragment,
    fragment,
)
from rawnet.wire.layer import QUOTED, Layer
from tests.oracle import tcpdump_lines, tshark_fields
from tests.wire.test_checksum import reference_checksum

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
SRC, DST = "198.18.0.1", "198.18.0.2"
HOP1, HOP2 = "198.18.0.3", "198.18.0.4"


def eth() -> Ether:
    return Ether(src=MAC1, dst=MAC2)


def ip(**fields: object) -> IP:
    return IP(src=SRC, dst=DST, **fields)


def udp(port: int) -> UDP:
    return UDP(sport=40000 + port, dport=40100 + port)


ETHER_HEADER = bytes.fromhex("02 00 00 00 00 02  02 00 00 00 00 01  08 00")


def ipv4_header(*, first: int = 0, total: int = 0, options: bytes = b"", proto: int = 17) -> bytes:
    """An IPv4 header written field by field (checksum left 0: decoding does not read it)."""
    return (
        bytes([first or 0x40 | (5 + len(options) // 4), 0])
        + (total or 20 + len(options)).to_bytes(2, "big")
        + bytes.fromhex("0001 0000 40")  # id 1, no fragment, TTL 64
        + bytes([proto])
        + bytes(2)  # checksum
        + socket.inet_aton(SRC)
        + socket.inet_aton(DST)
        + options
    )


def with_padding(packet: IP, padding: bytes) -> IP:
    packet.padding = padding
    return packet


TS_ADDR = IPOption_Timestamp([0xC6120009, 1000, 0xC612000A, 2000], pointer=13, flg=1)

BUILT: dict[str, Callable[[], Layer]] = {
    "plain": lambda: eth() / ip(tos=0xB8, id=0xBEEF, ttl=3) / udp(1) / b"plain",
    "df": lambda: eth() / ip(flags="DF") / udp(2),
    "evil_df": lambda: eth() / ip(flags="evil+DF") / udp(3),
    "mf_first": lambda: eth() / ip(flags="MF", id=77) / TCP(sport=5, dport=6, chksum=0xDEAD) / b"abcdefgh",
    "later_fragment": lambda: eth() / ip(frag=185, proto=6) / bytes.fromhex("0001000200000003"),
    "nop_eol": lambda: eth() / ip(options=[IPOption_NOP(), IPOption_EOL()]) / udp(4),
    "rr": lambda: eth() / ip(options=[IPOption_RR(["198.18.0.9", "0.0.0.0"], pointer=8)]) / udp(5),
    "rr_max": lambda: eth() / ip(options=[IPOption_RR(["0.0.0.0"] * 9)]) / udp(6),
    "ts": lambda: eth() / ip(options=[IPOption_Timestamp([1, 2, 3], pointer=9, oflw=2, flg=0)]) / udp(7),
    "ts_addr": lambda: eth() / ip(options=[TS_ADDR]) / udp(8),
    "raw_options": lambda: (
        eth()
        / ip(options=[IPOption_NOP(), IPOption(148, b"\x00\x00"), IPOption(0x5E, b"\xde\xad\xbe")])
        / udp(9)
    ),
    "lsrr": lambda: eth() / ip(options=[IPOption_LSRR([HOP1, HOP2])]) / TCP(sport=1, dport=2) / b"hello",
    "ssrr": lambda: eth() / ip(options=[IPOption_SSRR([HOP1, HOP2])]) / udp(10) / b"hello",
    "lsrr_done": lambda: (
        eth() / ip(options=[IPOption_LSRR([HOP1, HOP2], pointer=12)]) / TCP(sport=3, dport=4) / b"hello"
    ),
    "bad_chksum": lambda: eth() / ip(chksum=0x1234) / udp(11),
    "tso": lambda: eth() / ip(len=0) / TCP(sport=7, dport=8, flags="A") / (b"x" * 10),
    "padding": lambda: eth() / with_padding(ip() / udp(12) / b"x", b"\xaa\xbb\xcc"),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    names = list(BUILT)
    return dict(zip(names, tshark_fields([bytes(BUILT[name]()) for name in names]), strict=True))


def decoded(name: str) -> Ether:
    return Ether.decode(bytes(BUILT[name]()))


# -- header fields ------------------------------------------------------------------------


@needs_tshark
@pytest.mark.parametrize("name", [name for name in BUILT if name not in ("tso",)])
def test_header_fields_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields, header = tshark[name], decoded(name)[IP]
    assert fields["ip.version"] == ["4"]
    assert int(fields["ip.hdr_len"][0]) == header.ihl * 4
    assert int(fields["ip.dsfield"][0], 16) == header.tos
    assert int(fields["ip.len"][0]) == header.len
    assert int(fields["ip.id"][0], 16) == header.id
    assert int(fields["ip.flags"][0], 16) == header.flags  # tshark's value is the 3-bit field too
    assert int(fields["ip.frag_offset"][0]) == header.frag
    assert int(fields["ip.ttl"][0]) == header.ttl
    assert int(fields["ip.proto"][0]) == header.proto
    assert int(fields["ip.checksum"][0], 16) == header.chksum
    assert fields["ip.src"] == [header.src]
    given = BUILT[name]()[IP]  # and what tshark read is what was given
    for field in ("tos", "id", "flags", "frag", "ttl", "src", "dst"):
        assert getattr(header, field) == getattr(given, field)


@needs_tshark
@pytest.mark.parametrize("name", [name for name in BUILT if name != "bad_chksum"])
def test_computed_header_checksum_is_good_for_tshark(
    tshark: dict[str, dict[str, list[str]]], name: str
) -> None:
    assert tshark[name]["ip.checksum.status"] == ["1"]


@needs_tshark
def test_user_values_reach_the_wire(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["plain"]
    assert fields["ip.dsfield"] == ["0xb8"] and fields["ip.dsfield.dscp"] == ["46"]
    assert fields["ip.id"] == ["0xbeef"] and fields["ip.ttl"] == ["3"]
    assert fields["ip.len"] == [str(20 + 8 + 5)] and fields["ip.hdr_len"] == ["20"]
    assert fields["ip.proto"] == ["17"] and fields["ip.dst"] == [DST]


@needs_tshark
def test_flags_df_mf_and_reserved(tshark: dict[str, dict[str, list[str]]]) -> None:
    def bits(name: str) -> tuple[str, str, str]:
        fields = tshark[name]
        return fields["ip.flags.rb"][0], fields["ip.flags.df"][0], fields["ip.flags.mf"][0]

    assert bits("plain") == ("0", "0", "0")
    assert bits("df") == ("0", "1", "0") and decoded("df")[IP].flags == "DF"
    assert bits("evil_df") == ("1", "1", "0") and decoded("evil_df")[IP].flags == "DF+evil"
    assert bits("mf_first") == ("0", "0", "1") and decoded("mf_first")[IP].flags == "MF"
    assert bytes(BUILT["df"]())[14 + 6] == 0x40 and bytes(BUILT["evil_df"]())[14 + 6] == 0xC0


@needs_tshark
def test_fragment_offset_is_in_eight_byte_units(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["later_fragment"]["ip.frag_offset"] == ["185"]
    wire = bytes(BUILT["later_fragment"]())
    assert int.from_bytes(wire[14 + 6 : 14 + 8], "big") == 185  # offset 1480 bytes, no flags
    assert decoded("later_fragment")[IP].frag == 185


def test_build_leaves_computed_fields_unset() -> None:
    packet = BUILT["lsrr"]()
    bytes(packet)
    header = packet[IP]
    stored = header._values()
    assert [stored[IP.slot.ihl], stored[IP.slot.len], stored[IP.slot.proto], stored[IP.slot.chksum]] == [
        None
    ] * 4
    assert (header.ihl, header.len, header.chksum) == (None, None, None)  # as scapy reads them
    assert header.proto == bytes(packet[IP])[9]  # the protocol a build puts (scapy reads it too)
    assert header.options == (IPOption_LSRR([HOP1, HOP2]),)


def test_a_datagram_over_65535_bytes_is_a_build_error() -> None:
    with pytest.raises(BuildError, match=r"ipv4 datagram of 65536 bytes is over 65535: fragment it"):
        bytes(ip() / (b"x" * (65536 - 20)))
    assert len(bytes(ip() / (b"x" * (65535 - 20)))) == 65535


# -- options ------------------------------------------------------------------------------


# (options given, bytes on the wire by RFC 791 3.1: type, length, data, the list padded to 32
# bits with zeros (EOL); options decoded back from those bytes)
OPTION_TABLE: list[tuple[list[IPOption], str, list[IPOption]]] = [
    ([IPOption_NOP(), IPOption_EOL()], "01 00 0000", [IPOption_NOP(), IPOption_EOL(rest=b"\x00\x00")]),
    (
        [IPOption_RR(["198.18.0.9", "0.0.0.0"], pointer=8)],
        "07 0b 08 c6120009 00000000  00",  # type, length, pointer, route; padding
        [IPOption_RR(["198.18.0.9", "0.0.0.0"], pointer=8), IPOption_EOL()],
    ),
    (
        [IPOption_Timestamp([1, 2, 3], pointer=9, oflw=2, flg=0)],
        "44 10 09 20 00000001 00000002 00000003",  # overflow 2, flag 0
        [IPOption_Timestamp([1, 2, 3], pointer=9, oflw=2, flg=0)],
    ),
    (
        [IPOption_LSRR([HOP1, HOP2])],
        "83 0b 04 c6120003 c6120004  00",
        [IPOption_LSRR([HOP1, HOP2]), IPOption_EOL()],
    ),
    ([IPOption_SSRR([HOP1])], "89 07 04 c6120003  00", [IPOption_SSRR([HOP1]), IPOption_EOL()]),
    ([IPOption(148, b"\x00\x00")], "94 04 0000", [IPOption(148, b"\x00\x00")]),
    (
        [IPOption(0x5E, b"\xde\xad\xbe")],
        "5e 05 deadbe  000000",
        [IPOption(0x5E, b"\xde\xad\xbe"), IPOption_EOL(rest=b"\x00\x00")],
    ),
]


@pytest.mark.parametrize(("options", "wire", "back"), OPTION_TABLE)
def test_option_table_both_ways(options: list[IPOption], wire: str, back: list[IPOption]) -> None:
    datagram = bytes(ip(options=options))
    expected = bytes.fromhex(wire)
    assert datagram[0] == 0x40 | (20 + len(expected)) // 4  # IHL counts the options
    assert datagram[20:] == expected
    assert reference_checksum(datagram) == 0  # the header checksum covers them
    assert list(IP.decode(datagram).options) == back
    assert [type(option) for option in IP.decode(datagram).options] == [type(option) for option in back]


@needs_tshark
def test_nop_and_eol_match_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["nop_eol"]
    assert fields["ip.opt.type"] == ["1", "0"] and fields["ip.hdr_len"] == ["24"]
    options = decoded("nop_eol")[IP].options
    assert options[0] == IPOption_NOP()
    assert isinstance(options[1], IPOption_EOL) and options[1].data == b"\x00\x00"  # padding after EOL kept
    assert len(options) == 2


@needs_tshark
def test_record_route_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["rr"]
    option = decoded("rr")[IP].options[0]
    assert isinstance(option, IPOption_RR)
    assert fields["ip.opt.type"][0] == "7" and fields["ip.opt.len"] == ["11"]
    assert fields["ip.opt.ptr"] == [str(option.pointer)] == ["8"]
    assert fields["ip.rec_rt"] + fields["ip.empty_rt"] == list(option.routers) == ["198.18.0.9", "0.0.0.0"]


@needs_tshark
def test_largest_header_has_ihl_15(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["rr_max"]
    assert fields["ip.hdr_len"] == ["60"] and fields["ip.opt.len"] == ["39"]
    header = decoded("rr_max")[IP]
    assert header.ihl == 15 and header.options[0] == IPOption_RR(["0.0.0.0"] * 9)


def test_options_over_40_bytes_are_refused() -> None:
    with pytest.raises(
        FieldValueError, match=r"IP.options: options exceed the 40 bytes an IPv4 header has room for"
    ):
        IP(options=[IPOption_RR(["0.0.0.0"] * 10)])
    with pytest.raises(FieldValueError, match=r"IP.options: options must be IPOption objects, got 'RR'"):
        IP(options=["RR"])


@needs_tshark
def test_timestamp_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["ts"]
    option = decoded("ts")[IP].options[0]
    assert isinstance(option, IPOption_Timestamp)
    assert fields["ip.opt.type"] == ["68"] and fields["ip.opt.len"] == ["16"]
    assert fields["ip.opt.ptr"] == [str(option.pointer)] == ["9"]
    assert fields["ip.opt.overflow"] == [str(option.oflw)] == ["2"]
    assert int(fields["ip.opt.flag"][0], 16) == option.flg == 0
    assert [int(value) for value in fields["ip.opt.time_stamp"]] == list(option.values) == [1, 2, 3]


@needs_tshark
def test_timestamp_with_addresses_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["ts_addr"]
    option = decoded("ts_addr")[IP].options[0]
    assert isinstance(option, IPOption_Timestamp) and option.flg == 1
    assert fields["ip.opt.flag"] == ["0x01"]
    addresses = [socket.inet_ntoa(value.to_bytes(4, "big")) for value in option.values[0::2]]
    assert fields["ip.opt.time_stamp_addr"] == addresses == ["198.18.0.9", "198.18.0.10"]
    assert [int(value) for value in fields["ip.opt.time_stamp"]] == list(option.values[1::2])


@needs_tshark
def test_options_rawnet_does_not_know_are_kept_raw(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["raw_options"]
    assert fields["ip.opt.type"] == ["1", "148", "0"] and fields["ip.opt.ra"] == ["0"]  # Router Alert
    assert "Unknown (0x5e) (5 bytes)" in fields  # tshark does not know 0x5e either
    options = decoded("raw_options")[IP].options
    assert options[:3] == (IPOption_NOP(), IPOption(148, b"\x00\x00"), IPOption(0x5E, b"\xde\xad\xbe"))
    assert type(options[1]) is IPOption and options[2].option == 0x5E and options[2].data == b"\xde\xad\xbe"
    assert isinstance(options[3], IPOption_EOL)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("07030400", [IPOption_RR([], pointer=4), IPOption_EOL()]),  # a record route with no room yet
        ("07020000", [IPOption(7, b""), IPOption_EOL(rest=b"\x00")]),  # no pointer: kept raw
        (
            "0705040000000000",
            [IPOption(7, b"\x04\x00\x00"), IPOption_EOL(rest=b"\x00\x00")],
        ),  # part of an address
        ("44030500", [IPOption(68, b"\x05"), IPOption_EOL()]),  # a timestamp without its flags byte
        ("01010101", [IPOption_NOP()] * 4),
        ("00c6120001000000", [IPOption_EOL(rest=b"\xc6\x12\x00\x01\x00\x00\x00")]),  # what follows EOL stays
    ],
)
def test_option_decode_table(wire: str, expected: list[IPOption]) -> None:
    options = bytes.fromhex(wire)
    data = ipv4_header(options=options, total=20 + len(options) + 4, proto=253) + b"data"  # 253: experiment
    decoded_options = list(IP.decode(data).options)
    assert decoded_options == expected
    assert bytes(IP.decode(data)) == data


# -- source routes and the pseudo-header --------------------------------------------------


@needs_tshark
@pytest.mark.parametrize(("name", "layer"), [("lsrr", "tcp"), ("ssrr", "udp")])
def test_source_route_final_address_is_in_the_pseudo_header(
    tshark: dict[str, dict[str, list[str]]], name: str, layer: str
) -> None:
    # RFC 9293 3.1 / RFC 768: the pseudo-header holds the final destination, which for a
    # source-routed datagram is the route's last address, not the header's next hop.
    fields = tshark[name]
    assert fields[f"{layer}.checksum.status"] == ["1"]
    assert fields["ip.dst"] == [HOP2] and fields["ip.cur_rt"] == [DST] and fields["ip.src_rt"] == [HOP1]
    header = decoded(name)[IP]
    assert header.dst == DST and header.options[0].routers == (HOP1, HOP2)
    assert header.pseudo_addresses() == socket.inet_aton(SRC) + socket.inet_aton(HOP2)
    assert header.verify() == []


@needs_tshark
def test_a_completed_source_route_uses_the_destination_field(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["lsrr_done"]
    assert fields["ip.rec_rt"] == [HOP1, HOP2]  # tshark: both addresses already recorded
    assert fields["tcp.checksum.status"] == ["1"]


@needs_tshark
def test_record_route_does_not_change_the_pseudo_header(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["rr"]["udp.checksum.status"] == ["1"]
    assert decoded("rr")[IP].pseudo_addresses() == socket.inet_aton(SRC) + socket.inet_aton(DST)


# -- checksum and length problems ---------------------------------------------------------


@needs_tshark
def test_wrong_checksum_is_sent_and_reported_with_tsharks_value(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    fields = tshark["bad_chksum"]
    assert fields["ip.checksum"] == ["0x1234"] and fields["ip.checksum.status"] == ["0"]
    calculated = int(fields["ip.checksum_calculated"][0], 16)
    assert decoded("bad_chksum").verify() == [
        Problem("ipv4", "chksum", 0x1234, calculated, 1)
    ]  # Ether/IP: layers()[1]
    assert decoded("bad_chksum").fixed()[IP].chksum == calculated


@needs_tshark
def test_total_length_zero_runs_to_the_end_and_verify_reports_it(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    # A capture of a TSO/GSO super-packet: tshark assumes TSO and takes the frame's length.
    fields = tshark["tso"]
    header = decoded("tso")[IP]
    assert header.len == 0
    assert bytes(header[TCP].payload or b"") == b"x" * 10
    length = int(fields["ip.len"][0])
    assert length == 20 + 20 + 10
    assert Problem("ipv4", "len", 0, length, 0) in header.verify()
    assert "ipv4.len is 0, should be 50" in [str(problem) for problem in header.verify()]
    assert fields["tcp.checksum.status"] == ["1"]
    assert [problem.layer for problem in header.verify()].count("tcp") == 0


@needs_tshark
def test_total_length_zero_is_the_only_problem_reported(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["tso"]["ip.checksum.status"] == ["1"]
    assert decoded("tso").verify() == [Problem("ipv4", "len", 0, int(tshark["tso"]["ip.len"][0]), 1)]


def test_total_length_zero_over_65535_bytes_is_reported_not_raised() -> None:
    wire = bytes(ip(len=0) / TCP(sport=1, dport=2, flags="A") / (b"x" * 70000))
    header = IP.decode(wire)
    assert header.len == 0 and len(bytes(header)) == len(wire)
    # Linux BIG TCP sends IPv4 GSO packets over 64 KiB with a total length of 0.
    assert header.verify() == [Problem("ipv4", "len", 0, len(wire), 0)]


@needs_tshark
def test_transport_checksum_covers_the_datagram_a_user_set_length_delimits() -> None:
    data = bytes(eth() / ip(len=40) / TCP(sport=1, dport=2) / b"xxxx")
    (fields,) = tshark_fields([data])
    assert fields["ip.len"] == ["40"] and fields["eth.trailer"] == ["78:78:78:78"]
    assert fields["tcp.checksum.status"] == ["1"]
    assert Ether.decode(data).verify() == []


@needs_tshark
def test_padding_after_the_datagram_is_kept_and_not_counted(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["padding"]
    assert fields["eth.trailer"] == ["aa:bb:cc"]
    assert fields["ip.len"] == [str(20 + 8 + 1)] and fields["udp.checksum.status"] == ["1"]
    wire = bytes(BUILT["padding"]())
    assert wire.endswith(b"x\xaa\xbb\xcc")
    header = Ether.decode(wire)[IP]
    assert header.padding == b"\xaa\xbb\xcc" and header[Raw].load == b"x"
    assert bytes(Ether.decode(wire)) == wire and header.verify() == []


# -- fragments ----------------------------------------------------------------------------


def test_non_first_fragment_payload_is_raw_even_when_it_looks_like_tcp() -> None:
    header = decoded("later_fragment")[IP]
    assert header.proto == 6 and TCP not in header
    assert type(header.payload) is Raw and header[Raw].load == bytes.fromhex("0001000200000003")
    assert header.verify() == []


@needs_tshark
def test_first_fragment_decodes_transport_but_verify_does_not_judge_its_checksum(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    assert tshark["mf_first"]["ip.flags.mf"] == ["1"] and tshark["mf_first"]["ip.frag_offset"] == ["0"]
    packet = decoded("mf_first")
    assert packet[TCP].sport == 5 and packet[TCP].chksum == 0xDEAD and packet[Raw].load == b"abcdefgh"
    assert packet.verify() == []  # the checksum covers fragments not present
    wrong_ip = bytearray(bytes(BUILT["mf_first"]()))
    wrong_ip[14 + 10 : 14 + 12] = b"\x00\x01"
    problems = Ether.decode(bytes(wrong_ip)).verify()
    assert [(problem.layer, problem.field) for problem in problems] == [("ipv4", "chksum")]


# -- decode direction: frames written by hand ---------------------------------------------

# tcpdump -nn -X (Ethernet header: 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4):
#   IP 198.18.0.1.40001 > 198.18.0.2.9: UDP, length 2
#     0x0000:  4900 002e 0101 0000 4011 c9c0 c612 0001  I.......@.......
#     0x0010:  c612 0002 070f 08c6 1200 fe00 0000 0000  ................
#     0x0020:  0000 0000 9c41 0009 000a 64f5 7272       .....A....d.rr
# tshark: ip.hdr_len 36, ip.len 46, ip.id 0x0101, ip.checksum 0xc9c0 (good), ip.opt.type 7, 0;
# ip.opt.len 15, ip.opt.ptr 8, ip.rec_rt 198.18.0.254, ip.empty_rt 0.0.0.0 x2; udp.length 10,
# udp.checksum 0x64f5 (good).
RECORD_ROUTE = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  08 00"
    "  4900 002e 0101 0000 4011 c9c0 c612 0001 c612 0002  070f 08c6 1200 fe00 0000 0000 0000 0000"
    "  9c41 0009 000a 64f5  7272"
)

# tcpdump -nn -X:
#   IP 198.18.0.1.40000 > 198.18.0.2.7: UDP, length 2
#     0x0000:  4500 001e 2a2a 0000 4011 c47d c612 0001  E...**..@..}....
#     0x0010:  c612 0002 9c40 0007 000a 6f01 6869 0000  .....@....o.hi..
#     0x0020:  0000 0000 0000 0000 0000 0000 0000       ..............
# tshark: ip.len 30, eth.padding 16 zero bytes, udp.checksum 0x6f01 (good).
PADDED_TO_60 = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  08 00"
    "  4500 001e 2a2a 0000 4011 c47d c612 0001 c612 0002  9c40 0007 000a 6f01  6869"
    "  0000 0000 0000 0000 0000 0000 0000 0000"
)

# tcpdump -nn -X:
#   IP 198.18.0.1 > 198.18.0.2: ip-proto-6
#     0x0000:  4500 0024 3333 00b9 4006 bac0 c612 0001  E..$33..@.......
#     0x0010:  c612 0002 0001 0002 0000 0003 0000 0004  ................
#     0x0020:  5002 0005                                P...
# tshark: ip.id 0x3333, ip.frag_offset 185, ip.proto 6, ip.checksum 0xbac0 (good); no tcp layer.
LATER_FRAGMENT = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  08 00"
    "  4500 0024 3333 00b9 4006 bac0 c612 0001 c612 0002  0001 0002 0000 0003 0000 0004 5002 0005"
)


def test_record_route_golden_frame() -> None:
    header = Ether.decode(RECORD_ROUTE)[IP]
    assert (header.ihl, header.len, header.id, header.chksum) == (9, 46, 0x0101, 0xC9C0)
    route = header.options[0]
    assert isinstance(route, IPOption_RR) and route.pointer == 8
    assert route.routers == ("198.18.0.254", "0.0.0.0", "0.0.0.0")
    assert isinstance(header.options[1], IPOption_EOL) and len(header.options) == 2
    assert (header[UDP].len, header[UDP].chksum, header[Raw].load) == (10, 0x64F5, b"rr")
    assert header.verify() == [] and bytes(Ether.decode(RECORD_ROUTE)) == RECORD_ROUTE


def test_ethernet_minimum_padding_golden_frame() -> None:
    packet = Ether.decode(PADDED_TO_60)
    header = packet[IP]
    assert header.len == 30 and header.padding == bytes(16)
    assert packet[UDP].len == 10 and packet[UDP].padding == b"" and packet[Raw].load == b"hi"
    assert packet.verify() == [] and bytes(packet) == PADDED_TO_60


def test_later_fragment_golden_frame() -> None:
    header = Ether.decode(LATER_FRAGMENT)[IP]
    assert (header.id, header.frag, header.flags, header.proto) == (0x3333, 185, 0, 6)
    assert TCP not in header and header[Raw].load == LATER_FRAGMENT[34:]
    assert header.verify() == []


@needs_tshark
def test_golden_frames_are_what_the_comments_say() -> None:
    rr, padded, fragment = tshark_fields([RECORD_ROUTE, PADDED_TO_60, LATER_FRAGMENT])
    assert rr["ip.opt.ptr"] == ["8"] and rr["ip.rec_rt"] == ["198.18.0.254"] and rr["ip.hdr_len"] == ["36"]
    assert rr["ip.checksum.status"] == ["1"] and rr["udp.checksum.status"] == ["1"]
    assert padded["eth.padding"] == [":".join(["00"] * 16)] and padded["ip.len"] == ["30"]
    assert fragment["ip.frag_offset"] == ["185"] and "tcp.srcport" not in fragment


# -- length checks: one negative test each ------------------------------------------------


@pytest.mark.parametrize(
    ("header", "error", "offset", "reason"),
    [
        (ipv4_header()[:19], TruncatedError, 0, "19 bytes left, the header needs 20"),
        (ipv4_header(first=0x65), MalformedError, 0, "version 6, expected 4"),
        (ipv4_header(first=0x44), MalformedError, 0, "IHL 4 < 5"),
        (ipv4_header(first=0x46, total=24), TruncatedError, 0, "IHL 6 needs 24 bytes, 20 left"),
        (ipv4_header(total=19), MalformedError, 0, "total length 19 < header length 20"),
        (ipv4_header(total=100) + bytes(8), TruncatedError, 0, "total length 100, only 28 bytes left"),
        (ipv4_header(options=b"\x01\x01\x01\x07"), TruncatedError, 23, "option 7 has no length byte"),
        (ipv4_header(options=b"\x07\x01\x00\x00"), MalformedError, 20, "option 7 length 1 < 2"),
        (
            ipv4_header(options=b"\x44\x0c\x05\x00"),
            TruncatedError,
            20,
            "option 68 length 12 runs past the header",
        ),
    ],
)
def test_each_length_check(header: bytes, error: type[DecodeError], offset: int, reason: str) -> None:
    data = ETHER_HEADER + header
    text = f"ipv4 at offset {14 + offset}: {reason}"
    with pytest.raises(error, match=f"^{re.escape(text)}$") as caught:
        Ether.decode(data).layers()  # the Ethernet header is fine: IPv4 fails (now or when reached)
    assert type(caught.value) is error and caught.value.layer == "ipv4" and caught.value.offset == 14 + offset
    with pytest.raises(error, match=f"^{re.escape(f'ipv4 at offset {offset}: {reason}')}$"):
        IP.decode(header)
    lenient = Ether.decode(data, lenient=True)
    tail = lenient.layers()[-1]
    assert isinstance(tail, Undecoded) and tail.reason == text and bytes(lenient) == data


def test_total_length_beyond_the_buffer_is_accepted_inside_an_icmp_quote() -> None:
    # QUOTED mode (an ICMP error's copy of a datagram) takes a datagram cut short as it is.
    data = ipv4_header(total=100) + bytes(8)
    header = IP._decode(data, 0, len(data), QUOTED)
    assert header.len == 100 and bytes(header) == data


# -- summary() against tcpdump ------------------------------------------------------------


@needs_tcpdump
def test_summary_with_options_is_tcpdumps_line() -> None:
    # Options do not show in tcpdump's one-line (non -v) output, and must not in summary().
    frames = [bytes(BUILT[name]()) for name in ("rr", "ts", "lsrr", "ssrr", "raw_options")]
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames, 1, "-S")


@needs_tcpdump
@pytest.mark.parametrize(
    "make",
    [
        lambda: eth() / ip(flags="MF", id=77) / TCP(sport=5, dport=6, flags="S") / b"abcdefgh",
        lambda: eth() / ip(flags="MF", id=78) / udp(20) / b"abcdefgh",
        lambda: eth() / ip(frag=3, id=79, proto=17) / b"abcdefgh",
    ],
    ids=["first_tcp", "first_udp", "later"],
)
def test_summary_of_a_fragment_is_tcpdumps_line(make: Callable[[], Layer]) -> None:
    data = bytes(make())
    assert [Ether.decode(data).summary()] == tcpdump_lines([data], 1, "-S")


@needs_tcpdump
def test_summary_of_ip_in_ip_is_tcpdumps_line() -> None:
    data = bytes(eth() / ip() / IP(src="198.18.0.3", dst="198.18.0.4") / udp(21))
    assert [Ether.decode(data).summary()] == tcpdump_lines([data], 1, "-S")


def test_big_tcp_tunnels_are_reported_not_raised() -> None:
    # tcpdump's bigtcp-ipv4-geneve-*: a GSO super-packet whose IPv4 and UDP lengths cannot hold
    # their size (both 0 on the wire). verify() names both, with the sizes they would need.
    # (a Geneve header of zeros, then data)
    wire = bytes(ip(len=0) / UDP(sport=1, dport=6081, len=0) / (bytes(8) + b"x" * 79992))
    # (the UDP checksum rawnet computed covers the whole datagram: right, so not reported)
    assert IP.decode(wire).verify() == [
        Problem("ipv4", "len", 0, 80028, 0),
        Problem("udp", "len", 0, 80008, 1),
    ]


# -- options are values: a change inside one cannot go unseen -----------------------------------


def test_options_cannot_be_changed_in_place_and_new_ones_are_built() -> None:
    packet = IP(dst="198.18.0.2", options=[IPOption_LSRR(routers=["198.18.1.1", "198.18.2.2"])]) / UDP()
    bytes(packet)
    bytes(packet)  # (the second build keeps the frame)
    with pytest.raises(TypeError):
        packet.options[0].routers[-1] = "198.18.5.5"  # type: ignore[index]
    with pytest.raises(AttributeError, match="immutable"):
        packet.options[0].pointer = 8
    packet.options = [IPOption_LSRR(routers=["198.18.1.1", "198.18.5.5"])]
    wire = bytes(packet)
    assert wire == bytes(packet.copy()) and socket.inet_aton("198.18.5.5") in wire
    assert IP.decode(wire).verify() == []  # the UDP checksum follows the new last hop
    with pytest.raises(AttributeError, match="immutable"):
        del packet.options[0].pointer


@pytest.mark.parametrize(
    "option",
    [IPOption_NOP(), IPOption(148, b"\x00\x00"), IPOption_LSRR(routers=[HOP1, HOP2], pointer=8)],
    ids=repr,
)
def test_options_copy_as_themselves_and_pickle(option: IPOption) -> None:
    assert copy.copy(option) is option and copy.deepcopy(option) is option  # values: nothing to copy
    again = pickle.loads(pickle.dumps(option))
    assert again == option and type(again) is type(option) and again.encode() == option.encode()
    packet = IP(dst="198.18.0.2", options=[option]) / UDP()
    assert bytes(copy.deepcopy(packet)) == bytes(pickle.loads(pickle.dumps(packet))) == bytes(packet)


def test_route_addresses_are_checked_and_one_address_is_a_route_of_one() -> None:
    with pytest.raises(FieldValueError, match=re.escape("'198.18.1' is not an IPv4 address")):
        IPOption_RR(routers=["198.18.1"])  # (inet_aton would take it for 198.18.0.1)
    assert IPOption_LSRR(routers=HOP1).routers == (HOP1,)  # not one router per character


@needs_tshark
@pytest.mark.parametrize("number", [131, 137], ids=["lsrr", "ssrr"])
def test_a_source_route_given_as_a_plain_option_counts_in_the_pseudo_header(number: int) -> None:
    # IPOption(131 or 137, data) is the same source route as IPOption_LSRR / _SSRR: the transport
    # checksum covers the route's last address, as receivers (and tshark) check it.
    typed = (IPOption_LSRR if number == 131 else IPOption_SSRR)(routers=[HOP1, HOP2])
    plain = IPOption(number, typed.encode()[2:])
    frames = [
        bytes(eth() / ip(options=[option]) / transport(sport=7, dport=9) / b"payload")
        for option in (typed, plain)
        for transport in (TCP, UDP)
    ]
    assert frames[0] == frames[2] and frames[1] == frames[3]
    for fields in tshark_fields(frames):
        assert fields.get("tcp.checksum.status", fields.get("udp.checksum.status")) == ["1"]


def test_ipv4_protocol_0_is_raw_data_not_an_ipv6_hop_by_hop_header() -> None:
    # RFC 8200 4.1: extension headers follow IPv6 only; IPv4's protocol 0 carries no header rawnet knows.
    wire = bytes(IP() / (b"X" * 100))
    decoded = IP.decode(wire)
    assert decoded.proto == 0 and decoded[Raw].load == b"X" * 100 and bytes(decoded) == wire
    whole = defragment(fragment(IP() / (b"X" * 100), 8))
    assert whole.problems == [] and [bytes(packet) for packet in whole.packets] == [wire]


def test_an_option_from_its_bytes_is_that_option_as_in_scapy() -> None:
    # scapy: IPOption(b"\x00") is IPOption_EOL, IPOption(b"\x83\x07\x04...") IPOption_LSRR
    assert IPOption(b"\x00") == IPOption_EOL()
    lsrr = IPOption(b"\x83\x07\x04" + bytes([198, 18, 0, 1]))
    assert lsrr == IPOption_LSRR(["198.18.0.1"]) and type(lsrr) is IPOption_LSRR
    assert IPOption(bytearray(b"\x07\x07\x04" + bytes(4))) == IPOption_RR(["0.0.0.0"])
    assert IPOption(0x99, b"ab").encode() == b"\x99\x04ab"  # the number-and-data form still works
    for bad, reason in (
        (b"\x83\x09", "length 9 runs past"),
        (b"\x01\x01", "holds 2 options"),
        (b"", "holds 0 options"),
    ):
        with pytest.raises(FieldValueError, match=reason):
            IPOption(bad)
    with pytest.raises(FieldValueError, match=r"option number must be 0\.\.255"):
        IPOption(256)


def test_a_route_option_with_a_bad_address_is_a_field_value_error() -> None:
    with pytest.raises(FieldValueError, match=r"IPOption_LSRR: '198.18.0.999' is not an IPv4 address"):
        IPOption_LSRR(routers=["198.18.0.999"])
