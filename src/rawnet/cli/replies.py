"""Replies to ``rawnet send --listen``: each packet of the run matched to its probe, and hping3's line.

The run is an exchange of the engine (rawnet.net.exchange): its listener is armed before the
first packet leaves, each reply is matched to a probe still waiting (matching.answers), a
second reply to an answered one is a DUP, and each is described from rawnet's decode. Nothing
here parses bytes by hand or sends anything but the packets of the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from rawnet.cli.common import Output, RttStats
from rawnet.cli.sender import RING, Options, Run, Template, show_sent, tcp_flags
from rawnet.net.exchange import Exchange, Link, Query
from rawnet.net.links import reply_listener
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


def listening_run(
    send: Callable[[bytes], int], probe: Template, options: Options, output: Output, run: Run, stats: RttStats
) -> None:
    """Send each interval and show the replies as they come; then wait --timeout for late ones.

    -q counts the replies without a line each (hping3's -q); --json keeps its records.
    """
    shown = not options.quiet or options.json

    def answered(query: Query, reply: Layer) -> None:
        stats.add(query.rtt(reply))
        if shown:
            output.line(*describe_reply(reply, query))

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

    listener = reply_listener([probe.network])  # armed before the first packet leaves
    link = Link(listener, None, [listener])
    with (
        Exchange(
            link, duplicates=128, max_pending=RING, on_answer=answered, on_duplicate=duplicate
        ) as exchange,
        contextlib.suppress(KeyboardInterrupt),
    ):
        exchange.paced(step, count=options.count, interval=options.interval)
