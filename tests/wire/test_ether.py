"""ether.py: Ethernet II and 802.1Q tags, checked against tshark and tcpdump.

Build direction: frames built by rawnet go through one tshark run, and tshark's fields must
equal the values rawnet was given or computed. Decode direction: frames written out as hex
(with tcpdump's view of them) decode to the values tcpdump and tshark report.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rawnet import IP, TCP, UDP, Dot1Q, Ether, Raw, TruncatedError, Undecoded
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
SRC, DST = "198.18.0.1", "198.18.0.2"


def eth() -> Ether:
    return Ether(src=MAC1, dst=MAC2)


def ip() -> IP:
    return IP(src=SRC, dst=DST)


BUILT: dict[str, Callable[[], Layer]] = {
    "ipv4": lambda: eth() / ip() / UDP(sport=40000, dport=40001) / b"plain",
    "vlan": lambda: eth() / Dot1Q(prio=5, dei=1, vlan=100) / ip() / UDP(sport=40002, dport=40003),
    "qinq": lambda: eth() / Dot1Q(prio=3, vlan=100) / Dot1Q(prio=0, vlan=4094) / ip() / TCP(sport=1, dport=2),
    "raw": lambda: eth() / b"\x00\x00\x01\x00",
    "explicit": lambda: Ether(src=MAC1, dst=MAC2, type=0x88B5) / b"local experimental",
    "defaults": lambda: Ether() / ip() / UDP(sport=40004, dport=40005),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    names = list(BUILT)
    return dict(zip(names, tshark_fields([bytes(BUILT[name]()) for name in names]), strict=True))


@needs_tshark
@pytest.mark.parametrize("name", list(BUILT))
def test_built_addresses_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    packet = BUILT[name]()
    fields = tshark[name]
    wire = bytes(packet)
    decoded = Ether.decode(wire)
    assert fields["eth.dst"] == [decoded.dst] == [packet.dst or "ff:ff:ff:ff:ff:ff"]
    assert fields["eth.src"] == [decoded.src] == [packet.src or "00:00:00:00:00:00"]
    assert int(fields["eth.type"][0], 16) == decoded.type == int.from_bytes(wire[12:14], "big")


@needs_tshark
def test_ethertype_is_computed_from_the_payload(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["ipv4"]["eth.type"] == ["0x0800"]
    assert tshark["vlan"]["eth.type"] == ["0x8100"] and tshark["vlan"]["vlan.etype"] == ["0x0800"]
    assert tshark["ipv4"]["udp.payload"] == ["70:6c:61:69:6e"]  # "plain" is where tshark expects it


@needs_tshark
def test_a_payload_no_protocol_claims_gets_ethertype_0x9000(tshark: dict[str, dict[str, list[str]]]) -> None:
    # 0x9000 is the Configuration Testing Protocol (loopback), scapy's default for Raw too.
    assert tshark["raw"]["eth.type"] == ["0x9000"]
    assert bytes(BUILT["raw"]())[12:14] == b"\x90\x00"


@needs_tshark
def test_an_ethertype_set_by_the_user_is_sent_as_set(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["explicit"]["eth.type"] == ["0x88b5"]
    # Even over an IP payload, a user's EtherType wins over the computed 0x0800.
    assert bytes(Ether(type=0x86DD) / ip())[12:14] == b"\x86\xdd"


@needs_tshark
def test_default_addresses(tshark: dict[str, dict[str, list[str]]]) -> None:
    assert tshark["defaults"]["eth.dst"] == ["ff:ff:ff:ff:ff:ff"]
    assert tshark["defaults"]["eth.src"] == ["00:00:00:00:00:00"]


@needs_tshark
def test_vlan_tag_fields_match_tshark(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["vlan"]
    assert fields["vlan.priority"] == ["5"] and fields["vlan.dei"] == ["1"] and fields["vlan.id"] == ["100"]
    tag = Ether.decode(bytes(BUILT["vlan"]()))[Dot1Q]
    assert (tag.prio, tag.dei, tag.vlan) == (5, 1, 100)
    assert fields["udp.checksum.status"] == ["1"] and fields["ip.checksum.status"] == ["1"]


@needs_tshark
def test_qinq_stacks_two_tags_0x8100_then_the_inner_type(tshark: dict[str, dict[str, list[str]]]) -> None:
    fields = tshark["qinq"]
    assert fields["eth.type"] == ["0x8100"]
    assert fields["vlan.id"] == ["100", "4094"]
    assert fields["vlan.priority"] == ["3", "0"]
    assert fields["vlan.etype"] == ["0x8100", "0x0800"]
    assert fields["tcp.checksum.status"] == ["1"]
    wire = bytes(BUILT["qinq"]())
    assert wire[12:14] == b"\x81\x00" and wire[16:18] == b"\x81\x00" and wire[20:22] == b"\x08\x00"
    decoded = Ether.decode(wire)
    outer, inner = decoded.getlayer(Dot1Q, 1), decoded.getlayer(Dot1Q, 2)
    assert outer is not None and inner is not None
    assert (outer.vlan, outer.prio, outer.type) == (100, 3, 0x8100)
    assert (inner.vlan, inner.prio, inner.type) == (4094, 0, 0x0800)
    assert [type(layer) for layer in decoded.layers()] == [Ether, Dot1Q, Dot1Q, IP, TCP]


def test_building_leaves_computed_ethertypes_unset() -> None:
    packet = BUILT["qinq"]()
    bytes(packet)
    assert packet._values()[Ether.slot.type] is None and packet[Dot1Q]._values()[Dot1Q.slot.type] is None
    assert packet.type == 0x88A8 or packet.type == 0x8100  # read: what a build puts (scapy reads it too)
    assert packet.type == int.from_bytes(bytes(packet)[12:14], "big")


# -- decode direction: frames written by hand ---------------------------------------------

# QinQ with an 802.1ad S-tag, as a switch trunk carries it. tcpdump -e -nn -X:
#   02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q-QinQ (0x88a8), length 54: vlan 100, p 5,
#   ethertype 802.1Q (0x8100), vlan 200, p 0, DEI, ethertype IPv4 (0x0800),
#   198.18.0.1.40002 > 198.18.0.2.40003: UDP, length 4
#     0x0000:  4500 0020 0202 4000 4011 aca3 c612 0001  E.....@.@.......
#     0x0010:  c612 0002 9c42 9c43 000c 5b4d 7169 6e71  .....B.C..[Mqinq
QINQ_88A8 = bytes.fromhex(
    "02 00 00 00 00 02  02 00 00 00 00 01  88 a8  a0 64  81 00  10 c8  08 00"
    "  4500 0020 0202 4000 4011 aca3 c612 0001 c612 0002  9c42 9c43 000c 5b4d  7169 6e71"
)

# The same with both tags 0x8100; tshark: vlan.priority 5, 0; vlan.dei 0, 1; vlan.id 100, 200;
# vlan.etype 0x8100, 0x0800; ip.checksum.status 1; udp.checksum.status 1.
QINQ_8100 = QINQ_88A8[:12] + b"\x81\x00" + QINQ_88A8[14:]


@pytest.mark.parametrize(("frame", "outer_type"), [(QINQ_88A8, 0x88A8), (QINQ_8100, 0x8100)])
def test_qinq_golden_frame_decodes_to_tcpdumps_view(frame: bytes, outer_type: int) -> None:
    decoded = Ether.decode(frame)
    assert decoded.src == MAC1 and decoded.dst == MAC2 and decoded.type == outer_type
    outer, inner = decoded.getlayer(Dot1Q, 1), decoded.getlayer(Dot1Q, 2)
    assert outer is not None and inner is not None
    assert (outer.vlan, outer.prio, outer.dei, outer.type) == (100, 5, 0, 0x8100)
    assert (inner.vlan, inner.prio, inner.dei, inner.type) == (200, 0, 1, 0x0800)
    assert decoded[IP].src == SRC and decoded[IP].dst == DST
    assert (decoded[UDP].sport, decoded[UDP].dport, decoded[UDP].len) == (40002, 40003, 12)
    assert decoded[Raw].load == b"qinq"
    assert decoded.verify() == []  # tshark: both checksums good
    assert bytes(decoded) == frame


@needs_tshark
def test_qinq_golden_frame_is_what_tshark_says() -> None:
    (fields,) = tshark_fields([QINQ_8100])
    assert fields["vlan.id"] == ["100", "200"] and fields["vlan.priority"] == ["5", "0"]
    assert fields["vlan.dei"] == ["0", "1"] and fields["vlan.etype"] == ["0x8100", "0x0800"]


def test_decode_accepts_bytearray_and_memoryview() -> None:
    for data in (bytearray(QINQ_8100), memoryview(QINQ_8100)):
        decoded = Ether.decode(data)
        assert bytes(decoded) == QINQ_8100 and decoded[Dot1Q].vlan == 100


def test_an_8023_length_field_gives_a_raw_payload() -> None:
    # An EtherType below 0x0600 is an IEEE 802.3 length: nothing is looked up.
    frame = bytes.fromhex("02 00 00 00 00 02  02 00 00 00 00 01  00 08") + b"\x42\x42\x03" + bytes(5)
    decoded = Ether.decode(frame)
    assert decoded.type == 8 and isinstance(decoded.payload, Raw)
    assert decoded[Raw].load == b"\x42\x42\x03" + bytes(5)


def test_an_unknown_ethertype_gives_a_raw_payload() -> None:
    frame = bytes.fromhex("02 00 00 00 00 02  02 00 00 00 00 01  ff ff") + b"abc"  # 0xffff: IEEE reserved
    decoded = Ether.decode(frame)
    assert type(decoded.payload) is Raw and decoded[Raw].load == b"abc"


def test_header_only_frames_have_no_payload() -> None:
    assert Ether.decode(bytes.fromhex("02 00 00 00 00 02  02 00 00 00 00 01  08 00")).payload is None
    assert Dot1Q.decode(bytes.fromhex("00 64  08 00")).payload is None


# -- summary() against tcpdump ------------------------------------------------------------


@needs_tcpdump
def test_summary_of_a_tagged_frame_is_tcpdumps_line() -> None:
    data = bytes(eth() / Dot1Q(vlan=5, prio=3) / ip() / TCP(sport=5, dport=6, flags="S"))
    assert [Ether.decode(data).summary()] == tcpdump_lines([data], 1, "-S")


# -- length checks: one negative test each ------------------------------------------------


def test_ether_shorter_than_its_header() -> None:
    with pytest.raises(TruncatedError, match=r"^ether at offset 0: 13 bytes left, the header needs 14$"):
        Ether.decode(QINQ_8100[:13])


def test_dot1q_shorter_than_its_tag() -> None:
    with pytest.raises(TruncatedError, match=r"^dot1q at offset 0: 3 bytes left, the header needs 4$"):
        Dot1Q.decode(b"\x00\x64\x08")


def test_dot1q_truncated_inside_a_frame_names_its_offset() -> None:
    frame = QINQ_8100[: 14 + 4 + 3]  # outer tag whole, inner tag three bytes
    with pytest.raises(TruncatedError, match=r"^dot1q at offset 18: 3 bytes left, the header needs 4$"):
        Ether.decode(frame).layers()  # raised by decode or, if lazy, when the tag is reached
    lenient = Ether.decode(frame, lenient=True)
    last = lenient.layers()[-1]
    assert isinstance(last, Undecoded) and last.load == frame[18:]
    assert last.reason == "dot1q at offset 18: 3 bytes left, the header needs 4"
    assert bytes(lenient) == frame
