"""Linux cooked capture headers (what `tcpdump -i any` records): SLL (LINKTYPE 113) and SLL2 (276).

They are pseudo-headers written by the capture, never sent; the next layer is chosen by the
EtherType in ``proto``, like Ethernet's.
"""

from __future__ import annotations

from rawnet.wire.fields import FixedBytes, Next, UInt
from rawnet.wire.layer import Layer
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE

#: sll_pkttype values (linux/if_packet.h).
PACKET_TYPES = {0: "host", 1: "broadcast", 2: "multicast", 3: "otherhost", 4: "outgoing"}


class CookedLinux(Layer):
    """Linux cooked capture v1 (SLL): packet type, ARPHRD type, link-layer address, EtherType."""

    __slots__ = ()
    name = "sll"
    pkttype = UInt(16, "Packet type (0 host .. 4 outgoing)", 0)
    lladdrtype = UInt(16, "ARPHRD type of the link-layer address", 1)
    lladdrlen = UInt(16, "Link-layer address length", 6)
    src = FixedBytes(8, "Link-layer address (8 bytes, zero-padded)")
    proto = UInt(16, "Protocol (EtherType)", None, auto=Next(ETHERTYPE), enum=EtherType, hex=True)


class CookedLinux2(Layer):
    """Linux cooked capture v2 (SLL2): EtherType, interface index, ARPHRD type, packet type, address."""

    __slots__ = ()
    name = "sll2"
    proto = UInt(16, "Protocol (EtherType)", None, auto=Next(ETHERTYPE), enum=EtherType, hex=True)
    reserved = UInt(16, "Reserved (MBZ)", 0)
    ifindex = UInt(32, "Interface index", 0)
    lladdrtype = UInt(16, "ARPHRD type of the link-layer address", 1)
    pkttype = UInt(8, "Packet type (0 host .. 4 outgoing)", 0)
    lladdrlen = UInt(8, "Link-layer address length", 6)
    src = FixedBytes(8, "Link-layer address (8 bytes, zero-padded)")
