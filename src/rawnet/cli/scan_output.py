"""rawnet scan's results as nmap writes them: its normal table, its grepable (-oG) and XML (-oX) files.

Pure formatting of finished results: nothing here sends, receives or decides a port's state. Port
ranking (--top-ports, -F) and service names come from nmap's own table, read at run time when nmap
is installed (its data is not copied into rawnet: its licence is not MIT), else from the system's
/etc/services (IANA's registrations, Debian's netbase).
"""

from __future__ import annotations

import functools
import math
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from rawnet.wire.numbers import IPProto

#: nmap's table of services and how often each port was found open (read, never copied).
NMAP_SERVICES = Path("/usr/share/nmap/nmap-services")
#: The system's table of IANA-registered services (netbase).
ETC_SERVICES = Path("/etc/services")
#: As nmap, a state held by more than this many ports is summed up in a "Not shown" line.
COLLAPSE_OVER = 25
#: nmap's XML output version the -oX file follows (nmap 7.x's nmap.dtd).
XML_OUTPUT_VERSION = "1.05"


@dataclass
class PortResult:
    """One scanned port (or IP protocol, with protocol "ip"): its state and nmap's reason."""

    port: int
    protocol: str  # tcp, udp or ip
    state: str
    reason: str
    ttl: int | None = None
    rtt: float | None = None


@dataclass
class HostReport:
    """A scanned host: whether it is up and why (nmap's reason), its latency and its ports."""

    address: str
    up: bool
    reason: str  # echo-reply, reset, syn-ack, user-set, no-response...
    reason_ttl: int | None = None
    latency: float | None = None
    results: list[PortResult] = field(default_factory=list)
    scanned: bool = True  # False: down, so its ports were not scanned


@dataclass
class RunInfo:
    """What the files' headers and trailers say: the command line, times, the scans run."""

    args: str
    version: str
    started: float  # time.time()
    #: (nmap's scan type: syn, connect, udp, ipproto; protocol; the ports or protocols scanned)
    scans: list[tuple[str, str, list[int]]]
    verbose: int = 0
    elapsed: float = 0.0


# -- services and port ranking --------------------------------------------------------------------


@functools.cache
def _nmap_services() -> dict[tuple[int, str], tuple[str, float]]:
    """(port, protocol) -> (name, open frequency) from nmap-services, or {} without it."""
    table: dict[tuple[int, str], tuple[str, float]] = {}
    try:
        text = NMAP_SERVICES.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return table
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3 or "/" not in fields[1]:
            continue
        number, _, protocol = fields[1].partition("/")
        try:
            table[(int(number), protocol)] = (fields[0], float(fields[2]))
        except ValueError:
            continue
    return table


@functools.cache
def _etc_services(protocol: str) -> list[int]:
    """The ports /etc/services names for ``protocol``, lowest first."""
    ports: set[int] = set()
    try:
        text = ETC_SERVICES.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[1].endswith("/" + protocol):
            number = fields[1].split("/")[0]
            if number.isdigit():
                ports.add(int(number))
    return sorted(ports)


def top_ports(count: int, protocol: str) -> list[int]:
    """The ``count`` ports most often open for ``protocol`` (tcp, udp), in port order.

    From nmap-services' frequencies when nmap is installed (nmap's own ranking); else the ports
    /etc/services registers, lowest first, then the others in order (a documented stand-in).
    """
    nmap = _nmap_services()
    if nmap:
        ranked = sorted(
            ((frequency, port) for (port, kind), (_, frequency) in nmap.items() if kind == protocol),
            key=lambda pair: (-pair[0], pair[1]),
        )
        chosen = [port for _, port in ranked[:count]]
    else:
        chosen = _etc_services(protocol)[:count]
    if len(chosen) < count:
        taken = set(chosen)
        chosen += [port for port in range(1, 65536) if port not in taken][: count - len(chosen)]
    return sorted(chosen)


def service(port: int, protocol: str) -> str:
    """The service nmap's table names for a port (the system's where nmap is absent), or "unknown";
    for protocol "ip" (-sO) the IP protocol's name."""
    if protocol == "ip":
        name = IPProto(port).name
        return "unknown" if name.startswith("unknown") else name.lower()
    nmap = _nmap_services()
    if nmap:
        known = nmap.get((port, protocol))
        return known[0] if known else "unknown"
    try:
        return socket.getservbyport(port, protocol)
    except OSError:
        return "unknown"


# -- nmap's small formats ---------------------------------------------------------------------------


def significant(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits without an exponent (nmap's latency: 0.000071s)."""
    if value <= 0:
        return "0.00"
    places = max(0, digits - 1 - math.floor(math.log10(value)))
    return f"{value:.{places}f}"


def port_ranges(ports: Iterable[int]) -> str:
    """``1-6,8,10-30``: sorted ports with runs written as ranges (nmap's scaninfo and extrareasons)."""
    ordered = sorted(set(ports))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[index], ordered[end]
        parts.append(str(first) if first == last else f"{first}-{last}")
        index = end + 1
    return ",".join(parts)


def _kind(protocol: str, count: int) -> str:
    """ "tcp ports", "udp port", "n/a protocols" (-sO), as nmap's "Not shown" line counts them."""
    return f"n/a {_plural(count, 'protocol')}" if protocol == "ip" else f"{protocol} {_plural(count, 'port')}"


def _reason_text(result: PortResult) -> str:
    return f"{result.reason} ttl {result.ttl}" if result.ttl else result.reason


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def ordered(results: list[PortResult]) -> list[PortResult]:
    """nmap's order: TCP ports, then UDP, each by number (protocols by number)."""
    rank = {"tcp": 0, "udp": 1, "ip": 2}
    return sorted(results, key=lambda result: (rank.get(result.protocol, 3), result.port))


def ignored_states(results: list[PortResult], only_open: bool = False) -> list[str]:
    """The states summed up rather than listed, most ports first (nmap: every non-open state held
    by more than 25 ports; with --open every state but open and open|filtered)."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.state] = counts.get(result.state, 0) + 1
    hidden = [
        state
        for state, count in counts.items()
        if state != "open" and (count > COLLAPSE_OVER or (only_open and state != "open|filtered"))
    ]
    return sorted(hidden, key=lambda state: (-counts[state], state))


def _groups(results: list[PortResult], state: str) -> list[tuple[str, str, list[int]]]:
    """(protocol, reason, ports) of the ports in ``state``, most ports first (nmap's summary)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for result in results:
        if result.state == state:
            groups.setdefault((result.protocol, result.reason), []).append(result.port)
    return sorted(
        ((protocol, reason, ports) for (protocol, reason), ports in groups.items()),
        key=lambda group: (-len(group[2]), group[0], group[1]),
    )


# -- the normal output ------------------------------------------------------------------------------


def host_lines(host: HostReport, reason: bool, only_open: bool = False) -> list[str]:
    """nmap's block of a host: "Nmap scan report for", "Host is up", "Not shown", the table."""
    if not host.up:
        return []
    lines = [f"rawnet scan report for {host.address}"]
    why = (
        f", received {host.reason}" + (f" ttl {host.reason_ttl}" if host.reason_ttl else "") if reason else ""
    )
    latency = f" ({significant(host.latency)}s latency)" if host.latency is not None else ""
    lines.append(f"Host is up{why}{latency}.")
    results = ordered(host.results)
    if not results:
        return lines
    ip = results[0].protocol == "ip"
    hidden = ignored_states(results, only_open)
    shown = [result for result in results if result.state not in hidden]
    summary = [
        f"{len(ports)} {state} {_kind(protocol, len(ports))} ({why})"
        for state in hidden
        for protocol, why, ports in _groups(results, state)
    ]
    if not shown:
        count = len(results)
        word = "protocol" if ip else "port"
        lines.append(
            f"{'The' if count == 1 else 'All'} {count} scanned {_plural(count, word)} on {host.address} "
            f"{'is' if count == 1 else 'are'} in ignored states."
        )
    if summary:
        lines.append("Not shown: " + ", ".join(summary))
    else:
        lines.append("")
    if not shown:
        return lines
    rows = [
        [
            str(result.port) if ip else f"{result.port}/{result.protocol}",
            result.state,
            service(result.port, result.protocol),
            *([_reason_text(result)] if reason else []),
        ]
        for result in shown
    ]
    title = ["PROTOCOL" if ip else "PORT", "STATE", "SERVICE", *(["REASON"] if reason else [])]
    widths = [max(len(row[column]) for row in [title, *rows]) for column in range(len(title))]
    for row in [title, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append(" ".join([*cells, row[-1]]))
    return lines


def _stamp(moment: float) -> str:
    """nmap's file time: "Sat Dec  5 09:05:47 2026" (local time, as ctime)."""
    return time.ctime(moment)


def done_line(info: RunInfo, up: int) -> str:
    return f"1 IP address ({up} {_plural(up, 'host')} up) scanned in {info.elapsed:.2f} seconds"


def normal_file(info: RunInfo, lines: list[str], up: int) -> str:
    """The -oN file: the report's lines between nmap's "# ... scan initiated" and "# ... done" lines."""
    ended = info.started + info.elapsed
    return (
        "\n".join(
            [
                f"# rawnet {info.version} scan initiated {_stamp(info.started)} as: {info.args}",
                *lines,
                f"# rawnet done at {_stamp(ended)} -- {done_line(info, up)}",
            ]
        )
        + "\n"
    )


def grepable_file(info: RunInfo, host: HostReport, only_open: bool) -> str:
    """The -oG file: nmap's "Host: ADDR ()<TAB>Status: Up" and "Ports:" lines."""
    lines = [f"# rawnet {info.version} scan initiated {_stamp(info.started)} as: {info.args}"]
    status = "Up" if host.up else "Down"
    lines.append(f"Host: {host.address} ()\tStatus: {status}")
    results = ordered(host.results)
    if host.up and results:
        ip = results[0].protocol == "ip"
        hidden = ignored_states(results, only_open)
        shown = [result for result in results if result.state not in hidden]
        if shown:
            entries = [
                f"{r.port}/{r.state}/{service(r.port, 'ip')}/"
                if ip
                else f"{r.port}/{r.state}/{r.protocol}//{_grep_service(r)}///"
                for r in shown
            ]
            line = f"Host: {host.address} ()\t{'Protocols' if ip else 'Ports'}: " + ", ".join(entries)
            if len(hidden) == 1:  # (nmap's grepable format takes one ignored state)
                count = sum(1 for result in results if result.state == hidden[0])
                line += f"\tIgnored State: {hidden[0]} ({count})"
            lines.append(line)
    ended = info.started + info.elapsed
    lines.append(f"# rawnet done at {_stamp(ended)} -- {done_line(info, int(host.up))}")
    return "\n".join(lines) + "\n"


def _grep_service(result: PortResult) -> str:
    name = service(result.port, result.protocol)
    return "" if name == "unknown" else name.replace("/", "|")


def _attributes(**values: object) -> str:
    return "".join(f" {name}={quoteattr(str(value))}" for name, value in values.items())


def _comment(text: str) -> str:
    return text.replace("--", "-&#45;")  # (nmap's escape: "--" may not appear in an XML comment)


def xml_file(info: RunInfo, host: HostReport, only_open: bool) -> str:
    """The -oX file, following nmap's nmap.dtd (nmaprun, scaninfo, host, ports, port, state, service,
    runstats), so that tools that read nmap's XML read it.

    scanner is "nmap" because the DTD admits no other value; the comment, ``args`` and ``version``
    say that rawnet wrote it.
    """
    started, ended = int(info.started), int(info.started + info.elapsed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE nmaprun>",
        f"<!-- rawnet {info.version} scan initiated {_stamp(info.started)} as: {_comment(info.args)} -->",
        "<nmaprun"
        + _attributes(
            scanner="nmap",
            args=info.args,
            start=started,
            startstr=_stamp(info.started),
            version=info.version,
            xmloutputversion=XML_OUTPUT_VERSION,
        )
        + ">",
    ]
    for kind, protocol, ports in info.scans:
        out.append(
            "<scaninfo"
            + _attributes(type=kind, protocol=protocol, numservices=len(ports), services=port_ranges(ports))
            + "/>"
        )
    out.append(f'<verbose level="{info.verbose}"/>')
    out.append('<debugging level="0"/>')
    family = "ipv6" if ":" in host.address else "ipv4"
    status = _attributes(
        state="up" if host.up else "down", reason=host.reason, reason_ttl=host.reason_ttl or 0
    )
    if host.up:
        out.append(f"<host{_attributes(starttime=started, endtime=ended)}><status{status}/>")
        out.append(f"<address{_attributes(addr=host.address, addrtype=family)}/>")
        out.append("<hostnames>\n</hostnames>")
        results = ordered(host.results)
        out.append("<ports>" + ("" if results else "</ports>"))
        if results:
            hidden = ignored_states(results, only_open)
            for state in hidden:
                count = sum(1 for result in results if result.state == state)
                out.append(f"<extraports{_attributes(state=state, count=count)}>")
                for protocol, why, ports in _groups(results, state):
                    out.append(
                        "<extrareasons"
                        + _attributes(reason=why, count=len(ports), proto=protocol, ports=port_ranges(ports))
                        + "/>"
                    )
                out.append("</extraports>")
            for result in results:
                if result.state in hidden:
                    continue
                name = service(result.port, result.protocol)
                state = _attributes(state=result.state, reason=result.reason, reason_ttl=result.ttl or 0)
                described = _attributes(name=name, method="table", conf=8 if result.protocol == "ip" else 3)
                out.append(
                    f"<port{_attributes(protocol=result.protocol, portid=result.port)}>"
                    f"<state{state}/><service{described}/></port>"
                )
            out.append("</ports>")
        if host.latency is not None:
            srtt = int(host.latency * 1e6)
            out.append(f"<times{_attributes(srtt=srtt, rttvar=srtt, to=max(100000, srtt * 5))}/>")
        out.append("</host>")
    summary = f"rawnet done at {_stamp(ended)}; {done_line(info, int(host.up))}"
    finished = _attributes(
        time=ended, timestr=_stamp(ended), summary=summary, elapsed=f"{info.elapsed:.2f}", exit="success"
    )
    hosts = _attributes(up=int(host.up), down=int(not host.up), total=1)
    out.append(f"<runstats><finished{finished}/><hosts{hosts}/>")
    out.append("</runstats>")
    out.append("</nmaprun>")
    return "\n".join(out) + "\n"
