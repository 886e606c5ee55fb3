"""tcp.py: the TCP header, its nine flags and options, the checksum, and summary() vs tcpdump.

Build direction: the packets in BUILT go through one tshark run (checksum validation on) and
tshark's fields must equal what rawnet was given or computed. Decode direction: frames written
out as hex with their ``tcpdump -X`` view decode to tshark's values. summary() must be
tcpdump's line, character for character.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rawnet import IP, TCP, DecodeError, Ether, FieldValueError, MalformedError, Problem, Raw, TruncatedError
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields
from tests.wire.test_checksum import reference_checksum

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
SRC, DST = "198.18.0.1", "198.18.0.2"

# tshark's name for each flag bit (RFC 9293 3.1; ECE/CWR RFC 3168; NS RFC 3540, AE RFC 9768).
FLAG_FIELDS = [
    ("F", 0x001, "tcp.flags.fin"),
    ("S", 0x002, "tcp.flags.syn"),
    ("R", 0x004, "tcp.flags.reset"),
    ("P", 0x008, "tcp.flags.push"),
    ("A", 0x010, "tcp.flags.ack"),
    ("U", 0x020, "tcp.flags.urg"),
    ("E", 0x040, "tcp.flags.ece"),
    ("C", 0x080, "tcp.flags.cwr"),
    ("N", 0x100, "tcp.flags.ae"),
]

LINUX_SYN_OPTIONS = [
    ("MSS", 1460),
    ("SAckOK", b""),
    ("Timestamp", (2864931515, 0)),
    ("NOP", None),
    ("WScale", 7),
]


def frame(segment: TCP | Layer) -> Layer:
    return Ether(src=MAC1, dst=MAC2) / IP(src=SRC, dst=DST) / segment


def flag_frame(letter: str, bit: int) -> Layer:
    return frame(TCP(sport=1000 + bit.bit_length(), dport=2000, flags=letter, seq=10, ack=20))


BUILT: dict[str, Callable[[], Layer]] = {
    **{
        f"flag_{letter}": (lambda letter=letter, bit=bit: flag_frame(letter, bit))
        for letter, bit, _ in FLAG_FIELDS
    },
    "all_flags": lambda: frame(TCP(sport=1, dport=2, flags=0x1FF, reserved=5)),
    "fields": lambda: frame(
        TCP(sport=51234, dport=443, seq=0xFFFFFFFF, ack=0x80000001, flags="UA", window=502, urgptr=7)
        / b"payload"
    ),
    "mss": lambda: frame(TCP(sport=3, dport=4, options=[("MSS", 1460)])),
    "wscale": lambda: frame(TCP(sport=5, dport=6, options=[("WScale", 14)])),
    "sackok": lambda: frame(TCP(sport=7, dport=8, options=[("SAckOK", b"")])),
    "sack": lambda: frame(TCP(sport=9, dport=10, flags="A", options=[("SAck", (1000, 2000, 3000, 4000))])),
    "timestamp": lambda: frame(TCP(sport=11, dport=12, options=[("Timestamp", (0xFFFFFFFF, 1))])),
    "nop_eol": lambda: frame(TCP(sport=13, dport=14, options=[("NOP", None), ("NOP", None), ("EOL", None)])),
    "unknown": lambda: frame(TCP(sport=15, dport=16, options=[(99, b"ab")])),
    "linux_syn": lambda: frame(TCP(sport=17, dport=18, options=LINUX_SYN_OPTIONS)),
    "bad_chksum": lambda: frame(TCP(sport=19, dport=20, chksum=0xBEEF) / b"data"),
    "dataofs_set": lambda: frame(TCP(sport=21, dport=22, dataofs=6, options=[("MSS", 536)])),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    names = list(BUILT)
    return dict(zip(names, tshark_fields([bytes(BUILT[name]()) for name in names]), strict=True))


def decoded(name: str) -> TCP:
    return Ether.decode(bytes(BUILT[name]()))[TCP]


def segment_bytes(name: str) -> bytes:
    return bytes(BUILT[name]())[34:]


# -- header fields and checksum -----------------------------------------------------------


@needs_tshark
@pytest.mark.parametrize("name", list(BUILT))
def test_header_fields_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields, segment = tshark[name], decoded(name)
    assert fields["tcp.srcport"] == [str(segment.sport)] and fields["tcp.dstport"] == [str(segment.dport)]
    assert fields["tcp.seq_raw"] == [str(segment.seq)] and fields["tcp.ack_raw"] == [str(segment.ack)]
    assert int(fields["tcp.hdr_len"][0]) == segment.dataofs * 4
    assert int(fields["tcp.flags"][0], 16) == segment.reserved << 9 | segment.flags
    assert fields["tcp.window_size_value"] == [str(segment.window)]
    assert int(fields["tcp.checksum"][0], 16) == segment.chksum
    assert fields["tcp.urgent_pointer"] == [str(segment.urgptr)]
    given = BUILT[name]()[TCP]  # and what tshark read is what was given
    for field in ("sport", "dport", "seq", "ack", "reserved", "flags", "window", "urgptr"):
        assert getattr(segment, field) == getattr(given, field)


@needs_tshark
@pytest.mark.parametrize("name", [name for name in BUILT if name != "bad_chksum"])
def test_computed_checksum_is_good_for_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    assert tshark[name]["tcp.checksum.status"] == ["1"]
    # RFC 9293 3.1: the sum over pseudo-header and segment, checksum included, is all ones.
    segment = segment_bytes(name)
    pseudo = socket.inet_aton(SRC) + socket.inet_aton(DST) + bytes([0, 6]) + len(segment).to_bytes(2, "big")
    assert reference_checksum(pseudo + segment) == 0


@needs_tshark
def test_wrong_checksum_is_sent_and_reported_with_tsharks_value(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    fields = tshark["bad_chksum"]
    assert fields["tcp.checksum"] == ["0xbeef"] and fields["tcp.checksum.status"] == ["0"]
    calculated = int(fields["tcp.checksum_calculated"][0], 16)
    packet = Ether.decode(bytes(BUILT["bad_chksum"]()))
    assert packet.verify() == [Problem("tcp", "chksum", 0xBEEF, calculated, 2)]  # layers()[2]
    assert str(packet.verify()[0]) == f"tcp.chksum is 0xbeef, should be 0x{calculated:04x}"


@needs_tshark
def test_given_values_reach_the_wire(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["fields"]
    assert fields["tcp.srcport"] == ["51234"] and fields["tcp.dstport"] == ["443"]
    assert fields["tcp.seq_raw"] == [str(0xFFFFFFFF)] and fields["tcp.ack_raw"] == [str(0x80000001)]
    assert fields["tcp.window_size_value"] == ["502"] and fields["tcp.urgent_pointer"] == ["7"]
    assert fields["tcp.len"] == ["7"] and fields["tcp.payload"] == ["70:61:79:6c:6f:61:64"]
    assert fields["tcp.hdr_len"] == ["20"]


def test_without_a_network_layer_the_checksum_is_zero() -> None:
    # No pseudo-header to compute it from: the field goes out as 0, not as a guess.
    assert bytes(TCP(sport=1, dport=2))[16:18] == b"\x00\x00"


# -- flags --------------------------------------------------------------------------------


@needs_tshark
@pytest.mark.parametrize(("letter", "bit", "field"), FLAG_FIELDS)
def test_each_flag_alone_matches_tshark(
    tshark: dict[str, dict[str, list[str]]], letter: str, bit: int, field: str
) -> None:
    fields = tshark[f"flag_{letter}"]
    assert int(fields["tcp.flags"][0], 16) == bit
    for _, _, other in FLAG_FIELDS:
        assert fields[other] == (["1"] if other == field else ["0"])
    assert decoded(f"flag_{letter}").flags == letter
    wire = segment_bytes(f"flag_{letter}")
    assert (wire[12] & 1) << 8 | wire[13] == bit


@needs_tshark
def test_all_nine_flags_and_the_reserved_bits(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["all_flags"]
    assert fields["tcp.flags"] == ["0x0bff"]  # reserved 0b101, then all nine flags
    assert fields["tcp.flags.res"] == ["1"]  # tshark: "some reserved bit is set"
    assert fields["tcp.flags.str"] == ["R·RACEUAPRSF"]  # reserved bits 11 and 9, then A (AE) C E U A P R S F
    segment = decoded("all_flags")
    assert segment.flags == "FSRPAUECN" and segment.reserved == 5


# -- options ------------------------------------------------------------------------------

OPTION_TABLE: list[tuple[list[tuple[Any, Any]], str, list[tuple[Any, Any]]]] = [
    # (options given, bytes on the wire (RFC 9293 3.2, RFC 7323, RFC 2018), options decoded)
    ([("MSS", 1460)], "02 04 05b4", [("MSS", 1460)]),
    ([("WScale", 14)], "03 03 0e  00", [("WScale", 14), ("EOL", None)]),
    ([("SAckOK", b"")], "04 02  00 00", [("SAckOK", b""), ("EOL", None)]),
    ([("SAck", (1, 2))], "05 0a 00000001 00000002  00 00", [("SAck", (1, 2)), ("EOL", None)]),
    ([("Timestamp", (7, 9))], "08 0a 00000007 00000009  00 00", [("Timestamp", (7, 9)), ("EOL", None)]),
    ([("NOP", None)] * 4, "01 01 01 01", [("NOP", None)] * 4),
    ([("EOL", None)], "00  00 00 00", [("EOL", None)]),  # (zero padding to 4 bytes reads as scapy's None)
    ([(99, b"ab")], "63 04 6162", [(99, b"ab")]),
    ([(254, b"")], "fe 02  00 00", [(254, b""), ("EOL", None)]),
    ([("MSS", 1460), ("NOP", None), ("WScale", 7)], "02 04 05b4 01 03 03 07", None),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("options", "wire", "back"), OPTION_TABLE)
def test_option_table_both_ways(
    options: list[tuple[Any, Any]], wire: str, back: list[tuple[Any, Any]] | None
) -> None:
    expected = bytes.fromhex(wire)
    segment = bytes(TCP(sport=1, dport=2, options=options))
    assert segment[12] >> 4 == 5 + len(expected) // 4  # data offset counts the options
    assert segment[20:] == expected
    assert list(TCP.decode(segment).options) == (options if back is None else back)


@pytest.mark.parametrize(
    ("wire", "back"),
    [
        # as scapy 2.8 reads them: a known kind of another size keeps its name and its bytes
        ("02 03 05  00", [("MSS", b"\x05"), ("EOL", None)]),
        ("03 04 0707", [("WScale", b"\x07\x07")]),
        ("04 03 00  00", [("SAckOK", b"\x00"), ("EOL", None)]),
        ("05 06 00000001  00 00", [("SAck", 1), ("EOL", None)]),  # half a SACK block: one edge
        ("08 06 00000001  00 00", [("Timestamp", b"\x00\x00\x00\x01"), ("EOL", None)]),
        ("00 01 02 03", [("EOL", b"\x01\x02\x03")]),  # whatever follows EOL stays with it
    ],
)
def test_odd_sized_known_options_read_as_scapy_and_build_back(wire: str, back: list[tuple[Any, Any]]) -> None:
    options = bytes.fromhex(wire)
    data = tcp_header(5 + len(options) // 4, options)
    segment = TCP.decode(data)
    assert list(segment.options) == back
    assert bytes(segment) == data


@needs_tshark
def test_mss_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["mss"]
    assert fields["tcp.option_kind"] == ["2"] and fields["tcp.option_len"] == ["4"]
    assert fields["tcp.options.mss_val"] == ["1460"] and fields["tcp.hdr_len"] == ["24"]
    assert decoded("mss").options == (("MSS", 1460),)


@needs_tshark
def test_window_scale_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["wscale"]
    assert fields["tcp.option_kind"] == ["3", "0"] and fields["tcp.options.wscale.shift"] == ["14"]
    assert decoded("wscale").options == (("WScale", 14), ("EOL", None))


@needs_tshark
def test_sack_permitted_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["sackok"]
    assert fields["tcp.options.sack_perm"] == ["04:02"]
    assert decoded("sackok").options[0] == ("SAckOK", b"")


@needs_tshark
def test_sack_blocks_match_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["sack"]
    edges = (1000, 2000, 3000, 4000)
    raw = bytes([5, 18]) + b"".join(edge.to_bytes(4, "big") for edge in edges)
    assert fields["tcp.options.sack"] == [raw.hex(":")] and fields["tcp.options.sack.count"] == ["2"]
    assert decoded("sack").options[0] == ("SAck", edges)


@needs_tshark
def test_timestamp_matches_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["timestamp"]
    assert fields["tcp.options.timestamp.tsval"] == [str(0xFFFFFFFF)]
    assert fields["tcp.options.timestamp.tsecr"] == ["1"]
    assert decoded("timestamp").options[0] == ("Timestamp", (0xFFFFFFFF, 1))


@needs_tshark
def test_nop_and_eol_match_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["nop_eol"]
    assert fields["tcp.option_kind"] == ["1", "1", "0", "0"] and fields["tcp.hdr_len"] == ["24"]
    assert decoded("nop_eol").options == [("NOP", None), ("NOP", None), ("EOL", None)]  # scapy's reading


@needs_tshark
def test_unknown_option_is_kept_raw(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["unknown"]
    assert fields["tcp.option_kind"] == ["99"] and fields["tcp.options.unknown.payload"] == ["61:62"]
    assert decoded("unknown").options == ((99, b"ab"),)


@needs_tshark
def test_linux_syn_options_match_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["linux_syn"]
    assert fields["tcp.option_kind"] == ["2", "4", "8", "1", "3"] and fields["tcp.hdr_len"] == ["40"]
    assert fields["tcp.options.timestamp.tsval"] == ["2864931515"]
    assert decoded("linux_syn").options == tuple(LINUX_SYN_OPTIONS)


@needs_tshark
def test_a_data_offset_set_by_the_user_is_sent_as_set(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["dataofs_set"]["tcp.hdr_len"] == ["24"]
    packet = BUILT["dataofs_set"]()
    bytes(packet)
    assert packet[TCP].dataofs == 6  # not changed by the build
    # A data offset beyond the options makes the first payload bytes part of the header.
    longer = bytes(
        frame(TCP(sport=23, dport=24, dataofs=7, options=[("MSS", 536)]) / b"\x01\x01\x01\x01data")
    )
    segment = Ether.decode(longer)[TCP]
    assert segment.options == (("MSS", 536), ("NOP", None), ("NOP", None), ("NOP", None), ("NOP", None))
    assert segment[Raw].load == b"data"


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ([("Foo", 1)], "TCP.options: unknown option 'Foo': use one of"),
        ([("MSS", 70000)], "TCP.options: bad option value"),
        ([("WScale", 256)], "TCP.options: bad option value"),
        ([("SAck", (-1, 2))], "TCP.options: bad option value"),
        ([(256, b"")], "TCP.options: unknown option 256"),
        ([("MSS",)], "TCP.options: an option is a (name, value) pair, got ('MSS',)"),
        (
            [("Timestamp", (1, 2))] * 4 + [("NOP", None)],
            "TCP.options: options take 44 bytes, a TCP header has room for 40",
        ),
    ],
)
def test_bad_options_are_refused(options: list[Any], text: str) -> None:
    with pytest.raises(FieldValueError, match=f"^{re.escape(text)}"):
        TCP(options=options)


# -- summary() against tcpdump ------------------------------------------------------------

# tcpdump shows sequence numbers relative to the first packet of a connection after that
# first packet; "-S" makes it print them as they are on the wire, which is what summary() does.
# Every frame also has ports of its own, so no two frames are one connection.
SUMMARY_FRAMES: dict[str, Callable[[], Layer]] = {
    "syn_options": lambda: frame(
        TCP(sport=51234, dport=4430, seq=974940946, window=64240, options=LINUX_SYN_OPTIONS)
    ),
    "synack_options": lambda: frame(
        TCP(
            sport=4431,
            dport=51235,
            flags="SA",
            seq=2621374465,
            ack=974940947,
            window=65535,
            options=[
                ("MSS", 1400),
                ("NOP", None),
                ("WScale", 10),
                ("NOP", None),
                ("NOP", None),
                ("SAckOK", b""),
            ],
        )
    ),
    "pa_payload": lambda: frame(
        TCP(sport=51236, dport=4432, flags="PA", seq=100, ack=200, window=502) / b"GET / HTTP/1.1\r\n\r\n"
    ),
    "pa_timestamps": lambda: frame(
        TCP(
            sport=51237,
            dport=4433,
            flags="PA",
            seq=1,
            ack=2,
            options=[("NOP", None), ("NOP", None), ("Timestamp", (2864931600, 1090))],
        )
        / (b"\x00" * 100)
    ),
    "fin_ack": lambda: frame(TCP(sport=51238, dport=4434, flags="FA", seq=5, ack=6)),
    "rst": lambda: frame(TCP(sport=51239, dport=4435, flags="R", seq=7, window=0)),
    "rst_ack": lambda: frame(TCP(sport=51240, dport=4436, flags="RA", seq=0, ack=8, window=0)),
    "ecn_syn": lambda: frame(TCP(sport=51241, dport=4437, flags="SEC", seq=9)),
    "all_flags_urg": lambda: frame(TCP(sport=51242, dport=4438, flags=0x1FF, seq=10, ack=11, urgptr=12)),
    "sack_one_block": lambda: frame(
        TCP(sport=51243, dport=4439, flags="A", seq=3, ack=4, options=[("SAck", (1000, 2000))]) / b"x"
    ),
    "nop_eol": lambda: frame(
        TCP(sport=51244, dport=4440, options=[("NOP", None), ("NOP", None), ("EOL", None)])
    ),
}


@needs_tcpdump
def test_summary_is_tcpdumps_line() -> None:
    frames = [bytes(make()) for make in SUMMARY_FRAMES.values()]
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames, 1, "-S")


# tcpdump's rules that a summary must follow too (print-tcp.c), one frame each.
SUMMARY_RULES: dict[str, Callable[[], Layer]] = {
    # "seq" only for a segment with data or with SYN, FIN or RST.
    **{
        f"no_seq_{flags or 'none'}": (
            lambda flags=flags, port=port: frame(
                TCP(sport=52000 + port, dport=4441, flags=flags, seq=10, ack=20, urgptr=5)
            )
        )
        for port, flags in enumerate(["A", "UA", "", "E", "C", "N"])
    },
    # The end of the sequence range is modulo 2**32.
    "seq_wraps": lambda: frame(TCP(sport=52010, dport=4442, flags="PA", seq=0xFFFFFFF0, ack=5) / (b"x" * 32)),
    # SACK blocks back to back: "sack 2 {1:2}{3:4}".
    "two_sack_blocks": lambda: frame(
        TCP(sport=52011, dport=4443, flags="A", options=[("SAck", (1, 2, 3, 4))]) / b"x"
    ),
    # An unknown option with its data in hex: "unknown-99 0x6162".
    "unknown_option_data": lambda: frame(TCP(sport=52012, dport=4444, options=[(99, b"ab")])),
    "unknown_option_empty": lambda: frame(TCP(sport=52013, dport=4445, options=[(99, b"")])),
}


@needs_tcpdump
def test_summary_follows_tcpdumps_rules() -> None:
    frames = [bytes(make()) for make in SUMMARY_RULES.values()]
    summaries = [Ether.decode(data).summary() for data in frames]
    assert dict(zip(SUMMARY_RULES, summaries, strict=True)) == dict(
        zip(SUMMARY_RULES, tcpdump_lines(frames, 1, "-S"), strict=True)
    )


@needs_tcpdump
def test_summary_of_a_fast_open_cookie() -> None:
    # RFC 7413 TCP Fast Open: kind 34 carrying an 8-byte cookie, common in real SYNs.
    data = bytes(frame(TCP(sport=52014, dport=4446, options=[(34, bytes(range(1, 9)))])))
    assert [Ether.decode(data).summary()] == tcpdump_lines([data], 1, "-S")


# -- decode direction: frames written by hand ---------------------------------------------

# tcpdump -nn -S -X (Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4):
#   IP 198.18.0.1.51234 > 198.18.0.2.443: Flags [S], seq 974940946, win 64240,
#   options [mss 1460,sackOK,TS val 2864931515 ecr 0,nop,wscale 7], length 0
#     0x0000:  4500 003c 1c46 4000 4006 924e c612 0001  E..<.F@.@..N....
#     0x0010:  c612 0002 c822 01bb 3a1c 6b12 0000 0000  ....."..:.k.....
#     0x0020:  a002 faf0 445c 0000 0204 05b4 0402 080a  ....D\..........
#     0x0030:  aac3 62bb 0000 0000 0103 0307            ..b.........
# tshark: tcp.hdr_len 40, tcp.flags 0x0002, tcp.window_size_value 64240, tcp.checksum 0x445c
# (good), tcp.option_kind 2, 4, 8, 1, 3; tcp.options.mss_val 1460; tsval 2864931515, tsecr 0;
# wscale.shift 7.
SYN = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  08 00"
    "  4500 003c 1c46 4000 4006 924e c612 0001 c612 0002"
    "  c822 01bb 3a1c 6b12 0000 0000 a002 faf0 445c 0000"
    "  0204 05b4 0402 080a aac3 62bb 0000 0000 0103 0307"
)

# tcpdump -nn -S -X:
#   IP 198.18.0.2.443 > 198.18.0.1.51234: Flags [S.], seq 2621374465, ack 974940947, win 65535,
#   options [mss 1400,nop,wscale 10,nop,nop,sackOK], length 0
#     0x0000:  4500 0034 0000 4000 4006 ae9c c612 0002  E..4..@.@.......
#     0x0010:  c612 0001 01bb c822 9c3f 0001 3a1c 6b13  .......".?..:.k.
#     0x0020:  8012 ffff d7c4 0000 0204 0578 0103 030a  ...........x....
#     0x0030:  0101 0402                                ....
# tshark: tcp.hdr_len 32, tcp.flags 0x0012, tcp.checksum 0xd7c4 (good), tcp.option_kind 2, 1,
# 3, 1, 1, 4; mss_val 1400; wscale.shift 10.
SYN_ACK = bytes.fromhex(
    "02 00 00 00 00 01  02 00 00 00 00 02  08 00"
    "  4500 0034 0000 4000 4006 ae9c c612 0002 c612 0001"
    "  01bb c822 9c3f 0001 3a1c 6b13 8012 ffff d7c4 0000"
    "  0204 0578 0103 030a 0101 0402"
)

# tcpdump -nn -S -X:
#   IP 198.18.0.1.51234 > 198.18.0.2.443: Flags [P.], seq 974940947:974940965, ack 2621374465,
#   win 502, options [nop,nop,TS val 2864931600 ecr 1090,nop,nop,sack 1 {2621378560:2621382656}],
#   length 18
#     0x0000:  4500 0052 1c47 4000 4006 9237 c612 0001  E..R.G@.@..7....
#     0x0010:  c612 0002 c822 01bb 3a1c 6b13 9c3f 0001  ....."..:.k..?..
#     0x0020:  b018 01f6 4dea 0000 0101 080a aac3 6310  ....M.........c.
#     0x0030:  0000 0442 0101 050a 9c3f 1000 9c3f 2000  ...B.....?...?..
#     0x0040:  4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET./.HTTP/1.1..
#     0x0050:  0d0a                                     ..
# tshark: tcp.hdr_len 44, tcp.flags 0x0018, tcp.len 18, tcp.checksum 0x4dea (good),
# tcp.option_kind 1, 1, 8, 1, 1, 5; tcp.options.sack 05:0a:9c:3f:10:00:9c:3f:20:00.
PUSH_SACK = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  08 00"
    "  4500 0052 1c47 4000 4006 9237 c612 0001 c612 0002"
    "  c822 01bb 3a1c 6b13 9c3f 0001 b018 01f6 4dea 0000"
    "  0101 080a aac3 6310 0000 0442 0101 050a 9c3f 1000 9c3f 2000"
    "  4745 5420 2f20 4854 5450 2f31 2e31 0d0a 0d0a"
)

GOLDEN: list[tuple[bytes, dict[str, Any]]] = [
    (
        SYN,
        {
            "sport": 51234, "dport": 443, "seq": 974940946, "ack": 0, "dataofs": 10, "flags": 0x002,
            "window": 64240, "chksum": 0x445C, "urgptr": 0,
            "options": (
                ("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2864931515, 0)), ("NOP", None), ("WScale", 7),
            ),
        },
    ),
    (
        SYN_ACK,
        {
            "sport": 443, "dport": 51234, "seq": 2621374465, "ack": 974940947, "dataofs": 8, "flags": 0x012,
            "window": 65535, "chksum": 0xD7C4, "urgptr": 0,
            "options": (
                ("MSS", 1400), ("NOP", None), ("WScale", 10), ("NOP", None), ("NOP", None), ("SAckOK", b""),
            ),
        },
    ),
    (
        PUSH_SACK,
        {
            "sport": 51234, "dport": 443, "seq": 974940947, "ack": 2621374465, "dataofs": 11, "flags": 0x018,
            "window": 502, "chksum": 0x4DEA, "urgptr": 0,
            "options": (
                ("NOP", None), ("NOP", None), ("Timestamp", (2864931600, 1090)),
                ("NOP", None), ("NOP", None), ("SAck", (2621378560, 2621382656)),
            ),
        },
    ),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected"), GOLDEN, ids=["syn", "syn_ack", "push_sack"])
def test_golden_frame_decodes_to_tsharks_values(data: bytes, expected: dict[str, Any]) -> None:
    packet = Ether.decode(data)
    segment = packet[TCP]
    assert {name: getattr(segment, name) for name in expected} == expected
    assert packet.verify() == []  # tshark: checksums good
    assert bytes(packet) == data


def test_golden_frame_payload() -> None:
    assert Ether.decode(PUSH_SACK)[Raw].load == b"GET / HTTP/1.1\r\n\r\n"
    assert Ether.decode(SYN)[TCP].payload is None


@needs_tcpdump
def test_golden_frames_summary_is_tcpdumps_line() -> None:
    frames = [SYN, SYN_ACK, PUSH_SACK]
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames, 1, "-S")


@needs_tshark
def test_golden_frames_are_what_the_comments_say() -> None:
    for data, fields in zip([SYN, SYN_ACK, PUSH_SACK], tshark_fields([SYN, SYN_ACK, PUSH_SACK]), strict=True):
        assert fields["tcp.checksum.status"] == ["1"]
        assert int(fields["tcp.hdr_len"][0]) == Ether.decode(data)[TCP].dataofs * 4


# -- length checks: one negative test each ------------------------------------------------


def tcp_header(offset_words: int, options: bytes = b"") -> bytes:
    """A TCP header written field by field: ports 1 -> 2, SYN, window 512."""
    return (
        bytes.fromhex("0001 0002 00000000 00000000")
        + bytes([offset_words << 4, 0x02])
        + bytes.fromhex("0200 0000 0000")
        + options
    )


IP_HEADER = bytes.fromhex("4500 0000 0001 0000 4006 0000 c612 0001 c612 0002")  # total length 0: to the end


@pytest.mark.parametrize(
    ("segment", "error", "offset", "reason"),
    [
        (tcp_header(5)[:19], TruncatedError, 0, "19 bytes left, the header needs 20"),
        (tcp_header(4), MalformedError, 0, "data offset 4 < 5"),
        (tcp_header(6), TruncatedError, 0, "data offset 6 needs 24 bytes, 20 left"),
        (tcp_header(6, b"\x01\x01\x01\x02"), TruncatedError, 23, "option kind 2 has no length byte"),
        (tcp_header(6, b"\x08\x01\x00\x00"), MalformedError, 20, "option kind 8 length 1 < 2"),
        (
            tcp_header(6, b"\x08\x0a\x00\x00"),
            TruncatedError,
            20,
            "option kind 8 length 10 runs past the header",
        ),
    ],
)
def test_each_length_check(segment: bytes, error: type[DecodeError], offset: int, reason: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(f'tcp at offset {offset}: {reason}')}$"):
        TCP.decode(segment)
    with pytest.raises(error, match=f"^{re.escape(f'tcp at offset {20 + offset}: {reason}')}$") as caught:
        IP.decode(IP_HEADER + segment).layers()  # the IPv4 header is fine: TCP fails (now or when reached)
    assert type(caught.value) is error and caught.value.layer == "tcp" and caught.value.offset == 20 + offset


# MPTCP (RFC 8684, kind 30) and TCP Fast Open (kind 34, and RFC 6994's experimental kind 254):
# every subtype at the lengths tcpdump takes and others, under SYN, SYN-ACK and ACK segments;
# what tcpdump finds malformed ends its line with "[bad opt]", and the summary's too.
MPTCP_OPTION = st.builds(
    lambda subtype, low, rest: bytes([subtype << 4 | low]) + rest,
    st.integers(0, 10),
    st.integers(0, 15),
    st.sampled_from(
        [0, 1, 2, 3, 6, 8, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 25, 26, 27, 28]
    ).flatmap(lambda size: st.binary(min_size=size, max_size=size)),
)
FAST_OPEN_COOKIE = st.sampled_from([0, 2, 3, 4, 5, 8, 16, 18]).flatmap(
    lambda n: st.binary(min_size=n, max_size=n)
)
OPTION = st.one_of(
    st.tuples(st.just(30), MPTCP_OPTION),
    st.tuples(st.just(34), FAST_OPEN_COOKIE),
    st.tuples(
        st.just(254), st.one_of(FAST_OPEN_COOKIE.map(lambda c: b"\xf9\x89" + c), st.binary(max_size=6))
    ),
)


@needs_tcpdump
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["S", "SA", "A", "PA", "R", "F"]), st.lists(OPTION, min_size=1, max_size=2)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_mptcp_and_fast_open_options_read_as_tcpdumps(
    segments: list[tuple[str, list[tuple[int, bytes]]]],
) -> None:
    frames = [
        bytes(frame(TCP(sport=52020, dport=4447, flags=flags, options=options)))
        for flags, options in segments
        if sum(2 + len(data) for _, data in options) <= 40
    ]
    assume(frames)
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames, 1, "-S")
