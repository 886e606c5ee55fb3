"""tcpdump's one-line text for a packet (its -n -S output, without -v or -e): presentation only.

``summary(packet)`` asks each layer from the outside in for its line; the first that has one
speaks (a link header carrying a protocol lets that protocol speak). A layer's line comes from
the render function ``_RENDER`` holds for its class (a subclass takes its nearest base's), one
per protocol in the order of the protocol modules, each beside tcpdump's name tables it uses
(print-*.c). This module imports the protocol modules and only reads them; they never import
it (``Layer.summary()`` reaches it through rawnet/wire/__init__.py). Never I/O, never globals:
the one piece of state, a capture's TCP connections for tcpdump's relative sequence numbers
(Conversations), is the caller's, lent to the lines made inside ``relative_sequences()``
(a ContextVar, so threads and tasks never see another's).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

from rawnet.errors import DecodeError
from rawnet.wire import printers
from rawnet.wire.arp import ARP, ETHERTYPE_IPV4, ARPOp
from rawnet.wire.checksum import internet_checksum, pseudo_header_sum_bytes
from rawnet.wire.compiler import reader
from rawnet.wire.ether import Dot1Q, Ether
from rawnet.wire.icmp import ICMP, DestUnreachCode, ICMPType
from rawnet.wire.icmpv6 import (
    ICMPv6,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
)
from rawnet.wire.ipv4 import IP
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import (
    DESTINATION_OPTIONS,
    EXTENSION_HEADERS,
    FRAGMENT_HEADER,
    HOP_BY_HOP,
    NO_NEXT_HEADER,
    ROUTING,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    next_header,
)
from rawnet.wire.layer import CUT, Layer, Raw, Undecoded
from rawnet.wire.ndp import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_Redirect
from rawnet.wire.numbers import EtherType, IPProto
from rawnet.wire.printers.llc import llc_text
from rawnet.wire.registry import ETHERTYPE, LAYERS
from rawnet.wire.sll import CookedLinux, CookedLinux2
from rawnet.wire.tcp import OPTION_KINDS, TCP, decode_options
from rawnet.wire.udp import UDP

_T = TypeVar("_T")


#: The network header around a transport, (family, src, dst): tcpdump begins the transport's
#: line with its addresses. The family is "IP" or "IP6"; a transport alone says its own name.
Carrier = tuple[str, str, str]


class Detail(NamedTuple):
    """What a layer's line shows beyond tcpdump's one line: its -v level (0: none, 1: -v, 2: -vv),
    and from the network header around a transport, what its checksum check needs."""

    verbose: int = 0
    #: The pseudo-header's addresses (source, final destination), for checksums; b"": none.
    addresses: bytes = b""
    #: In a fragment: tcpdump checks no checksum there.
    fragment: bool = False
    #: Bytes missing at the end (an ICMP error's quote cut short): the line shows what the
    #: headers say, and no checksum is computed.
    cut: int = 0
    #: Bytes of the transport the capture did not keep (its snapshot length cut the packet; or
    #: what a length says is not there): the sizes shown count them, and no checksum is computed.
    unseen: int = 0
    #: Bytes at the end of the frame the capture did not keep (its wirelen less its bytes).
    lost: int = 0


_PLAIN = Detail()

#: A protocol's render function: its layer's line (under the network header ``carrier`` for a
#: transport, None when it is alone) at the detail asked, or None to let the layer's payload speak.
Render = Callable[[Any, Carrier | None, Detail], str | None]


class Conversations:
    """tcpdump's relative TCP sequence numbers (its default; -S turns them off): per connection,
    the sequence numbers of its first segment with ACK (or of a SYN, which starts it anew) are
    the bases that later segments' seq, ack and SACK edges are shown from. One per capture."""

    def __init__(self) -> None:
        # (the connection in tcpdump's order) -> [the base of its seq, the base of its ack]
        self._bases: dict[tuple[bytes, bytes, int, int], list[int]] = {}

    def relative(
        self, family: str, src: str, dst: str, ports: tuple[int, int], seq: int, ack: int, syn: bool
    ) -> tuple[int, int, int, int, bool]:
        """(seq, ack) as tcpdump shows them, its two bases and whether the segment goes the
        other way (tcpdump's print-tcp.c: the lower port, or address, is the first end)."""
        kind = socket.AF_INET6 if family == "IP6" else socket.AF_INET
        source, target = socket.inet_pton(kind, src), socket.inet_pton(kind, dst)
        sport, dport = ports
        back = sport > dport or (sport == dport and source > target)
        key = (target, source, dport, sport) if back else (source, target, sport, dport)
        bases = self._bases.get(key)
        if bases is None or syn:  # a new connection: shown as sent, and its bases kept
            bases = self._bases[key] = [(ack - 1) & _U32, seq] if back else [seq, (ack - 1) & _U32]
            return seq, ack, bases[0], bases[1], back
        base_seq, base_ack = bases
        if back:
            return (seq - base_ack) & _U32, (ack - base_seq) & _U32, base_seq, base_ack, back
        return (seq - base_seq) & _U32, (ack - base_ack) & _U32, base_seq, base_ack, back


_U32 = 0xFFFFFFFF
#: The capture whose TCP numbers are shown relative, while a line is made (relative_sequences).
_CONVERSATIONS: ContextVar[Conversations | None] = ContextVar("conversations", default=None)


@contextlib.contextmanager
def relative_sequences(conversations: Conversations | None) -> Iterator[None]:
    """The summaries made inside show TCP numbers relative to ``conversations``' (None: as sent)."""
    token = _CONVERSATIONS.set(conversations)
    try:
        yield
    finally:
        _CONVERSATIONS.reset(token)


#: Whether lines name their protocol ("IP ", "IP6 ", "ARP, "): tcpdump -e leaves every such tag
#: out, nested ones too, since the link header before the line has said what follows.
_TAGGED: ContextVar[bool] = ContextVar("tagged", default=True)


@contextlib.contextmanager
def link_level() -> Iterator[None]:
    """The summaries made inside are tcpdump -e's: no "IP ", "IP6 " or "ARP, " tag anywhere."""
    token = _TAGGED.set(False)
    try:
        yield
    finally:
        _TAGGED.reset(token)


def _tag(name: str) -> str:
    """``name`` and a space as a line's protocol tag, or "" under link_level()."""
    return f"{name} " if _TAGGED.get() else ""


def summary(packet: Layer, verbose: int = 0) -> str:
    """``packet`` as tcpdump's -n -S output (``Layer.summary()``): sequence numbers as sent. One
    line, or with ``verbose`` 1 or 2 what tcpdump -v or -vv prints, continuation lines included
    (``"\n    "`` after an IPv4 header, ``"\n\t"`` before an ICMP error's quote or an option).
    A decoded packet's bytes are the ones checked: its checksums are shown as they came."""
    lost = 0
    if packet._mode & CUT and packet.wirelen:  # (cut by the capture: decode_captured)
        lost = max(packet.wirelen - len(packet.build()), 0)
    return _line(packet, Detail(min(verbose, 2), lost=lost))


def _line(packet: Layer, detail: Detail) -> str:
    for layer in packet.layers():
        cls = layer.__class__
        render = _RENDER.get(cls) or _nearest(_RENDER, cls)
        if render is not None:
            line = render(layer, None, detail)
            if line is not None:
                return line
    return type(packet).__name__


def _field_bytes(span: range) -> slice:
    """Where a field's bytes are (a layout's span), as a slice of the layer's bytes."""
    return slice(span.start, span.stop)


def _nearest(table: Mapping[type, _T], cls: type) -> _T | None:
    """``table``'s entry for ``cls`` or for its nearest base class that has one."""
    for base in cls.__mro__:
        found = table.get(base)
        if found is not None:
            return found
    return None


def _carries_a_protocol(layer: Layer) -> bool:
    """Whether ``layer`` carries a decoded protocol, which then has the line (tcpdump without -e)."""
    payload = layer.payload
    return payload is not None and not isinstance(payload, Raw)


def _transport(layer: Layer | None, carrier: Carrier, detail: Detail = _PLAIN) -> str | None:
    """``layer``'s line under the network header ``carrier``; None when it is not a transport."""
    cls = layer.__class__
    render = _TRANSPORTS.get(cls) or _nearest(_TRANSPORTS, cls)
    return None if render is None else render(layer, carrier, detail)


# -- Ethernet and 802.1Q (ether.py; print-ether.c) --------------------------------------------

#: EtherTypes start here; a smaller number in the type field is an 802.3 length.
_MIN_ETHERTYPE = 0x600

#: tcpdump's names where they differ from EtherType's (print-ether.c's ethertype_values).
_ETHERTYPE_NAMES = {
    0x0800: "IPv4", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x86DD: "IPv6",
    0x8100: "802.1Q", 0x9100: "802.1Q-9100", 0x88A8: "802.1Q-QinQ", 0x9200: "802.1Q-9200",
    0x88E5: "802.1AE MACsec", 0x0200: "PUP", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x0600: "NS",
    0x0500: "Sprite", 0x1000: "Trail", 0x6001: "MOP DL", 0x6002: "MOP RC", 0x6003: "DN",
    0x6004: "LAT", 0x6007: "SCA", 0x6558: "TEB", 0x8038: "Lanbridge", 0x803C: "DEC DNS",
    0x803E: "DEC DTS", 0x805B: "VEXP", 0x805C: "VPROD", 0x809B: "Appletalk", 0x80F3: "Appletalk ARP",
    0x8137: "IPX", 0x880B: "PPP", 0x8808: "MPCP", 0x8809: "Slow Protocols", 0x8863: "PPPoE D",
    0x8864: "PPPoE S", 0x888E: "EAPOL", 0x8899: "Realtek protocols", 0x886F: "MS NLB heartbeat",
    0x8870: "Jumbo", 0x894F: "NSH", 0x9000: "Loopback", 0xFEFE: "OSI", 0x00FE: "GRE-OSI",
    0xABCD: "CFM (old)", 0x8902: "CFM", 0x893A: "IEEE1905.1", 0x88CC: "LLDP", 0x88CA: "TIPC",
    0x0707: "GeoNet (old)", 0x8947: "GeoNet", 0x1111: "CALM FAST", 0x88A2: "AoE", 0x88F7: "PTP",
    0xD28B: "Arista Vendor Specific Protocol",
}  # fmt: skip


def ethertype_text(number: int) -> str:
    """An EtherType as tcpdump prints it: ``IPv4 (0x0800)``, ``802.1Q (0x8100)``, ``Unknown (0x1234)``."""
    return f"{_ethertype_name(number) or 'Unknown'} (0x{number:04x})"


def _ethertype_name(number: int) -> str | None:
    """tcpdump's name of an EtherType (ethertype.c), None when it has none."""
    name = _ETHERTYPE_NAMES.get(number)
    if name is None:
        name = EtherType(number).name
    return None if name.startswith("unknown_") else name


def _ether(frame: Ether, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    if _carries_a_protocol(frame):
        return None
    ethertype = frame._values()[Ether.slot.type]
    payload = frame.payload
    cut = payload is None and frame._mode & CUT  # (the capture kept no byte of it)
    if ethertype == _ETHERTYPE_ARP and (isinstance(payload, Raw) or cut):  # an ARP that did not decode
        return arp_text(b"" if payload is None else payload.build(), verbose=detail.verbose)
    network = undecoded_network(ethertype, frame, detail.verbose, detail.lost)
    if network is not None:
        return network
    if cut and ethertype in VLAN_TYPES:
        return " [|vlan]"  # (the capture cut the tag)
    data = b"" if payload is None else payload.build()
    length = len(frame.build()) + detail.lost  # (tcpdump: the frame's length on the wire)
    if ethertype is not None and ethertype < _MIN_ETHERTYPE:  # an 802.3 length: LLC follows
        return llc_text(frame.src, frame.dst, data[:ethertype], min(ethertype, length - Ether.header_len))
    if ethertype is not None:
        text = printers.by_ethertype(ethertype, data, length - Ether.header_len, _carried_line)
        if text is not None:
            return text
    # (print-ether.c: a type no printer knows gets the addresses, and ": " before its hex dump)
    return f"{frame.src} > {frame.dst}, ethertype {ethertype_text(ethertype or 0)}, length {length}: "


def _carried_line(ethertype: int, data: bytes, length: int) -> str:
    """The line of the packet of EtherType ``ethertype`` inside another link protocol's payload
    (``data``, ``length`` on the wire): decoded by the registry's class for it, else a printer's."""
    cls = LAYERS.lookup(ETHERTYPE, ethertype)
    if cls is not None:
        try:
            return _line(cls.decode_captured(data, max(length, len(data))), _PLAIN)
        except DecodeError:
            pass
    text = printers.by_ethertype(ethertype, data, length, _carried_line)
    return f"ethertype {ethertype_text(ethertype)}, length {length}: " if text is None else text


def _dot1q(tag: Dot1Q, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    # Like tcpdump without -e: a tag is link-layer detail, the line is the inner packet's.
    if _carries_a_protocol(tag):
        return None
    network = undecoded_network(tag.type, tag, detail.verbose, detail.lost)
    if network is not None:
        return network
    return f"802.1Q vlan {tag.vlan}, p {tag.prio}, ethertype 0x{tag.type or 0:04x}"


_ETHERTYPE_IPV4, _ETHERTYPE_IPV6 = 0x0800, 0x86DD
#: The EtherTypes of an 802.1Q tag (tcpdump's names above).
VLAN_TYPES = frozenset((0x8100, 0x88A8, 0x9100, 0x9200))


def undecoded_network(ethertype: int | None, link: Layer, verbose: int = 0, lost: int = 0) -> str | None:
    """tcpdump's line for the IPv4 or IPv6 packet a link header ``link`` says it carries
    (``ethertype``) when it did not decode, or None: print-ip.c and print-ip6.c read what is
    there. A header cut short is " [|ip]" or " [|ip6]" (after "IP " once some bytes are there);
    an IPv4 length shorter than its header is "bad-len N"; a length saying more than the frame
    holds (with the ``lost`` bytes the capture did not keep) is "truncated-ip - N bytes missing! "
    before the line of what is there."""
    payload = link.payload
    if ethertype not in (_ETHERTYPE_IPV4, _ETHERTYPE_IPV6):
        return None
    if payload is None:
        if not link._mode & CUT:
            return None
        data = b""
    elif isinstance(payload, Undecoded):
        data = payload.build()
    else:
        return None
    return _network_as_read(data, 6 if ethertype == _ETHERTYPE_IPV6 else 4, verbose, lost)


def _network_as_read(data: bytes, version: int, verbose: int, lost: int = 0) -> str | None:
    """The line of the IPv``version`` packet ``data``, read as tcpdump reads one: to where the
    bytes end, whatever its lengths say (None: not one tcpdump reads so)."""
    if version == 6:
        if len(data) < IPv6.header_len:
            return " [|ip6]"  # (print-ip6.c names nothing before it has the header)
        if data[0] >> 4 != 6:
            return None
        declared, missing_text = (
            IPv6.header_len + int.from_bytes(data[4:6]),
            "truncated-ip6 - {} bytes missing!",
        )
        packet: Layer = IPv6.decode_captured(data, len(data) + 1)  # (read as cut: lengths past the end)
        tag = _tag("IP6")
    else:
        tag = _tag("IP")
        if len(data) < IP.header_len:
            return f"{tag if data else ''} [|ip]"
        header_len, declared = (data[0] & 0xF) * 4, int.from_bytes(data[2:4])
        if data[0] >> 4 != 4:
            return None
        if header_len < IP.header_len:
            return f"{tag}bad-hlen {header_len}"
        if declared < header_len:
            return f"{tag}bad-len {declared}"
        missing_text = "truncated-ip - {} bytes missing! "
        packet = IP.decode_captured(data, len(data) + 1)
    if isinstance(packet, Undecoded):
        return None
    line = _line(packet, Detail(verbose))
    if declared > len(data) + lost and line.startswith(tag):
        line = tag + missing_text.format(declared - len(data) - lost) + line[len(tag) :]
    return line


# -- ARP (arp.py; print-arp.c) -----------------------------------------------------------------

_ETHERTYPE_ARP = 0x0806
_ETHERTYPE_TRAIL = 0x1000  # trailer encapsulation: tcpdump reads its ARP as IPv4's too
_IPV4_SIZE = 4

# tcpdump's names (print-arp.c arphrd_values, arpop_values; ethertype.c for the usual EtherTypes).
_ARP_HARDWARE = {
    1: "Ethernet",
    6: "TokenRing",
    7: "ArcNet",
    15: "FrameRelay",
    19: "ATM",
    23: "Strip",
    24: "IEEE 1394",
    32: "InfiniBand",
}
_ARP_OPERATIONS = {
    1: "Request",
    2: "Reply",
    3: "Reverse Request",
    4: "Reverse Reply",
    8: "Inverse Request",
    9: "Inverse Reply",
    10: "NACK Reply",
}
_ARP_FIXED = tuple(reader(ARP, name) for name in ("hwtype", "ptype", "hwlen", "plen", "op"))
_ARP_HEADER = 8  # the fixed part, before the four addresses
_ATM_ARP_HEADER = 12
_ARPHRD_ATM2225 = 19
_ARPHRD_FRELAY = 15
_ARPOP_NAK = 10


def _arp(arp: ARP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    """tcpdump's line (without -e): "ARP, Request who-has A tell B, length 28"."""
    wire = arp.build()
    return arp_text(wire, len(wire) + detail.lost if detail.lost else None, verbose=detail.verbose)


def arp_text(wire: bytes, length: int | None = None, verbose: int = 0) -> str:
    """tcpdump's text for the ARP message ``wire`` (print-arp.c), ``length`` long on the wire
    (default: as captured): " [|arp]" when its addresses run past the capture, and the message's
    bytes dumped after its opcode's name when tcpdump has no layout for that opcode.

    ATM ARP (hwtype 19) has a layout of its own (_atm_arp_text). With ``verbose`` (-v) the
    hardware and protocol types and sizes come first, as for the types tcpdump has no layout for.
    """
    length = len(wire) if length is None else length
    if len(wire) < _ARP_HEADER:
        return " [|arp]"
    hwtype, ptype, hwlen, plen, op = (read(wire, 0) for read in _ARP_FIXED)
    if hwtype == _ARPHRD_ATM2225:
        return _atm_arp_text(wire, length)
    hardware = _ARP_HARDWARE.get(hwtype, f"Unknown Hardware ({hwtype})")
    protocol = _ethertype_name(ptype) or f"Unknown Protocol (0x{ptype:04x})"
    types = f"{hardware} (len {hwlen}), {protocol} (len {plen})"
    if len(wire) < _ARP_HEADER + 2 * (hwlen + plen):
        return f"{_tag('ARP,')}{types} [|arp]" if verbose else " [|arp]"
    if ptype not in (ETHERTYPE_IPV4, _ETHERTYPE_TRAIL):
        ip_text: Callable[[bytes], str] = lambda address: "<wrong proto type>"  # noqa: E731
    elif plen != _IPV4_SIZE:
        ip_text = lambda address: "<wrong len>"  # noqa: E731
    else:
        ip_text = _ipv4_text
    if not verbose and (ip_text is not _ipv4_text or hwlen == 0):  # (-v goes on: print-arp.c)
        return f"{_tag('ARP,')}{types}, length {length}"
    opening = f"{_tag('ARP,')}{types}, " if verbose else _tag("ARP,")
    # The four addresses follow the fixed header: sender's hardware and protocol, then target's.
    at = _ARP_HEADER
    link = _q922_text if hwtype == _ARPHRD_FRELAY else _link_text
    sha, spa = wire[at : at + hwlen], ip_text(wire[at + hwlen : at + hwlen + plen])
    at += hwlen + plen
    tha, tpa = wire[at : at + hwlen], ip_text(wire[at + hwlen : at + hwlen + plen])
    if op == ARPOp.who_has:
        known = f" ({link(tha)})" if any(tha) else ""
        line = f"Request who-has {tpa}{known} tell {spa}"
    elif op == ARPOp.is_at:
        line = f"Reply {spa} is-at {link(sha)}"
    elif op == ARPOp.RARP_req:
        line = f"Reverse Request who-is {link(tha)} tell {link(sha)}"
    elif op == ARPOp.RARP_rep:
        line = f"Reverse Reply {link(tha)} at {tpa}"
    elif op == ARPOp.InARP_req:
        line = f"Inverse Request who-is {link(tha)} tell {link(sha)}"
    elif op == ARPOp.InARP_rep:
        line = f"Inverse Reply {link(sha)} at {spa}"
    else:  # no layout: the name, then the message in hex (no length), as tcpdump prints it
        return f"{opening}{_ARP_OPERATIONS.get(op, f'Unknown ({op})')} {hex_and_ascii(wire)}"
    return f"{opening}{line}, length {length}"


def _atm_arp_text(wire: bytes, length: int) -> str:
    """ATM ARP (RFC 2225), as print-arp.c's atmarp_print: the fixed part is 12 bytes, each
    hardware address has a subaddress, and each size byte keeps its length in its low 6 bits."""
    if len(wire) < _ATM_ARP_HEADER:
        return " [|arp]"
    ptype, shtl, sstl, op = (
        int.from_bytes(wire[2:4]),
        wire[4] & 0x3F,
        wire[5] & 0x3F,
        int.from_bytes(wire[6:8]),
    )
    spln, thtl, tstl, tpln = wire[8], wire[9] & 0x3F, wire[10] & 0x3F, wire[11]
    at = _ATM_ARP_HEADER
    sha, ssa, spa = wire[at : at + shtl], wire[at + shtl : at + shtl + sstl], wire[at + shtl + sstl :][:spln]
    at += shtl + sstl + spln
    tha, tsa, tpa = wire[at : at + thtl], wire[at + thtl : at + thtl + tstl], wire[at + thtl + tstl :][:tpln]
    if len(wire) < at + thtl + tstl + tpln:
        return " [|arp]"
    if ptype not in (ETHERTYPE_IPV4, _ETHERTYPE_TRAIL) or spln != _IPV4_SIZE or tpln != _IPV4_SIZE:
        protocol = _ethertype_name(ptype) or f"Unknown Protocol (0x{ptype:04x})"
        return f"{_tag('ARP,')}ATM, {protocol} (len {spln}/{tpln}), length {length}"

    def atm(address: bytes, sub: bytes) -> str:
        if not address:
            return "<No address>"
        return _link_text(address) + (f",{_link_text(sub)}" if sub else "")

    if op == ARPOp.who_has:
        known = f" ({atm(tha, tsa)})" if tha else ""
        line = f"Request who-has {_ipv4_text(tpa)}{known} tell {_ipv4_text(spa)}"
    elif op == ARPOp.is_at:
        line = f"Reply {_ipv4_text(spa)} is-at {atm(sha, ssa)}"
    elif op == ARPOp.InARP_req:
        line = f"Inverse Request who-is {atm(tha, tsa)} tell {atm(sha, ssa)}"
    elif op == ARPOp.InARP_rep:
        line = f"Inverse Reply {atm(sha, ssa)}at {_ipv4_text(spa)}"  # (no space: tcpdump's)
    elif op == _ARPOP_NAK:
        line = f"NACK Reply for {_ipv4_text(spa)}"
    else:
        return f"{_tag('ARP,')}{_ARP_OPERATIONS.get(op, f'Unknown ({op})')} {hex_and_ascii(wire)}"
    return f"{_tag('ARP,')}{line}, length {length}"


def _q922_text(address: bytes) -> str:
    """A Frame Relay (Q.922) address as print-fr.c's q922_string: "DLCI N", or "<Invalid DLCI>"."""
    if not address or address[0] & 1:
        return "<Invalid DLCI>"
    if len(address) < 2:
        return "<Invalid DLCI>"
    dlci = ((address[0] & 0xFC) << 2) | ((address[1] & 0xF0) >> 4)
    if address[1] & 1:
        return f"DLCI {dlci}"
    rest = address[2:]
    if not rest:
        return "<Invalid DLCI>"
    if not rest[0] & 1:
        dlci = (dlci << 7) | (rest[0] >> 1)
        rest = rest[1:]
        if not rest:
            return "<Invalid DLCI>"
    if not rest[0] & 1:
        return "<Invalid DLCI>"
    return f"DLCI {(dlci << 6) | (rest[0] >> 2)}"


def hex_and_ascii(data: bytes, offset: int = 0, indent: str = "\n\t") -> str:
    """``data`` as tcpdump's -X dump (print-ascii.c hex_and_ascii_print): each line ``indent``,
    its offset, 16 bytes as 8 groups of 4 hex digits, then the bytes as ASCII ('.' for any byte
    that is no printable character or is a space)."""
    lines = []
    for start in range(0, len(data), 16):
        chunk = data[start : start + 16]
        hexes = "".join(f" {chunk[i : i + 2].hex()}" for i in range(0, len(chunk), 2))
        text = "".join(chr(byte) if 0x21 <= byte <= 0x7E else "." for byte in chunk)
        lines.append(f"{indent}0x{offset + start:04x}: {hexes:<40}  {text}")
    return "".join(lines)


def _ipv4_text(wire: bytes) -> str:
    return ".".join(str(byte) for byte in wire)


def _link_text(wire: bytes) -> str:
    return wire.hex(":")


# -- IPv4 (ipv4.py; print-ip.c) -----------------------------------------------------------------

_IP = IP.slot


def _ipv4(ip: IP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    if ip._values()[_IP.len] == 0:  # (rawnet reads it as a segmentation offload's; tcpdump does not)
        return f"{_tag('IP')}bad-len 0"
    if not detail.verbose:
        return _ipv4_line(ip, detail)
    wire = ip.build()
    more_fragments = bool(int.from_bytes(wire[6:8]) & _MORE_FRAGMENTS)
    inner = detail._replace(addresses=_ipv4_addresses(wire), fragment=detail.fragment or more_fragments)
    return f"{_tag('IP')}{ipv4_header_text(wire)}\n    {_ipv4_line(ip, inner).removeprefix(_tag('IP'))}"


def _ipv4_line(ip: IP, detail: Detail) -> str:
    payload = ip.payload
    src, dst = ip.src, ip.dst
    head = f"{_tag('IP')}{src} > {dst}: "
    values = ip._values()
    proto = values[_IP.proto]
    if values[_IP.frag]:
        return f"{head}ip-proto-{proto}"  # a later fragment: tcpdump names only the protocol
    carrier = ("IP", src, dst)
    declared = values[_IP.len]
    header_len = (values[_IP.ihl] or 5) << 2
    if ip._mode & CUT and ip._pend - ip._off < header_len:  # the capture cut its options
        return f"{_tag('IP')} [remaining caplen({ip._pend - ip._off}) < header length({header_len})] [|ip]"
    if declared and ip._mode & CUT:  # cut by the capture: the transport is as long as IP says
        shown = max(declared - header_len, 0)
        kept = b"" if payload is None else payload.build()
        if payload is None or isinstance(payload, Undecoded):
            cut = _cut_transport(proto, kept, shown, carrier, detail.verbose)
            if cut is not None:
                return cut
        detail = detail._replace(unseen=max(shown - len(kept), 0))
    elif isinstance(payload, Undecoded):  # a transport its length cuts short
        cut = _cut_transport(proto, payload.build(), len(payload.build()), carrier, detail.verbose)
        if cut is not None:
            return cut
    line = _transport(payload, carrier, detail)
    if line is not None:
        return line
    if payload is not None and not isinstance(payload, Raw):  # a tunnel (IPv4 or IPv6 inside): its own line
        return head + _line(payload, Detail(detail.verbose, cut=detail.cut))
    data = b"" if payload is None else payload.build()
    size = len(data) + detail.unseen
    text = printers.by_ip_protocol(proto, data, size, values[_IP.ttl])
    if text is not None:
        return head + text
    return f"{head} ip-proto-{proto} {size}"  # sic: tcpdump prints two spaces here


def _cut_transport(number: int, data: bytes, length: int, carrier: Carrier, verbose: int = 0) -> str | None:
    """tcpdump's line for a transport whose header is not all there (cut by the capture, or by
    the length of the header around it), ``length`` long as that header says, ``data`` what is
    there: the fields it reads as far as they go, then "[|tcp]"; None: not a transport."""
    family, src, dst = carrier
    head = f"{_tag(family)}{src} > {dst}:"
    if number == IPProto.TCP:
        if len(data) < _PORTS_END:
            return f"{head} [|tcp]"
        ports = f"{_tag(family)}{src}.{int.from_bytes(data[0:2])} > {dst}.{int.from_bytes(data[2:4])}:"
        if len(data) < TCP.header_len:
            return f"{ports}  [|tcp]"
        fixed = bytearray(data[: TCP.header_len])
        fixed[12] = (TCP.header_len // 4) << 4 | fixed[12] & 0xF  # (the options apart)
        header_len = (data[12] >> 4) * 4
        segment = TCP.decode(bytes(fixed))
        unseen = max(length - header_len, 0)
        return _tcp(segment, carrier, Detail(unseen=unseen), (data[TCP.header_len : header_len], header_len))
    if number == IPProto.UDP:
        if len(data) < _PORTS_END:
            return f"{head}  [|udp]"
        ports = f"{_tag(family)}{src}.{int.from_bytes(data[0:2])} > {dst}.{int.from_bytes(data[2:4])}:"
        if length < UDP.header_len:
            return f"{ports} truncated-udp {length}"
        if len(data) < UDP.header_len:
            return f"{ports}  [|udp]"
        declared = int.from_bytes(data[4:6])
        if declared > length:
            return f"{ports} UDP, bad length {declared - UDP.header_len} > {length - UDP.header_len}"
        return None
    if number == IPProto.ICMP:
        if len(data) < _ICMP_TYPE_CODE or (len(data) < ICMP.header_len and data[0] not in _ICMP_SHORT):
            return f"{head}  [|icmp]"
        rest = data[: ICMP.header_len].ljust(ICMP.header_len, b"\0")
        text = _icmp_text(data[0], data[1], int.from_bytes(rest[4:6]), int.from_bytes(rest[6:8]), data[8:])
        if text is None:
            return f"{head}  [|icmp]"
        quote = "\n\t" + _quoted_ipv4(data[8:], verbose) if verbose and data[0] in _ICMP_ERRORS else ""
        return f"{head} ICMP {text}, length {length}{quote}"
    if number == IPProto.ICMPv6:
        if length == 0:
            return f"{head} ICMP6, length 0 (invalid)"
        if not data:
            return f"{head}  [|icmp6]"
        name = _ICMPV6_TYPES.get(data[0], f"unknown icmp6 type ({data[0]})")
        return f"{head} ICMP6, {name} [|icmp6]"
    return None


_ICMP_TYPE_CODE = 2
#: The ICMP messages whose line tcpdump makes from their type and code only.
_ICMP_SHORT = frozenset((4, 10, 17)) | frozenset(range(19, 256)) - {40}
_LENGTH_ZERO = frozenset((IPProto.TCP, IPProto.UDP, IPProto.ICMPv6))


# What tcpdump -v shows of an IPv4 header (print-ip.c ip_print): read from its bytes.
_MORE_FRAGMENTS, _DONT_FRAGMENT, _EVIL_BIT, _OFFSET_MASK = 0x2000, 0x4000, 0x8000, 0x1FFF
_FRAGMENT_FLAGS = ((_MORE_FRAGMENTS, "+"), (_DONT_FRAGMENT, "DF"), (_EVIL_BIT, "rsvd"))
_ECN_TEXT = {1: ",ECT(1)", 2: ",ECT(0)", 3: ",CE"}
#: tcpdump's names of IP protocol numbers (ipproto.c ipproto_values).
_IP_PROTOCOL_NAMES = {
    0: "Options",
    1: "ICMP",
    2: "IGMP",
    4: "IPIP",
    6: "TCP",
    8: "EGP",
    9: "IGRP",
    17: "UDP",
    33: "DCCP",
    41: "IPv6",
    43: "Routing",
    44: "Fragment",
    46: "RSVP",
    47: "GRE",
    50: "ESP",
    51: "AH",
    55: "Mobile IP",
    58: "ICMPv6",
    62: "Mobile IP (old)",
    88: "EIGRP",
    89: "OSPF",
    103: "PIM",
    108: "Compressed IP",
    112: "VRRP",
    113: "PGM",
    132: "SCTP",
    135: "Mobility",
    143: "Ethernet",
}
_IPV4_HEADER = 20


def ipv4_header_text(wire: bytes) -> str:
    """tcpdump -v's words for the IPv4 header at the start of ``wire``: "(tos 0x0, ttl 64, id 1,
    offset 0, flags [DF], proto TCP (6), length 60[, options (...)][, bad cksum ...])"."""
    tos, ttl, proto = wire[1], wire[8], wire[9]
    header_len = (wire[0] & 0xF) * 4
    fragment = int.from_bytes(wire[6:8])
    flags = ", ".join(name for bit, name in _FRAGMENT_FLAGS if fragment & bit) or "none"
    text = f"(tos 0x{tos:x}{_ECN_TEXT.get(tos & 3, '')}" + (f", ttl {ttl}" if ttl else "")
    text += f", id {int.from_bytes(wire[4:6])}, offset {(fragment & _OFFSET_MASK) * 8}, flags [{flags}]"
    name = _IP_PROTOCOL_NAMES.get(proto, "unknown")
    text += f", proto {name} ({proto}), length {int.from_bytes(wire[2:4])}"
    if header_len > _IPV4_HEADER:
        text += f", options ({_ip_options(wire[_IPV4_HEADER:], header_len - _IPV4_HEADER)})"
    if len(wire) >= header_len:
        stored, computed = int.from_bytes(wire[10:12]), internet_checksum(wire[:header_len])
        if computed:
            text += f", bad cksum {stored:x} (->{_should_be(stored, computed):x})!"
    return text + ")"


def _should_be(stored: int, computed: int) -> int:
    """The checksum field's right value, from the one stored and the checksum computed over the
    data with it (tcpdump's in_cksum_shouldbe)."""
    total = stored + computed
    total = (total & 0xFFFF) + (total >> 16)
    return (total & 0xFFFF) + (total >> 16)


def _checksum_verdict(stored: int, computed: int) -> str:
    """TCP's words: "cksum 0x1234 (correct)" or "cksum 0x1234 (incorrect -> 0x5678)"."""
    verdict = "correct" if not computed else f"incorrect -> 0x{_should_be(stored, computed):04x}"
    return f"cksum 0x{stored:04x} ({verdict})"


def _transport_checksum(addresses: bytes, protocol: int, data: bytes) -> int:
    """The checksum computed over ``data`` (its checksum field included) and its pseudo-header."""
    return internet_checksum(pseudo_header_sum_bytes(addresses, protocol, len(data)) + data)


_IPOPT_EOL, _IPOPT_NOP, _IPOPT_RR, _IPOPT_TS, _IPOPT_LSRR, _IPOPT_SSRR, _IPOPT_RA = 0, 1, 7, 68, 131, 137, 148
_IP_OPTION_NAMES = {
    _IPOPT_EOL: "EOL",
    _IPOPT_NOP: "NOP",
    _IPOPT_TS: "timestamp",
    130: "security",
    _IPOPT_RR: "RR",
    _IPOPT_SSRR: "SSRR",
    _IPOPT_LSRR: "LSRR",
    _IPOPT_RA: "RA",
    82: "traceroute",
}


def _ip_options(data: bytes, length: int) -> str:
    """The ``length`` bytes of IPv4 options at the start of ``data`` (the rest of the packet: like
    tcpdump's print-ip.c ip_optprint, an option's last field may reach past its end)."""
    texts, at = [], 0
    while at < length:
        kind = data[at]
        text = _IP_OPTION_NAMES.get(kind, f"unknown {kind}")
        size = 1 if kind in (_IPOPT_EOL, _IPOPT_NOP) else data[at + 1]
        if size < 1 or size > length - at or (size < 2 and kind not in (_IPOPT_EOL, _IPOPT_NOP)):
            texts.append(f"{text} [bad length {size}]")
            break
        if kind == _IPOPT_EOL:
            texts.append(text)
            break
        option = data[at:]
        if kind == _IPOPT_TS:
            text += _ip_timestamp(option, size)
        elif kind in (_IPOPT_RR, _IPOPT_SSRR, _IPOPT_LSRR):
            text += _ip_route(option, size)
        elif kind == _IPOPT_RA:
            value = int.from_bytes(option[2:4])
            text += f" [bad length {size}]" if size < 4 else f" value {value}" if value else ""
        texts.append(text)
        at += size
    return ",".join(texts)


def _ip_route(option: bytes, size: int) -> str:
    """A recorded or source route (print-ip.c ip_printroute)."""
    if size < 3:
        return f" [bad length {size}]"
    text = f" [bad length {size}]" if (size + 1) & 3 else ""
    pointer = option[2] - 1
    if pointer < 3 or (pointer + 1) & 3 or pointer > size + 1:
        text += f" [bad ptr {option[2]}]"
    for at in range(3, size, 4):
        text += f" {_ipv4_text(option[at : at + 4])}" + ("," if pointer > at else "")
    return text


_TIMESTAMP_KINDS = {0: "TSONLY", 1: "TS+ADDR", 3: "PRESPEC"}


def _ip_timestamp(option: bytes, size: int) -> str:
    """A timestamp option (print-ip.c ip_printts)."""
    if size < 4:
        return f"[bad length {size}]"
    text = " TS{"
    flags = option[3] & 0xF
    hop = 4 if flags == 0 else 8
    if (size - 4) & (hop - 1):
        text += f"[bad length {size}]"
    pointer = option[2] - 1
    if pointer < 4 or (pointer - 4) & (hop - 1) or pointer > size + 1:
        text += f"[bad ptr {option[2]}]"
    at = 0
    if flags in _TIMESTAMP_KINDS:
        text += _TIMESTAMP_KINDS[flags]
        at = 4
        while at < size:
            address = _ipv4_text(option[at : at + 4]) if hop == 8 else ""
            stamp = int.from_bytes(option[at + hop - 4 : at + hop])
            text += f"{' ^ ' if pointer == at else ' '}{stamp}@{address}"
            at += hop
    else:
        text += f"[bad ts type {flags}]"
    text += " ^ " if pointer == at else ""
    overflow = option[3] >> 4
    return text + (f" [{overflow} hops not recorded]}} " if overflow else "}")


def _ipv4_addresses(wire: bytes) -> bytes:
    """The pseudo-header's addresses: the source and the final destination (the last hop of a
    source route, as tcpdump's ip_finddst)."""
    header_len = (wire[0] & 0xF) * 4
    destination = wire[16:20]
    options = wire[_IPV4_HEADER:header_len]
    while options:
        kind = options[0]
        if kind == _IPOPT_EOL:
            break
        size = 1 if kind == _IPOPT_NOP else (options[1] if len(options) > 1 else 0)
        if size < 1 or size > len(options) or (kind != _IPOPT_NOP and size < 2):
            break
        if kind in (_IPOPT_LSRR, _IPOPT_SSRR) and size >= 7:
            destination = options[size - 4 : size]
            break
        options = options[size:]
    return wire[12:16] + destination


# -- IPv6 (ipv6.py; print-ip6.c) ----------------------------------------------------------------


def _ipv6(ip6: IPv6, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    if not detail.verbose:
        return _ipv6_line(ip6, detail)
    wire = ip6.build()
    line = _ipv6_line(ip6, detail._replace(addresses=wire[8:40]))
    return f"{_tag('IP6')}{ipv6_header_text(wire)} {line.removeprefix(_tag('IP6'))}"


def ipv6_header_text(wire: bytes) -> str:
    """tcpdump -v's words for the IPv6 header at the start of ``wire`` (print-ip6.c): "(class
    0x03, flowlabel 0x00005, hlim 64, next-header TCP (6) payload length: 23)"."""
    flow, number = int.from_bytes(wire[0:4]), wire[6]
    text = "("
    if flow & 0x0FF00000:
        text += f"class 0x{(flow & 0x0FF00000) >> 20:02x}, "
    if flow & 0x000FFFFF:
        text += f"flowlabel 0x{flow & 0x000FFFFF:05x}, "
    name = _IP_PROTOCOL_NAMES.get(number, "unknown")
    size = int.from_bytes(wire[4:6])
    return text + f"hlim {wire[7]}, next-header {name} ({number}) payload length: {size})"


def _ipv6_line(ip6: IPv6, detail: Detail) -> str:
    """The fixed header's addresses, tcpdump's words for each extension header, then the payload."""
    src, dst = ip6.src, ip6.dst
    head = f"{_tag('IP6')}{src} > {dst}: "
    number = ip6._values()[IPv6.slot.nh]
    headers = []
    layer: Any = ip6.payload
    while (words := _extension_words(layer, detail.verbose)) is not None:
        text, more = words
        headers.append(text)
        if not more:  # tcpdump stops at a non-first fragment or a routing type it does not know
            return head + " ".join(headers)
        if isinstance(layer, IPv6ExtHdrFragment):
            detail = detail._replace(fragment=True)  # (tcpdump checks no checksum in a fragment)
        number = layer.nh
        layer = layer.payload
    prefix = "".join(header + " " for header in headers)
    if number is None:
        number = next_header(layer)
    declared = ip6._values()[IPv6.slot.plen]
    if declared == 0 and not headers and number in _LENGTH_ZERO:  # (no jumbogram: tcpdump reads 0)
        line = _cut_transport(number, b"", 0, ("IP6", src, dst))
        if line is not None:
            return line
    if ip6._mode & CUT and declared:  # cut by the capture: the payload is as long as IPv6 says
        kept = len(ip6._build_payload(None))
        shown = max(declared - (kept - (0 if layer is None else len(layer.build()))), 0)
        if layer is None or isinstance(layer, Undecoded):
            line = _cut_transport(number, b"" if layer is None else layer.build(), shown, ("IP6", src, dst))
            if line is not None:
                return head + prefix + _without_addresses(line, src, dst) if prefix else line
        elif not isinstance(layer, Raw):
            detail = detail._replace(unseen=max(declared - kept, 0))
    elif isinstance(layer, Undecoded):
        line = _cut_transport(number, layer.build(), len(layer.build()), ("IP6", src, dst))
        if line is not None:
            return head + prefix + _without_addresses(line, src, dst) if prefix else line
    if layer is None or isinstance(layer, Raw):
        if number == NO_NEXT_HEADER:
            return f"{head}{prefix}no next header"
        data = b"" if layer is None else layer.build()
        size = len(data) + detail.unseen
        printed = printers.by_ip_protocol(number, data, size, ip6.hlim, ipv6=True)
        if printed is not None:
            return f"{head}{prefix}{printed}"
        return f"{head}{prefix} ip-proto-{number} {size}"
    line = _transport(layer, ("IP6", src, dst), detail)
    if line is None:
        return f"{head}{prefix}{_line(layer, Detail(detail.verbose, cut=detail.cut))}"
    return head + prefix + _without_addresses(line, src, dst) if prefix else line


def _without_addresses(line: str, src: str, dst: str) -> str:
    """A transport's line as tcpdump prints it after extension headers: without the addresses."""
    head = f"{_tag('IP6')}{src} > {dst}: "
    if line.startswith(head):
        return line[len(head) :]
    with_ports = f"{_tag('IP6')}{src}."
    if line.startswith(with_ports):
        return line[len(with_ports) :].replace(f" > {dst}.", " > ", 1)
    return line


# -- IPv6 extension headers (ipv6ext.py; print-ip6.c, print-rt6.c, print-frag6.c) ---------------

_UNIT = 8  #: extension header lengths and fragment offsets count units of 8 bytes (RFC 8200 4)


def _extension_words(layer: Layer | None, verbose: int = 0) -> tuple[str, bool] | None:
    """tcpdump's words for an extension header and whether it goes on to the next header; None
    for any other layer."""
    if not isinstance(layer, EXTENSION_HEADERS):
        return None
    cls = layer.__class__
    words = _EXTENSION_WORDS.get(cls) or _nearest(_EXTENSION_WORDS, cls)
    if words is None:
        return None
    if verbose and isinstance(layer, IPv6ExtHdrFragment):  # -v adds the identification
        text, more = words(layer)
        return text.replace("frag (", f"frag (0x{layer.id:08x}:", 1), more
    return words(layer)


def _routing(header: IPv6ExtHdrRouting) -> tuple[str, bool]:
    values = header._values()
    kind = header.type
    length = header.len if header.len is not None else len(header._body(values)) // _UNIT
    text = f"RT6 (len={length}, type={kind}{' [Deprecated]' if kind == 0 else ''}"
    text += f", segleft={header._segments_left(values)}"
    if kind not in (0, 2):
        return f"{text} (unknown type) (invalid)", False
    if header.data:
        return f"{text}[|rt6]", False
    if header.reserved:
        text += f", rsv=0x{header.reserved:x}"
    return text + "".join(f", [{i}]{a}" for i, a in enumerate(header.addresses)) + ")", True


def _segment_routing(header: IPv6ExtHdrSegmentRouting) -> tuple[str, bool]:
    values = header._values()
    length = header.len if header.len is not None else len(header._body(values)) // _UNIT
    segleft, lastentry = header._counters(values)
    text = f"RT6 (len={length}, type={header.type}, segleft={segleft}"
    text += f", last-entry={lastentry}"
    if header.flags:
        text += f", flags=0x{header.flags:x}"
    text += f", tag={header.tag:x}"
    return text + "".join(f", [{i}]{a}" for i, a in enumerate(header.addresses)) + ")", True


def _fragment(header: IPv6ExtHdrFragment) -> tuple[str, bool]:
    size = len(header._build_payload(None))
    return f"frag ({header.offset * _UNIT}|{size})", not header.offset


_EXTENSION_WORDS: dict[type, Callable[[Any], tuple[str, bool]]] = {
    IPv6ExtHdrHopByHop: lambda header: ("HBH", True),
    IPv6ExtHdrDestOpt: lambda header: ("DSTOPT", True),
    IPv6ExtHdrRouting: _routing,
    IPv6ExtHdrSegmentRouting: _segment_routing,
    IPv6ExtHdrFragment: _fragment,
}


# -- ICMP (icmp.py; print-icmp.c) ---------------------------------------------------------------

# tcpdump's texts: plain names, unreachable formats by code, redirects by code.
_ICMP_PLAIN = {
    0: "echo reply",
    4: "source quench",
    8: "echo request",
    10: "router solicitation",
    13: "time stamp request",
    14: "time stamp reply",
    15: "information request",
    16: "information reply",
    17: "address mask request",
}
_ICMP_UNREACHABLE = {
    0: "net {} unreachable",
    1: "host {} unreachable",
    5: "{} unreachable - source route failed",
    6: "net {} unreachable - unknown",
    7: "host {} unreachable - unknown",
    8: "{} unreachable - source host isolated",
    9: "net {} unreachable - admin prohibited",
    10: "host {} unreachable - admin prohibited",
    11: "net {} unreachable - tos prohibited",
    12: "host {} unreachable - tos prohibited",
    13: "host {} unreachable - admin prohibited filter",
    14: "host {} unreachable - host precedence violation",
    15: "host {} unreachable - precedence cutoff",
}
_ICMP_REDIRECT = {
    0: "redirect {} to net {}",
    1: "redirect {} to host {}",
    2: "redirect-tos {} to net {}",
    3: "redirect-tos {} to host {}",
}
_ICMP_TIME_EXCEEDED = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}
_TRANSPORT_NAMES = {IPProto.TCP: "tcp", IPProto.UDP: "udp"}

# The data of some messages (RFC 792, RFC 950, RFC 1256).
_TIMESTAMPS = struct.Struct("!III")  #: timestamp reply: originate, receive, transmit
_ADDRESS_MASK = struct.Struct("!I")  #: address mask reply
_ROUTER_ENTRY = struct.Struct("!4sI")  #: router advertisement: a router's address, its preference

# The quoted datagram of an error is read from its bytes, as tcpdump does.
_read_quoted_ihl, _read_quoted_proto, _read_quoted_dst = (
    reader(IP, name) for name in ("ihl", "proto", "dst")
)
_read_quoted_dport = reader(UDP, "dport")  # (TCP's destination port is in the same place)
_QUOTED_PORT_END = UDP.span.dport.stop


def _icmp(icmp: ICMP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    """tcpdump's line: "ICMP echo request, id 1, seq 1, length 64", or " [|icmp]" where it needs
    bytes of the quote that are missing. -v adds a bad checksum's verdict and an error's quote."""
    data = icmp._build_payload(None)
    text = _icmp_text(icmp.type, icmp.code, icmp.id, icmp.seq, data)
    line = (
        " [|icmp]" if text is None else f"ICMP {text}, length {icmp.header_len + len(data) + detail.unseen}"
    )
    if detail.verbose and text is not None:
        line += _icmp_verbose(icmp, data, detail)
    if carrier is None:
        return line.lstrip()
    family, src, dst = carrier
    return f"{_tag(family)}{src} > {dst}: {line}"


#: The errors whose quoted datagram tcpdump -v prints (print-icmp.c ICMP_ERRTYPE).
_ICMP_ERRORS = frozenset((3, 4, 5, 11, 12))


def _icmp_verbose(icmp: ICMP, data: bytes, detail: Detail) -> str:
    """What -v adds after an ICMP line: a wrong checksum's verdict, then an error's quoted datagram
    on lines of its own (print-icmp.c)."""
    text = ""
    if not (detail.fragment or detail.cut or detail.unseen):
        message = icmp.build()
        computed = internet_checksum(message)
        if computed:
            stored = int.from_bytes(message[_ICMP_CHECKSUM])
            text += f" (wrong icmp cksum {stored:x} (->{_should_be(stored, computed):x})!)"
    if icmp.type in _ICMP_ERRORS:
        text += "\n\t" + _quoted_ipv4(data, detail.verbose)
    return text


_ICMP_CHECKSUM = _field_bytes(ICMP.span.chksum)
_ICMP_WITH_IDS = frozenset((0, 8, 13, 14))
_PORTS_END = 4  #: a TCP or UDP header's ports end here
_TRANSPORT_HEADERS: dict[int, tuple[str, int]] = {
    IPProto.TCP: ("tcp", 20),
    IPProto.UDP: ("udp", 8),
    IPProto.ICMP: ("icmp", 8),
}


def _quoted_ipv4(quote: bytes, verbose: int) -> str:
    """The datagram an ICMP error quotes, as tcpdump -v prints it: its header from the bytes there,
    what follows as its header says, up to its total length (a quote rarely holds it all: from
    what is missing tcpdump shows what it can, and checks no checksum)."""
    if len(quote) < _IPV4_HEADER or (quote[0] >> 4) != 4:
        source = _ipv4_text(quote[12:16]) if len(quote) >= _IPV4_HEADER else ""  # (a whole header only)
        return " [|icmp]" if len(quote) < 4 else f"{_tag('IP')}{source} [|ip]"
    header_len, declared = (quote[0] & 0xF) * 4, int.from_bytes(quote[2:4])
    present = quote[:declared]
    cut = len(present) < declared
    whole = present + bytes(declared - len(present))
    proto, offset = quote[9], int.from_bytes(quote[6:8]) & _OFFSET_MASK
    known = _TRANSPORT_HEADERS.get(proto)
    if cut and known and not offset and header_len <= declared:
        name, needed = known
        segment = present[header_len:]
        if proto == IPProto.TCP and len(segment) > 12:
            needed = max(needed, (segment[12] >> 4) * 4)
        elif proto == IPProto.ICMP and segment and segment[0] not in _ICMP_WITH_IDS:
            needed = 2  # (tcpdump reads the rest of header only where it shows it)
        if len(segment) < needed:
            src, dst = _ipv4_text(quote[12:16]), _ipv4_text(quote[16:20])
            space = "  "  # (sic: tcpdump's; one only for TCP without its ports)
            if proto != IPProto.ICMP and len(segment) >= _PORTS_END:
                src += f".{int.from_bytes(segment[0:2])}"
                dst += f".{int.from_bytes(segment[2:4])}"
            elif proto == IPProto.TCP:
                space = " "
            return f"{_tag('IP')}{ipv4_header_text(present)}\n    {src} > {dst}:{space}[|{name}]"
    packet = IP.decode(whole, lenient=True)
    return _ipv4(packet, None, Detail(verbose, cut=declared - len(present)))


def _icmp_text(icmp_type: int, code: int, ident: int, seq: int, data: bytes) -> str | None:
    """tcpdump's description of one ICMP message, or None where tcpdump reports truncation."""
    if icmp_type in (ICMPType.echo_reply, ICMPType.echo_request):
        return f"echo {'request' if icmp_type == ICMPType.echo_request else 'reply'}, id {ident}, seq {seq}"
    if icmp_type == ICMPType.timestamp_request:
        return f"time stamp query id {ident} seq {seq}"
    if icmp_type == ICMPType.timestamp_reply:
        if len(data) < _TIMESTAMPS.size:
            return None
        org, recv, xmit = _TIMESTAMPS.unpack_from(data)
        return (
            f"time stamp reply id {ident} seq {seq}: org {_clock(org)}, "
            f"recv {_clock(recv)}, xmit {_clock(xmit)}"
        )
    if icmp_type == ICMPType.address_mask_reply:
        if len(data) < _ADDRESS_MASK.size:
            return None
        (mask,) = _ADDRESS_MASK.unpack_from(data)
        return f"address mask is 0x{mask:08x}"
    if icmp_type == ICMPType.parameter_problem:
        pointer = ident >> 8  # (ICMP.ptr: the rest of header's first byte)
        return f"parameter problem - code {code}" if code else f"parameter problem - octet {pointer}"
    if icmp_type in (ICMPType.dest_unreach, ICMPType.redirect, ICMPType.time_exceeded):
        if len(data) < IP.header_len:
            return None
        quoted_dst = _read_quoted_dst(data, 0)
        if icmp_type == ICMPType.time_exceeded:
            return _ICMP_TIME_EXCEEDED.get(code, f"time exceeded-#{code}")
        if icmp_type == ICMPType.redirect:
            gateway = socket.inet_ntoa((ident << 16 | seq).to_bytes(4, "big"))  # (ICMP.gw)
            return _ICMP_REDIRECT.get(code, f"redirect-#{code} {{}} to {{}}").format(quoted_dst, gateway)
        return _unreachable(code, seq, quoted_dst, data)
    if icmp_type == ICMPType.router_advertisement:
        return _router_advertisement(ident, seq, data)
    return _ICMP_PLAIN.get(icmp_type, f"type-#{icmp_type}")


def _unreachable(code: int, seq: int, quoted_dst: str, data: bytes) -> str | None:
    protocol = _read_quoted_proto(data, 0)
    if code == DestUnreachCode.protocol_unreachable:
        return f"{quoted_dst} protocol {protocol} unreachable"
    if code == DestUnreachCode.port_unreachable:
        header_len = _read_quoted_ihl(data, 0) << 2
        if len(data) < header_len + _QUOTED_PORT_END:
            return None
        port = _read_quoted_dport(data, header_len)
        kind = _TRANSPORT_NAMES.get(protocol)
        if kind is None:
            return f"{quoted_dst} protocol {protocol} port {port} unreachable"
        return f"{quoted_dst} {kind} port {port} unreachable"
    if code == DestUnreachCode.fragmentation_needed:
        mtu = f" (mtu {seq})" if seq else ""  # (ICMP.nexthopmtu)
        return f"{quoted_dst} unreachable - need to frag{mtu}"
    return _ICMP_UNREACHABLE.get(code, f"{{}} unreachable - #{code}").format(quoted_dst)


def _router_advertisement(ident: int, seq: int, data: bytes) -> str | None:
    # The rest of header: Num Addrs, Addr Entry Size (32-bit words), Lifetime (seconds).
    count, size = ident >> 8, ident & 0xFF
    if seq < 60:
        lifetime = str(seq)
    elif seq < 3600:
        lifetime = f"{seq // 60}:{seq % 60:02}"
    else:
        lifetime = f"{seq // 3600}:{seq % 3600 // 60:02}:{seq % 60:02}"
    text = f"router advertisement lifetime {lifetime} {count}:"
    if size != _ROUTER_ENTRY.size // 4:  # (in 32-bit words)
        return f"{text} [size {size}]"
    if len(data) < _ROUTER_ENTRY.size * count:
        return None
    entries = _ROUTER_ENTRY.iter_unpack(data[: _ROUTER_ENTRY.size * count])
    return text + "".join(f" {{{socket.inet_ntoa(address)} {preference}}}" for address, preference in entries)


def _clock(milliseconds: int) -> str:
    """An ICMP timestamp (milliseconds since midnight UT) as tcpdump prints it."""
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02}:{minutes:02}:{seconds:02}.{millis:03}"


# -- ICMPv6 (icmpv6.py; print-icmp6.c) ----------------------------------------------------------

# tcpdump's names (print-icmp6.c icmp6_type_values and the code tables).
_ICMPV6_TYPES = {
    1: "destination unreachable",
    2: "packet too big",
    3: "time exceeded",
    4: "parameter problem",
    128: "echo request",
    129: "echo reply",
    130: "multicast listener query",
    131: "multicast listener report",
    132: "multicast listener done",
    133: "router solicitation",
    134: "router advertisement",
    135: "neighbor solicitation",
    136: "neighbor advertisement",
    137: "redirect",
    141: "inverse neighbor solicitation",
    142: "inverse neighbor advertisement",
    143: "multicast listener report v2",
    145: "ha discovery reply",
    147: "mobile router advertisement",
    200: "mtrace response",
    201: "mtrace message",
}
_UNREACH_CODES = {
    0: "unreachable route",
    1: " unreachable prohibited",  # sic: tcpdump prints two spaces
    2: "beyond scope",
    3: "unreachable address",
    4: "unreachable port",
}
_PARAM_CODES = {0: "erroneous", 1: "next header", 2: "option", 3: "incomplete header chain"}
_BEYOND_SCOPE, _UNREACHABLE_PORT = 2, 4  # the codes whose line says more
_ICMPV6 = ICMPv6.slot

# The quoted packet is read from its bytes, as tcpdump does: a header cut short still shows.
_read_quoted_src6, _read_quoted_dst6, _read_quoted_nh6 = (reader(IPv6, name) for name in ("src", "dst", "nh"))
_read_extension_nh, _read_extension_len = (reader(IPv6ExtHdrRouting, name) for name in ("nh", "len"))
_SKIPPED_HEADERS = (HOP_BY_HOP, ROUTING, FRAGMENT_HEADER, DESTINATION_OPTIONS)


def _icmpv6(message: ICMPv6, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    describe = _nearest(_ICMPV6_MESSAGES, type(message)) or _icmpv6_type
    text, length_follows = describe(message)
    length = message.header_len + len(message._build_payload(None)) + detail.unseen
    if detail.verbose:
        line = _icmpv6_verbose(message, text, length, detail)
    else:
        line = f"ICMP6, {text}" + (f", length {length}" if length_follows else "")
    if carrier is None:
        return line
    family, src, dst = carrier
    return f"{_tag(family)}{src} > {dst}: {line}"


def _icmpv6_verbose(message: ICMPv6, text: str, length: int, detail: Detail) -> str:
    """tcpdump -v's ICMPv6 line (print-icmp6.c): the checksum's verdict first, no length at the
    end, Neighbor Discovery's length after its name and its options on lines of their own."""
    wire = message.build()
    verdict = ""
    if detail.addresses and not (detail.fragment or detail.cut or detail.unseen):
        stored = int.from_bytes(wire[_ICMPV6_CHECKSUM])
        computed = _transport_checksum(detail.addresses, IPProto.ICMPv6, wire)
        verdict = (
            "[icmp6 sum ok] "
            if not computed
            else f"[bad icmp6 cksum 0x{stored:04x} -> 0x{_should_be(stored, computed):04x}!] "
        )
    kind = wire[0]
    options_at = _ND_OPTIONS_AT.get(kind)
    if options_at is None:
        return f"{verdict}ICMP6, {text}"
    name = _ICMPV6_TYPES[kind]
    text = f"{name}, length {length}{text[len(name) :]}"
    if kind == _ND_ROUTER_ADVERTISEMENT:
        text += _router_advertisement_v6(wire)
    elif kind == _ND_NEIGHBOR_ADVERTISEMENT:
        flags = ", ".join(name for bit, name in _NA_FLAGS if wire[4] & bit) or "none"
        text += f", Flags [{flags}]"
    return f"{verdict}ICMP6, {text}{_nd_options(wire, options_at, detail.verbose)}"


_ICMPV6_CHECKSUM = _field_bytes(ICMPv6.span.cksum)
_ND_ROUTER_ADVERTISEMENT, _ND_NEIGHBOR_ADVERTISEMENT = 134, 136
#: Where each Neighbor Discovery message's options start (RFC 4861 4).
_ND_OPTIONS_AT = {133: 8, 134: 16, 135: 24, 136: 24, 137: 40}
_NA_FLAGS = ((0x80, "router"), (0x40, "solicited"), (0x20, "override"))
_RA_FLAGS = ((0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent"), (0x02, "ipv6 only"))
_ROUTER_PREFERENCES = ("medium", "high", "rsv", "low")


def _router_advertisement_v6(wire: bytes) -> str:
    flags = ", ".join(name for bit, name in _RA_FLAGS if wire[5] & bit) or "none"
    return (
        f"\n\thop limit {wire[4]}, Flags [{flags}], pref {_ROUTER_PREFERENCES[(wire[5] >> 3) & 3]}"
        f", router lifetime {int.from_bytes(wire[6:8])}s, reachable time {int.from_bytes(wire[8:12])}ms"
        f", retrans timer {int.from_bytes(wire[12:16])}ms"
    )


_ND_OPTION_NAMES = {
    1: "source link-address",
    2: "destination link-address",
    3: "prefix info",
    4: "redirected header",
    5: "mtu",
    7: "advertisement interval",
    8: "homeagent information",
    24: "route info",
    25: "rdnss",
    31: "dnssl",
}
_PREFIX_FLAGS = ((0x80, "onlink"), (0x40, "auto"), (0x20, "router"))
_INFINITY = 0xFFFFFFFF


def _lifetime(seconds: int) -> str:
    return "infinity" if seconds == _INFINITY else f"{seconds}s"


def _nd_options(wire: bytes, at: int, verbose: int) -> str:
    """Neighbor Discovery options, each on a line of its own (print-icmp6.c icmp6_opt_print);
    -vv adds each one's bytes in hex."""
    text, first = "", at
    while at < len(wire):
        if at + 2 > len(wire) or not wire[at + 1] or at + wire[at + 1] * _UNIT > len(wire):
            return text + " (invalid)"
        kind, units = wire[at], wire[at + 1]
        option, size = wire[at : at + units * _UNIT], units * _UNIT
        text += f"\n\t  {_ND_OPTION_NAMES.get(kind, 'unknown')} option ({kind}), length {size} ({units}): "
        if kind in (1, 2):
            text += option[2:].hex(":")
        elif kind == 5:
            text += f" {int.from_bytes(option[4:8])}"
        elif kind == 3:
            prefix = socket.inet_ntop(socket.AF_INET6, option[16:32].ljust(16, b"\0"))
            flags = ", ".join(name for bit, name in _PREFIX_FLAGS if option[3] & bit) or "none"
            text += f"{prefix}/{option[2]}{'' if units == 4 else 'badlen'}, Flags [{flags}]"
            text += f", valid time {_lifetime(int.from_bytes(option[4:8]))}"
            text += f", pref. time {_lifetime(int.from_bytes(option[8:12]))}"
        elif kind == 4:
            text += _hex_lines(wire[first : first + size], "\n\t    ")  # sic: the first option's bytes
        elif kind == 25:
            text += f" lifetime {int.from_bytes(option[4:8])}s,"
            for start in range(8, 8 + (units - 1) // 2 * 16, 16):
                text += f" addr: {socket.inet_ntop(socket.AF_INET6, option[start : start + 16])}"
        elif kind == 7:
            text += f" {int.from_bytes(option[4:8])}ms"
        elif kind == 8:
            text += f" preference {int.from_bytes(option[4:6])}, lifetime {int.from_bytes(option[6:8])}"
        elif kind == 24 and units <= 3:
            prefix = socket.inet_ntop(socket.AF_INET6, option[8 : 8 + (units - 1) * 8].ljust(16, b"\0"))
            text += f" {prefix}/{option[2]}, pref={_ROUTER_PREFERENCES[(option[3] >> 3) & 3]}"
            text += f", lifetime={_lifetime(int.from_bytes(option[4:8]))}"
        elif kind == 24:
            return text + " (invalid)"
        elif verbose == 1:  # an option tcpdump has no words for ends its -v text (-vv goes on)
            return text + _hex_lines(option[2:], "\n\t  ")
        if verbose > 1:
            text += _hex_lines(option[2:], "\n\t    ")
        at += size
    return text


def _hex_lines(data: bytes, indent: str) -> str:
    """tcpdump's hex_print: 16 bytes a line after ``indent`` and the offset, in 2-byte groups."""
    return "".join(
        f"{indent}0x{start:04x}: "
        + "".join(f" {data[i : i + 2].hex()}" for i in range(start, min(start + 16, len(data)), 2))
        for start in range(0, len(data), 16)
    )


# Each message's words: what tcpdump prints after "ICMP6, ", and whether ", length N" follows.


def _icmpv6_type(message: ICMPv6) -> tuple[str, bool]:
    kind = message._values()[_ICMPV6.type]
    name = _ICMPV6_TYPES.get(kind, f"unknown icmp6 type ({kind})")
    if kind in _MLD_TYPES:
        return name + _mld(kind, message._build_payload(None)), True
    return name, True


_MLD_QUERY, _MLD_REPORT_V2 = 130, 143
_MLD_TYPES = frozenset((130, 131, 132, 143))


def _mld(kind: int, body: bytes) -> str:
    """What tcpdump adds to an MLD message's name (print-icmp6.c mld6_print, mldv2_*_print); ``body``:
    the message after its first 4 bytes. (tcpdump prints MLDv1's text right after the name.)"""
    length = 4 + len(body)
    if kind == _MLD_REPORT_V2:
        if length < 8:
            return f" [invalid len {length}]"
        return f", {int.from_bytes(body[2:4])} group record(s)"
    if kind != _MLD_QUERY or length == 24:  # MLDv1: max response delay and multicast address
        if len(body) < 20:
            return ""
        address = socket.inet_ntop(socket.AF_INET6, body[4:20])
        return f"max resp delay: {int.from_bytes(body[0:2])} addr: {address}"
    if length < 28:
        return f" unknown-version (len {length}) "
    text = f" v2 [gaddr {socket.inet_ntop(socket.AF_INET6, body[4:20])}"
    sources = int.from_bytes(body[22:24])
    if sources:
        enough = length >= 28 + 16 * sources
        text += f", {sources} source(s)" if enough else " [invalid number of sources]"
    return text + "]"


def _echo(message: ICMPv6) -> tuple[str, bool]:
    values, slot = message._values(), message.slot
    return f"{_ICMPV6_TYPES[values[slot.type]]}, id {values[slot.id]}, seq {values[slot.seq]}", True


def _destination_unreachable(message: ICMPv6DestUnreach) -> tuple[str, bool]:
    code = message._values()[_ICMPV6.code]
    reason = _UNREACH_CODES.get(code)
    if reason is None:
        return f"destination unreachable, unknown unreach code ({code})", False  # tcpdump dumps the rest
    text = f"destination unreachable, {reason}"
    addresses = _quoted_addresses(message)
    if addresses is None:
        return f"{text} [|icmp6]", False
    if code == _BEYOND_SCOPE:
        return f"{text} {addresses[1]}, source address {addresses[0]}", True
    if code != _UNREACHABLE_PORT:
        return f"{text} {addresses[1]}", True
    port = _quoted_port(message)
    if port is None:
        return f"{text} [|icmp6]", False
    return f"{text}, {addresses[1]} {port[0]} port {port[1]}", True


def _packet_too_big(message: ICMPv6PacketTooBig) -> tuple[str, bool]:
    return f"packet too big, mtu {message._values()[ICMPv6PacketTooBig.slot.mtu]}", True


def _time_exceeded(message: ICMPv6TimeExceeded) -> tuple[str, bool]:
    code = message._values()[_ICMPV6.code]
    addresses = _quoted_addresses(message)
    if addresses is None:
        return "time exceeded in-transit [|icmp6]", False
    if code == 0:
        return f"time exceeded in-transit for {addresses[1]}", True
    if code == 1:
        return "time exceeded in-transit (reassembly)", True
    return f"time exceeded in-transit, unknown code ({code})", True


def _parameter_problem(message: ICMPv6ParamProblem) -> tuple[str, bool]:
    values = message._values()
    if _quoted_addresses(message) is None:
        return "parameter problem [|icmp6]", False
    code = values[_ICMPV6.code]
    what = _PARAM_CODES.get(code)
    if what is None:
        return f"parameter problem, code-#{code}", True
    return f"parameter problem, {what} - octet {values[ICMPv6ParamProblem.slot.ptr]}", True


def _quoted_addresses(message: ICMPv6) -> tuple[str, str] | None:
    """Source and destination of the quoted IPv6 header; None if it is cut short."""
    quote = message._build_payload(None)
    if len(quote) < IPv6.header_len:
        return None
    return _read_quoted_src6(quote, 0), _read_quoted_dst6(quote, 0)


def _quoted_port(message: ICMPv6) -> tuple[str, int] | None:
    """The quoted packet's transport ("tcp" or "udp") and destination port, past extension headers."""
    quote = message._build_payload(None)
    if len(quote) < IPv6.header_len:
        return None
    number, at = _read_quoted_nh6(quote, 0), IPv6.header_len
    while number in _SKIPPED_HEADERS and at + _UNIT <= len(quote):
        size = (
            IPv6ExtHdrFragment.header_len
            if number == FRAGMENT_HEADER
            else (_read_extension_len(quote, at) + 1) * _UNIT
        )
        number, at = _read_extension_nh(quote, at), at + size
    kind = _TRANSPORT_NAMES.get(number)
    if kind is None or at + _QUOTED_PORT_END > len(quote):
        return None
    return kind, _read_quoted_dport(quote, at)


# -- Neighbor Discovery (ndp.py; print-icmp6.c) -------------------------------------------------


def _neighbor_solicitation(message: ICMPv6ND_NS) -> tuple[str, bool]:
    return f"neighbor solicitation, who has {message.tgt}", True


def _neighbor_advertisement(message: ICMPv6ND_NA) -> tuple[str, bool]:
    return f"neighbor advertisement, tgt is {message.tgt}", True


def _redirect(message: ICMPv6ND_Redirect) -> tuple[str, bool]:
    return f"redirect, {message.dst} to {message.tgt}", True


#: The words of each ICMPv6 message class (the others, Router Solicitation and Advertisement
#: among them, are named by their type).
_ICMPV6_MESSAGES: dict[type, Callable[[Any], tuple[str, bool]]] = {
    ICMPv6: _icmpv6_type,
    ICMPv6EchoRequest: _echo,
    ICMPv6EchoReply: _echo,
    ICMPv6DestUnreach: _destination_unreachable,
    ICMPv6PacketTooBig: _packet_too_big,
    ICMPv6TimeExceeded: _time_exceeded,
    ICMPv6ParamProblem: _parameter_problem,
    ICMPv6ND_NS: _neighbor_solicitation,
    ICMPv6ND_NA: _neighbor_advertisement,
    ICMPv6ND_Redirect: _redirect,
}


# -- TCP (tcp.py; print-tcp.c) ------------------------------------------------------------------

_TCP = TCP.slot
_TCP_ALONE = ("TCP", "?", "?")
_TCP_CHECKSUM = _field_bytes(TCP.span.chksum)
_FIN, _SYN, _RST, _PSH, _ACK, _URG, _ECE, _CWR = (1 << bit for bit in range(8))

# tcpdump's letters, in its order (print-tcp.c tcp_flag_values).
_TCP_FLAGS = (
    (_FIN, "F"),
    (_SYN, "S"),
    (_RST, "R"),
    (_PSH, "P"),
    (_ACK, "."),
    (_URG, "U"),
    (_ECE, "E"),
    (_CWR, "W"),
)


def _tcp(
    tcp: TCP, carrier: Carrier | None, detail: Detail = _PLAIN, cut_options: tuple[bytes, int] | None = None
) -> str:
    """``cut_options``: the options of a header cut short, as far as they are there, and the
    header's length."""
    family, src, dst = carrier or _TCP_ALONE
    values = tcp._values()
    flags, seq, ack = values[_TCP.flags], values[_TCP.seq], values[_TCP.ack]
    letters = "".join(letter for bit, letter in _TCP_FLAGS if flags & bit) or "none"
    size = len(tcp._build_payload(None)) + detail.unseen
    parts = [f"Flags [{letters}]"]
    if (
        detail.verbose and detail.addresses and not (detail.fragment or detail.cut or detail.unseen)
    ):  # -v: the checksum's verdict
        segment = tcp.build()
        stored = int.from_bytes(segment[_TCP_CHECKSUM])
        parts.append(_checksum_verdict(stored, _transport_checksum(detail.addresses, IPProto.TCP, segment)))
    conversations = _CONVERSATIONS.get()
    sack: tuple[int, int, bool] | None = None
    if conversations is not None and flags & _ACK and carrier is not None:
        ports = (values[_TCP.sport], values[_TCP.dport])
        seq, ack, base_seq, base_ack, back = conversations.relative(
            family, src, dst, ports, seq, ack, bool(flags & _SYN)
        )
        sack = (base_seq, base_ack, back)
    if size or flags & (_FIN | _SYN | _RST) or detail.verbose > 1:  # (tcpdump: for those, or at -vv)
        parts.append(f"seq {seq}:{(seq + size) & 0xFFFFFFFF}" if size else f"seq {seq}")
    if flags & _ACK:
        parts.append(f"ack {ack}")
    parts.append(f"win {values[_TCP.window]}")
    if flags & _URG:
        parts.append(f"urg {values[_TCP.urgptr]}")
    head = f"{_tag(family)}{src}.{values[_TCP.sport]} > {dst}.{values[_TCP.dport]}: "
    if cut_options is not None:
        return head + ", ".join(parts) + ", options [" + _cut_options(*cut_options, size, sack, flags)
    options = values[_TCP.options]
    if options:
        texts = []
        for name, value in options:
            text = _tcp_option(name, value, sack, flags)
            texts.append(text)
            if text.endswith(_BAD_OPTION):  # tcpdump ends the line there ("]" only after a first good one)
                return (
                    head
                    + ", ".join(parts)
                    + f", options [{','.join(texts)}"
                    + ("]" if len(texts) > 1 else "")
                )
        parts.append(f"options [{','.join(texts)}]")
    parts.append(f"length {size}")
    application = _application(tcp.payload, carrier, detail) if size else None
    if application is None and size and isinstance(tcp.payload, Raw):  # (only tcpdump's text of it)
        ports = (values[_TCP.sport], values[_TCP.dport])
        application = printers.by_port(printers.TCP_PORTS, *ports, tcp.payload.build(), size)
    if application is not None:  # (print-tcp.c: the port's printer goes on after the length)
        parts[-1] += f": {application}"
    if detail.verbose and flags & _RST and size:  # -v: a reset's data, as text (print-tcp.c)
        data = tcp._build_payload(None)[: max(size - detail.cut, 0)]  # (what the quote holds)
        more = "+" if size > _RST_DATA_SHOWN else ""
        shown = "RST" if len(data) == size else "!RST"
        parts[-1] += f" [{shown}{more} {_printable(data[:_RST_DATA_SHOWN])}]"
    return head + ", ".join(parts)


_RST_DATA_SHOWN = 30
#: tcpdump's names of the options it names before reading their data (print-tcp.c).
_OPTION_NAMES = {2: "mss", 3: "wscale", 5: "sack", 6: "echo", 7: "echoreply", 8: "TS", 19: "md5"}
_OPTION_NAMES |= {28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 254: "exp"}


def _cut_options(
    data: bytes, header_len: int, size: int, relative: tuple[int, int, bool] | None, flags: int
) -> str:
    """The options of a TCP header cut short (``data``: those there), as tcpdump prints them:
    each whole one, then the name of the one cut (print-tcp.c reads kind and length first), then
    " [|tcp]"; an end-of-list option ends them where the header has more to come."""
    texts, at = "", 0
    while True:
        if at >= len(data):
            return texts + " [|tcp]"
        kind = data[at]
        if kind in (0, 1):
            texts += "eol" if kind == 0 else "nop"
            at += 1
            if kind == 0:
                kept = f"remaining caplen({TCP.header_len + len(data)})"
                return f"{texts}], length {size} [{kept} < header length({header_len})] [|tcp]"
            texts += ","
            continue
        if at + 1 >= len(data):
            return texts + " [|tcp]"
        length = data[at + 1]
        value = data[at + 2 : at + length]
        if length < 2:
            return texts + _BAD_OPTION
        if len(value) < length - 2:
            name = _OPTION_NAMES.get(kind)
            if name is None:
                return f"{texts}unknown-{kind} 0x{value.hex()} [|tcp]"
            if kind == 5:
                name += f" {(length - 2) // 8} "
            return f"{texts}{name} [|tcp]" + (">" if texts else "")  # (sic: tcpdump 4.99's ">")
        ((option, option_value),) = decode_options(data[at : at + length], 0, length)
        texts += _tcp_option(option, option_value, relative, flags) + ","
        at += length


def _printable(data: bytes) -> str:
    """Bytes as tcpdump prints text (util-print.c fn_print_char): "M-" for the high bit, "^" for a
    control character (DEL is "^?")."""
    text = ""
    for byte in data:
        if byte > 0x7F:
            text, byte = text + "M-", byte & 0x7F
        if not 0x20 <= byte < 0x7F:
            text, byte = text + "^", byte ^ 0x40
        text += chr(byte)
    return text


def _tcp_option(name: Any, value: Any, relative: tuple[int, int, bool] | None = None, flags: int = 0) -> str:
    if name == "UTO" and isinstance(value, int):
        name, value = 28, value.to_bytes(2, "big")
    elif name == "SAck" and isinstance(value, int):
        value = (value,)
    elif isinstance(value, bytes) and name not in ("SAckOK", "EOL"):
        name = OPTION_KINDS.get(name, name)  # a known kind of another size (or MD5): by its number
    if name == "MSS":
        return f"mss {value}"
    if name == "WScale":
        return f"wscale {value}"
    if name == "SAckOK":
        return "sackOK"
    if name == "Timestamp":
        tsval, tsecr = value
        return f"TS val {tsval} ecr {tsecr}"
    if name == "SAck":
        shift = 0 if relative is None else relative[0] if relative[2] else relative[1]  # (tcpdump's)
        edges = "".join(
            f"{{{(value[i] - shift) & _U32}:{(value[i + 1] - shift) & _U32}}}"
            for i in range(0, len(value) - 1, 2)
        )
        return f"sack {len(value) // 2} {edges}"
    if name == "NOP":
        return "nop"
    if name == "EOL":
        return "eol"
    data = bytes(value or b"")
    if name == _MPTCP:
        return "mptcp" + _mptcp(data, flags)
    known = _TCP_KINDS.get(name)
    if known is not None:
        text = known(data)
        if text is not None:
            return text
    return f"unknown-{name} 0x{data.hex()}" if data else f"unknown-{name}"


def _user_timeout(data: bytes) -> str | None:
    if len(data) != 2:
        return None
    value = int.from_bytes(data, "big")
    return f"uto 0x{value:x} {(value >> 1) * 60 if value & 1 else value >> 1}"


# tcpdump's names for the other kinds it prints (print-tcp.c), when their length is right.
_TCP_KINDS: dict[Any, Callable[[bytes], str | None]] = {
    6: lambda data: f"echo {int.from_bytes(data, 'big')}" if len(data) == 4 else None,
    7: lambda data: f"echoreply {int.from_bytes(data, 'big')}" if len(data) == 4 else None,
    19: lambda data: (
        f"md5 shared secret not supplied with -M, can't check - {data.hex()}" if len(data) == 16 else None
    ),
    28: _user_timeout,
    29: lambda data: (
        f"tcp-ao keyid {data[0]} rnextkeyid {data[1]} mac 0x{data[2:].hex()}" if len(data) >= 2 else None
    ),
    34: lambda data: f"tfo {_fast_open(data)}",
    254: lambda data: (  # RFC 6994's shared experimental kind: its 2-byte ExID names the experiment
        "exp[bad opt]"
        if len(data) < 2
        else f"exp-tfo{_fast_open(data[2:])}"
        if data[:2] == b"\xf9\x89"
        else f"exp-{data[:2].hex()}"
    ),
}
_BAD_OPTION = "[bad opt]"
_MPTCP = 30


def _fast_open(cookie: bytes) -> str:
    """TCP Fast Open's cookie (RFC 7413), as print-tcp.c's print_tcp_fastopen_option."""
    if not cookie:
        return " cookiereq"
    if len(cookie) % 2 or not 4 <= len(cookie) <= 16:
        return " (invalid)"
    return f" cookie {cookie.hex()}"


# -- MPTCP options (RFC 8684; print-mptcp.c) -----------------------------------------------------

_ADD_ADDR_KINDS = {0x6: "v0-ip6", 0x4: "v0-ip4", 0x1: "v1-echo", 0x0: "v1"}


def _mptcp(data: bytes, flags: int) -> str:
    """An MPTCP option's text after "mptcp": its length, subtype name and fields, ending in
    "[bad opt]" where tcpdump finds it malformed (it ends the line there)."""
    length = len(data) + 2
    if length < 3:
        return _BAD_OPTION
    subtype = min(data[0] >> 4, 8)  # (tcpdump 4.99 knows no MP_TCPRST)
    name, describe = _MPTCP_SUBTYPES[subtype]
    text = describe(data, length, flags)
    return f" {length} {name}{_BAD_OPTION if text is None else text}"  # (text may end in it too)


def _mp_capable(data: bytes, length: int, flags: int) -> str | None:
    syn, ack = flags & _SYN, flags & (_SYN | _ACK) == _ACK
    if not ((length in (4, 12) and syn) or (length in (20, 22) and ack)):
        return None
    version = data[0] & 0xF
    if version > 1:
        return f" Unknown Version ({version})"
    checksum = bool(data[1] & 0x80)
    text = f" v{version}" + (" csum" if checksum else "")
    if length == 12 or length >= 20:
        text += f" {{0x{int.from_bytes(data[2:10]):x}"
        if length >= 20:
            text += f",0x{int.from_bytes(data[10:18]):x}"
        text += "}"
    return text


def _mp_join(data: bytes, length: int, flags: int) -> str | None:
    if not (
        (length == 12 and flags & _SYN)
        or (length == 16 and flags & (_SYN | _ACK) == _SYN | _ACK)
        or (length == 24 and flags & _ACK)
    ):
        return None
    text = "" if length == 24 else (" backup" if data[0] & 1 else "") + f" id {data[1]}"
    if length == 12:
        return text + f" token 0x{int.from_bytes(data[2:6]):x} nonce 0x{int.from_bytes(data[6:10]):x}"
    if length == 16:
        return text + f" hmac 0x{int.from_bytes(data[2:10]):x} nonce 0x{int.from_bytes(data[10:14]):x}"
    return text + f" hmac 0x{data[2:22].hex()}"


def _mp_dss(data: bytes, length: int, flags: int) -> str | None:
    """(tcpdump prints as it reads: a field cut short leaves the text so far, then "[bad opt]".)"""
    if length < 4 or flags & _SYN:
        return None
    bits, rest, text = data[1], data[2:], " fin" if data[1] & 0x10 else ""
    # data ACK (8 bytes with "a"); mapping: data sequence number (8 with "m"), subflow seq, length
    # (label, size, whether tcpdump prints the label before it knows the field is there)
    fields = [(" ack ", 8 if bits & 0x02 else 4, True)] if bits & 0x01 else []
    if bits & 0x04:
        fields += [(" seq ", 8 if bits & 0x08 else 4, True), (" subseq ", 4, False), (" len ", 2, False)]
    for label, size, early in fields:
        if early:
            text += label
        if len(rest) < size:
            return text + _BAD_OPTION
        text += ("" if early else label) + str(int.from_bytes(rest[:size]))
        rest = rest[size:]
    if bits & 0x04 and len(rest) >= 2:  # the checksum, when negotiated
        text, rest = text + f" csum 0x{int.from_bytes(rest[:2]):x}", rest[2:]
    return text + _BAD_OPTION if rest else text


def _mp_add_addr(data: bytes, length: int, flags: int) -> str | None:
    if length not in (8, 10, 16, 18, 20, 22, 28, 30):
        return None
    text = f" {_ADD_ADDR_KINDS.get(data[0] & 0xF, '[bad version/echo]')} id {data[1]}"
    if length in (8, 10, 16, 18):
        address, port_at = socket.inet_ntoa(data[2:6]), 6
    else:
        address, port_at = socket.inet_ntop(socket.AF_INET6, data[2:18]), 18
    text += f" {address}"
    if length in (10, 18, 22, 30):
        text += f":{int.from_bytes(data[port_at : port_at + 2])}"
        port_at += 2
    if length in (16, 18, 28, 30):
        text += f" hmac 0x{int.from_bytes(data[port_at : port_at + 8]):x}"
    return text


def _mp_remove_addr(data: bytes, length: int, flags: int) -> str | None:
    return None if length < 4 else " id" + "".join(f" {number}" for number in data[1:])


def _mp_prio(data: bytes, length: int, flags: int) -> str | None:
    if length not in (3, 4):
        return None
    return (" backup" if data[0] & 1 else " non-backup") + (f" id {data[1]}" if length == 4 else "")


def _mp_fail(data: bytes, length: int, flags: int) -> str | None:
    return f" seq {int.from_bytes(data[2:10])}" if length == 12 else None


def _mp_fast_close(data: bytes, length: int, flags: int) -> str | None:
    return f" key 0x{int.from_bytes(data[2:10]):x}" if length == 12 else None


_MPTCP_SUBTYPES: tuple[tuple[str, Callable[[bytes, int, int], str | None]], ...] = (
    ("capable", _mp_capable),
    ("join", _mp_join),
    ("dss", _mp_dss),
    ("add-addr", _mp_add_addr),
    ("rem-addr", _mp_remove_addr),
    ("prio", _mp_prio),
    ("fail", _mp_fail),
    ("fast-close", _mp_fast_close),
    ("unknown", lambda data, length, flags: ""),
)


# -- UDP (udp.py; print-udp.c) ------------------------------------------------------------------

_UDP_ALONE = ("UDP", "?", "?")


def _udp(udp: UDP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    family, src, dst = carrier or _UDP_ALONE
    # Like tcpdump: the length field says (a first fragment, or one cut by the capture, carries
    # only part of the data).
    length, header_len = udp.len, udp.header_len
    size = (
        length - header_len if length is not None and length >= header_len else len(udp._build_payload(None))
    )
    head = f"{_tag(family)}{src}.{udp.sport} > {dst}.{udp.dport}: "
    text = _application(udp.payload, carrier, detail)
    payload = udp.payload
    if text is None and (payload is None or isinstance(payload, Raw)):  # (only tcpdump's text of it)
        data = b"" if payload is None else payload.build()
        text = printers.by_port(printers.UDP_PORTS, udp.sport, udp.dport, data, size)
    if text is not None:  # (print-udp.c: the port's printer says all after the ports)
        return head + text
    verdict = _udp_checksum(udp, detail) if detail.verbose and not detail.fragment else ""
    return f"{head}{verdict}UDP, length {size}"


def _udp_checksum(udp: UDP, detail: Detail) -> str:
    """tcpdump's verdict on a UDP checksum (print-udp.c): under IPv6 from -v, under IPv4 from -vv
    (and a zero checksum there is "[no cksum]")."""
    ipv6 = len(detail.addresses) == _IPV6_ADDRESSES
    if not detail.addresses or not (ipv6 or detail.verbose > 1):
        return ""
    datagram = udp.build()
    stored, declared = int.from_bytes(datagram[_UDP_CHECKSUM]), udp.len
    if not ipv6 and not stored:
        return "[no cksum] "
    if detail.cut or detail.unseen:
        return ""
    if declared is not None and udp.header_len <= declared < len(datagram):
        datagram = datagram[:declared]  # (the checksum covers the length the header says)
    computed = _transport_checksum(detail.addresses, IPProto.UDP, datagram)
    if not computed:
        return "[udp sum ok] "
    return f"[bad udp cksum 0x{stored:04x} -> 0x{_should_be(stored, computed):04x}!] "


_UDP_CHECKSUM = _field_bytes(UDP.span.chksum)
_IPV6_ADDRESSES = 32


# -- Application protocols over UDP and TCP (print-udp.c, print-tcp.c: by port) ---------------


def _application(payload: Layer | None, carrier: Carrier | None, detail: Detail) -> str | None:
    """The text of the application protocol ``payload`` is (a DNS message, ...) after a UDP or TCP
    header's, from its render function in ``_APPLICATIONS``; None when it has none (or declines)."""
    if payload is None:
        return None
    render = _APPLICATIONS.get(payload.__class__) or _nearest(_APPLICATIONS, payload.__class__)
    return None if render is None else render(payload, carrier, detail)


# -- Linux cooked capture (sll.py; print-sll.c) -------------------------------------------------


def _cooked(header: CookedLinux, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    return None if _carries_a_protocol(header) else "Linux cooked"


def _cooked2(header: CookedLinux2, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    return None if _carries_a_protocol(header) else "Linux cooked v2"


# -- bytes no protocol claims (layer.py) ----------------------------------------------------------


def _raw(raw: Raw, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    return "Raw"  # (data no protocol claims, on its own: scapy's summary of it)


def _undecoded(tail: Undecoded, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    values = tail._values()
    data = values[Undecoded.slot.load]
    if tail._mode & CUT and data:  # a raw IP packet the capture cut inside its header
        line = _network_as_read(data, data[0] >> 4, detail.verbose, detail.lost)
        if line is not None:
            return line
    return f"Undecoded {len(values[Undecoded.slot.load])} bytes ({values[Undecoded.slot.reason]})"


#: The render function of each layer class, in the order of the protocol modules (then layer.py's
#: Raw and Undecoded); a class with none, and no base with one, lets its payload speak.
_RENDER: dict[type, Render] = {
    Ether: _ether,
    Dot1Q: _dot1q,
    ARP: _arp,
    IP: _ipv4,
    IPv6: _ipv6,
    ICMP: _icmp,
    ICMPv6: _icmpv6,  # and Neighbor Discovery's messages, which are ICMPv6 classes
    TCP: _tcp,
    UDP: _udp,
    CookedLinux: _cooked,
    CookedLinux2: _cooked2,
    Raw: _raw,
    Undecoded: _undecoded,
}
#: The application protocols UDP and TCP carry (by port): each render gives the text after the
#: ports (UDP: all of it; TCP: after "length N: "), the carrier being the network header's.
_APPLICATIONS: dict[type, Render] = {}
#: The transports: tcpdump begins their line with the network header's addresses (ports after).
_TRANSPORTS: dict[type, Render] = {cls: _RENDER[cls] for cls in (ICMP, ICMPv6, TCP, UDP)}

__all__ = ["VLAN_TYPES", "ethertype_text", "summary", "undecoded_network"]
