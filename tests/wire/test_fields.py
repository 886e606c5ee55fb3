"""fields.py: flags, value sets, address and integer conversions and their error messages.

Bit values come from the RFCs (TCP: RFC 9293 3.1, RFC 3168 ECE/CWR, RFC 3540 NS; IPv4: RFC
791 3.1 and RFC 3514's evil bit); address forms from the standard library's ipaddress.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

from rawnet import IP, TCP, UDP, BuildError, Dot1Q, Ether, FieldValueError, FlagValue, ValueSet
from rawnet.wire.layer import Layer

# (letter, bit) for TCP's nine control bits, low bit first.
TCP_FLAG_BITS = [
    ("F", 0x001),  # FIN
    ("S", 0x002),  # SYN
    ("R", 0x004),  # RST
    ("P", 0x008),  # PSH
    ("A", 0x010),  # ACK
    ("U", 0x020),  # URG
    ("E", 0x040),  # ECE (RFC 3168)
    ("C", 0x080),  # CWR (RFC 3168)
    ("N", 0x100),  # NS (RFC 3540), now AE (RFC 9768)
]
# IPv4's three flag bits as the 3-bit field value: reserved (evil), DF, MF.
IP_FLAG_BITS = [("MF", 1), ("DF", 2), ("evil", 4)]


def message(text: str) -> str:
    return re.escape(text)


# -- flags --------------------------------------------------------------------------------


@pytest.mark.parametrize(("letter", "bit"), TCP_FLAG_BITS)
def test_tcp_flag_letter_and_bit_both_ways(letter: str, bit: int) -> None:
    assert TCP(flags=letter).flags == bit  # letter -> bit
    assert str(TCP(flags=bit).flags) == letter  # bit -> letter
    assert getattr(TCP(flags=bit).flags, letter) is True
    assert getattr(TCP(flags=0x1FF ^ bit).flags, letter) is False


@pytest.mark.parametrize(("name", "bit"), IP_FLAG_BITS)
def test_ip_flag_name_and_bit_both_ways(name: str, bit: int) -> None:
    assert IP(flags=name).flags == bit
    assert str(IP(flags=bit).flags) == name
    assert getattr(IP(flags=bit).flags, name) is True


def test_flags_text_is_in_bit_order_whatever_the_input_order() -> None:
    assert str(TCP(flags="AS").flags) == "SA"
    assert str(TCP(flags="NCEUAPRSF").flags) == "FSRPAUECN"
    assert str(IP(flags="DF+MF").flags) == "MF+DF"
    assert str(IP(flags=7).flags) == "MF+DF+evil"
    assert str(TCP(flags=0).flags) == "" and str(IP(flags=0).flags) == ""


def test_flags_compare_with_letters_and_ints() -> None:
    flags = TCP(flags="SA").flags
    assert isinstance(flags, FlagValue) and isinstance(flags, int)
    assert flags == "SA" and flags == "AS" and flags == 0x12
    assert flags != "S" and flags != 0x02 and flags != "SX"  # an unknown letter is simply unequal
    assert (flags == "SX") is False
    assert hash(flags) == hash(0x12)
    assert repr(flags) == "<Flag 18 (SA)>"
    assert "S" in flags and "SA" in flags and "F" not in flags and "X" not in flags and "" not in flags
    assert IP(flags="DF").flags == "DF" and IP(flags="DF").flags != "MF"


def test_flags_attribute_for_an_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = TCP(flags="S").flags.Z


def test_flags_read_from_a_decoded_header() -> None:
    # TCP flag byte 0x12 (SYN+ACK) and IPv4 flags DF (0x4000 in the flags/offset word).
    wire = bytes(IP(src="198.18.0.1", dst="198.18.0.2", flags="DF") / TCP(flags="SA"))
    assert wire[6] & 0xE0 == 0x40 and wire[20 + 13] == 0x12
    decoded = IP.decode(wire)
    assert decoded.flags == "DF" and str(decoded[TCP].flags) == "SA"


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda: TCP(flags="SX"), "TCP.flags must be flags from 'FSRPAUECN' or an int, got 'SX'"),
        (lambda: TCP(flags=0x200), "TCP.flags must be 0..511, got 512"),
        (lambda: TCP(flags=-1), "TCP.flags must be 0..511, got -1"),
        (lambda: IP(flags="D"), "IP.flags must be flags from 'MF+DF+evil' or an int, got 'D'"),
        (lambda: IP(flags=8), "IP.flags must be 0..7, got 8"),
        (lambda: IP(flags=1.0), "IP.flags must be flag letters or an int, got 1.0"),
        (lambda: TCP(flags=True), "TCP.flags must be flag letters or an int, got True"),
    ],
)
def test_bad_flags_name_class_field_and_value(make: object, text: str) -> None:
    with pytest.raises(FieldValueError, match=message(text)):
        make()  # type: ignore[operator]


# -- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "field", "value", "text"),
    [
        (TCP, "sport", 65536, "TCP.sport must be 0..65535, got 65536"),
        (TCP, "seq", 2**32, "TCP.seq must be 0..4294967295, got 4294967296"),
        (TCP, "dataofs", 16, "TCP.dataofs must be 0..15, got 16"),
        (TCP, "reserved", 8, "TCP.reserved must be 0..7, got 8"),
        (IP, "ttl", 256, "IP.ttl must be 0..255, got 256"),
        (IP, "ttl", -1, "IP.ttl must be 0..255, got -1"),
        (IP, "frag", 8192, "IP.frag must be 0..8191, got 8192"),
        (IP, "ihl", 16, "IP.ihl must be 0..15, got 16"),
        (UDP, "len", 65536, "UDP.len must be 0..65535, got 65536"),
        (Dot1Q, "vlan", 4096, "Dot1Q.vlan must be 0..4095, got 4096"),
        (Dot1Q, "prio", 8, "Dot1Q.prio must be 0..7, got 8"),
        (Dot1Q, "dei", 2, "Dot1Q.dei must be 0..1, got 2"),
        (TCP, "window", True, "TCP.window must be 0..65535, got True"),
        (TCP, "window", 1.5, "TCP.window must be an int 0..65535, got 1.5"),
        (TCP, "window", "80", "TCP.window must be an int 0..65535, got '80'"),
    ],
)
def test_out_of_range_ints_fail_in_the_constructor_and_the_setter(
    layer: type[Layer], field: str, value: object, text: str
) -> None:
    with pytest.raises(FieldValueError, match=message(text)):
        layer(**{field: value})
    packet = layer()
    with pytest.raises(FieldValueError, match=message(text)):
        setattr(packet, field, value)


@pytest.mark.parametrize(
    ("layer", "field", "maximum"),
    [
        (TCP, "seq", 2**32 - 1),
        (IP, "frag", 8191),
        (Dot1Q, "vlan", 4095),
        (IP, "ihl", 15),
        (UDP, "len", 65535),
    ],
)
def test_range_ends_are_accepted(layer: type[Layer], field: str, maximum: int) -> None:
    assert getattr(layer(**{field: maximum}), field) == maximum
    assert getattr(layer(**{field: 0}), field) == 0


def test_a_set_with_one_bad_member_is_refused_whole() -> None:
    with pytest.raises(FieldValueError, match=message("TCP.dport must be 0..65535, got 70000")):
        TCP(dport=[80, 70000])
    with pytest.raises(FieldValueError, match=message("TCP.dport must be 0..65535, got range(0, 70000)")):
        TCP(dport=range(0, 70000))


# -- value sets ---------------------------------------------------------------------------


def test_value_set_from_a_range() -> None:
    dport = TCP(dport=range(1, 4)).dport
    assert isinstance(dport, ValueSet)
    assert list(dport) == [1, 2, 3] and len(dport) == 3
    assert repr(dport) == "ValueSet(1..3)"
    assert list(TCP(dport=range(10, 20, 5)).dport) == [10, 15]


def test_value_set_from_a_list_keeps_order_and_a_set_is_sorted() -> None:
    assert list(TCP(dport=[443, 80, 22]).dport) == [443, 80, 22]
    assert list(TCP(dport={443, 80, 22}).dport) == [22, 80, 443]
    assert TCP(dport=[1, 2]).dport == TCP(dport=range(1, 3)).dport


def test_value_set_of_an_ipv4_slash_30_is_its_four_addresses() -> None:
    addresses = IP(dst="198.18.0.4/30").dst
    expected = [str(address) for address in ipaddress.IPv4Network("198.18.0.4/30")]
    assert expected == ["198.18.0.4", "198.18.0.5", "198.18.0.6", "198.18.0.7"]
    assert list(addresses) == expected and len(addresses) == 4
    assert repr(addresses) == "ValueSet(198.18.0.4/30)"
    assert list(IP(dst="198.18.0.6/30").dst) == expected  # host bits are ignored


def test_value_set_of_a_large_network_is_not_materialised() -> None:
    addresses = IP(dst="198.18.0.0/15").dst
    assert len(addresses) == 2**17
    first = next(iter(addresses))
    assert first == "198.18.0.0"


def test_value_sets_of_addresses_and_flags() -> None:
    macs = Ether(dst=["02:00:00:00:00:01", "02:00:00:00:00:02"]).dst
    assert list(macs) == ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    flags = list(TCP(flags=["S", "SA", 0x11]).flags)
    assert flags == ["S", "SA", "FA"] and [int(flag) for flag in flags] == [0x02, 0x12, 0x11]


def test_packet_iteration_is_the_product_of_its_sets() -> None:
    template = IP(src="198.18.0.1", dst="198.18.0.0/30", ttl=[1, 2]) / TCP(dport=range(80, 83))
    packets = list(template)
    assert len(packets) == 4 * 2 * 3
    seen = {(p.dst, p.ttl, p[TCP].dport) for p in packets}
    assert seen == {(f"198.18.0.{i}", ttl, port) for i in range(4) for ttl in (1, 2) for port in (80, 81, 82)}
    for packet in packets:
        wire = bytes(packet)  # every member builds
        assert wire[8] == packet.ttl and wire[16:20] == ipaddress.IPv4Address(packet.dst).packed
    with pytest.raises(BuildError, match=message("IP.ttl holds 2 values: iterate the packet")):
        bytes(template)


def test_an_empty_range_is_an_empty_set() -> None:
    assert list(TCP(dport=range(5, 5))) == []


# -- decoded views ------------------------------------------------------------------------


def test_fields_read_from_a_view_equal_the_unpacked_values() -> None:
    # A decoded layer answers single fields straight from the buffer; the values must be the
    # same, with the same types, as after the whole header is unpacked.
    wire = bytes(
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / Dot1Q(prio=5, dei=1, vlan=200)
        / IP(src="198.18.0.1", dst="198.18.0.2", tos=0xB8, id=0xBEEF, flags="DF", frag=0, ttl=3)
        / TCP(sport=51234, dport=443, seq=0xDEADBEEF, ack=7, flags="PA", window=502, urgptr=9)
        / b"data"
    )
    for layer in Ether.decode(wire).layers()[:-1]:
        view = type(layer).decode(wire[len(wire) - len(bytes(layer)) :])
        direct = {field.name: getattr(view, field.name) for field in view.fields_desc if field.read}
        view._unpack()
        unpacked = {name: getattr(view, name) for name in direct}
        assert direct == unpacked
        assert {name: type(value) for name, value in direct.items()} == {
            name: type(value) for name, value in unpacked.items()
        }
    decoded = Ether.decode(wire)
    assert decoded.src == "02:00:00:00:00:01"
    assert decoded[Dot1Q].vlan == 200 and decoded[Dot1Q].prio == 5 and decoded[Dot1Q].dei == 1
    assert decoded[IP].flags == "DF" and decoded[IP].tos == 0xB8 and decoded[IP].id == 0xBEEF
    assert decoded[TCP].flags == "PA" and decoded[TCP].seq == 0xDEADBEEF and decoded[TCP].urgptr == 9
