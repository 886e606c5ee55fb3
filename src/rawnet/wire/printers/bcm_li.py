"""Broadcom's lawful-intercept shim (UDP port 49152) as tcpdump prints it without -v
(print-bcm-li.c): the shim's words; the packet it carries is shown from -v."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, number

_SHIM = 4
_DIRECTIONS = {1: "unused", 2: "egress", 3: "ingress"}
_TYPES = {4: "undecided", 5: "ipv4", 6: "ipv6", 7: "ethernet"}
_SUBTYPES = {1: "single VLAN tag", 2: "double VLAN tag", 3: "untagged"}


def bcm_li(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "BCM-LI-SHIM: direction ingress, pkt-type undecided, pkt-subtype double VLAN tag, li-id 66666"."""
    if length < _SHIM:
        words.append(f" (length {length} < {_SHIM}) (invalid)")
        return
    shim = number(data, 0, 4)
    words.append(
        f"BCM-LI-SHIM: direction {_DIRECTIONS.get(shim >> 29 & 0x7, 'unknown')}, "
        f"pkt-type {_TYPES.get(shim >> 25 & 0xF, 'unknown')}, "
        f"pkt-subtype {_SUBTYPES.get(shim >> 22 & 0x7, 'unknown')}, li-id {shim & 0x3FFFFF}"
    )
    if len(data) < length:  # (tcpdump checks the packet it does not show is all there)
        raise Cut
