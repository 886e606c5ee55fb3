"""Ethernet II (DIX / IEEE 802.3 clause 3) and IEEE 802.1Q VLAN tags (stackable: QinQ)."""

from __future__ import annotations

from rawnet.wire.addresses import MAC
from rawnet.wire.fields import FILL, Next, UInt
from rawnet.wire.layer import Layer
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE

#: EtherType used when the payload announces none (scapy's default too).
DEFAULT_ETHERTYPE = 0x9000
_NO_MAC = bytes(6)


class Ether(Layer):
    """Ethernet II header: destination, source, EtherType (values below 0x600 are 802.3 lengths)."""

    __slots__ = ()
    name = "ether"
    # (an unset destination is sent as broadcast, as in scapy; sending fills both: issue 3)
    dst = MAC("Destination MAC address", auto=FILL, none="ff:ff:ff:ff:ff:ff")
    # (an unset source reads and is sent as 00:00:00:00:00:00, as in scapy; sendp fills the interface's)
    src = MAC("Source MAC address", auto=FILL, fill=("dst", lambda dst: _NO_MAC))
    type = UInt(16, "EtherType", None, auto=Next(ETHERTYPE, DEFAULT_ETHERTYPE), enum=EtherType, hex=True)


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
