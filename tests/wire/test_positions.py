"""Named field positions: ``Cls.slot.NAME`` (the index in the values list) and ``Cls.span.NAME``
(the bytes of the fixed header), held to struct's offsets, to the RFCs' field order and to the
bytes a field actually changes when built."""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.wire import IP, TCP, UDP, IPv6, IPv6ExtHdrHopByHop
from rawnet.wire.addresses import AddressField
from rawnet.wire.layer import Layer
from tests.wire.test_compiler import Sample

# Each header as struct sees it: (struct code, the fields the item holds), in wire order, from
# the RFCs' header diagrams (RFC 791 3.1, RFC 9293 3.1, RFC 768, RFC 8200 3); the variable part
# (options) follows the fixed header.
ITEMS: dict[type[Layer], list[tuple[str, tuple[str, ...]]]] = {
    Sample: [("B", ("kind",)), ("B", ("high", "low")), ("H", ("port",)), ("I", ("serial",))],
    IP: [
        ("B", ("version", "ihl")),
        ("B", ("tos",)),
        ("H", ("len",)),
        ("H", ("id",)),
        ("H", ("flags", "frag")),
        ("B", ("ttl",)),
        ("B", ("proto",)),
        ("H", ("chksum",)),
        ("4s", ("src",)),
        ("4s", ("dst",)),
    ],
    TCP: [
        ("H", ("sport",)),
        ("H", ("dport",)),
        ("I", ("seq",)),
        ("I", ("ack",)),
        ("H", ("dataofs", "reserved", "flags")),
        ("H", ("window",)),
        ("H", ("chksum",)),
        ("H", ("urgptr",)),
    ],
    UDP: [("H", ("sport",)), ("H", ("dport",)), ("H", ("len",)), ("H", ("chksum",))],
    IPv6: [
        ("I", ("version", "tc", "fl")),
        ("H", ("plen",)),
        ("B", ("nh",)),
        ("B", ("hlim",)),
        ("16s", ("src",)),
        ("16s", ("dst",)),
    ],
}
VARIABLE = {IP: ("options",), TCP: ("options",)}
#: Values of the computed fields, so that a build sends every field as given.
AS_GIVEN: dict[type[Layer], dict[str, Any]] = {
    Sample: {},
    IP: {"ihl": 5, "len": 20, "proto": 0, "chksum": 0},
    TCP: {"dataofs": 5, "chksum": 0},
    UDP: {"len": 8, "chksum": 0},
    IPv6: {"plen": 0, "nh": 59},
}
CLASSES = list(ITEMS)


def _struct_items(cls: type[Layer]) -> dict[str, range]:
    """Each fixed field's struct item, as the bytes struct gives it."""
    out = {}
    codes = "!"
    for code, names in ITEMS[cls]:
        start = struct.calcsize(codes)
        codes += code
        for name in names:
            out[name] = range(start, struct.calcsize(codes))
    return out


def _bytes_changed(cls: type[Layer], name: str) -> range:
    """The bytes of ``cls``'s fixed header that differ between the field at 0 and at all ones."""
    maximum = cls.get_field(name).maximum  # type: ignore[attr-defined]
    low = bytes(cls(**{**AS_GIVEN[cls], name: 0}))[: cls.header_len]
    high = bytes(cls(**{**AS_GIVEN[cls], name: maximum}))[: cls.header_len]
    changed = [at for at in range(cls.header_len) if low[at] != high[at]]
    return range(changed[0], changed[-1] + 1)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_fixed_header_is_what_struct_says(cls: type[Layer]) -> None:
    assert cls.header_len == struct.calcsize("!" + "".join(code for code, _ in ITEMS[cls]))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_a_span_is_its_struct_item_or_the_bytes_its_bits_are_in(cls: type[Layer]) -> None:
    items = _struct_items(cls)
    grouped = {name for _, names in ITEMS[cls] if len(names) > 1 for name in names}
    for name, item in items.items():
        span = getattr(cls.span, name)
        if name in grouped:  # a bit field: within its item, exactly the bytes its bits change
            assert span.start >= item.start and span.stop <= item.stop, name
            assert span == _bytes_changed(cls, name), name
        else:
            assert span == item, name
            if not isinstance(cls.get_field(name), AddressField):
                assert _bytes_changed(cls, name) == item, name
    assert set(vars(cls.span)) - {"_label"} == set(items)  # the variable part has no span


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_a_slot_is_the_fields_place_in_the_rfc_order(cls: type[Layer]) -> None:
    order = [name for _, names in ITEMS[cls] for name in names] + list(VARIABLE.get(cls, ()))
    assert {name: getattr(cls.slot, name) for name in order} == {name: at for at, name in enumerate(order)}
    numbers = [field for field in cls.fields_desc if field.fmt and not isinstance(field, AddressField)]
    layer = cls(**{field.name: at + 1 for at, field in enumerate(numbers)})  # each a value of its own
    values = layer._values()
    assert [values[getattr(cls.slot, field.name)] for field in numbers] == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_the_bytes_of_a_span_hold_the_fields_value(cls: type[Layer], data: st.DataObject) -> None:
    buf = data.draw(st.binary(min_size=cls.header_len, max_size=cls.header_len))
    for field in cls.fields_desc:
        if field.fmt and field.offset is not None:  # a whole struct item: its bytes are the value
            chunk = buf[getattr(cls.span, field.name).start : getattr(cls.span, field.name).stop]
            expected: Any = int.from_bytes(chunk, "big")
            if isinstance(field, AddressField):
                expected = str(ipaddress.ip_address(chunk)) if len(chunk) in (4, 16) else None
            if expected is not None:
                assert field.read is not None
                assert field.read(buf, 0) == expected, field.name


def test_the_positions_named_in_the_protocol_code() -> None:
    assert TCP.span.dport == range(2, 4)
    assert TCP.span.chksum == range(16, 18)
    assert IP.span.ttl == range(8, 9)
    assert IP.span.frag == range(6, 8) and IP.span.flags == range(6, 7)
    assert UDP.span.chksum == range(6, 8)
    assert IP.slot.options == 12 and TCP.slot.options == 10
    assert IP.slot.ttl == 7 and UDP.slot.len == 2


def test_an_unknown_name_raises_attribute_error_naming_the_class() -> None:
    with pytest.raises(AttributeError, match=r"^TCP\.slot has no field 'nope'$"):
        TCP.slot.nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"^UDP\.span has no field 'nope'$"):
        UDP.span.nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"^IP\.span has no field 'options'$"):
        IP.span.options  # noqa: B018 - a variable part has a slot, not a span
    assert not hasattr(TCP.span, "options") and hasattr(TCP.slot, "options")
    assert getattr(IP.slot, "nope", None) is None


def test_a_subclass_without_fields_of_its_own_names_itself() -> None:
    class Narrow(Sample):
        __slots__ = ()

    assert Narrow.slot.port == Sample.slot.port and Narrow.span.port == Sample.span.port
    with pytest.raises(AttributeError, match=r"^Narrow\.slot has no field 'nope'$"):
        Narrow.slot.nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"^IPv6ExtHdrHopByHop\.span has no field 'nope'$"):
        IPv6ExtHdrHopByHop.span.nope  # noqa: B018
