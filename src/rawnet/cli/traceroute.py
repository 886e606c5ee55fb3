"""rawnet traceroute: the route to a host, hop by hop, as traceroute prints it.

Builds each hop's probes, schedules them as Linux traceroute does (up to -N in flight, -z apart,
each waiting as -w says) and reads what answered them; sending, receiving and matching are the
exchange engine's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import click

from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, Output, one_mode
from rawnet.cli.probe import (
    TTL,
    check_family,
    echo_request,
    family_options,
    first_port,
    icmp_error,
    interface_option,
    ip_header,
    network,
    nth_port,
    probe_source,
    source_option,
)
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer3_link
from rawnet.net.routes import next_hop
from rawnet.wire import ICMP, IP, TCP, UDP, ICMPv6EchoReply, ICMPv6PacketTooBig, Layer

#: traceroute's limit on the packet length argument, and the RTT slack of -w's HERE and NEAR.
_MAX_PACKET = 65000
_WAIT_PRECISION = 0.001
#: traceroute's marks for ICMP errors, (IP version, type, code) -> mark ("" for the destination's
#: port unreachable); any other error is "!<code>" (a destination unreachable) or "!<type-code>".
_MARKS: dict[tuple[int, int, int], str] = {
    **{(4, 3, code): "!N" for code in (0, 6, 8, 11)},
    **{(4, 3, code): "!H" for code in (1, 7, 12)},
    **{(4, 3, code): "!X" for code in (9, 10, 13)},
    (4, 3, 2): "!P", (4, 3, 3): "", (4, 3, 5): "!S", (4, 3, 14): "!V", (4, 3, 15): "!C",
    (6, 1, 0): "!N", (6, 1, 1): "!X", (6, 1, 2): "!H", (6, 1, 3): "!H", (6, 1, 4): "",
}  # fmt: skip
_TIME_EXCEEDED = ((4, 11, 0), (6, 3, 0))
_UNREACHABLE = {4: 3, 6: 1}  # (IP version -> destination unreachable's type)
_SIOCGIFMTU = 0x8921
#: IP_PMTUDISC_PROBE / IPV6_PMTUDISC_PROBE: DF packets held to the interface's MTU, not a learned one.
_PMTUDISC_PROBE = 3
_IP_MTU_DISCOVER, _IPV6_MTU_DISCOVER = 10, 23
#: -I, -T, -U: one of them (two are a usage error, not the last one kept).
_METHOD = one_mode("udp", "methods", udp="-U/--udp", icmp="-I/--icmp", tcp="-T/--tcp")


_Waits = tuple[float, float, float]


class Waits(click.ParamType[_Waits]):
    """-w MAX[,HERE,NEAR] (or MAX/HERE/NEAR), as traceroute: MAX seconds at most; HERE times the RTT
    of an answer from the same hop, NEAR times that of a later hop, when there is one. MAX alone
    sets HERE and NEAR to 0 (traceroute's compatibility rule)."""

    name = "waits"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> _Waits:
        if isinstance(value, tuple):
            return value
        parts = str(value).replace("/", ",").split(",")
        if len(parts) > 3:
            self.fail(f"{value!r}: give MAX[,HERE,NEAR] (at most three values)", param, ctx)
        wait = INTERVAL.convert(parts[0], param, ctx)
        try:
            factors = [float(part) for part in parts[1:]] + [0.0] * (3 - len(parts))
        except ValueError:
            self.fail(f"{value!r}: HERE and NEAR are factors (numbers), as in 5,3,10", param, ctx)
        if wait <= 0 or min(factors) < 0:
            self.fail(f"{value!r}: MAX must be more than 0 seconds, HERE and NEAR 0 or more", param, ctx)
        return wait, factors[0], factors[1]


class SendWait(click.ParamType[float]):
    """-z as traceroute: a number above 10 is milliseconds, else seconds (10ms, 0.5s also taken)."""

    name = "sendwait"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        seconds = INTERVAL.convert(text, param, ctx)
        bare = text.replace(".", "", 1).isdigit()
        return seconds / 1000 if bare and seconds > 10 else seconds


@dataclass
class _Probe:
    """One probe of the trace: its hop, and once done, who answered, when, and what it means."""

    index: int
    ttl: int
    query: Query | None = None
    sent_at: float = 0.0  # perf_counter() when it left
    done: bool = False
    final: bool = False  # the trace stops at its hop
    where: str | None = None
    rtt: float | None = None
    answer: str = ""
    mark: str = ""
    record: dict[str, Any] = field(default_factory=dict)


def _classify(reply: Layer, destination: str) -> tuple[str, str, bool]:
    """What a reply to a probe is ("time-exceeded", "port-unreachable", "SA", ...), traceroute's
    mark for it, and whether the trace ends at its hop (any answer but a time exceeded in transit)."""
    error = icmp_error(reply)
    if error is None:
        if TCP in reply:
            return str(reply[TCP].flags), "", True
        return "echo-reply" if ICMP in reply or ICMPv6EchoReply in reply else "reply", "", True
    version, kind, code = error
    if error in _TIME_EXCEEDED:
        return "time-exceeded", "", False
    if (version, kind, code) in ((4, 3, 4), (6, 2, 0)):  # fragmentation needed / packet too big
        mtu = reply[ICMP].nexthopmtu if version == 4 else reply[ICMPv6PacketTooBig].mtu
        return "fragmentation-needed", f"!F-{mtu}", True
    mark = _MARKS.get(error)
    if mark is None:
        mark = f"!<{code}>" if kind == _UNREACHABLE[version] else f"!<{kind}-{code}>"
    answer = "port-unreachable" if mark == "" else "unreachable"
    return answer if kind == _UNREACHABLE[version] else "error", mark, True


def _timeout(probes: list[_Probe], probe: _Probe, queries: int, waits: tuple[float, float, float]) -> float:
    """How long ``probe`` waits (traceroute's get_timeout): HERE times the RTT of an answer in its
    hop, else NEAR times that of a probe after it, capped at MAX; MAX when neither applies."""
    wait, here, near = waits
    first = probe.index - probe.index % queries
    if here:
        for other in probes[first : first + queries]:
            if other.done and other.rtt:
                return min(wait, here * (other.rtt + _WAIT_PRECISION))
    if near:
        for other in probes[probe.index + 1 :]:
            if not other.query:
                break
            if other.done and other.rtt:
                return min(wait, near * (other.rtt + _WAIT_PRECISION))
    return wait


def _hop_line(ttl: int, hop: list[_Probe]) -> str:
    """traceroute's line of a hop: " 7  ADDRESS  RTT ms MARK ..."; an address again only when it
    differs from the last one that answered; "*" for no answer."""
    line, last = f"{ttl:2d} ", None
    for probe in hop:
        if probe.where is None:
            line += " *"
        elif probe.where != last:
            line += f" {probe.where}"
            last = probe.where
        if probe.rtt is not None:
            line += f"  {probe.rtt * 1e3:.3f} ms"
        if probe.mark:
            line += f" {probe.mark}"
    return line


def _tcp_syn(sport: int, dport: int) -> Layer:
    """traceroute -T's SYN: window 5840, options MSS 1460, SACK permitted, timestamps, window scale 2
    (a 40-byte TCP header, so 60-byte IPv4 packets)."""
    stamp = int(time.monotonic() * 1000) & 0xFFFFFFFF
    options = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (stamp, 0)), ("NOP", None), ("WScale", 2)]
    return TCP(sport=sport, dport=dport, flags="S", seq=random.getrandbits(32), window=5840, options=options)


def _interface_mtu(interface: str) -> int:
    """The MTU of ``interface`` (SIOCGIFMTU): what the kernel holds a don't-fragment packet to
    (traceroute's IP_PMTUDISC_PROBE, which ignores a learned path MTU)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16si", interface.encode()[:15], 0)
        return int(struct.unpack("16si", fcntl.ioctl(sock, _SIOCGIFMTU, request))[1])


def _data_length(method: str, six: bool, length: int | None) -> int:
    """The UDP or ICMP data of a probe of total ``length`` (traceroute's: 32 bytes by default; no
    less than nothing, no more than up to 65000 bytes in all)."""
    headers = (40 if six else 20) + 8
    if length is None:
        return 32
    if length > _MAX_PACKET:
        raise click.BadParameter(
            f"{length}: the packet length is {_MAX_PACKET} bytes at most", param_hint="PACKETLEN"
        )
    return max(0, length - headers) if method != "tcp" else 0


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.argument("packetlen", metavar="[PACKETLEN]", type=click.IntRange(0), required=False)
@click.option(
    "-U", "--udp", "method", flag_value="udp", multiple=True, callback=_METHOD,
    help="UDP to port 33434 and up [default]",
)  # fmt: skip
@click.option(
    "-I", "--icmp", "method", flag_value="icmp", multiple=True, callback=_METHOD,
    help="ICMP echo (ICMPv6 echo for IPv6)",
)  # fmt: skip
@click.option(
    "-T", "--tcp", "method", flag_value="tcp", multiple=True, callback=_METHOD,
    help="TCP SYN to -p PORT (80)",
)  # fmt: skip
@click.option(
    "-p", "--port", type=click.IntRange(0, 65535), metavar="PORT",
    help="UDP: the first port (33434); TCP: the port (80)",
)  # fmt: skip
@click.option(
    "-q", "--queries", type=click.IntRange(1, 10), metavar="N", default=3, show_default=True,
    help="probes per hop",
)  # fmt: skip
@click.option(
    "-N", "--sim-queries", "parallel", type=click.IntRange(1), metavar="N", default=16,
    show_default=True, help="probes in flight at once",
)  # fmt: skip
@click.option(
    "-f", "--first", "--first-ttl", "first_ttl", type=TTL, metavar="TTL", default=1, show_default=True,
    help="the TTL to start with",
)  # fmt: skip
@click.option(
    "-m", "--max-hops", "--max-ttl", "max_ttl", type=TTL, metavar="TTL", default=30, show_default=True,
    help="the TTL to give up at",
)  # fmt: skip
@click.option(
    "-w", "--wait", "waits", type=Waits(), metavar="MAX[,HERE,NEAR]", default="5,3,10",
    show_default=True,
    help="seconds to wait for a probe at most; HERE, NEAR: or that many times the RTT of an "
    "answer from its hop, from a later hop",
)  # fmt: skip
@click.option(
    "-z", "--sendwait", type=SendWait(), metavar="SECONDS", default=0.0,
    help="pause between probes (above 10: milliseconds, as traceroute)",
)  # fmt: skip
@click.option("-F", "--dont-fragment", "dont_fragment", is_flag=True, help="don't fragment (IPv4: set DF)")
@click.option(
    "-t", "--tos", type=click.IntRange(0, 255), metavar="TOS", default=0,
    help="the IPv4 type of service, the IPv6 traffic class",
)  # fmt: skip
@click.option("-n", "numeric", is_flag=True, help="numeric addresses (always so: accepted for habit)")
@interface_option("-i", "--interface")
@source_option("-s", "--source")
@family_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object per hop, then a summary")
def traceroute(
    destination: str, packetlen: int | None, method: str, port: int | None, queries: int, parallel: int,
    first_ttl: int, max_ttl: int, waits: tuple[float, float, float], sendwait: float,
    dont_fragment: bool, tos: int, numeric: bool, interface: str | None, source: str | None,
    four: bool, six: bool, as_json: bool,
) -> int:  # fmt: skip
    """Print the route to a host: the router at each hop, with round-trip times, as traceroute does.

    Each of the -q probes of a hop goes out with that hop's TTL; each router where a probe's
    TTL runs out answers with an ICMP time exceeded quoting it, which is how an answer is
    matched to its probe (and its RTT measured). As Linux traceroute, up to -N probes (of
    this hop and the next ones) are in flight at once, -z apart, and the hops are printed in
    order as they complete. The trace stops at the hop where the destination answers: an
    echo reply (-I), a port unreachable (-U, the default: UDP to port 33434 plus one per
    probe), a SYN-ACK or RST (-T); or where any other ICMP error comes, marked !H, !N, !P
    (host, network, protocol unreachable), !X (prohibited), !S, !V, !C, !F-MTU
    (fragmentation needed, with the next hop's MTU), !<code>. "*" is a probe unanswered
    within its wait (-w: MAX seconds, or HERE times an RTT of its hop, NEAR times one of a
    later hop, traceroute's rule). PACKETLEN is the probes' total length, IP header
    included (60 bytes, 80 for IPv6; -T always sends traceroute's 60-byte SYN); longer than
    the route's MTU, probes leave as fragments, unless -F: then the route's MTU shows as
    "!F-MTU" at the first hop. Linux routers answer at most 6 probes at once and then one a
    second (net.ipv4.icmp_ratelimit): a smaller -N or a -z helps. --json writes one "hop"
    object per TTL (ttl, probes: [{from, rtt_ms, answer, mark}, ...] with from null for
    "*", reached) and a last "statistics" (reached, hops, sent, received). Exit 0 when the
    destination answered, else 1.

    \b
    rawnet traceroute 198.18.2.2                 # UDP probes, 3 per hop
    rawnet traceroute 198.18.2.2 1400 -F         # 1400-byte packets, DF set
    rawnet traceroute -I 198.18.2.2 -q 1         # ICMP echo, one probe per hop
    rawnet traceroute -T -p 22 198.18.2.2        # TCP SYN to port 22
    rawnet traceroute 2001:db8:2::2 -m 5 -w 1    # IPv6, at most 5 hops, 1 s wait
    rawnet traceroute 198.18.2.2 -N 1 -z 500     # one probe at a time, 500 ms apart
    rawnet traceroute 198.18.2.2 --json          # one JSON object per hop
    """
    destination = check_family(destination, four, six)
    if first_ttl > max_ttl:
        raise click.BadParameter(f"first TTL {first_ttl} is beyond the max TTL {max_ttl}", param_hint="-f")
    if port is not None and method == "icmp":
        raise click.UsageError("-p PORT goes with -U/--udp or -T/--tcp")
    ipv6 = ":" in destination
    data = _data_length(method, ipv6, packetlen)
    port = port if port is not None else (80 if method == "tcp" else 33434)
    ident, base = os.getpid() & 0xFFFF, first_port()
    payload = bytes(0x40 + (index & 0x3F) for index in range(data))  # (traceroute's "@ABC...")
    source = probe_source(destination, interface, source)

    def packet(ttl: int, number: int) -> Layer:
        header = ip_header(destination, source, ttl)
        if isinstance(header, IP):
            header.tos = tos
            if dont_fragment:
                header.flags = "DF"
        else:
            header.tc = tos  # type: ignore[attr-defined]
        if method == "udp":
            return header / UDP(sport=base, dport=(port + number) % 65536) / payload
        if method == "tcp":
            return header / _tcp_syn(nth_port(base, number), port)
        return header / echo_request(header, ident, number + 1) / payload

    first = packet(first_ttl, 0)
    size = len(bytes(first))
    refused = 0  # with -F, the MTU the kernel would refuse a probe over (traceroute: "!F-MTU")
    if dont_fragment and size > 1280:
        mtu = _interface_mtu(interface or next_hop(destination).interface)
        refused = mtu if size > mtu else 0
    out = Output(as_json)
    probes = [
        _Probe(index, first_ttl + index // queries) for index in range((max_ttl - first_ttl + 1) * queries)
    ]
    sent = [0]

    def answered(query: Query, reply: Layer) -> None:
        probe = probes[query.number]
        if probe.done:
            return  # (too late: it was given up)
        probe.answer, probe.mark, probe.final = _classify(reply, destination)
        probe.where, probe.rtt, probe.done = str(network(reply).src), query.rtt(reply), True

    reached, hops, received = False, 0, 0
    with Exchange(layer3_link([first], iface=interface), on_answer=answered) as exchange:
        if dont_fragment:  # (as traceroute -F: a path MTU learned before does not stop the probes)
            for sock in exchange.link.sockets[1:]:
                level, name = (
                    (socket.IPPROTO_IPV6, _IPV6_MTU_DISCOVER)
                    if sock.socket.family == socket.AF_INET6
                    else (socket.IPPROTO_IP, _IP_MTU_DISCOVER)
                )
                sock.socket.setsockopt(level, name, _PMTUDISC_PROBE)
        out.line(f"traceroute to {destination} ({destination}), {max_ttl} hops max, {size} byte packets")

        def send(probe: _Probe) -> None:
            if refused:
                probe.done = probe.final = True
                probe.answer, probe.mark = "fragmentation-needed", f"!F-{refused}"
                return
            probe.query = Query(packet(probe.ttl, sent[0]), number=probe.index)
            sent[0] += 1
            probe.sent_at = time.perf_counter()
            exchange.send(probe.query)

        def hop_done(hop: list[_Probe]) -> bool:
            """Print a hop that completed; True when the trace ends there."""
            nonlocal reached, hops, received
            hops += 1
            here = any(probe.where == destination for probe in hop)
            reached = reached or here
            received += sum(1 for probe in hop if probe.where is not None)
            records = [
                {"from": probe.where, "rtt_ms": None if probe.rtt is None else round(probe.rtt * 1e3, 3)}
                | ({"answer": probe.answer, "mark": probe.mark} if probe.where or probe.mark else {})
                for probe in hop
            ]
            record = {"type": "hop", "ttl": hop[0].ttl, "probes": records, "reached": reached}
            out.line(_hop_line(hop[0].ttl, hop), record)
            return any(probe.final for probe in hop)

        with contextlib.suppress(KeyboardInterrupt):
            start, end, last_send = 0, len(probes), -float("inf")
            while start < end:
                now, wake, flying = time.perf_counter(), None, 0
                for probe in probes[start:]:
                    if probe.index >= end:
                        break
                    if probe.index == start and not probe.done and probe.query:
                        expires = probe.sent_at + _timeout(probes, probe, queries, waits)
                        if expires > now:
                            wake = expires
                        else:
                            probe.done = True  # ("*")
                    if probe.done:
                        if probe.index == start:
                            start += 1
                            if start % queries == 0 and hop_done(probes[start - queries : start]):
                                end = start
                        if probe.final:
                            end = min(end, probe.index - probe.index % queries + queries)
                        continue
                    if not probe.query:
                        if sendwait and last_send + sendwait > now:
                            wake = last_send + sendwait
                            break
                        send(probe)
                        last_send = probe.sent_at or now
                        if probe.done:
                            continue
                    if wake is None:
                        wake = probe.sent_at + _timeout(probes, probe, queries, waits)
                    flying += 1
                    if flying >= parallel:
                        break
                if start >= end:
                    break
                left = max(0.0, (wake or now) - time.perf_counter())
                if select.select([exchange.link.listener.socket], [], [], left)[0]:
                    exchange.poll()
    if as_json:
        summary = {"type": "statistics", "destination": destination, "reached": reached, "hops": hops}
        out.line("", {**summary, "sent": sent[0], "received": received})
    return OK if reached else NO_REPLY
