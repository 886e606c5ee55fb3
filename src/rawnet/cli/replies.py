"""Replies to ``rawnet send``: each packet of the run matched to its probe, and hping3's lines;
hping3's traceroute (-T), scan (-8) and listen (-9) modes.

A run is an exchange of the engine (rawnet.net.exchange): its listener is armed before the
first packet leaves, each reply is matched to a probe still waiting (matching.answers), a
second reply to an answered one is a DUP, and each is described from rawnet's decode. Nothing
here parses bytes by hand (but -9's search for its signature) or sends anything but the
packets of the run.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import Any

from rawnet.cli.common import Output, RttStats
from rawnet.cli.sender import RING, Options, Run, Template, show_sent, tcp_flags
from rawnet.net.exchange import Exchange, Link, Query
from rawnet.net.links import reply_listener
from rawnet.net.linux import ETH_P_ALL
from rawnet.net.sockets import RawSocket
from rawnet.wire import ICMP, IP, TCP, UDP, ICMPv6, Layer
from rawnet.wire.icmp import code_name, type_name
from rawnet.wire.icmpv6 import ICMPv6Type


def describe_reply(packet: Layer, probe: Query) -> tuple[str, dict[str, Any]]:
    """hping3's line for a reply, and its JSON record."""
    rtt = probe.rtt(packet) * 1e3
    length = packet.wirelen or len(packet)
    record: dict[str, Any] = {"type": "reply", "probe": probe.number, "len": length}
    network: Any = packet
    if isinstance(packet, IP):
        df = bool(int(packet.flags) & 2)
        record.update(src=str(packet.src), ttl=packet.ttl, id=packet.id, df=df)
        head = f"len={length} ip={packet.src} ttl={packet.ttl} {'DF ' if df else ''}id={packet.id}"
    else:
        record.update(src=str(network.src), ttl=network.hlim)
        head = f"len={length} ip={network.src} ttl={network.hlim}"
    if ICMP in packet and int(packet[ICMP].type) in (3, 4, 5, 11, 12):
        icmp = packet[ICMP]
        kind, code = int(icmp.type), int(icmp.code)
        what = code_name(kind, code) or f"code {code}"
        record.update(protocol="icmp", icmp_type=kind, icmp_code=code, icmp=f"{type_name(kind)}/{what}")
        text = f"ICMP {type_name(kind)} {what} from ip={record['src']} {head[head.index('ttl=') :]}"
    elif ICMPv6 in packet and int(packet[ICMPv6].type) < 128:
        icmp6 = packet[ICMPv6]
        kind, code = int(icmp6.type), int(icmp6.code)
        name = ICMPv6Type(kind).name
        record.update(protocol="icmpv6", icmp_type=kind, icmp_code=code, icmp=f"{name}/{code}")
        text = f"ICMPv6 {name} code {code} from ip={record['src']} {head[head.index('ttl=') :]}"
    elif TCP in packet:
        tcp = packet[TCP]
        flags = tcp_flags(int(tcp.flags))
        record.update(
            protocol="tcp", sport=tcp.sport, dport=tcp.dport, flags=flags, tcp_seq=tcp.seq, ack=tcp.ack,
            window=tcp.window,
        )  # fmt: skip
        text = f"{head} sport={tcp.sport} flags={flags} seq={probe.number} win={tcp.window}"
    elif UDP in packet:
        udp = packet[UDP]
        record.update(protocol="udp", sport=udp.sport, dport=udp.dport)
        text = f"{head} sport={udp.sport} seq={probe.number}"
    else:  # an echo reply
        echo: Any = packet[ICMP] if ICMP in packet else packet[ICMPv6]
        record.update(protocol="icmp" if ICMP in packet else "icmpv6", icmp_id=echo.id, icmp_seq=echo.seq)
        text = f"{head} icmp_seq={echo.seq}"
    record["rtt_ms"] = round(rtt, 3)
    record["summary"] = packet.summary_safe()
    return f"{text} rtt={rtt:.1f} ms", record


class _Stop(Exception):
    """--tr-stop: the first reply that is not "time exceeded" ends the run."""


def _time_exceeded(packet: Layer) -> bool:
    if ICMP in packet:
        return int(packet[ICMP].type) == 11
    return ICMPv6 in packet and int(packet[ICMPv6].type) == 3


def _hop_lines(reply: Layer, query: Query, hop: int) -> tuple[list[str], dict[str, Any]]:
    """hping3's two lines for a "time exceeded" of traceroute mode, and its JSON record."""
    network: Any = reply
    rtt = query.rtt(reply) * 1e3
    in_transit = int(reply[ICMP].code if ICMP in reply else reply[ICMPv6].code) == 0
    during = "transit" if in_transit else "reassembly"
    record = {
        "type": "hop", "probe": query.number, "hop": hop, "src": str(network.src), "during": during,
        "rtt_ms": round(rtt, 3), "summary": reply.summary_safe(),
    }  # fmt: skip
    return [
        f"hop={hop} TTL 0 during {during} from ip={network.src}",
        f"hop={hop} hoprtt={rtt:.1f} ms",
    ], record


def listening_run(
    send: Callable[[bytes], int], probe: Template, options: Options, output: Output, run: Run, stats: RttStats
) -> None:
    """Send each interval and show the replies as they come; then wait --timeout for late ones.

    -q counts the replies without a line each (hping3's -q); --json keeps its records. With -T
    (hping3's traceroute mode) the TTL starts at -t's and goes up by one with each "time
    exceeded" from the current TTL, each shown as hping3's two hop lines.
    """
    shown = not options.quiet or options.json
    hops = {"ttl": options.ttl}
    if options.traceroute:
        name = "hlim" if options.family != socket.AF_INET else "ttl"
        probe.vary(probe.network, name, lambda index, replies: hops["ttl"], None)

    def answered(query: Query, reply: Layer) -> None:
        stats.add(query.rtt(reply))
        if options.traceroute and _time_exceeded(reply):
            network: Any = query.packet
            hop = int(network.ttl if isinstance(network, IP) else network.hlim)
            if hop == hops["ttl"] and not options.tr_keep_ttl:
                hops["ttl"] = min(255, hop + 1)
            if shown:
                lines, record = _hop_lines(reply, query, hop)
                output.line(lines[0], record)
                if not output.json:
                    output.line(lines[1])
            return
        if shown:
            output.line(*describe_reply(reply, query))
        if options.traceroute and options.tr_stop:
            raise _Stop

    def duplicate(query: Query, reply: Layer) -> None:  # hping3's "DUP!": a second reply to one probe
        stats.duplicates += 1
        if shown:
            text, record = describe_reply(reply, query)
            output.line("DUP! " + text, {**record, "duplicate": True})

    def step(index: int) -> None:
        pieces = probe.wire(index, stats.received)
        whole = probe.whole(pieces)
        query = Query(type(probe.network).decode(whole, lenient=True), number=index)
        exchange.send(query, timeout=options.timeout, transmit=lambda query: run.transmit(send, pieces))
        if options.verbose or options.json:
            show_sent(output, index, pieces, probe)

    listener = _listener(probe, options)  # armed before the first packet leaves
    link = Link(listener, None, [listener])
    with (
        Exchange(
            link, duplicates=128, max_pending=RING, on_answer=answered, on_duplicate=duplicate
        ) as exchange,
        contextlib.suppress(KeyboardInterrupt, _Stop),
    ):
        exchange.paced(step, count=options.count, interval=options.interval)


def _listener(probe: Template, options: Options) -> RawSocket:
    """The socket replies come in on: its kernel filter from the probe, unless the addresses
    change per packet (--rand-dest, --rand-source: every IP packet comes in, matching sorts)."""
    if options.dst_pattern is not None or options.src_pattern is not None:
        return reply_listener([], nofilter=True, filter="ip")
    return reply_listener([probe.network])


# -- -8: hping3's scan mode ------------------------------------------------------------------------

#: hping3's scan table, printed (on stderr) before the first line.
SCAN_HEADER = (
    "+----+-----------+---------+---+-----+-----+-----+",
    "|port| serv name |  flags  |ttl| id  | win | len |",
    "+----+-----------+---------+---+-----+-----+-----+",
)
#: Rounds of probes to a port that has not answered: the first and this many more.
SCAN_RETRIES = 2


def service(port: int) -> str:
    """The port's name in /etc/services (hping3's port_to_name), or ""."""
    try:
        return socket.getservbyport(port, "tcp")
    except OSError:
        return ""


def scan_flags(flags: int) -> str:
    """hping3's scan column: eight places F S R P A U X Y, a dot for each flag not set."""
    return "".join(letter if flags >> bit & 1 else "." for bit, letter in enumerate("FSRPAUXY"))


def scan_run(
    send: Callable[[bytes], int], probe: Template, options: Options, output: Output, run: Run, stats: RttStats
) -> list[int]:
    """hping3's -8: one probe per port (the unanswered again, SCAN_RETRIES more rounds), a table
    line for each port that answers with SYN (each answer with -v), then the silent ports."""
    ports = options.scan
    tcp = probe.top[TCP]

    def answered(query: Query, reply: Layer) -> None:
        stats.add(query.rtt(reply))
        network: Any = reply
        length = reply.wirelen or len(reply)
        ident = int(reply.id) if isinstance(reply, IP) else 0
        ttl = int(network.ttl if isinstance(reply, IP) else network.hlim)
        port = ports[query.number]
        if TCP in reply and not (ICMP in reply or ICMPv6 in reply):
            flags = int(reply[TCP].flags)
            window = int(reply[TCP].window)
            record = {
                "type": "port", "port": port, "service": service(port), "flags": tcp_flags(flags),
                "ttl": ttl, "id": ident, "window": window, "len": length,
            }  # fmt: skip
            if flags & 2 or options.verbose:
                name = service(port)[:11]
                text = (
                    f"{port:5d} {name:<11}: {scan_flags(flags)} {ttl:3d} {ident:5d} {window:5d} {length:5d}"
                )
                output.line(text, record)
        else:
            icmp: Any = reply[ICMP] if ICMP in reply else reply[ICMPv6]
            kind, code = int(icmp.type), int(icmp.code)
            record = {
                "type": "port", "port": port, "service": service(port), "icmp_type": kind, "icmp_code": code,
                "src": str(network.src), "ttl": ttl, "id": ident, "len": length,
            }  # fmt: skip
            where = f"(ICMP {kind:3d} {code:3d} from {network.src})"
            text = f"{port:5d}:{' ' * 22}{ttl:3d} {length:5d} {ident:5d}   {where}"
            output.line(text, record)

    queries, frames = [], []
    for index, port in enumerate(ports):
        tcp.dport = port
        pieces = probe.wire(index)
        frames.append(pieces)
        queries.append(Query(type(probe.network).decode(probe.whole(pieces), lenient=True), number=index))
    if not options.quiet:
        announce = run.announce

        def table() -> None:  # under the SEND line, as the first packet leaves
            announce()
            output.note(f"{len(ports)} ports to scan, use -v to see all the replies")
            for line in SCAN_HEADER:
                output.note(line)

        run.announce = table
    listener = reply_listener([probe.network])
    link = Link(listener, lambda query: run.transmit(send, frames[query.number]), [listener])
    silent = queries
    with (
        Exchange(link, max_pending=RING, on_answer=answered) as exchange,
        contextlib.suppress(KeyboardInterrupt),
    ):
        silent = exchange.rounds(queries, inter=options.interval, timeout=options.timeout, retry=SCAN_RETRIES)
    return [ports[query.number] for query in silent if not query.replies]


# -- -9: hping3's listen mode ----------------------------------------------------------------------

#: A socket address's packet type for a packet this host sent (linux/if_packet.h).
_PACKET_OUTGOING = 4


def listen_mode(
    signature: bytes,
    interface: str | None,
    count: int,
    write: Callable[[bytes], object],
    listening: Callable[[], object] = lambda: None,
) -> int:
    """hping3's -9: for each packet coming in (on ``interface``, else every one) that holds
    ``signature``, write what follows its first occurrence, to the packet's end; after ``count``
    such packets (0: until Ctrl-C). ``listening`` is called once the socket is open (nothing that
    arrives after it is missed). Returns how many were written."""
    sock = RawSocket.l2_cooked(interface or "", ETH_P_ALL)
    listening()
    written = 0
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while not count or written < count:
                data, address = sock.socket.recvfrom(65535)
                if address[2] == _PACKET_OUTGOING:
                    continue
                at = data.find(signature)
                if at < 0:
                    continue
                write(data[at + len(signature) :])
                written += 1
    finally:
        sock.close()
    return written
