"""rawnet arping: who has an address on a link (ARP who-has; IPv6: a neighbour solicitation), as arping asks.

Builds the requests (iputils arping's, field for field: -D, -U, -A, unicast once answered) and
the lines; receiving is the exchange engine's, and which ARP packets count is iputils' rule.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from typing import Any

import click

from rawnet.cli.common import ADDRESS, NO_REPLY, OK, Output, RttStats
from rawnet.cli.probe import COUNT, check_family, positive, seconds_option
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer2_link
from rawnet.net.matching import answers_frame
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, next_hop, source_for
from rawnet.net.sendrecv import solicitation
from rawnet.wire import ARP, Ether, Layer

_PACKET_HOST = 0  # sll_pkttype of a frame sent to this host's MAC (a unicast reply)
_HEARD = (0, 1, 2)  # PACKET_HOST, _BROADCAST, _MULTICAST: what arping listens to (not OTHERHOST)
_BROADCAST = "ff:ff:ff:ff:ff:ff"
_UNSPECIFIED = "0.0.0.0"


def _counts(reply: Layer, target: str, source: str, mac: str, dad: bool) -> str:
    """'' when iputils arping counts ``reply`` as a response (else why not): an ARP request or
    reply from ``target`` to us; with -D, any from ``target`` that is not from our own MAC."""
    if ARP not in reply or reply.direction not in _HEARD:
        return "not ARP heard by this host"
    arp = reply[ARP]
    if int(arp.op) not in (1, 2):
        return "not an ARP request or reply"
    if str(arp.psrc) != target:
        return f"about {arp.psrc}, not {target}"
    if dad:
        if str(arp.hwsrc).lower() == mac:
            return "from our own MAC"
        return "" if source == _UNSPECIFIED or str(arp.pdst) == source else "not for our source"
    if str(arp.pdst) != source or str(arp.hwdst).lower() != mac:
        return "not for us"
    return ""


@click.command()
@click.argument("address", metavar="ADDRESS", type=ADDRESS)
@click.option("-I", "--interface", metavar="IFACE", help="the interface to ask on (default: the route's)")
@click.option(
    "-c", "--count", type=COUNT, metavar="N",
    help="requests to send [default: 4; with -w, until the deadline] (0: until Ctrl-C); with -w, "
    "stop once N replies came",
)  # fmt: skip
@seconds_option("-i", "--interval", default=1.0, text="time between requests")
@click.option(
    "-w", "--deadline", "deadline", type=float, metavar="SECONDS",
    help="stop after SECONDS, however many requests were sent or answered",
)  # fmt: skip
@click.option(
    "-s", "--source", type=ADDRESS, metavar="ADDRESS", help="the sender IPv4 address to put in the requests"
)
@click.option("-f", "first", is_flag=True, help="stop at the first reply")
@click.option("-q", "--quiet", is_flag=True, help="print nothing (the exit code tells)")
@click.option("-b", "broadcast_only", is_flag=True, help="keep broadcasting (else unicast once answered)")
@click.option("-D", "dad", is_flag=True, help="duplicate address detection: exit 0 when nobody answers")
@click.option("-U", "unsolicited", is_flag=True, help="unsolicited (gratuitous) ARP requests for ADDRESS")
@click.option("-A", "advert", is_flag=True, help="as -U, with ARP replies (announcements)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
def arping(
    address: str, interface: str | None, count: int | None, interval: float, deadline: float | None,
    source: str | None, first: bool, quiet: bool, broadcast_only: bool, dad: bool, unsolicited: bool,
    advert: bool, as_json: bool,
) -> int:  # fmt: skip
    """Ask who has ADDRESS on a link (ARP who-has; IPv6: a neighbour solicitation), as arping does.

    An IPv4 ADDRESS gets ARP requests as iputils arping sends them: broadcast until a reply
    comes, then to the MAC that answered (-b: broadcast always), -i apart; each reply is shown
    with the MAC that answered and the time since the last request. -D (duplicate address
    detection) asks from 0.0.0.0 and stops at the first answer: exit 1 when someone has
    ADDRESS, 0 when it is free. -U sends unsolicited ARP requests for ADDRESS from ADDRESS
    (gratuitous ARP, to update the neighbours' caches), -A the same as ARP replies; both
    expect no answer and exit 0 (give -I: ADDRESS is usually this host's own). -s puts
    another sender address in the requests (not checked: rawnet may spoof). -c N stops after
    N requests (default 4); -w SECONDS is a deadline (without -c: requests until then; with
    -c: stop early once N replies came); -f stops at the first reply. An IPv6 ADDRESS gets a
    neighbour solicitation to its solicited-node multicast group instead. The interface is
    -I's, or the one the kernel's route for ADDRESS goes out of; an address the route sends
    through the loopback (127.0.0.1, this host's own) has no link-layer neighbour: a usage
    error (exit 2). --json writes a "reply" object per answer (seq, from, mac, unicast,
    rtt_ms) and a last "statistics". Exit 0 when a reply came, 1 when none did (-w with -c:
    fewer than N).

    \b
    rawnet arping 198.18.1.2 -I veth0            # 4 requests, one a second
    rawnet arping 198.18.1.2 -c 1 -w 0.5         # the route picks the interface
    rawnet arping -D 198.18.1.2 -I veth0 -c 2    # is 198.18.1.2 taken? (exit 1: yes)
    rawnet arping -U 198.18.1.1 -I veth0 -c 1    # gratuitous ARP for our own address
    rawnet arping 2001:db8:1::2 -I veth0 -c 2    # neighbour solicitation
    rawnet arping 198.18.1.2 -c 2 --json         # JSON lines
    """
    check_family(address, False, False)
    if deadline is not None:
        positive(deadline, "-w/--deadline")
    six = ":" in address
    unsolicited = unsolicited or advert
    if six and (dad or unsolicited or source):
        raise click.UsageError("-D, -U, -A and -s are ARP's (IPv4): an IPv6 ADDRESS takes none of them")
    if source is not None and ":" in source:
        raise click.BadParameter(f"{source} is not an IPv4 address", param_hint="-s")
    if interface is not None and is_loopback(interface):
        raise click.BadParameter(f"{interface} is a loopback: it has no link to ask on", param_hint="-I")
    if interface is None:
        interface = next_hop(address).interface
        if is_loopback(interface):  # a loopback address, or one of this host's own
            raise click.UsageError(
                f"{address} is reached through the loopback {interface}: no link-layer neighbour "
                "answers there (arping asks on an Ethernet interface: give a neighbour's address)"
            )
    mac = interface_mac(interface).lower()
    if count is None:
        count = 0 if deadline is not None else 4
    if six:
        sender = source_for(address, socket.AF_INET6)
        request, expression = solicitation(address, sender, mac), "icmp6"
    else:
        sender = source or (_UNSPECIFIED if dad else address if unsolicited else interface_ipv4(interface))
        request, expression = (
            Ether(src=mac, dst=_BROADCAST)
            / ARP(
                op=2 if advert else 1,
                hwsrc=mac,
                psrc=sender,
                hwdst=mac if advert else _BROADCAST,
                pdst=address,
            ),
            "arp",
        )
    out = Output(as_json)
    stats = RttStats()
    state: dict[str, Any] = {"last": 0.0, "unicast": None, "done": False, "broadcasts": 0}
    heard = {"broadcast": 0, "request": 0}

    def answered(query: Query, reply: Layer) -> None:
        if state["done"]:
            return
        rtt = max(0.0, (reply.time or 0.0) - state["last"])
        stats.add(rtt)
        kind = "Unicast" if reply.direction == _PACKET_HOST else "Broadcast"
        if six:
            who, what, extra = str(reply[Ether].src), "reply", ""
        else:
            arp = reply[ARP]
            who, what, extra = str(arp.hwsrc), "reply" if int(arp.op) == 2 else "request", ""
            if str(arp.pdst) != sender:
                extra = f"for {arp.pdst} "
            if str(arp.hwdst).lower() != mac:
                extra += ("" if extra else "for ") + f"[{str(arp.hwdst).upper()}]"
        if not quiet:
            out.line(
                f"{kind} {what} from {address} [{who.upper()}] {extra} {rtt * 1e3:.3f}ms",
                {"type": "reply", "seq": stats.sent, "from": address, "mac": who.lower(),
                 "unicast": kind == "Unicast", "rtt_ms": round(rtt * 1e3, 3)},
            )  # fmt: skip
        if deadline is not None and stats.received == count:
            state["done"] = True  # (iputils: before counting it as a broadcast or a request)
            return
        heard["broadcast"] += kind != "Unicast"
        heard["request"] += what == "request"
        if first or dad or (count == 0 and stats.received == stats.sent):
            state["done"] = True
        if not broadcast_only and not six and state["unicast"] is None:
            state["unicast"] = who.lower()

    def send(exchange: Exchange) -> None:
        frame = request.copy()
        if state["unicast"] is not None:
            frame[Ether].dst = state["unicast"]
            if not advert:
                frame[ARP].hwdst = state["unicast"]
        else:
            state["broadcasts"] += 1
        stats.sent += 1
        exchange.send(Query(frame, number=stats.sent))
        state["last"] = frame.sent_time or time.time()

    def rule(reply: Layer, probe: Layer) -> str:
        return answers_frame(reply, probe) if six else _counts(reply, address, sender, mac, dad)

    link = layer2_link(interface, [request], filter=expression, nofilter=True)
    with Exchange(link, rule=rule, multi=True, on_answer=answered) as exchange:
        if not quiet:
            out.line(f"{'NDPING' if six else 'ARPING'} {address} from {sender} {interface}")
        with contextlib.suppress(KeyboardInterrupt):
            start = time.perf_counter()
            ends = None if deadline is None else start + deadline
            ticks = 1
            send(exchange)
            while not state["done"]:
                if unsolicited and stats.sent == count:
                    break
                tick = start + ticks * interval
                wake = tick if ends is None else min(tick, ends)
                left = max(0.0, wake - time.perf_counter())
                if select.select([link.listener.socket], [], [], left)[0]:
                    exchange.poll()
                    continue
                now = time.perf_counter()
                if now >= tick:
                    ticks += 1
                    if count and count < ticks:
                        break
                    send(exchange)
                if ends is not None and now >= ends:
                    break
    kinds = "multicast" if six else "broadcast"
    received = f"Received {stats.received} response(s)"
    if heard["request"] or heard["broadcast"]:
        parts = [f"{heard['request']} request(s)"] if heard["request"] else []
        parts += [f"{heard['broadcast']} broadcast(s)"] if heard["broadcast"] else []
        received += f" ({', '.join(parts)})"
    record = stats.record()
    record.update(target=address, interface=interface, broadcasts=state["broadcasts"])
    if not quiet:
        out.line(f"Sent {stats.sent} probes ({state['broadcasts']} {kinds}(s))")
        out.line(received, record)
    elif as_json:
        out.line("", record)
    if dad:
        return NO_REPLY if stats.received else OK
    if unsolicited:
        return OK
    if deadline is not None and count and not first:
        return OK if stats.received >= count else NO_REPLY
    return OK if stats.received else NO_REPLY
