"""The header compiler: a field table becomes one struct layout and generated code, checked against struct."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.wire import IP, TCP
from rawnet.wire.fields import UInt
from rawnet.wire.layer import Layer


class Sample(Layer):
    """A made-up header: a byte, two nibbles, a 16-bit and a 32-bit field."""

    __slots__ = ()
    name = "sample"
    kind = UInt(8, "Kind", 1)
    high = UInt(4, "High nibble", 2)
    low = UInt(4, "Low nibble", 3)
    port = UInt(16, "Port", 80)
    serial = UInt(32, "Serial", 7)


LAYOUT = struct.Struct("!BBHI")  # the oracle: what struct itself packs for this table


def test_the_fixed_header_is_one_struct() -> None:
    assert Sample.header_len == LAYOUT.size == 8
    assert [field.offset for field in Sample.fields_desc if field.fmt] == [0, 2, 4]
    assert bytes(Sample()) == LAYOUT.pack(1, 0x23, 80, 7)


@given(
    st.integers(0, 255),
    st.integers(0, 15),
    st.integers(0, 15),
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
)
def test_the_generated_code_agrees_with_struct(
    kind: int, high: int, low: int, port: int, serial: int
) -> None:
    data = LAYOUT.pack(kind, high << 4 | low, port, serial)
    expected = {"kind": kind, "high": high, "low": low, "port": port, "serial": serial}
    assert bytes(Sample(**expected)) == data  # constructor and packer
    decoded = Sample.decode(data)
    assert {name: getattr(decoded, name) for name in expected} == expected  # unpacker
    assert {field.name: field.read(data, 0) for field in Sample.fields_desc} == expected  # readers


def test_bit_fields_must_fill_whole_bytes() -> None:
    with pytest.raises(TypeError, match=r"Odd: bit fields \['flag', 'rest'\] add up to 12 bits"):

        class Odd(Layer):
            __slots__ = ()
            flag = UInt(4, "Flag")
            rest = UInt(8, "Rest")


def test_the_constructor_documents_every_field() -> None:
    assert Sample.__init__.__doc__ == "\n".join(
        [
            "Sample: A made-up header: a byte, two nibbles, a 16-bit and a 32-bit field.",
            "",
            "kind: Kind (default 1)",
            "high: High nibble (default 2)",
            "low: Low nibble (default 3)",
            "port: Port (default 80)",
            "serial: Serial (default 7)",
        ]
    )


def test_fields_are_keywords_and_unknown_ones_are_named() -> None:
    with pytest.raises(
        TypeError, match=r"IP\(\) takes fields as keywords \(IP\(version=\.\.\.\)\); decode bytes"
    ):
        IP("198.18.0.2")  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"TCP.__init__\(\) got an unexpected keyword argument 'dpot'"):
        TCP(dpot=80)  # type: ignore[call-arg]
