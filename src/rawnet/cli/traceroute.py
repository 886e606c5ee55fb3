"""rawnet traceroute: the route to a host, hop by hop, as traceroute prints it.

Builds each hop's probes and reads what answered them; sending, receiving and matching are probe.py's.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import click

from rawnet.cli.common import ADDRESS, NO_REPLY, OK, Output
from rawnet.cli.probe import (
    ICMP_ERRORS,
    PORT,
    PORT_UNREACHABLE,
    TTL,
    check_family,
    describe,
    echo_request,
    family_options,
    first_port,
    icmp_error,
    interface_option,
    ip_header,
    network,
    nth_port,
    positive,
    probe_source,
    seconds_option,
    source_option,
    syn,
)
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer3_link
from rawnet.wire import ICMP, TCP, UDP, ICMPv6EchoReply, Layer

_TIME_EXCEEDED = ((4, 11), (6, 3))  # (IP version, ICMP type)


def _hop_answer(reply: Layer, destination: str) -> tuple[str, str]:
    """What a reply to a traceroute probe is ("time-exceeded", "port-unreachable", "SA", ...) and its mark."""
    error = icmp_error(reply)
    if error is not None:
        if error[:2] in _TIME_EXCEEDED:
            return "time-exceeded", ""
        if error in PORT_UNREACHABLE:
            return "port-unreachable", "" if str(network(reply).src) == destination else "!P"
        known = ICMP_ERRORS.get(error)
        return describe(error), known[1] if known else f"!<{error[2]}>"
    if TCP in reply:
        return str(reply[TCP].flags), ""
    return "echo-reply" if ICMP in reply or ICMPv6EchoReply in reply else "reply", ""


def _hop(ttl: int, queries: list[Query], destination: str) -> tuple[str, list[dict[str, Any]], bool, bool]:
    """A hop's line and probe records, whether the destination answered there, and whether the trace stops."""
    line, last, reached, stop = f"{ttl:2d} ", "", False, False
    probes: list[dict[str, Any]] = []
    for query in queries:
        reply = query.answer
        if reply is None:
            line += " *"
            probes.append({"from": None, "rtt_ms": None})
            continue
        rtt = query.rtt(reply)
        where = str(network(reply).src)
        answer, mark = _hop_answer(reply, destination)
        reached = reached or where == destination
        stop = stop or bool(mark) or where == destination
        if where != last:
            line += f" {where}"
            last = where
        line += f"  {rtt * 1e3:.3f} ms" + (f" {mark}" if mark else "")
        probes.append({"from": where, "rtt_ms": round(rtt * 1e3, 3), "answer": answer, "mark": mark})
    return line, probes, reached, stop


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "-U", "--udp", "method", flag_value="udp", default=True, help="UDP to port 33434 and up [default]"
)
@click.option("-I", "--icmp", "method", flag_value="icmp", help="ICMP echo (ICMPv6 echo for IPv6)")
@click.option("-T", "--tcp", "method", flag_value="tcp", help="TCP SYN to -p PORT (80)")
@click.option(
    "-p", "--port", type=PORT, metavar="PORT", help="UDP: the first port (33434); TCP: the port (80)"
)
@click.option(
    "-q",
    "--queries",
    type=click.IntRange(1, 10),
    metavar="N",
    default=3,
    show_default=True,
    help="probes per hop",
)
@click.option(
    "-f", "--first-ttl", type=TTL, metavar="TTL", default=1, show_default=True, help="the TTL to start with"
)
@click.option(
    "-m", "--max-ttl", type=TTL, metavar="TTL", default=30, show_default=True, help="the TTL to give up at"
)
@seconds_option("-w", "--wait", default=2.0, text="how long to wait for a hop's answers")
@click.option("-n", "numeric", is_flag=True, help="numeric addresses (always so: accepted for habit)")
@interface_option("-i", "--interface")
@source_option("-s", "--source")
@family_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object per hop, then a summary")
def traceroute(
    destination: str, method: str, port: int | None, queries: int, first_ttl: int, max_ttl: int,
    wait: float, numeric: bool, interface: str | None, source: str | None, four: bool, six: bool,
    as_json: bool,
) -> int:  # fmt: skip
    """Print the route to a host: the router at each hop, with round-trip times, as traceroute does.

    For each TTL from -f to -m, the -q probes of that hop leave together; each router where
    a probe's TTL runs out answers with an ICMP time exceeded quoting it, which is how an
    answer is matched to its probe (and its RTT measured). The trace stops at the hop the
    destination answers from: an echo reply (-I), a port unreachable (-U, the default, as
    classic traceroute: UDP to port 33434 plus one per probe), or a SYN-ACK / RST (-T).
    "*" is a probe unanswered within -w; "!H", "!N", "!P", "!X" mark host, network,
    protocol unreachable and prohibited answers, after which the trace stops too.
    Linux routers answer at most 6 probes at once and then one a second
    (net.ipv4.icmp_ratelimit): keep -q small. --json writes one "hop" object per TTL (ttl,
    probes: [{from, rtt_ms, answer, mark}, ...] with from null for "*", reached) and a last
    "statistics" (reached, hops, sent, received). Exit 0 when the destination answered, else 1.

    \b
    rawnet traceroute 198.18.2.2                 # UDP probes, 3 per hop
    rawnet traceroute -I 198.18.2.2 -q 1         # ICMP echo, one probe per hop
    rawnet traceroute -T -p 22 198.18.2.2        # TCP SYN to port 22
    rawnet traceroute 2001:db8:2::2 -m 5 -w 1    # IPv6, at most 5 hops
    rawnet traceroute 198.18.2.2 --json          # one JSON object per hop
    rawnet traceroute -i veth0 198.18.2.2        # out of veth0 only
    """
    destination = check_family(destination, four, six)
    positive(wait, "-w/--wait")
    if first_ttl > max_ttl:
        raise click.BadParameter(f"first TTL {first_ttl} is beyond the max TTL {max_ttl}", param_hint="-f")
    if port is not None and method == "icmp":
        raise click.UsageError("-p PORT goes with -U/--udp or -T/--tcp")
    port = port if port is not None else (80 if method == "tcp" else 33434)
    ident, base = os.getpid() & 0xFFFF, first_port()
    payload = b"" if method == "tcp" else bytes(32)
    source = probe_source(destination, interface, source)

    def probe(ttl: int, index: int) -> Layer:
        number = (ttl - 1) * queries + index
        header = ip_header(destination, source, ttl)
        if method == "udp":
            return header / UDP(sport=base, dport=(port + number) % 65536) / payload
        if method == "tcp":
            return header / syn(nth_port(base, number), port)
        return header / echo_request(header, ident, number + 1) / payload

    out = Output(as_json)
    first = probe(first_ttl, 0)
    reached, hops = False, 0
    sent = received = 0
    with Exchange(layer3_link([first], iface=interface)) as exchange:
        size = len(bytes(first))
        out.line(f"traceroute to {destination} ({destination}), {max_ttl} hops max, {size} byte packets")
        with contextlib.suppress(KeyboardInterrupt):
            for ttl in range(first_ttl, max_ttl + 1):
                hops += 1
                hop = [Query(probe(ttl, index), number=index) for index in range(queries)]
                exchange.rounds(hop, timeout=wait)  # (the hop's probes leave together)
                sent += len(hop)
                received += sum(1 for query in hop if query.replies)
                line, probes, here, stop = _hop(ttl, hop, destination)
                reached = reached or here
                out.line(line, {"type": "hop", "ttl": ttl, "probes": probes, "reached": reached})
                if stop:
                    break
    if as_json:
        summary = {"type": "statistics", "destination": destination, "reached": reached, "hops": hops}
        out.line("", {**summary, "sent": sent, "received": received})
    return OK if reached else NO_REPLY
