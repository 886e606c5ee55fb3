"""rawnet arping: who has an address on a link (ARP who-has; IPv6: a neighbour solicitation), as arping asks.

Builds the request and the lines; pacing and matching are the exchange engine's, the frame
rules matching.answers_frame's.
"""

from __future__ import annotations

import contextlib
import socket

import click

from rawnet.cli.common import ADDRESS, NO_REPLY, OK, Output, RttStats
from rawnet.cli.probe import check_family, count_option, positive, report_timeouts, seconds_option
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer2_link
from rawnet.net.matching import answers_frame
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, next_hop, source_for
from rawnet.net.sendrecv import solicitation
from rawnet.wire import ARP, Ether, Layer

_PACKET_HOST = 0  # sll_pkttype of a frame sent to this host's MAC (a unicast reply)
_BROADCAST = "ff:ff:ff:ff:ff:ff"


@click.command()
@click.argument("address", metavar="ADDRESS", type=ADDRESS)
@click.option("-I", "--interface", metavar="IFACE", help="the interface to ask on (default: the route's)")
@count_option("requests")
@seconds_option("-i", "--interval", default=1.0, text="time between requests")
@seconds_option("-w", "--timeout", default=1.0, text="how long to wait for each reply")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
def arping(
    address: str, interface: str | None, count: int, interval: float, timeout: float, as_json: bool
) -> int:
    """Ask who has ADDRESS on a link (ARP who-has; IPv6: a neighbour solicitation), as arping does.

    An IPv4 ADDRESS gets an ARP request to the broadcast address, an IPv6 one a neighbour
    solicitation to its solicited-node multicast group; each reply (ARP reply, neighbour
    advertisement for ADDRESS) is shown with the MAC that answered and the time since the
    request. Every request is a broadcast (iputils' -b). The interface is -I's, or the one
    the kernel's route for ADDRESS goes out of; an address the route sends through the loopback
    (127.0.0.1, this host's own) has no link-layer neighbour: a usage error (exit 2). --json
    writes a "reply" object per answer (seq, from, mac, unicast, rtt_ms), a "timeout" per
    unanswered request, and a last
    "statistics". Exit 0 when any reply came, 1 when none did.

    \b
    rawnet arping 198.18.1.2 -I veth0            # 4 requests, one a second
    rawnet arping 198.18.1.2 -c 1 -w 500ms       # the route picks the interface
    rawnet arping 2001:db8:1::2 -I veth0 -c 2    # neighbour solicitation
    rawnet arping 198.18.1.2 -c 2 --json         # JSON lines
    """
    check_family(address, False, False)
    positive(timeout, "-w/--timeout")
    if interface is not None and is_loopback(interface):
        raise click.BadParameter(f"{interface} is a loopback: it has no link to ask on", param_hint="-I")
    if interface is None:
        interface = next_hop(address).interface
        if is_loopback(interface):  # a loopback address, or one of this host's own
            raise click.UsageError(
                f"{address} is reached through the loopback {interface}: no link-layer neighbour "
                "answers there (arping asks on an Ethernet interface: give a neighbour's address)"
            )
    mac = interface_mac(interface)
    six = ":" in address
    if six:
        source = source_for(address, socket.AF_INET6)
        request, expression = solicitation(address, source, mac), "icmp6"
    else:
        source = interface_ipv4(interface)
        request = Ether(src=mac, dst=_BROADCAST) / ARP(op=1, hwsrc=mac, psrc=source, pdst=address)
        expression = "arp"
    out = Output(as_json)
    stats = RttStats()

    def answered(query: Query, reply: Layer) -> None:
        rtt = query.rtt(reply)
        stats.add(rtt)
        who = str(reply[Ether].src) if six else str(reply[ARP].hwsrc)
        kind = "Unicast" if reply.direction == _PACKET_HOST else "Broadcast"
        out.line(
            f"{kind} reply from {address} [{who.upper()}]  {rtt * 1e3:.3f}ms",
            {"type": "reply", "seq": query.number, "from": address, "mac": who.lower(),
             "unicast": kind == "Unicast", "rtt_ms": round(rtt * 1e3, 3)},
        )  # fmt: skip

    def step(index: int) -> None:
        stats.sent += 1  # (each request its own copy: its own sent_time)
        exchange.send(Query(request.copy(), number=index + 1), timeout=timeout)

    link = layer2_link(interface, [request], filter=expression, nofilter=True)
    with Exchange(link, rule=answers_frame, on_answer=answered, on_expire=report_timeouts(out)) as exchange:
        out.line(f"{'NDPING' if six else 'ARPING'} {address} from {source} {interface}")
        with contextlib.suppress(KeyboardInterrupt):
            exchange.paced(step, count=count, interval=interval)  # (the oldest request waiting answers)
    record = stats.record()
    record.update(target=address, interface=interface)
    out.line(f"Sent {stats.sent} probes ({stats.sent} {'multicast' if six else 'broadcast'}(s))")
    out.line(f"Received {stats.received} response(s)", record)
    return OK if stats.received else NO_REPLY
