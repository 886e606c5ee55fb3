"""Ethernet II (DIX / IEEE 802.3 clause 3) and IEEE 802.1Q VLAN tags (stackable: QinQ)."""

from __future__ import annotations

from rawnet.wire.addresses import MAC
from rawnet.wire.fields import FILL, NEXT, UInt
from rawnet.wire.layer import Layer, LayerClass, Raw
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE, LAYERS

_ETHERTYPES = LAYERS.table(ETHERTYPE)
_number_for = LAYERS.number_for

_BROADCAST = b"\xff" * 6  # an unset destination, as in scapy (sending fills it: issue 3)
_UNSET = bytes(6)

#: EtherType used when the payload announces none (scapy's default too).
DEFAULT_ETHERTYPE = 0x9000


#: tcpdump's names where they differ from EtherType's (print-ether.c's ethertype_values).
_TCPDUMP_NAMES = {0x8100: "802.1Q", 0x88A8: "802.1Q-QinQ", 0x9100: "802.1Q-9100", 0x9200: "802.1Q-9200"}


def ethertype_text(number: int) -> str:
    """An EtherType as tcpdump prints it: ``IPv4 (0x0800)``, ``802.1Q (0x8100)``, ``Unknown (0x1234)``."""
    name = _TCPDUMP_NAMES.get(number)
    if name is None:
        name = EtherType(number).name
        if name.startswith("unknown_"):
            name = "Unknown"
    return f"{name} (0x{number:04x})"


def _ethertype_for(layer: Layer, stored: int | None) -> int:
    if stored is not None:
        return stored
    return _number_for(ETHERTYPE, layer._payload, DEFAULT_ETHERTYPE)


class Ether(Layer):
    """Ethernet II header: destination, source, EtherType (values below 0x600 are 802.3 lengths)."""

    __slots__ = ()
    name = "ether"
    dst = MAC("Destination MAC address", auto=FILL, none="ff:ff:ff:ff:ff:ff")
    src = MAC("Source MAC address", auto=FILL)
    type = UInt(16, "EtherType", None, auto=NEXT, enum=EtherType, hex=True)

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf, offset = self._buf, self._off
        return _ETHERTYPES.get(buf[offset + 12] << 8 | buf[offset + 13], Raw), 0

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        payload = self._build_payload(None)
        built = self._built  # the header of the last build, while no field changed (see IP._build)
        if (
            built.__class__ is not tuple or built[0] is not self._payload.__class__
        ):  # (or the fused builder's)
            ethertype = _ethertype_for(self, values[2])
            header = (values[0] or _BROADCAST) + (values[1] or _UNSET) + ethertype.to_bytes(2, "big")
            built = self._built = (self._payload.__class__, header)
        return built[1] + payload + self.padding if self.padding else built[1] + payload  # type: ignore[no-any-return]

    def _summary(self) -> str | None:
        if self.payload is not None and not isinstance(self.payload, Raw):
            return None
        ethertype = self._values()[2]
        what = (
            f"ethertype {ethertype_text(ethertype)}"
            if ethertype is not None and ethertype >= 0x600
            else "802.3"
        )
        return f"{self.src} > {self.dst}, {what}, length {len(self.build())}"


class Dot1Q(Layer):
    """IEEE 802.1Q tag: priority (PCP), drop eligible (DEI), VLAN id, then the inner EtherType."""

    __slots__ = ()
    name = "dot1q"
    prio = UInt(3, "Priority Code Point", 0)
    dei = UInt(1, "Drop Eligible Indicator", 0)
    vlan = UInt(12, "VLAN Identifier", 1)
    type = UInt(16, "EtherType of the encapsulated frame", None, auto=NEXT, enum=EtherType, hex=True)

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf, offset = self._buf, self._off
        return _ETHERTYPES.get(buf[offset + 2] << 8 | buf[offset + 3], Raw), 0

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        payload = self._build_payload(None)
        return self._pack(_ethertype_for(self, values[3])) + payload + self.padding

    def _summary(self) -> str | None:
        # Like tcpdump without -e: a tag is link-layer detail, the line is the inner packet's.
        inner = self.payload
        if inner is not None and not isinstance(inner, Raw):
            return None
        values = self._values()
        return f"802.1Q vlan {values[2]}, p {values[0]}, ethertype 0x{values[3] or 0:04x}"


LAYERS.register(ETHERTYPE, 0x8100, Dot1Q)
LAYERS.register(ETHERTYPE, 0x88A8, Dot1Q)
