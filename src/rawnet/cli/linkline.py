"""tcpdump -e's lines: the link-level header before the packet, for every link type sniff reads.

Ethernet (with each 802.1Q tag, a Marvell DSA or a Broadcom tag), Linux cooked v1 and v2, BSD
loopback, Cisco HDLC, IPNET, NFLOG and raw IP, worded as tcpdump 4.99 prints them with -e -n; the
packet after the link header is rawnet's summary without the tags ("IP ", "IP6 ", "ARP, ")
tcpdump leaves out when it has printed the EtherType. Display only.
"""

from __future__ import annotations

from rawnet.wire import IP, Dot1Q, Ether, IPv6, Layer, Raw, printers
from rawnet.wire.brcm import BRCMTag, BRCMTagPrepend
from rawnet.wire.chdlc import CHDLC
from rawnet.wire.dsa import DSA, EDSA
from rawnet.wire.ipnet import IPNET
from rawnet.wire.layer import CUT
from rawnet.wire.lldp import LLDPDU
from rawnet.wire.loopback import Loopback
from rawnet.wire.nflog import NFLOG
from rawnet.wire.sll import CookedLinux, CookedLinux2
from rawnet.wire.tcpdump import (
    VLAN_TYPES,
    arp_text,
    brcm_tag_text,
    chdlc_cut,
    chdlc_head,
    dsa_tag_text,
    ethertype_text,
    ipnet_ethertype,
    ipnet_head,
    link_level,
    lldp_text,
    loopback_ethertype,
    loopback_head,
    nflog_ethertype,
    nflog_head,
    undecoded_link,
    undecoded_network,
)

#: SLL v1's packet types as tcpdump -e shows them (print-sll.c), right-aligned in 3 columns.
_COOKED_TAGS = {0: "In", 1: "B", 2: "M", 3: "P", 4: "Out"}


def carried(
    layer: Layer | None,
    verbose: int = 0,
    ethertype: int | None = None,
    link: Layer | None = None,
    lost: int = 0,
) -> str:
    """What a link header carries, as tcpdump -e goes on after it ("" for nothing it knows);
    ``verbose``: tcpdump -v's or -vv's text; ``ethertype``: what the header ``link`` says it
    carries (an ARP message that did not decode is still ARP's, as tcpdump's " [|arp]"; an IP
    packet cut short or malformed, what tcpdump reads of it; ``lost``: the bytes of the frame
    the capture did not keep)."""
    with link_level():  # (tcpdump -e: no "IP ", "IP6 " or "ARP, " tag, nested ones neither)
        cut = layer is None and link is not None and link._mode & CUT  # (no byte of it kept)
        if (isinstance(layer, Raw) or cut) and ethertype == _ETHERTYPE_ARP:
            return arp_text(b"" if layer is None else layer.build())
        if layer is None or isinstance(layer, Raw):
            if link is None:
                return ""
            network = undecoded_network(ethertype, link, verbose, lost)
            if network or ethertype is None:
                return network or ""
            data = b"" if layer is None else layer.build()
            return (
                undecoded_link(ethertype, link, lost, verbose)
                or printers.by_ethertype(ethertype, data, len(data) + lost)
                or ""
            )
        if isinstance(layer, LLDPDU) and lost:  # (its length counts the bytes the capture lost)
            return lldp_text(layer.build(), len(layer.build()) + lost, verbose)
        return layer.summary_safe(verbose)


_ETHERTYPE_ARP = 0x0806
_MIN_ETHERTYPE = 0x600  # (a smaller number is an 802.3 length)


def link_line(packet: Layer, length: int, verbose: int = 0) -> str:
    """tcpdump -e's words for ``packet`` (as a capture file holds it; ``length`` on the wire),
    with ``verbose`` 1 or 2 what tcpdump -e -v or -vv prints.

    On `-i any` (Linux cooked v2) the interface and direction come before this, as without -e.
    """
    if isinstance(packet, Ether):
        return _ethernet(packet, length, verbose)
    if isinstance(packet, CookedLinux2):
        address = _address(packet.src, packet.lladdrlen)
        where = f"ifindex {packet.ifindex} {address} " if address else f"ifindex {packet.ifindex} "
        head = f"{where}ethertype {ethertype_text(packet.proto)}, length {length}"
        return _then(head, packet, verbose, packet.proto, length)
    if isinstance(packet, CookedLinux):
        tag = _COOKED_TAGS.get(packet.pkttype, "?")
        head = f"{tag:>3} {_address(packet.src, packet.lladdrlen)} ethertype {ethertype_text(packet.proto)}"
        return _then(f"{head}, length {length}", packet, verbose, packet.proto, length)
    if isinstance(packet, Loopback):  # BSD loopback (print-null.c): the family, then the packet
        head = loopback_head(packet, length)
        lost = max(length - len(packet.build()), 0)
        return head + carried(packet.payload, verbose, loopback_ethertype(packet), packet, lost)
    if isinstance(packet, CHDLC):  # Cisco HDLC (print-chdlc.c): address, protocol, then the packet
        lost = max(length - len(packet.build()), 0)
        text = carried(packet.payload, verbose, packet.proto, packet, lost) or chdlc_cut(packet) or ""
        return chdlc_head(packet, length) + text
    if isinstance(packet, IPNET):  # Solaris IPNET (print-ipnet.c): the zones and family, then the packet
        lost = max(length - len(packet.build()), 0)
        return ipnet_head(packet, length) + carried(
            packet.payload, verbose, ipnet_ethertype(packet), packet, lost
        )
    if isinstance(packet, DSA | EDSA):  # Marvell switch tags (print-dsa.c): as Ethernet's, with the tag
        head = f"{packet.src} > {packet.dst}, {dsa_tag_text(packet, link_level=True)}"
        head += f"ethertype {ethertype_text(packet.type)}, length {length}"
        return _then(head, packet, verbose, packet.type, length)
    if isinstance(packet, NFLOG):  # Linux NFLOG (print-nflog.c): the log's header, then the packet
        head = nflog_head(packet, length)
        if packet.version:
            return head
        lost = max(length - len(packet.build()), 0)
        return head + carried(packet.payload, verbose, nflog_ethertype(packet), packet, lost)
    if isinstance(packet, BRCMTag):  # Broadcom tag (print-brcmtag.c): as Ethernet's, with the tag
        head = f"{packet.src} > {packet.dst}, {brcm_tag_text(packet.tag)}"
        head += f"ethertype {ethertype_text(packet.type)}, length {length}"
        return _then(head, packet, verbose, packet.type, length)
    if isinstance(packet, BRCMTagPrepend):  # the tag, then the Ethernet frame's -e line
        frame = packet.payload
        text = (
            _ethernet(frame, length - BRCMTagPrepend.header_len, verbose) if isinstance(frame, Ether) else ""
        )
        return brcm_tag_text(packet.tag) + text
    if isinstance(packet, IP | IPv6):  # raw IP: tcpdump says which, in one word
        return f"ip: {carried(packet, verbose)}"
    return packet.summary_safe(verbose)


def _ethernet(frame: Ether, length: int, verbose: int) -> str:
    if frame.payload is None and frame._mode & CUT and frame.type in VLAN_TYPES:
        return f"{frame.src} > {frame.dst},  [|vlan]"  # (the capture cut the tag)
    head = f"{frame.src} > {frame.dst}, ethertype {ethertype_text(frame.type)}, length {length}"
    link: Layer = frame
    inner, ethertype = frame.payload, frame.type
    tags = []
    while isinstance(inner, Dot1Q):
        dei = ", DEI" if inner.dei else ""
        tags.append(f"vlan {inner.vlan}, p {inner.prio}{dei}, ethertype {ethertype_text(inner.type)}, ")
        ethertype, link, inner = inner.type, inner, inner.payload
    text = carried(inner, verbose, ethertype, link, max(length - len(frame.build()), 0))
    if not tags and not text and frame.type is not None and frame.type < _MIN_ETHERTYPE:
        return head  # (802.3: tcpdump -e goes on with the LLC header's words, not read here)
    return f"{head}: {''.join(tags)}{text}"  # (print-ether.c: ": " even when nothing follows)


def _then(head: str, link: Layer, verbose: int, ethertype: int | None, length: int) -> str:
    text = carried(link.payload, verbose, ethertype, link, max(length - len(link.build()), 0))
    return f"{head}: {text}" if text else head


def _address(stored: bytes, size: int) -> str:
    return ":".join(f"{byte:02x}" for byte in stored[: min(size, 8)])
