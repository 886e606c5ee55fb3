"""Ethernet II (DIX / IEEE 802.3 clause 3) and IEEE 802.1Q VLAN tags (stackable: QinQ)."""

from __future__ import annotations

from rawnet.wire.addresses import MAC
from rawnet.wire.fields import FILL, Next, UInt
from rawnet.wire.layer import Layer, Raw
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE

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


class Ether(Layer):
    """Ethernet II header: destination, source, EtherType (values below 0x600 are 802.3 lengths)."""

    __slots__ = ()
    name = "ether"
    # (an unset destination is sent as broadcast, as in scapy; sending fills both: issue 3)
    dst = MAC("Destination MAC address", auto=FILL, none="ff:ff:ff:ff:ff:ff")
    src = MAC("Source MAC address", auto=FILL)
    type = UInt(16, "EtherType", None, auto=Next(ETHERTYPE, DEFAULT_ETHERTYPE), enum=EtherType, hex=True)

    def _summary(self) -> str | None:
        if self.payload is not None and not isinstance(self.payload, Raw):
            return None
        ethertype = self._values()[Ether.slot.type]
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
    type = UInt(
        16,
        "EtherType of the encapsulated frame",
        None,
        auto=Next(ETHERTYPE, DEFAULT_ETHERTYPE),
        enum=EtherType,
        hex=True,
    )

    def _summary(self) -> str | None:
        # Like tcpdump without -e: a tag is link-layer detail, the line is the inner packet's.
        inner = self.payload
        if inner is not None and not isinstance(inner, Raw):
            return None
        return f"802.1Q vlan {self.vlan}, p {self.prio}, ethertype 0x{self.type or 0:04x}"
