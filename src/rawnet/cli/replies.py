"""Replies to ``rawnet send --listen``: matching them to their probes, and hping3's line for each.

A listener is armed before the first packet leaves; each reply is matched to a probe still
waiting (matching.answers) and described from rawnet's decode. Nothing here parses bytes by hand
or sends anything but the packets of the run.
"""

from __future__ import annotations

import select
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rawnet.cli.common import Output, RttStats
from rawnet.cli.sender import RING, Options, Probe, Run, show_sent, tcp_flags
from rawnet.errors import RawnetError
from rawnet.net.matching import answers
from rawnet.net.sendrecv import reply_listener
from rawnet.net.sockets import RawSocket, Received
from rawnet.wire import ICMP, IP, TCP, UDP, ICMPv6, Layer
from rawnet.wire.icmp import code_name, type_name
from rawnet.wire.icmpv6 import ICMPv6Type


@dataclass
class Sent:
    """A probe waiting for its reply."""

    index: int
    packet: Layer
    time: float


def describe_reply(got: Received, probe: Sent) -> tuple[str, dict[str, Any]]:
    """hping3's line for a reply, and its JSON record."""
    packet = got.packet
    rtt = (got.timestamp - probe.time) * 1e3
    record: dict[str, Any] = {"type": "reply", "probe": probe.index, "len": got.length}
    network: Any = packet
    if isinstance(packet, IP):
        df = bool(int(packet.flags) & 2)
        record.update(src=str(packet.src), ttl=packet.ttl, id=packet.id, df=df)
        head = f"len={got.length} ip={packet.src} ttl={packet.ttl} {'DF ' if df else ''}id={packet.id}"
    else:
        record.update(src=str(network.src), ttl=network.hlim)
        head = f"len={got.length} ip={network.src} ttl={network.hlim}"
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
        text = f"{head} sport={tcp.sport} flags={flags} seq={probe.index} win={tcp.window}"
    elif UDP in packet:
        udp = packet[UDP]
        record.update(protocol="udp", sport=udp.sport, dport=udp.dport)
        text = f"{head} sport={udp.sport} seq={probe.index}"
    else:  # an echo reply
        echo: Any = packet[ICMP] if ICMP in packet else packet[ICMPv6]
        record.update(protocol="icmp" if ICMP in packet else "icmpv6", icmp_id=echo.id, icmp_seq=echo.seq)
        text = f"{head} icmp_seq={echo.seq}"
    record["rtt_ms"] = round(rtt, 3)
    record["summary"] = packet.summary_safe()
    return f"{text} rtt={rtt:.1f} ms", record


class Matcher:
    """Probes waiting for replies (each for --timeout seconds), matched with matching.answers."""

    def __init__(self, listener: RawSocket, timeout: float, output: Output, stats: RttStats) -> None:
        self.listener = listener
        self.timeout = timeout
        self.output = output
        self.stats = stats
        self.pending: deque[Sent] = deque(maxlen=RING)
        self.answered: deque[Sent] = deque(maxlen=128)  # the last answered: a reply to one is a DUP
        listener.socket.setblocking(False)

    def add(self, sent: Sent) -> None:
        self.pending.append(sent)

    def drain(self) -> None:
        """Take every reply waiting in the listener."""
        while True:
            try:
                got = self.listener.recv()
            except BlockingIOError:
                break
            if got.direction != "outgoing":  # (our own packets, seen leaving)
                self._match(got)

    def _match(self, got: Received) -> None:
        expired = got.timestamp - self.timeout
        pending = self.pending
        while pending and pending[0].time < expired:
            pending.popleft()
        probe = _answered(got, pending)
        if probe is not None:
            pending.remove(probe)
            self.answered.append(probe)
            self.stats.add(got.timestamp - probe.time)
            self.output.line(*describe_reply(got, probe))
            return
        probe = _answered(got, self.answered)
        if probe is not None:  # hping3's "DUP!": a second reply to one probe
            self.stats.duplicates += 1
            text, record = describe_reply(got, probe)
            self.output.line("DUP! " + text, {**record, "duplicate": True})

    def wait(self, until: float) -> None:
        """Handle replies until perf_counter() reaches ``until`` (the last 200 us spun, as paced does)."""
        sock = self.listener.socket
        while True:
            left = until - time.perf_counter()
            if left <= 0:
                return
            if left > 0.0002:
                readable, _, _ = select.select([sock], [], [], left - 0.0002)
                if readable:
                    self.drain()
            else:
                while time.perf_counter() < until:
                    pass
                self.drain()
                return


def _answered(got: Received, probes: deque[Sent]) -> Sent | None:
    """The probe of ``probes`` that ``got`` answers, if any."""
    for probe in probes:
        try:
            reason = answers(got.packet, probe.packet)
        except (RawnetError, IndexError, AttributeError):
            reason = "not an IP packet"
        if not reason:
            return probe
    return None


def listening_run(
    send: Callable[[bytes], int], probe: Probe, options: Options, output: Output, run: Run, stats: RttStats
) -> None:
    """Send each interval and show the replies as they come; then wait --timeout for late ones."""
    listener = reply_listener([probe.network], None)  # armed before the first packet leaves
    try:
        matcher = Matcher(listener, options.timeout, output, stats)
        start = time.perf_counter()
        index = 0
        try:
            while not options.count or index < options.count:
                matcher.wait(start + index * options.interval)
                pieces = probe.wire(index, stats.received)
                whole = probe.whole(pieces)
                sent_at = time.time()
                run.transmit(send, pieces)
                matcher.add(Sent(index, type(probe.network).decode(whole, lenient=True), sent_at))
                if options.verbose or options.json:
                    show_sent(output, index, pieces, probe)
                matcher.drain()
                index += 1
            deadline = time.perf_counter() + options.timeout
            while matcher.pending and time.perf_counter() < deadline:
                matcher.wait(min(deadline, time.perf_counter() + 0.05))
        except KeyboardInterrupt:
            pass
    finally:
        listener.close()
