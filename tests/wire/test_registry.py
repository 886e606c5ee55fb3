"""The registry: one table from numbers to layers, both ways; a new protocol is one module + one line."""

from __future__ import annotations

import pytest

from rawnet import Ether, Raw
from rawnet.wire.fields import UInt
from rawnet.wire.layer import Layer
from rawnet.wire.registry import ETHERTYPE, LAYERS, Registry

LOCAL_EXPERIMENTAL = 0x88B5  # IEEE 802 local experimental EtherType 1


class Probe(Layer):
    """A toy protocol defined by the test: two fields."""

    __slots__ = ()
    name = "probe"
    tag = UInt(16, "Tag", 7)
    count = UInt(8, "Count", 1)


LAYERS.register(ETHERTYPE, LOCAL_EXPERIMENTAL, Probe)


def test_duplicate_registration_raises() -> None:
    registry = Registry()
    registry.register(ETHERTYPE, 0x1234, Probe)
    with pytest.raises(ValueError, match="already registered to Probe"):
        registry.register(ETHERTYPE, 0x1234, Raw)


def test_a_registered_protocol_builds_and_decodes_through_ether() -> None:
    wire = bytes(Ether() / Probe(tag=0xABCD, count=3) / b"rest")
    assert wire[12:14] == LOCAL_EXPERIMENTAL.to_bytes(2, "big")  # the EtherType came from the table
    assert wire[14:17] == b"\xab\xcd\x03"
    decoded = Ether.decode(wire)
    assert decoded[Probe].tag == 0xABCD and decoded[Probe].count == 3
    assert decoded[Raw].load == b"rest"


def test_lookup_both_ways_and_subclasses() -> None:
    class ProbeV2(Probe):
        __slots__ = ()

    assert LAYERS.lookup(ETHERTYPE, LOCAL_EXPERIMENTAL) is Probe
    assert LAYERS.number(ETHERTYPE, Probe) == LOCAL_EXPERIMENTAL
    assert LAYERS.number(ETHERTYPE, ProbeV2) == LOCAL_EXPERIMENTAL  # nearest registered base
    assert LAYERS.lookup(ETHERTYPE, 0xFFFE) is None
