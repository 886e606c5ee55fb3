"""rawnet scan: which ports (or IP protocols) of a host are open, closed or filtered, as nmap reports.

Builds a probe per port (per protocol number with -sO), reads each answer as nmap does, and
prints nmap's table; sending, receiving, matching and retries are the exchange engine's
(rawnet.net.exchange): an answer is matched to its probe by the library's rules, an ICMP error
by the datagram it quotes (addresses, protocol, ports).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, PORTS, Output, PortSpec, one_mode
from rawnet.cli.payloads import udp_payload
from rawnet.cli.probe import (
    PORT_UNREACHABLE,
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
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer3_link
from rawnet.net.matching import answers
from rawnet.wire import ICMP, TCP, UDP, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, Layer
from rawnet.wire.numbers import IPProto

_TCP_SYN, _TCP_RST, _TCP_ACK = 0x02, 0x04, 0x10
#: nmap's reading of ICMP unreachable codes: these make a port filtered (IPv6: every code).
_FILTERING_CODES = {1, 2, 3, 9, 10, 13}
#: How nmap collapses a state shared by many ports into one "Not shown" line.
_COLLAPSE_OVER = 25
#: -sO: "protocol unreachable" (IPv4 3/2; IPv6 parameter problem 4/1, unrecognized next header).
_PROTOCOL_UNREACHABLE = ((4, 3, 2), (6, 4, 1))
_PROTOCOL_PORT = 40125  # -sO's UDP probe goes to this port (nmap's)


@dataclass
class _PortResult:
    port: int
    state: str
    reason: str
    ttl: int | None = None
    rtt: float | None = None


def _port_state(reply: Layer, method: str) -> tuple[str, str] | None:
    """(state, nmap's reason) for a reply that answers a probe, or None when it settles nothing."""
    error = icmp_error(reply)
    if method == "proto":
        return _protocol_state(reply, error)
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


def _protocol_state(reply: Layer, error: tuple[int, int, int] | None) -> tuple[str, str] | None:
    """nmap -sO's reading: a protocol unreachable closes the protocol; a port unreachable (to the
    UDP probe) or any answer in the protocol opens it; another unreachable filters it."""
    if error is None:
        if TCP in reply:
            return "open", "tcp-response"
        if UDP in reply:
            return "open", "udp-response"
        if (ICMP in reply and reply[ICMP].type == 0) or ICMPv6EchoReply in reply:
            return "open", "echo-reply"
        return "open", "proto-response"
    if error in _PROTOCOL_UNREACHABLE:
        return "closed", "proto-unreach"
    if error in PORT_UNREACHABLE:
        return "open", "port-unreach"
    version, kind, code = error
    if (version == 4 and kind == 3 and code in _FILTERING_CODES) or (version == 6 and kind == 1):
        return "filtered", describe(error).split(": ")[-1].lower().replace(" ", "-")
    return None


def _protocol_probe(header: Layer, number: int, sport: int) -> Layer:
    """-sO's probe of protocol ``number``: an echo request, a TCP ACK, a UDP datagram (what a
    host answers in that protocol, as nmap's), else the bare IP header of that protocol."""
    six = isinstance(header, IPv6)
    if number == 1 and not six:
        return header / ICMP(id=os.getpid() & 0xFFFF, seq=0)
    if number == 58 and six:
        return header / ICMPv6EchoRequest(id=os.getpid() & 0xFFFF, seq=0)
    if number == 6:
        return header / TCP(sport=sport, dport=80, flags="A", ack=0, window=1024)
    if number == 17:
        return header / UDP(sport=sport, dport=_PROTOCOL_PORT)
    given: Any = header
    if six:
        given.nh = number
    else:
        given.proto = number
    return header


def _service(port: int, protocol: str) -> str:
    if protocol == "ip":  # (-sO: the protocol's name)
        name = IPProto(port).name
        return "unknown" if name.startswith("unknown") else name.lower()
    try:
        return socket.getservbyport(port, protocol)
    except OSError:
        return "unknown"


def _ports_option(spec: PortSpec | None, method: str) -> list[int]:
    if spec is None:
        return list(range(256)) if method == "proto" else list(range(1, 1025))
    if spec.step:
        raise click.BadParameter("scan takes ports as 80, 20-25 or 22,80,443 (no + or ++)", param_hint="-p")
    if method == "proto" and max(spec.ports) > 255:
        raise click.BadParameter(f"{max(spec.ports)}: -sO takes protocol numbers 0-255", param_hint="-p")
    return sorted(set(spec.ports))


#: -sS, -sU, -sO: one of them. nmap runs -sS -sU together; rawnet scans one kind per run, so two
#: are a usage error naming both (never the last one kept silently).
_METHOD = one_mode("syn", "scan types", syn="-sS/--syn", udp="-sU/--udp", proto="-sO/--protocol")


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "-p",
    "--ports",
    "port_spec",
    type=PORTS,
    help="ports: 80, 20-25, 22,80,443 (-sO: protocol numbers)  [default: 1-1024; -sO: 0-255]",
)
@click.option(
    "-sS", "--syn", "method", flag_value="syn", multiple=True, callback=_METHOD,
    help="TCP SYN scan (nmap -sS) [default]",
)  # fmt: skip
@click.option(
    "-sU", "--udp", "method", flag_value="udp", multiple=True, callback=_METHOD, help="UDP scan (nmap -sU)"
)
@click.option(
    "-sO", "--protocol", "method", flag_value="proto", multiple=True, callback=_METHOD,
    help="IP protocol scan (nmap -sO)",
)  # fmt: skip
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
    destination: str, port_spec: PortSpec | None, method: str, retries: int, rate: float | None,
    timeout: float, interface: str | None, source: str | None, only_open: bool, as_json: bool,
) -> int:  # fmt: skip
    """Find which ports (or IP protocols) of a host are open, closed or filtered, as nmap does.

    --syn (nmap -sS) sends a SYN to each port: a SYN-ACK means open (the kernel then resets
    the half-open connection), a RST closed, and an ICMP unreachable (type 3 codes 1, 2, 3,
    9, 10, 13; any ICMPv6 unreachable) or nothing at all filtered. --udp (nmap -sU) sends an
    empty datagram, or the service's own request to DNS (53, 5353), NTP (123) and SNMP (161, v1
    "public" sysDescr), as nmap's payloads do: a UDP reply means open, an ICMP port unreachable
    closed, another ICMP unreachable filtered, and nothing open|filtered (a listening service
    that stays silent looks the same as a firewall). --protocol (nmap -sO) asks which IP
    protocols (-p 0-255) the host speaks: an ICMP echo for 1, a TCP ACK for 6, a UDP datagram
    for 17, a bare IP header for the others; any answer in the protocol (or a port unreachable
    to the UDP probe) means open, a protocol unreachable closed, another unreachable filtered,
    and nothing open|filtered. Each answer is matched to its probe through the datagram an ICMP
    error quotes (addresses, protocol, ports). Probes still unanswered after -w are sent again --retries
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
    rawnet scan 198.18.1.2 -sO -p 1,6,17,47,253  # IP protocol scan
    rawnet scan 2001:db8:1::2 -p 1-100 --rate 500 --retries 2
    rawnet scan 198.18.1.2 -p 80 --json          # JSON lines
    rawnet scan 198.18.1.2 -e veth0 -S 198.18.1.9 # out of veth0, from another address (nmap -e, -S)
    """
    check_family(destination, False, False)
    positive(timeout, "-w/--timeout")
    ports = _ports_option(port_spec, method)
    protocol = {"syn": "tcp", "udp": "udp", "proto": "ip"}[method]
    source = probe_source(destination, interface, source)
    base = first_port()

    def probe(port: int) -> Layer:
        header = ip_header(destination, source, 64)
        if method == "proto":
            return _protocol_probe(header, port, base)
        if method == "syn":
            return header / syn(base, port)
        datagram = header / UDP(sport=base, dport=port)
        request = udp_payload(port)  # a service's own request where there is one, else nothing
        return datagram / request if request else datagram

    queries = [Query(probe(port), number=port) for port in ports]
    results: dict[int, _PortResult] = {}
    host_answered = False
    out = Output(as_json)

    def settles(reply: Layer, sent: Layer) -> str:  # (a reply that settles nothing answers nothing)
        reason = answers(reply, sent)
        return reason or ("" if _port_state(reply, method) is not None else "it settles nothing")

    def answered(query: Query, reply: Layer) -> None:
        nonlocal host_answered
        state, reason = _port_state(reply, method) or ("", "")
        header = network(reply)
        host_answered = host_answered or str(header.src) == destination
        results[query.number] = _PortResult(query.number, state, reason, hop_limit(header), query.rtt(reply))

    link = layer3_link([queries[0].packet], iface=interface, buffer=8 << 20)  # (room for a burst of answers)
    with Exchange(link, rule=settles, on_answer=answered) as exchange:
        kind = {"syn": "SYN", "udp": "UDP", "proto": "IP protocol"}[method]
        what = "protocol(s)" if method == "proto" else f"{protocol} port(s)"
        out.line(f"Starting rawnet scan of {destination}: {len(ports)} {what}, {kind} scan")
        started = time.monotonic()
        interrupted = False
        try:
            with _live(out) as show:
                rounds = 0

                def begun(count: int) -> None:
                    nonlocal rounds
                    rounds += 1

                def sent(query: Query) -> None:
                    if exchange.sent % 64 == 1:
                        show(
                            f"round {rounds}: {exchange.sent} sent, {len(results)}/{len(ports)} ports settled"
                        )

                exchange.on_sent = sent
                exchange.rounds(
                    queries, inter=1 / rate if rate else 0.0, timeout=timeout, retry=retries, started=begun
                )
        except KeyboardInterrupt:
            interrupted = True
    silent = ("open|filtered", "no-response") if method != "syn" else ("filtered", "no-response")
    for query in queries:
        if query.packet.sent_time is not None:  # (sent: unanswered means silent)
            results.setdefault(query.number, _PortResult(query.number, *silent))
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
         "ports": len(results), **counts, "sent": exchange.sent, "received": exchange.answered,
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
    what = "n/a protocols" if protocol == "ip" else f"{protocol} ports"
    for state in sorted(hidden):
        reasons = ", ".join(sorted({result.reason for result in by_state[state]}))
        out.line(f"Not shown: {len(by_state[state])} {state} {what} ({reasons})")
    if not shown:
        return
    title = "PROTOCOL" if protocol == "ip" else "PORT"
    names = [str(result.port) if protocol == "ip" else f"{result.port}/{protocol}" for result in shown]
    port_width = max(len(title), *map(len, names)) + 1
    state_width = max(len("STATE"), *(len(result.state) for result in shown)) + 1
    out.line(f"{title:<{port_width}}{'STATE':<{state_width}}SERVICE")
    for name, result in zip(names, shown, strict=True):
        out.line(f"{name:<{port_width}}{result.state:<{state_width}}{_service(result.port, protocol)}")
