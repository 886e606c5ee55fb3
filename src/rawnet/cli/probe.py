"""rawnet ping, traceroute, arping and scan: probes sent and their replies matched, as the classic tools do.

Each run opens its receiving socket before the first probe leaves (so no fast reply is lost),
keeps its probes in flight in a table, and matches each reply to one of them with the library's
rules (sendrecv.answers: echo id and seq, TCP ports and sequence numbers, ICMP errors by the
datagram they quote). RTT is the reply's receive time minus the probe's send time. Nothing here
decides what a packet means beyond what the tool reports (alive, hop, open/closed/filtered).
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import random
import select
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import click

from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, PORTS, Output, PortSpec, RttStats, paced
from rawnet.errors import RawnetError
from rawnet.net.capture import attach_filter, compile_filter
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, next_hop, source_for
from rawnet.net.sendrecv import _listener, _quoted, _sender, _transmit, answers, answers_frame
from rawnet.net.sockets import RawSocket, Received
from rawnet.wire import (
    ARP,
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NS,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    Layer,
)

_COUNT, _TTL, _PORT = click.IntRange(min=0), click.IntRange(1, 255), click.IntRange(0, 65535)
_LINKTYPE_ETHERNET = 1
_SO_RCVBUFFORCE = 33  # (socket.SO_RCVBUFFORCE where Python defines it)
_TCP_SYN, _TCP_RST, _TCP_ACK = 0x02, 0x04, 0x10
_BROADCAST = "ff:ff:ff:ff:ff:ff"
_PORT_UNREACHABLE = ((4, 3, 3), (6, 1, 4))  # (IP version, ICMP type, code)
_TIME_EXCEEDED = ((4, 11), (6, 3))  # (IP version, ICMP type)

#: What ping and traceroute say about an ICMP error: (version, type, code) -> text and traceroute's mark.
_ICMP_ERRORS: dict[tuple[int, int, int], tuple[str, str]] = {
    (4, 3, 0): ("Destination Net Unreachable", "!N"),
    (4, 3, 1): ("Destination Host Unreachable", "!H"),
    (4, 3, 2): ("Destination Protocol Unreachable", "!P"),
    (4, 3, 3): ("Destination Port Unreachable", ""),
    (4, 3, 4): ("Frag needed and DF set", "!F"),
    (4, 3, 9): ("Destination Net Prohibited", "!X"),
    (4, 3, 10): ("Destination Host Prohibited", "!X"),
    (4, 3, 13): ("Packet filtered", "!X"),
    (4, 11, 0): ("Time to live exceeded", ""),
    (4, 11, 1): ("Frag reassembly time exceeded", ""),
    (6, 1, 0): ("Destination unreachable: No route", "!N"),
    (6, 1, 1): ("Destination unreachable: Administratively prohibited", "!X"),
    (6, 1, 3): ("Destination unreachable: Address unreachable", "!H"),
    (6, 1, 4): ("Destination unreachable: Port unreachable", ""),
    (6, 2, 0): ("Packet too big", "!F"),
    (6, 3, 0): ("Time exceeded: Hop limit", ""),
}


# -- the machinery every command shares ---------------------------------------------------------


class _Replies:
    """The receiving side of a run: a socket armed before the first probe, read without blocking."""

    def __init__(self, sock: RawSocket) -> None:
        self.sock = sock
        sock.setblocking(False)

    def wait(self, until: float) -> list[Received]:
        """What came in (our own outgoing packets left out), waiting until ``until`` (monotonic) at most."""
        readable, _, _ = select.select([self.sock.socket], [], [], max(0.0, until - time.monotonic()))
        got: list[Received] = []
        if readable:
            while True:
                try:
                    received = self.sock.recv()
                except BlockingIOError:
                    break
                if received.direction != "outgoing":
                    got.append(received)
        return got

    def close(self) -> None:
        self.sock.close()


@dataclass
class _Probe:
    """A probe in flight: its number (seq), packet, send time (time.time()) and deadline."""

    number: int
    packet: Layer
    sent: float
    deadline: float  # time.monotonic()


class _Sender:
    """Sends IP or IPv6 packets whose headers we wrote (sendrecv's senders); returns the send time."""

    def __init__(self, template: Layer) -> None:
        self.sock = _sender(_network(template), None)

    def send(self, packet: Layer) -> float:
        at = time.time()
        _transmit(self.sock, packet)
        return at

    def close(self) -> None:
        self.sock.close()


def _paced_exchange(
    count: int,
    interval: float,
    timeout: float,
    replies: _Replies,
    transmit: Callable[[int], tuple[Layer, float] | None],
    take: Callable[[Received, dict[int, _Probe]], None],
    late: Callable[[_Probe], None],
) -> None:
    """Probes 1, 2, ... ``count`` (0: until Ctrl-C), ``interval`` apart by deadline; replies as they come.

    ``transmit(number)`` sends probe ``number`` and returns it with its send time (None: it
    failed); ``take(received, pending)`` gets each packet with the probes still waiting, and
    removes the one it answers; a probe unanswered ``timeout`` after it left goes to ``late``.
    Returns when every probe is answered or late (Ctrl-C propagates).
    """
    pending: dict[int, _Probe] = {}
    started = time.monotonic()

    def receive(until: float) -> None:
        for got in replies.wait(until):
            take(got, pending)
        now = time.monotonic()
        for probe in [probe for probe in pending.values() if probe.deadline <= now]:
            del pending[probe.number]
            late(probe)

    number = 0
    while count == 0 or number < count:
        due = started + number * interval
        while time.monotonic() < due:
            receive(min([due, *(probe.deadline for probe in pending.values())]))
        number += 1
        sent = transmit(number)
        if sent is not None:
            pending[number] = _Probe(number, sent[0], sent[1], time.monotonic() + timeout)
        receive(0.0)
    while pending:
        receive(min(probe.deadline for probe in pending.values()))


def _match(
    reply: Layer, probes: dict[int, _Probe], rule: Callable[[Layer, Layer], str] = answers
) -> _Probe | None:
    """The first probe of ``probes`` that ``reply`` answers (by sendrecv's rules), or None."""
    for probe in probes.values():
        try:
            if not rule(reply, probe.packet):
                return probe
        except (RawnetError, IndexError, AttributeError):  # not an IP packet
            return None
    return None


def _network(packet: Layer) -> Any:
    return packet[IPv6] if IPv6 in packet else packet[IP]


def _ip(destination: str, source: str, ttl: int) -> Layer:
    """The network header of a probe: IPv4 (the kernel fills the id) or IPv6."""
    if ":" in destination:
        return IPv6(src=source, dst=destination, hlim=ttl)
    return IP(src=source, dst=destination, ttl=ttl, id=0)


def _source(destination: str) -> str:
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    return source_for(destination, family)


def _icmp_error(packet: Layer) -> tuple[int, int, int] | None:
    """(IP version, type, code) when ``packet`` is an ICMP or ICMPv6 error, else None."""
    if _quoted(packet) is None:
        return None
    if ICMP in packet:
        return 4, int(packet[ICMP].type), int(packet[ICMP].code)
    return 6, int(packet[ICMPv6].type), int(packet[ICMPv6].code)


def _describe(error: tuple[int, int, int]) -> str:
    known = _ICMP_ERRORS.get(error)
    return known[0] if known else f"ICMP{'v6' if error[0] == 6 else ''} type {error[1]} code {error[2]}"


def _payload_length(got: Received) -> int:
    """Bytes after the IP header (what ping reports as the reply's size)."""
    network = _network(got.packet)
    header = 40 if isinstance(network, IPv6) else int(network.ihl) * 4
    return max(0, got.length - header)


def _ms(seconds: float) -> str:
    """A time as ping prints it: three significant decimals below 1 ms, fewer above."""
    milliseconds = seconds * 1e3
    if milliseconds >= 100:
        return f"{milliseconds:.0f}"
    if milliseconds >= 10:
        return f"{milliseconds:.1f}"
    if milliseconds >= 1:
        return f"{milliseconds:.2f}"
    return f"{milliseconds:.3f}"


def _mdev(rtts: list[float]) -> float:
    if not rtts:
        return 0.0
    mean = sum(rtts) / len(rtts)
    return math.sqrt(max(0.0, sum(rtt * rtt for rtt in rtts) / len(rtts) - mean * mean))


def _family(destination: str, four: bool, six: bool) -> str:
    """The destination, checked against -4 / -6."""
    if "%" in destination:
        raise click.BadParameter(f"{destination!r}: scoped (link-local %zone) addresses are not supported")
    if four and six:
        raise click.UsageError("-4 and -6 exclude each other")
    version = ipaddress.ip_address(destination).version
    if six and version != 6:
        raise click.BadParameter(f"{destination} is not an IPv6 address (-6)", param_hint="DESTINATION")
    if four and version != 4:
        raise click.BadParameter(f"{destination} is not an IPv4 address (-4)", param_hint="DESTINATION")
    return destination


def _positive(value: float, name: str) -> float:
    if value <= 0:
        raise click.BadParameter(f"{value}: must be more than 0 seconds", param_hint=name)
    return value


def _first_port() -> int:
    """A source port for this run: the pid spread over 32768-61000 (the kernel's ephemeral range)."""
    return 32768 + (os.getpid() * 7919) % 28000


# -- ping -----------------------------------------------------------------------------------------


@dataclass
class _PingRun:
    destination: str
    mode: str
    port: int
    ttl: int
    payload: bytes
    ident: int = field(default_factory=lambda: os.getpid() & 0xFFFF)
    base_port: int = field(default_factory=_first_port)

    def probe(self, seq: int, source: str) -> Layer:
        network = _ip(self.destination, source, self.ttl)
        if self.mode == "tcp":
            sport = (self.base_port + seq) % 28000 + 32768
            segment = TCP(sport=sport, dport=self.port, flags="S", seq=random.getrandbits(32), window=1024)
            return network / segment / self.payload if self.payload else network / segment
        if self.mode == "udp":
            sport = (self.base_port + seq) % 28000 + 32768
            return network / UDP(sport=sport, dport=self.port) / self.payload
        echo = ICMPv6EchoRequest if isinstance(network, IPv6) else ICMP
        return network / echo(id=self.ident, seq=seq & 0xFFFF) / self.payload

    def alive(self, reply: Layer) -> bool:
        """Whether ``reply`` (which answers a probe) says the destination is alive."""
        if _network(reply).src != self.destination:
            return False
        error = _icmp_error(reply)
        if self.mode == "udp":
            return error is None or error in _PORT_UNREACHABLE
        return error is None

    def line(self, got: Received, seq: int, rtt: float, duplicate: bool) -> tuple[str, dict[str, Any]]:
        packet = got.packet
        network = _network(packet)
        size, source = _payload_length(got), str(network.src)
        ttl = int(network.hlim if isinstance(network, IPv6) else network.ttl)
        record: dict[str, Any] = {
            "type": "reply", "seq": seq, "from": source, "bytes": size, "ttl": ttl,
            "rtt_ms": round(rtt * 1e3, 3), "protocol": self.mode, "duplicate": duplicate,
        }  # fmt: skip
        if self.mode == "tcp":
            flags = str(packet[TCP].flags)
            record.update(port=self.port, flags=flags)
            middle = f"tcp_seq={seq} tcp_port={self.port} flags={flags}"
        elif self.mode == "udp":
            answer = "udp" if _icmp_error(packet) is None else "port-unreachable"
            record.update(port=self.port, answer=answer)
            middle = f"udp_seq={seq} udp_port={self.port} answer={answer}"
        else:
            middle = f"icmp_seq={seq}"
        text = f"{size} bytes from {source}: {middle} ttl={ttl} time={_ms(rtt)} ms"
        return text + (" (DUP!)" if duplicate else ""), record


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "--icmp", "mode", flag_value="icmp", default=True, help="ICMP echo (ICMPv6 echo for IPv6) [default]"
)
@click.option("--tcp", "mode", flag_value="tcp", help="TCP SYN to -p PORT: a SYN-ACK or RST means alive")
@click.option(
    "--udp", "mode", flag_value="udp", help="UDP to -p PORT: port unreachable (or a reply) means alive"
)
@click.option("-p", "--port", type=_PORT, metavar="PORT", help="destination port (--tcp 80, --udp 33434)")
@click.option(
    "-c",
    "--count",
    type=_COUNT,
    metavar="N",
    default=4,
    show_default=True,
    help="probes to send (0: until Ctrl-C)",
)
@click.option(
    "-i",
    "--interval",
    type=INTERVAL,
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="time between probes",
)
@click.option(
    "-W",
    "--timeout",
    type=INTERVAL,
    metavar="SECONDS",
    default=2.0,
    show_default=True,
    help="how long to wait for each reply",
)
@click.option(
    "-s", "--size", type=click.IntRange(0, 65000), metavar="BYTES", help="payload bytes (ICMP 56, TCP/UDP 0)"
)
@click.option(
    "-t", "--ttl", type=_TTL, metavar="TTL", default=64, show_default=True, help="IP TTL / IPv6 hop limit"
)
@click.option("-4", "four", is_flag=True, help="the destination must be IPv4")
@click.option("-6", "six", is_flag=True, help="the destination must be IPv6")
@click.option("-q", "--quiet", is_flag=True, help="only the first and the statistics lines")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
def ping(
    destination: str, mode: str, port: int | None, count: int, interval: float, timeout: float,
    size: int | None, ttl: int, four: bool, six: bool, quiet: bool, as_json: bool,
) -> int:  # fmt: skip
    """Send echo requests (or TCP SYNs, or UDP datagrams) and report the replies, as ping does.

    Each probe of a run carries the same identifier (the process id) and a sequence number
    rising from 1; a reply is matched to its own probe (echo id and seq, TCP ports and
    sequence numbers, or the datagram an ICMP error quotes), and its RTT is the reply's arrival
    time minus the probe's send time. A reply that comes after -W counts as lost. ICMP errors
    about a probe (host unreachable, ...) are shown as ping shows them and counted as errors.
    --tcp counts a SYN-ACK or a RST from the destination as alive (the kernel then resets the
    half-open connection); --udp counts an ICMP port unreachable or a UDP reply. Ctrl-C stops
    and prints the statistics. --json writes one object per event: "reply" (seq, from, bytes,
    ttl, rtt_ms; flags for --tcp, answer for --udp), "error" (an ICMP error about a probe),
    "timeout" (a probe unanswered within -W), and a last "statistics" (sent, received, loss,
    errors, rtt_*_ms). Exit 0 when any reply came, 1 when none did.

    \b
    rawnet ping 198.18.1.2                       # 4 ICMP echoes, one a second
    rawnet ping 2001:db8:1::2 -c 2 -i 0.2        # ICMPv6 echo
    rawnet ping 198.18.1.2 --tcp -p 22 -c 3      # TCP SYN ping
    rawnet ping 198.18.1.2 --udp -c 1 -W 500ms   # UDP to port 33434
    rawnet ping 198.18.1.2 -c 0 -q               # until Ctrl-C, statistics only
    rawnet ping 198.18.1.2 -c 3 --json           # JSON lines
    """
    destination = _family(destination, four, six)
    _positive(timeout, "-W/--timeout")
    if port is not None and mode == "icmp":
        raise click.UsageError("-p PORT goes with --tcp or --udp")
    port = port if port is not None else (80 if mode == "tcp" else 33434)
    size = size if size is not None else (56 if mode == "icmp" else 0)
    run = _PingRun(destination, mode, port, ttl, bytes(index & 0xFF for index in range(size)))
    out = Output(as_json)
    source = _source(destination)
    first = run.probe(1, source)
    replies = _Replies(_listener([first], None))  # armed before anything leaves
    try:
        sender = _Sender(first)
    except BaseException:
        replies.close()
        raise
    header = 40 if ":" in destination else 20
    transport = {"tcp": 20, "udp": 8}.get(mode, 8)
    what = {"tcp": f" TCP SYN to port {port},", "udp": f" UDP to port {port},"}.get(mode, "")
    out.line(f"PING {destination} ({destination}):{what} {size}({size + header + transport}) bytes of data.")
    stats = RttStats()
    errors, duplicates = 0, 0
    done: dict[int, _Probe] = {}  # answered probes, for duplicates
    started = time.monotonic()

    def transmit(number: int) -> tuple[Layer, float] | None:
        nonlocal errors
        packet = first if number == 1 else run.probe(number, source)
        stats.sent += 1
        try:
            return packet, sender.send(packet)
        except PermissionError:
            raise
        except OSError as error:  # (as ping: counted as an error, and the run goes on)
            errors += 1
            out.note(f"rawnet ping: probe {number}: {error.strerror or error}")
            return None

    def take(got: Received, pending: dict[int, _Probe]) -> None:
        nonlocal errors, duplicates
        probe, duplicate = _match(got.packet, pending), False
        if probe is None:
            probe, duplicate = _match(got.packet, done), True
        if probe is None:
            return
        if not duplicate:
            del pending[probe.number]
            done[probe.number] = probe
            if len(done) > 128:
                del done[next(iter(done))]
        if run.alive(got.packet):
            rtt = max(0.0, got.timestamp - probe.sent)
            if duplicate:
                duplicates += 1
            else:
                stats.add(rtt)
            text, record = run.line(got, probe.number, rtt, duplicate)
            if not quiet or as_json:
                out.line(text, record)
        elif not duplicate:
            errors += 1
            error = _icmp_error(got.packet)
            where = str(_network(got.packet).src)
            description = _describe(error) if error else "unexpected reply"
            if not quiet or as_json:
                out.line(
                    f"From {where} icmp_seq={probe.number} {description}",
                    {"type": "error", "seq": probe.number, "from": where, "message": description},
                )

    def late(probe: _Probe) -> None:
        if as_json:
            out.line("", {"type": "timeout", "seq": probe.number})

    try:
        _paced_exchange(count, interval, timeout, replies, transmit, take, late)
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
        replies.close()
    elapsed = time.monotonic() - started
    record = stats.record()
    record.update(
        target=destination, errors=errors, duplicates=duplicates,
        rtt_mdev_ms=round(_mdev(stats.rtts) * 1e3, 3) if stats.rtts else None, time_ms=round(elapsed * 1e3),
    )  # fmt: skip
    extra = (f", +{duplicates} duplicates" if duplicates else "") + (f", +{errors} errors" if errors else "")
    loss = f"{100 * stats.loss:g}%"
    out.line("")
    out.line(f"--- {destination} ping statistics ---")
    out.line(
        f"{stats.sent} packets transmitted, {stats.received} received{extra}, "
        f"{loss} packet loss, time {elapsed * 1e3:.0f}ms",
        record,
    )
    if stats.rtts:
        low, high = min(stats.rtts) * 1e3, max(stats.rtts) * 1e3
        average, deviation = sum(stats.rtts) / len(stats.rtts) * 1e3, _mdev(stats.rtts) * 1e3
        out.line(f"rtt min/avg/max/mdev = {low:.3f}/{average:.3f}/{high:.3f}/{deviation:.3f} ms")
    return OK if stats.received else NO_REPLY


# -- traceroute -----------------------------------------------------------------------------------


def _hop_answer(reply: Layer, destination: str) -> tuple[str, str]:
    """What a reply to a traceroute probe is ("time-exceeded", "port-unreachable", "SA", ...) and its mark."""
    error = _icmp_error(reply)
    if error is not None:
        if error[:2] in _TIME_EXCEEDED:
            return "time-exceeded", ""
        if error in _PORT_UNREACHABLE:
            return "port-unreachable", "" if str(_network(reply).src) == destination else "!P"
        known = _ICMP_ERRORS.get(error)
        return _describe(error), known[1] if known else f"!<{error[2]}>"
    if TCP in reply:
        return str(reply[TCP].flags), ""
    return "echo-reply" if ICMP in reply or ICMPv6EchoReply in reply else "reply", ""


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "-U", "--udp", "method", flag_value="udp", default=True, help="UDP to port 33434 and up [default]"
)
@click.option("-I", "--icmp", "method", flag_value="icmp", help="ICMP echo (ICMPv6 echo for IPv6)")
@click.option("-T", "--tcp", "method", flag_value="tcp", help="TCP SYN to -p PORT (80)")
@click.option(
    "-p", "--port", type=_PORT, metavar="PORT", help="UDP: the first port (33434); TCP: the port (80)"
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
    "-f", "--first-ttl", type=_TTL, metavar="TTL", default=1, show_default=True, help="the TTL to start with"
)
@click.option(
    "-m", "--max-ttl", type=_TTL, metavar="TTL", default=30, show_default=True, help="the TTL to give up at"
)
@click.option(
    "-w",
    "--wait",
    type=INTERVAL,
    metavar="SECONDS",
    default=2.0,
    show_default=True,
    help="how long to wait for a hop's answers",
)
@click.option("-n", "numeric", is_flag=True, help="numeric addresses (always so: accepted for habit)")
@click.option("-4", "four", is_flag=True, help="the destination must be IPv4")
@click.option("-6", "six", is_flag=True, help="the destination must be IPv6")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per hop, then a summary")
def traceroute(
    destination: str, method: str, port: int | None, queries: int, first_ttl: int, max_ttl: int,
    wait: float, numeric: bool, four: bool, six: bool, as_json: bool,
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
    """
    destination = _family(destination, four, six)
    _positive(wait, "-w/--wait")
    if first_ttl > max_ttl:
        raise click.BadParameter(f"first TTL {first_ttl} is beyond the max TTL {max_ttl}", param_hint="-f")
    if port is not None and method == "icmp":
        raise click.UsageError("-p PORT goes with -U/--udp or -T/--tcp")
    port = port if port is not None else (80 if method == "tcp" else 33434)
    ident, base = os.getpid() & 0xFFFF, _first_port()
    payload = b"" if method == "tcp" else bytes(32)
    source = _source(destination)

    def probe(ttl: int, index: int) -> Layer:
        number = (ttl - 1) * queries + index
        network = _ip(destination, source, ttl)
        if method == "udp":
            return network / UDP(sport=base, dport=(port + number) % 65536) / payload
        if method == "tcp":
            sport = (base + number) % 28000 + 32768
            return network / TCP(sport=sport, dport=port, flags="S", seq=random.getrandbits(32), window=1024)
        echo = ICMPv6EchoRequest if ":" in destination else ICMP
        return network / echo(id=ident, seq=(number + 1) & 0xFFFF) / payload

    out = Output(as_json)
    first = probe(first_ttl, 0)
    replies = _Replies(_listener([first], None))
    try:
        sender = _Sender(first)
    except BaseException:
        replies.close()
        raise
    out.line(
        f"traceroute to {destination} ({destination}), {max_ttl} hops max, {len(bytes(first))} byte packets"
    )
    reached, hops = False, 0
    sent = received = 0
    try:
        for ttl in range(first_ttl, max_ttl + 1):
            hops += 1
            pending = {index: _Probe(index, probe(ttl, index), 0.0, 0.0) for index in range(queries)}
            results: dict[int, tuple[Received, float]] = {}
            for flying in pending.values():
                flying.sent = sender.send(flying.packet)
                flying.deadline = time.monotonic() + wait
                sent += 1
            deadline = time.monotonic() + wait
            while pending and time.monotonic() < deadline:
                for got in replies.wait(deadline):
                    answered = _match(got.packet, pending)
                    if answered is not None:
                        del pending[answered.number]
                        results[answered.number] = (got, max(0.0, got.timestamp - answered.sent))
            received += len(results)
            line, last, stop = f"{ttl:2d} ", "", False
            probes: list[dict[str, Any]] = []
            for index in range(queries):
                if index not in results:
                    line += " *"
                    probes.append({"from": None, "rtt_ms": None})
                    continue
                got, rtt = results[index]
                where = str(_network(got.packet).src)
                answer, mark = _hop_answer(got.packet, destination)
                reached = reached or where == destination
                stop = stop or bool(mark) or where == destination
                if where != last:
                    line += f" {where}"
                    last = where
                line += f"  {rtt * 1e3:.3f} ms" + (f" {mark}" if mark else "")
                probes.append({"from": where, "rtt_ms": round(rtt * 1e3, 3), "answer": answer, "mark": mark})
            out.line(line, {"type": "hop", "ttl": ttl, "probes": probes, "reached": reached})
            if stop:
                break
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
        replies.close()
    if as_json:
        summary = {"type": "statistics", "destination": destination, "reached": reached, "hops": hops}
        out.line("", {**summary, "sent": sent, "received": received})
    return OK if reached else NO_REPLY


# -- arping ---------------------------------------------------------------------------------------


def _solicitation(target: str, source: str, mac: str) -> Layer:
    """A neighbour solicitation for ``target``, to its solicited-node group (RFC 4291 2.7.1, RFC 2464 7)."""
    low = socket.inet_pton(socket.AF_INET6, target)[-3:]
    group = socket.inet_ntop(socket.AF_INET6, bytes.fromhex("ff0200000000000000000001ff") + low)
    return (
        Ether(src=mac, dst="33:33:ff:" + low.hex(":"))
        / IPv6(src=source, dst=group, hlim=255)
        / ICMPv6ND_NS(tgt=target)
        / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    )


@click.command()
@click.argument("address", metavar="ADDRESS", type=ADDRESS)
@click.option("-I", "--interface", metavar="IFACE", help="the interface to ask on (default: the route's)")
@click.option(
    "-c",
    "--count",
    type=_COUNT,
    metavar="N",
    default=4,
    show_default=True,
    help="requests to send (0: until Ctrl-C)",
)
@click.option(
    "-i",
    "--interval",
    type=INTERVAL,
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="time between requests",
)
@click.option(
    "-w",
    "--timeout",
    type=INTERVAL,
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="how long to wait for each reply",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
def arping(
    address: str, interface: str | None, count: int, interval: float, timeout: float, as_json: bool
) -> int:
    """Ask who has ADDRESS on a link (ARP who-has; IPv6: a neighbour solicitation), as arping does.

    An IPv4 ADDRESS gets an ARP request to the broadcast address, an IPv6 one a neighbour
    solicitation to its solicited-node multicast group; each reply (ARP reply, neighbour
    advertisement for ADDRESS) is shown with the MAC that answered and the time since the
    request. Every request is a broadcast (iputils' -b). The interface is -I's, or the one
    the kernel's route for ADDRESS goes out of. --json writes a "reply" object per answer
    (seq, from, mac, unicast, rtt_ms), a "timeout" per unanswered request, and a last
    "statistics". Exit 0 when any reply came, 1 when none did.

    \b
    rawnet arping 198.18.1.2 -I veth0            # 4 requests, one a second
    rawnet arping 198.18.1.2 -c 1 -w 500ms       # the route picks the interface
    rawnet arping 2001:db8:1::2 -I veth0 -c 2    # neighbour solicitation
    rawnet arping 198.18.1.2 -c 2 --json         # JSON lines
    """
    _family(address, False, False)
    _positive(timeout, "-w/--timeout")
    interface = interface or next_hop(address).interface
    if is_loopback(interface):
        raise click.BadParameter(f"{interface} is a loopback: it has no link to ask on", param_hint="-I")
    mac = interface_mac(interface)
    six = ":" in address
    if six:
        source = source_for(address, socket.AF_INET6)
        request, expression = _solicitation(address, source, mac), "icmp6"
    else:
        source = interface_ipv4(interface)
        request = Ether(src=mac, dst=_BROADCAST) / ARP(op=1, hwsrc=mac, psrc=source, pdst=address)
        expression = "arp"
    sock = RawSocket.l2(interface)
    try:
        attach_filter(sock.socket, compile_filter(expression, _LINKTYPE_ETHERNET))
    except BaseException:
        sock.close()
        raise
    replies = _Replies(sock)
    out = Output(as_json)
    out.line(f"{'NDPING' if six else 'ARPING'} {address} from {source} {interface}")
    stats = RttStats()

    def transmit(number: int) -> tuple[Layer, float]:
        stats.sent += 1
        at = time.time()
        sock.send(request)
        return request, at

    def take(got: Received, pending: dict[int, _Probe]) -> None:
        answered = _match(got.packet, pending, answers_frame)  # (the oldest request waiting)
        if answered is None:
            return
        del pending[answered.number]
        rtt = max(0.0, got.timestamp - answered.sent)
        stats.add(rtt)
        who = str(got.packet[Ether].src) if six else str(got.packet[ARP].hwsrc)
        kind = "Unicast" if got.direction == "host" else "Broadcast"
        out.line(
            f"{kind} reply from {address} [{who.upper()}]  {rtt * 1e3:.3f}ms",
            {"type": "reply", "seq": answered.number, "from": address, "mac": who.lower(),
             "unicast": kind == "Unicast", "rtt_ms": round(rtt * 1e3, 3)},
        )  # fmt: skip

    def late(probe: _Probe) -> None:
        if as_json:
            out.line("", {"type": "timeout", "seq": probe.number})

    try:
        _paced_exchange(count, interval, timeout, replies, transmit, take, late)
    except KeyboardInterrupt:
        pass
    finally:
        replies.close()
    record = stats.record()
    record.update(target=address, interface=interface)
    out.line(f"Sent {stats.sent} probes ({stats.sent} {'multicast' if six else 'broadcast'}(s))")
    out.line(f"Received {stats.received} response(s)", record)
    return OK if stats.received else NO_REPLY


# -- scan -----------------------------------------------------------------------------------------

#: nmap's reading of ICMP unreachable codes: these make a port filtered (IPv6: every code).
_FILTERING_CODES = {1, 2, 3, 9, 10, 13}
#: How nmap collapses a state shared by many ports into one "Not shown" line.
_COLLAPSE_OVER = 25


@dataclass
class _PortResult:
    port: int
    state: str
    reason: str
    ttl: int | None = None
    rtt: float | None = None


def _port_of(reply: Layer, method: str) -> int | None:
    """The port a reply is about: a TCP/UDP answer's source port, an ICMP error's quoted dport."""
    quoted = _quoted(reply)
    layer: Any = TCP if method == "syn" else UDP
    try:
        if quoted is not None:
            return int(quoted[layer].dport) if layer in quoted else None
        return int(reply[layer].sport) if layer in reply else None
    except (RawnetError, IndexError, AttributeError):
        return None


def _port_state(reply: Layer, method: str) -> tuple[str, str] | None:
    """(state, nmap's reason) for a reply that answers a probe, or None when it settles nothing."""
    error = _icmp_error(reply)
    if error is not None:
        version, kind, code = error
        if version == 4 and kind == 3:
            if method == "udp" and error in _PORT_UNREACHABLE:
                return "closed", "port-unreach"
            if code in _FILTERING_CODES or (method == "udp" and code == 0):
                return "filtered", _describe(error).lower().replace(" ", "-")
        if version == 6 and kind == 1:
            if method == "udp" and error in _PORT_UNREACHABLE:
                return "closed", "port-unreach"
            return "filtered", _describe(error).split(": ")[-1].lower().replace(" ", "-")
        return None
    if method == "udp":
        return "open", "udp-response"
    flags = int(reply[TCP].flags)
    if flags & _TCP_SYN and flags & _TCP_ACK:
        return "open", "syn-ack"
    if flags & _TCP_RST:
        return "closed", "reset"
    return None


def _service(port: int, protocol: str) -> str:
    try:
        return socket.getservbyport(port, protocol)
    except OSError:
        return "unknown"


def _ports_option(spec: PortSpec) -> list[int]:
    if spec.step:
        raise click.BadParameter("scan takes ports as 80, 20-25 or 22,80,443 (no + or ++)", param_hint="-p")
    return sorted(set(spec.ports))


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "-p",
    "--ports",
    "port_spec",
    type=PORTS,
    default="1-1024",
    show_default=True,
    help="ports: 80, 20-25, 22,80,443",
)
@click.option(
    "-sS", "--syn", "method", flag_value="syn", default=True, help="TCP SYN scan (nmap -sS) [default]"
)
@click.option("-sU", "--udp", "method", flag_value="udp", help="UDP scan (nmap -sU)")
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    metavar="N",
    default=1,
    show_default=True,
    help="resend unanswered probes this many times",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    metavar="PPS",
    help="at most this many probes a second",
)
@click.option(
    "-w",
    "--timeout",
    type=INTERVAL,
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="wait for answers after each round",
)
@click.option("--open", "only_open", is_flag=True, help="show only open (and open|filtered) ports")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per port, then the statistics")
def scan(
    destination: str, port_spec: PortSpec, method: str, retries: int, rate: float | None,
    timeout: float, only_open: bool, as_json: bool,
) -> int:  # fmt: skip
    """Find which ports of a host are open, closed or filtered (TCP SYN or UDP scan), as nmap does.

    --syn (nmap -sS) sends a SYN to each port: a SYN-ACK means open (the kernel then resets
    the half-open connection), a RST closed, and an ICMP unreachable (type 3 codes 1, 2, 3,
    9, 10, 13; any ICMPv6 unreachable) or nothing at all filtered. --udp (nmap -sU) sends an
    empty datagram: a UDP reply means open, an ICMP port unreachable closed, another ICMP
    unreachable filtered, and nothing open|filtered (a listening service that stays silent
    looks the same as a firewall). Probes still unanswered after -w are sent again --retries
    times. Linux hosts send at most 6 ICMP errors at once and then one a second
    (net.ipv4.icmp_ratelimit), so a UDP scan of many closed ports of a Linux host needs
    --retries and time, or shows them open|filtered. As nmap, a state held by more than 25
    ports is summed up in a "Not shown" line. --json writes a "port" object per port (port,
    protocol, state, service, reason as nmap's --reason, ttl, rtt_ms) and a last "statistics"
    (host_up, the count of each state, sent, received, seconds). Exit 0 when the scan is
    done, 1 when the host answered no probe at all (down, or everything dropped).

    \b
    rawnet scan 198.18.1.2 -p 1-1024             # SYN scan
    rawnet scan 198.18.1.2 -p 22,80,443 --open   # only open ports
    rawnet scan 198.18.1.2 -sU -p 53,123,161     # UDP scan
    rawnet scan 2001:db8:1::2 -p 1-100 --rate 500 --retries 2
    rawnet scan 198.18.1.2 -p 80 --json          # JSON lines
    """
    _family(destination, False, False)
    _positive(timeout, "-w/--timeout")
    ports = _ports_option(port_spec)
    protocol = "tcp" if method == "syn" else "udp"
    source = _source(destination)
    base = _first_port()

    def probe(port: int) -> Layer:
        network = _ip(destination, source, 64)
        if method == "syn":
            return network / TCP(sport=base, dport=port, flags="S", seq=random.getrandbits(32), window=1024)
        return network / UDP(sport=base, dport=port)

    probes = {port: probe(port) for port in ports}
    listener = _listener([probes[ports[0]]], None)
    with contextlib.suppress(OSError):  # room for a burst of answers
        listener.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, 8 << 20)
    replies = _Replies(listener)
    try:
        sender = _Sender(probes[ports[0]])
    except BaseException:
        replies.close()
        raise
    out = Output(as_json)
    kind = "SYN" if method == "syn" else "UDP"
    out.line(f"Starting rawnet scan of {destination}: {len(ports)} {protocol} port(s), {kind} scan")
    results: dict[int, _PortResult] = {}
    sent_at: dict[int, float] = {}
    sent = received = 0
    host_answered = False
    started = time.monotonic()
    interrupted = False

    def take(got: Received) -> None:
        nonlocal received, host_answered
        port = _port_of(got.packet, method)
        if port is None or port not in probes or port in results:
            return
        try:
            if answers(got.packet, probes[port]):
                return
        except (RawnetError, IndexError, AttributeError):
            return
        settled = _port_state(got.packet, method)
        if settled is None:
            return
        received += 1
        network = _network(got.packet)
        host_answered = host_answered or str(network.src) == destination
        ttl = int(network.hlim if isinstance(network, IPv6) else network.ttl)
        rtt = max(0.0, got.timestamp - sent_at[port])
        results[port] = _PortResult(port, settled[0], settled[1], ttl, rtt)

    try:
        with _live(out) as show:
            for attempt in range(retries + 1):
                todo = [port for port in ports if port not in results]
                if not todo:
                    break
                for index in paced(len(todo), 1 / rate if rate else 0.0):
                    port = todo[index]
                    sent_at[port] = sender.send(probes[port])
                    sent += 1
                    for got in replies.wait(0):
                        take(got)
                    if index % 64 == 0:
                        show(f"round {attempt + 1}: {sent} sent, {len(results)}/{len(ports)} ports settled")
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and len(results) < len(ports):
                    for got in replies.wait(deadline):
                        take(got)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        sender.close()
        replies.close()
    silent = ("filtered", "no-response") if method == "syn" else ("open|filtered", "no-response")
    for port in sent_at:
        results.setdefault(port, _PortResult(port, *silent))
    elapsed = time.monotonic() - started
    _report(out, destination, protocol, [results[port] for port in ports if port in results], only_open)
    counts = {state: 0 for state in ("open", "closed", "filtered", "open|filtered")}
    for result in results.values():
        counts[result.state] += 1
    if not host_answered:
        out.line("Note: Host seems down: it answered no probe.")
    out.line(
        f"\nrawnet done: 1 IP address ({int(host_answered)} host up) scanned in {elapsed:.2f} seconds"
        + (" (interrupted)" if interrupted else ""),
        {"type": "statistics", "host": destination, "host_up": host_answered, "protocol": protocol,
         "ports": len(results), **counts, "sent": sent, "received": received,
         "seconds": round(elapsed, 3), "interrupted": interrupted},
    )  # fmt: skip
    return OK if host_answered else NO_REPLY


@contextlib.contextmanager
def _live(out: Output) -> Iterator[Callable[[str], None]]:
    """A live status line on stderr (rich), only when it is a terminal; else a function doing nothing."""
    if not out.live:
        yield lambda text: None
        return
    with out.console.status("") as status:
        yield lambda text: status.update(text)


def _port_record(result: _PortResult, protocol: str) -> dict[str, Any]:
    return {
        "type": "port", "port": result.port, "protocol": protocol, "state": result.state,
        "service": _service(result.port, protocol), "reason": result.reason, "ttl": result.ttl,
        "rtt_ms": None if result.rtt is None else round(result.rtt * 1e3, 3),
    }  # fmt: skip


def _report(
    out: Output, destination: str, protocol: str, results: list[_PortResult], only_open: bool
) -> None:
    """nmap's table: the shown ports, a state held by many ports summed up in "Not shown" lines.

    With --json, one object per port (every port, or the open ones with --open).
    """
    wanted = ("open", "open|filtered")
    if out.json:
        for result in results:
            if not only_open or result.state in wanted:
                out.line("", _port_record(result, protocol))
        return
    by_state: dict[str, list[_PortResult]] = {}
    for result in results:
        by_state.setdefault(result.state, []).append(result)
    hidden = {
        state
        for state, members in by_state.items()
        if (only_open and state not in wanted) or (state != "open" and len(members) > _COLLAPSE_OVER)
    }
    shown = [result for result in results if result.state not in hidden]
    latencies = [result.rtt for result in results if result.rtt is not None]
    out.line(f"rawnet scan report for {destination}")
    if latencies:
        out.line(f"Host is up ({min(latencies):.5f}s latency).")
    for state in sorted(hidden):
        reasons = ", ".join(sorted({result.reason for result in by_state[state]}))
        out.line(f"Not shown: {len(by_state[state])} {state} {protocol} ports ({reasons})")
    if not shown:
        return
    names = [f"{result.port}/{protocol}" for result in shown]
    port_width = max(len("PORT"), *map(len, names)) + 1
    state_width = max(len("STATE"), *(len(result.state) for result in shown)) + 1
    out.line(f"{'PORT':<{port_width}}{'STATE':<{state_width}}SERVICE")
    for name, result in zip(names, shown, strict=True):
        out.line(f"{name:<{port_width}}{result.state:<{state_width}}{_service(result.port, protocol)}")
