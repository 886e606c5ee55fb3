"""rawnet demo: the raw-socket post's sender against a real Linux peer, in a lab of its own.

It builds a - r1 - b (Lab.line), starts the raw-socket post's TCP server, an HTTP server and a rawnet
sniffer in b, then sends the raw-socket post's packets, sends the post's GET again over a real
connection (rawnet.tcp), connects with the post's client, pings, traceroutes and scans, each step
printing what happened and whether the answer was the expected one. The lab is removed
however the demo ends (an error, Ctrl-C). Everything it sends stays inside the lab.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from rawnet.cli.common import NO_REPLY, OK, Output
from rawnet.cli.echo import GREETING, Server, tcp_exchange
from rawnet.errors import RawnetError
from rawnet.net.capture import ReceivedSniffer
from rawnet.net.lab import Lab, require_admin
from rawnet.net.sendrecv import Results, send, sr
from rawnet.net.sockets import Received
from rawnet.wire import ICMP, IP, TCP, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, Layer

SEED_SPORT = 55968  # the raw-socket post's source port
SERVER_PORT = 80  # the raw-socket post's destination port: the demo's TCP server listens there
HTTP_PORT = 8080  # the demo's HTTP server (port 80 is the post's TCP server's)
PAGE = b"<html><body>the raw-socket post's page, served in b</body></html>\n" * 40
SCAN_PORTS = (22, 80, 443, 31500)
COUNT = 3  # the raw-socket post's packets (its count argument)
LAB_TRAFFIC = "(ip and net 198.18.0.0/15) or (ip6 and net 2001:db8::/32)"
TIMEOUT = 2.0  # seconds any answer may take
REQUEST_LINE = "GET /att/DIYLife/41264/528 HTTP/1.1"  # the raw-socket post's


def seed_payload(host: str) -> bytes:
    """The raw-socket post's HTTP GET, its Host header naming the lab's b."""
    return f"{REQUEST_LINE}\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n".encode()


class Watch:
    """The sniffer's packets as they come, with a way to wait until some condition holds."""

    def __init__(self) -> None:
        self.packets: list[Received] = []
        self._changed = threading.Condition()

    def add(self, received: Received) -> None:
        with self._changed:
            self.packets.append(received)
            self._changed.notify_all()

    def wait(self, condition: Callable[[list[Received]], bool], timeout: float = TIMEOUT) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: condition(self.packets), timeout)


@dataclass
class Step:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


class Report:
    """The demo's output: headed sections (rich rules on a terminal), lines, a verdict per step."""

    def __init__(self, json_lines: bool, verbose: bool) -> None:
        self.out = Output(json_lines)
        self.verbose = verbose
        self.console = Console(highlight=False, soft_wrap=True)
        self.fancy = self.console.is_terminal and not json_lines
        self.steps: list[Step] = []
        self.sent = 0

    def section(self, title: str) -> None:
        if self.out.json:
            return
        if self.fancy:
            self.console.print()
            self.console.rule(f"[bold]{title}", align="left")
        else:
            self.out.line(f"\n== {title} ==")

    def line(self, text: str = "") -> None:
        if not self.out.json:
            self.out.line(text)

    def step(self, name: str, ok: bool, expected: str, record: dict[str, Any]) -> None:
        """A step's verdict: a line for people, a {"type": "step"} object for --json."""
        self.steps.append(Step(name, ok, record))
        mark = "ok" if ok else "UNEXPECTED"
        if self.fancy:
            colour = "green" if ok else "bold red"
            self.console.print(f"[{colour}]{mark}[/]: {escape(expected)}", markup=True)
        else:
            self.out.line(f"{mark}: {expected}", {"type": "step", "step": name, "ok": ok} | record)

    def failed(self, name: str, error: BaseException) -> None:
        self.step(name, False, f"the step failed: {error}", {"error": str(error)})


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Also show the field tree of what b received and sent.")
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per step and per packet seen.")
def demo(verbose: bool, json_lines: bool) -> int:
    """The raw-socket post's sender against a real Linux peer, and ping, traceroute and scan, in a lab.

    Builds a lab of three namespaces, a - r1 - b (r1 routes between 198.18.1.0/24 and
    198.18.2.0/24), starts the raw-socket post's TCP server in b on port 80, an HTTP server in b on
    port 8080 and a rawnet sniffer in b, then: sends the raw-socket post's packets from a (TCP PA,
    sport 55968, dport 80, window 64, the HTTP GET, seq 1..3) and shows b's kernel answering each
    with a RST, since no connection exists; sends the post's GET done properly, over a connection
    rawnet.tcp makes from a (b's server answers it, and b sends no RST); connects with the
    raw-socket post's TCP client for contrast; pings b over IPv4 and IPv6 (round-trip times);
    traceroutes to b (TTL 1 and 2: r1, then b); SYN-scans four ports of b (80 open,
    the others closed); and lists everything b's sniffer saw, with a closing summary. Needs
    root (exit 3 without); nothing leaves the machine; the lab is removed however the demo ends.
    Exit 0 when every step got the expected answer, else 1.

    \b
    rawnet demo
    rawnet demo -v          # with the field trees of the packets b got and sent
    rawnet demo --json      # one object per step and per packet b's sniffer saw
    """
    require_admin()
    report = Report(json_lines, verbose)
    report.line("rawnet demo: the raw-socket post's sender against a real Linux peer, in a lab of its own")
    lab: Lab | None = None
    sniffer: ReceivedSniffer | None = None
    server: Server | None = None
    web: WebServer | None = None
    watch = Watch()
    interrupted = False
    try:
        lab = Lab.line(routers=1)
        report.section("1. The lab: a - r1 - b, network namespaces joined by veth pairs")
        for host in lab.hosts.values():
            addresses = "  ".join(f"{each.ipv4} {each.ipv6}" for each in host.interfaces.values())
            report.line(f"{host.name:<3} {addresses}   (namespace {host.netns})")
        b = lab["b"]
        sniffer = ReceivedSniffer(None, LAB_TRAFFIC, netns=b.netns, prn=watch.add, store=False)
        sniffer.start()
        report.line(f"b: a rawnet sniffer captures the lab's traffic ({LAB_TRAFFIC})")
        server, server_lines = _start_server(lab)
        report.line(f"b: the post's TCP server listens on {b.ipv4}:{SERVER_PORT} (greets with {GREETING!r})")
        web = _start_web(lab)
        report.line(f"b: an HTTP server (Python's http.server) listens on {b.ipv4}:{HTTP_PORT}")
        steps: list[tuple[str, Callable[[Lab, Report, Watch, Server, io.StringIO], None]]] = [
            ("sender", _seed),
            ("get", functools.partial(_get, web)),
            ("client", _client),
            ("ping", _ping),
            ("traceroute", _traceroute),
            ("scan", _scan),
        ]
        for name, run in steps:
            try:
                run(lab, report, watch, server, server_lines)
            except (RawnetError, OSError) as error:
                report.failed(name, error)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            if sniffer is not None:
                with contextlib.suppress(RuntimeError):  # (Ctrl-C came before its thread started)
                    sniffer.stop()
            if server is not None:
                server.stop()
            if web is not None:
                web.shutdown()
                web.server_close()
        finally:
            if lab is not None:
                lab.close()
    _sniffed(report, watch)
    _summary(report, watch, interrupted, lab)
    return OK if report.steps and all(step.ok for step in report.steps) and not interrupted else NO_REPLY


def _start_server(lab: Lab) -> tuple[Server, io.StringIO]:
    """The raw-socket post's TCP server in b on port 80, in a thread; what it prints goes to a buffer."""
    sock = lab.socket("b", socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((lab["b"].ipv4, SERVER_PORT))
    sock.listen(5)
    lines = io.StringIO()
    server = Server(sock, Output(out=lines), echo=False, count=0, greeting=GREETING.encode())
    threading.Thread(target=_serve, args=(server, sock), name="rawnet-demo-server", daemon=True).start()
    return server, lines


def _serve(server: Server, sock: socket.socket) -> None:
    with sock:
        server.run()


class WebServer(http.server.ThreadingHTTPServer):
    """The demo's HTTP server in b: answers every GET with PAGE and keeps what it was asked."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock.getsockname()[:2], _PageHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock  # (made in b's namespace, bound and listening)
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (client, request line, headers)


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server: WebServer

    def do_GET(self) -> None:
        self.server.requests.append((self.client_address[0], self.requestline, dict(self.headers.items())))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # (the step reports the requests itself)


def _start_web(lab: Lab) -> WebServer:
    """The HTTP server in b on HTTP_PORT, in a thread (stopped with shutdown())."""
    sock = lab.socket("b", socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((lab["b"].ipv4, HTTP_PORT))
    sock.listen(5)
    web = WebServer(sock)
    threading.Thread(target=web.serve_forever, name="rawnet-demo-web", daemon=True).start()
    return web


def _direction(received: Received) -> str:
    return "out" if received.direction == "outgoing" else "in"


def _seed(lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO) -> None:
    a, b = lab["a"], lab["b"]
    report.section(
        f"2. The raw-socket post's sender: {COUNT} TCP packets a -> b:{SERVER_PORT}, no connection"
    )
    payload = seed_payload(b.ipv4)
    packets = [
        IP(src=a.ipv4, dst=b.ipv4)
        / TCP(sport=SEED_SPORT, dport=SERVER_PORT, seq=seq, ack=1, flags="PA", window=64)
        / payload
        for seq in range(1, COUNT + 1)
    ]
    start = len(watch.packets)
    report.sent += send(packets, netns=a.netns)
    report.line(
        f"a sent {COUNT} packets (rawnet.send, IP_HDRINCL): flags PA, sport {SEED_SPORT}, window 64, "
        f"ack 1, seq 1..{COUNT}, {len(payload)} bytes of HTTP GET"
    )

    def seed_traffic(packets: list[Received]) -> list[Received]:
        return [
            got
            for got in packets[start:]
            if TCP in got.packet and SEED_SPORT in (got.packet[TCP].sport, got.packet[TCP].dport)
        ]

    watch.wait(lambda seen: sum(_direction(got) == "out" for got in seed_traffic(seen)) >= COUNT)
    seen = seed_traffic(list(watch.packets))
    arrived = [got for got in seen if _direction(got) == "in"]
    resets = [got for got in seen if _direction(got) == "out" and int(got.packet[TCP].flags) & 0x04]
    report.line("b's sniffer saw:")
    for got in seen:
        report.line(f"  {_direction(got):<3} {got.packet.summary_safe()}")
    if arrived:
        problems = arrived[0].packet.verify()
        report.line(
            "rawnet's decode of the first one as b got it: "
            + ("every length and checksum is right" if not problems else "; ".join(map(str, problems)))
        )
        if report.verbose:
            report.line("the first packet, as b received it:")
            report.line(str(arrived[0].packet.show(dump=True)))
            if resets:
                report.line("b's first RST:")
                report.line(str(resets[0].packet.show(dump=True)))
    connections = server.tally.connections
    report.line(f"the server in b accepted {connections} connections (its kernel knows none for them)")
    seqs = [got.packet[TCP].seq for got in resets]
    ok = len(arrived) == COUNT and len(resets) == COUNT and all(seq == 1 for seq in seqs) and connections == 0
    report.step(
        "sender",
        ok,
        f"b's kernel answered each of the {COUNT} packets with a RST (seq 1, the packets' ack): "
        f"{len(resets)} RSTs for {len(arrived)} packets",
        {"sent": COUNT, "arrived": len(arrived), "resets": len(resets), "connections": connections},
    )


def _get(
    web: WebServer, lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO
) -> None:
    from rawnet import tcp  # (the user-space TCP client)

    a, b = lab["a"], lab["b"]
    report.section(
        f"3. The post's GET done properly: a real connection a -> b:{HTTP_PORT} made by rawnet.tcp"
    )
    payload = seed_payload(b.ipv4)
    start = len(watch.packets)
    sent: list[Layer] = []

    def outgoing(packet: Layer) -> Layer:
        sent.append(packet)
        return packet

    answer = b""
    with tcp.connect(b.ipv4, HTTP_PORT, netns=a.netns, timeout=TIMEOUT, outgoing=outgoing) as connection:
        local = connection.local
        report.line(
            f"a: rawnet.tcp connected from {local[0]} port {local[1]}, an address a's kernel does not own "
            "(rawnet answers ARP for it): a's kernel never resets the connection"
        )
        connection.send(payload)
        report.line(f"a sent the post's GET ({len(payload)} bytes): {REQUEST_LINE}")
        while chunk := connection.recv(timeout=TIMEOUT):  # (b's server closes after its answer: HTTP/1.0)
            answer += chunk
        connection.close(timeout=TIMEOUT)  # (our FIN, acknowledged)
    report.sent += len(sent)
    for client, request_line, headers in web.requests:
        report.line(f"server in b: got {request_line!r} from {client}, Host: {headers.get('Host')}")
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode("latin-1")
    report.line(f"a received {len(answer)} bytes: {status!r} and {len(body)} bytes of page")

    def connection_traffic(packets: list[Received]) -> list[Received]:
        return [
            got
            for got in packets[start:]
            if TCP in got.packet and local[1] in (got.packet[TCP].sport, got.packet[TCP].dport)
        ]

    def closed(seen: list[Received]) -> bool:  # both FINs seen by b, and the last ACK
        fins = [got for got in connection_traffic(seen) if int(got.packet[TCP].flags) & 0x01]
        return len(fins) >= 2 and connection_traffic(seen)[-1] is not fins[-1]

    watch.wait(closed)
    seen = connection_traffic(list(watch.packets))
    resets = [got for got in seen if int(got.packet[TCP].flags) & 0x04]
    inbound = sum(_direction(got) == "in" for got in seen)
    report.line(
        f"rawnet.tcp sent {len(sent)} segments; b's sniffer saw {len(seen)} of this connection "
        f"({inbound} in, {len(seen) - inbound} out), {len(resets)} RSTs among them"
    )
    if report.verbose:
        for got in seen:
            report.line(f"  {_direction(got):<3} {got.packet.summary_safe()}")
    got_it = [request for request in web.requests if request[1] == REQUEST_LINE]
    ok = bool(got_it) and status.endswith(" 200 OK") and body == PAGE and not resets
    report.step(
        "get",
        ok,
        f"b's server got the post's GET and answered 200 with its {len(PAGE)}-byte page; no RST",
        {
            "source": local[0],
            "requests": len(web.requests),
            "status": status,
            "bytes": len(answer),
            "body": len(body),
            "segments_sent": len(sent),
            "seen": len(seen),
            "resets": len(resets),
        },
    )


def _client(lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO) -> None:
    b = lab["b"]
    report.section("4. The raw-socket post's TCP client, for contrast: a real connection a -> b:80")
    client_lines = io.StringIO()
    with lab.socket("a", socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect((b.ipv4, SERVER_PORT))
        tcp_exchange(sock, Output(out=client_lines), [b"hihi"], TIMEOUT)
    said = client_lines.getvalue().splitlines()
    heard = server_lines.getvalue().splitlines()
    for text in said:
        report.line(f"client in a: {text}")
    for text in heard:
        report.line(f"server in b: {text}")
    ok = f"the data received is {GREETING}" in said and any(
        text.startswith("received: hihi") for text in heard
    )
    report.step(
        "client",
        ok,
        "the handshake made a connection: the server greeted with byebye and got hihi",
        {"client": said, "server": heard},
    )


def _ping(lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO) -> None:
    a, b = lab["a"], lab["b"]
    report.section("5. Ping a -> b: ICMP and ICMPv6 echo (sr1), through r1")
    ident = random.randrange(1, 65536)
    answered = 0
    probes: list[tuple[str, Layer]] = [
        ("IPv4", IP(src=a.ipv4, dst=b.ipv4) / ICMP(id=ident, seq=1)),
        ("IPv6", IPv6(src=a.ipv6, dst=b.ipv6) / ICMPv6EchoRequest(id=ident, seq=1)),
    ]
    rtts: dict[str, float | None] = {}
    for version, probe in probes:
        results = sr(probe, netns=a.netns, timeout=TIMEOUT)  # (sr, not sr1: the pair gives the rtt)
        report.sent += 1
        rtts[version] = None
        if not results.answered:
            report.line(f"{version}: no reply from {probe.dst} within {TIMEOUT:g} s")  # type: ignore[attr-defined]
            continue
        sent, reply = results.answered[0]
        echoed = (ICMP in reply and reply[ICMP].type == 0) or ICMPv6EchoReply in reply
        kind = "echo reply" if echoed else reply.summary_safe()
        network: Any = reply[IP] if IP in reply else reply[IPv6]
        limit = f"ttl={network.ttl}" if IP in reply else f"hlim={network.hlim}"
        rtt = results.rtt(sent, reply) * 1e3
        rtts[version] = round(rtt, 3)
        report.line(f"{version}: {kind} from {network.src}: icmp_seq=1 {limit} time={rtt:.3f} ms")
        answered += echoed and str(network.src) in (b.ipv4, b.ipv6)
    report.step(
        "ping", answered == 2, "b answered both echo requests", {"answered": answered, "rtt_ms": rtts}
    )


def _traceroute(lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO) -> None:
    a, r1, b = lab["a"], lab["r1"], lab["b"]
    report.section("6. Traceroute a -> b: ICMP echo with TTL 1 and 2, sent together (sr)")
    ident = random.randrange(1, 65536)
    probes = [IP(dst=b.ipv4, ttl=ttl) / ICMP(id=ident, seq=ttl) for ttl in (1, 2)]
    results = sr(probes, netns=a.netns, timeout=TIMEOUT)
    report.sent += len(probes)
    hops = _hops(results)
    names = {r1.interfaces["a"].ipv4: "r1", b.ipv4: "b"}
    for ttl in (1, 2):
        hop = hops.get(ttl)
        if hop is None:
            report.line(f"{ttl}  *")
            continue
        source, kind, rtt = hop
        report.line(f"{ttl}  {source} ({names.get(source, '?')})  {kind}  {rtt:.3f} ms")
    expected = {1: (r1.interfaces["a"].ipv4, "time exceeded"), 2: (b.ipv4, "echo reply")}
    ok = all(hops.get(ttl, ("", "", 0.0))[:2] == want for ttl, want in expected.items())
    report.step(
        "traceroute",
        ok,
        f"hop 1 is r1 ({r1.interfaces['a'].ipv4}, TTL exceeded), hop 2 is b ({b.ipv4}, echo reply)",
        {
            "hops": {
                ttl: {"address": hop[0], "answer": hop[1], "rtt_ms": round(hop[2], 3)}
                for ttl, hop in hops.items()
            }
        },
    )


def _hops(results: Results) -> dict[int, tuple[str, str, float]]:
    """TTL -> (who answered, what, rtt ms)."""
    hops = {}
    for probe, reply in results.answered:
        icmp_type = int(reply[ICMP].type) if ICMP in reply else -1
        kind = {0: "echo reply", 11: "time exceeded"}.get(icmp_type, reply.summary_safe())
        hops[int(probe[IP].ttl)] = (str(reply[IP].src), kind, results.rtt(probe, reply) * 1e3)
    return hops


def _scan(lab: Lab, report: Report, watch: Watch, server: Server, server_lines: io.StringIO) -> None:
    a, b = lab["a"], lab["b"]
    ports = ", ".join(map(str, SCAN_PORTS))
    report.section(f"7. SYN scan of b: TCP ports {ports}")
    sport = random.randrange(40000, 60000)
    probes = IP(dst=b.ipv4) / TCP(sport=sport, dport=list(SCAN_PORTS), flags="S", seq=random.randrange(2**32))
    results = sr(probes, netns=a.netns, timeout=TIMEOUT)
    report.sent += len(SCAN_PORTS)
    states: dict[int, str] = {port: "filtered (no answer)" for port in SCAN_PORTS}
    for probe, got in results.answered:
        flags = int(got[TCP].flags) if TCP in got else 0
        port = int(probe[TCP].dport)
        if flags & 0x12 == 0x12:
            states[port] = "open (SYN-ACK)"
        elif flags & 0x04:
            states[port] = "closed (RST)"
    for port in SCAN_PORTS:
        note = "   <- the raw-socket post's server" if port == SERVER_PORT else ""
        report.line(f"{port:>5}/tcp  {states[port]}{note}")
    ok = all(states[port].startswith("open" if port == SERVER_PORT else "closed") for port in SCAN_PORTS)
    report.step(
        "scan",
        ok,
        f"port {SERVER_PORT} is open (the server listens), the others closed",
        {"ports": {port: states[port].split()[0] for port in SCAN_PORTS}},
    )


def _sniffed(report: Report, watch: Watch) -> None:
    packets = list(watch.packets)
    if not packets:
        return
    report.section(f"8. Everything b's sniffer saw ({len(packets)} packets)")
    first = packets[0].timestamp
    for got in packets:
        offset = got.timestamp - first
        text = f"{offset:9.6f} {_direction(got):<3} {got.packet.summary_safe()}"
        if report.out.json:
            record = {"type": "packet", "time": round(offset, 6), "direction": _direction(got)}
            report.out.line("", record | {"summary": got.packet.summary_safe(), "length": got.length})
        else:
            report.line(text)


def _summary(report: Report, watch: Watch, interrupted: bool, lab: Lab | None) -> None:
    seen = list(watch.packets)
    inbound = sum(_direction(got) == "in" for got in seen)
    passed = sum(step.ok for step in report.steps)
    report.section("Summary")
    report.line(
        f"rawnet crafted and sent {report.sent} packets; b's sniffer saw {len(seen)} "
        f"({inbound} in, {len(seen) - inbound} out), the kernels' answers included"
    )
    for step in report.steps:
        report.line(f"  {step.name:<11} {'ok' if step.ok else 'UNEXPECTED'}")
    verdict = "every step gave the expected answer" if passed == len(report.steps) else "some steps did not"
    if interrupted:
        verdict = "interrupted (Ctrl-C)"
    report.line(f"{passed} of {len(report.steps)} steps as expected: {verdict}")
    if lab is not None:
        report.line(f"the lab is removed ({', '.join(host.netns for host in lab.hosts.values())})")
    if report.out.json:
        report.out.line(
            "",
            {
                "type": "statistics",
                "sent": report.sent,
                "seen": len(seen),
                "seen_in": inbound,
                "seen_out": len(seen) - inbound,
                "steps": len(report.steps),
                "steps_ok": passed,
                "interrupted": interrupted,
            },
        )
