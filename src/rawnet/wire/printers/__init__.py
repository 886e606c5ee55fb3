"""tcpdump's one-line text for protocols rawnet has no layer for: byte-level printers, one
module per protocol (print-*.c), keyed by EtherType, IP protocol and UDP or TCP port, which
tcpdump.py calls where a payload stayed Raw. Presentation only: bytes in, text out, never I/O.

A printer writes its words into a list as tcpdump prints them, reading the captured bytes with
``take``; a read past them raises ``Cut``, after which the text so far ends in tcpdump's
" [|name]". Tables are filled at the end of this module from each protocol module's ``PRINTERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class About(NamedTuple):
    """What a printer may need from the headers around its bytes."""

    #: The IP header's TTL or hop limit (0: none).
    ttl: int = 0
    #: The UDP or TCP ports (0: none).
    sport: int = 0
    dport: int = 0


#: A printer: (words so far, the bytes captured, the length on the wire, the headers around).
Printer = Callable[[list[str], bytes, int, About], None]
_NOTHING = About()


class Cut(Exception):
    """A printer read past the bytes the capture kept."""


def take(data: bytes, at: int, size: int) -> bytes:
    """``size`` bytes of ``data`` from ``at``; Cut when the capture did not keep them all."""
    if at < 0 or at + size > len(data):
        raise Cut
    return data[at : at + size]


def number(data: bytes, at: int, size: int) -> int:
    """The big-endian number of ``size`` bytes at ``at`` (Cut past the end)."""
    return int.from_bytes(take(data, at, size), "big")


def printable(data: bytes) -> str:
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


def run(name: str, printer: Printer, data: bytes, length: int, about: About = _NOTHING) -> str:
    """``printer``'s text for ``data`` (``length`` on the wire), ending in " [|name]" where it
    ran past the captured bytes."""
    words: list[str] = []
    try:
        printer(words, data, length, about)
    except Cut:
        words.append(f" [|{name}]")
    return "".join(words)


class Entry:
    """A protocol's printer and the name tcpdump's " [|name]" gives it."""

    __slots__ = ("name", "printer")

    def __init__(self, name: str, printer: Printer) -> None:
        self.name, self.printer = name, printer


#: The printers by EtherType, IP protocol number, and UDP and TCP port (either port; in
#: tcpdump's order of tests: the first port of the list that the datagram has wins).
ETHERTYPES: dict[int, Entry] = {}
IP_PROTOCOLS: dict[int, Entry] = {}
UDP_PORTS: dict[int, Entry] = {}
TCP_PORTS: dict[int, Entry] = {}


def by_ethertype(ethertype: int, data: bytes, length: int) -> str | None:
    """The text of the protocol ``ethertype`` names, or None when no printer knows it."""
    entry = ETHERTYPES.get(ethertype)
    return None if entry is None else run(entry.name, entry.printer, data, length)


def by_ip_protocol(protocol: int, data: bytes, length: int, ttl: int) -> str | None:
    """The text after "IP a > b: " of the protocol ``protocol`` (under a header of TTL ``ttl``), or None."""
    entry = IP_PROTOCOLS.get(protocol)
    return None if entry is None else run(entry.name, entry.printer, data, length, About(ttl=ttl))


def by_port(table: dict[int, Entry], sport: int, dport: int, data: bytes, length: int) -> str | None:
    """The text of the application protocol on either port (tcpdump's order: the table's), or None."""
    for port, entry in table.items():
        if port in (sport, dport):
            return run(entry.name, entry.printer, data, length, About(sport=sport, dport=dport))
    return None


def _load() -> None:
    """Each protocol module's printers, in tcpdump's order of tests for the ports."""
    from rawnet.wire.printers import aoe, hsrp, krb, openflow, vrrp

    ETHERTYPES[0x88A2] = Entry("aoe", aoe.aoe)
    IP_PROTOCOLS[112] = Entry("vrrp", vrrp.vrrp)
    UDP_PORTS[88] = Entry("kerberos", krb.krb)
    UDP_PORTS[1985] = Entry("hsrp", hsrp.hsrp)
    TCP_PORTS[6653] = TCP_PORTS[6633] = Entry("openflow", openflow.openflow)


_load()
