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
import time
from dataclasses import dataclass, field
from typing import Any

import click

from rawnet.cli.common import ADDRESS, NO_REPLY, OK, Output, RttStats, one_mode
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
from rawnet.net.routes import next_hop
from rawnet.wire import TCP, UDP, IPv6, Layer


@dataclass
class _PingRun:
    destination: str
    mode: str
    port: int
    ttl: int
    payload: bytes
    #: -b: the destination may be a broadcast address, so replies come from other addresses.
    broadcast: bool = False
    ident: int = field(default_factory=lambda: os.getpid() & 0xFFFF)
    base_port: int = field(default_factory=first_port)

    def probe(self, seq: int, source: str) -> Layer:
        header = ip_header(self.destination, source, self.ttl)
        if self.mode == "tcp":
            segment = syn(nth_port(self.base_port, seq), self.port)
            return header / segment / self.payload if self.payload else header / segment
        if self.mode == "udp":
            return header / UDP(sport=nth_port(self.base_port, seq), dport=self.port) / self.payload
        return header / echo_request(header, self.ident, seq) / self.payload

    def alive(self, reply: Layer) -> bool:
        """Whether ``reply`` (which answers a probe) says the destination is alive."""
        if network(reply).src != self.destination and not self.broadcast:
            return False
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


def _payload_length(packet: Layer) -> int:
    """Bytes after the IP header (what ping reports as the reply's size)."""
    header = network(packet)
    length = 40 if isinstance(header, IPv6) else int(header.ihl) * 4
    return max(0, (packet.wirelen or len(packet)) - length)


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
    help="TCP SYN to -p PORT: a SYN-ACK or RST means alive",
)  # fmt: skip
@click.option(
    "--udp", "mode", flag_value="udp", multiple=True, callback=_MODE,
    help="UDP to -p PORT: port unreachable (or a reply) means alive",
)  # fmt: skip
@click.option("-p", "--port", type=PORT, metavar="PORT", help="destination port (--tcp 80, --udp 33434)")
@count_option("probes")
@seconds_option("-i", "--interval", default=1.0, text="time between probes")
@seconds_option("-W", "--timeout", default=2.0, text="how long to wait for each reply")
@click.option(
    "-s", "--size", type=click.IntRange(0, 65000), metavar="BYTES", help="payload bytes (ICMP 56, TCP/UDP 0)"
)
@click.option(
    "-t", "--ttl", type=TTL, metavar="TTL", default=64, show_default=True, help="IP TTL / IPv6 hop limit"
)
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
@click.option("-q", "--quiet", is_flag=True, help="only the first and the statistics lines")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per reply, then the statistics")
def ping(
    destination: str, mode: str, port: int | None, count: int, interval: float, timeout: float,
    size: int | None, ttl: int, through: str | None, broadcast: bool, four: bool, six: bool, quiet: bool,
    as_json: bool,
) -> int:  # fmt: skip
    """Send echo requests (or TCP SYNs, or UDP datagrams) and report the replies, as ping does.

    Each probe of a run carries the same identifier (the process id) and a sequence number
    rising from 1; a reply is matched to its own probe (echo id and seq, TCP ports and
    sequence numbers, or the datagram an ICMP error quotes), and its RTT is the reply's arrival
    time minus the probe's send time. A reply that comes after -W counts as lost. ICMP errors
    about a probe (host unreachable, ...) are shown as ping shows them and counted as errors.
    A probe longer than the route's MTU (-s 1473 and up on Ethernet) goes out as IP fragments
    (IPv6: with a Fragment header), and a fragmented reply is reassembled: its size is the whole
    reply's, as ping's. A broadcast DESTINATION needs -b (without it, ping's refusal, exit 2); the
    replies then come from the hosts that answer (Linux answers broadcast pings only with
    net.ipv4.icmp_echo_ignore_broadcasts=0), later ones of a probe marked (DUP!).
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
    rawnet ping 198.18.1.2 -I veth0              # out of veth0 only
    rawnet ping 198.18.1.2 -s 3000 -c 2          # 3008-byte requests, sent as fragments
    rawnet ping -b 198.18.1.255 -c 2             # a broadcast ping
    """
    destination = check_family(destination, four, six)
    positive(timeout, "-W/--timeout")
    if port is not None and mode == "icmp":
        raise click.UsageError("-p PORT goes with --tcp or --udp")
    port = port if port is not None else (80 if mode == "tcp" else 33434)
    size = size if size is not None else (56 if mode == "icmp" else 0)
    run = _PingRun(destination, mode, port, ttl, bytes(index & 0xFF for index in range(size)), broadcast)
    out = Output(as_json)
    interface, source = _interface_or_source(through)
    source = probe_source(destination, interface, source)
    if ":" not in destination and _is_broadcast(destination, interface):
        if not broadcast:
            raise InputError(_ASK_BROADCAST)
        out.note("WARNING: pinging broadcast address")
    first = run.probe(1, source)
    stats = RttStats()
    errors = 0

    def answered(query: Query, reply: Layer) -> None:
        nonlocal errors
        if run.alive(reply):
            rtt = query.rtt(reply)
            stats.add(rtt)
            if not quiet or as_json:
                out.line(*run.line(reply, query.number, rtt, False))
            return
        errors += 1
        error = icmp_error(reply)
        where = str(network(reply).src)
        description = describe(error) if error else "unexpected reply"
        if not quiet or as_json:
            out.line(
                f"From {where} icmp_seq={query.number} {description}",
                {"type": "error", "seq": query.number, "from": where, "message": description},
            )

    def duplicate(query: Query, reply: Layer) -> None:
        if run.alive(reply):  # (a repeated error is not counted again)
            stats.duplicates += 1
            if not quiet or as_json:
                out.line(*run.line(reply, query.number, query.rtt(reply), True))

    def failed(query: Query, error: SendError) -> None:  # (as ping: counted, and the run goes on)
        nonlocal errors
        errors += 1
        if error.errno == errno.EACCES and not broadcast:  # (a broadcast the routes did not name)
            out.note(f"rawnet ping: probe {query.number}: {_ASK_BROADCAST}")
            return
        out.note(f"rawnet ping: probe {query.number}: {error}")

    def step(index: int) -> None:
        number = index + 1
        stats.sent += 1
        exchange.send(
            Query(first if number == 1 else run.probe(number, source), number=number), timeout=timeout
        )

    header = 40 if ":" in destination else 20
    transport = {"tcp": 20, "udp": 8}.get(mode, 8)
    what = {"tcp": f" TCP SYN to port {port},", "udp": f" UDP to port {port},"}.get(mode, "")
    origin = "" if through is None else f" from {source}" + (f" {interface}" if interface else "")
    link = layer3_link([first], iface=interface, broadcast=broadcast)
    rule = functools.partial(answers, any_source=True) if broadcast else answers  # (-b: any host)
    with Exchange(
        link, rule=rule, duplicates=128, on_answer=answered, on_duplicate=duplicate,
        on_expire=report_timeouts(out), on_send_error=failed,
    ) as exchange:  # fmt: skip
        out.line(
            f"PING {destination} ({destination}){origin}:{what} {size}({size + header + transport}) "
            "bytes of data."
        )
        started = time.monotonic()
        with contextlib.suppress(KeyboardInterrupt):
            exchange.paced(step, count=count, interval=interval)
    elapsed = time.monotonic() - started
    _statistics(out, destination, stats, errors, elapsed)
    return OK if stats.received else NO_REPLY


def _statistics(out: Output, destination: str, stats: RttStats, errors: int, elapsed: float) -> None:
    """ping's closing block (the "statistics" record with --json)."""
    record = stats.record()
    record.update(
        target=destination, errors=errors,
        rtt_mdev_ms=round(_mdev(stats.rtts) * 1e3, 3) if stats.rtts else None, time_ms=round(elapsed * 1e3),
    )  # fmt: skip
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
        out.line(f"rtt min/avg/max/mdev = {low:.3f}/{average:.3f}/{high:.3f}/{deviation:.3f} ms")
