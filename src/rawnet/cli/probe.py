"""What rawnet ping, traceroute, arping and scan share: their options, probes and ICMP texts.

Sending, receiving and matching are the exchange engine's (rawnet.net.exchange): each run's
listener is armed before the first probe leaves, and each reply is matched to its probe by the
library's rules (matching.answers: echo id and seq, TCP ports and sequence numbers, ICMP errors
by the datagram they quote). RTT is the reply's receive time minus the probe's send time.
Nothing here decides what a packet means beyond what the tools report (alive, hop,
open/closed/filtered), and nothing here prints a result: the commands do.
"""

from __future__ import annotations

import ipaddress
import os
import random
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import click

from rawnet.cli.common import INTERVAL, Address, Output
from rawnet.net.exchange import Query
from rawnet.net.matching import quoted_datagram
from rawnet.net.routes import source_for
from rawnet.wire import ICMP, IP, TCP, ICMPv6, ICMPv6EchoRequest, IPv6, Layer

COUNT, TTL, PORT = click.IntRange(min=0), click.IntRange(1, 255), click.IntRange(0, 65535)
PORT_UNREACHABLE = ((4, 3, 3), (6, 1, 4))  # (IP version, ICMP type, code)

#: What ping and traceroute say about an ICMP error: (version, type, code) -> text and traceroute's mark.
ICMP_ERRORS: dict[tuple[int, int, int], tuple[str, str]] = {
    (4, 3, 0): ("Destination Net Unreachable", "!N"),
    (4, 3, 1): ("Destination Host Unreachable", "!H"),
    (4, 3, 2): ("Destination Protocol Unreachable", "!P"),
    (4, 3, 3): ("Destination Port Unreachable", ""),
    (4, 3, 4): ("Frag needed and DF set", "!F"),
    (4, 3, 9): ("Destination Net Prohibited", "!X"),
    (4, 3, 10): ("Destination Host Prohibited", "!X"),
    (4, 3, 13): ("Packet filtered", "!X"),
    (4, 11, 0): ("Time to live exceeded", ""),
    (4, 11, 1): ("Frag reassembly time exceeded", ""),
    (6, 1, 0): ("Destination unreachable: No route", "!N"),
    (6, 1, 1): ("Destination unreachable: Administratively prohibited", "!X"),
    (6, 1, 3): ("Destination unreachable: Address unreachable", "!H"),
    (6, 1, 4): ("Destination unreachable: Port unreachable", ""),
    (6, 2, 0): ("Packet too big", "!F"),
    (6, 3, 0): ("Time exceeded: Hop limit", ""),
}

_Command = TypeVar("_Command", bound=Callable[..., Any])


# -- the exchange -------------------------------------------------------------------------------


def report_timeouts(out: Output) -> Callable[[Query], None]:
    """An exchange's ``on_expire`` for ping and arping: a "timeout" record with --json, nothing in text."""

    def late(query: Query) -> None:
        if out.json:
            out.line("", {"type": "timeout", "seq": query.number})

    return late


# -- probes ---------------------------------------------------------------------------------------


def network(packet: Layer) -> Any:
    """The IPv6 or IP header of ``packet``."""
    return packet[IPv6] if IPv6 in packet else packet[IP]


def hop_limit(header: Any) -> int:
    """The TTL of an IP header, the hop limit of an IPv6 one."""
    return int(header.hlim if isinstance(header, IPv6) else header.ttl)


def ip_header(destination: str, source: str, ttl: int) -> Layer:
    """The network header of a probe: IPv4 (the kernel fills the id) or IPv6."""
    if ":" in destination:
        return IPv6(src=source, dst=destination, hlim=ttl)
    return IP(src=source, dst=destination, ttl=ttl, id=0)


def echo_request(header: Layer, ident: int, seq: int) -> Layer:
    """An ICMP echo request (ICMPv6 for an IPv6 ``header``) with ``ident`` and ``seq``."""
    echo = ICMPv6EchoRequest if isinstance(header, IPv6) else ICMP
    return echo(id=ident, seq=seq & 0xFFFF)


def syn(sport: int, dport: int) -> Layer:
    """A bare TCP SYN with a random sequence number."""
    return TCP(sport=sport, dport=dport, flags="S", seq=random.getrandbits(32), window=1024)


def source_address(destination: str, interface: str | None = None) -> str:
    """The source address the kernel's routes pick for ``destination`` (out of ``interface``)."""
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    return source_for(destination, family, interface=interface)


def interface_option(*names: str) -> Callable[[_Command], _Command]:
    """An option naming the interface the probes leave through (SO_BINDTODEVICE)."""
    return click.option(
        *names,
        "interface",
        metavar="IFACE",
        help="send through IFACE only, from its address (default: the route's interface)",
    )


def source_option(*names: str) -> Callable[[_Command], _Command]:
    """An option giving the probes' source address (not checked: rawnet may spoof)."""
    return click.option(
        *names,
        "source",
        type=Address(names=False),
        metavar="ADDRESS",
        help="the probes' source address (default: the route's; not checked, so it may spoof)",
    )


def probe_source(destination: str, interface: str | None, source: str | None) -> str:
    """The probes' source: ``source`` if given (of the destination's family), else the route's."""
    if source is None:
        return source_address(destination, interface)
    if (":" in source) != (":" in destination):
        raise click.UsageError(f"the source {source} and the destination {destination} are not of one family")
    return source


def first_port() -> int:
    """A source port for this run: the pid spread over 32768-61000 (the kernel's ephemeral range)."""
    return 32768 + (os.getpid() * 7919) % 28000


def nth_port(base: int, number: int) -> int:
    """The source port of probe ``number`` of a run starting at ``base``, in the ephemeral range."""
    return (base + number) % 28000 + 32768


# -- replies --------------------------------------------------------------------------------------


def icmp_error(packet: Layer) -> tuple[int, int, int] | None:
    """(IP version, type, code) when ``packet`` is an ICMP or ICMPv6 error, else None."""
    if quoted_datagram(packet) is None:
        return None
    if ICMP in packet:
        return 4, int(packet[ICMP].type), int(packet[ICMP].code)
    return 6, int(packet[ICMPv6].type), int(packet[ICMPv6].code)


def describe(error: tuple[int, int, int]) -> str:
    """ping's text for an ICMP error (version, type, code)."""
    known = ICMP_ERRORS.get(error)
    return known[0] if known else f"ICMP{'v6' if error[0] == 6 else ''} type {error[1]} code {error[2]}"


# -- arguments ------------------------------------------------------------------------------------


def check_family(destination: str, four: bool, six: bool) -> str:
    """The destination, checked against -4 / -6."""
    if "%" in destination:
        raise click.BadParameter(f"{destination!r}: scoped (link-local %zone) addresses are not supported")
    if four and six:
        raise click.UsageError("-4 and -6 exclude each other")
    version = ipaddress.ip_address(destination).version
    if six and version != 6:
        raise click.BadParameter(f"{destination} is not an IPv6 address (-6)", param_hint="DESTINATION")
    if four and version != 4:
        raise click.BadParameter(f"{destination} is not an IPv4 address (-4)", param_hint="DESTINATION")
    return destination


def positive(value: float, name: str) -> float:
    """``value``, which must be more than 0 seconds (else a BadParameter naming the option)."""
    if value <= 0:
        raise click.BadParameter(f"{value}: must be more than 0 seconds", param_hint=name)
    return value


def family_options(command: _Command) -> _Command:
    """-4 and -6: the destination must be IPv4 / IPv6."""
    command = click.option("-6", "six", is_flag=True, help="the destination must be IPv6")(command)
    return click.option("-4", "four", is_flag=True, help="the destination must be IPv4")(command)


def count_option(what: str) -> Callable[[_Command], _Command]:
    """-c/--count N (default 4; 0: until Ctrl-C); ``what`` names what is sent."""
    return click.option(
        "-c",
        "--count",
        type=COUNT,
        metavar="N",
        default=4,
        show_default=True,
        help=f"{what} to send (0: until Ctrl-C)",
    )


def seconds_option(*names: str, default: float, text: str) -> Callable[[_Command], _Command]:
    """An option of seconds (-i/--interval, -W/--timeout, ...) that shows its default."""
    return click.option(
        *names, type=INTERVAL, metavar="SECONDS", default=default, show_default=True, help=text
    )
