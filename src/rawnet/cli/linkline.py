"""tcpdump -e's lines: the link-level header before the packet, for every link type sniff reads.

Ethernet (with each 802.1Q tag), Linux cooked v1 and v2, and raw IP, worded as tcpdump 4.99
prints them with -e -n; the packet after the link header is rawnet's summary without the tag
("IP ", "IP6 ", "ARP, ") tcpdump leaves out when it has printed the EtherType. Display only.
"""

from __future__ import annotations

from rawnet.wire import ARP, IP, Dot1Q, Ether, IPv6, Layer, Raw
from rawnet.wire.sll import CookedLinux, CookedLinux2
from rawnet.wire.tcpdump import ethertype_text

_TAGS = {IP: "IP ", IPv6: "IP6 ", ARP: "ARP, "}
#: SLL v1's packet types as tcpdump -e shows them (print-sll.c), right-aligned in 3 columns.
_COOKED_TAGS = {0: "In", 1: "B", 2: "M", 3: "P", 4: "Out"}


def carried(layer: Layer | None) -> str:
    """What a link header carries, as tcpdump -e goes on after it ("" for nothing it knows)."""
    if layer is None or isinstance(layer, Raw):
        return ""
    text = layer.summary_safe()
    tag = _TAGS.get(type(layer))
    return text[len(tag) :] if tag is not None and text.startswith(tag) else text


def link_line(packet: Layer, length: int) -> str:
    """tcpdump -e's words for ``packet`` (as a capture file holds it; ``length`` on the wire).

    On `-i any` (Linux cooked v2) the interface and direction come before this, as without -e.
    """
    if isinstance(packet, Ether):
        return _ethernet(packet, length)
    if isinstance(packet, CookedLinux2):
        address = _address(packet.src, packet.lladdrlen)
        where = f"ifindex {packet.ifindex} {address} " if address else f"ifindex {packet.ifindex} "
        return _then(f"{where}ethertype {ethertype_text(packet.proto)}, length {length}", packet.payload)
    if isinstance(packet, CookedLinux):
        tag = _COOKED_TAGS.get(packet.pkttype, "?")
        head = f"{tag:>3} {_address(packet.src, packet.lladdrlen)} ethertype {ethertype_text(packet.proto)}"
        return _then(f"{head}, length {length}", packet.payload)
    if isinstance(packet, IP | IPv6):  # raw IP: tcpdump says which, in one word
        return f"ip: {carried(packet)}"
    return packet.summary_safe()


def _ethernet(frame: Ether, length: int) -> str:
    head = f"{frame.src} > {frame.dst}, ethertype {ethertype_text(frame.type)}, length {length}"
    inner = frame.payload
    tags = []
    while isinstance(inner, Dot1Q):
        dei = ", DEI" if inner.dei else ""
        tags.append(f"vlan {inner.vlan}, p {inner.prio}{dei}, ethertype {ethertype_text(inner.type)}, ")
        inner = inner.payload
    text = carried(inner)
    if not tags and not text:
        return head
    return f"{head}: {''.join(tags)}{text}"


def _then(head: str, inner: Layer | None) -> str:
    text = carried(inner)
    return f"{head}: {text}" if text else head


def _address(stored: bytes, size: int) -> str:
    return ":".join(f"{byte:02x}" for byte in stored[: min(size, 8)])
