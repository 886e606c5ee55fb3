"""rawnet ping: echo requests (or TCP SYNs, or UDP datagrams) and their replies, as ping reports them.

Builds the probes and the lines; sending, receiving and matching are probe.py's.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import ipaddress
import math
import os
import string
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import click
from click.core import ParameterSource

from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, Output, RttStats, one_mode
from rawnet.cli.probe import (
    PORT,
    PORT_UNREACHABLE,
    TTL,
    check_family,
    count_option,
    describe,
    echo_request,
    family_options,
    first_port,
    hop_limit,
    icmp_error,
    ip_header,
    network,
    nth_port,
    positive,
    probe_source,
    report_timeouts,
    seconds_option,
    syn,
)
from rawnet.errors import InputError, RawnetError, SendError
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer3_link
from rawnet.net.matching import answers
from rawnet.net.routes import next_hop, path_mtu
from rawnet.wire import ICMP, IP, TCP, UDP, ICMPv6EchoReply, IPv6, Layer


@dataclass
class _PingRun:
    destination: str
    mode: str
    port: int
    ttl: int
    payload: bytes
    #: -b: the destination may be a broadcast address, so replies come from other addresses.
    broadcast: bool = False
    #: -Q: the IPv4 TOS byte / the IPv6 traffic class.
    tos: int = 0
    #: -M do, or -M want with probes that fit the MTU: IPv4's Don't Fragment flag.
    dont_fragment: bool = False
    ident: int = field(default_factory=lambda: os.getpid() & 0xFFFF)
    base_port: int = field(default_factory=first_port)

    def probe(self, seq: int, source: str) -> Layer:
        header = ip_header(self.destination, source, self.ttl)
        fields: Any = header
        if isinstance(header, IPv6):
            fields.tc = self.tos
        else:
            fields.tos = self.tos
            fields.flags = _DF if self.dont_fragment else 0
        if self.mode == "tcp":
            segment = syn(nth_port(self.base_port, seq), self.port)
            return header / segment / self.payload if self.payload else header / segment
        if self.mode == "udp":
            return header / UDP(sport=nth_port(self.base_port, seq), dport=self.port) / self.payload
        return header / echo_request(header, self.ident, seq) / self.payload

    def alive(self, reply: Layer) -> bool:
        """Whether ``reply`` (which answers a probe) says the destination is alive."""
        header = reply if isinstance(reply, _NETWORK) else network(reply)
        if not self.broadcast and header.src != self.destination:
            return False
        upper = header.payload
        if isinstance(upper, ICMPv6EchoReply) or (isinstance(upper, ICMP) and upper.type == 0):
            return (
                self.mode == "icmp"
            )  # (an echo reply, no error: a flood's thousands, told without a search)
        error = icmp_error(reply)
        if self.mode == "udp":
            return error is None or error in PORT_UNREACHABLE
        return error is None

    def line(self, packet: Layer, seq: int, rtt: float, duplicate: bool) -> tuple[str, dict[str, Any]]:
        header = network(packet)
        size, source, ttl = _payload_length(packet), str(header.src), hop_limit(header)
        record: dict[str, Any] = {
            "type": "reply", "seq": seq, "from": source, "bytes": size, "ttl": ttl,
            "rtt_ms": round(rtt * 1e3, 3), "protocol": self.mode, "duplicate": duplicate,
        }  # fmt: skip
        if self.mode == "tcp":
            flags = str(packet[TCP].flags)
            record.update(port=self.port, flags=flags)
            middle = f"tcp_seq={seq} tcp_port={self.port} flags={flags}"
        elif self.mode == "udp":
            answer = "udp" if icmp_error(packet) is None else "port-unreachable"
            record.update(port=self.port, answer=answer)
            middle = f"udp_seq={seq} udp_port={self.port} answer={answer}"
        else:
            middle = f"icmp_seq={seq}"
        text = f"{size} bytes from {source}: {middle} ttl={ttl} time={_ms(rtt)} ms"
        return text + (" (DUP!)" if duplicate else ""), record


#: IPv4's Don't Fragment flag.
_DF = 2
#: The network layers a reply may begin with.
_NETWORK = (IP, IPv6)


def _payload_length(packet: Layer) -> int:
    """Bytes after the IP header (what ping reports as the reply's size)."""
    header = network(packet)
    length = 40 if isinstance(header, IPv6) else int(header.ihl) * 4
    return max(0, (packet.wirelen or len(packet)) - length)


class _EchoWire:
    """A run's ICMP (or ICMPv6) echo requests as bytes, each made from one built probe by patching
    in its seq and checksum (RFC 1624: the checksum of seq 0's words plus the seq), with no Layer
    built per probe; the same bytes as building _PingRun.probe(seq) (the tests compare them)."""

    def __init__(self, template: bytes) -> None:
        """``template``: the probe of seq 0, as built (IPv4 or IPv6, then the echo header)."""
        start = (template[0] & 0x0F) * 4 if template[0] >> 4 == 4 else _IPV6_HEADER
        self.head = template[: start + _ECHO_CHECKSUM]  # the IP header, the echo's type and code
        self.ident = int.from_bytes(template[start + _ECHO_ID : start + _ECHO_SEQ], "big")
        self.tail = template[start + _ECHO_HEADER :]  # the payload
        checksum = int.from_bytes(template[start + _ECHO_CHECKSUM : start + _ECHO_ID], "big")
        #: seq 0's words' one's complement sum (0xFFFF for its "negative zero", checksum 0).
        self.base = 0xFFFF - checksum

    def __call__(self, seq: int) -> bytes:
        """The probe of ``seq`` (taken modulo 2**16, as the echo's field)."""
        seq &= 0xFFFF
        total = (self.base + seq) % 0xFFFF  # (never 0 as a plain sum: the type is not 0)
        return self.head + _CHECKSUM_ID_SEQ(0xFFFF - total if total else 0, self.ident, seq) + self.tail


#: An echo header's fields: checksum, identifier and seq offsets, and its length; an IPv6 header's.
_ECHO_CHECKSUM, _ECHO_ID, _ECHO_SEQ, _ECHO_HEADER, _IPV6_HEADER = 2, 4, 6, 8, 40
_CHECKSUM_ID_SEQ = struct.Struct("!HHH").pack


#: iputils ping's words for a send refused for want of SO_BROADCAST (EACCES): -b sets it.
_ASK_BROADCAST = "Do you want to ping broadcast? Then -b. If not, check your local firewall rules"


def _is_broadcast(destination: str, interface: str | None) -> bool:
    """Whether the kernel's route for ``destination`` says it is a broadcast address."""
    try:
        return next_hop(destination, interface=interface).broadcast
    except RawnetError:
        return False  # (no route: the send says so)


def _interface_or_source(through: str | None) -> tuple[str | None, str | None]:
    """ping -I's argument: (an interface, None) or (None, a source address)."""
    if through is None:
        return None, None
    try:
        return None, str(ipaddress.ip_address(through))
    except ValueError:
        return through, None


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


def _pattern(text: str | None) -> bytes:
    """-p's hex pattern as iputils reads it: up to 16 bytes, two hex digits each (a last odd digit
    is a byte of its own)."""
    if text is None:
        return b""
    bad = next((index for index, char in enumerate(text) if char not in string.hexdigits), None)
    if bad is not None or not text:
        raise click.BadParameter(
            f"patterns must be specified as hex digits: {text[bad or 0 :]!r} (as -p ff00)", param_hint="-p"
        )
    return bytes(int(text[index : index + 2], 16) for index in range(0, min(len(text), 32), 2))


def _payload(size: int, pattern: bytes) -> bytes:
    """The probes' payload: ``pattern`` repeated (-p), else bytes counting 0, 1, 2, ... (ping's)."""
    if pattern:
        return (pattern * (size // len(pattern) + 1))[:size]
    return bytes(index & 0xFF for index in range(size))


class _Tos(click.ParamType[int]):
    """-Q: a TOS byte in decimal, 0x hex or 0 octal (iputils' strtoul base 0)."""

    name = "tos"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            number = int(str(value), 0)
        except ValueError:
            number = -1
        if not 0 <= number <= 255:
            self.fail(f"the decimal value of TOS bits must be in range 0-255: {value}", param, ctx)
        return number


class _Dots:
    """-f's screen, iputils' flood output: a '.' per probe sent, a backspace per reply, 'E' for an
    error; flushed at most every 0.1 s (a terminal shows the dots move, a pipe gets them all)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.flushed = time.perf_counter()

    def write(self, text: str) -> None:
        self.out.write(text)
        now = time.perf_counter()
        if now - self.flushed >= 0.1:
            self.out.flush()
            self.flushed = now


#: What -O prints when the previous probe is still unanswered as the next one leaves.
_OUTSTANDING = "no answer yet for icmp_seq={}"


#: --icmp, --tcp, --udp: one of them (two are a usage error, not the last one kept).
_MODE = one_mode("icmp", "modes", icmp="--icmp", tcp="--tcp", udp="--udp")


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "--icmp", "mode", flag_value="icmp", multiple=True, callback=_MODE,
    help="ICMP echo (ICMPv6 echo for IPv6) [default]",
)  # fmt: skip
@click.option(
    "--tcp", "mode", flag_value="tcp", multiple=True, callback=_MODE,
    help="TCP SYN to --port PORT: a SYN-ACK or RST means alive",
)  # fmt: skip
@click.option(
    "--udp", "mode", flag_value="udp", multiple=True, callback=_MODE,
    help="UDP to --port PORT: port unreachable (or a reply) means alive",
)  # fmt: skip
@click.option("--port", type=PORT, metavar="PORT", help="destination port (--tcp 80, --udp 33434)")
@count_option("probes")
@seconds_option("-i", "--interval", default=1.0, text="time between probes")
@click.option(
    "-f", "--flood", is_flag=True,
    help="flood: the next probe as soon as the last is answered, or after 10 ms; a '.' per probe "
    "sent, a backspace per reply (until Ctrl-C unless -c)",
)  # fmt: skip
@click.option(
    "-w", "--deadline", type=INTERVAL, metavar="SECONDS",
    help="stop after SECONDS, however many probes went out; with -c, once -c probes are answered",
)  # fmt: skip
@seconds_option("-W", "--timeout", default=2.0, text="how long to wait for each reply")
@click.option(
    "-s", "--size", type=click.IntRange(0, 65000), metavar="BYTES", help="payload bytes (ICMP 56, TCP/UDP 0)"
)
@click.option(
    "-p", "--pattern", metavar="HEX", help="fill the payload with this hex pattern (as ping: -p ff00)"
)
@click.option(
    "-t", "--ttl", type=TTL, metavar="TTL", default=64, show_default=True, help="IP TTL / IPv6 hop limit"
)
@click.option("-Q", "--tos", type=_Tos(), metavar="TOS", default=0, help="IPv4 TOS byte / IPv6 traffic class")
@click.option(
    "-M", "pmtu", type=click.Choice(["do", "dont", "want"]), default="want", show_default=True,
    help="path MTU discovery: do (Don't Fragment; too long is a local error), dont (no DF, "
    "fragments), want (DF when the probe fits the MTU, else fragments)",
)  # fmt: skip
@click.option(
    "-I",
    "--interface",
    "through",
    metavar="IFACE|ADDRESS",
    help="send through IFACE only, from its address; or from ADDRESS (as ping -I)",
)
@click.option(
    "-b",
    "--broadcast",
    is_flag=True,
    help="allow a broadcast DESTINATION (SO_BROADCAST); the hosts that answer are shown, as ping -b",
)
@family_options
@click.option("-n", "numeric", is_flag=True, help="numeric output (accepted: rawnet never looks names up)")
@click.option(
    "-D", "timestamps", is_flag=True, help="print [seconds.microseconds] since the epoch before each line"
)
@click.option(
    "-O",
    "outstanding",
    is_flag=True,
    help="say 'no answer yet' when a probe is still unanswered as the next leaves",
)
@click.option("-q", "--quiet", is_flag=True, help="only the first and the statistics lines")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
@click.pass_context
def ping(
    ctx: click.Context, destination: str, mode: str, port: int | None, count: int, interval: float,
    flood: bool, deadline: float | None, timeout: float, size: int | None, pattern: str | None,
    ttl: int, tos: int, pmtu: str, through: str | None, broadcast: bool, four: bool, six: bool,
    numeric: bool, timestamps: bool, outstanding: bool, quiet: bool, as_json: bool,
) -> int:  # fmt: skip
    """Send echo requests (or TCP SYNs, or UDP datagrams) and report the replies, as ping does.

    Each probe of a run carries the same identifier (the process id) and a sequence number
    rising from 1; a reply is matched to its own probe (echo id and seq, TCP ports and
    sequence numbers, or the datagram an ICMP error quotes), and its RTT is the reply's arrival
    time minus the probe's send time. A reply that comes after -W counts as lost. ICMP errors
    about a probe (host unreachable, ...) are shown as ping shows them and counted as errors.
    A probe longer than the route's MTU (-s 1473 and up on Ethernet) goes out as IP fragments
    (IPv6: with a Fragment header), and a fragmented reply is reassembled: its size is the whole
    reply's, as ping's; with -M do it is not sent but counted as an error ("local error: message
    too long, mtu=1500"). A broadcast DESTINATION needs -b (without it, ping's refusal, exit 2); the
    replies then come from the hosts that answer (Linux answers broadcast pings only with
    net.ipv4.icmp_echo_ignore_broadcasts=0), later ones of a probe marked (DUP!).
    -f floods as ping -f: each probe leaves as soon as the previous one is answered, or 10 ms
    after it (100 a second to a host that does not answer); with -i, at that interval instead.
    -w ends the run after SECONDS (with -c, as soon as -c probes are answered; without -c, no
    limit of 4), and so does the first error.
    --tcp counts a SYN-ACK or a RST from the destination as alive (the kernel then resets the
    half-open connection); --udp counts an ICMP port unreachable or a UDP reply. Ctrl-C stops
    and prints the statistics. --json writes one object per event: "reply" (seq, from, bytes,
    ttl, rtt_ms; flags for --tcp, answer for --udp), "error" (an ICMP error about a probe),
    "timeout" (a probe unanswered within -W), "outstanding" (-O), and a last "statistics" (sent,
    received, loss, errors, rtt_*_ms); with -D each has a "timestamp". Exit 0 when any reply came
    (with -w and -c: when -c replies came), 1 otherwise.

    \b
    rawnet ping 198.18.1.2                       # 4 ICMP echoes, one a second
    rawnet ping 2001:db8:1::2 -c 2 -i 0.2        # ICMPv6 echo
    rawnet ping -f -c 5000 198.18.1.2            # flood: dots and backspaces
    rawnet ping -w 3 -D -O 198.18.1.2            # for 3 s, timestamped, unanswered ones named
    rawnet ping -p ff00 -s 100 -Q 0x10 198.18.1.2  # payload ff 00 ff 00 ..., TOS 0x10
    rawnet ping -M do -s 1472 198.18.1.2         # the largest unfragmented probe on Ethernet
    rawnet ping 198.18.1.2 --tcp --port 22 -c 3  # TCP SYN ping
    rawnet ping 198.18.1.2 --udp -c 1 -W 500ms   # UDP to port 33434
    rawnet ping 198.18.1.2 -c 0 -q               # until Ctrl-C, statistics only
    rawnet ping 198.18.1.2 -c 3 --json           # JSON lines
    rawnet ping 198.18.1.2 -I veth0              # out of veth0 only
    rawnet ping 198.18.1.2 -s 3000 -c 2          # 3008-byte requests, sent as fragments
    rawnet ping -b 198.18.1.255 -c 2             # a broadcast ping
    """
    destination = check_family(destination, four, six)
    positive(timeout, "-W/--timeout")
    if port is not None and mode == "icmp":
        raise click.UsageError("--port PORT goes with --tcp or --udp")
    given = ctx.get_parameter_source
    if (deadline is not None or flood) and given("count") == ParameterSource.DEFAULT:
        count = 0  # (-w ends the run by itself; -f floods until Ctrl-C, as ping)
    if flood and given("interval") == ParameterSource.DEFAULT:
        interval = 0.0
    if deadline is not None:
        positive(deadline, "-w/--deadline")
    port = port if port is not None else (80 if mode == "tcp" else 33434)
    size = size if size is not None else (56 if mode == "icmp" else 0)
    filler = _pattern(pattern)
    if filler and not size:
        raise click.UsageError(
            "-p is ping's payload pattern, and this probe has no payload (give -s); a port is --port"
        )
    run = _PingRun(destination, mode, port, ttl, _payload(size, filler), broadcast, tos=tos)
    out = Output(as_json)
    interface, source = _interface_or_source(through)
    source = probe_source(destination, interface, source)
    if ":" not in destination and _is_broadcast(destination, interface):
        if not broadcast:
            raise InputError(_ASK_BROADCAST)
        out.note("WARNING: pinging broadcast address")
    length = len(bytes(run.probe(1, source)))
    mtu = path_mtu(destination, interface=interface)
    run.dont_fragment = pmtu == "do" or (pmtu == "want" and length <= mtu)
    first = run.probe(1, source)
    echo = _EchoWire(bytes(run.probe(0, source))) if mode == "icmp" else None
    stats = RttStats()
    errors = 0
    dots = _Dots(out.out) if flood and not quiet and not as_json else None
    talk = not quiet and dots is None  # (the lines of replies and errors)
    ewma = 0  # iputils' smoothed RTT (-f's "ewma"): microseconds, times 8
    previous: Query | None = None
    sending = [0.0, 0.0]  # perf_counter() of the first and the last probe sent

    def show(text: str, record: dict[str, Any]) -> None:
        if timestamps:
            now = time.time()
            text, record = f"[{now:.6f}] {text}", {**record, "timestamp": round(now, 6)}
        out.line(text, record)

    def answered(query: Query, reply: Layer) -> None:
        nonlocal errors, ewma
        if run.alive(reply):
            rtt = query.rtt(reply)
            stats.add(rtt)
            micro = int(rtt * 1e6)
            ewma = micro * 8 if not ewma else ewma + micro - ewma // 8
            if dots is not None:
                dots.write("\b \b")
            elif talk or as_json:
                show(*run.line(reply, query.number, rtt, False))
            return
        errors += 1
        error = icmp_error(reply)
        where = str(network(reply).src)
        description = describe(error) if error else "unexpected reply"
        if dots is not None:
            dots.write("\bE")
        elif talk or as_json:
            show(
                f"From {where} icmp_seq={query.number} {description}",
                {"type": "error", "seq": query.number, "from": where, "message": description},
            )

    def duplicate(query: Query, reply: Layer) -> None:
        if run.alive(reply):  # (a repeated error is not counted again)
            stats.duplicates += 1
            if talk or as_json:
                show(*run.line(reply, query.number, query.rtt(reply), True))

    def failed(query: Query, error: SendError) -> None:  # (as ping: counted, and the run goes on)
        nonlocal errors
        errors += 1
        if dots is not None:
            dots.write("E")
        elif error.errno == errno.EACCES and not broadcast:  # (a broadcast the routes did not name)
            out.note(f"rawnet ping: probe {query.number}: {_ASK_BROADCAST}")
        elif error.errno == errno.EMSGSIZE and pmtu == "do":
            out.note(f"rawnet ping: {error}")
        else:
            out.note(f"rawnet ping: probe {query.number}: {error}")

    def step(index: int) -> None:
        nonlocal previous
        number = index + 1
        if outstanding and previous is not None and not previous.replies and (talk or as_json):
            show(_OUTSTANDING.format(previous.number), {"type": "outstanding", "seq": previous.number})
        stats.sent += 1
        if echo is not None:  # (bytes patched, the Layer built only if a rule asks for it)
            previous = Query.from_wire(echo(number), functools.partial(run.probe, number, source), number)
        else:
            previous = Query(first if number == 1 else run.probe(number, source), number=number)
        sending[1] = time.perf_counter()
        if not index:
            sending[0] = sending[1]
        exchange.send(previous, timeout=timeout)
        if dots is not None:
            dots.write(".")

    def done() -> bool:
        """-w's ends: -c probes answered (or failed), or any error (as ping)."""
        return deadline is not None and ((count and stats.received + errors >= count) or errors > 0)

    link = layer3_link([first], iface=interface, broadcast=broadcast, outgoing=False)
    if pmtu == "do" and length > mtu:  # (ping's kernel refuses it: EMSGSIZE, a local error)
        where = f"mtu={mtu}" if ":" not in destination else f"mtu: {mtu}"
        link.transmit = functools.partial(_too_long, f"local error: message too long, {where}")
    rule = functools.partial(answers, any_source=True) if broadcast else answers  # (-b: any host)
    if filler and not quiet and not as_json:
        out.line(f"PATTERN: 0x{filler.hex()}")
    with Exchange(
        link, rule=rule, duplicates=128, on_answer=answered, on_duplicate=duplicate,
        on_expire=report_timeouts(out), on_send_error=failed,
    ) as exchange:  # fmt: skip
        out.line(_header_line(destination, mode, port, size, source, interface, through is not None))
        started = time.monotonic()
        with contextlib.suppress(KeyboardInterrupt):
            _loop(exchange, step, done, count=count, interval=interval, flood=flood, deadline=deadline)
        elapsed = (
            time.monotonic() - started
        )  # (as ping's: closing the sockets, ms for a packet socket, is not in it)
    if dots is not None:
        out.out.flush()
    gap = (sending[1] - sending[0]) / (stats.sent - 1) if stats.sent > 1 else 0.0
    smoothed = (gap, ewma / 8e6) if (flood or not interval) and stats.received and stats.sent > 1 else None
    _statistics(out, destination, stats, errors, elapsed, smoothed)
    if deadline is not None and count and stats.received < count:
        return NO_REPLY
    return OK if stats.received else NO_REPLY


def _too_long(message: str, query: Query) -> None:
    """The transmit of a -M do run whose probes exceed the MTU: each is a local error, unsent."""
    raise SendError(message, errno.EMSGSIZE)


def _loop(
    exchange: Exchange, step: Callable[[int], None], done: Callable[[], bool], *, count: int,
    interval: float, flood: bool, deadline: float | None,
) -> None:  # fmt: skip
    """Send the probes (``count``, 0: no limit; with a ``deadline`` until then) and take replies.

    Paced by deadline ``interval`` apart; a flood without -i (interval 0) sends the next as soon
    as no probe waits (the last answered) or 10 ms after the last left, as iputils' pinger does.
    Then wait until no probe waits (or the deadline passes).
    """
    start = time.perf_counter()
    end = None if deadline is None else start + deadline
    limit = 0 if deadline is not None else count
    index = 0
    while not limit or index < limit:
        if index:
            if flood and not interval:
                if exchange.pending:  # (else the last was answered: the next goes now)
                    due = time.perf_counter() + _FLOOD_WAIT
                    exchange.settle(max(0.0, (due if end is None else min(due, end)) - time.perf_counter()))
            else:
                due = start + index * interval
                exchange.wait_until(due if end is None else min(due, end), precise=True)
        if done() or (end is not None and time.perf_counter() >= end):
            return
        step(index)
        exchange.poll()
        index += 1
    if not done():
        exchange.settle(None if end is None else max(0.0, end - time.perf_counter()))


#: -f without -i: the longest wait for a reply before the next probe (iputils' MININTERVAL).
_FLOOD_WAIT = 0.01


def _header_line(
    destination: str, mode: str, port: int, size: int, source: str, interface: str | None, bound: bool
) -> str:
    """ping's first line: iputils' ``PING host (host) 56(84) bytes of data.`` and, for IPv6,
    ``PING host(host) 56 data bytes``; -I adds ``from SOURCE IFACE:`` (an address alone: ``from
    SOURCE :``, as iputils). --tcp and --udp name the port."""
    six = ":" in destination
    origin = f" from {source} {interface or ''}:" if bound else ""
    if mode != "icmp":
        what = f"TCP SYN to port {port}" if mode == "tcp" else f"UDP to port {port}"
        total = size + (40 if six else 20) + (20 if mode == "tcp" else 8)
        return f"PING {destination} ({destination}){origin or ':'} {what}, {size}({total}) bytes of data."
    if six:
        return f"PING {destination}({destination}){origin} {size} data bytes"
    return f"PING {destination} ({destination}){origin} {size}({size + 28}) bytes of data."


def _statistics(
    out: Output, destination: str, stats: RttStats, errors: int, elapsed: float,
    smoothed: tuple[float, float] | None = None,
) -> None:  # fmt: skip
    """ping's closing block (the "statistics" record with --json); ``smoothed``: -f's (or -i 0's)
    inter-probe gap and smoothed RTT in seconds, ping's "ipg/ewma"."""
    record = stats.record()
    record.update(
        target=destination, errors=errors,
        rtt_mdev_ms=round(_mdev(stats.rtts) * 1e3, 3) if stats.rtts else None, time_ms=round(elapsed * 1e3),
    )  # fmt: skip
    if smoothed is not None:
        record.update(ipg_ms=round(smoothed[0] * 1e3, 3), ewma_ms=round(smoothed[1] * 1e3, 3))
    extra = (f", +{stats.duplicates} duplicates" if stats.duplicates else "") + (
        f", +{errors} errors" if errors else ""
    )
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
        tail = "" if smoothed is None else f", ipg/ewma {smoothed[0] * 1e3:.3f}/{smoothed[1] * 1e3:.3f} ms"
        out.line(f"rtt min/avg/max/mdev = {low:.3f}/{average:.3f}/{high:.3f}/{deviation:.3f} ms{tail}")
