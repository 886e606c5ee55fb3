"""rawnet scan: which ports (or IP protocols) of a host are open, closed or filtered, as nmap reports.

Pings the host first (unless -Pn), then runs each scan type asked (-sS or -sT, -sU, -sO), and
prints nmap's report (and its -oN, -oG, -oX files). A raw scan builds a probe per port and reads
each answer as nmap does; its pace adapts to what the host answers (scan_engine.Passes: Linux's
limit on ICMP errors); sending, receiving and matching are the exchange engine's. Formatting is
scan_output's.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from rawnet import __version__
from rawnet.cli import scan_output
from rawnet.cli.common import ADDRESS, INTERVAL, NO_REPLY, OK, PORTS, Output
from rawnet.cli.payloads import udp_payload
from rawnet.cli.probe import (
    PORT_UNREACHABLE,
    check_family,
    echo_request,
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
from rawnet.cli.scan_engine import Passes, Timing, connect_scan
from rawnet.cli.scan_output import HostReport, PortResult, RunInfo
from rawnet.errors import PrivilegeError
from rawnet.net.exchange import Exchange, Query
from rawnet.net.links import layer3_link
from rawnet.net.matching import answers
from rawnet.wire import ICMP, TCP, UDP, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, Layer

_TCP_SYN, _TCP_RST, _TCP_ACK = 0x02, 0x04, 0x10
#: nmap's reading of ICMP unreachable codes: these make a port filtered (IPv6: every code).
_FILTERING_CODES = {1, 2, 3, 9, 10, 13}
#: -sO: "protocol unreachable" (IPv4 3/2; IPv6 parameter problem 4/1, unrecognized next header).
_PROTOCOL_UNREACHABLE = ((4, 3, 2), (6, 4, 1))
_PROTOCOL_PORT = 40125  # -sO's UDP probe goes to this port (nmap's)


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
                return "filtered", _reason(error)
        if version == 6 and kind == 1:
            if method == "udp" and error in PORT_UNREACHABLE:
                return "closed", "port-unreach"
            return "filtered", _reason(error)
        return None
    if method == "udp":
        return "open", "udp-response"
    flags = int(reply[TCP].flags)
    if flags & _TCP_SYN and flags & _TCP_ACK:
        return "open", "syn-ack"
    if flags & _TCP_RST:
        return "closed", "reset"
    return None


#: nmap's reason names of ICMP errors ((IP version, type, code); others: "icmp-type-T-code-C").
_REASONS = {
    (4, 3, 0): "net-unreach",
    (4, 3, 1): "host-unreach",
    (4, 3, 2): "proto-unreach",
    (4, 3, 3): "port-unreach",
    (4, 3, 9): "net-prohibited",
    (4, 3, 10): "host-prohibited",
    (4, 3, 13): "admin-prohibited",
    (6, 1, 0): "net-unreach",
    (6, 1, 1): "admin-prohibited",
    (6, 1, 3): "host-unreach",
    (6, 1, 4): "port-unreach",
}


def _reason(error: tuple[int, int, int]) -> str:
    """nmap's --reason for an ICMP error."""
    return _REASONS.get(error) or f"icmp{'v6' if error[0] == 6 else ''}-type-{error[1]}-code-{error[2]}"


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
        return "filtered", _reason(error)
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


#: nmap's names of the scan types (-v lines, XML scaninfo) and the protocol each scans.
_SCAN_NAMES = {
    "syn": "SYN Stealth Scan",
    "connect": "Connect Scan",
    "udp": "UDP Scan",
    "proto": "IPProto Scan",
}
_PROTOCOLS = {"syn": "tcp", "connect": "tcp", "udp": "udp", "proto": "ip"}
_OPTIONS = {"syn": "-sS/--syn", "connect": "-sT/--connect", "udp": "-sU/--udp", "proto": "-sO/--protocol"}
_TOP_DEFAULT, _TOP_FAST = 1000, 100


# -- options ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanPorts:
    """-p as nmap reads it: ports for every protocol, or ``T:``/``U:`` parts for TCP and UDP."""

    common: tuple[int, ...] = ()
    tcp: tuple[int, ...] = ()
    udp: tuple[int, ...] = ()

    def of(self, protocol: str) -> list[int]:
        own = {"tcp": self.tcp, "udp": self.udp}.get(protocol, ())
        return sorted(set(self.common) | set(own))


class _ScanPortsType(click.ParamType[ScanPorts]):
    """nmap's -p: ``22``, ``1-1024``, ``-`` (1-65535), ``-100`` and ``60000-`` (open ends),
    ``22,80``, ``T:80,U:53``."""

    name = "ports"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> ScanPorts:
        if isinstance(value, ScanPorts):
            return value
        parts: dict[str, list[int]] = {"": [], "T": [], "U": []}
        kind = ""
        for piece in str(value).replace(" ", "").split(","):
            if piece[:2].upper() in ("T:", "U:"):
                kind, piece = piece[0].upper(), piece[2:]
            if piece == "-":
                piece = "1-65535"
            elif piece.startswith("-"):
                piece = "1" + piece
            elif piece.endswith("-"):
                piece += "65535"
            if piece.startswith(("+", "1+")) or not piece:
                self.fail(f"{value!r}: scan takes ports as 80, 20-25, 22,80,443, - or T:80,U:53 (no + or ++)")
            parts[kind].extend(PORTS.convert(piece, param, ctx).ports)
        return ScanPorts(tuple(parts[""]), tuple(parts["T"]), tuple(parts["U"]))


_SCAN_PORTS = _ScanPortsType()


def _scan_types(ctx: click.Context, param: click.Parameter, value: Any) -> tuple[str, ...]:
    """The scan types asked, in nmap's order (TCP, UDP; -sO alone); -sS with -sT, or -sO with a
    port scan, is a usage error naming both."""
    chosen = set(value or ()) or {"syn"}
    if {"syn", "connect"} <= chosen:
        raise click.UsageError("-sS/--syn and -sT/--connect are two TCP scan types: give one", ctx)
    if "proto" in chosen and len(chosen) > 1:
        other = next(kind for kind in ("syn", "connect", "udp") if kind in chosen)
        raise click.UsageError(
            f"-sO/--protocol scans IP protocols, {_OPTIONS[other]} ports: run them one at a time", ctx
        )
    return tuple(kind for kind in ("syn", "connect", "udp", "proto") if kind in chosen)


def _port_lists(
    methods: tuple[str, ...], spec: ScanPorts | None, fast: bool, top: int | None
) -> dict[str, list[int]]:
    """The ports (protocol numbers for -sO) each scan type probes."""
    given = sum(option is not None and option is not False for option in (spec, fast or None, top))
    if given > 1:
        raise click.UsageError("give the ports one way: -p, -F or --top-ports")
    lists: dict[str, list[int]] = {}
    for method in methods:
        protocol = _PROTOCOLS[method]
        if method == "proto":
            if top is not None or fast:
                raise click.UsageError("-F and --top-ports rank ports: -sO takes -p with protocol numbers")
            ports = spec.of("ip") if spec is not None else list(range(256))
            if ports and max(ports) > 255:
                raise click.BadParameter(f"{max(ports)}: -sO takes protocol numbers 0-255", param_hint="-p")
        elif spec is not None:
            ports = spec.of(protocol)
        else:
            ports = scan_output.top_ports(_TOP_FAST if fast else top or _TOP_DEFAULT, protocol)
        if 0 in ports and method != "proto":
            ports.remove(0)  # (as nmap without an explicit 0: port 0 is not a service)
            if spec is not None and 0 in spec.common + spec.tcp + spec.udp:
                ports.insert(0, 0)
        lists[method] = ports
    if not any(lists.values()):
        raise click.BadParameter("no ports to scan for the scan types given", param_hint="-p")
    return lists


# -- the command ----------------------------------------------------------------------------------------


@click.command()
@click.argument("destination", metavar="DESTINATION", type=ADDRESS)
@click.option(
    "-p", "--ports", "port_spec", type=_SCAN_PORTS,
    help="ports: 80, 20-25, 22,80,443, - (all: -p-), T:80,U:53 (-sO: protocol numbers)  "
    "[default: the 1000 most common; -sO: 0-255]",
)  # fmt: skip
@click.option("-F", "fast", is_flag=True, help="fast: the 100 most common ports (nmap -F)")
@click.option(
    "--top-ports", "top", type=click.IntRange(1, 65535), metavar="N", help="the N most common ports"
)
@click.option(
    "-sS", "--syn", "methods", flag_value="syn", multiple=True, callback=_scan_types,
    help="TCP SYN scan (nmap -sS) [default]",
)  # fmt: skip
@click.option(
    "-sT", "--connect", "methods", flag_value="connect", multiple=True, callback=_scan_types,
    help="TCP connect scan, through the kernel's TCP: no privilege needed (nmap -sT)",
)  # fmt: skip
@click.option(
    "-sU", "--udp", "methods", flag_value="udp", multiple=True, callback=_scan_types,
    help="UDP scan (nmap -sU); with -sS or -sT both run, one table",
)  # fmt: skip
@click.option(
    "-sO", "--protocol", "methods", flag_value="proto", multiple=True, callback=_scan_types,
    help="IP protocol scan (nmap -sO)",
)  # fmt: skip
@click.option(
    "-Pn", "no_ping", is_flag=True, help="skip host discovery: scan even a host that answers no ping"
)
@click.option("-n", "no_dns", is_flag=True, help="no name resolution (rawnet never resolves; nmap's habit)")
@click.option(
    "--max-retries", "--retries", "retries", type=click.IntRange(0, 50), metavar="N", default=10,
    show_default=True, help="send an unanswered probe at most N more times (the pace adapts: see above)",
)  # fmt: skip
@click.option(
    "--rate", "--max-rate", "rate", type=click.FloatRange(min=0, min_open=True), metavar="PPS",
    help="at most this many probes a second",
)  # fmt: skip
@click.option(
    "-w", "--timeout", type=INTERVAL, metavar="SECONDS", default=1.0, show_default=True,
    help="the longest wait for an answer (less once RTTs are known, down to 0.1 s)",
)  # fmt: skip
@interface_option("-e", "--interface")
@source_option("-S", "--source")
@click.option("-v", "verbose", count=True, help="verbose: each phase, each open port as found, pace changes")
@click.option("--reason", is_flag=True, help="say why each port (and the host) got its state")
@click.option("--open", "only_open", is_flag=True, help="show only open (and open|filtered) ports")
@click.option("-oN", "normal_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="also write the report to FILE (nmap's normal output)")  # fmt: skip
@click.option("-oG", "grepable_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="write nmap's grepable output to FILE")  # fmt: skip
@click.option("-oX", "xml_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="write nmap's XML output to FILE (nmap.dtd)")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="one JSON object per port, then the statistics")
def scan(
    destination: str, port_spec: ScanPorts | None, fast: bool, top: int | None, methods: tuple[str, ...],
    no_ping: bool, no_dns: bool, retries: int, rate: float | None, timeout: float, interface: str | None,
    source: str | None, verbose: int, reason: bool, only_open: bool, normal_file: str | None,
    grepable_file: str | None, xml_file: str | None, as_json: bool,
) -> int:  # fmt: skip
    """Find which ports (or IP protocols) of a host are open, closed or filtered, as nmap does.

    First the host is pinged as nmap pings it (an ICMP echo, a TCP SYN to 443, a TCP ACK to 80;
    any answer from it means up); a host that answers none is reported down ("Host seems down",
    exit 1) unless -Pn. Then each scan type runs (-sS or -sT with -sU: both, one table).
    --syn (nmap -sS) sends a SYN to each port: a SYN-ACK means open (the kernel then resets
    the half-open connection), a RST closed, and an ICMP unreachable (type 3 codes 1, 2, 3,
    9, 10, 13; any ICMPv6 unreachable) or nothing at all filtered. --connect (nmap -sT) asks the
    kernel to connect: connected means open, refused closed, nothing or an ICMP error filtered.
    --udp (nmap -sU) sends an
    empty datagram, or the service's own request to DNS (53, 5353), NTP (123) and SNMP (161, v1
    "public" sysDescr), as nmap's payloads do: a UDP reply means open, an ICMP port unreachable
    closed, another ICMP unreachable filtered, and nothing open|filtered (a listening service
    that stays silent looks the same as a firewall). --protocol (nmap -sO) asks which IP
    protocols (-p 0-255) the host speaks: an ICMP echo for 1, a TCP ACK for 6, a UDP datagram
    for 17, a bare IP header for the others; any answer in the protocol (or a port unreachable
    to the UDP probe) means open, a protocol unreachable closed, another unreachable filtered,
    and nothing open|filtered. Each answer is matched to its probe through the datagram an ICMP
    error quotes (addresses, protocol, ports).

    Timing adapts as nmap's: unanswered probes are sent again in passes; when a resent probe gets
    an answer, or (UDP, -sO) some ports stay silent while the host sends ICMP errors for others,
    the host is taken to limit its answers (Linux sends 6 ICMP errors at once, then one a
    second: net.ipv4.icmp_ratelimit) and the pause between probes doubles each pass, from 50 ms
    to 1 s, until a pass sent that slowly brings nothing, or --max-retries. So a UDP scan of 40
    closed ports of a Linux host takes about 40 s, as nmap's, and reports them closed.
    Without signs of a limit a silent probe is sent twice. As nmap, a state held by more than 25
    ports is summed up in a "Not shown" line. --json writes a "port" object per port (port,
    protocol, state, service, reason as nmap's --reason, ttl, rtt_ms) and a last "statistics"
    (host_up, the count of each state, sent, received, seconds). Exit 0 when the scan is
    done, 1 when the host seems down or answered no probe at all.

    \b
    rawnet scan 198.18.1.2                       # SYN scan of the 1000 most common ports
    rawnet scan 198.18.1.2 -p 22,80,443 --open   # only open ports
    rawnet scan 198.18.1.2 -sS -sU -p 1-100      # TCP and UDP, one table
    rawnet scan 198.18.1.2 -sT -p- --reason      # connect scan of every port, with reasons
    rawnet scan 198.18.1.2 -sU -F -oX scan.xml   # UDP, top 100 ports, nmap's XML too
    rawnet scan 198.18.1.2 -sO -p 1,6,17,47,253  # IP protocol scan
    rawnet scan 2001:db8:1::2 -p 1-100 --rate 500 -Pn
    rawnet scan 198.18.1.2 -p 80 --json          # JSON lines
    rawnet scan 198.18.1.2 -e veth0 -S 198.18.1.9 # out of veth0, from another address (nmap -e, -S)
    """
    check_family(destination, False, False)
    positive(timeout, "-w/--timeout")
    lists = _port_lists(methods, port_spec, fast, top)
    for path, option in ((normal_file, "-oN"), (grepable_file, "-oG"), (xml_file, "-oX")):
        if path:  # (created now, as nmap does: a path that cannot be written stops the scan before it starts)
            _write(path, option, "")
    raw = any(method != "connect" for method in methods)
    source_address = probe_source(destination, interface, source) if raw or not no_ping else source
    run = _Run(destination, source_address, interface, Output(as_json), verbose, timeout, retries, rate)
    info = RunInfo(
        args=shlex.join(["rawnet", "scan", *sys.argv[sys.argv.index("scan") + 1 :]])
        if "scan" in sys.argv
        else "rawnet scan " + destination,
        version=__version__,
        started=time.time(),
        scans=[(_nmap_type(method), _PROTOCOLS[method], lists[method]) for method in methods],
        verbose=verbose,
    )
    started = time.monotonic()
    run.say(f"Starting rawnet {__version__} at {time.strftime('%Y-%m-%d %H:%M %Z')}", logged=False)
    host = HostReport(destination, True, "user-set")
    interrupted = False
    try:
        if not no_ping:
            host = run.discover(only_connect=not raw)
        if host.up:
            for method in methods:
                run.scan(method, lists[method])
    except KeyboardInterrupt:
        interrupted = True
    host.results = list(run.results.values())
    if no_ping and run.host_answered:
        host.latency = min((result.rtt for result in host.results if result.rtt is not None), default=None)
    info.elapsed = time.monotonic() - started
    note = ""
    if host.up:
        run.report(host, reason, only_open)
    else:
        note = "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn"
        run.say(note)
    run.finish(host, info, interrupted)
    if normal_file:
        _write(normal_file, "-oN", scan_output.normal_file(info, run.normal_log, int(host.up)))
    if grepable_file:
        _write(grepable_file, "-oG", scan_output.grepable_file(info, host, only_open))
    if xml_file:
        _write(xml_file, "-oX", scan_output.xml_file(info, host, only_open))
    return OK if host.up and (run.host_answered or not no_ping) else NO_REPLY


def _nmap_type(method: str) -> str:
    return {"syn": "syn", "connect": "connect", "udp": "udp", "proto": "ipproto"}[method]


def _write(path: str, option: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise click.BadParameter(f"cannot write {path}: {error.strerror}", param_hint=option) from None


class _Run:
    """One scan run: its settings, what it found so far, and what it prints (stdout and -oN)."""

    def __init__(
        self, destination: str, source: str | None, interface: str | None, out: Output, verbose: int,
        wait: float, retries: int, rate: float | None,
    ) -> None:  # fmt: skip
        self.destination, self.source, self.interface = destination, source, interface
        self.out, self.verbose = out, verbose
        self.timing = Timing(max_retries=retries, max_wait=wait, min_delay=1 / rate if rate else 0.0)
        self.results: dict[tuple[str, int], PortResult] = {}
        self.host_answered = False
        self.sent = self.received = 0
        self.normal_log: list[str] = []  # (the lines -oN writes: all of stdout's but the first)
        self.base = first_port()

    # -- printing ------------------------------------------------------------------------------
    def say(self, text: str, record: dict[str, Any] | None = None, logged: bool = True) -> None:
        """A line of the report on stdout; ``logged``: also in the -oN file (nmap's file has all
        but the first and the last lines, which become its "#" lines)."""
        self.out.line(text, record)
        if logged:
            self.normal_log.append(text)

    def detail(self, text: str) -> None:
        """A -v line."""
        if self.verbose:
            self.say(text)

    def _phase(self, name: str, count: int, what: str) -> Callable[[str], None]:
        self.detail(f"Initiating {name} at {time.strftime('%H:%M')}")
        self.detail(f"Scanning {self.destination} [{count} {what}]")
        began = time.monotonic()

        def completed(total: str) -> None:
            elapsed = time.monotonic() - began
            self.detail(f"Completed {name} at {time.strftime('%H:%M')}, {elapsed:.2f}s elapsed ({total})")

        return completed

    # -- host discovery ------------------------------------------------------------------------
    def discover(self, only_connect: bool) -> HostReport:
        """nmap's ping: an ICMP echo, a SYN to 443, an ACK to 80; any answer from the host is
        "up". Without raw sockets and with -sT only: connect() to 80 and 443 (nmap's unprivileged)."""
        destination = self.destination
        if only_connect:
            try:
                return self._discover_raw()
            except PrivilegeError:
                pass
            done = self._phase("Connect Ping Scan", 2, "ports")
            found = connect_scan(
                destination, [80, 443], wait=self.timing.max_wait, retries=min(self.timing.max_retries, 1),
                interface=self.interface, source=self.source,
            )  # fmt: skip
            done("1 total hosts")
            for state, why, rtt in found.values():
                if state in ("open", "closed"):
                    if rtt is not None:
                        self.timing.sample(rtt)
                    self.host_answered = True
                    return HostReport(destination, True, why, None, rtt)
            return HostReport(destination, False, "no-response")
        return self._discover_raw()

    def _discover_raw(self) -> HostReport:
        destination = self.destination
        header = ip_header(destination, self.source or "", 64)
        six = isinstance(header, IPv6)
        probes = [
            header / echo_request(header, os.getpid() & 0xFFFF, 0),
            ip_header(destination, self.source or "", 64) / syn(self.base, 443),
            ip_header(destination, self.source or "", 64)
            / TCP(sport=self.base, dport=80, flags="A", ack=0, window=1024),
        ]
        queries = [Query(probe, number=index) for index, probe in enumerate(probes)]
        found: list[tuple[str, int, float]] = []

        def settles(reply: Layer, sent: Layer) -> str:
            why = answers(reply, sent)
            return why or ("" if str(network(reply).src) == destination else "not from the host")

        def answered(query: Query, reply: Layer) -> None:
            found.append((_discovery_reason(reply, six), hop_limit(network(reply)), query.rtt(reply)))

        link = layer3_link(probes, iface=self.interface)
        done = self._phase("Ping Scan", len(probes), "ports")
        with Exchange(link, rule=settles, on_answer=answered) as exchange:
            exchange.rounds(queries, timeout=self.timing.max_wait, retry=min(self.timing.max_retries, 1))
            self.sent += exchange.sent
            self.received += exchange.answered
        done("1 total hosts")
        if not found:
            return HostReport(destination, False, "no-response")
        why, ttl, rtt = found[0]
        for _, _, each in found:
            self.timing.sample(each)
        self.host_answered = True
        return HostReport(destination, True, why, ttl, rtt)

    # -- the scans ----------------------------------------------------------------------------
    def scan(self, method: str, ports: list[int]) -> None:
        if not ports:
            return
        what = "protocols" if method == "proto" else "ports"
        done = self._phase(_SCAN_NAMES[method], len(ports), what)
        if method == "connect":
            self._connect(ports)
        else:
            self._raw(method, ports)
        done(f"{len(ports)} total {what}")

    def _found(self, result: PortResult) -> None:
        key = (result.protocol, result.port)
        self.results[key] = result
        if result.state == "open" and self.verbose:
            what = "protocol" if result.protocol == "ip" else "port"
            name = str(result.port) if result.protocol == "ip" else f"{result.port}/{result.protocol}"
            self.detail(f"Discovered open {what} {name} on {self.destination}")

    def _connect(self, ports: list[int]) -> None:
        def settled(port: int, state: str, why: str, rtt: float | None) -> None:
            if state in ("open", "closed"):
                self.host_answered = True
            self._found(PortResult(port, "tcp", state, why, None, rtt))

        with _live(self.out) as show:
            show(f"connect scan: {len(ports)} ports")
            connect_scan(
                self.destination, ports, wait=self.timing.max_wait, retries=min(self.timing.max_retries, 1),
                interface=self.interface, source=self.source, on_result=settled,
            )  # fmt: skip

    def _raw(self, method: str, ports: list[int]) -> None:
        destination, source, base = self.destination, self.source or "", self.base

        def probe(port: int) -> Layer:
            header = ip_header(destination, source, 64)
            if method == "proto":
                return _protocol_probe(header, port, base)
            if method == "syn":
                return header / syn(base, port)
            datagram = header / UDP(sport=base, dport=port)
            request = udp_payload(port)  # a service's own request where there is one, else nothing
            return datagram / request if request else datagram

        protocol = _PROTOCOLS[method]
        queries = [Query(probe(port), number=port) for port in ports]
        passes: Passes | None = None

        def settles(reply: Layer, sent: Layer) -> str:  # (a reply that settles nothing answers nothing)
            reason = answers(reply, sent)
            return reason or ("" if _port_state(reply, method) is not None else "it settles nothing")

        def answered(query: Query, reply: Layer) -> None:
            state, why = _port_state(reply, method) or ("", "")
            header = network(reply)
            if str(header.src) == destination:
                self.host_answered = True
            rtt = query.rtt(reply)
            self._found(PortResult(query.number, protocol, state, why, hop_limit(header), rtt))
            if passes is not None:
                passes.answered(query, rtt, icmp_error(reply) is not None)

        def slower(old: float, new: float, unanswered: int, sent: int) -> None:
            self.detail(
                f"Increasing send delay for {destination} from {old * 1e3:.0f} to {new * 1e3:.0f} ms due to "
                f"{unanswered} out of {sent} probes unanswered while the host answers others"
            )

        link = layer3_link([queries[0].packet], iface=self.interface, buffer=8 << 20)  # (room for a burst)
        with Exchange(link, rule=settles, on_answer=answered) as exchange:
            passes = Passes(exchange, self.timing, icmp_closes=method in ("udp", "proto"), on_delay=slower)
            with _live(self.out) as show:
                if self.out.live:  # (a count per probe sent: only where someone watches)
                    exchange.on_sent = lambda query: show(
                        f"{_SCAN_NAMES[method]}: {exchange.sent} sent, {exchange.answered} answered,"
                        f" {len(ports)} {'protocols' if method == 'proto' else 'ports'}"
                    )
                try:
                    passes.run(queries)
                finally:
                    self.sent += exchange.sent
                    self.received += exchange.answered
                    silent = ("filtered" if method == "syn" else "open|filtered", "no-response")
                    for query in queries:
                        if (
                            query.packet.sent_time is not None
                            and (protocol, query.number) not in self.results
                        ):
                            self.results[(protocol, query.number)] = PortResult(
                                query.number, protocol, *silent
                            )

    # -- the report -------------------------------------------------------------------------------
    def report(self, host: HostReport, reason: bool, only_open: bool) -> None:
        ordered = sorted(
            host.results, key=lambda result: ({"tcp": 0, "udp": 1}.get(result.protocol, 2), result.port)
        )
        if self.out.json:
            for result in ordered:
                if not only_open or result.state in ("open", "open|filtered"):
                    self.out.line("", _port_record(result))
            return
        for line in scan_output.host_lines(host, reason, only_open):
            self.say(line)

    def finish(self, host: HostReport, info: RunInfo, interrupted: bool) -> None:
        counts = {state: 0 for state in ("open", "closed", "filtered", "open|filtered")}
        for result in host.results:
            counts[result.state] = counts.get(result.state, 0) + 1
        up = int(host.up)
        protocols = sorted({protocol for _, protocol, _ in info.scans})
        if host.up:
            self.say("")
        done = f"rawnet done: {scan_output.done_line(info, up)}" + (" (interrupted)" if interrupted else "")
        self.say(
            done,
            logged=False,
            record={"type": "statistics", "host": host.address, "host_up": host.up,
             "host_reason": host.reason,
             "protocol": ",".join(protocols), "ports": len(host.results), **counts, "sent": self.sent,
             "received": self.received, "seconds": round(info.elapsed, 3), "interrupted": interrupted},
        )  # fmt: skip
        if self.verbose:
            self.say(f"           Raw packets sent: {self.sent} | Rcvd: {self.received}", logged=False)


def _discovery_reason(reply: Layer, six: bool) -> str:
    """nmap's reason for a host being up, from the answer to a ping probe."""
    error = icmp_error(reply)
    if error is not None:
        return _reason(error)
    if TCP in reply:
        flags = int(reply[TCP].flags)
        return "syn-ack" if flags & _TCP_SYN else "reset"
    del six
    return "echo-reply"


@contextlib.contextmanager
def _live(out: Output) -> Iterator[Callable[[str], None]]:
    """A live status line on stderr (rich), only when it is a terminal; else a function doing nothing."""
    if not out.live:
        yield lambda text: None
        return
    with out.console.status("") as status:
        yield lambda text: status.update(text)


def _port_record(result: PortResult) -> dict[str, Any]:
    return {
        "type": "port", "port": result.port, "protocol": result.protocol, "state": result.state,
        "service": scan_output.service(result.port, result.protocol), "reason": result.reason,
        "ttl": result.ttl, "rtt_ms": None if result.rtt is None else round(result.rtt * 1e3, 3),
    }  # fmt: skip
