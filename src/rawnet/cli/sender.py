"""The engine of ``rawnet send``: the packet of a run, what varies per packet, and the send loops.

One packet object is built from the options; for each packet only what varies (ports, TCP seq,
ICMP seq, IP id) is set on it before ``bytes()``, so rawnet's builder repacks just the changed
header, and the bytes go out on one socket held open for the run (layer 3: IP_HDRINCL or an
IPv6 IPPROTO_RAW socket; layer 2 with -I: AF_PACKET). Nothing here parses packets by hand, reads
the command line, or sends anything the options did not describe.
"""

from __future__ import annotations

import math
import os
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import cycle, islice
from typing import Any

import click

from rawnet.cli.common import Output, PortSpec
from rawnet.errors import PacketTooBigError, RawnetError
from rawnet.net.exchange import pace
from rawnet.net.linux import IPPROTO_RAW
from rawnet.net.routes import interface_mac, next_hop
from rawnet.net.sendrecv import resolve_mac
from rawnet.net.sockets import RawSocket, send_error
from rawnet.wire import ICMP, IP, TCP, UDP, Ether, ICMPv6, ICMPv6EchoRequest, IPv6, Layer, fragment

#: --flood replays the packets of one cycle when what varies repeats within this many packets.
RING = 65536
#: Packets the flood loop sends between updates of the run's count.
_BATCH = 4096
#: hping3's letters for the TCP flags, in its order (FIN SYN RST PSH ACK URG ECE CWR).
FLAG_LETTERS = "FSRPAUEC"


# -- the packet and how it changes -----------------------------------------------------------


@dataclass
class Template:
    """The packet object of a run, and what is set on it anew for each packet.

    ``top`` is what ``bytes()`` is taken of: the Ethernet frame at layer 2, else the IP packet.
    When only the innermost header changes between packets (ports, seq), the stack codecs
    (wire/fused.py) pack it alone again; a change to a header before it builds the frame anew.
    """

    top: Layer
    network: Layer
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
            return [bytes(self.top)]
        ident = self.ipv6_ident(index) if self.ipv6_ident is not None else None
        return [bytes(piece) for piece in fragment(self.top, self.fragment_size, ident=ident)]

    def whole(self, pieces: list[bytes]) -> bytes:
        """The network packet of ``pieces`` (what wire() gave) before fragmenting: what replies answer."""
        if self.fragment_size is not None:
            return bytes(self.network)
        return pieces[0][14:] if isinstance(self.top, Ether) else pieces[0]


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


def build_probe(options: Options, src: str, link: tuple[str, str] | None) -> Template:
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
    if link is not None:
        top = Ether(src=link[0], dst=link[1]) / packet
        probe = Template(top, top.payload)  # type: ignore[arg-type]
    else:
        probe = Template(packet, packet)
    probe.fragment_size = options.fragment_size
    _vary(probe, options)
    return probe


def _vary(probe: Template, options: Options) -> None:
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
    """The socket of the run and its send function (connected to the destination at layer 3).

    An IPv4 one may send to a broadcast address (SO_BROADCAST, set always, as hping3 does)."""
    if options.interface is not None:
        sock = RawSocket.l2(options.interface)
        return sock, sock.socket.send
    if options.family == socket.AF_INET:
        sock = RawSocket.l3_hdrincl()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    else:
        sock = RawSocket.l3(IPPROTO_RAW, family=socket.AF_INET6)  # the IPv6 header is ours
    try:
        sock.socket.connect((options.dst, 0))  # (the route is chosen here: refusals come now)
    except OSError as error:
        failure = send_error(error, 0, dst=options.dst, broadcast=sock._broadcast())
        sock.close()
        if failure is None:
            raise
        raise failure from None
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
    return mac, resolve_mac(neighbour, interface)  # ARP for IPv4, a neighbour solicitation for IPv6


def tcp_flags(value: int) -> str:
    """hping3's letters for the TCP flags set in ``value`` (SA, PA)."""
    return "".join(letter for bit, letter in enumerate(FLAG_LETTERS) if value >> bit & 1)


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

    def transmit(self, send: Callable[[bytes], int], pieces: list[bytes]) -> None:
        """Send one packet (its ``pieces``) and count it; the first one announces the run."""
        if not self.sent:
            self.started = time.perf_counter()
        _transmit(send, pieces)
        self.sent += 1
        self.ended = time.perf_counter()
        if self.sent == 1:
            self.announce()


def _transmit(send: Callable[[bytes], int], pieces: list[bytes]) -> None:
    for data in pieces:
        try:
            send(data)
        except OSError as error:
            _refused(error, len(data))


def _refused(error: OSError, size: int) -> None:
    """rawnet's one policy for a failed send (sockets.send_error): a full queue drops the packet,
    as a wire would; too long for the MTU is a usage error naming -f; the rest a SendError."""
    failure = send_error(error, size)
    if failure is None:
        return
    if isinstance(failure, PacketTooBigError):  # the options made it too long
        raise click.UsageError(
            f"a packet of {size} bytes is longer than the MTU: cut it with -f/--frag-size"
        ) from None
    raise failure from None


def flood(send: Callable[[bytes], int], probe: Template, count: int, run: Run) -> None:
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
            except OSError as error:  # (a full queue: the packet is skipped, the loop goes on)
                _refused(error, len(data))
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


def paced_run(
    send: Callable[[bytes], int], probe: Template, options: Options, output: Output, run: Run
) -> None:
    """One packet each interval (by deadline), without listening."""
    try:
        for index in pace(options.count, options.interval):
            pieces = probe.wire(index)
            run.transmit(send, pieces)
            if options.verbose or options.json:
                show_sent(output, index, pieces, probe)
    except KeyboardInterrupt:
        pass


def show_sent(output: Output, index: int, pieces: list[bytes], probe: Template) -> None:
    """The line (and JSON record) of packet ``index`` sent, for -v and --json."""
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
