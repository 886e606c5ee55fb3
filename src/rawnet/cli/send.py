"""rawnet send: craft packets from the command line and send them, as hping3 does.

One packet object is built from the options; for each packet only what varies (ports, TCP seq,
ICMP seq, IP id) is set on it before ``bytes()``, so rawnet's builder repacks just the changed
header, and the bytes go out on one socket held open for the run (layer 3: IP_HDRINCL or an
IPv6 IPPROTO_RAW socket; layer 2 with -I: AF_PACKET). With --listen, a listener armed before the
first packet matches replies to their probes (sendrecv.answers). Nothing here parses packets by
hand or sends anything the options did not describe.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import os
import random
import select
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import cycle, islice
from types import FrameType
from typing import Any

import click

from rawnet.cli.common import (
    ADDRESS,
    INTERVAL,
    NO_REPLY,
    OK,
    PORTS,
    Output,
    PortSpec,
    RttStats,
    paced,
    payload_from,
)
from rawnet.errors import RawnetError
from rawnet.net.linux import IPPROTO_RAW
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, neighbour_mac, next_hop, source_for
from rawnet.net.sendrecv import _listener, answers, resolve_mac, srp1
from rawnet.net.sockets import RawSocket, Received
from rawnet.wire import (
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPv6,
    ICMPv6EchoRequest,
    ICMPv6ND_NS,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    Layer,
    fragment,
)
from rawnet.wire.icmp import code_name, type_name
from rawnet.wire.icmpv6 import ICMPv6Type

#: --flood replays the packets of one cycle when what varies repeats within this many packets.
RING = 65536
#: Packets the flood loop sends between updates of the run's count.
_BATCH = 4096
#: hping3's letters for the TCP flags, in its order (FIN SYN RST PSH ACK URG ECE CWR).
FLAG_LETTERS = "FSRPAUEC"


# -- the packet and how it changes -----------------------------------------------------------


@dataclass
class Probe:
    """The packet object of a run, and what is set on it anew for each packet.

    ``top`` is what ``bytes()`` is taken of, ``cut`` how many leading bytes to drop: at layer 3
    an IPv4 TCP/UDP packet is built under a placeholder Ethernet header, because rawnet's fused
    builder (wire/fastpath.py), which repacks only a changed TCP/UDP header, takes Ether stacks.
    """

    top: Layer
    network: Layer
    cut: int = 0
    #: (layer, field, value of packet ``index`` after ``replies`` replies)
    setters: list[tuple[Layer, str, Callable[[int, int], int]]] = field(default_factory=list)
    #: Packets after which the values repeat (None: they never do, or they follow replies).
    period: int | None = 1
    #: Fragment each packet, carrying at most this many bytes of its IP payload per fragment.
    fragment_size: int | None = None
    #: The IPv6 Fragment header's id for packet ``index`` (with fragment_size).
    ipv6_ident: Callable[[int], int] | None = None

    def vary(self, layer: Layer, name: str, value: Callable[[int, int], int], period: int | None) -> None:
        """Set ``layer.name = value(index, replies)`` before each packet."""
        self.setters.append((layer, name, value))
        self.period = None if period is None or self.period is None else math.lcm(self.period, period)

    def wire(self, index: int, replies: int = 0) -> list[bytes]:
        """The bytes of packet ``index`` (its fragments, with -f)."""
        for layer, name, value in self.setters:
            setattr(layer, name, value(index, replies))
        if self.fragment_size is None:
            data = bytes(self.top)
            return [data[self.cut :] if self.cut else data]
        ident = self.ipv6_ident(index) if self.ipv6_ident is not None else None
        return [bytes(piece) for piece in fragment(self.top, self.fragment_size, ident=ident)]

    def whole(self, pieces: list[bytes]) -> bytes:
        """The network packet of ``pieces`` (what wire() gave) before fragmenting: what replies answer."""
        if self.fragment_size is not None:
            return bytes(self.network)
        return pieces[0][14:] if isinstance(self.top, Ether) and not self.cut else pieces[0]


def _port_values(spec: PortSpec, listening: bool) -> tuple[Callable[[int, int], int], int | None] | None:
    """(value of packet i after r replies, period), or None for one fixed port."""
    first = spec.ports[0]
    if spec.step == "++":
        return (lambda index, replies: (first + index) % 65536), 65536
    if spec.step == "+":
        if not listening:
            return None  # one more per reply: without --listen, none are counted
        return (lambda index, replies: (first + replies) % 65536), None
    if len(spec.ports) == 1:
        return None
    ports = spec.ports
    return (lambda index, replies: ports[index % len(ports)]), len(ports)


@dataclass
class Options:
    """What the command line asked for, checked."""

    dst: str
    family: int
    src: str | None
    protocol: str  # tcp, udp, icmp, raw
    raw_proto: int
    sport: PortSpec
    dport: PortSpec
    flags: int
    seq: int
    seq_increment: bool
    ack: int
    window: int
    ttl: int
    ident: int | None
    df: bool
    fragment_size: int | None
    payload: bytes
    icmp_type: int
    icmp_code: int
    count: int
    interval: float
    flood: bool
    listen: bool
    timeout: float
    interface: str | None
    verbose: bool
    quiet: bool
    json: bool


def build_probe(options: Options, src: str, link: tuple[str, str] | None) -> Probe:
    """The packet object for ``options`` from ``src``; ``link``: (source, destination MAC) for layer 2."""
    ipv6 = options.family == socket.AF_INET6
    network: Layer
    if ipv6:
        network = IPv6(src=src, dst=options.dst, hlim=options.ttl)
    else:
        # id 0 at layer 3: the kernel picks one per packet (raw(7)); fragments need their own
        ident = options.ident
        if ident is None:
            ident = random.randrange(1, 65536) if link is not None or options.fragment_size else 0
        network = IP(src=src, dst=options.dst, ttl=options.ttl, id=ident, flags="DF" if options.df else 0)
    transport: Layer | None = None
    if options.protocol == "tcp":
        transport = TCP(
            sport=options.sport.ports[0],
            dport=options.dport.ports[0],
            flags=options.flags,
            seq=options.seq,
            ack=options.ack,
            window=options.window,
        )
    elif options.protocol == "udp":
        transport = UDP(sport=options.sport.ports[0], dport=options.dport.ports[0])
    elif options.protocol == "icmp":
        echo_id = os.getpid() & 0xFFFF
        if not ipv6:
            transport = ICMP(type=options.icmp_type, code=options.icmp_code, id=echo_id, seq=0)
        elif options.icmp_type == 128:
            transport = ICMPv6EchoRequest(code=options.icmp_code, id=echo_id, seq=0)
        else:
            transport = ICMPv6(type=options.icmp_type, code=options.icmp_code)
    else:
        header: Any = network
        if ipv6:
            header.nh = options.raw_proto
        else:
            header.proto = options.raw_proto
    packet = network / transport if transport is not None else network
    if options.payload:
        packet = packet / options.payload
    fast = not ipv6 and options.protocol in ("tcp", "udp") and options.fragment_size is None
    if link is not None:
        top = Ether(src=link[0], dst=link[1]) / packet
        probe = Probe(top, top.payload)  # type: ignore[arg-type]
    elif fast:
        top = Ether() / packet  # cut off again: see Probe
        probe = Probe(top, top.payload, cut=14)  # type: ignore[arg-type]
    else:
        probe = Probe(packet, packet)
    probe.fragment_size = options.fragment_size
    _vary(probe, options)
    return probe


def _vary(probe: Probe, options: Options) -> None:
    """Register what changes from packet to packet."""
    top = probe.top
    if options.protocol in ("tcp", "udp"):
        layer = top[TCP] if options.protocol == "tcp" else top[UDP]
        for name, spec in (("sport", options.sport), ("dport", options.dport)):
            varying = _port_values(spec, options.listen)
            if varying is not None:
                probe.vary(layer, name, *varying)
        if options.seq_increment:
            base = options.seq
            probe.vary(layer, "seq", lambda index, replies: (base + index) % 2**32, None)
    elif options.protocol == "icmp":
        icmp = top[ICMP] if options.family == socket.AF_INET else top[ICMPv6]
        if isinstance(icmp, ICMP | ICMPv6EchoRequest):
            probe.vary(icmp, "seq", lambda index, replies: index % 65536, 65536)
    if options.fragment_size is not None:
        if options.family == socket.AF_INET:
            base_id = int(probe.network.id)  # type: ignore[attr-defined]
            if options.ident is None:  # every datagram its own id, or the fragments would mix
                probe.vary(probe.network, "id", lambda index, replies: (base_id + index) % 65536, 65536)
        else:
            base_ident = options.ident if options.ident is not None else random.getrandbits(32)
            fixed = options.ident is not None
            probe.ipv6_ident = lambda index: base_ident if fixed else (base_ident + index) % 2**32


# -- where the bytes go ------------------------------------------------------------------------


def open_sender(options: Options) -> tuple[RawSocket, Callable[[bytes], int]]:
    """The socket of the run and its send function (connected to the destination at layer 3)."""
    if options.interface is not None:
        sock = RawSocket.l2(options.interface)
        return sock, sock.socket.send
    if options.family == socket.AF_INET:
        sock = RawSocket.l3_hdrincl()
    else:
        sock = RawSocket.l3(IPPROTO_RAW, family=socket.AF_INET6)  # the IPv6 header is ours
    sock.socket.connect((options.dst, 0))
    return sock, sock.socket.send


def link_addresses(options: Options) -> tuple[str, str]:
    """(source MAC, destination MAC) for -I: the interface's, and the next hop's as sendp finds it."""
    interface = options.interface
    assert interface is not None
    mac = interface_mac(interface)
    neighbour = options.dst
    try:
        hop = next_hop(options.dst)
        if hop.interface == interface:
            neighbour = hop.neighbour  # the gateway, when the destination is behind one
    except RawnetError:
        pass  # no route: a destination on this link
    if options.family == socket.AF_INET:
        return mac, resolve_mac(neighbour, interface)
    return mac, neighbour_mac(neighbour, interface) or _solicit(neighbour, interface, mac)


def _solicit(address: str, interface: str, mac: str) -> str:
    """The MAC of an IPv6 neighbour, by a neighbour solicitation (RFC 4861 7.2.2)."""
    target = ipaddress.IPv6Address(address)
    group = ipaddress.IPv6Address(int(ipaddress.IPv6Address("ff02::1:ff00:0")) | int(target) & 0xFFFFFF)
    group_mac = "33:33:" + ":".join(f"{byte:02x}" for byte in group.packed[-4:])
    try:
        src = source_for(address, socket.AF_INET6)
    except (RawnetError, OSError):
        src = "::"
    frame = (
        Ether(src=mac, dst=group_mac)
        / IPv6(src=src, dst=str(group), hlim=255)
        / ICMPv6ND_NS(tgt=address)
        / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    )
    reply = srp1(frame, interface, timeout=1.0)
    if reply is None:
        raise RawnetError(f"cannot resolve the MAC of {address} on {interface}: no neighbour advertisement")
    return str(reply.packet[Ether].src)


# -- replies -----------------------------------------------------------------------------------


@dataclass
class Sent:
    """A probe waiting for its reply."""

    index: int
    packet: Layer
    time: float


def _tcp_flags(value: int) -> str:
    return "".join(letter for bit, letter in enumerate(FLAG_LETTERS) if value >> bit & 1)


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
        flags = _tcp_flags(int(tcp.flags))
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
    """Probes waiting for replies (each for --timeout seconds), matched with sendrecv.answers."""

    def __init__(self, listener: RawSocket, timeout: float, output: Output, stats: RttStats) -> None:
        self.listener = listener
        self.timeout = timeout
        self.output = output
        self.stats = stats
        self.pending: deque[Sent] = deque(maxlen=RING)
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
        for probe in pending:
            try:
                reason = answers(got.packet, probe.packet)
            except (RawnetError, IndexError, AttributeError):
                reason = "not an IP packet"
            if not reason:
                pending.remove(probe)
                self.stats.add(got.timestamp - probe.time)
                self.output.line(*describe_reply(got, probe))
                return

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


# -- the runs ----------------------------------------------------------------------------------


@dataclass
class Run:
    """Counts of one run."""

    sent: int = 0
    started: float = 0.0
    ended: float = 0.0
    #: Called once the first packet went out (the SEND line: an error before it stays one line).
    announce: Callable[[], None] = lambda: None

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended - self.started)


def _transmit(send: Callable[[bytes], int], pieces: list[bytes]) -> None:
    for data in pieces:
        try:
            send(data)
        except OSError as error:
            if error.errno == errno.EMSGSIZE:  # the options made it too long: a usage error
                raise click.UsageError(
                    f"a packet of {len(data)} bytes is longer than the MTU: cut it with -f/--frag-size"
                ) from None
            if error.errno != errno.ENOBUFS:  # a full queue drops the packet, as a wire would
                raise


def flood(send: Callable[[bytes], int], probe: Probe, count: int, run: Run) -> None:
    """As fast as one core goes: the same bytes when nothing varies; else the first cycle of the
    varying values is built (one object, only the changed fields set) and kept, and replayed."""
    run.started = time.perf_counter()
    try:
        first = probe.wire(0)
        _transmit(send, first)
        run.sent = 1
        run.announce()
        if probe.period is not None and probe.period <= RING:
            ring = [first]
            for index in range(1, probe.period if not count else min(count, probe.period)):
                pieces = probe.wire(index)
                _transmit(send, pieces)
                ring.append(pieces)
                run.sent += 1
            if len(ring[0]) == 1:
                _replay(send, [pieces[0] for pieces in ring], count, run)
            else:
                _replay_fragments(send, ring, count, run)
        else:
            index = 1
            while not count or index < count:
                _transmit(send, probe.wire(index))
                index += 1
                run.sent = index
    except KeyboardInterrupt:
        pass
    run.ended = time.perf_counter()


def _replay(send: Callable[[bytes], int], ring: list[bytes], count: int, run: Run) -> None:
    """The tight loop: ring[i % len] forever (or up to ``count`` packets in all), counted in
    batches so that the live counter and Ctrl-C see the number sent."""
    frames = cycle(ring)  # one iterator for the run: a packet the queue refused is skipped, not resent
    sent = run.sent
    try:
        while not count or sent < count:
            try:
                for data in islice(frames, _BATCH if not count else min(_BATCH, count - sent)):
                    send(data)
                    sent += 1
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise
            run.sent = sent
    finally:
        run.sent = sent


def _replay_fragments(send: Callable[[bytes], int], ring: list[list[bytes]], count: int, run: Run) -> None:
    packets: Iterator[list[bytes]] = cycle(ring)
    if count:
        packets = islice(packets, max(0, count - run.sent))
    for pieces in packets:
        _transmit(send, pieces)
        run.sent += 1


def paced_run(send: Callable[[bytes], int], probe: Probe, options: Options, output: Output, run: Run) -> None:
    """One packet each interval (by deadline), without listening."""
    try:
        for index in paced(options.count, options.interval):
            pieces = probe.wire(index)
            if not run.sent:
                run.started = time.perf_counter()
            _transmit(send, pieces)
            run.sent += 1
            run.ended = time.perf_counter()
            if run.sent == 1:
                run.announce()
            if options.verbose or options.json:
                _show_sent(output, index, pieces, probe)
    except KeyboardInterrupt:
        pass


def _show_sent(output: Output, index: int, pieces: list[bytes], probe: Probe) -> None:
    whole = probe.whole(pieces)
    summary = type(probe.network).decode(whole, lenient=True).summary_safe()
    record = {
        "type": "sent",
        "probe": index,
        "time": round(time.time(), 6),
        "len": len(whole),
        "fragments": len(pieces) if probe.fragment_size else 0,
        "summary": summary,
    }
    output.line(f"sent seq={index} len={len(whole)} {summary}", record)


def listening_run(
    send: Callable[[bytes], int], probe: Probe, options: Options, output: Output, run: Run, stats: RttStats
) -> None:
    """Send each interval and show the replies as they come; then wait --timeout for late ones."""
    listener = _listener([probe.network], None)  # armed before the first packet leaves
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
                if not run.sent:
                    run.started = time.perf_counter()
                _transmit(send, pieces)
                run.sent += 1
                run.ended = time.perf_counter()
                if run.sent == 1:
                    run.announce()
                matcher.add(Sent(index, type(probe.network).decode(whole, lenient=True), sent_at))
                if options.verbose or options.json:
                    _show_sent(output, index, pieces, probe)
                matcher.drain()
                index += 1
            deadline = time.perf_counter() + options.timeout
            while matcher.pending and time.perf_counter() < deadline:
                matcher.wait(min(deadline, time.perf_counter() + 0.05))
        except KeyboardInterrupt:
            pass
    finally:
        listener.close()


@contextmanager
def live_counter(output: Output, run: Run) -> Iterator[None]:
    """A live count of the packets sent on stderr, while the block runs (only on a terminal)."""
    if not output.live:
        yield
        return
    from rich.live import Live
    from rich.text import Text

    def render() -> Text:
        seconds = time.perf_counter() - run.started if run.sent else 0.0
        rate = f", {run.sent / seconds:,.0f} packets/s" if seconds > 0 else ""
        return Text(f"{run.sent:,} packets sent{rate}")

    with Live(get_renderable=render, console=output.console, refresh_per_second=4, transient=True):
        yield


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# -- the command -------------------------------------------------------------------------------


def _flags(letters: str | None, short: dict[str, bool]) -> int:
    value = 0
    if letters:
        text = letters.strip().upper()
        try:
            value = int(text, 0)
        except ValueError:
            for letter in text:
                if letter not in FLAG_LETTERS:
                    raise click.BadParameter(
                        f"{letters!r}: TCP flags are letters of {FLAG_LETTERS} (as SA, PA) or a number",
                        param_hint="--flags",
                    ) from None
                value |= 1 << FLAG_LETTERS.index(letter)
        if not 0 <= value <= 0x1FF:
            raise click.BadParameter(f"{letters!r} is not 0..0x1ff", param_hint="--flags")
    for letter, given in short.items():
        if given:
            value |= 1 << FLAG_LETTERS.index(letter)
    return value


def _family(dst: str, src: str | None, ipv6: bool) -> int:
    version = ipaddress.ip_address(dst.split("%")[0]).version
    if ipv6 and version == 4:
        raise click.BadParameter(f"{dst} is IPv4, and -6 asks for IPv6", param_hint="DST")
    if src is not None and ipaddress.ip_address(src.split("%")[0]).version != version:
        raise click.BadParameter(f"{src} and {dst} are not of one IP version", param_hint="-a/--spoof")
    return socket.AF_INET6 if version == 6 else socket.AF_INET


def _interval(
    interval: float | None, fast: bool, faster: bool, rate: float | None, flood_mode: bool
) -> tuple[float, bool]:
    chosen = [
        name
        for name, given in (
            ("-i", interval is not None), ("--fast", fast), ("--faster", faster),
            ("--rate", rate is not None), ("--flood", flood_mode),
        )
        if given
    ]  # fmt: skip
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)}: give the pace one way")
    if flood_mode:
        return 0.0, True
    if fast:
        return 0.1, False
    if faster:
        return 0.01, False
    if rate is not None:
        return 1.0 / rate, False
    return (1.0 if interval is None else interval), False


#: The --help text (and docs/cli.md), raw: the seed's payload has its \r\n as one types them.
_HELP = r"""Craft packets and send them, hping3-style: TCP, UDP, ICMP or raw IP, over IPv4 or IPv6.

Every header field has an option, with hping3's letter where it has one, and hping3's defaults
(no TCP flags, window 64, destination port 0, a random source port counting up per packet);
the payload comes from -d text, -E hex or --file, cut or zero-padded by --size. Packets leave
at layer 3 through a raw IP socket (the kernel routes them; the source is the route's unless
-a, the IPv4 id the kernel's unless -N), or at layer 2 on the interface of -I. From one packet
to the next only what the options ask changes (ports with ++ or lists, --seq-increment, the
ICMP seq), and only that header is repacked; --flood replays that cycle of packets as fast as
one core goes. --listen shows each reply matched to its probe, as `len=44 ip=198.18.1.2 ttl=64
DF id=0 sport=80 flags=SA seq=0 win=64240 rtt=0.3 ms` (seq= is the probe's number), and adds
received, loss and round-trip times to the statistics block that ends every run (Ctrl-C and
SIGTERM included). The SEND line and remarks go to stderr, results to stdout.

\b
rawnet send 198.18.1.2 -S -p 80 -c 3 --listen        # three SYNs: SA from an open port, RA closed
rawnet send 198.18.1.2 -a 198.18.1.1 -s 55968 -p 80 --flags PA -M 1 -L 1 -w 64 --seq-increment -c 5 -i 0 \
    -d 'GET /att/DIYLife/41264/528 HTTP/1.1\r\nHost: 198.18.1.2\r\nAccept-Encoding: identity\r\n\r\n'
                                                     # the seed's script: seq 1..5, PA, ack 1, window 64
rawnet send 198.18.1.2 -S -p ++20 -c 10 --listen     # ports 20..29, one more per packet
rawnet send 198.18.1.2 -S -p 20-25,80 --listen       # a port list: one packet per port
rawnet send 198.18.1.2 --udp -p 53 -d 'hello\n' --listen
rawnet send 198.18.1.2 --icmp -c 3 -i 10ms --listen  # ICMP echo, 10 ms apart (u10000 too)
rawnet send 2001:db8:1::2 --icmp -c 1 --listen       # ICMPv6 echo
rawnet send 198.18.1.2 --raw-ip 253 -E cafe -c 1     # IP protocol 253 carrying 2 bytes
rawnet send 198.18.1.2 --udp -p 9 --size 3000 -f 1000 -c 1   # 4 fragments
rawnet send 198.18.1.2 -S -p 80 --size 64 --flood    # full speed until Ctrl-C
rawnet send 198.18.1.2 -I eth0 -S -p 80 --rate 1000 -c 5000  # layer 2, 1000 packets/s

Exit codes: 0 sent (with --listen: and a reply came), 1 no reply (--listen), no route or a
network failure, 2 a bad option, address or interface, 3 no CAP_NET_RAW.
""".replace("\n\\b\n", "\n\b\n")  # click's no-rewrap marker is the control character


@click.command(help=_HELP, context_settings={"max_content_width": 100})
@click.argument("dst", type=ADDRESS)
@click.option("--tcp", "protocol", flag_value="tcp", default=True, help="TCP (the default).")
@click.option("-2", "--udp", "protocol", flag_value="udp", help="UDP.")
@click.option("-1", "--icmp", "protocol", flag_value="icmp", help="ICMP echo request (ICMPv6 with IPv6).")
@click.option(
    "--raw-ip", "raw_proto", type=click.IntRange(0, 255), metavar="PROTO",
    help="An IP packet of protocol number PROTO carrying only the payload (hping3 -0 -H).",
)  # fmt: skip
@click.option("-6", "ipv6", is_flag=True, help="IPv6 (an IPv6 DST picks it too).")
@click.option(
    "-a", "--spoof", "src", type=ADDRESS, metavar="SRC", help="Source address (default: the route's)."
)
@click.option(
    "-s", "--sport", "sport", type=PORTS, metavar="PORTS",
    help="Source port(s). Default: a random base, one more per packet (hping3); -k keeps it.",
)  # fmt: skip
@click.option(
    "-p", "--dport", "dport", type=PORTS, metavar="PORTS",
    help="Destination port(s): 80, 20-25, 22,80,443, ++80 (one more per packet), +80 (per reply). Default 0.",
)  # fmt: skip
@click.option("-k", "--keep", is_flag=True, help="Keep the default source port fixed.")
@click.option("-S", "--syn", "syn", is_flag=True, help="TCP SYN flag.")
@click.option("-A", "--ack-flag", "ack_flag", is_flag=True, help="TCP ACK flag.")
@click.option("-F", "--fin", "fin", is_flag=True, help="TCP FIN flag.")
@click.option("-R", "--rst", "rst", is_flag=True, help="TCP RST flag.")
@click.option("-P", "--push", "push", is_flag=True, help="TCP PSH flag.")
@click.option("-U", "--urg", "urg", is_flag=True, help="TCP URG flag.")
@click.option(
    "--flags", "flag_letters", metavar="FLAGS",
    help="TCP flags as letters of FSRPAUEC (PA, SA) or a number (0x18); added to -S -A ...",
)  # fmt: skip
@click.option(
    "-M",
    "--seq",
    "--setseq",
    "seq",
    type=click.IntRange(0, 2**32 - 1),
    help="TCP sequence number (default random).",
)
@click.option("--seq-increment", is_flag=True, help="TCP seq one more for each packet (the seed's loop).")
@click.option(
    "-L",
    "--ack",
    "--setack",
    "ack",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="TCP acknowledgment number.",
)
@click.option(
    "-w",
    "--window",
    "--win",
    "window",
    type=click.IntRange(0, 65535),
    default=64,
    show_default=True,
    help="TCP window (hping3's default).",
)
@click.option(
    "-t",
    "--ttl",
    type=click.IntRange(0, 255),
    default=64,
    show_default=True,
    help="IPv4 TTL or IPv6 hop limit.",
)
@click.option(
    "-N", "--id", "ident", type=click.IntRange(0, 2**32 - 1),
    help="IPv4 id, fixed (default: the kernel's at layer 3, else random; -f counts up per packet); with "
    "IPv6 and -f, the fragment id.",
)  # fmt: skip
@click.option("-y", "--df", "--dontfrag", "df", is_flag=True, help="Set IPv4 Don't Fragment.")
@click.option(
    "-f", "--frag-size", "fragment_size", type=click.IntRange(8, 65535), metavar="N",
    help="Fragment each packet, N bytes of IP payload per fragment (rounded down to 8s).",
)  # fmt: skip
@click.option("-d", "--data", "text", metavar="TEXT", help="Payload text; backslash escapes as \\r\\n.")
@click.option("-E", "--hex", "hex_data", metavar="HEX", help="Payload in hex (cafe, ca:fe).")
@click.option("--file", "path", metavar="PATH", help="Payload from a file.")
@click.option(
    "--size",
    type=click.IntRange(0, 65535),
    help="Payload size: data cut or zero-padded to N bytes (hping3 -d).",
)
@click.option(
    "-C", "--icmp-type", type=click.IntRange(0, 255), help="ICMP type (default echo request: 8, ICMPv6 128)."
)
@click.option("-K", "--icmp-code", type=click.IntRange(0, 255), default=0, help="ICMP code.")
@click.option(
    "-c", "--count", type=click.IntRange(min=0),
    help="Packets to send; 0 until Ctrl-C (the default, unless -s/-p list several ports: one each).",
)  # fmt: skip
@click.option(
    "-i", "--interval", type=INTERVAL, help="Between packets: 0.5, 2s, 10ms, 100us, u100 (default 1 s)."
)
@click.option("--fast", is_flag=True, help="10 packets a second.")
@click.option("--faster", is_flag=True, help="100 packets a second.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="PPS", help="Packets a second.")
@click.option("--flood", "flood_mode", is_flag=True, help="As fast as possible; nothing printed per packet.")
@click.option(
    "-I", "--iface", "--interface", "interface", metavar="IFACE",
    help="Send at layer 2 on IFACE (Ethernet header, MACs resolved by ARP/ND).",
)  # fmt: skip
@click.option("--listen", is_flag=True, help="Show the replies (hping3-style lines with RTT).")
@click.option(
    "-W", "--timeout", type=click.FloatRange(min=0), default=1.0, show_default=True,
    help="With --listen: seconds a probe waits for its reply (and the run after the last).",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="A line for each packet sent.")
@click.option("-q", "--quiet", is_flag=True, help="Only the statistics.")
@click.option(
    "--json", "json_lines", is_flag=True, help="JSON lines: each packet sent, each reply, the statistics."
)
def send(**given: Any) -> int:
    """rawnet send: see _HELP (the --help text, and docs/cli.md)."""
    options = _options(given)
    return _run(options)


def _options(given: dict[str, Any]) -> Options:
    """Check the options against each other; a conflict is a usage error (exit 2)."""
    dst: str = given["dst"]
    family = _family(dst, given["src"], given["ipv6"])
    protocol = "raw" if given["raw_proto"] is not None else given["protocol"]
    if given["raw_proto"] is not None and given["protocol"] != "tcp":
        raise click.UsageError("--raw-ip and --udp/--icmp: give one protocol")
    short = {"S": given["syn"], "A": given["ack_flag"], "F": given["fin"], "R": given["rst"]}
    short |= {"P": given["push"], "U": given["urg"]}
    tcp_only = [
        name for name, value in (
            ("TCP flags", any(short.values()) or given["flag_letters"]),
            ("-M/--seq", given["seq"] is not None), ("--seq-increment", given["seq_increment"]),
            ("-L/--ack", given["ack"]),
        ) if value
    ]  # fmt: skip
    if protocol != "tcp" and tcp_only:
        raise click.UsageError(f"{', '.join(tcp_only)}: TCP options, and this is {protocol}")
    if protocol not in ("tcp", "udp") and (given["sport"] or given["dport"] or given["keep"]):
        raise click.UsageError(f"-s/-p/-k: ports are for TCP and UDP, and this is {protocol}")
    if protocol != "icmp" and (given["icmp_type"] is not None or given["icmp_code"]):
        raise click.UsageError("-C/-K: ICMP options, and this is not --icmp")
    ipv6 = family == socket.AF_INET6
    if ipv6 and given["df"]:
        raise click.UsageError("--df: IPv6 has no Don't Fragment flag (routers never fragment it)")
    if given["ident"] is not None:
        limit = 2**32 - 1 if ipv6 else 65535
        if ipv6 and given["fragment_size"] is None:
            raise click.UsageError("-N: IPv6 has no id field (with -f it sets the fragment id)")
        if given["ident"] > limit:
            raise click.BadParameter(f"{given['ident']} is over {limit}", param_hint="-N/--id")
    interval, flood_mode = _interval(
        given["interval"], given["fast"], given["faster"], given["rate"], given["flood_mode"]
    )
    if flood_mode and given["listen"]:
        raise click.UsageError("--flood shows no replies: use --rate or -i with --listen")
    payload = payload_from(given["text"], given["hex_data"], given["path"], given["size"])
    sport: PortSpec | None = given["sport"]
    if sport is None:
        sport = PortSpec((random.randrange(1024, 65536),), "" if given["keep"] else "++")
    dport: PortSpec = given["dport"] or PortSpec((0,))
    count = given["count"]
    if count is None:
        lists = [len(spec.ports) for spec in (sport, dport) if not spec.step and len(spec.ports) > 1]
        count = max(lists, default=0)
    icmp_type = given["icmp_type"]
    if icmp_type is None:
        icmp_type = 128 if ipv6 else 8
    return Options(
        dst=dst, family=family, src=given["src"], protocol=protocol, raw_proto=given["raw_proto"] or 0,
        sport=sport, dport=dport, flags=_flags(given["flag_letters"], short),
        seq=random.getrandbits(32) if given["seq"] is None else given["seq"],
        seq_increment=given["seq_increment"], ack=given["ack"], window=given["window"], ttl=given["ttl"],
        ident=given["ident"], df=given["df"], fragment_size=given["fragment_size"], payload=payload,
        icmp_type=icmp_type, icmp_code=given["icmp_code"], count=count, interval=interval,
        flood=flood_mode, listen=given["listen"], timeout=given["timeout"], interface=given["interface"],
        verbose=given["verbose"], quiet=given["quiet"], json=given["json_lines"],
    )  # fmt: skip


def _source(options: Options) -> str:
    if options.src is not None:
        return options.src
    if options.interface is not None and options.family == socket.AF_INET:
        address = interface_ipv4(options.interface)
        if address != "0.0.0.0":
            return address
    return source_for(options.dst, options.family)


def _run(options: Options) -> int:
    output = Output(options.json)
    if options.interface is not None and is_loopback(options.interface):
        raise click.BadParameter(
            f"{options.interface} is a loopback: it has no Ethernet peer (leave -I out)", param_hint="-I"
        )
    link = link_addresses(options) if options.interface is not None else None
    src = _source(options)
    probe = build_probe(options, src, link)
    sock, transmit = open_sender(options)
    run, stats = Run(), RttStats()
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `timeout` ends a run as Ctrl-C does
    try:
        if not options.quiet:
            run.announce = lambda: _header(output, options, probe, src)
        if options.flood:
            with live_counter(output, run):
                flood(transmit, probe, options.count, run)
        elif options.listen:
            listening_run(transmit, probe, options, output, run, stats)
        elif options.verbose:  # lines on stdout: no live counter under them
            paced_run(transmit, probe, options, output, run)
        else:
            with live_counter(output, run):
                paced_run(transmit, probe, options, output, run)
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    stats.sent = run.sent
    _statistics(output, options, run, stats)
    if options.listen and not stats.received:
        return NO_REPLY
    return OK


def _header(output: Output, options: Options, probe: Probe, src: str) -> None:
    headers = len(bytes(probe.network)) - len(options.payload)
    where = f"{options.interface}, layer 2" if options.interface else "layer 3"
    if options.protocol == "tcp":
        what = f"tcp {_tcp_flags(options.flags) or 'no flags'} set"
    elif options.protocol == "raw":
        what = f"IP protocol {options.raw_proto}"
    else:
        what = options.protocol
    data = len(options.payload)
    _note(output, f"SEND {options.dst} ({where}) from {src}: {what}, {headers} headers + {data} data bytes")
    if options.flood:
        _note(output, "flood mode: no line per packet; Ctrl-C ends it with the statistics")


def _note(output: Output, text: str) -> None:
    """A remark on stderr, one line whatever its length (Output.note wraps at 80 columns off a terminal)."""
    if not output.json:
        click.echo(text, err=True)


def _statistics(output: Output, options: Options, run: Run, stats: RttStats) -> None:
    seconds = run.seconds  # from the first packet to the last
    rate = (run.sent - 1) / seconds if run.sent > 1 and seconds > 0 else None
    extra = {"seconds": round(seconds, 6), "rate_pps": None if rate is None else round(rate, 1)}
    pace = f"{run.sent} packets sent in {seconds:.3f} s" + (f", {rate:,.0f} packets/s" if rate else "")
    if options.listen:
        record = stats.record() | extra
        lines = stats.lines(options.dst)
    else:
        record = {"type": "statistics", "sent": run.sent, **extra}
        lines = [f"--- {options.dst} statistics ---", pace]
    if output.json:
        output.line("", record)
        return
    for text in lines:
        output.line(text)
