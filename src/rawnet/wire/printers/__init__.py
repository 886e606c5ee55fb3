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
    #: Under a link header: the line of what an EtherType carries (ethertype, bytes, length).
    inner: Callable[[int, bytes, int], str] | None = None


#: A printer: (words so far, the bytes captured, the length on the wire, the headers around).
Printer = Callable[[list[str], bytes, int, About], None]
_NOTHING = About()


class Cut(Exception):
    """A printer read past the bytes the capture kept."""


class Decline(Exception):
    """A printer found bytes it does not print (tcpdump prints nothing for them either)."""


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


def run(name: str, printer: Printer, data: bytes, length: int, about: About = _NOTHING) -> str | None:
    """``printer``'s text for ``data`` (``length`` on the wire), ending in " [|name]" where it
    ran past the captured bytes; None where it declines them."""
    words: list[str] = []
    try:
        printer(words, data, length, about)
    except Cut:
        words.append(f" [|{name}]")
    except Decline:
        return None
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
#: Under IPv6, where a protocol's printer differs (OSPFv3); the others are IP_PROTOCOLS'.
IP6_PROTOCOLS: dict[int, Entry] = {}
UDP_PORTS: dict[int, Entry] = {}
TCP_PORTS: dict[int, Entry] = {}


def by_ethertype(
    ethertype: int, data: bytes, length: int, inner: Callable[[int, bytes, int], str] | None = None
) -> str | None:
    """The text of the protocol ``ethertype`` names, or None when no printer knows it; ``inner``
    gives the line of a frame a protocol carries (by its EtherType)."""
    entry = ETHERTYPES.get(ethertype)
    return None if entry is None else run(entry.name, entry.printer, data, length, About(inner=inner))


def by_ip_protocol(protocol: int, data: bytes, length: int, ttl: int, ipv6: bool = False) -> str | None:
    """The text after "IP a > b: " of the protocol ``protocol`` (under a header of TTL ``ttl``), or None."""
    entry = (ipv6 and IP6_PROTOCOLS.get(protocol)) or IP_PROTOCOLS.get(protocol)
    return None if entry is None else run(entry.name, entry.printer, data, length, About(ttl=ttl))


def by_port(table: dict[int, Entry], sport: int, dport: int, data: bytes, length: int) -> str | None:
    """The text of the application protocol on either port (tcpdump's order: the table's), or None."""
    for port, entry in table.items():
        if port in (sport, dport):
            return run(entry.name, entry.printer, data, length, About(sport=sport, dport=dport))
    return None


def _load() -> None:
    """Each protocol module's printers, in tcpdump's order of tests for the ports."""
    from rawnet.wire.printers import (
        aoe,
        arista,
        babel,
        bcm_li,
        bfd,
        decnet,
        esp,
        hsrp,
        infrastructure,
        krb,
        mobility,
        openflow,
        ospf,
        pim,
        ptp,
        resp,
        routing,
        services,
        ssh,
        vrrp,
    )

    ETHERTYPES[0x88A2] = Entry("aoe", aoe.aoe)
    ETHERTYPES[0x88F7] = Entry("ptp", ptp.ptp)
    ETHERTYPES[0x6003] = Entry("decnet", decnet.decnet)
    ETHERTYPES[0xD28B] = Entry("arista", arista.arista)
    ETHERTYPES[0x8809] = Entry("slow", routing.slow)
    IP_PROTOCOLS[88] = Entry("eigrp", routing.eigrp)
    ETHERTYPES[0x886F] = Entry("msnlb", infrastructure.msnlb)
    ETHERTYPES[0x9000] = Entry("loopback", infrastructure.loopback)
    IP_PROTOCOLS[89] = Entry("ospf2", ospf.ospf)
    IP6_PROTOCOLS[89] = Entry("ospf3", ospf.ospf6)
    IP_PROTOCOLS[50] = Entry("esp", esp.esp)
    IP_PROTOCOLS[103] = Entry("pim", pim.pim)
    IP6_PROTOCOLS[135] = IP6_PROTOCOLS[62] = Entry("mobility", mobility.mobility)
    TCP_PORTS[22] = Entry("ssh", ssh.ssh)
    TCP_PORTS[179] = Entry("bgp", routing.bgp)
    UDP_PORTS[646] = Entry("ldp", routing.ldp)
    UDP_PORTS[4500] = Entry("isakmp_rfc3948", esp.udp_encapsulated)
    UDP_PORTS[6343] = Entry("sflow", routing.sflow)
    UDP_PORTS[3503] = Entry("lspping", infrastructure.lspping)
    UDP_PORTS[5359] = Entry("ahcp", services.ahcp)
    UDP_PORTS[30490] = TCP_PORTS[30490] = Entry("someip", infrastructure.someip)
    UDP_PORTS[6696] = UDP_PORTS[6697] = Entry("babel", babel.babel)
    IP_PROTOCOLS[112] = Entry("vrrp", vrrp.vrrp)
    UDP_PORTS[69] = Entry("tftp", services.tftp)
    UDP_PORTS[88] = Entry("kerberos", krb.krb)
    UDP_PORTS[514] = Entry("syslog", services.syslog)
    UDP_PORTS[520] = Entry("rip", routing.rip)
    UDP_PORTS[1985] = Entry("hsrp", hsrp.hsrp)
    for port in (bfd.CONTROL, bfd.MULTIHOP, bfd.LAG, bfd.ECHO):
        UDP_PORTS[port] = Entry("bfd", bfd.bfd)
    UDP_PORTS[319] = UDP_PORTS[320] = Entry("ptp", ptp.ptp)
    UDP_PORTS[49152] = Entry("bcm_li", bcm_li.bcm_li)
    TCP_PORTS[6653] = TCP_PORTS[6633] = Entry("openflow", openflow.openflow)
    TCP_PORTS[6379] = Entry("resp", resp.resp)


_load()
