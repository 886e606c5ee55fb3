"""Address fields (addresses.py): MAC, IPv4 and IPv6 text forms to wire and back, defaults, errors."""

from __future__ import annotations

import re

import pytest

from rawnet import IP, Ether, FieldValueError


def message(text: str) -> str:
    return re.escape(text)


# -- MAC addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("02:00:00:00:00:0a", b"\x02\x00\x00\x00\x00\x0a"),
        ("02:00:00:00:00:0A", b"\x02\x00\x00\x00\x00\x0a"),
        ("02-00-00-00-00-0b", b"\x02\x00\x00\x00\x00\x0b"),
        ("2:0:0:0:0:c", b"\x02\x00\x00\x00\x00\x0c"),
    ],
)
def test_mac_text_forms_to_wire_and_back(text: str, wire: bytes) -> None:
    frame = bytes(Ether(src=text, dst="02:00:00:00:00:01", type=0x9000))
    assert frame[6:12] == wire
    canonical = ":".join(f"{byte:02x}" for byte in wire)
    assert Ether(src=text).src == canonical
    assert Ether.decode(frame).src == canonical
    assert Ether(src=wire).src == canonical  # six wire bytes are taken as they are


def test_mac_defaults_are_broadcast_and_zero() -> None:
    frame = bytes(Ether(type=0x9000))
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == bytes(6)


@pytest.mark.parametrize(
    "value",
    ["02:00:00:00:00", "02:00:00:00:00:00:01", "02:00:00:00:00:0g", "002:00:00:00:00:01", "", 5, b"\x02"],
)
def test_bad_mac_names_class_field_and_value(value: object) -> None:
    text = f"Ether.src must be an Ethernet (aa:bb:cc:dd:ee:ff) address, got {value!r}"
    with pytest.raises(FieldValueError, match=message(text)):
        Ether(src=value)


# -- IPv4 addresses -----------------------------------------------------------------------


def test_ipv4_text_to_wire_and_back() -> None:
    wire = bytes(IP(src="198.18.0.1", dst="198.19.255.254"))
    assert wire[12:16] == bytes([198, 18, 0, 1]) and wire[16:20] == bytes([198, 19, 255, 254])
    decoded = IP.decode(wire)
    assert decoded.src == "198.18.0.1" and decoded.dst == "198.19.255.254"


def test_ipv4_defaults_loopback_to_loopback_and_a_zero_source_elsewhere() -> None:
    wire = bytes(IP())  # scapy's raw(IP()), and the kernel's choice of source for 127.0.0.1
    assert wire == bytes.fromhex("450000140001000040007ce77f0000017f000001")
    assert IP().src == "127.0.0.1" and IP(dst="127.9.9.9").src == "127.0.0.1"
    other = IP(dst="198.18.0.2")  # the route's source is chosen when sent: built and read as 0.0.0.0
    assert other.src == "0.0.0.0" and bytes(other)[12:16] == bytes(4)
    assert other._values()[IP.slot.src] is None  # (still "fill me" for send())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dst", "198.18.0.256"),
        ("dst", "198.18.0"),
        ("src", "198.18.0.1/33"),
        ("src", "2001:db8::1"),
        ("dst", 3323068417),
        ("dst", 1.5),
    ],
)
def test_bad_ipv4_names_class_field_and_value(field: str, value: object) -> None:
    with pytest.raises(FieldValueError, match=message(f"IP.{field} must be an IPv4 address, got {value!r}")):
        IP(**{field: value})


@pytest.mark.parametrize("field", ["src", "dst"])
def test_ipv4_address_given_as_wire_bytes(field: str) -> None:
    packet = IP(**{field: bytes([198, 18, 0, 9])})
    assert getattr(packet, field) == "198.18.0.9"
    with pytest.raises(FieldValueError, match=message(f"IP.{field} must be an IPv4 address")):
        IP(**{field: b"\xc6\x12"})


def test_ipv4_wire_bytes_assigned_after_construction() -> None:
    packet = IP()
    packet.dst = bytes([198, 18, 0, 9])
    assert packet.dst == "198.18.0.9"
    with pytest.raises(FieldValueError, match=message("IP.dst must be an IPv4 address, got b'\\xc6\\x12'")):
        packet.dst = b"\xc6\x12"
