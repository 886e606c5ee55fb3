"""udp.py: the UDP header, its length and checksum (RFC 768), checked against tshark and tcpdump.

Expected checksums come from tshark or from ``reference_sum`` (RFC 1071 written out as a loop);
the datagram whose checksum computes to zero is constructed here from the RFC's arithmetic.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

import pytest

from rawnet import IP, UDP, DecodeError, Ether, MalformedError, Problem, Raw, TruncatedError
from rawnet.wire.layer import Layer
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields
from tests.wire.test_checksum import reference_checksum, reference_sum

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
SRC, DST = "198.18.0.1", "198.18.0.2"


def frame(datagram: Layer) -> Layer:
    return Ether(src=MAC1, dst=MAC2) / IP(src=SRC, dst=DST) / datagram


def pseudo_header(length: int) -> bytes:
    """RFC 768: source, destination, zero, protocol 17, UDP length."""
    return socket.inet_aton(SRC) + socket.inet_aton(DST) + bytes([0, 17]) + length.to_bytes(2, "big")


def payload_whose_checksum_is_zero(sport: int, dport: int) -> bytes:
    """Two bytes that make the one's complement sum of the datagram all ones (checksum 0).

    The sum covers the pseudo-header and the header with its checksum field zero; the last
    word is chosen so that everything adds up to 0xffff.
    """
    length = 8 + 2
    header = sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + length.to_bytes(2, "big") + b"\0\0"
    partial = reference_sum(pseudo_header(length) + header)
    word = 0xFFFF - partial or 0xFFFF
    assert reference_sum(pseudo_header(length) + header + word.to_bytes(2, "big")) == 0xFFFF
    return word.to_bytes(2, "big")


ZERO_PAYLOAD = payload_whose_checksum_is_zero(40010, 40011)

BUILT: dict[str, Callable[[], Layer]] = {
    "basic": lambda: frame(UDP(sport=40000, dport=40001) / b"hello"),
    "empty": lambda: frame(UDP(sport=40002, dport=40003)),
    "odd": lambda: frame(UDP(sport=40004, dport=40005) / b"abc"),
    "computed_zero": lambda: frame(UDP(sport=40010, dport=40011) / ZERO_PAYLOAD),
    "user_zero": lambda: frame(UDP(sport=40012, dport=40013, chksum=0) / b"no checksum"),
    "bad_chksum": lambda: frame(UDP(sport=40014, dport=40015, chksum=0x1234) / b"hello"),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    names = list(BUILT)
    return dict(zip(names, tshark_fields([bytes(BUILT[name]()) for name in names]), strict=True))


def datagram_bytes(name: str) -> bytes:
    return bytes(BUILT[name]())[34:]


@needs_tshark
@pytest.mark.parametrize("name", list(BUILT))
def test_header_fields_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields = tshark[name]
    datagram = Ether.decode(bytes(BUILT[name]()))[UDP]
    assert fields["udp.srcport"] == [str(datagram.sport)] and fields["udp.dstport"] == [str(datagram.dport)]
    assert fields["udp.length"] == [str(datagram.len)]
    assert int(fields["udp.checksum"][0], 16) == datagram.chksum


@needs_tshark
@pytest.mark.parametrize("name", ["basic", "empty", "odd", "computed_zero"])
def test_length_and_checksum_are_computed(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields = tshark[name]
    wire = datagram_bytes(name)
    assert fields["udp.length"] == [str(len(wire))] and int.from_bytes(wire[4:6], "big") == len(wire)
    assert fields["udp.checksum.status"] == ["1"]
    assert reference_checksum(pseudo_header(len(wire)) + wire) == 0
    assert Ether.decode(bytes(BUILT[name]())).verify() == []


@needs_tshark
def test_a_computed_zero_checksum_goes_out_as_all_ones(tshark: dict[str, dict[str, list[str]]]) -> None:
    # RFC 768: "If the computed checksum is zero, it is transmitted as all ones"; 0 means none.
    wire = datagram_bytes("computed_zero")
    assert wire[6:8] == b"\xff\xff"
    assert tshark["computed_zero"]["udp.checksum"] == ["0xffff"]
    assert tshark["computed_zero"]["udp.checksum.status"] == ["1"]


@needs_tshark
def test_a_zero_checksum_set_by_the_user_is_sent_and_accepted(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    fields = tshark["user_zero"]
    assert datagram_bytes("user_zero")[6:8] == b"\x00\x00"
    assert fields["udp.checksum"] == ["0x0000"] and fields["udp.checksum.status"] == ["3"]  # 3: not present
    assert Ether.decode(bytes(BUILT["user_zero"]())).verify() == []  # over IPv4, 0 means "no checksum"


@needs_tshark
def test_wrong_checksum_is_sent_and_reported_with_tsharks_value(
    tshark: dict[str, dict[str, list[str]]],
) -> None:
    fields = tshark["bad_chksum"]
    assert fields["udp.checksum"] == ["0x1234"] and fields["udp.checksum.status"] == ["0"]
    calculated = int(fields["udp.checksum_calculated"][0], 16)
    packet = Ether.decode(bytes(BUILT["bad_chksum"]()))
    assert packet.verify() == [Problem("udp", "chksum", 0x1234, calculated, 2)]  # Ether/IP/UDP
    assert str(packet.verify()[0]) == f"udp.chksum is 0x1234, should be 0x{calculated:04x}"


def test_build_leaves_computed_fields_unset() -> None:
    packet = BUILT["basic"]()
    bytes(packet)
    assert packet[UDP].len is None and packet[UDP].chksum is None


def test_without_a_network_layer_the_checksum_is_zero() -> None:
    assert bytes(UDP(sport=1, dport=2) / b"ab") == bytes.fromhex("0001 0002 000a 0000 6162")


def test_a_length_set_by_the_user_is_sent_as_set() -> None:
    wire = bytes(IP(src=SRC, dst=DST) / UDP(sport=1, dport=2, len=9) / b"abc")
    assert wire[24:26] == b"\x00\x09"
    datagram = IP.decode(wire)[UDP]
    # The datagram ends where its length says: the rest of the IP payload is padding.
    assert datagram[Raw].load == b"a" and datagram.padding == b"bc"
    assert bytes(IP.decode(wire)) == wire


@needs_tshark
def test_checksum_covers_the_datagram_a_user_set_length_delimits() -> None:
    data = bytes(frame(UDP(sport=40030, dport=40031, len=9) / b"abc"))
    (fields,) = tshark_fields([data])
    assert fields["udp.length"] == ["9"]
    assert fields["udp.checksum.status"] == ["1"]
    assert Ether.decode(data).verify() == []


def test_length_zero_runs_to_the_end_and_verify_reports_it() -> None:
    # A length of 0 (a jumbogram, RFC 2675, or a segmentation-offload capture) runs to the end.
    wire = bytes(IP(src=SRC, dst=DST) / UDP(sport=1, dport=2, len=0) / b"abcd")
    datagram = IP.decode(wire)[UDP]
    assert datagram.len == 0 and datagram[Raw].load == b"abcd"
    assert Problem("udp", "len", 0, 12, 1) in IP.decode(wire).verify()


# -- summary() against tcpdump ------------------------------------------------------------

SUMMARY_FRAMES: list[Callable[[], Layer]] = [
    lambda: frame(UDP(sport=40020, dport=40021) / b"hello"),
    lambda: frame(UDP(sport=40022, dport=40023)),
    lambda: frame(UDP(sport=40024, dport=40025) / (b"\x00" * 1400)),
    lambda: frame(UDP(sport=40026, dport=40027, chksum=0) / b"x"),
]


@needs_tcpdump
def test_summary_is_tcpdumps_line() -> None:
    frames = [bytes(make()) for make in SUMMARY_FRAMES]
    assert [Ether.decode(data).summary() for data in frames] == tcpdump_lines(frames)


# -- decode direction: a frame written by hand --------------------------------------------

# tcpdump -nn -X (Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02, 802.1Q vlan 200 DEI inside
# vlan 100 p 5, IPv4):
#   IP 198.18.0.1.40002 > 198.18.0.2.40003: UDP, length 4
#     0x0000:  4500 0020 0202 4000 4011 aca3 c612 0001  E.....@.@.......
#     0x0010:  c612 0002 9c42 9c43 000c 5b4d 7169 6e71  .....B.C..[Mqinq
# tshark: udp.srcport 40002, udp.dstport 40003, udp.length 12, udp.checksum 0x5b4d (good).
DATAGRAM = bytes.fromhex("4500 0020 0202 4000 4011 aca3 c612 0001 c612 0002  9c42 9c43 000c 5b4d  7169 6e71")


def test_golden_datagram_decodes_to_tsharks_values() -> None:
    packet = IP.decode(DATAGRAM)
    datagram = packet[UDP]
    assert (datagram.sport, datagram.dport, datagram.len, datagram.chksum) == (40002, 40003, 12, 0x5B4D)
    assert datagram[Raw].load == b"qinq"
    assert packet.verify() == [] and bytes(packet) == DATAGRAM


@needs_tshark
def test_golden_datagram_is_what_the_comment_says() -> None:
    (fields,) = tshark_fields([DATAGRAM], LINKTYPE_RAW)
    assert fields["udp.length"] == ["12"] and fields["udp.checksum"] == ["0x5b4d"]
    assert fields["udp.checksum.status"] == ["1"]


# -- length checks: one negative test each ------------------------------------------------

IP_HEADER = bytes.fromhex("4500 0000 0001 0000 4011 0000 c612 0001 c612 0002")  # total length 0: to the end


@pytest.mark.parametrize(
    ("datagram", "error", "reason"),
    [
        (bytes.fromhex("0001 0002 0008 00"), TruncatedError, "7 bytes left, the header needs 8"),
        (bytes.fromhex("0001 0002 0007 0000"), MalformedError, "length 7 < 8"),
        (bytes.fromhex("0001 0002 0014 0000 6162"), TruncatedError, "length 20, only 10 bytes left"),
    ],
)
def test_each_length_check(datagram: bytes, error: type[DecodeError], reason: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(f'udp at offset 0: {reason}')}$"):
        UDP.decode(datagram)
    with pytest.raises(error, match=f"^{re.escape(f'udp at offset 20: {reason}')}$") as caught:
        IP.decode(IP_HEADER + datagram).layers()  # the IPv4 header is fine: UDP fails (now or when reached)
    assert type(caught.value) is error and caught.value.layer == "udp" and caught.value.offset == 20
