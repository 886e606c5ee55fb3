"""scapy's ``pkt.hashret()`` and ``pkt.answers(other)``, protocol by protocol, as scapy 2.8 has them.

hashret() is a key equal for a request and its answer (scapy's sr() buckets by it); answers()
is 1 when the packet answers ``other`` (``a.answers(b)``; ``b < a``, ``a > b``). The rules are
scapy's with its default settings (checkIPsrc, checkIPaddr and checkIPinIP on, checkIPID off),
byte for byte, native-endian packing included, so that code comparing them with scapy's runs
unchanged. rawnet's own sr() matches with rawnet.net.matching, which says why a reply does not
answer. Pure: no I/O.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from rawnet.wire.arp import ARP
from rawnet.wire.dns import DNS
from rawnet.wire.ether import Dot1Q, Ether
from rawnet.wire.icmp import ICMP
from rawnet.wire.icmpv6 import ICMPv6, ICMPv6EchoReply, ICMPv6EchoRequest
from rawnet.wire.igmp import IGMP
from rawnet.wire.ipv4 import IP
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import (
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
)
from rawnet.wire.layer import Layer, Raw
from rawnet.wire.mld import ICMPv6MLQuery, ICMPv6MLQuery2, ICMPv6MLReport, ICMPv6MLReport2
from rawnet.wire.ndp import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS
from rawnet.wire.quoted import ICMPerror, IPerror, IPerror6, TCPerror, UDPerror
from rawnet.wire.sctp import SCTP
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP

_ICMP_ERRORS = (3, 4, 5, 11, 12)
_IGMP_QUERY, _IGMP_REPORTS = 0x11, (0x12, 0x16, 0x22)  # (scapy's IGMP.answers)
_ICMP_ID_SEQ = (0, 8, 13, 14, 15, 16, 17, 18, 37, 38)
_ICMP_PAIRS = ((8, 0), (13, 14), (15, 16), (17, 18), (33, 34), (35, 36), (37, 38))
_ROUTING = (IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting)
_OPTIONS = (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt)
_EXTENSIONS = (*_OPTIONS, *_ROUTING, IPv6ExtHdrFragment)
_ALL_NODES, _ALL_ROUTERS = (
    socket.inet_pton(socket.AF_INET6, "ff02::1"),
    socket.inet_pton(socket.AF_INET6, "ff02::2"),
)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _v4(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET, text)


def _v6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


def _multicast6(text: str) -> bool:
    return _v6(text)[0] == 0xFF


# -- hashret ------------------------------------------------------------------------------------


def hashret(layer: Layer | None) -> bytes:
    """scapy's hashret of ``layer`` and what it carries (b"" for nothing)."""
    if layer is None:
        return b""
    rule = _nearest(_HASHRET, type(layer))
    return rule(layer) if rule is not None else hashret(layer.payload)


def _hash_ip(ip: Any) -> bytes:
    payload = ip.payload
    if ip.proto == 1 and isinstance(payload, ICMP) and payload.type in _ICMP_ERRORS:
        return hashret(payload.payload)
    if ip.dst == "224.0.0.251":  # mDNS
        return struct.pack("B", ip.proto) + hashret(payload)
    return _xor(_v4(ip.src), _v4(ip.dst)) + struct.pack("B", ip.proto) + hashret(payload)


def _hash_ipv6(ip6: Any) -> bytes:
    payload = ip6.payload
    if ip6.nh == 58 and isinstance(payload, ICMPv6):
        if payload.type < 128:
            return hashret(payload.payload)
        if payload.type in (133, 134, 135, 136, 144, 145):
            return struct.pack("B", ip6.nh) + hashret(payload)
    nh, destination, source = ip6.nh, ip6.dst, ip6.src
    if ip6.nh == 43 and isinstance(payload, IPv6ExtHdrRouting):
        nh = payload.nh
        addresses = list(payload.addresses)
        folded = _v6(addresses[-1] if addresses else "::1")
        for address in addresses:
            folded = _xor(folded, _v6(address))
        destination = socket.inet_ntop(socket.AF_INET6, folded)
    if ip6.nh == 43 and isinstance(payload, IPv6ExtHdrSegmentRouting):
        destination = payload.addresses[0] if payload.addresses else ip6.dst
    if ip6.nh in (44, 0, 60) and isinstance(
        payload, IPv6ExtHdrFragment | IPv6ExtHdrHopByHop | IPv6ExtHdrDestOpt
    ):
        nh = payload.nh
    if not _multicast6(destination):
        return _xor(_v6(destination), _v6(source)) + struct.pack("B", nh) + hashret(payload)
    return struct.pack("B", nh) + hashret(payload)


_HASHRET: dict[type, Callable[[Any], bytes]] = {
    Ether: lambda layer: struct.pack("H", layer.type) + hashret(layer.payload),
    ARP: lambda layer: (
        struct.pack(">HHH", layer.hwtype, layer.ptype, (layer.op + 1) // 2) + hashret(layer.payload)
    ),
    IP: _hash_ip,
    IPv6: _hash_ipv6,
    TCP: lambda layer: struct.pack("H", layer.sport ^ layer.dport) + hashret(layer.payload),
    ICMP: lambda layer: (
        (struct.pack("HH", layer.id, layer.seq) if layer.type in _ICMP_ID_SEQ else b"")
        + hashret(layer.payload)
    ),
    ICMPv6EchoRequest: lambda layer: struct.pack("HH", layer.id, layer.seq) + hashret(layer.payload),
    ICMPv6EchoReply: lambda layer: struct.pack("HH", layer.id, layer.seq) + hashret(layer.payload),
    ICMPv6ND_NS: lambda layer: layer.tgt.encode() + hashret(layer.payload),
    ICMPv6ND_NA: lambda layer: layer.tgt.encode() + hashret(layer.payload),
}


# -- answers ------------------------------------------------------------------------------------


def answers(layer: Layer | None, other: Layer | None, under: Layer | None = None) -> Any:
    """True (1) when ``layer`` (a reply) answers ``other`` (a request), as scapy's answers(),
    which gives an int or a bool depending on the protocol (so do these); ``under`` is the layer
    carrying ``layer`` (scapy's underlayer), which some rules look at."""
    if layer is None:
        return other is None
    rule = _nearest(_ANSWERS, type(layer))
    if rule is not None:
        return rule(layer, other, under)
    if other is not None and type(other) is type(layer):  # scapy's Packet.answers
        return answers(layer.payload, other.payload, layer)
    return 0


def _tcp(reply: Any, query: Any, under: Any) -> int:
    if not isinstance(query, TCP) or query.flags.R:  # RST packets get no answers
        return 0
    if reply.flags.S and (not reply.flags.A or not query.flags.S):
        return 0  # a SYN without ACK answers nothing; a SYN-ACK answers a SYN
    if (reply.sport, reply.dport) != (query.dport, query.sport):
        return 0
    if not (query.flags.S and not query.flags.A) and abs(query.ack - reply.seq) > 2:
        return 0
    if reply.flags.R and not reply.flags.A:
        return 1
    carried = query.payload
    return int(abs(query.seq - reply.ack) <= 2 + (0 if carried is None else len(bytes(carried))))


def _ip(reply: Any, query: Any, under: Any) -> Any:
    if not isinstance(query, IP):
        return 0
    if query.dst == "224.0.0.251" and reply.dst == "224.0.0.251":
        return answers(reply.payload, query.payload, reply)
    if reply.dst != query.src:
        return 0
    payload = reply.payload
    if reply.proto == 1 and isinstance(payload, ICMP) and payload.type in _ICMP_ERRORS:
        return answers(payload.payload, query, payload)
    if reply.src != query.dst or reply.proto != query.proto:
        return 0
    return answers(payload, query.payload, reply)


def _ipv6(reply: Any, query: Any, under: Any) -> Any:
    if not isinstance(query, IPv6):
        return False
    sd, qs, qd = _v6(reply.dst), _v6(query.src), _v6(query.dst)
    payload, asked = reply.payload, query.payload
    if _multicast6(query.dst):
        if _multicast6(reply.dst):
            if qd == sd or (sd == _ALL_NODES and qd == _ALL_ROUTERS):
                return answers(payload, asked, reply)
            return False
        if qs == sd:
            return answers(payload, asked, reply)
        return False
    if sd != qs:
        return False
    if reply.nh == 58 and isinstance(payload, ICMPv6) and payload.type < 128:
        return answers(payload.payload, query, payload)
    if query.nh == 0 and isinstance(asked, IPv6ExtHdrHopByHop):
        return answers(payload, asked, reply)
    if query.nh in (44, 43) and isinstance(
        asked, IPv6ExtHdrFragment | IPv6ExtHdrRouting | IPv6ExtHdrSegmentRouting
    ):
        return answers(payload, asked.payload, reply)
    if query.nh == 60 and isinstance(asked, IPv6ExtHdrDestOpt):
        for transport in (UDP, TCP):
            if transport in reply and transport in query:
                return answers(reply[transport], query[transport])
        return answers(payload, asked.payload, reply)
    if reply.nh == 60 and isinstance(payload, IPv6ExtHdrDestOpt):
        return answers(payload.payload, asked, payload)
    if reply.nh != query.nh:
        return False
    return answers(payload, asked, reply)


def _iperror(quote: Any, query: Any, under: Any) -> Any:
    if not isinstance(query, IP):
        return 0
    if (quote.src, quote.dst, quote.proto) != (query.src, query.dst, query.proto):
        return 0
    return answers(quote.payload, query.payload, quote)


def _iperror6(quote: Any, query: Any, under: Any) -> bool:
    if not isinstance(query, IPv6):
        return False
    if not (isinstance(under, ICMPv6) and under.type < 128):
        return False
    mine, theirs = quote.payload, query.payload
    while isinstance(mine, _EXTENSIONS):
        mine = mine.payload
    routed = False
    while isinstance(theirs, _EXTENSIONS):
        routed = routed or isinstance(theirs, IPv6ExtHdrRouting)
        theirs = theirs.payload
    if quote.src != query.src or (quote.dst != query.dst and not routed):
        return False
    if isinstance(mine, TCP) and isinstance(theirs, TCP) and mine.options != theirs.options:  # MSS clamped
        mine, theirs = _unclamped(mine), _unclamped(theirs)
    ours, sent = (b"" if mine is None else bytes(mine)), (b"" if theirs is None else bytes(theirs))
    size = min(len(ours), len(sent))
    return ours[:size] == sent[:size]


def _unclamped(segment: Any) -> Any:
    copy = segment.copy()
    copy.options, copy.chksum, copy.dataofs = [], 0, 0
    return copy


def _icmp(reply: Any, query: Any, under: Any) -> int:
    if not isinstance(query, ICMP):
        return 0
    return int((query.type, reply.type) in _ICMP_PAIRS and (reply.id, reply.seq) == (query.id, query.seq))


def _icmperror(quote: Any, query: Any, under: Any) -> int:
    if not isinstance(query, ICMP) or (quote.type, quote.code) != (query.type, query.code):
        return 0
    if quote.code in (0, 8, 13, 14, 17, 18):
        return int((quote.id, quote.seq) == (query.id, query.seq))
    return 1


def _icmpv6(reply: Any, query: Any, under: Any) -> int:
    if isinstance(under, IPerror6) or (isinstance(under, _EXTENSIONS) and isinstance(query, ICMPv6)):
        return int(isinstance(query, ICMPv6) and (reply.type, reply.code) == (query.type, query.code))
    return 0


def _arp(reply: Any, query: Any, under: Any) -> bool:
    if not isinstance(query, ARP) or reply.op != query.op + 1:
        return False
    source, target = _arp_address(reply, "psrc"), _arp_address(query, "pdst")
    return source[: len(target)] == target[: len(source)]


def _arp_address(arp: Any, name: str) -> bytes:
    value = arp._values()[getattr(ARP.slot, name)]
    return bytes(value) if value is not None else bytes(4)


def _ether(reply: Any, query: Any, under: Any) -> Any:
    if isinstance(query, Ether) and reply.type == query.type:
        return answers(reply.payload, query.payload, reply)
    return 0


def _dot1q(reply: Any, query: Any, under: Any) -> Any:
    if isinstance(query, Dot1Q):
        if (reply.type, reply.vlan) == (query.type, query.vlan):
            return answers(reply.payload, query.payload, reply)
        return 0
    return answers(reply.payload, query, reply)


def _udp(reply: Any, query: Any, under: Any) -> Any:
    if isinstance(query, UDP) and reply.dport == query.sport:
        return answers(reply.payload, query.payload, reply)
    return 0


def _same_ports(quote: Any, query: Any, transport: type) -> int:
    """TCPerror's and UDPerror's rule: the quote holds the query's own ports."""
    if not isinstance(query, transport):
        return 0
    ports: tuple[Any, Any] = (getattr(query, "sport", None), getattr(query, "dport", None))
    return int((quote.sport, quote.dport) == ports)


def _echo_reply(reply: Any, query: Any, under: Any) -> bool:
    if not isinstance(query, ICMPv6EchoRequest):
        return False
    return bool((reply.id, reply.seq, reply.data) == (query.id, query.seq, query.data))


# Each rule returns what scapy's answers() of that class returns: an int or a bool.
_ANSWERS: dict[type, Callable[[Any, Any, Any], Any]] = {
    Raw: lambda reply, query, under: 1,
    Ether: _ether,
    Dot1Q: _dot1q,
    ARP: _arp,
    IP: _ip,
    IPerror: _iperror,
    IPv6: _ipv6,
    IPerror6: _iperror6,
    TCP: _tcp,
    TCPerror: lambda quote, query, under: _same_ports(quote, query, TCP),
    UDP: _udp,
    UDPerror: lambda quote, query, under: _same_ports(quote, query, UDP),
    ICMP: _icmp,
    ICMPerror: _icmperror,
    ICMPv6: _icmpv6,
    ICMPv6EchoReply: _echo_reply,
    ICMPv6ND_RA: lambda reply, query, under: isinstance(query, ICMPv6ND_RS),
    ICMPv6ND_NA: lambda reply, query, under: isinstance(query, ICMPv6ND_NS) and reply.tgt == query.tgt,
    IGMP: lambda reply, query, under: (
        isinstance(query, IGMP) and query.type == _IGMP_QUERY and reply.type in _IGMP_REPORTS
    ),
    ICMPv6MLReport: lambda reply, query, under: query is not None and ICMPv6MLQuery in query,
    ICMPv6MLReport2: lambda reply, query, under: isinstance(query, ICMPv6MLQuery2),
    # scapy's SCTP.answers: the ports swapped, whatever the chunks
    SCTP: lambda reply, query, under: int(
        isinstance(query, SCTP) and reply.sport == query.dport and reply.dport == query.sport
    ),
    DNS: lambda reply, query, under: (
        isinstance(query, DNS) and reply.id == query.id and reply.qr == 1 and query.qr == 0
    ),
}


def _nearest(table: dict[type, Any], cls: type) -> Any:
    for base in cls.__mro__:
        found = table.get(base)
        if found is not None:
            return found
    return None
