"""The engine of ``rawnet send``: the packet of a run, what varies per packet, and the send loops.

One packet object is built from the options; for each packet only what varies (ports, TCP seq,
ICMP seq, IP id) is set on it before ``bytes()``, so rawnet's builder repacks just the changed
header, and the bytes go out on one socket held open for the run (layer 3: IP_HDRINCL or an
IPv6 IPPROTO_RAW socket; layer 2 with -I: AF_PACKET). --flood hands one cycle of those bytes to
the line-rate engine (rawnet.net.transmit), which replays it from contiguous buffers. Nothing
here parses packets by hand, reads the command line, or sends anything the options did not
describe.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import cycle, islice
from typing import TYPE_CHECKING, Any

import click

from rawnet.cli.common import Output, PortSpec, StopOnce
from rawnet.cli.payloads import Data
from rawnet.errors import PacketTooBigError, RawnetError
from rawnet.net.linux import IPPROTO_RAW
from rawnet.net.routes import interface_mac, next_hop
from rawnet.net.sendrecv import resolve_mac
from rawnet.net.sockets import RawSocket, send_error
from rawnet.wire import ICMP, IP, TCP, UDP, Ether, ICMPv6, ICMPv6EchoRequest, IPv6, Layer, Raw, fragment

if TYPE_CHECKING:
    from rawnet.net.transmit import Counters, Report

#: --flood replays the packets of one cycle when what varies repeats within this many packets.
RING = 65536
#: Packets the flood loop sends between updates of the run's count.
_BATCH = 4096
#: hping3's letters for the TCP flags, in its order (FIN SYN RST PSH ACK URG ECE CWR); hping3
#: calls ECE and CWR X and Y (-X/-Y), and --flags takes both names.
FLAG_LETTERS = "FSRPAUEC"
#: hping3's -b: every checksum it computes is XORed with this (its cksum() does ``sum ^= 0x5555``).
BAD_CHECKSUM = 0x5555
#: Where a transport header keeps its checksum (bytes from its start).
_CHECKSUM_AT = {6: 16, 17: 6, 1: 2, 58: 2}


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
    setters: list[tuple[Layer, str, Callable[[int, int], Any]]] = field(default_factory=list)
    #: Packets after which the values repeat (None: they never do, or they follow replies).
    period: int | None = 1
    #: Fragment each packet, carrying at most this many bytes of its IP payload per fragment.
    fragment_size: int | None = None
    #: The IPv6 Fragment header's id for packet ``index`` (with fragment_size).
    ipv6_ident: Callable[[int], int] | None = None
    #: -b: the transport checksum (and at layer 2 the IPv4 header's) XORed with BAD_CHECKSUM.
    bad_checksum: bool = False

    def vary(self, layer: Layer, name: str, value: Callable[[int, int], Any], period: int | None) -> None:
        """Set ``layer.name = value(index, replies)`` before each packet."""
        self.setters.append((layer, name, value))
        self.period = None if period is None or self.period is None else math.lcm(self.period, period)

    def wire(self, index: int, replies: int = 0) -> list[bytes]:
        """The bytes of packet ``index`` (its fragments, with -f)."""
        for layer, name, value in self.setters:
            setattr(layer, name, value(index, replies))
        if self.fragment_size is None:
            pieces = [bytes(self.top)]
        else:
            ident = self.ipv6_ident(index) if self.ipv6_ident is not None else None
            pieces = [bytes(piece) for piece in fragment(self.top, self.fragment_size, ident=ident)]
        if self.bad_checksum:
            pieces[0] = self._spoil(pieces[0])
        return pieces

    def _spoil(self, data: bytes) -> bytes:
        """hping3's -b on the first piece: its transport checksum XORed with 0x5555 (the kernel
        refills an IPv4 header checksum at layer 3, so only at layer 2 is that one spoilt too)."""
        frame = bytearray(data)
        start = 14 if isinstance(self.top, Ether) else 0
        if frame[start] >> 4 == 4:
            header, proto = (frame[start] & 15) * 4, frame[start + 9]
            first = not int.from_bytes(frame[start + 6 : start + 8], "big") & 0x1FFF
            if start:
                frame[start + 10] ^= 0x55
                frame[start + 11] ^= 0x55
        else:  # IPv6: the transport header right after the fixed one (a Fragment header: after it)
            header, proto, first = 40, frame[start + 6], True
            if proto == 44:
                header, proto = 48, frame[start + 40]
                first = not int.from_bytes(frame[start + 42 : start + 44], "big") & 0xFFF8
        at = _CHECKSUM_AT.get(proto)
        if first and at is not None and len(frame) >= start + header + at + 2:
            frame[start + header + at] ^= BAD_CHECKSUM >> 8
            frame[start + header + at + 1] ^= BAD_CHECKSUM & 0xFF
        return bytes(frame)

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
            return None  # one more per reply: a flood counts none
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
    seq: int | None  # None: a new random one per packet (hping3)
    seq_increment: bool
    ack: int | None  # None: a new random one per packet (hping3)
    window: int
    ttl: int
    ident: int | None
    df: bool
    fragment_size: int | None
    data: Data
    icmp_type: int
    icmp_code: int
    count: int
    interval: float
    flood: bool
    timeout: float
    interface: str | None
    verbose: bool
    quiet: bool
    json: bool
    tos: int = 0
    more_fragments: bool = False
    fragment_offset: int = 0  # in bytes, a multiple of 8
    bad_checksum: bool = False
    tcp_mss: int | None = None
    tcp_timestamp: bool = False
    #: --rand-source / --rand-dest: the address with each "x" a random 0..255 per packet.
    src_pattern: str | None = None
    dst_pattern: str | None = None
    #: -T: TTL 1 (or -t) rising by one with each "time exceeded" of the current TTL.
    traceroute: bool = False
    tr_stop: bool = False
    tr_keep_ttl: bool = False
    #: -8: the ports of hping3's scan mode.
    scan: tuple[int, ...] = ()
    #: --flood on the line-rate engine: its pace (None: as fast as it goes), time limit, processes,
    #: how frames reach the kernel (auto, ring, mmsg) and whether they skip the qdisc.
    rate: float | None = None
    duration: float | None = None
    workers: int = 1
    tx_method: str = "auto"
    qdisc_bypass: bool = False

    @property
    def listening(self) -> bool:
        """Whether the run shows (or counts) replies: always, but in flood mode (hping3)."""
        return not self.flood

    @property
    def payload(self) -> bytes:
        """The first packet's data."""
        return self.data.chunk(0)


def random_address(pattern: str) -> Callable[[], str]:
    """hping3's --rand-dest/--rand-source rule: each "x" of ``pattern`` (an IPv4 address, as
    198.18.1.x) a random 0..255 per call; "x.x.x.x" is any IPv4 address."""
    parts = pattern.split(".")

    def draw() -> str:
        return ".".join(str(random.randrange(256)) if part == "x" else part for part in parts)

    return draw


def _random_table(draw: Callable[[], Any]) -> tuple[Callable[[int, int], Any], int]:
    """A value drawn anew for each packet: RING draws made once, packet i takes the i-th (so a
    flood replays them)."""
    table = [draw() for _ in range(RING)]
    return (lambda index, replies: table[index % RING]), RING


def build_probe(options: Options, src: str, link: tuple[str, str] | None) -> Template:
    """The packet object for ``options`` from ``src``; ``link``: (source, destination MAC) for layer 2."""
    ipv6 = options.family == socket.AF_INET6
    network: Layer
    if ipv6:
        network = IPv6(src=src, dst=options.dst, hlim=options.ttl, tc=options.tos)
    else:
        # id 0 at layer 3: the kernel picks one per packet (raw(7)); fragments need their own
        ident = options.ident
        if ident is None:
            fragments = options.fragment_size or options.more_fragments or options.fragment_offset
            ident = random.randrange(1, 65536) if link is not None or fragments else 0
        flags = (2 if options.df else 0) | (1 if options.more_fragments else 0)
        network = IP(
            src=src, dst=options.dst, ttl=options.ttl, id=ident, flags=flags, tos=options.tos,
            frag=options.fragment_offset // 8,
        )  # fmt: skip
    transport: Layer | None = None
    if options.protocol == "tcp":
        tcp_options: list[tuple[str, Any]] = []
        if options.tcp_mss is not None:
            tcp_options.append(("MSS", options.tcp_mss))
        if options.tcp_timestamp:  # hping3's layout: NOP NOP Timestamp
            tcp_options += [("NOP", None), ("NOP", None), ("Timestamp", (random.getrandbits(32), 0))]
        transport = TCP(
            sport=options.sport.ports[0],
            dport=options.dport.ports[0],
            flags=options.flags,
            seq=options.seq if options.seq is not None else random.getrandbits(32),
            ack=options.ack if options.ack is not None else random.getrandbits(32),
            window=options.window,
            options=tcp_options,
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
    if options.data.size:
        packet = packet / options.data.chunk(0)
    if link is not None:
        top = Ether(src=link[0], dst=link[1]) / packet
        probe = Template(top, top.payload)  # type: ignore[arg-type]
    else:
        probe = Template(packet, packet)
    probe.fragment_size = options.fragment_size
    probe.bad_checksum = options.bad_checksum
    _vary(probe, options)
    return probe


def _vary(probe: Template, options: Options) -> None:
    """Register what changes from packet to packet."""
    top = probe.top
    if options.protocol in ("tcp", "udp"):
        layer = top[TCP] if options.protocol == "tcp" else top[UDP]
        for name, spec in (("sport", options.sport), ("dport", options.dport)):
            varying = _port_values(spec, options.listening)
            if varying is not None:
                probe.vary(layer, name, *varying)
        if options.protocol == "tcp" and options.seq_increment:
            base = options.seq if options.seq is not None else random.getrandbits(32)
            probe.vary(layer, "seq", lambda index, replies: (base + index) % 2**32, None)
        elif options.protocol == "tcp" and options.seq is None:  # hping3: a new random seq each packet
            probe.vary(layer, "seq", *_random_table(lambda: random.getrandbits(32)))
        if options.protocol == "tcp" and options.ack is None:  # and a random ack (sent without -A too)
            probe.vary(layer, "ack", *_random_table(lambda: random.getrandbits(32)))
    elif options.protocol == "icmp":
        icmp = top[ICMP] if options.family == socket.AF_INET else top[ICMPv6]
        if isinstance(icmp, ICMP | ICMPv6EchoRequest):
            probe.vary(icmp, "seq", lambda index, replies: index % 65536, 65536)
    if options.data.period > 1:
        data, raw = options.data, top[Raw]
        probe.vary(raw, "load", lambda index, replies: data.chunk(index), data.period)
    for name, pattern in (("src", options.src_pattern), ("dst", options.dst_pattern)):
        if pattern is not None:
            probe.vary(probe.network, name, *_random_table(random_address(pattern)))
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
    if options.dst_pattern is not None:  # a new destination each packet: sendto, not connect
        raw = sock.socket

        def send_to(data: bytes) -> int:
            return raw.sendto(data, (socket.inet_ntoa(data[16:20]), 0))

        return sock, send_to
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
    """hping3's letters for the TCP flags set in ``value`` (SA, PA; X and Y for ECE and CWR)."""
    return "".join(letter for bit, letter in enumerate("FSRPAUXY") if value >> bit & 1)


# -- the runs ----------------------------------------------------------------------------------


@dataclass
class Run:
    """Counts of one run."""

    sent: int = 0
    #: Packets the kernel refused (a full queue or ring): counted, not sent again (the engine's).
    errors: int = 0
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
        self.errors += _transmit(send, pieces)
        self.sent += 1
        self.ended = time.perf_counter()
        if self.sent == 1:
            self.announce()


def _transmit(send: Callable[[bytes], int], pieces: list[bytes]) -> int:
    """Send the pieces of one packet; the number the kernel refused (a full queue) is returned."""
    refused = 0
    for data in pieces:
        try:
            send(data)
        except OSError as error:
            _refused(error, len(data))
            refused += 1
    return refused


def _refused(error: OSError, size: int) -> None:
    """rawnet's one policy for a failed send (sockets.send_error): a full queue drops the packet,
    as a wire would; too long for the MTU (only -y's packets are, the rest go as fragments) is a
    usage error naming -y and -f; the rest a SendError."""
    failure = send_error(error, size)
    if failure is None:
        return
    if isinstance(failure, PacketTooBigError):  # the options made it too long
        raise click.UsageError(
            f"a packet of {size} bytes is longer than the MTU: leave out -y/--dontfrag, or cut it "
            "with -f (16-byte fragments) or -m N"
        ) from None
    raise failure from None


def flood(send: Callable[[bytes], int], probe: Template, count: int, run: Run) -> None:
    """As fast as one core goes: the same bytes when nothing varies; else the first cycle of the
    varying values is built (one object, only the changed fields set) and kept, and replayed."""
    run.started = time.perf_counter()
    try:
        first = probe.wire(0)
        run.errors += _transmit(send, first)
        run.sent = 1
        run.announce()
        if probe.period is not None and probe.period <= RING:
            ring = [first]
            for index in range(1, probe.period if not count else min(count, probe.period)):
                pieces = probe.wire(index)
                run.errors += _transmit(send, pieces)
                ring.append(pieces)
                run.sent += 1
            if len(ring[0]) == 1:
                _replay(send, [pieces[0] for pieces in ring], count, run)
            else:
                _replay_fragments(send, ring, count, run)
        else:
            index = 1
            while not count or index < count:
                run.errors += _transmit(send, probe.wire(index))
                index += 1
                run.sent = index
    except KeyboardInterrupt:
        pass
    run.ended = time.perf_counter()


def engine_flood(options: Options, probe: Template, run: Run) -> Report | None:
    """--flood on the line-rate engine (rawnet.net.transmit): one cycle of the varying values built
    with the packet API, as flood() builds it, then replayed from contiguous buffers by sendmmsg or
    a TX_RING, paced by deadline with --rate, over --workers processes. None when the packets do
    not fit a stream (fragments, lengths that vary, values that never repeat): flood() sends them.
    """
    if probe.fragment_size is not None or probe.period is None or probe.period > RING:
        return None
    cycle_length = probe.period if not options.count else min(options.count, probe.period)
    frames = [probe.wire(index) for index in range(cycle_length)]
    if any(len(pieces) != 1 or len(pieces[0]) != len(frames[0][0]) for pieces in frames):
        return None
    from rawnet.net.transmit import transmit  # (numpy and the engine load only for a flood)
    from rawnet.stream import Stream

    stream = Stream.replay([pieces[0] for pieces in frames], layer2=options.interface is not None)

    announced = False

    def progress(counters: Counters) -> None:  # (the SEND line once packets are leaving, as flood()'s)
        nonlocal announced
        run.sent = counters.sent
        if run.sent and not announced:
            announced = True
            run.announce()

    run.started = time.perf_counter()
    with _stop_requests() as stop:
        report = transmit(
            stream,
            interface=options.interface,
            rate=options.rate,
            count=options.count or None,
            duration=options.duration,
            workers=options.workers,
            method=options.tx_method,
            qdisc_bypass=options.qdisc_bypass,
            progress=progress,
            stop=stop,
        )
        if report.interrupted:  # (a Ctrl-C the engine took itself, in its own handler)
            stop.set()
    run.sent, run.errors = report.sent, report.errors
    run.ended = run.started + report.seconds
    if run.sent and not announced:
        run.announce()
    return report


@contextlib.contextmanager
def _stop_requests() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event the engine watches (its workers end, its report comes
    back) instead of raising in the middle of it; once one came, both stay ignored, as the
    command's StopOnce leaves them, so a second Ctrl-C cannot cut the statistics short."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def request(number: int, frame: Any) -> None:
        stop.set()
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_IGN)

    previous = {number: signal.signal(number, request) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        if not stop.is_set():
            for number, handler in previous.items():
                signal.signal(number, handler)
        else:  # ignored from here to the exit, as StopOnce leaves them (Python's own handlers would
            # go back to SIG_DFL while the interpreter exits: a late Ctrl-C would kill it then)
            for number, handler in previous.items():
                signal.signal(number, signal.SIG_IGN)
                if isinstance(handler, StopOnce):  # (the command's: it has fired, in effect)
                    handler.fired = True


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
                run.errors += 1
            run.sent = sent
    finally:
        run.sent = sent


def _replay_fragments(send: Callable[[bytes], int], ring: list[list[bytes]], count: int, run: Run) -> None:
    packets: Iterator[list[bytes]] = cycle(ring)
    if count:
        packets = islice(packets, max(0, count - run.sent))
    for pieces in packets:
        run.errors += _transmit(send, pieces)
        run.sent += 1


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
