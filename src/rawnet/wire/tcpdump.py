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
import datetime
import socket
import struct
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

from rawnet.errors import DecodeError
from rawnet.wire import printers
from rawnet.wire.arp import ARP, ETHERTYPE_IPV4, ARPOp
from rawnet.wire.brcm import BRCMTag
from rawnet.wire.chdlc import CHDLC, SLARP
from rawnet.wire.checksum import internet_checksum, pseudo_header_sum_bytes
from rawnet.wire.compiler import reader
from rawnet.wire.dhcp import BOOTP
from rawnet.wire.dhcp6 import DHCP6, DHCP6_RelayForward
from rawnet.wire.dns import DNS, DNSTCP, MDNS_PORT, PORT
from rawnet.wire.dsa import DSA, DSA_MODES, EDSA
from rawnet.wire.ether import Dot1Q, Ether
from rawnet.wire.geneve import GENEVE
from rawnet.wire.gre import GRE, GRE_PPTP
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
from rawnet.wire.igmp import IGMP
from rawnet.wire.ipnet import IPNET, IPNET_FAMILIES
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
from rawnet.wire.lldp import LLDPDU, ORGANISATION_SPECIFIC
from rawnet.wire.loopback import Loopback, family
from rawnet.wire.mpls import MPLS
from rawnet.wire.ndp import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_Redirect
from rawnet.wire.nflog import NFLOG, NFLOG_FAMILIES
from rawnet.wire.ntp import NTP
from rawnet.wire.numbers import EtherType, IPProto
from rawnet.wire.printers.llc import llc_text
from rawnet.wire.registry import ETHERTYPE, LAYERS
from rawnet.wire.sctp import SCTP
from rawnet.wire.sll import CookedLinux, CookedLinux2
from rawnet.wire.tcp import OPTION_KINDS, TCP, decode_options
from rawnet.wire.udp import UDP
from rawnet.wire.vsock import VIRTIO_OPS, VSOCK, VSOCK_OPS, VSOCK_TRANSPORTS, VirtioVSOCK
from rawnet.wire.vxlan import INSTANCE as VXLAN_INSTANCE
from rawnet.wire.vxlan import VXLAN

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
    if ethertype in _ETHERTYPE_MPLS and isinstance(payload, Raw):  # a label stack cut short
        return _mpls_text(None, payload.build(), detail.verbose)
    network = undecoded_network(ethertype, frame, detail.verbose, detail.lost) or undecoded_link(
        ethertype, frame, detail.lost, detail.verbose
    )
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
    network = undecoded_network(tag.type, tag, detail.verbose, detail.lost) or undecoded_link(
        tag.type, tag, detail.lost, detail.verbose
    )
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


def undecoded_link(ethertype: int | None, link: Layer, lost: int = 0, verbose: int = 0) -> str | None:
    """tcpdump's line for a protocol other than IP that a link header ``link`` says it carries
    (``ethertype``: LLDP...) when it did not decode (None for one it does not know): its printer
    reads what is there, and says where the bytes end ("[|lldp]")."""
    text = _UNDECODED_LINK.get(ethertype) if ethertype is not None else None
    payload = link.payload
    if text is None or not (payload is None or isinstance(payload, Raw)):
        return None
    data = b"" if payload is None else payload.build()
    return text(data, len(data) + lost, verbose)


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
    if payload is None and proto == IPProto.IGMP:  # (tcpdump reads the message it has not got)
        return head + igmp_text(b"", detail.unseen, detail.verbose)
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
    if number == IPProto.SCTP:
        return sctp_text(data, length, carrier, verbose)
    if number == IPProto.GRE:
        return f"{head} {gre_text(data, length, verbose)}"
    if number == IPProto.ICMPv6:
        if length == 0:
            return f"{head} ICMP6, length 0 (invalid)"
        if not data:
            return f"{head}  [|icmp6]"
        if data[0] in _MLD_TYPES:
            text, length_follows = mld_text(data, length, verbose)
            return f"{head} ICMP6, {text}" + (f", length {length}" if length_follows and not verbose else "")
        name = _ICMPV6_TYPES.get(data[0], f"unknown icmp6 type ({data[0]})")
        return f"{head} ICMP6, {name} [|icmp6]"
    if number == IPProto.IGMP:
        return f"{head} {igmp_text(data, length, verbose)}"
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
        rest = line[len(with_ports) :]
        if rest.partition(": ")[2].startswith("sctp"):  # (print-sctp.c prints the addresses itself)
            return line[len(_tag("IP6")) :]
        return rest.replace(f" > {dst}.", " > ", 1)
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
    length = message.header_len + len(message._build_payload(None)) + detail.unseen
    if message._values()[_ICMPV6.type] in _MLD_TYPES:  # (mld.py's messages, or one too short for them)
        wire = message.build()
        length = len(wire) + detail.unseen  # (MLDv2's sources and records are in the header)
        text, length_follows = mld_text(wire, length, detail.verbose)
    else:
        describe = _nearest(_ICMPV6_MESSAGES, type(message)) or _icmpv6_type
        text, length_follows = describe(message)
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
    return _ICMPV6_TYPES.get(kind, f"unknown icmp6 type ({kind})"), True


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
    if application is None and size and tcp.payload.__class__ in _NOT_DECODED:
        application = _tcp_by_port(tcp, detail)
        if application is None and isinstance(tcp.payload, Raw):  # (only tcpdump's text of it)
            ports = (values[_TCP.sport], values[_TCP.dport])
            application = printers.by_port(printers.TCP_PORTS, *ports, tcp.payload.build(), size)
    if application is not None:  # (print-tcp.c: the port's printer goes on after the length)
        # (DNS over TCP begins with its own " " where the others have ": ", print-domain.c)
        parts[-1] += application if application.startswith(" ") else f": {application}"
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
    verdict = _udp_checksum(udp, detail) if detail.verbose and not detail.fragment else ""
    text = _application(udp.payload, carrier, detail)
    payload = udp.payload
    if text is None and payload.__class__ in _NOT_DECODED:
        text = _by_port(udp, detail, size)
        if text is None:  # (only tcpdump's text of it; or the port's protocol did not decode)
            data = udp._build_payload(None)
            text = printers.by_port(printers.UDP_PORTS, udp.sport, udp.dport, data, size)
    if text is not None:  # (print-udp.c: the checksum's verdict, then the port's printer)
        return head + verdict + text
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


def _by_port(udp: UDP, detail: Detail, size: int) -> str | None:
    """The text tcpdump's printer for one of the datagram's ports gives bytes no protocol decoded
    there (too short, or not well formed): print-udp.c chooses by port whatever the bytes. The
    printer gets the length UDP's header says (``size``) or, if less, the length there is."""
    ports = (udp.sport, udp.dport)
    for port, render in _UDP_PORT_TEXTS.items():  # (in tcpdump's order)
        if port in ports:
            data = udp._build_payload(None)
            length = min(size, len(data) + min(detail.unseen, detail.lost))
            return render(data[: len(data) - detail.cut] if detail.cut else data, length, detail)
    return None


def _tcp_by_port(tcp: TCP, detail: Detail) -> str | None:
    """As _by_port, for TCP (print-tcp.c)."""
    ports = (tcp.sport, tcp.dport)
    for port, render in _TCP_PORT_TEXTS.items():
        if port in ports:
            data = tcp._build_payload(None)
            length = len(data) + min(detail.unseen, detail.lost)
            return render(data[: len(data) - detail.cut] if detail.cut else data, length, detail)
    return None


_NOT_DECODED = (type(None), Raw, Undecoded)
_UDP_CHECKSUM = _field_bytes(UDP.span.chksum)
_IPV6_ADDRESSES = 32


# -- BSD loopback (loopback.py; print-null.c) ----------------------------------------------------

#: tcpdump's names of the BSD address families (print-null.c's bsd_af_values).
_BSD_AF_NAMES = {2: "IPv4", 6: "NS", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6"}
#: The EtherType of what a family carries, for a packet that did not decode (read as tcpdump does).
_BSD_AF_ETHERTYPES = {2: _ETHERTYPE_IPV4, 24: _ETHERTYPE_IPV6, 28: _ETHERTYPE_IPV6, 30: _ETHERTYPE_IPV6}


def loopback_head(header: Loopback, length: int) -> str:
    """The words tcpdump -e (or, for a family it does not print, tcpdump) puts before what a BSD
    loopback header carries: ``AF IPv4 (2), length 88: `` (``length``: the frame's, on the wire)."""
    number = family(header.type)
    return f"AF {_BSD_AF_NAMES.get(number, 'Unknown')} ({number}), length {length}: "


def loopback_ethertype(header: Loopback) -> int | None:
    """The EtherType of the network protocol a BSD loopback header says it carries (IPv4, IPv6)."""
    return _BSD_AF_ETHERTYPES.get(family(header.type))


def _loopback(header: Loopback, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    if _carries_a_protocol(header):
        return None
    network = undecoded_network(loopback_ethertype(header), header, detail.verbose, detail.lost)
    if network is not None:
        return network
    return loopback_head(header, len(header.build()) + detail.lost)


# -- LLDP (lldp.py; print-lldp.c) ---------------------------------------------------------------

_LLDP_SYSTEM_NAME = 5
_LLDP_TRUNCATED = " [|lldp]"


def _lldp(tlv: LLDPDU, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    # tcpdump walks the TLVs as the bytes hold them (the first one's layer and all after it),
    # to the end its length says or an End TLV; only the system name shows without -v.
    data = tlv.build()
    return lldp_text(data, len(data) + detail.lost, detail.verbose)


def lldp_text(data: bytes, length: int, verbose: int = 0) -> str:
    """tcpdump's words for the LLDPDU ``data`` (``length`` bytes on the wire): its length, each
    System Name TLV's text, and with ``verbose`` each TLV's (print-lldp.c); " [|lldp]" where a TLV
    runs past the bytes captured or the length."""
    text = f"LLDP, length {length}"
    at, left = 0, length
    while left >= _TLV_HEADER:
        if at + _TLV_HEADER > len(data):
            return text + _LLDP_TRUNCATED
        word = int.from_bytes(data[at : at + _TLV_HEADER])
        kind, size = word >> 9, word & 0x1FF
        at, left = at + _TLV_HEADER, left - _TLV_HEADER
        if verbose:
            text += f"\n\t{_LLDP_TLV_NAMES.get(kind, 'Unknown')} TLV ({kind}), length {size}"
        if not kind or not size:
            break
        if at + size > len(data) or left < size:
            return text + _LLDP_TRUNCATED
        value, hexdump = data[at : at + size], False
        if kind == _LLDP_SYSTEM_NAME:  # (the one TLV tcpdump shows without -v)
            text += ": " + _zp(value)
        elif verbose:
            words = _lldp_tlv_text(kind, value)
            if words is None:
                return text + _LLDP_TRUNCATED
            text, hexdump = text + words[0], words[1]
            if text.endswith(_LLDP_TRUNCATED):  # (cut short after some of its words)
                return text
        if verbose > 1 or (verbose and hexdump):
            text += _hex_lines(value, "\n\t  ")
        at, left = at + size, left - size
    return text


def _zp(data: bytes) -> str:
    """tcpdump's nd_printzp: the text up to a NUL."""
    return _printable(data.split(b"\0", 1)[0])


#: print-lldp.c's names: TLVs, Chassis and Port ID subtypes, capabilities, interface numbering.
_LLDP_TLV_NAMES = {0: "End", 1: "Chassis ID", 2: "Port ID", 3: "Time to Live", 4: "Port Description",
                   5: "System Name", 6: "System Description", 7: "System Capabilities",
                   8: "Management Address", 127: "Organization specific"}  # fmt: skip
_CHASSIS_SUBTYPES = {1: "Chassis component", 2: "Interface alias", 3: "Port component", 4: "MAC address",
                     5: "Network address", 6: "Interface name", 7: "Local"}  # fmt: skip
_PORT_SUBTYPES = {1: "Interface alias", 2: "Port component", 3: "MAC address", 4: "Network Address",
                  5: "Interface Name", 6: "Agent circuit ID", 7: "Local"}  # fmt: skip
#: (the subtype of a MAC address, of a network address) for the Chassis and the Port ID.
_ID_ADDRESS_SUBTYPES = {1: (4, 5), 2: (3, 4)}
_LLDP_CAPABILITIES = ((0x01, "Other"), (0x02, "Repeater"), (0x04, "Bridge"), (0x08, "WLAN AP"),
                      (0x10, "Router"), (0x20, "Telephone"), (0x40, "Docsis"),
                      (0x80, "Station Only"))  # fmt: skip
_INTERFACE_NUMBERING = {2: "Interface Index", 3: "System Port Number"}
#: Address family names (tcpdump's af.c af_values).
_AFI_NAMES = {0: "Reserved", 1: "IPv4", 2: "IPv6", 3: "NSAP", 4: "HDLC", 5: "BBN 1822", 6: "802", 7: "E.163",
              8: "E.164", 9: "F.69", 10: "X.121", 11: "Novell IPX", 12: "Appletalk", 13: "Decnet IV",
              14: "Banyan Vines", 15: "E.164 with NSAP subaddress", 25: "VPLS"}  # fmt: skip
_OUI_NAMES = {0x0080C2: "Ethernet bridged", 0x00120F: "IEEE 802.3 Private", 0x00005E: "IANA",
              0x0012BB: "ANSI/TIA"}  # fmt: skip
_AGGREGATION = ((0x01, "supported"), (0x02, "enabled"))
_PMD_CAPABILITIES = ((1 << 14, "10BASE-T hdx"), (1 << 13, "10BASE-T fdx"), (1 << 12, "100BASE-T4"),
                     (1 << 11, "100BASE-TX hdx"), (1 << 10, "100BASE-TX fdx"), (1 << 9, "100BASE-T2 hdx"),
                     (1 << 8, "100BASE-T2 fdx"), (1 << 7, "Pause for fdx links"),
                     (1 << 6, "Asym PAUSE for fdx"), (1 << 5, "Sym PAUSE for fdx"),
                     (1 << 4, "Asym and Sym PAUSE for fdx"), (1 << 3, "1000BASE-{X LX SX CX} hdx"),
                     (1 << 2, "1000BASE-{X LX SX CX} fdx"), (1 << 1, "1000BASE-T hdx"),
                     (1 << 0, "1000BASE-T fdx"))  # fmt: skip
_MAU_TYPES = ("Unknown", "AUI", "10BASE_5", "FOIRL", "10BASE2", "10BASET duplex mode unknown", "10BASEFP",
              "10BASEFB", "10BASEFL duplex mode unknown", "10BROAD36", "10BASET hdx", "10BASET fdx",
              "10BASEFL hdx", "10BASEFL fdx", "100BASET4", "100BASETX hdx", "100BASETX fdx",
              "100BASEFX hdx", "100BASEFX fdx", "100BASET2 hdx", "100BASET2 fdx", "1000BASEX hdx",
              "1000BASEX fdx", "1000BASELX hdx", "1000BASELX fdx", "1000BASESX hdx", "1000BASESX fdx",
              "1000BASECX hdx", "1000BASECX fdx", "1000BASET hdx", "1000BASET fdx", "10GBASEX",
              "10GBASELX4", "10GBASER", "10GBASEER", "10GBASELR", "10GBASESR", "10GBASEW", "10GBASEEW",
              "10GBASELW", "10GBASESW")  # fmt: skip
_8021_SUBTYPES = {1: "Port VLAN Id", 2: "Port and Protocol VLAN ID", 3: "VLAN name", 4: "Protocol Identity",
                  7: "Link aggregation", 8: "Congestion Notification", 9: "ETS Configuration",
                  10: "ETS Recommendation", 11: "Priority Flow Control Configuration",
                  12: "Application Priority", 13: "EVB", 14: "CDCP"}  # fmt: skip
_8023_SUBTYPES = {1: "MAC/PHY configuration/status", 2: "Power via MDI", 3: "Link aggregation",
                  4: "Max frame size"}  # fmt: skip


def _bits(value: int, names: tuple[tuple[int, str], ...], none: str) -> str:
    """tcpdump's bittok2str: the names of the bits set, or ``none``."""
    return ", ".join(name for bit, name in names if value & bit) or none


def _network_address(data: bytes) -> str | None:
    """print-lldp.c's lldp_network_addr_print: "AFI IPv4 (1): 192.0.2.1", None when cut short."""
    if not data:
        return None
    family, address = data[0], data[1:]
    name = f"AFI {_AFI_NAMES.get(family, 'Unknown')} ({family})"
    size = {1: 4, 2: 16, 6: 6}.get(family)
    if size is None:
        return f"{name}, no AF printer !"
    if len(address) < size:
        return None
    if family == 1:
        return f"{name}: {socket.inet_ntoa(address[:4])}"
    if family == 2:
        return f"{name}: {socket.inet_ntop(socket.AF_INET6, address[:16])}"
    return f"{name}: {address[:6].hex(':')}"


def _lldp_tlv_text(kind: int, value: bytes) -> tuple[str, bool] | None:
    """tcpdump -v's words for one TLV (after its "... TLV (N), length M") and whether a hex dump
    follows; None where tcpdump says the TLV is cut short."""
    size = len(value)
    if kind in _ID_ADDRESS_SUBTYPES:
        if size < 2:
            return None
        subtype = value[0]
        names = _CHASSIS_SUBTYPES if kind == 1 else _PORT_SUBTYPES
        text = f"\n\t  Subtype {names.get(subtype, 'Unknown')} ({subtype}): "
        mac, network = _ID_ADDRESS_SUBTYPES[kind]
        if subtype == mac:
            return text + (value[1:7].hex(":") if size >= 7 else _LLDP_TRUNCATED), False
        if subtype == network:
            address = _network_address(value[1:])
            return text + (_LLDP_TRUNCATED if address is None else address), False
        if 1 <= subtype <= 7:
            return text + _zp(value[1:]), False
        return text, True
    if kind == 3:
        return (f": TTL {int.from_bytes(value[:2])}s", False) if size >= 2 else None
    if kind == 4:
        return ": " + _zp(value), False
    if kind == 6:
        return "\n\t  " + _zp(value), False
    if kind == 7:
        if size < 4:
            return None
        system, enabled = int.from_bytes(value[:2]), int.from_bytes(value[2:4])
        return (
            f"\n\t  System  Capabilities [{_bits(system, _LLDP_CAPABILITIES, 'none')}] (0x{system:04x})"
            f"\n\t  Enabled Capabilities [{_bits(enabled, _LLDP_CAPABILITIES, 'none')}] (0x{enabled:04x})",
            False,
        )
    if kind == 8:
        words = _management_address(value)
        return None if words is None else (words, False)
    if kind == ORGANISATION_SPECIFIC:
        if size < 3:
            return None
        oui = int.from_bytes(value[:3])
        text = f": OUI {_OUI_NAMES.get(oui, 'Unknown')} (0x{oui:06x})"
        if oui not in _OUI_NAMES:
            return text, True
        words, hexdump = _organisation_text(oui, value)
        return text + words, hexdump
    return "", True


def _management_address(value: bytes) -> str | None:
    """print-lldp.c's lldp_mgmt_addr_tlv_print: None when cut short before its first words, its
    words then " [|lldp]" when cut short after them."""
    if not value:
        return None
    size, rest = value[0], value[1:]
    if len(rest) < size:
        return None
    address = _network_address(rest[:size])
    if address is None:
        return None
    text = f"\n\t  Management Address length {size}, {address}"
    rest = rest[size:]
    if len(rest) < _INTERFACE_NUMBER:
        return text + _LLDP_TRUNCATED
    numbering = rest[0]
    text += f"\n\t  {_INTERFACE_NUMBERING.get(numbering, 'Unknown')} Interface Numbering ({numbering}): "
    text += str(int.from_bytes(rest[1:_INTERFACE_NUMBER]))
    rest = rest[_INTERFACE_NUMBER:]
    if rest:  # (the OID is optional)
        oid_length = rest[0]
        if len(rest) < 1 + oid_length:
            return text + _LLDP_TRUNCATED
        if oid_length:
            text += f"\n\t  OID length {oid_length}" + _zp(rest[1 : 1 + oid_length])
    return text


_INTERFACE_NUMBER = 5  #: the interface numbering subtype and number
_PROTOCOL_VLAN_FLAGS = ((0x02, "supported"), (0x04, "enabled"))


def _8021_vlan_text(subtype: int, value: bytes) -> str:
    """802.1's VLAN subtypes: port VLAN id, port and protocol VLAN id, VLAN name, protocol identity."""
    size = len(value)
    if subtype == 1:
        return f"\n\t    port vlan id (PVID): {int.from_bytes(value[4:6])}" if size >= 6 else ""
    if subtype == 2:
        if size < 7:
            return ""
        flags = value[4]
        return (
            f"\n\t    port and protocol vlan id (PPVID): {int.from_bytes(value[5:7])}, "
            f"flags [{_bits(flags, _PROTOCOL_VLAN_FLAGS, 'none')}] (0x{flags:02x})"
        )
    if subtype == 3:
        if size < 6:
            return ""
        text = f"\n\t    vlan id (VID): {int.from_bytes(value[4:6])}"
        if size < 7 or size < 7 + value[6]:
            return text
        return text + "\n\t    vlan name: " + _printable(value[7 : 7 + value[6]])
    if size < 5 or size < 5 + value[4]:
        return ""
    return "\n\t    protocol identity: " + _printable(value[5 : 5 + value[4]])


def _organisation_text(oui: int, value: bytes) -> tuple[str, bool]:
    """The words of the organisation-specific TLVs rawnet reads as tcpdump does (802.1's VLAN and
    aggregation subtypes, 802.3's, IANA's MUD URL); others are tcpdump's hex dump."""
    size = len(value)
    if size < (8 if oui == 0x00005E else 4):
        return "", False
    subtype = value[3]
    if oui == 0x00005E:
        if subtype != 1:
            return f"\n\t  unknown Subtype ({subtype})", True
        return f"\n\t  MUD-URL Subtype (1)\n\t  MUD-URL={_printable(value[4:])}", False
    if oui == _OUI_TIA:
        return _tia_text(subtype, value)
    names = _8021_SUBTYPES if oui == 0x0080C2 else _8023_SUBTYPES
    text = f"\n\t  {names.get(subtype, 'unknown')} Subtype ({subtype})"
    aggregation = 7 if oui == 0x0080C2 else 3
    if subtype == aggregation:
        if size < 9:
            return text, False
        status = _bits(value[4], _AGGREGATION, "none")
        return (
            text + f"\n\t    aggregation status [{status}], aggregation port ID {int.from_bytes(value[5:9])}",
            False,
        )
    if oui == 0x0080C2 and subtype in (1, 2, 3, 4):
        return text + _8021_vlan_text(subtype, value), False
    if oui == 0x00120F and subtype == 1:
        if size < 9:
            return text, False
        autoneg, pmd, mau = value[4], int.from_bytes(value[5:7]), int.from_bytes(value[7:9])
        mau_name = _MAU_TYPES[mau] if mau < len(_MAU_TYPES) else "unknown"
        return (
            text
            + f"\n\t    autonegotiation [{_bits(autoneg, _AGGREGATION, 'none')}] (0x{autoneg:02x})"
            + f"\n\t    PMD autoneg capability [{_bits(pmd, _PMD_CAPABILITIES, 'unknown')}] (0x{pmd:04x})"
            + f"\n\t    MAU type {mau_name} (0x{mau:04x})",
            False,
        )
    if oui == 0x00120F and subtype == 4:
        return (
            (text + f"\n\t    MTU size {int.from_bytes(value[4:6])}", False) if size >= 6 else (text, False)
        )
    if oui == 0x00120F and subtype == 2:  # power via MDI
        if size < 7:
            return text, False
        support = _bits(value[4], _MDI_SUPPORT, "none")
        pairs, power_class = _MDI_PAIRS.get(value[5], "unknown"), _MDI_CLASSES.get(value[6], "unknown")
        return (
            text + f"\n\t    MDI power support [{support}], power pair {pairs}, power class {power_class}",
            False,
        )
    return text, True


_OUI_TIA = 0x0012BB
_TIA_SUBTYPES = {1: "LLDP-MED Capabilities", 2: "Network policy", 3: "Location identification",
                 4: "Extended power-via-MDI", 5: "Inventory - hardware revision",
                 6: "Inventory - firmware revision", 7: "Inventory - software revision",
                 8: "Inventory - serial number", 9: "Inventory - manufacturer name",
                 10: "Inventory - model name", 11: "Inventory - asset ID"}  # fmt: skip
_TIA_INVENTORY = {5: "Hardware revision", 6: "Firmware revision", 7: "Software revision", 8: "Serial number",
                  9: "Manufacturer name", 10: "Model name", 11: "Asset ID"}  # fmt: skip
_TIA_CAPABILITIES = ((0x01, "LLDP-MED capabilities"), (0x02, "network policy"),
                     (0x04, "location identification"), (0x08, "extended power via MDI-PSE"),
                     (0x10, "extended power via MDI-PD"), (0x20, "Inventory"))  # fmt: skip
_TIA_DEVICE_TYPES = {1: "endpoint class 1", 2: "endpoint class 2", 3: "endpoint class 3",
                     4: "network connectivity"}  # fmt: skip
_TIA_APPLICATIONS = {1: "voice", 2: "voice signaling", 3: "guest voice", 4: "guest voice signaling",
                     5: "softphone voice", 6: "video conferencing", 7: "streaming video",
                     8: "video signaling"}  # fmt: skip
_TIA_POLICY_FLAGS = ((0x80, "Unknown"), (0x40, "Tagged"), (0x20, "reserved"))
_TIA_POWER_SOURCES = {
    1: "PSE - primary power source",
    2: "local - backup power source",
    3: "PSE+local - reserved",
}
_TIA_POWER_PRIORITIES = {1: "critical", 2: "high", 3: "low"}
_TIA_LOCATION_FORMATS = {1: "coordinate-based LCI", 2: "civic address LCI", 3: "ECS ELIN"}
_TIA_POWER_MAX = 1024


def _tia_text(subtype: int, value: bytes) -> tuple[str, bool]:
    """ANSI/TIA-1057 (LLDP-MED): capabilities, network policy, extended power, inventory, and the
    ECS ELIN location; the coordinate and civic locations are tcpdump's hex dump here."""
    size = len(value)
    text = f"\n\t  {_TIA_SUBTYPES.get(subtype, 'unknown')} Subtype ({subtype})"
    if subtype == 1:
        if size < 7:
            return text, False
        media, device = int.from_bytes(value[4:6]), value[6]
        return (
            text
            + f"\n\t    Media capabilities [{_bits(media, _TIA_CAPABILITIES, 'none')}] (0x{media:04x})"
            + f"\n\t    Device type [{_TIA_DEVICE_TYPES.get(device, 'unknown')}] (0x{device:02x})",
            False,
        )
    if subtype == 2:
        if size < 8:
            return text, False
        kind, flags = value[4], value[5]
        vlan, priority = int.from_bytes(value[5:7]), int.from_bytes(value[6:8])
        return (
            text
            + f"\n\t    Application type [{_TIA_APPLICATIONS.get(kind, 'none')}] (0x{kind:02x})"
            + f", Flags [{_bits(flags, _TIA_POLICY_FLAGS, 'none')}]"
            + f"\n\t    Vlan id {(vlan & 0x1FFE) >> 1}, L2 priority {(priority & 0x01FF) >> 6}"
            + f", DSCP value {priority & 0x3F}",
            False,
        )
    if subtype == 3:
        if size < 5:
            return text, False
        location = value[4]
        name = _TIA_LOCATION_FORMATS.get(location, "unknown")
        text += f"\n\t    Location data format {name} (0x{location:02x})"
        if location == 1:
            return text + _tia_coordinates(value), False
        if location == 2:
            return text + _tia_civic_address(value), False
        if location == 3:
            return text + "\n\t    ECS ELIN id " + _zp(value[5:]), False
        return text + "\n\t    Location ID " + _hex_lines(value[5:], "\n\t      "), False
    if subtype == 4:
        if size < 7:
            return text, False
        flags, power = value[4], int.from_bytes(value[5:7])
        # (tcpdump tests "flags & 0xC0 >> 6", which C reads as flags & 3)
        powered = "PD device" if flags & 3 else "PSE device"
        source = _TIA_POWER_SOURCES.get((flags & 0x30) >> 4, "none")
        rank = _TIA_POWER_PRIORITIES.get(flags & 0x0F, "none")
        watts = f"Power {power / 10:.1f} Watts" if power < _TIA_POWER_MAX else f"Power {power} (Reserved)"
        return (
            text + f"\n\t    Power type [{powered}], Power source [{source}]"
            f"\n\t    Power priority [{rank}] (0x{flags & 0x0F:02x}), {watts}",
            False,
        )
    if subtype in _TIA_INVENTORY:
        return text + f"\n\t  {_TIA_INVENTORY[subtype]} " + _zp(value[4:]), False
    return text, True


_TIA_ALTITUDE_TYPES = {1: "meters", 2: "floors"}
_TIA_DATUMS = {1: "World Geodesic System 1984", 2: "North American Datum 1983 (NAVD88)",
               3: "North American Datum 1983 (MLLW)"}  # fmt: skip
_TIA_LCI_WHAT = {0: "location of DHCP server",
                 1: "location of the network element believed to be closest to the client",
                 2: "location of the client"}  # fmt: skip
_TIA_CA_TYPES = {1: "national subdivisions (state,canton,region,province,prefecture)",
                 2: "county, parish, gun, district", 3: "city, township, shi",
                 4: "city division, borough, city district, ward chou", 5: "neighborhood, block",
                 6: "street"}  # fmt: skip


def _tia_coordinates(value: bytes) -> str:
    """A coordinate-based location (TIA-1057 10.2.4.3.1): latitude, longitude, altitude, datum."""
    if len(value) < 21:
        return ""

    def latlon(at: int) -> int:
        return (value[at] & 0x3) << 32 | int.from_bytes(value[at + 1 : at + 5])

    altitude_type = value[15] >> 4
    return (
        f"\n\t    Latitude resolution {value[5] >> 2}, latitude value {latlon(5)}"
        f"\n\t    Longitude resolution {value[10] >> 2}, longitude value {latlon(10)}"
        f"\n\t    Altitude type {_TIA_ALTITUDE_TYPES.get(altitude_type, 'unknown')} ({altitude_type})"
        f"\n\t    Altitude resolution {(int.from_bytes(value[15:17]) >> 6) & 0x3F}, altitude value "
        f"0x{int.from_bytes(value[16:20]) & 0x3FFFFFFF:x}"
        f"\n\t    Datum {_TIA_DATUMS.get(value[20], 'unknown')} (0x{value[20]:02x})"
    )


def _tia_civic_address(value: bytes) -> str:
    """A civic address location (TIA-1057 10.2.4.3.2): what it locates, country, CA elements."""
    if len(value) < 6 or value[5] < 3 or len(value) < 7 + value[5]:
        return ""
    left, what = value[5], value[6]
    text = (
        f"\n\t    LCI length {left}, LCI what {_TIA_LCI_WHAT.get(what, 'unknown')} (0x{what:02x}), "
        f"Country-code {_printable(value[7:9])}"
    )
    left, at = left - 3, 9
    while left:
        if left < 2:
            return text
        kind, size = value[at], value[at + 1]
        at, left = at + 2, left - 2
        text += f"\n\t      CA type '{_TIA_CA_TYPES.get(kind, 'unknown')}' ({kind}), length {size}: "
        if not kind or not size or left < size:
            return text
        text += _printable(value[at : at + size])
        at, left = at + size, left - size
    return text


_MDI_SUPPORT = ((0x01, "PSE"), (0x02, "supported"), (0x04, "enabled"), (0x08, "can be controlled"))
_MDI_PAIRS = {1: "signal", 2: "spare"}
_MDI_CLASSES = {1: "class0", 2: "class1", 3: "class2", 4: "class3", 5: "class4"}


_TLV_HEADER = 2
#: What tcpdump prints for an EtherType whose protocol did not decode, from its bytes, length and
#: -v level.
_UNDECODED_LINK: dict[int, Callable[[bytes, int, int], str]] = {0x88CC: lldp_text}
# -- DNS (dns.py; print-domain.c) ---------------------------------------------------------------

#: tcpdump's names of opcodes and response codes (print-domain.c ns_ops, ns_resp).
_DNS_OPS = (
    "",
    " inv_q",
    " stat",
    " op3",
    " notify",
    " update",
    " op6",
    " op7",
    " op8",
    " updateA",
    " updateD",
    " updateDA",
    " updateM",
    " updateMA",
    " zoneInit",
    " zoneRef",
)
_DNS_RCODES = (
    "",
    " FormErr",
    " ServFail",
    " NXDomain",
    " NotImp",
    " Refused",
    " YXDomain",
    " YXRRSet",
    " NXRRSet",
    " NotAuth",
    " NotZone",
    " Resp11",
    " Resp12",
    " Resp13",
    " Resp14",
    " NoChange",
    " BadVers",
    "Resp17",
    " Resp18",
    " Resp19",
    " Resp20",
    "Resp21",
    " Resp22",
    " BadCookie",
)
#: tcpdump's names of record types (print-domain.c ns_type2str) where they differ from dns.py's.
_DNS_TYPE_NAMES = dict(
    enumerate(
        (
            "",
            "A",
            "NS",
            "MD",
            "MF",
            "CNAME",
            "SOA",
            "MB",
            "MG",
            "MR",
            "NULL",
            "WKS",
            "PTR",
            "HINFO",
            "MINFO",
            "MX",
            "TXT",
            "RP",
            "AFSDB",
            "X25",
            "ISDN",
            "RT",
            "NSAP",
            "NSAP_PTR",
            "SIG",
            "KEY",
            "PX",
            "GPOS",
            "AAAA",
            "LOC",
            "NXT",
            "EID",
            "NIMLOC",
            "SRV",
            "ATMA",
            "NAPTR",
            "KX",
            "CERT",
            "A6",
            "DNAME",
            "SINK",
            "OPT",
            "APL",
            "DS",
            "SSHFP",
            "IPSECKEY",
            "RRSIG",
            "NSEC",
            "DNSKEY",
        ),
    )
)
_DNS_TYPE_NAMES |= {
    99: "SPF",
    100: "UINFO",
    101: "UID",
    102: "GID",
    103: "UNSPEC",
    104: "UNSPECA",
    249: "TKEY",
    250: "TSIG",
    251: "IXFR",
    252: "AXFR",
    253: "MAILB",
    254: "MAILA",
    255: "ANY",
    256: "URI",
}
del _DNS_TYPE_NAMES[0]
_DNS_CLASS_NAMES = {1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}
_EDNS_OPTION_NAMES = {
    1: "LLQ",
    2: "UL",
    3: "NSID",
    5: "DAU",
    6: "DHU",
    7: "N3U",
    8: "ECS",
    9: "EXPIRE",
    10: "COOKIE",
    11: "KEEPALIVE",
    12: "PADDING",
    13: "CHAIN",
    14: "KEY-TAG",
    16: "CLIENT-TAG",
    17: "SERVER-TAG",
}
_MAX_DOMAIN_CHARS = 255  # tcpdump's MAXCDNAME
_INVALID = " (invalid)"  # nd_print_invalid
#: The algorithm names of the DAU, DHU and N3U options (print-domain.c dau_alg2str...).
_ALGORITHMS = {
    5: {
        0: "DELETE",
        1: "RSAMD5",
        2: "DH",
        3: "DS",
        5: "RSASHA1",
        6: "DSA-NSEC3-SHA1",
        7: "RSASHA1-NSEC3-SHA1",
        8: "RSASHA256",
        10: "RSASHA512",
        12: "ECC-GOST",
        13: "ECDSAP256SHA256",
        14: "ECDSAP384SHA384",
        15: "ED25519",
        16: "ED448",
        252: "INDIRECT",
        253: "PRIVATEDNS",
        254: "PRIVATEOID",
    },
    6: {1: "SHA-1", 2: "SHA-256", 3: "GOST_R_34.11-94", 4: "SHA-384"},
    7: {1: "SHA-1"},
}


def _ecs(data: bytes) -> str:
    """print_eopt_ecs: an EDNS client subnet, address/source/scope."""
    if len(data) < 4:
        return _INVALID
    family, source, scope = int.from_bytes(data[:2]), data[2], data[3]
    bits = {1: 32, 2: 128}.get(family)
    if bits is None or len(data) - 4 > bits // 8:
        return _INVALID
    if source > bits or scope > bits or (source + 7) // 8 != len(data) - 4:
        return _INVALID
    address = data[4:].ljust(bits // 8, b"\0")
    text = socket.inet_ntoa(address) if family == 1 else socket.inet_ntop(socket.AF_INET6, address)
    return f"{text}/{source}/{scope}"


class _DomainCut(Exception):
    """A read past the captured bytes: tcpdump's longjmp to " [|domain]"."""


class _Domain:
    """tcpdump's domain_print over a message's captured bytes: its text, piece by piece."""

    def __init__(self, data: bytes, verbose: int, mdns: bool) -> None:
        self.data, self.end, self.verbose, self.mdns = data, len(data), verbose, mdns
        self.out: list[str] = []

    def has(self, at: int, size: int) -> bool:
        return at >= 0 and at + size <= self.end

    def u8(self, at: int) -> int:
        if not self.has(at, 1):
            raise _DomainCut
        return self.data[at]

    def u16(self, at: int) -> int:
        if not self.has(at, 2):
            raise _DomainCut
        return int.from_bytes(self.data[at : at + 2])

    def u32(self, at: int) -> int:
        if not self.has(at, 4):
            raise _DomainCut
        return int.from_bytes(self.data[at : at + 4])

    def printn(self, at: int, count: int) -> bool:
        """nd_printn: up to ``count`` characters as text; True when the capture ends first."""
        shown = self.data[at : at + count] if at < self.end else b""
        self.out.append(_printable(shown))
        return len(shown) < count

    def skip_name(self, at: int) -> int | None:
        """ns_nskip."""
        if not self.has(at, 1):
            return None
        label = self.data[at]
        at += 1
        while label:
            kind = label & 0xC0
            if kind == 0xC0:
                return at + 1
            if kind == 0x40:
                if label & 0x3F != 1 or not self.has(at, 1):
                    return None
                at += 1 + ((self.data[at] or 256) + 7) // 8
            elif kind == 0x80:
                return None
            else:
                at += label
            if not self.has(at, 1):
                return None
            label = self.data[at]
            at += 1
        return at

    def label_length(self, at: int) -> int:
        """labellen: -1 when unreadable (printing why, as tcpdump does)."""
        if not self.has(at, 1):
            return -1
        label = self.data[at]
        kind = label & 0xC0
        if kind == 0x40:
            if label & 0x3F != 1:
                self.out.append(f"<ELT {label & 0x3F}>")
                return -1
            if not self.has(at + 1, 1):
                return -1
            return ((self.data[at + 1] or 256) + 7) // 8 + 1
        if kind == 0x80:
            self.out.append("<BAD LABEL TYPE>")
            return -1
        return label

    def bit_label(self, at: int) -> int:
        """blabel_print (what it printed stays when the capture ends inside it)."""
        bits = self.u8(at) or 256
        limit = at + 1 + (bits + 3) // 4
        position, left = at + 1, bits
        self.out.append("\\[x")
        while position < limit and left > 7:
            self.out.append(f"{self.u8(position):02x}")
            left, position = left - 8, position + 1
        if left > 4:
            self.out.append(f"{self.u8(position) & (0xFF << (8 - left)) & 0xFF:02x}")
        elif left > 0:
            self.out.append(f"{(self.u8(position) >> 4) & 0x0F & (0x0F << (4 - left)):1x}")
        self.out.append(f"/{bits}]")
        return limit

    def name(self, at: int) -> int | None:
        """fqdn_print: the name at ``at`` (pointers from the message's start, which only go back);
        where what follows it begins, None when it cannot be read."""
        length = self.label_length(at)
        if length == -1 or not self.has(at, 1):
            return None
        limit = at
        label = self.data[at]
        at += 1
        after: int | None = None
        compressed = False
        if label & 0xC0 != 0xC0:
            after = at + length
        if label == 0:
            self.out.append(".")
            return after
        chars = 0
        while label and at < self.end:
            kind = label & 0xC0
            if kind == 0xC0:
                if not compressed:
                    after, compressed = at + 1, True
                target = ((label << 8) | self.u8(at)) & 0x3FFF
                if target >= limit:
                    self.out.append("<BAD PTR>")
                    return None
                limit = at = target
                if not self.has(at, 1):
                    return None
                label = self.data[at]
                length = self.label_length(at)
                if length == -1:
                    return None
                at += 1
                continue
            if kind == 0x40:
                if label & 0x3F != 1:
                    self.out.append(f"<ELT {label & 0x3F}>")
                    return None
                self.bit_label(at)
            elif kind == 0x80:
                self.out.append("<BAD LABEL TYPE>")
                return None
            else:
                if chars + length <= _MAX_DOMAIN_CHARS:
                    if self.printn(at, length):
                        return None
                elif chars < _MAX_DOMAIN_CHARS and self.printn(at, _MAX_DOMAIN_CHARS - chars):
                    return None
                chars += length
            at += length
            if chars <= _MAX_DOMAIN_CHARS:
                self.out.append(".")
            chars += 1
            if not self.has(at, 1):
                return None
            label = self.data[at]
            length = self.label_length(at)
            if length == -1:
                return None
            at += 1
            if not compressed and after is not None:
                after += length + 1
        if chars > _MAX_DOMAIN_CHARS:
            self.out.append("<DOMAIN NAME TOO LONG>")
        return after

    def type_name(self, number: int) -> str:
        return _DNS_TYPE_NAMES.get(number) or f"Type{number}"

    def class_name(self, number: int) -> str:
        return _DNS_CLASS_NAMES.get(number) or f"(Class {number})"

    def question(self, at: int) -> int | None:
        """ns_qprint."""
        start = at
        skipped = self.skip_name(at)
        if skipped is None or not self.has(skipped, 4):
            return None
        self.out.append(" " + self.type_name(self.u16(skipped)))
        qclass = self.u16(skipped + 2)
        number = qclass & 0x7FFF if self.mdns else qclass
        if number != 1:
            self.out.append(" " + self.class_name(number))
        if self.mdns:
            self.out.append(" (QU)" if qclass & 0x8000 else " (QM)")
        self.out.append("? ")
        end = self.name(start)
        return None if end is None else end + 4

    def record(self, at: int) -> int | None:
        """ns_rprint."""
        if self.verbose:
            self.out.append(" ")
            found = self.name(at)
        else:
            found = self.skip_name(at)
        if found is None or not self.has(found, 10):
            return self.end
        at = found
        kind, rclass = self.u16(at), self.u16(at + 2)
        number = rclass & 0x7FFF if self.mdns else rclass
        if number != 1 and kind != 41:
            self.out.append(" " + self.class_name(number))
        if self.mdns and rclass & 0x8000:
            self.out.append(" (Cache flush)")
        flags = self.u16(at + 6) if kind == 41 else 0
        length = self.u16(at + 8)
        at += 10
        self.out.append(" " + self.type_name(kind))
        if not self.has(at, length):
            raise _DomainCut
        stop = at + length
        if kind == 1:
            if not self.has(at, 4):
                return None
            self.out.append(" " + socket.inet_ntoa(self.data[at : at + 4]))
        elif kind in (2, 5, 12, 39):
            self.out.append(" ")
            if self.name(at) is None:
                return None
        elif kind == 6:
            if self.verbose:
                return self._soa(at)
        elif kind == 15:
            self.out.append(" ")
            if not self.has(at, 2) or self.name(at + 2) is None:
                return None
            self.out.append(f" {self.u16(at)}")
        elif kind == 16:
            while at < stop:
                self.out.append(' "')
                if not self.has(at, 1):
                    return None
                size = self.data[at]
                if self.printn(at + 1, size):
                    return None
                at += 1 + size
                self.out.append('"')
        elif kind == 33:
            self.out.append(" ")
            if not self.has(at, 6) or self.name(at + 6) is None:
                return None
            self.out.append(f":{self.u16(at + 4)} {self.u16(at)} {self.u16(at + 2)}")
        elif kind == 28:
            if not self.has(at, 16):
                return None
            self.out.append(" " + socket.inet_ntop(socket.AF_INET6, self.data[at : at + 16]))
        elif kind == 256:
            if not self.has(at, 4):
                return None
            self.out.append(f" {self.u16(at)} {self.u16(at + 2)} ")
            if length < 4:  # (tcpdump 4.99.3 reads length - 4 unsigned: the target runs to the end)
                self.printn(at + 4, len(self.data) - at - 4)
                return None
            if self.printn(at + 4, length - 4):
                return None
        elif kind == 104:  # UNSPECA: one long string
            if self.printn(at, length):
                return None
        elif kind == 41:
            self.out.append(f" UDPsize={number}")
            if flags & 0x8000:
                self.out.append(" DO")
            if at < stop:
                self.out.append(" [")
                while at < stop:
                    next_at = self._option(at)
                    if next_at is None:
                        return None
                    at = next_at
                    if at < stop:
                        self.out.append(",")
                self.out.append("]")
        return stop

    def _soa(self, at: int) -> int | None:
        self.out.append(" ")
        at_or_none = self.name(at)
        if at_or_none is None:
            return None
        self.out.append(" ")
        at_or_none = self.name(at_or_none)
        if at_or_none is None or not self.has(at_or_none, 20):
            return None
        self.out.append("".join(f" {self.u32(at_or_none + 4 * index)}" for index in range(5)))
        return at_or_none + 20

    def _option(self, at: int) -> int | None:
        """eopt_print."""
        if not self.has(at, 4):
            return None
        code, length = self.u16(at), self.u16(at + 2)
        self.out.append(_EDNS_OPTION_NAMES.get(code) or f"Opt{code}")
        at += 4
        if not self.has(at, length):
            return None
        data = self.data[at : at + length]
        if length:
            self.out.append(" ")
            if code == 8:
                self.out.append(_ecs(data))
            elif code == 10:
                valid = 8 <= length <= 40 and not 8 < length < 16
                self.out.append(f"{data[:8].hex()} {data[8:].hex()}".rstrip() if valid else _INVALID)
            elif code == 11:
                self.out.append(f"{int.from_bytes(data) / 10.0:0.1f} sec" if length == 2 else _INVALID)
            elif code == 9:
                self.out.append(f"{int.from_bytes(data)} sec" if length == 4 else _INVALID)
            elif code == 12:
                self.out.append(f"({length})")
            elif code == 14:
                keys = (str(int.from_bytes(data[i : i + 2])) for i in range(0, length, 2))
                self.out.append(" ".join(keys) if length % 2 == 0 else _INVALID)
            elif code in _ALGORITHMS:
                names = _ALGORITHMS[code]
                self.out.append(" ".join(names.get(byte) or f"Alg_{byte}" for byte in data))
            elif code == 13:
                self.name(at)
            else:
                self.out.append(data.hex())
        return at + length

    def message(self, length: int) -> str:
        """domain_print after the TCP prefix: the message's line text."""
        try:
            self._message(length)
        except _DomainCut:
            self.out.append(" [|domain]")
        return "".join(self.out)

    def _message(self, length: int) -> None:
        if length < 12:
            self.out.append(f"domain [length {length} < 12] (invalid)")
            return
        if not self.has(0, 12):
            raise _DomainCut
        ident, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!HHHHHH", self.data)
        rcode = flags & 0xF | self._extended_rcode(qdcount, ancount + nscount, arcount) << 4
        opcode = flags >> 11 & 0xF
        at: int | None = 12
        if flags & 0x8000:  # a response
            name = _DNS_RCODES[rcode] if rcode < len(_DNS_RCODES) else f" Resp{rcode & 0xFFF}"
            self.out.append(
                f"{ident}{_DNS_OPS[opcode]}{name}{'*' if flags & 0x400 else ''}{'' if flags & 0x80 else '-'}"
                f"{'|' if flags & 0x200 else ''}{'$' if flags & 0x20 else ''}"
            )
            if qdcount != 1:
                self.out.append(f" [{qdcount}q]")
            for index in range(qdcount):
                if index:
                    self.out.append(",")
                if self.verbose > 1:
                    self.out.append(" q:")
                    at = self.question(at)  # type: ignore[arg-type]
                else:
                    at = self.skip_name(at)  # type: ignore[arg-type]
                    at = None if at is None else at + 4
                if at is None:
                    raise _DomainCut
            self.out.append(f" {ancount}/{nscount}/{arcount}")
            at = self._records(at, ancount, "")  # type: ignore[arg-type]
            if self.verbose > 1:
                at = self._records(at, nscount, " ns:", gated=True)
                self._records(at, arcount, " ar:", gated=True)
        else:
            self.out.append(
                f"{ident}{_DNS_OPS[opcode]}{'+' if flags & 0x100 else ''}{'%' if flags & 0x10 else ''}"
            )
            if flags & 0x6CF:
                self.out.append(f" [b2&3=0x{flags:x}]")
            if opcode == 1:  # IQUERY
                if qdcount:
                    self.out.append(f" [{qdcount}q]")
                if ancount != 1:
                    self.out.append(f" [{ancount}a]")
            else:
                if ancount:
                    self.out.append(f" [{ancount}a]")
                if qdcount != 1:
                    self.out.append(f" [{qdcount}q]")
            if nscount:
                self.out.append(f" [{nscount}n]")
            if arcount:
                self.out.append(f" [{arcount}au]")
            left = qdcount
            if left:
                at = self.question(at)  # type: ignore[arg-type]
                if at is None:
                    raise _DomainCut
                left -= 1
                while at < self.end and left:
                    at = self.question(at)
                    if at is None:
                        raise _DomainCut
                    left -= 1
            if left:
                raise _DomainCut
            if self.verbose > 1:
                at = self._records(at, ancount, "")  # type: ignore[arg-type]
                at = self._records(at, nscount, " ns:", gated=True)
                self._records(at, arcount, " ar:", gated=True)
        self.out.append(f" ({length})")

    def _records(self, at: int, count: int, label: str, gated: bool = False) -> int:
        if count and (not gated or at < self.end):
            self.out.append(label)
            found = self.record(at)
            if found is None:
                raise _DomainCut
            at, count = found, count - 1
            while at < self.end and count:
                self.out.append(",")
                found = self.record(at)
                if found is None:
                    raise _DomainCut
                at, count = found, count - 1
        if count:
            raise _DomainCut
        return at

    def _extended_rcode(self, questions: int, records: int, additional: int) -> int:
        """The high bits of the response code an OPT record holds (domain_print's first pass)."""
        at: int | None = 12
        for _ in range(questions):
            at = self.skip_name(at)  # type: ignore[arg-type]
            if at is None or at + 4 >= self.end:
                return 0
            at += 4
        for _ in range(records):
            at = self.skip_name(at)  # type: ignore[arg-type]
            if at is None or at + 10 > self.end:
                return 0
            at += 10 + int.from_bytes(self.data[at + 8 : at + 10])
            if at >= self.end:
                return 0
        for _ in range(additional):
            at = self.skip_name(at)  # type: ignore[arg-type]
            if at is None or at + 2 > self.end:
                return 0
            kind = int.from_bytes(self.data[at : at + 2])
            at += 4
            if at + 1 > self.end:
                return 0
            if kind == 41:
                return self.data[at]
            at += 4
            if at + 2 > self.end:
                return 0
            at += 2 + int.from_bytes(self.data[at : at + 2])
            if at >= self.end:
                return 0
        return 0


def _dns(message: DNS, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    """The text after the ports (print-udp.c, print-tcp.c: port 53, and mDNS's 5353 over UDP; not
    LLMNR's 5355, which tcpdump leaves as UDP)."""
    data = message.build()
    mdns = False
    over_tcp = isinstance(message, DNSTCP)
    buf = getattr(message, "_buf", None)
    if carrier is not None and not over_tcp and buf is not None and message._off >= 8:
        # (a decoded message in a UDP datagram: the ports are the 8 bytes before it)
        sport, dport = struct.unpack_from("!HH", buf, message._off - 8)
        if _DNS_PORT not in (sport, dport):
            if _MDNS_PORT not in (sport, dport):
                return None
            mdns = True
    # (bytes the capture did not keep count; those a length claims that were never sent do not)
    length = len(data) + min(detail.unseen, detail.lost)
    if detail.cut:  # (an ICMP error's quote: what it holds, of a message that long)
        data = data[: len(data) - detail.cut]
    if not over_tcp:
        return _Domain(data, detail.verbose, mdns).message(length)
    return _dns_tcp_bytes(data, length, detail)


def _dns_bytes(data: bytes, length: int, detail: Detail) -> str:
    return _Domain(data, detail.verbose, False).message(length)


def _dns_tcp_bytes(data: bytes, length: int, detail: Detail) -> str:
    """domain_print over TCP: the 2-byte length first, which must be the rest's."""
    if length < 2:
        return f" [DNS over TCP: length {length} < 2] (invalid)"
    if len(data) < 2:
        return " [|domain]"
    length -= 2
    prefix = int.from_bytes(data[:2])
    if prefix != length:
        return f" [prefix length({prefix}) != length({length})] (invalid)"
    return " " + _Domain(data[2:], detail.verbose, False).message(length)


def _mdns_bytes(data: bytes, length: int, detail: Detail) -> str:
    return _Domain(data, detail.verbose, True).message(length)


_DNS_PORT, _MDNS_PORT = PORT, MDNS_PORT
# -- BOOTP/DHCP (dhcp.py; print-bootp.c) ---------------------------------------------------------

_BOOTP_OPS = {1: "Request", 2: "Reply"}
_BOOTP_CHADDR = _field_bytes(BOOTP.span.chaddr)


def _bootp(message: BOOTP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    data = message.build()
    return bootp_text(data, len(data) + detail.unseen)


def bootp_text(data: bytes, length: int, verbose: int = 0) -> str:
    """tcpdump's words for a BOOTP/DHCP message (print-bootp.c bootp_print, without -v), read
    from its bytes as far as they go ("[|bootp]" where they stop), ``length`` long as UDP says."""
    if not data:
        return " [|bootp]"
    op = data[0]
    text = "BOOTP/DHCP, " + _BOOTP_OPS.get(op, f"unknown (0x{op:02x})")
    if len(data) < _BOOTP_HLEN + 1:
        return f"{text} [|bootp]"
    if data[_BOOTP_HTYPE] == 1 and data[_BOOTP_HLEN] == _MAC_LEN and op == 1:
        chaddr = data[_BOOTP_CHADDR.start : _BOOTP_CHADDR.start + _MAC_LEN]
        if len(chaddr) < _MAC_LEN:
            return f"{text} [|bootp]"
        text += f" from {chaddr.hex(':')}"
    return f"{text}, length {length}"


_BOOTP_HTYPE, _BOOTP_HLEN = BOOTP.span.htype.start, BOOTP.span.hlen.start
_MAC_LEN = 6


# -- DHCPv6 (dhcp6.py; print-dhcp6.c) -----------------------------------------------------------

#: tcpdump's names of the message types (print-dhcp6.c dh6_msgtype_str).
_DHCP6_TYPES = {
    1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew", 6: "rebind", 7: "reply",
    8: "release", 9: "decline", 10: "reconfigure", 11: "inf-req", 12: "relay-fwd", 13: "relay-reply",
    14: "leasequery", 15: "leasequery-reply",
}  # fmt: skip
_DHCP6_HEADER = 4  #: what tcpdump reads before it names the message: type and transaction ID


#: tcpdump's names of the options (print-dhcp6.c dh6opt_str).
_DHCP6_OPTIONS = {
    1: "client-ID", 2: "server-ID", 3: "IA_NA", 4: "IA_TA", 5: "IA_ADDR", 6: "option-request",
    7: "preference", 8: "elapsed-time", 9: "relay-message", 11: "authentication", 12: "server-unicast",
    13: "status-code", 14: "rapid-commit", 15: "user-class", 16: "vendor-class", 17: "vendor-specific-info",
    18: "interface-ID", 19: "reconfigure-message", 20: "reconfigure-accept", 21: "SIP-servers-domain",
    22: "SIP-servers-address", 23: "DNS-server", 24: "DNS-search-list", 25: "IA_PD", 26: "IA_PD-prefix",
    27: "NIS-server", 28: "NIS+-server", 29: "NIS-domain-name", 30: "NIS+-domain-name", 31: "SNTP-servers",
    32: "lifetime", 33: "BCMCS-domain-name", 34: "BCMCS-server", 36: "Geoconf-Civic", 37: "Remote-ID",
    38: "Subscriber-ID", 39: "Client-FQDN", 40: "PANA-agent", 41: "POSIX-timezone",
    42: "POSIX-tz-database", 43: "Echo-request-option", 44: "Lease-query", 45: "LQ-client-data",
    46: "Clt-time", 47: "LQ-relay-data", 48: "LQ-client-link", 56: "NTP-server", 64: "AFTR-Name",
    112: "MUD-URL",
}  # fmt: skip
_DHCP6_STATUS = (
    "Success", "UnspecFail", "NoAddrsAvail", "NoBinding", "NotOnLink", "UseMulticast", "NoPrefixAvail",
    "UnknownQueryType", "MalformedQuery", "NotConfigured", "NotAllowed",
)  # fmt: skip
_DHCP6_ADDRESS_LISTS = frozenset((22, 23, 27, 28, 31, 34, 40, 48))
_DHCP6_RELAY_HEADER = 34
_DHCP6_TRUNCATED = " [|dhcp6]"


def _bootp_bytes(data: bytes, length: int, detail: Detail) -> str:
    return bootp_text(data, length, detail.verbose)


def _dhcp6_bytes(data: bytes, length: int, detail: Detail) -> str:
    return dhcp6_text(data, length, detail.verbose)


_BOOTP_SERVER, _BOOTP_CLIENT, _DHCP6_SERVER, _DHCP6_CLIENT = 67, 68, 547, 546


def _dhcp6(message: Layer, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    data = message.build()
    return dhcp6_text(data, len(data) + detail.unseen, detail.verbose)


def dhcp6_text(data: bytes, length: int, verbose: int = 0) -> str:
    """tcpdump's words for a DHCPv6 message (print-dhcp6.c dhcp6_print): with ``verbose``, its
    transaction ID or relay addresses and its options; ``length`` long as UDP says."""
    if len(data) < _DHCP6_HEADER:
        return "dhcp6" + _DHCP6_TRUNCATED
    name = _DHCP6_TYPES.get(data[0], f"msgtype-{data[0]}")
    if not verbose:
        return f"dhcp6 {name}"
    end = min(len(data), length)
    if data[0] not in (12, 13):
        return f"dhcp6 {name} (xid={int.from_bytes(data[1:4]):x}{_dhcp6_options(data, _DHCP6_HEADER, end)})"
    text = f"dhcp6 {name} ("
    for at, word in ((2, "linkaddr="), (18, " peeraddr=")):
        if len(data) < at + 16:
            return text + _DHCP6_TRUNCATED
        text += word + _ip6(data[at : at + 16])
    return text + _dhcp6_options(data, _DHCP6_RELAY_HEADER, end) + ")"


def _dhcp6_options(data: bytes, at: int, end: int) -> str:
    """print-dhcp6.c dhcp6opt_print: each option of ``data[at:end]`` in parentheses."""
    out = ""
    while at < end:
        if end < at + 4:
            return out + _DHCP6_TRUNCATED
        code, size = int.from_bytes(data[at : at + 2]), int.from_bytes(data[at + 2 : at + 4])
        if end < at + 4 + size:
            return out + _DHCP6_TRUNCATED
        out += " (" + _DHCP6_OPTIONS.get(code, f"opt_{code}")
        try:
            out += _dhcp6_option(code, data, at + 4, at + 4 + size)
        except _Cut as cut:  # (print-dhcp6.c's goto trunc: the rest of this list is not printed)
            return f"{out}{cut.args[0]}{_DHCP6_TRUNCATED}"
        at += 4 + size
    return out


class _Cut(Exception):
    """An option's words that end where the capture does (its text so far is the argument)."""


def _dhcp6_option(code: int, data: bytes, start: int, stop: int) -> str:
    """The words after an option's name, its closing parenthesis included."""
    body = data[start:stop]
    size = len(body)
    if code in (1, 2):
        if size < 2:
            return " ?)"
        kind = int.from_bytes(body[:2])
        if kind == 1:
            if size < 8:
                return " ?)"
            hardware, time = int.from_bytes(body[2:4]), int.from_bytes(body[4:8])
            return f" hwaddr/time type {hardware} time {time} {body[8:].hex()})"
        if kind == 2:  # (4.99.3: the enterprise number and the identifier's first 4 bytes, as hex)
            return f" vid {body[2:10].hex()})" if size >= 10 else " ?)"
        if kind == 3:
            return f" hwaddr type {int.from_bytes(body[2:4])} {body[4:].hex()})" if size >= 4 else " ?)"
        return f" type {kind})"
    if code == 5:
        if size < 24:
            return " ?)"
        text = f" {_ip6(body[:16])} pltime:{int.from_bytes(body[16:20])} vltime:{int.from_bytes(body[20:24])}"
        return text + _dhcp6_options(data, start + 24, stop) + ")"
    if code in (6, 43):
        if size % 2:
            return " ?)"
        names = (int.from_bytes(body[at : at + 2]) for at in range(0, size, 2))
        return "".join(" " + _DHCP6_OPTIONS.get(number, f"opt_{number}") for number in names) + ")"
    if code == 7:
        return f" {body[0]})" if size == 1 else " ?)"
    if code == 8:
        return f" {int.from_bytes(body)})" if size == 2 else " ?)"
    if code == 9:
        return " (" + dhcp6_text(body, size, 1) + ")"  # (sic: the option's own parenthesis stays open)
    if code in (14, 20):
        return ")"
    if code in (18, 38):
        return f" {body[:10].hex()}...)"
    if code == 19:
        if size != 1:
            return " ?)"
        return {5: " for renew)", 11: " for inf-req)"}.get(body[0], f" for ???({body[0]:02x}))")
    if code in _DHCP6_ADDRESS_LISTS:
        if size % 16:
            return " ?)"
        return "".join(" " + _ip6(body[at : at + 16]) for at in range(0, size, 16)) + ")"
    if code == 13:
        if size < 2:
            return " ?)"
        status = int.from_bytes(body[:2])
        word = (
            "INVALID code"
            if status > 255
            else (_DHCP6_STATUS[status] if status < len(_DHCP6_STATUS) else f"code{status}")
        )
        return f" {word})"
    if code in (3, 25):
        if size < 12:
            return " ?)"
        words = [int.from_bytes(body[at : at + 4]) for at in (0, 4, 8)]
        text = f" IAID:{words[0]} T1:{words[1]} T2:{words[2]}"
        return text + _dhcp6_options(data, start + 12, stop) + ")"
    if code == 4:
        if size < 4:
            return " ?)"
        text = f" IAID:{int.from_bytes(body[:4])}"
        return text + _dhcp6_options(data, start + 4, stop) + ")"
    if code == 26:
        if size < 25:
            return " ?)"
        lifetimes = f"pltime:{int.from_bytes(body[:4])} vltime:{int.from_bytes(body[4:8])}"
        return f" {_ip6(body[9:25])}/{body[8]} {lifetimes}" + _dhcp6_options(data, start + 25, stop) + ")"
    if code in (32, 46):
        return f" {int.from_bytes(body)})" if size == 4 else " ?)"
    if code == 37:
        return f" {int.from_bytes(body[:4])} {body[4:14].hex()}...)" if size >= 4 else " ?)"
    if code in (21, 24):
        return _domain_names(data, start, stop) + ")"
    if code == _AUTHENTICATION:
        return _authentication(body) + ")" if size >= _AUTH_FIXED else " ?)"
    if code == _LQ_QUERY:
        if size < _LQ_QUERY_FIXED:
            return " ?)"
        query = {1: " by-address", 2: " by-clientID"}.get(body[0], f" type_{body[0]}")
        return f"{query} {_ip6(body[1:17])}" + _dhcp6_options(data, start + _LQ_QUERY_FIXED, stop) + ")"
    if code == _LQ_CLIENT_DATA:
        return _dhcp6_options(data, start, stop) + ")"
    if code == _LQ_RELAY_DATA:
        return f" {_ip6(body[:16])} {body[16:26].hex()}...)" if size >= _IPV6_SIZE else " ?)"
    if code == 64:
        return _aftr_name(body) + ")" if size >= 3 else " ?)"
    if code == 56:
        return _ntp_suboptions(data, start, stop) + ")" if size >= 4 else " ?)"
    if code in (41, 42, 112):
        return (
            " " + body.split(b"\0", 1)[0].decode("latin-1").translate(_PRINTABLE) + ")"
            if size >= 5
            else " ?)"
        )
    return ")"


def _domain_names(data: bytes, start: int, stop: int) -> str:
    """Domain names from ``data[start:stop]`` as tcpdump's fqdn_print shows them ("voo.be."), each
    after a space. Like tcpdump, a name is read on past the option's end (up to the capture's),
    and a compression pointer counts from the option's end; _Cut where the capture ends."""
    out, at = "", start
    while at < stop:
        out += " "
        at, text = _domain_name(data, at, stop, out)
        out += text
    return out


def _domain_name(data: bytes, at: int, base: int, before: str) -> tuple[int, str]:
    """One name at ``at``: where tcpdump reads on from and the name's text (print-domain.c
    fqdn_print, whose reads stop at the capture's end, ``len(data)``)."""
    end = len(data)
    size = _label_size(data, at, before, "")
    if size == 0:
        return at + 1, "."
    text, resume, highest = "", at + 1 + size, None
    at += 1
    while size and at < end:  # (a name whose label starts past the capture ends there, quietly)
        if size & _POINTER == _POINTER:
            if resume < 0 or highest is None:
                resume = at + 1
            offset = (size & _LABEL_MASK) << 8 | data[at]
            if highest is not None and offset >= highest:
                raise _Cut(f"{before}{text}<BAD PTR>")
            highest = offset
            at = base + offset
            size = _label_size(data, at, before, text)
            at += 1
            continue
        label = data[at : at + size]
        text += label.decode("latin-1").translate(_PRINTABLE)
        if len(label) < size:
            raise _Cut(before + text)
        at += size
        text += "."
        size = _label_size(data, at, before, text)
        at += 1
        if highest is None:
            resume += size + 1
    return resume, text


def _label_size(data: bytes, at: int, before: str, text: str) -> int:
    """print-domain.c labellen: the size byte at ``at`` (a pointer's first byte as it is)."""
    if at >= len(data):
        raise _Cut(before + text)
    size = data[at]
    kind = size & _POINTER
    if kind == _EXTENDED:  # (RFC 6891's extended label types: tcpdump names the type and stops)
        raise _Cut(f"{before}{text}<ELT {size & _LABEL_MASK}>")
    if kind == _RESERVED:
        raise _Cut(f"{before}{text}<BAD LABEL TYPE>")
    return size


_POINTER, _EXTENDED, _RESERVED, _LABEL_MASK = 0xC0, 0x40, 0x80, 0x3F


def _aftr_name(body: bytes) -> str:
    """print-dhcp6.c's AFTR-Name: the labels joined by dots, " ?" where one runs past the option."""
    out, at, left = " ", 0, len(body)
    while left and at < len(body) and body[at]:
        size = body[at]
        at += 1
        if size >= left - 1:
            return out + " ?"
        out += body[at : at + size].split(b"\0", 1)[0].decode("latin-1").translate(_PRINTABLE)
        at += size
        left -= size + 1
        if at < len(body) and body[at]:
            out += "."
    return out


def _ntp_suboptions(data: bytes, start: int, stop: int) -> str:
    """print-dhcp6.c's NTP-server: " subopt:N" and an address, a name or "?" for each."""
    out, at = "", start
    while at < stop - 4:
        code, size = int.from_bytes(data[at : at + 2]), int.from_bytes(data[at + 2 : at + 4])
        at += 4
        if at + size > stop:
            raise _Cut(out)
        out += f" subopt:{code}"
        if code in (1, 2):
            out += f" {_ip6(data[at : at + size])}" if size == _IPV6_SIZE else " ?"
        elif code == _NTP_FQDN:
            out += " " + _domain_name(data, at, at + size, out + " ")[1]
        else:
            out += " ?"
        at += size
    return out


_IPV6_SIZE, _NTP_FQDN = 16, 3


def _authentication(body: bytes) -> str:
    """print-dhcp6.c's authentication option (RFC 8415 21.11): protocol, algorithm, RDM and the rest."""
    protocol, algorithm, rdm = body[0], body[1], body[2]
    out = {2: " proto: delayed", 3: " proto: reconfigure"}.get(protocol, f" proto: {protocol}")
    out += ", alg: HMAC-MD5" if algorithm == 1 else f", alg: {algorithm}"
    out += ", RDM: mono" if rdm == 0 else f", RDM: {rdm}"
    out += ", RD:" + "".join(f" {int.from_bytes(body[at : at + 2]):04x}" for at in range(3, 11, 2))
    info = body[_AUTH_FIXED:]
    if protocol == _AUTH_DELAYED:
        if not info:
            return out
        if len(info) < _AUTH_DELAYED_MINIMUM:
            return out + " ??"
        realm, info = info[: len(info) - 20], info[len(info) - 20 :]
        out += f", realm: {realm.hex()}" if realm else ""
        words = " ".join(f"{int.from_bytes(info[at : at + 4]):08x}" for at in range(4, 20, 4))
        return out + f", key ID: {int.from_bytes(info[:4]):08x}, HMAC-MD5: {words}"
    if protocol == _AUTH_RECONFIGURE:
        if len(info) != _AUTH_RECONFIGURE_SIZE:
            return out + " ??"
        kind = {1: " reconfig-key", 2: " type: HMAC-MD5"}.get(info[0], " type: ??")
        words = " ".join(f"{int.from_bytes(info[at : at + 4]):08x}" for at in range(1, 17, 4))
        return out + f"{kind} value: {words}"
    return out + " ??"


_AUTHENTICATION, _LQ_QUERY, _LQ_CLIENT_DATA, _LQ_RELAY_DATA = 11, 44, 45, 47
_AUTH_FIXED, _AUTH_DELAYED, _AUTH_RECONFIGURE = 11, 2, 3
_AUTH_DELAYED_MINIMUM, _AUTH_RECONFIGURE_SIZE, _LQ_QUERY_FIXED = 20, 17, 17


def _ip6(wire: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, wire)


def _print_char(byte: int) -> str:
    """tcpdump's fn_print_char: "M-" before a non-ASCII byte, "^" before a control character."""
    text = ""
    if byte >= 0x80:
        text, byte = "M-", byte & 0x7F
    if not 0x20 <= byte < 0x7F:
        text, byte = text + "^", byte ^ 0x40
    return text + chr(byte)


#: nd_printjn's rendering of each byte (str.translate table).
_PRINTABLE = {byte: _print_char(byte) for byte in range(256)}


# -- SCTP (sctp.py; print-sctp.c) ----------------------------------------------------------------

#: print-sctp.c's sctp_chunkid_str (tcpdump 4.99).
_SCTP_CHUNK_NAMES = {
    0: "DATA",
    1: "INIT",
    2: "INIT ACK",
    3: "SACK",
    4: "HB REQ",
    5: "HB ACK",
    6: "ABORT",
    7: "SHUTDOWN",
    8: "SHUTDOWN ACK",
    9: "OP ERR",
    10: "COOKIE ECHO",
    11: "COOKIE ACK",
    12: "ECN ECHO",
    13: "ECN CWR",
    14: "SHUTDOWN COMPLETE",
    0xC0: "FOR CUM TSN",
    0xC1: "REL CTRL",
    0xC2: "REL CTRL ACK",
}
#: print-sctp.c's PayloadProto_idents (a DATA chunk's PPID).
_SCTP_PPIDS = {
    1: "ISDN Q.921",
    2: "M2UA",
    3: "M3UA",
    4: "SUA",
    5: "M2PA",
    6: "V5.2",
    7: "H.248",
    8: "BICC",
    9: "TALI",
    10: "DUA",
    11: "ASAP",
    12: "ENRP",
    13: "H.323",
    14: "Q.IPC",
    15: "SIMCO",
    16: "DDPSC",
    17: "DDPSSC",
    18: "S1AP",
    19: "RUA",
    20: "HNBAP",
    21: "ForCES HP",
    22: "ForCES MP",
    23: "ForCES LP",
    24: "SBc-AP",
    25: "NBAP",
    27: "X2AP",
}
#: ForCES (RFC 5811) over SCTP: its channels' ports and payload protocol identifiers.
_FORCES_PORTS = {6704: "ForCES HP", 6705: "ForCES MP", 6706: "ForCES LP"}
_FORCES_PPIDS = frozenset((21, 22, 23))
#: print-forces.c's message types (ForCES_msg), for the line after a ForCES DATA chunk.
_FORCES_MESSAGES = {
    0x01: "Association Setup",
    0x02: "Association TearDown",
    0x03: "Config",
    0x04: "Query",
    0x05: "Event Notification",
    0x06: "Packet Redirect",
    0x0F: "HeartBeat",
    0x11: "Association Response",
    0x13: "Config Response",
    0x14: "Query Response",
}
_SCTP_HEADER, _SCTP_CHUNK_HEADER, _FORCES_HEADER, _SCTP_PPID_M3UA = 12, 4, 24, 3


class _SCTPCut(Exception):
    """print-sctp.c read past what the capture holds: the line ends in "[|sctp]"."""


def _sctp(sctp: SCTP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    wire = sctp.build()
    length = len(wire) + detail.unseen
    if detail.cut:  # (an ICMP error's quote: the bytes after what it holds are not there)
        wire = wire[: max(len(wire) - detail.cut, 0)]
    return sctp_text(wire, length, carrier or ("SCTP", "?", "?"), detail.verbose)


def sctp_text(data: bytes, length: int, carrier: Carrier, verbose: int = 0) -> str:
    """tcpdump's line for the SCTP packet ``data`` (the bytes captured), ``length`` long as the
    network header says (print-sctp.c sctp_print, -v at most)."""
    family, src, dst = carrier
    if length < _SCTP_HEADER:
        return f"{_tag(family)}truncated-sctp - {_SCTP_HEADER - length} bytes missing!"
    if len(data) < _SCTP_HEADER:
        return f"{_tag(family)} [|sctp]"
    sport, dport = int.from_bytes(data[0:2]), int.from_bytes(data[2:4])
    out = [f"{_tag(family)}{src}.{sport} > {dst}.{dport}: sctp"]
    forces = False
    for port in (sport, dport):
        if port in _FORCES_PORTS:
            out.append(f"[{_FORCES_PORTS[port]}]")
            forces = True
    try:
        _sctp_chunks(data, length, out, forces, verbose)
    except _SCTPCut:
        out.append(" [|sctp]")
    return "".join(out)


def _sctp_chunks(data: bytes, length: int, out: list[str], forces: bool, verbose: int) -> None:
    def need(stop: int) -> None:
        if stop > len(data):
            raise _SCTPCut

    # (print-sctp.c counts what remains in an unsigned int: a chunk longer than the packet
    # wraps it, and the walk goes on until the capture ends)
    at, remaining, number = _SCTP_HEADER, length - _SCTP_HEADER, 0
    sep = "\n\t" if verbose > 1 else " ("  # (-vv: a line per chunk)
    while remaining:
        number += 1
        if remaining < _SCTP_CHUNK_HEADER:
            out.append(f"{sep}{number}) [chunk descriptor cut off at end of packet]")
            return
        need(at + _SCTP_CHUNK_HEADER)
        kind, flags, chunk_len = data[at], data[at + 1], int.from_bytes(data[at + 2 : at + 4])
        if chunk_len < _SCTP_CHUNK_HEADER:
            out.append(f"{sep}{number}) [Bad chunk length {chunk_len}, < size of chunk descriptor]")
            return
        align = -chunk_len % 4
        if remaining < align:
            out.append(f"{sep}{number}) [Bad chunk length {chunk_len}, > remaining data in packet]")
            return
        need(at + chunk_len)
        name = _SCTP_CHUNK_NAMES.get(kind, f"Unknown chunk type: 0x{kind:x}")
        out.append(f"{sep}{number}) [{name}] ")
        body = at + _SCTP_CHUNK_HEADER
        text, bogus = _sctp_chunk_text(kind, flags, data[body : at + chunk_len], forces, verbose)
        out.append(text)
        if bogus:  # (print-sctp.c returns there)
            return
        forces = forces or (kind == 0 and int.from_bytes(data[body + 8 : body + 12]) in _FORCES_PPIDS)
        at += chunk_len
        remaining = (remaining - chunk_len) & _U32
        if verbose < 2:
            sep = ", ("
        if align:
            need(at + align)
            at += align
            remaining = (remaining - align) & _U32


def _sctp_chunk_text(kind: int, flags: int, value: bytes, forces: bool, verbose: int) -> tuple[str, bool]:
    """The words after a chunk's name (print-sctp.c, without -v), and whether they end the line
    (a chunk too short for its fields: "bogus chunk length N]")."""
    size = len(value)
    bogus = f"bogus chunk length {size + _SCTP_CHUNK_HEADER}]"
    if kind == 0:  # DATA
        marks = "".join(mark for bit, mark in ((4, "(U)"), (2, "(B)"), (1, "(E)")) if flags & bit)
        if marks:
            marks += " "
        if size < 12:
            return marks + bogus, True
        ppid = int.from_bytes(value[8:12])
        words = (
            f"{marks}[TSN: {int.from_bytes(value[0:4])}] [SID: {int.from_bytes(value[4:6])}] "
            f"[SSEQ {int.from_bytes(value[6:8])}] [PPID {_SCTP_PPIDS.get(ppid, f'0x{ppid:x}')}] "
        )
        if size == 12:
            return words + bogus, True
        if forces or ppid in _FORCES_PPIDS:
            words += _forces_text(value[12:], verbose)
        elif verbose > 1 and ppid == _SCTP_PPID_M3UA:
            words += " (invalid)" if size < 12 + 8 else ""  # (M3UA's messages themselves: not rendered)
        elif verbose > 1:
            words += f"[Payload:{hex_and_ascii(value[12:])}]"
        return words, False
    if kind in (1, 2):  # INIT, INIT ACK
        if size < 16:
            return bogus, True
        return (
            f"[init tag: {int.from_bytes(value[0:4])}] [rwnd: {int.from_bytes(value[4:8])}] "
            f"[OS: {int.from_bytes(value[8:10])}] [MIS: {int.from_bytes(value[10:12])}] "
            f"[init TSN: {int.from_bytes(value[12:16])}] ",
            False,
        )
    if kind == 3:  # SACK
        if size < 12:
            return bogus, True
        cumulative = int.from_bytes(value[0:4])
        gaps, dups = int.from_bytes(value[8:10]), int.from_bytes(value[10:12])
        parts = [
            f"[cum ack {cumulative}] [a_rwnd {int.from_bytes(value[4:8])}] "
            f"[#gap acks {gaps}] [#dup tsns {dups}] "
        ]
        at = 12
        for block in range(gaps):
            if at == size:
                break
            if size - at < 4:
                return "".join(parts) + bogus, True
            start, end = int.from_bytes(value[at : at + 2]), int.from_bytes(value[at + 2 : at + 4])
            parts.append(
                f"\n\t\t[gap ack block #{block + 1}: start = {(cumulative + start) & _U32}, "
                f"end = {(cumulative + end) & _U32}] "
            )
            at += 4
        for dup in range(dups):
            if at == size:
                break
            if size - at < 4:
                return "".join(parts) + bogus, True
            parts.append(f"\n\t\t[dup TSN #{dup + 1}: {int.from_bytes(value[at : at + 4])}] ")
            at += 4
        return "".join(parts), False
    return "", False


def _forces_text(message: bytes, verbose: int = 0) -> str:
    """print-forces.c's words for a ForCES message (RFC 5810) without -v: its type, or what is
    wrong with its header (then the message in hex); its TLVs are -v's."""
    if len(message) < _FORCES_HEADER:
        return " [|forces]"
    kind = message[1]
    if not (0 < kind <= 0x14 and not 0x07 <= kind <= 0x0E and kind != 0x10):  # (tom_valid)
        return f"Invalid ForCES message type {kind}\n" + _forces_error(message)
    name = _FORCES_MESSAGES.get(kind)
    if name is None:
        return f"\n\tUnknown ForCES message type=0x{kind:x}" + _forces_error(message)
    text = f"\n\tForCES {name} "
    declared = int.from_bytes(message[2:4]) << 2
    if not (len(message) >= _FORCES_HEADER and declared >= _FORCES_HEADER and declared == len(message)):
        return (
            f"{text}Illegal ForCES pkt len - min {_FORCES_HEADER}, total recvd {len(message)}, "
            f"advertised {declared} " + _forces_error(message)
        )
    text += _forces_header(message, verbose)
    if declared - _FORCES_HEADER > _FORCES_TLV_HEADER:
        if kind == _FORCES_HEARTBEAT:  # (no top-level TLV allowed)
            return f"{text}<0x1>Illegal Top level TLV!\n" + _forces_error(message)
    elif kind not in (_FORCES_ASSOCIATION_SETUP, _FORCES_HEARTBEAT):  # (one TLV or more needed)
        return f"{text}\tTop level TLV Data missing!\n" + _forces_error(message)
    return text


def _forces_header(message: bytes, verbose: int) -> str:
    """print-forces.c's -v and -vv lines on a ForCES header: IDs, correlator and flags."""
    if not verbose:
        return ""
    flags = int.from_bytes(message[20:24])
    source, target = int.from_bytes(message[4:8]), int.from_bytes(message[8:12])
    text = (
        f"\n\tForCES Version {message[0] >> 4} len {len(message)}B flags 0x{flags:08x} "
        f"\n\tSrcID 0x{source:x}({_forces_node(source)}) DstID 0x{target:x}({_forces_node(target)}) "
        f"Correlator 0x{int.from_bytes(message[12:20]):x}"
    )
    if verbose > 1:
        ack, priority, em = flags >> 30, flags >> 27 & 7, flags >> 22 & 3
        at, tp = flags >> 21 & 1, flags >> 19 & 3
        text += (
            f"\n\tForCES flags:\n\t  {_FORCES_ACKS[ack]}(0x{ack:x}), prio={priority}, "
            f"{_FORCES_EMS[em]}(0x{em:x}),\n\t  {_FORCES_ATS[at]}(0x{at:x}), {_FORCES_TPS[tp]}(0x{tp:x})\n"
            f"\t  Extra flags: rsv(b5-7) 0x{flags >> 24 & 7:x} rsv(b13-31) 0x{flags & 0x7FFFF:x}\n"
        )
    return text


def _forces_node(node: int) -> str:
    """print-forces.c ForCES_node: the kind of a ForCES ID."""
    if node <= 0x3FFFFFFF:
        return "FE"
    if node <= 0x7FFFFFFF:
        return "CE"
    if 0xC0000000 <= node <= 0xFFFFFFEF:
        return "AllMulticast"
    return {0xFFFFFFFD: "AllCEsBroadcast", 0xFFFFFFFE: "AllFEsBroadcast", 0xFFFFFFFF: "AllBroadcast"}.get(
        node, "ForCESreserved"
    )


_FORCES_ACKS = ("NoACK", "SuccessACK", "FailureACK", "AlwaysACK")
_FORCES_EMS = ("EMReserved", "execute-all-or-none", "execute-until-failure", "continue-execute-on-failure")
_FORCES_ATS = ("Standalone", "2PCtransaction")
_FORCES_TPS = ("StartofTransaction", "MiddleofTransaction", "EndofTransaction", "abort")


def _forces_error(message: bytes) -> str:
    return _hex_lines(message, "\n\t[") + "\n\t]"


_FORCES_TLV_HEADER, _FORCES_ASSOCIATION_SETUP, _FORCES_HEARTBEAT = 4, 0x01, 0x0F


# -- NTP (ntp.py; print-ntp.c) ------------------------------------------------------------------

#: print-ntp.c's ntp_mode_values.
_NTP_MODES = (
    "unspecified",
    "symmetric active",
    "symmetric passive",
    "Client",
    "Server",
    "Broadcast",
    "Control Message",
    "Reserved",
)


def _ntp(message: NTP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    wire = message.build()
    length = len(wire) + detail.unseen
    if detail.cut:  # (an ICMP error's quote: the bytes after what it holds are not there)
        wire = wire[: max(len(wire) - detail.cut, 0)]
        if not wire:
            return " [|ntp]"
    status = wire[0]
    mode = status & 7
    line = f"NTPv{status >> 3 & 7}, {_NTP_MODES[mode]}, length {length}"
    if not detail.verbose:
        return line
    leap = status & 0xC0  # (print-ntp.c prints it unshifted)
    line += f"\n\tLeap indicator: {_NTP_LEAP[leap >> 6]} ({leap})"
    try:
        if mode <= _NTP_BROADCAST:
            return line + _ntp_time(wire, length)
        if mode == _NTP_CONTROL:
            return line + _ntp_control(wire, length)
    except IndexError:  # (past what the capture holds)
        return line + " [|ntp]"
    return line


_NTP_LEAP = ("", "+1s", "-1s", "clock unsynchronized")
_NTP_BROADCAST, _NTP_CONTROL, _NTP_MESSAGE, _NTP_CONTROL_HEADER = 5, 6, 48, 12
_NTP_INFO_QUERY, _NTP_INFO_REPLY = 62, 63
_JAN_1970, _FMAXINT = 2208988800, 4294967296.0


def _ntp_time(wire: bytes, length: int) -> str:
    """print-ntp.c ntp_time_print (-v): stratum, poll, precision, root delay and dispersion, the
    reference ID and the four timestamps; what the capture cut off ends the text in "[|ntp]"."""
    if length < _NTP_MESSAGE:
        return " (invalid)"
    parts: list[str] = []

    def need(stop: int) -> None:
        if len(wire) < stop:
            parts.append(" [|ntp]")
            raise _NTPCut

    try:
        need(2)
        stratum = wire[1]
        kind = {0: "unspecified", 1: "primary reference"}.get(
            stratum, "secondary reference" if 2 <= stratum <= 15 else "reserved"
        )
        parts.append(f", Stratum {stratum} ({kind})")
        need(3)
        poll = _signed_byte(wire[2])
        interval = "" if not -32 < poll < 32 else f" ({1 << poll}s)" if poll >= 0 else f" (1/{1 << -poll}s)"
        parts.append(f", poll {poll}{interval}")
        need(4)
        parts.append(f", precision {_signed_byte(wire[3])}")
        need(8)
        parts.append(f"\n\tRoot Delay: {_ntp_short(wire[4:8])}")
        need(12)
        parts.append(f", Root dispersion: {_ntp_short(wire[8:12])}")
        need(16)
        parts.append(", Reference-ID: ")
        refid = wire[12:16]
        if stratum == 0:
            parts.append("(unspec)")
        elif stratum == 1:
            parts.append("".join(_printable_char(byte) for byte in refid))
        elif stratum in (_NTP_INFO_QUERY, _NTP_INFO_REPLY):
            parts.append(
                f"{_ipv4_text(refid)} {'INFO_QUERY' if stratum == _NTP_INFO_QUERY else 'INFO_REPLY'}"
            )
            return "".join(parts)
        else:
            parts.append(f"0x{int.from_bytes(refid):08x}")
        for at, label in _NTP_TIMESTAMPS:
            need(at + 8)
            parts.append(f"\n\t  {label}{_ntp_timestamp(wire[at : at + 8])}")
        orig = wire[24:32]
        parts.append(f"\n\t    Originator - Receive Timestamp:  {_ntp_delta(orig, wire[32:40])}")
        parts.append(f"\n\t    Originator - Transmit Timestamp: {_ntp_delta(orig, wire[40:48])}")
        extra = length - _NTP_MESSAGE
        if extra in (4, 20, 24):  # a key ID (crypto-NAK), then a 128- or 160-bit digest
            need(52)
            parts.append(f"\n\tKey id: {int.from_bytes(wire[48:52])}")
            if extra > 4:
                need(length)
                parts.append(f"\n\tAuthentication: {wire[52:length].hex()}")
        elif extra > 0:
            parts.append(f"\n\t({extra} more bytes after the header)")
    except _NTPCut:
        pass
    return "".join(parts)


class _NTPCut(Exception):
    """print-ntp.c read past what the capture holds."""


_NTP_TIMESTAMPS = (
    (16, "Reference Timestamp:  "),
    (24, "Originator Timestamp: "),
    (32, "Receive Timestamp:    "),
    (40, "Transmit Timestamp:   "),
)


def _ntp_control(wire: bytes, length: int) -> str:
    """print-ntp.c ntp_control_print (-v): the control message's header."""
    if length < _NTP_CONTROL_HEADER:
        return " (invalid)"
    if len(wire) < _NTP_CONTROL_HEADER:
        raise IndexError
    control = wire[1]
    sequence, status, association, offset, count = (
        int.from_bytes(wire[at : at + 2]) for at in range(2, 12, 2)
    )
    text = (
        f", {'Response' if control & 0x80 else 'Request'}, {'Error' if control & 0x40 else 'OK'}, "
        f"{'More' if control & 0x20 else 'Last'}, OpCode={control & 0x1F}\n"
        f"\tSequence={sequence}, Status={f'0x{status:x}' if status else '0'}, Assoc.={association}, "
        f"Offset={offset}, Count={count}"
    )
    if _NTP_CONTROL_HEADER + count > length:
        return text + " (invalid)"
    if count:
        text += "\n\tTO-BE-DONE: data not interpreted"
    return text


def _signed_byte(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _printable_char(byte: int) -> str:
    """util-print.c fn_print_char: "M-" for a byte over 127, "^" and the letter for a control."""
    prefix = ""
    if byte > 127:
        byte, prefix = byte & 0x7F, "M-"
    if not 0x20 <= byte <= 0x7E:
        byte, prefix = byte ^ 0x40, prefix + "^"
    return prefix + chr(byte)


def _ntp_short(data: bytes) -> str:
    """print-ntp.c p_sfix: a 16.16 fixed-point number, its fraction in millionths."""
    return f"{int.from_bytes(data[0:2])}.{int(int.from_bytes(data[2:4]) / 65536.0 * 1000000.0):06d}"


def _ntp_timestamp(data: bytes) -> str:
    """ntp.c p_ntp_time: seconds.nanoseconds, and the UTC date when the seconds are not 0."""
    seconds, fraction = int.from_bytes(data[0:4]), int.from_bytes(data[4:8])
    text = f"{seconds}.{int(fraction / _FMAXINT * 1000000000.0):09d}"
    if seconds:
        when = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds - _JAN_1970)
        text += f" ({when:%Y-%m-%dT%H:%M:%SZ})"
    return text


def _ntp_delta(old: bytes, new: bytes) -> str:
    """print-ntp.c p_ntp_delta: ``new`` less ``old``, signed (``new`` itself when ``old`` is 0)."""
    old_seconds, old_fraction = int.from_bytes(old[0:4]), int.from_bytes(old[4:8])
    seconds, fraction = int.from_bytes(new[0:4]), int.from_bytes(new[4:8])
    if not old_seconds and not old_fraction:
        return _ntp_timestamp(new)
    if seconds > old_seconds:
        negative, whole, part = False, seconds - old_seconds, (fraction - old_fraction) & _U32
        whole -= old_fraction > fraction
    elif seconds < old_seconds:
        negative, whole, part = True, old_seconds - seconds, (old_fraction - fraction) & _U32
        whole -= fraction > old_fraction
    else:
        whole = 0
        negative = not fraction > old_fraction
        part = fraction - old_fraction if fraction > old_fraction else old_fraction - fraction
    return f"{'-' if negative else '+'}{whole}.{int(part / _FMAXINT * 1000000000.0):09d}"


# -- IGMP (igmp.py; print-igmp.c) -------------------------------------------------------------
# tcpdump reads IGMP from its bytes (a message cut short shows as far as it goes, then "[|igmp]"),
# and so does this: the line of a decoded message and of bytes that did not decode are the same.


class _Short(Exception):
    """A read past the bytes captured: tcpdump's line ends there with "[|proto]"."""


class _Reader:
    """Reads a message's captured bytes as tcpdump's GET_ macros do: past the end is _Short, and
    the line ends with "[|protocol]" (the printer reading: tcpdump's ndo_protocol)."""

    __slots__ = ("data", "protocol")

    def __init__(self, data: bytes, protocol: str) -> None:
        self.data = data
        self.protocol = protocol

    def has(self, end: int) -> bool:
        return end <= len(self.data)

    def need(self, end: int) -> None:
        if end > len(self.data):
            raise _Short

    def u8(self, at: int) -> int:
        self.need(at + 1)
        return self.data[at]

    def u16(self, at: int) -> int:
        self.need(at + 2)
        return int.from_bytes(self.data[at : at + 2])

    def u24(self, at: int) -> int:
        self.need(at + 3)
        return int.from_bytes(self.data[at : at + 3])

    def u32(self, at: int) -> int:
        self.need(at + 4)
        return int.from_bytes(self.data[at : at + 4])

    def ip4(self, at: int) -> str:
        self.need(at + 4)
        return socket.inet_ntoa(self.data[at : at + 4])

    def ip6(self, at: int) -> str:
        self.need(at + 16)
        return socket.inet_ntop(socket.AF_INET6, self.data[at : at + 16])


#: Group record types (print-igmp.c igmpv3report2str, print-icmp6.c mldv2report2str).
_GROUP_RECORD_TYPES = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}
_IGMP_LEN, _IGMPV3_QUERY_LEN, _IGMPV3_REPORT_LEN = 8, 12, 16
_IGMP_DEFAULT_MRT = 100  # (tcpdump leaves the max response time out when it is the default, 10 s)
_TRACE_QUERY_LEN = 16  # mtrace's query after the 8-byte header (source, destination, response, ttl+id)


def _igmp(message: IGMP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    data = message.build()
    text = igmp_text(data, len(data) + detail.unseen, detail.verbose)
    if carrier is None:
        return text
    family, src, dst = carrier
    return f"{_tag(family)}{src} > {dst}: {text}"


def igmp_text(data: bytes, length: int, verbose: int = 0) -> str:
    """tcpdump's words for the IGMP message ``data`` (the bytes captured of the ``length`` the IP
    header gives it): "igmp query v2", "igmp v3 report, 1 group record(s)" (print-igmp.c)."""
    words: list[str] = []
    wire = _Reader(data, "igmp")
    try:
        _igmp_words(wire, length, verbose, words)
    except _Short:
        return "".join(words) + f" [|{wire.protocol}]"
    if verbose and length >= 4 and len(data) >= length and internet_checksum(data[:length]):
        words.append(f" bad igmp cksum {int.from_bytes(data[2:4]):x}!")
    return "".join(words)


def _igmp_words(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    kind = wire.u8(0)
    if kind == 0x11:
        words.append("igmp query")
        if length >= _IGMPV3_QUERY_LEN:
            _igmpv3_query(wire, length, verbose, words)
            return
        code = wire.u8(1)
        if not code:
            words.append(" v1")
        else:
            words.append(" v2" if code == _IGMP_DEFAULT_MRT else f" v2 [max resp time {code}]")
        group = wire.ip4(4)
        if group != "0.0.0.0":
            words.append(f" [gaddr {group}]")
        if length != _IGMP_LEN:
            words.append(f" [len {length}]")
    elif kind == 0x12:
        words.append(f"igmp v1 report {wire.ip4(4)}" + (f" [len {length}]" if length != _IGMP_LEN else ""))
    elif kind == 0x16:
        words.append(f"igmp v2 report {wire.ip4(4)}")
    elif kind == 0x22:
        words.append("igmp v3 report")
        _igmpv3_report(wire, length, verbose, words)
    elif kind == 0x17:
        words.append(f"igmp leave {wire.ip4(4)}")
    elif kind == 0x13:
        words.append("igmp dvmrp")
        if length < _IGMP_LEN:
            words.append(f" [len {length}]")
        else:
            _dvmrp(wire, length, verbose, words)
    elif kind == 0x14:
        words.append("igmp pimv1")
        _pimv1(wire, length, verbose, words)
    elif kind in (0x1E, 0x1F):
        if length < _IGMP_LEN + _TRACE_QUERY_LEN:
            words.append(f" [invalid len {length}]")
            return
        name = "mresp" if kind == 0x1E else "mtrace"
        words.append(f"{name} {wire.u24(21)}: {wire.ip4(8)} to {wire.ip4(12)} reply-to {wire.ip4(16)}")
        if wire.u8(16) >> 4 == 0xE:  # (a multicast response address)
            words.append(f" with-ttl {wire.u8(20)}")
    else:
        words.append(f"igmp-{kind}")


# DVMRP (RFC 1075, draft-ietf-idmr-dvmrp-v3; print-dvmrp.c) and PIMv1 (print-pim.c), which IGMP
# carries as types 0x13 and 0x14: tcpdump's words for them, read from the bytes.
_DVMRP_TYPES = {
    1: "Probe",
    2: "Report",
    3: "Ask-neighbors(old)",
    4: "Neighbors(old)",
    5: "Ask-neighbors2",
    6: "Neighbors2",
    7: "Prune",
    8: "Graft",
    9: "Graft-ACK",
}
_DVMRP_NEIGHBOR_FLAGS = (
    (0x01, "/tunnel"),
    (0x02, "/srcrt"),
    (0x40, "/querier"),
    (0x20, "/disabled"),
    (0x10, "/down"),
)
_INVALID = " (invalid)"


def _dvmrp(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    wire.protocol = "dvmrp"
    kind = wire.u8(1)
    words.append(" " + _DVMRP_TYPES.get(kind, f"[type {kind}]"))
    at, rest = _IGMP_LEN, length - _IGMP_LEN
    if kind == 1 and verbose:  # probe
        if rest < 4:
            words.append(f" [full length {rest} < 4]{_INVALID}")
            return
        words.append(("\n\t" if verbose > 1 else " ") + f"genid {wire.u32(at)}")
        if verbose < 2:
            return
        at, rest = at + 4, rest - 4
        while rest:
            if rest < 4:
                words.append(f"[remaining length {rest} < 4]{_INVALID}")
                return
            words.append(f"\n\tneighbor {wire.ip4(at)}")
            at, rest = at + 4, rest - 4
    elif kind == 2 and verbose > 1:  # report
        _dvmrp_report(wire, at, rest, words)
    elif kind == 4:  # neighbors
        while rest:
            if rest < 7:
                words.append(f" [length {rest} < 7]{_INVALID}")
                return
            local, metric, threshold, count = at, wire.u8(at + 4), wire.u8(at + 5), wire.u8(at + 6)
            at, rest = at + 7, rest - 7
            for _ in range(count):
                if rest < 4:
                    words.append(f" [length {rest} < 4]{_INVALID}")
                    return
                words.append(f" [{wire.ip4(local)} ->")
                words.append(f" {wire.ip4(at)}, ({metric}/{threshold})]")
                at, rest = at + 4, rest - 4
    elif kind == 6:  # neighbors2: the version is in the group address field
        major, minor = wire.u8(7), wire.u8(6)
        words.append(f" (v {major}.{minor}):")
        _dvmrp_neighbors2(wire, at, rest, words)
    elif kind == 7:  # prune
        source, group = wire.ip4(at), wire.ip4(at + 4)
        words.append(f" src {source} grp {group}")
        words.append(" timer ")
        words.append(_relative_time(wire.u32(at + 8)))
    elif kind in (8, 9):  # graft, graft-ack
        source, group = wire.ip4(at), wire.ip4(at + 4)
        words.append(f" src {source} grp {group}")


def _dvmrp_report(wire: _Reader, at: int, rest: int, words: list[str]) -> None:
    while rest:
        if rest < 3:
            words.append(f" [length {rest} < 3]{_INVALID}")
            return
        mask = 0xFF << 24 | wire.u8(at) << 16 | wire.u8(at + 1) << 8 | wire.u8(at + 2)
        width = 4 if wire.u8(at + 2) else 3 if wire.u8(at + 1) else 2 if wire.u8(at) else 1
        words.append(f"\n\tMask {socket.inet_ntoa(mask.to_bytes(4))}")
        at, rest = at + 3, rest - 3
        done = False
        while not done:
            if rest < width + 1:
                words.append(f"\n\t  [Truncated Report]{_INVALID}")
                return
            origin = 0
            for _ in range(width):
                origin = origin << 8 | wire.u8(at)
                at += 1
            origin <<= 8 * (4 - width)
            metric = wire.u8(at)
            at += 1
            done = bool(metric & 0x80)
            words.append(f"\n\t  {socket.inet_ntoa(origin.to_bytes(4))} metric {metric & 0x7F}")
            rest -= width + 1


def _dvmrp_neighbors2(wire: _Reader, at: int, rest: int, words: list[str]) -> None:
    while rest:
        if rest < 8:
            words.append(f" [length {rest} < 8]{_INVALID}")
            return
        local = at
        metric, threshold, flags, count = (wire.u8(at + 4 + index) for index in range(4))
        at, rest = at + 8, rest - 8
        count -= 1
        while count >= 0 and rest:
            if rest < 4:
                words.append(f" [length {rest} < 4]{_INVALID}")
                return
            words.append(f" [{wire.ip4(local)} -> ")
            words.append(f"{wire.ip4(at)} ({metric}/{threshold}")
            words.append("".join(name for bit, name in _DVMRP_NEIGHBOR_FLAGS if flags & bit) + ")]")
            at, rest = at + 4, rest - 4
            count -= 1
        if count != -1:
            words.append(f" [invalid ncount]{_INVALID}")
            return


_PIMV1_TYPES = {
    0: "Query",
    1: "Register",
    2: "Register-Stop",
    3: "Join/Prune",
    4: "RP-reachable",
    5: "Assert",
    6: "Graft",
    7: "Graft-ACK",
}
_PIM_MODES = {0: " Dense-mode", 1: " Sparse-mode", 2: " Sparse-Dense-mode"}
_ALL_ONES = 0xFFFFFFFF
_PIMV1_CUT = " [|pimv1]"


def _pimv1(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    wire.protocol = "pimv1"
    kind = wire.u8(1)
    words.append(" " + _PIMV1_TYPES.get(kind, f"[type {kind}]"))
    if kind == 0:
        if wire.has(9):
            mode = wire.u8(8) >> 4
            words.append(_PIM_MODES.get(mode, f" mode-{mode}"))
        if verbose:
            words.append(" (Hold-time ")
            words.append(_relative_time(wire.u16(10)) + ")")
    elif kind == 1:
        if not wire.has(28):  # (the IP header it carries: tcpdump's ND_TCHECK, which ends pimv1's words)
            words.append(_PIMV1_CUT)
            return
        words.append(f" for {wire.ip4(20)} > {wire.ip4(24)}")
    elif kind == 2:
        source, group = wire.ip4(8), wire.ip4(12)
        words.append(f" for {source} > {group}")
    elif kind == 4 and verbose:
        words.append(f" group {wire.ip4(8)}")
        if wire.u32(12) != _ALL_ONES:
            words.append(f"/{wire.ip4(12)}")
        words.append(f" RP {wire.ip4(16)} hold ")
        words.append(_relative_time(wire.u16(22)))
    elif kind == 5:
        source, group = wire.ip4(16), wire.ip4(8)
        words.append(f" for {source} > {group}")
        if wire.u32(12) != _ALL_ONES:
            words.append(f"/{wire.ip4(12)}")
        tree = "RP-tree" if wire.u8(20) & 0x80 else "SPT"
        words.append(f" {tree} pref {wire.u32(20) & 0x7FFFFFFF} metric {wire.u32(24)}")
    elif kind in (3, 6, 7) and verbose:
        if length < _IGMP_LEN:
            words.append(_PIMV1_CUT)
            return
        _pimv1_join_prune(wire, 8, length - 8, verbose, words)
    version = wire.u8(4) >> 4
    if version != 1:
        words.append(f" [v{version}]")


def _pimv1_join_prune(wire: _Reader, at: int, rest: int, verbose: int, words: list[str]) -> None:
    """(A length too short ends the words with "[|pimv1]", and the message's go on.)"""
    if wire.has(at + 30) and wire.u8(at + 11) == 1 and wire.u16(at + 20) + wire.u16(at + 22) == 1:
        joins = wire.u16(at + 20)
        words.append(f" RPF {wire.ip4(at)} ")
        hold = wire.u16(at + 6)
        if hold != 180:
            words.append("Hold " + _relative_time(hold))
        flags = wire.u8(at + 25)
        words.append(
            f"{'Join' if joins else 'Prune'} ({wire.ip4(at + 26)}/{flags & 0x3F}, {wire.ip4(at + 12)}"
        )
        if wire.u32(at + 16) != _ALL_ONES:
            words.append(f"/{wire.ip4(at + 16)}")
        mode = "Sparse" if wire.u8(at + 24) & 0x01 else "Dense"
        words.append(f") {mode}{' WC' if flags & 0x80 else ''} {'RP' if flags & 0x40 else 'SPT'}")
        return
    newline = "\n" if verbose > 1 else ""
    if rest < 4:
        words.append(_PIMV1_CUT)
        return
    words.append(f"{newline} Upstream Nbr: {wire.ip4(at)}")
    at, rest = at + 4, rest - 4
    if rest < 4:
        words.append(_PIMV1_CUT)
        return
    words.append(f"{newline} Hold time: ")
    words.append(_relative_time(wire.u16(at + 2)))
    if verbose < 2:
        return
    at, rest = at + 4, rest - 4
    if rest < 4:
        words.append(_PIMV1_CUT)
        return
    groups = wire.u8(at + 3)
    at, rest = at + 4, rest - 4
    for _ in range(groups):
        if rest < 4:
            words.append(_PIMV1_CUT)
            return
        words.append(f"\n\tGroup: {wire.ip4(at)}")
        at, rest = at + 4, rest - 4
        if rest < 4:
            words.append(_PIMV1_CUT)
            return
        if wire.u32(at) != _ALL_ONES:
            words.append(f"/{wire.ip4(at)}")
        at, rest = at + 4, rest - 4
        if rest < 4:
            words.append(_PIMV1_CUT)
            return
        joins, prunes = wire.u16(at), wire.u16(at + 2)
        words.append(f" joined: {joins} pruned: {prunes}")
        at, rest = at + 4, rest - 4
        for index in range(joins + prunes):
            if rest < 6:
                words.append(_PIMV1_CUT)
                return
            kind = "Join " if index < joins else "Prune"
            first, second, address = wire.u8(at), wire.u8(at + 1), wire.ip4(at + 2)
            words.append(
                f"\n\t{kind} {'Sparse ' if first & 0x01 else 'Dense '}{'WC ' if second & 0x80 else ''}"
                f"{'RP ' if second & 0x40 else 'SPT '}{address}/{second & 0x3F}"
            )
            at, rest = at + 6, rest - 6


def _max_resp_code(code: int, mantissa_bits: int) -> int:
    """A Max Resp Code (or QQIC) as its value (RFC 3376 4.1.1, RFC 3810 5.1.3): from 1 << (bits + 3)
    up, a floating-point value: exponent 3 bits, mantissa ``mantissa_bits``."""
    if code < 1 << (mantissa_bits + 3):
        return code
    mantissa, exponent = code & ((1 << mantissa_bits) - 1), (code >> mantissa_bits) & 7
    return (mantissa | 1 << mantissa_bits) << (exponent + 3)


def _igmpv3_query(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    words.append(" v3")
    if length < _IGMPV3_QUERY_LEN or length & 3:
        words.append(f" [invalid len {length}]")
        return
    code = wire.u8(1)
    if code != _IGMP_DEFAULT_MRT:
        tenths = _max_resp_code(code, 4)
        shown = f"{tenths * 0.1:.1f}s" if tenths < 600 else _relative_time(tenths // 10)
        words.append(f" [max resp time {shown}]")
    group = wire.ip4(4)
    if group == "0.0.0.0":
        return
    words.append(f" [gaddr {group}")
    sources = wire.u16(10)
    if sources:
        if length < _IGMPV3_QUERY_LEN + 4 * sources:
            words.append(" [invalid number of sources]")
        elif verbose > 1:
            words.append(" {")
            for at in range(_IGMPV3_QUERY_LEN, _IGMPV3_QUERY_LEN + 4 * sources, 4):
                words.append(f" {wire.ip4(at)}")
            words.append(" }")
        else:
            words.append(f", {sources} source(s)")
    words.append("]")


def _igmpv3_report(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    if length < _IGMPV3_REPORT_LEN or length & 3:
        words.append(f" [invalid len {length}]")
        return
    groups = wire.u16(6)
    words.append(f", {groups} group record(s)")
    if verbose:
        _group_records(wire, length, verbose, words, 8, 4, "v3")


def _group_records(
    wire: _Reader, length: int, verbose: int, words: list[str], at: int, size: int, version: str
) -> None:
    """-v's group records (IGMPv3's, MLDv2's: addresses of ``size`` bytes), from ``at``; tcpdump
    steps over the sources only (not the auxiliary data)."""
    read = wire.ip4 if size == 4 else wire.ip6
    for _ in range(wire.u16(at - 2)):
        fixed = 4 + size
        if length < at + fixed:
            words.append(" [invalid number of groups]")
            return
        words.append(f" [gaddr {read(at + 4)}")
        kind = wire.u8(at)
        words.append(" " + _GROUP_RECORD_TYPES.get(kind, f" [{version}-report-#{kind}]"))
        sources = wire.u16(at + 2)
        if length < at + fixed + size * sources:
            words.append(f" [invalid number of sources {sources}]")
            return
        if verbose == 1:
            words.append(f", {sources} source(s)")
        else:
            words.append(" {")
            for source in range(sources):
                words.append(f" {read(at + fixed + size * source)}")
            words.append(" }")
        at += fixed + size * sources
        words.append("]")


def _relative_time(seconds: int) -> str:
    """tcpdump's unsigned_relts_print: "1m40s", "68y5w3h14m8s", "0s"."""
    if not seconds:
        return "0s"
    text = ""
    for unit, name in _TIME_UNITS:
        if seconds >= unit:
            text += f"{seconds // unit}{name}"
            seconds %= unit
    return text


_TIME_UNITS = ((31536000, "y"), (604800, "w"), (86400, "d"), (3600, "h"), (60, "m"), (1, "s"))


# -- MLD (mld.py; print-icmp6.c) ---------------------------------------------------------------
# Read from the message's bytes, as IGMP's: a message cut short, or too short for its format,
# shows what tcpdump shows.

_MLD_QUERY, _MLD_REPORT_V2 = 130, 143
_MLD_TYPES = frozenset((130, 131, 132, 143))
_MLD_LEN, _MLDV2_QUERY_LEN, _MLDV2_REPORT_LEN = 24, 28, 8


def mld_text(wire: bytes, length: int, verbose: int = 0) -> tuple[str, bool]:
    """tcpdump's words for the MLD message ``wire`` (the bytes captured of its ``length``), from
    its type's name on, and whether ", length N" follows (print-icmp6.c mld6_print, mldv2_*_print;
    tcpdump prints MLDv1's text right after the name)."""
    kind = wire[0]
    words = [_ICMPV6_TYPES[kind]]
    reader = _Reader(wire, "icmp6")
    try:
        if kind == _MLD_REPORT_V2:
            _mldv2_report(reader, length, verbose, words)
        elif kind != _MLD_QUERY or length == _MLD_LEN:
            if len(wire) >= _MLD_LEN:  # (tcpdump prints nothing of one cut short)
                words.append(f"max resp delay: {reader.u16(4)} addr: {reader.ip6(8)}")
        elif length >= _MLDV2_QUERY_LEN:
            words.append(" v2")
            _mldv2_query(reader, length, verbose, words)
        else:
            words.append(f" unknown-version (len {length}) ")
    except _Short:
        return "".join(words) + f" [|{reader.protocol}]", False
    return "".join(words), True


def _mldv2_report(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    if length < _MLDV2_REPORT_LEN:
        words.append(f" [invalid len {length}]")
        return
    words.append(f", {wire.u16(6)} group record(s)")
    if verbose:
        _group_records(wire, length, verbose, words, _MLDV2_REPORT_LEN, 16, "v2")


def _mldv2_query(wire: _Reader, length: int, verbose: int, words: list[str]) -> None:
    delay = _max_resp_code(wire.u16(4), 12)
    if verbose:
        words.append(f" [max resp delay={delay}]")
    words.append(f" [gaddr {wire.ip6(8)}")
    if verbose:
        flags = wire.u8(24)
        if flags & 0x08:
            words.append(" sflag")
        if flags & 0x07:
            words.append(f" robustness={flags & 0x07}")
        words.append(f" qqi={_max_resp_code(wire.u8(25), 4)}")
    sources = wire.u16(26)
    if sources:
        if length < _MLDV2_QUERY_LEN + 16 * sources:
            words.append(" [invalid number of sources]")
        elif verbose > 1:
            words.append(" {")
            for at in range(_MLDV2_QUERY_LEN, _MLDV2_QUERY_LEN + 16 * sources, 16):
                words.append(f" {wire.ip6(at)}")
            words.append(" }")
        else:
            words.append(f", {sources} source(s)")
    words.append("]")


# -- GRE (gre.py; print-gre.c) ------------------------------------------------------------------

#: print-gre.c's names of the flag bits (-v), in its order.
_GRE_FLAGS = (
    (0x8000, "checksum present"),
    (0x4000, "routing present"),
    (0x2000, "key present"),
    (0x1000, "sequence# present"),
    (0x0800, "source routing present"),
    (0x0080, "ack present"),
)
_GRE_C, _GRE_R, _GRE_K, _GRE_S, _GRE_A = 0x8000, 0x4000, 0x2000, 0x1000, 0x0080
_GRE_SRE_IP, _GRE_SRE_ASN = 0x0800, 0xFFFE  # routing entries' address families (RFC 1701)
_ETHERTYPE_PPP = 0x880B
_ETHERTYPE_TEB = 0x6558
_ETHERTYPE_MPLS = frozenset((0x8847, 0x8848))


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise _Short


def _gre(gre: GRE | GRE_PPTP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    head = "" if carrier is None else f"{_tag(carrier[0])}{carrier[1]} > {carrier[2]}: "
    data = gre.build()
    return head + gre_text(data, len(data) + detail.unseen, detail.verbose, gre.payload)


def gre_text(data: bytes, length: int, verbose: int = 0, inner: Layer | None = None) -> str:
    """print-gre.c's words for the GRE packet ``data`` (``length`` long as IP says), and the line
    of what it carries (``inner``, as decoded; else read from the bytes)."""
    words = ["GRE"]
    try:
        _need(data, 2)
        word = int.from_bytes(data[0:2])
        version = word & 0x7
        words.append(f"v{version}")
        if version == 0:
            return _gre_v0(data, length, verbose, inner, words)
        if version == 1:
            return _gre_v1(data, length, verbose, words)
        return "".join(words) + " ERROR: unknown-version"
    except _Short:
        return "".join(words) + " [|gre]"


def _gre_v0(data: bytes, length: int, verbose: int, inner: Layer | None, words: list[str]) -> str:
    flags = int.from_bytes(data[0:2])
    if verbose:
        words.append(f", Flags [{_bit_names(flags, _GRE_FLAGS)}]")
    _need(data, 4)
    proto = int.from_bytes(data[2:4])
    at = 4
    if flags & (_GRE_C | _GRE_R):
        _need(data, at + 2)  # (tcpdump reads the checksum and the offset one at a time)
        if verbose:
            words.append(f", sum 0x{int.from_bytes(data[at : at + 2]):x}")
        _need(data, at + 4)
        words.append(f", off 0x{int.from_bytes(data[at + 2 : at + 4]):x}")
        at += 4
    if flags & _GRE_K:
        _need(data, at + 4)
        words.append(f", key=0x{int.from_bytes(data[at : at + 4]):x}")
        at += 4
    if flags & _GRE_S:
        _need(data, at + 4)
        words.append(f", seq {int.from_bytes(data[at : at + 4])}")
        at += 4
    if flags & _GRE_R:
        while True:
            _need(data, at + 4)
            family, offset, size = int.from_bytes(data[at : at + 2]), data[at + 2], data[at + 3]
            at += 4
            if family == 0 and size == 0:
                break
            if not _gre_route(data[at:], family, offset, size, words):
                raise _Short
            _need(data, at + size)
            at += size
    if not _TAGGED.get():
        words.append(f", proto {_ethertype_name(proto) or 'unknown'} (0x{proto:04x})")
    words.append(f", length {length}")
    words.append("\n\t" if verbose else ": ")
    text = _carried(proto, data[at:], None if flags & _GRE_R else inner, verbose)
    return "".join(words) + (f"gre-proto-0x{proto:x}" if text is None else text)


def _gre_route(data: bytes, family: int, offset: int, size: int, words: list[str]) -> bool:
    """A routing entry's words (print-gre.c gre_sre_print); False: tcpdump gives up on it."""
    if family not in (_GRE_SRE_IP, _GRE_SRE_ASN):
        words.append(f", (rtaf=0x{family:x})")
        return True
    ip = family == _GRE_SRE_IP
    unit = 4 if ip else 2
    words.append(", (rtaf=ip" if ip else ", (rtaf=asn")
    if offset % unit:
        words.append(f", badoffset={offset}")
        return False
    if size % unit:
        words.append(f", badlength={size}")
        return False
    if offset >= size:
        words.append(f", badoff/len={offset}/{size}")
        return False
    for at in range(0, size, unit):
        _need(data, at + unit)
        mark = "*" if at == offset else ""
        entry = data[at : at + unit]
        words.append(f" {mark}{socket.inet_ntoa(entry) if ip else format(int.from_bytes(entry), 'x')}")
    words.append(")")
    return True


def _gre_v1(data: bytes, length: int, verbose: int, words: list[str]) -> str:
    flags = int.from_bytes(data[0:2])
    if verbose:
        words.append(f", Flags [{_bit_names(flags, _GRE_FLAGS)}]")
    _need(data, 4)
    proto = int.from_bytes(data[2:4])
    at = 4
    if flags & _GRE_K:
        _need(data, at + 4)
        words.append(f", call {int.from_bytes(data[at + 2 : at + 4])}")
        at += 4
    if flags & _GRE_S:
        _need(data, at + 4)
        words.append(f", seq {int.from_bytes(data[at : at + 4])}")
        at += 4
    if flags & _GRE_A:
        _need(data, at + 4)
        words.append(f", ack {int.from_bytes(data[at : at + 4])}")
        at += 4
    if not flags & _GRE_S:
        words.append(", no-payload")
    if not _TAGGED.get():
        words.append(f", proto {_ethertype_name(proto) or 'unknown'} (0x{proto:04x})")
    words.append(f", length {length}")
    if not flags & _GRE_S:
        return "".join(words)
    words.append("\n\t" if verbose else ": ")
    if proto == _ETHERTYPE_PPP:
        return "".join(words) + _ppp_text(data[at:], verbose)
    return "".join(words) + f"gre-proto-0x{proto:x}"


#: PPP's protocol numbers for IPv4 and IPv6 (RFC 1332, RFC 5072): what rawnet reads after PPTP's GRE.
_PPP_NETWORKS = {0x0021: _ETHERTYPE_IPV4, 0x0057: _ETHERTYPE_IPV6}
#: The PPP protocols print-ppp.c names (their words are not rawnet's): no "unknown" for them.
_PPP_CONTROL = frozenset((0xC021, 0x8021, 0x8057, 0x80FD, 0xC223, 0xC023, 0x8207, 0x8281, 0x0281, 0x002B))
_PPP_ADDRESS_CONTROL = b"\xff\x03"


def _ppp_text(data: bytes, verbose: int) -> str:
    """print-ppp.c's line for the PPP frame inside PPTP's GRE (RFC 2637 4.1: address and control
    bytes optional, the protocol field 1 byte when compressed): IPv4 and IPv6 as their lines."""
    if data.startswith(_PPP_ADDRESS_CONTROL):
        data = data[2:]
    if not data or (not data[0] & 1 and len(data) < 2):
        return " [|ppp]"
    size = 1 if data[0] & 1 else 2
    protocol = int.from_bytes(data[:size])
    number = _PPP_NETWORKS.get(protocol)
    if number is not None:
        return _carried(number, data[size:], None, verbose) or ""
    if protocol in _PPP_CONTROL:
        return f"gre-proto-0x{_ETHERTYPE_PPP:x}"  # (a PPP control protocol: tcpdump's words are its own)
    return f"unknown PPP protocol (0x{protocol:04x}) "


def _bit_names(value: int, names: tuple[tuple[int, str], ...], separator: str = ", ") -> str:
    """tcpdump's bittok2str: the names of the bits set, or "none"."""
    return separator.join(name for bit, name in names if value & bit) or "none"


def _carried(number: int, data: bytes, inner: Layer | None, verbose: int) -> str | None:
    """The line of what a tunnel's EtherType ``number`` announces: ``inner`` as decoded, or read
    from ``data``; None for a protocol tcpdump does not read there."""
    decoded = inner is not None and not isinstance(inner, Raw)
    if number in (_ETHERTYPE_IPV4, _ETHERTYPE_IPV6):
        version = 6 if number == _ETHERTYPE_IPV6 else 4
        if decoded and isinstance(inner, IPv6 if version == 6 else IP):
            return _line(inner, Detail(verbose))
        found = data[0] >> 4 if data else version
        line = _network_as_read(data, version, verbose) if found == version else None
        if line is not None:
            return line
        if not data or (version == 6 and len(data) < IPv6.header_len):
            return " [|ip6]" if version == 6 else " [|ip]"
        if version == 6:
            return f"{_tag('IP6')}version error: {found} != 6"
        if found == 6:
            return f"{_tag('IP6,')}wrong link-layer encapsulation (invalid)"  # (print-ip.c's words)
        return f"{_tag(f'IP{found}')}(invalid)"
    if number in _ETHERTYPE_MPLS:
        return _mpls_text(inner if isinstance(inner, MPLS) else None, data, verbose)
    if number == _ETHERTYPE_TEB:
        return inner_frame(inner if isinstance(inner, Ether) else None, data, verbose)
    return None


def inner_frame(frame: Ether | None, data: bytes, verbose: int = 0) -> str:
    """tcpdump's line for an Ethernet frame inside a tunnel (``frame`` as decoded, else read from
    ``data``): the packet's own line, or with -e (link_level) the frame's header before it."""
    if frame is None:
        if len(data) < Ether.header_len:
            return " [|ether]"
        frame = Ether.decode(data, lenient=True)
    head = f"{frame.src} > {frame.dst}, ethertype {ethertype_text(frame.type)}, length {len(frame.build())}"
    if _TAGGED.get():
        line = _line(frame, Detail(verbose))
        return (
            f"{line}: " if line == head else line
        )  # (an EtherType tcpdump does not know: its data dumped after)
    payload = frame.payload
    if payload is None or isinstance(payload, Raw):
        return head
    return f"{head}: {_line(payload, Detail(verbose))}"


# -- VXLAN (vxlan.py; print-vxlan.c) ------------------------------------------------------------


def _vxlan(vxlan: VXLAN, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    flags = int(vxlan.flags)
    text = f"VXLAN, flags [{'I' if flags & VXLAN_INSTANCE else 'invalid'}] (0x{flags:02x}), vni {vxlan.vni}\n"
    payload = vxlan.payload
    return text + inner_frame(
        payload if isinstance(payload, Ether) else None, vxlan._build_payload(None), detail.verbose
    )


# -- Geneve (geneve.py; print-geneve.c) ---------------------------------------------------------

_GENEVE_FLAGS = (
    (0x80, "O"),
    (0x40, "C"),
    (0x20, "R1"),
    (0x10, "R2"),
    (0x08, "R3"),
    (0x04, "R4"),
    (0x02, "R5"),
    (0x01, "R6"),
)
_GENEVE_CLASSES = {
    0x0100: "Linux",
    0x0101: "Open vSwitch",
    0x0102: "Open Virtual Networking (OVN)",
    0x0103: "In-band Network Telemetry (INT)",
    0x0104: "VMware",
}


def _geneve(geneve: GENEVE, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    return geneve_text(geneve.build(), detail.verbose, geneve.payload)


def geneve_text(data: bytes, verbose: int = 0, inner: Layer | None = None) -> str:
    """print-geneve.c's words for the Geneve packet ``data``, and the line of what it carries."""
    if len(data) < GENEVE.header_len:
        return "Geneve [|geneve]"
    version = data[0] >> 6
    if version:
        return f"Geneve ERROR: unknown-version {version}"
    proto, vni, reserved = int.from_bytes(data[2:4]), int.from_bytes(data[4:7]), data[7]
    words = [f"Geneve, Flags [{_bit_names(data[1], _GENEVE_FLAGS, '')}], vni 0x{vni:x}"]
    if reserved:
        words.append(f", rsvd 0x{reserved:x}")
    if not _TAGGED.get():
        words.append(f", proto {_ethertype_name(proto) or 'unknown'} (0x{proto:04x})")
    size = (data[0] & 0x3F) * 4
    end = GENEVE.header_len + size
    if end > len(data):
        return "".join(words) + f" truncated-geneve - {end - len(data)} bytes missing"
    if size:
        options = _geneve_options(data[GENEVE.header_len : end], verbose) if verbose else f"{size} bytes"
        words.append(f", options [{options}]")
    words.append("\n\t" if verbose else ": ")
    text = _carried(proto, data[end:], inner, verbose)
    if text is None:
        inner_class = LAYERS.lookup(ETHERTYPE, proto)
        if inner_class is not None and inner is not None and not isinstance(inner, Raw):
            text = _line(inner, Detail(verbose))
        else:
            text = f"geneve-proto-0x{proto:x}"
    return "".join(words) + text


def _geneve_options(data: bytes, verbose: int) -> str:
    words = []
    at = 0
    while at < len(data):
        if at + 4 > len(data):
            break
        kind, size = data[at + 2], 4 + (data[at + 3] & 0x1F) * 4
        number = int.from_bytes(data[at : at + 2])
        name = _GENEVE_CLASSES.get(number) or (
            "Standard" if number <= 0xFF else "Experimental" if number >= 0xFFF0 else "Unknown"
        )
        text = f"class {name} (0x{number:x}) type 0x{kind:x}{'(C)' if kind & 0x80 else ''} len {size}"
        if size > len(data) - at:
            words.append(text + " [bad length]")
            break
        if verbose > 1 and size > 4:
            text += " data" + "".join(
                f" {int.from_bytes(data[i : i + 4]):08x}" for i in range(at + 4, at + size, 4)
            )
        words.append(text)
        at += size
    return ", ".join(words)


# -- MPLS (mpls.py; print-mpls.c) ---------------------------------------------------------------

_MPLS_LABEL_NAMES = ("IPv4 explicit NULL", "router alert", "IPv6 explicit NULL", "implicit NULL")


def _mpls(entry: MPLS, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    return _mpls_text(entry, entry.build(), detail.verbose)


def _mpls_text(entry: MPLS | None, data: bytes, verbose: int = 0) -> str:
    """print-mpls.c's words for the label stack ``data`` (``entry``, its first entry as decoded),
    then the line of the packet after it."""
    words = ["MPLS"]
    at = 0
    layer: Layer | None = entry
    while True:
        if at + 4 > len(data):
            return "".join(words) + " (invalid)"
        value = int.from_bytes(data[at : at + 4])
        label, bottom = value >> 12, value >> 8 & 1
        words.append(f"{chr(10) + chr(9) if at and verbose else ' '}(label {label}")
        if verbose and label < 16:
            words.append(f" ({_MPLS_LABEL_NAMES[label] if label < 4 else 'rsvd'})")
        words.append(f", tc {value >> 9 & 0x7}{', [S]' if bottom else ''}, ttl {value & 0xFF})")
        at += 4
        layer = layer.payload if isinstance(layer, MPLS) else None
        if bottom:
            break
    rest = data[at:]
    if label in (0, 3):
        version = 4
    elif label == 2:
        version = 6
    elif not rest:
        return "".join(words)
    else:
        first = rest[0]
        version = 4 if 0x45 <= first <= 0x4F else 6 if 0x60 <= first <= 0x6F else 0
    if version == 0:
        return "".join(words)
    number = _ETHERTYPE_IPV6 if version == 6 else _ETHERTYPE_IPV4
    return "".join(words) + ("\n\t" if verbose else " ") + (_carried(number, rest, layer, verbose) or "")


# -- Cisco HDLC and SLARP (chdlc.py; print-chdlc.c) -----------------------------------------------

#: tcpdump -e's words for a CHDLC address (print-chdlc.c's chdlc_cast_values).
_CHDLC_CASTS = {0x0F: "unicast", 0x8F: "bcast"}
_SLARP_PROTOCOL = 0x8035
_CHDLC_ISO = 0xFEFE
_SLARP_MIN, _SLARP_MAX = 14, 18  #: a SLARP message, without and with a keepalive's uptime
_SLARP_TRUNCATED = " [|chdlc_slarp]"


def chdlc_head(header: CHDLC, length: int) -> str:
    """tcpdump -e's words before what a CHDLC header carries (``length``: the frame's)."""
    address = header.address
    cast = _CHDLC_CASTS.get(address, f"0x{address:02x}")
    return f"{cast}, ethertype {ethertype_text(header.proto)}, length {length}: "


def _chdlc(header: CHDLC, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    if _carries_a_protocol(header):
        return None
    proto = header.proto
    network = undecoded_network(proto, header, detail.verbose, detail.lost)
    if network is not None:
        return network
    data = header._build_payload(None)
    if proto == _SLARP_PROTOCOL:  # a message cut short
        return slarp_text(data, len(data) + detail.lost, detail.verbose)
    return chdlc_cut(header) or f"unknown CHDLC protocol (0x{proto:04x})"


def chdlc_cut(header: CHDLC) -> str | None:
    """tcpdump's " [|chdlc]" for an OSI packet of less than 2 bytes (it looks for a fudge byte
    before the NLPID), else None."""
    if header.proto == _CHDLC_ISO and len(header._build_payload(None)) < 2:
        return " [|chdlc]"
    return None


def _slarp(message: SLARP, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    data = message.build()
    return slarp_text(data, len(data) + detail.lost, detail.verbose)


def slarp_text(data: bytes, length: int, verbose: int = 0) -> str:
    """tcpdump's words for the SLARP message ``data`` (``length`` bytes on the wire)."""
    text = f"SLARP (length: {length}), "
    if length < _SLARP_MIN or len(data) < _SLARP_MIN:
        return text + _SLARP_TRUNCATED
    code = int.from_bytes(data[0:4])
    if code == 0:
        text += "request"
    elif code == 1:
        text += f"reply {socket.inet_ntoa(data[4:8])}/{socket.inet_ntoa(data[8:12])}"
    elif code == 2:  # keepalive
        mine, yours, reliability = _SLARP_KEEPALIVE.unpack_from(data, 4)
        text += f"keepalive: mineseen=0x{mine:08x}, yourseen=0x{yours:08x}, reliability=0x{reliability:04x}"
        if length >= _SLARP_MAX:  # (the uptime is optional)
            if len(data) < _SLARP_MAX:
                return text + _SLARP_TRUNCATED
            seconds = int.from_bytes(data[14:18]) // 1000
            minutes, seconds = divmod(seconds, 60)
            hours, minutes = divmod(minutes, 60)
            days, hours = divmod(hours, 24)
            text += f", link uptime={days}d{hours}h{minutes}m{seconds}s"
    else:
        text += f"0x{code:02x} unknown"
        if verbose <= 1:
            text += _hex_lines(data[4:length], "\n\t")
    if length > _SLARP_MAX and verbose:
        text += f", (trailing junk: {length - _SLARP_MAX} bytes)"
    if verbose > 1:
        text += _hex_lines(data[4:length], "\n\t")
    return text


_SLARP_KEEPALIVE = struct.Struct("!IIH")


# -- Solaris IPNET (ipnet.py; print-ipnet.c) ------------------------------------------------------

_IPNET_ETHERTYPES = {2: _ETHERTYPE_IPV4, 26: _ETHERTYPE_IPV6}


def ipnet_head(header: IPNET, length: int) -> str:
    """The words tcpdump -e (or, for a family it does not print, tcpdump) puts before what an
    IPNET header carries (``length``: the frame's)."""
    family = header.family
    name = IPNET_FAMILIES.get(family, "Unknown")
    return f"{header.zsrc} > {header.zdst}, family {name} ({family}), length {length}: "


def ipnet_ethertype(header: IPNET) -> int | None:
    """The EtherType of the network protocol an IPNET header says it carries (IPv4, IPv6)."""
    return _IPNET_ETHERTYPES.get(header.family)


def _ipnet(header: IPNET, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    if _carries_a_protocol(header):
        return None
    network = undecoded_network(ipnet_ethertype(header), header, detail.verbose, detail.lost)
    if network is not None:
        return network
    return ipnet_head(header, len(header.build()) + detail.lost)


# -- Marvell DSA and EDSA tags (dsa.py; print-dsa.c) ------------------------------------------------

_DSA_TO_CPU, _DSA_FROM_CPU, _DSA_TO_SNIFFER, _DSA_FORWARD = 0, 1, 2, 3
#: To CPU's codes (print-dsa.c's dsa_code_values).
_DSA_CODES = {0: "BPDU (MGMT) Trap", 1: "Frame2Reg", 2: "IGMP/MLD Trap", 3: "Policy Trap", 4: "ARP Mirror",
              5: "Policy Mirror"}  # fmt: skip


def dsa_tag_text(tag: DSA | EDSA, link_level: bool = False) -> str:
    """tcpdump's words for a DSA or EDSA tag: without -e ("DSA Forward port 0.1, VLAN 0u, ") or,
    with ``link_level``, -e's ("Marvell DSA mode Forward, dev 0, port 1, untagged, VID 0, FPri 0, ")."""
    mode, dev, port, b18 = tag.mode, tag.dev, tag.port, tag.b18
    if isinstance(tag, EDSA):
        etype = tag.etype
        if link_level:
            name = _ethertype_name(etype) or "Unknown"
            text = f"Marvell EDSA ethertype 0x{etype:04x} ({name}), rsvd {tag.rsvd1} {tag.rsvd2}, "
        else:
            text = f"EDSA 0x{etype:04x}, "
    else:
        text = "Marvell DSA " if link_level else "DSA "
    if not link_level:
        text += {
            _DSA_FORWARD: f"Forward {'trunk' if b18 else 'port'} {dev}.{port}, ",
            _DSA_FROM_CPU: f"CPU > port {dev}.{port}, ",
            _DSA_TO_CPU: f"port {dev}.{port} > CPU, ",
            _DSA_TO_SNIFFER: f"port {dev}.{port} > {'Rx' if b18 else 'Tx'} Sniffer, ",
        }[mode]
        return text + f"VLAN {tag.vid}{'t' if tag.tagged else 'u'}, "
    text += f"mode {DSA_MODES[mode]}, "
    if mode == _DSA_FORWARD:
        text += f"dev {dev}, {'trunk' if b18 else 'port'} {port}, "
    elif mode == _DSA_FROM_CPU:
        text += f"target dev {dev}, port {port}, "
    elif mode == _DSA_TO_CPU:
        code = b18 << 2 | tag.b17 << 1 | tag.b12
        text += f"source dev {dev}, port {port}, code {_DSA_CODES.get(code, 'reserved')}, "
    else:
        text += f"source dev {dev}, port {port}, {'ingress' if b18 else 'egress'} sniff, "
    text += f"{'tagged' if tag.tagged else 'untagged'}, {'CFI, ' if tag.cfi else ''}"
    return text + f"VID {tag.vid}, FPri {tag.pri}, "


def _dsa(tag: DSA | EDSA, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    # Without -e: the tag's words, then the frame's line as Ethernet's goes on (with its tags)
    payload = tag.payload
    text = dsa_tag_text(tag)
    if payload is not None and not isinstance(payload, Raw):
        return text + _line(payload, detail)
    network = undecoded_network(tag.type, tag, detail.verbose, detail.lost)
    if network is not None:
        return text + network
    return f"{text}ethertype {ethertype_text(tag.type)}, length {len(tag.build()) + detail.lost}"


# -- Linux vsock monitor (vsock.py; print-vsock.c) -------------------------------------------------

_VIRTIO_TRANSPORT = 2
_VSOCK_PAYLOAD = 4
_VIRTIO_TYPES = {1: "STREAM"}


def _vsock(header: VSOCK, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    # (the length is what the capture kept: tcpdump prints the record's caplen)
    length = len(header.build())
    transport = header.transport
    text = VSOCK_TRANSPORTS.get(transport, f"Invalid transport ({transport})")
    virtio = header.payload
    cut = transport == _VIRTIO_TRANSPORT and not isinstance(virtio, VirtioVSOCK)
    if detail.verbose:
        if isinstance(virtio, VirtioVSOCK) and transport == _VIRTIO_TRANSPORT:
            kind, op = virtio.type, virtio.op
            text += (
                f" (len {virtio.len}, type {_VIRTIO_TYPES.get(kind, f'Invalid type ({kind})')}, "
                f"op {VIRTIO_OPS.get(op, f'Invalid op ({op})')}, flags {virtio.flags:x}, "
                f"buf_alloc {virtio.buf_alloc}, fwd_cnt {virtio.fwd_cnt})"
            )
        if not cut:
            text += "\n\t"
    else:
        text += " "
    op = header.op
    source, target = int(header.src_cid), int(header.dst_cid)
    text += f"{source}.{header.src_port} > {target}.{header.dst_port} "
    text += f"{VSOCK_OPS.get(op, f' invalid op ({op})')}, length {length}"
    if cut and detail.verbose:
        return text + " [|vsock]"
    if detail.verbose > 1 and op == _VSOCK_PAYLOAD:  # the data, after the headers
        data = virtio.build()[VirtioVSOCK.header_len :] if virtio is not None else b""
        text += "\n" + _hex_lines(data, "\t") if data else " [|vsock]"
    return text


# -- Linux NFLOG (nflog.py; print-nflog.c) ---------------------------------------------------------

_NFLOG_ETHERTYPES = {2: _ETHERTYPE_IPV4, 10: _ETHERTYPE_IPV6}


def nflog_head(record: NFLOG, length: int) -> str:
    """The words tcpdump -e (or, for a family it does not print, tcpdump) puts before the packet
    an NFLOG record holds (``length``: the record's); a version other than 0 is all it says."""
    if record.version:
        return f"version {record.version} (unknown)"
    family = record.family
    name = NFLOG_FAMILIES.get(family, "Unknown")
    return f"version 0, resource ID {record.resource_id}, family {name} ({family}), length {length}: "


def nflog_ethertype(record: NFLOG) -> int | None:
    """The EtherType of the network protocol an NFLOG record says it holds (IPv4, IPv6)."""
    return _NFLOG_ETHERTYPES.get(record.family)


def _nflog(record: NFLOG, carrier: Carrier | None, detail: Detail = _PLAIN) -> str | None:
    if record.version:
        return nflog_head(record, 0)
    if _carries_a_protocol(record):
        return None
    network = undecoded_network(nflog_ethertype(record), record, detail.verbose, detail.lost)
    if network is not None:
        return network
    # (a family tcpdump does not print: the length counts the header and what follows the TLVs)
    rest = len(record._build_payload(None)) + len(record.padding)
    return nflog_head(record, NFLOG.header_len + rest + detail.lost)


# -- Broadcom switch tags (brcm.py; print-brcmtag.c) ------------------------------------------------

_BRCM_INGRESS = 0x20  #: opcode 1, in the tag's first byte
_BRCM_TE = {0: "None", 1: "Untag", 2: "Header", 3: "Reserved"}
_BRCM_RC = {1: "mirror", 2: "MAC learning", 4: "switching", 8: "prot term", 16: "prot snoop", 32: "exception"}


def brcm_tag_text(tag: int) -> str:
    """tcpdump 4.99's words for a Broadcom tag ("BRCM tag OP: IG, TC: 0, ..., DST map: 0x0080, ")."""
    first, second, third, fourth = tag.to_bytes(4, "big")
    text = f"BRCM tag OP: {'IG' if first else 'EG'}"
    if first & _BRCM_INGRESS:
        text += f", TC: {(second >> 2) & 7}, TE: {_BRCM_TE[second & 3]}, TS: {second >> 7}"
        text += f", DST map: 0x{(third << 8 | fourth) & 0x1FF:04x}"
    else:
        text += f", CID: {second}, RC: {_BRCM_RC.get(third, 'reserved')}, TC: {(fourth >> 5) & 7}"
        text += f", port: {fourth & 0x1F}"
    return text + ", "


def _brcm(frame: BRCMTag, carrier: Carrier | None, detail: Detail = _PLAIN) -> str:
    # Without -e: the tag's words, then the frame's line as Ethernet's goes on (with its tags)
    payload = frame.payload
    text = brcm_tag_text(frame.tag)
    if payload is not None and not isinstance(payload, Raw):
        return text + _line(payload, detail)
    network = undecoded_network(frame.type, frame, detail.verbose, detail.lost)
    if network is not None:
        return text + network
    return f"{text}ethertype {ethertype_text(frame.type)}, length {len(frame.build()) + detail.lost}"


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
    Loopback: _loopback,
    LLDPDU: _lldp,
    CHDLC: _chdlc,
    SLARP: _slarp,
    IPNET: _ipnet,
    DSA: _dsa,
    EDSA: _dsa,
    VSOCK: _vsock,
    NFLOG: _nflog,
    BRCMTag: _brcm,
    Raw: _raw,
    Undecoded: _undecoded,
    SCTP: _sctp,
    IGMP: _igmp,
    GRE: _gre,
    GRE_PPTP: _gre,
    MPLS: _mpls,
}
#: The application protocols UDP and TCP carry (by port): each render gives the text after the
#: ports (UDP: all of it; TCP: after "length N: "), the carrier being the network header's.
_APPLICATIONS: dict[type, Render] = {
    DNS: _dns,
    BOOTP: _bootp,
    DHCP6: _dhcp6,
    DHCP6_RelayForward: _dhcp6,
    NTP: _ntp,
    VXLAN: _vxlan,
    GENEVE: _geneve,
    MPLS: _mpls,
}
#: What tcpdump prints, by UDP port, of data no protocol decoded there (bytes, the length the
#: datagram says, the detail), in print-udp.c's order of the ports.
_TCP_PORT_TEXTS: dict[int, Callable[[bytes, int, Detail], str]] = {_DNS_PORT: _dns_tcp_bytes}
_UDP_PORT_TEXTS: dict[int, Callable[[bytes, int, Detail], str]] = {
    _DNS_PORT: _dns_bytes,
    _MDNS_PORT: _mdns_bytes,
    _BOOTP_SERVER: _bootp_bytes,
    _BOOTP_CLIENT: _bootp_bytes,
    _DHCP6_SERVER: _dhcp6_bytes,
    _DHCP6_CLIENT: _dhcp6_bytes,
}
#: The transports: tcpdump begins their line with the network header's addresses (ports after).
_TRANSPORTS: dict[type, Render] = {
    cls: _RENDER[cls] for cls in (ICMP, ICMPv6, TCP, UDP, SCTP, IGMP, GRE, GRE_PPTP)
}

__all__ = [
    "VLAN_TYPES",
    "brcm_tag_text",
    "chdlc_cut",
    "chdlc_head",
    "dsa_tag_text",
    "ethertype_text",
    "ipnet_ethertype",
    "ipnet_head",
    "lldp_text",
    "loopback_ethertype",
    "loopback_head",
    "nflog_ethertype",
    "nflog_head",
    "slarp_text",
    "summary",
    "undecoded_link",
    "undecoded_network",
]
