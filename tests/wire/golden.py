"""Golden-frame checks shared by the protocol tests: tshark's view, and decoding back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import strategies as st

from rawnet.wire.layer import Layer
from rawnet.wire.registry import LAYERS, UDP_PORT
from tests.oracle import LINKTYPE_ETHERNET, tshark_fields


def tshark_by_name(
    golden: Mapping[str, tuple[Layer, Any, Any]], linktype: int = LINKTYPE_ETHERNET
) -> dict[str, dict[str, list[str]]]:
    """tshark's fields of each golden packet (one tshark run for all), by name."""
    names = list(golden)
    fields = tshark_fields([bytes(golden[name][0]) for name in names], linktype)
    return dict(zip(names, fields, strict=True))


def assert_matches_tshark(expected: Mapping[str, list[str]], seen: Mapping[str, list[str]]) -> None:
    """Every expected field has tshark's values, and tshark found nothing malformed."""
    for key, values in expected.items():
        assert seen.get(key) == values, (key, seen.get(key))
    assert not any(key.startswith("_ws.malformed") for key in seen), seen


def assert_decodes_back(
    start: type[Layer], packet: Layer, fields: Iterable[tuple[type[Layer], str, Any]]
) -> None:
    """The packet's bytes decode to the expected values, rebuild to the same bytes, verify clean."""
    wire = bytes(packet)
    decoded = start.decode(wire)
    for cls, field, value in fields:
        assert getattr(decoded[cls], field) == value, (cls.__name__, field)
    assert bytes(decoded) == wire
    assert decoded.verify() == []
    assert [kind(layer) for layer in decoded.layers()] == [kind(layer) for layer in packet.layers()]


def kind(layer: Layer) -> type[Layer]:
    """A layer's format: its class, or the one a quote class (IPerror, UDPerror...) is the same as."""
    return type(layer).same_as or type(layer)


def assert_same_except_computed(built: Layer, decoded: Layer) -> None:
    """Every field ``built`` set holds the same value in ``decoded`` (computed ones are left out)."""
    for have, got in zip(built.layers(), decoded.layers(), strict=True):
        assert kind(have) is kind(got)
        for field in have.fields_desc:
            value = have._values()[field.index]
            if value is not None:
                assert got._values()[field.index] == value, (type(have).__name__, field.name)


#: UDP ports no application protocol claims (random data after them stays Raw).
UNCLAIMED_UDP_PORTS = st.integers(0, 0xFFFF).filter(lambda port: LAYERS.lookup(UDP_PORT, port) is None)
