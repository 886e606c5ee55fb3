"""rawnet scan: which ports of a host are open, closed or filtered (TCP SYN or UDP scan), as nmap reports.

Builds a probe per port, reads each answer as nmap does, and prints nmap's table; sending and
receiving are probe.py's.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, PORTS, Output, PortSpec, paced
from rawnet.cli.payloads import udp_payload
from rawnet.cli.probe import (
    PORT_UNREACHABLE,
    armed,
    check_family,
    describe,
    first_port,
    hop_limit,
    icmp_error,
    interface_option,
    ip_header,
    network,
    positive,
    probe_source,
    source_option,
    syn,
)
from rawnet.errors import RawnetError
from rawnet.net.matching import answers, quoted_datagram
from rawnet.net.sockets import Received
from rawnet.wire import TCP, UDP, Layer

_TCP_SYN, _TCP_RST, _TCP_ACK = 0x02, 0x04, 0x10
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
    quoted = quoted_datagram(reply)
    layer: Any = TCP if method == "syn" else UDP
    try:
        if quoted is not None:
            return int(quoted[layer].dport) if layer in quoted else None
        return int(reply[layer].sport) if layer in reply else None
    except (RawnetError, IndexError, AttributeError):
        return None


def _port_state(reply: Layer, method: str) -> tuple[str, str] | None:
    """(state, nmap's reason) for a reply that answers a probe, or None when it settles nothing."""
    error = icmp_error(reply)
    if error is not None:
        version, kind, code = error
        if version == 4 and kind == 3:
            if method == "udp" and error in PORT_UNREACHABLE:
                return "closed", "port-unreach"
            if code in _FILTERING_CODES or (method == "udp" and code == 0):
                return "filtered", describe(error).lower().replace(" ", "-")
        if version == 6 and kind == 1:
            if method == "udp" and error in PORT_UNREACHABLE:
                return "closed", "port-unreach"
            return "filtered", describe(error).split(": ")[-1].lower().replace(" ", "-")
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
@interface_option("-e", "--interface")
@source_option("-S", "--source")
@click.option("--open", "only_open", is_flag=True, help="show only open (and open|filtered) ports")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per port, then the statistics")
def scan(
    destination: str, port_spec: PortSpec, method: str, retries: int, rate: float | None,
    timeout: float, interface: str | None, source: str | None, only_open: bool, as_json: bool,
) -> int:  # fmt: skip
    """Find which ports of a host are open, closed or filtered (TCP SYN or UDP scan), as nmap does.

    --syn (nmap -sS) sends a SYN to each port: a SYN-ACK means open (the kernel then resets
    the half-open connection), a RST closed, and an ICMP unreachable (type 3 codes 1, 2, 3,
    9, 10, 13; any ICMPv6 unreachable) or nothing at all filtered. --udp (nmap -sU) sends an
    empty datagram, or the service's own request to DNS (53, 5353), NTP (123) and SNMP (161, v1
    "public" sysDescr), as nmap's payloads do: a UDP reply means open, an ICMP port unreachable
    closed, another ICMP unreachable filtered, and nothing open|filtered (a listening service
    that stays silent looks the same as a firewall). Probes still unanswered after -w are sent again --retries
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
    rawnet scan 198.18.1.2 -e veth0 -S 198.18.1.9 # out of veth0, from another address (nmap -e, -S)
    """
    check_family(destination, False, False)
    positive(timeout, "-w/--timeout")
    ports = _ports_option(port_spec)
    protocol = "tcp" if method == "syn" else "udp"
    source = probe_source(destination, interface, source)
    base = first_port()

    def probe(port: int) -> Layer:
        header = ip_header(destination, source, 64)
        if method == "syn":
            return header / syn(base, port)
        datagram = header / UDP(sport=base, dport=port)
        request = udp_payload(port)  # a service's own request where there is one, else nothing
        return datagram / request if request else datagram

    probes = {port: probe(port) for port in ports}
    with armed(probes[ports[0]], buffer=8 << 20, interface=interface) as (
        replies,
        sender,
    ):  # (room for a burst of answers)
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
            header = network(got.packet)
            host_answered = host_answered or str(header.src) == destination
            rtt = max(0.0, got.timestamp - sent_at[port])
            results[port] = _PortResult(port, settled[0], settled[1], hop_limit(header), rtt)

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
                            show(
                                f"round {attempt + 1}: {sent} sent, {len(results)}/{len(ports)} ports settled"
                            )
                    deadline = time.monotonic() + timeout
                    while time.monotonic() < deadline and len(results) < len(ports):
                        for got in replies.wait(deadline):
                            take(got)
        except KeyboardInterrupt:
            interrupted = True
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
