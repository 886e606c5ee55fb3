"""rawnet http: one HTTP/1.1 request over rawnet's own TCP (rawnet.tcp), with curl's habits.

The HTTP protocol is h11's (it does no I/O); this module moves h11's bytes over a rawnet.tcp
connection and prints: the body on stdout (or in -o's file), -v's segment lines and headers on
stderr. It never opens a kernel TCP socket.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import click
import h11

import rawnet
from rawnet.cli.common import ADDRESS, NO_REPLY, OK
from rawnet.cli.tcpdumpfmt import Stamper
from rawnet.wire import Layer
from rawnet.wire.tcpdump import Conversations, relative_sequences

if TYPE_CHECKING:
    from rawnet.tcp import Connection

HTTP_PORT = 80
#: curl's Content-Type for -d and --data-binary.
FORM = "application/x-www-form-urlencoded"
_READ = 65536  # bytes asked of each recv()


@dataclass(frozen=True)
class Target:
    """Where a URL points: the address connected to, its port, the Host header and the request target."""

    address: str
    port: int
    host: str  # as the URL writes it, port included: "[2001:db8::2]:8080"
    path: str  # path and query: "/x?y=1"

    @property
    def where(self) -> str:
        """The server as error messages name it."""
        return f"{self.address} port {self.port}"


def parse_url(url: str) -> Target:
    """``url``'s target; a usage error (click.BadParameter) for anything but an http URL whose host
    is an IPv4 address, a bracketed IPv6 address, or a name that resolves (getaddrinfo)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise click.BadParameter(f"{url!r}: https is not supported (rawnet http speaks plain HTTP only)")
    if scheme != "http" or not parts.netloc:
        raise click.BadParameter(f"{url!r}: not an http URL (http://HOST[:PORT]/PATH)")
    host = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        raise click.BadParameter(f"{url!r}: user names and passwords in URLs are not supported")
    if host.count(":") > 1 and not host.startswith("["):
        raise click.BadParameter(f"{url!r}: an IPv6 address is written in brackets: http://[2001:db8::2]/")
    try:
        port = parts.port or HTTP_PORT
    except ValueError:
        raise click.BadParameter(f"{url!r}: the port is not a number from 1 to 65535") from None
    name = parts.hostname or ""
    if not name:
        raise click.BadParameter(f"{url!r}: no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(resolve(name, port), port, host, path)


def resolve(name: str, port: int) -> str:
    """``name``'s address: itself if an address, else getaddrinfo's first (a usage error if none)."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise click.BadParameter(
            f"{name!r} is not an address, and no host has that name ({reason})"
        ) from None
    return str(found[0][4][0])


def request_headers(target: Target, given: tuple[str, ...], body: bytes | None) -> list[tuple[str, str]]:
    """The request's headers: rawnet's (Host, User-Agent, Accept, Connection: close, and with a
    body Content-Type and Content-Length), each ``-H 'Name: value'`` replacing the one of its name
    or added after them; ``-H 'Name:'`` removes it (curl's rules)."""
    headers: list[tuple[str, str]] = [
        ("Host", target.host),
        ("User-Agent", f"rawnet/{rawnet.__version__}"),
        ("Accept", "*/*"),
        ("Connection", "close"),
    ]
    if body is not None:
        headers += [("Content-Type", FORM), ("Content-Length", str(len(body)))]
    for text in given:
        name, colon, value = text.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            raise click.BadParameter(f"{text!r} is not a header: give 'Name: value'", param_hint="-H")
        replaced = [index for index, (known, _) in enumerate(headers) if known.lower() == name.lower()]
        if replaced:
            headers[replaced[0]] = (name, value)
        else:
            headers.append((name, value))
    return [(name, value) for name, value in headers if value]


def body_from(data: str | None, binary: str | None) -> bytes | None:
    """The request body of ``-d DATA`` (``@FILE``: its content without CR and LF, as curl) or
    ``--data-binary DATA`` (``@FILE``: its bytes as they are; ``@-``: standard input); None for none."""
    if data is not None and binary is not None:
        raise click.UsageError("give the body one way: -d or --data-binary")
    text, option = (data, "-d") if data is not None else (binary, "--data-binary")
    if text is None:
        return None
    if not text.startswith("@"):
        return text.encode()
    path = text[1:]
    try:
        if path == "-":
            content = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                content = file.read()
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=option) from None
    return content.replace(b"\r", b"").replace(b"\n", b"") if option == "-d" else content


class Failed(click.ClickException):
    """The connection or the response failed: one line, exit 1 (NO_REPLY)."""

    exit_code = NO_REPLY


def close_after_response(connection: Connection, target: Target, timeout: float) -> None:
    """Close after a complete response: a close that fails then (no FIN acknowledged in time, a
    RST) leaves the response as good as it came, so it is a remark on stderr, not an error."""
    try:
        connection.close(timeout=timeout)
    except (TimeoutError, ConnectionResetError) as error:
        click.echo(
            f"rawnet http: the response is complete, but the connection to {target.where} "
            f"did not close cleanly ({error})",
            err=True,
        )


class SegmentLog:
    """-v: each segment sent and received as ``rawnet sniff`` prints it (tcpdump -n's line after
    its time stamp, sequence numbers relative to the connection's first), and the request's and
    response's heads as curl -v shows them (``> `` and ``< ``); all on stderr, one line at a time
    (the hooks run in rawnet.tcp's threads)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._stamper = Stamper()
        self._conversations = Conversations()

    def segment(self, packet: Layer, timestamp_ns: int) -> None:
        with self._lock, relative_sequences(self._conversations):
            self._write(self._stamper(timestamp_ns) + packet.summary_safe())

    def outgoing(self, packet: Layer) -> Layer:
        """rawnet.tcp's outgoing hook: the segment is shown and sent as it is."""
        self.segment(packet, time.time_ns())
        return packet

    def incoming(self, packet: Layer) -> None:
        """rawnet.tcp's incoming hook."""
        captured = getattr(packet, "time", None)
        self.segment(packet, int(captured * 1e9) if captured else time.time_ns())

    def head(self, mark: str, first: str, headers: list[tuple[str, str]]) -> None:
        with self._lock:
            for text in (first, *(f"{name}: {value}" for name, value in headers), ""):
                self._write(f"{mark} {text}".rstrip())


@dataclass
class Exchange:
    """One request and its response over a connection, through h11. The request's bytes are made
    first (``request``): a header h11 refuses is a usage error before any packet is sent."""

    target: Target
    timeout: float
    output: Callable[[], BinaryIO]  # opened when the response's head has come
    log: SegmentLog | None = None
    client: h11.Connection = field(default_factory=lambda: h11.Connection(our_role=h11.CLIENT))
    wire: bytes = b""  # the request, as sent
    head: tuple[str, list[tuple[str, str]]] = ("", [])  # its request line and headers (for -v)

    def request(self, method: str, headers: list[tuple[str, str]], body: bytes | None) -> None:
        try:
            self.wire = (
                self.client.send(h11.Request(method=method, target=self.target.path, headers=headers)) or b""
            )
        except h11.LocalProtocolError as error:
            raise click.UsageError(f"the request cannot be sent: {error}") from None
        if body:
            self.wire += self.client.send(h11.Data(data=body)) or b""
        self.wire += self.client.send(h11.EndOfMessage()) or b""
        self.head = (f"{method} {self.target.path} HTTP/1.1", headers)

    def run(self, connection: Connection) -> None:
        """Send the request, write the response's body as it comes, return at its end."""
        if self.log is not None:
            self.log.head(">", *self.head)
        connection.send(self.wire)
        out: BinaryIO | None = None
        while True:
            try:
                event = self.client.next_event()
            except h11.RemoteProtocolError as error:
                raise Failed(
                    f"{self.target.where}'s response is not HTTP/1.1, or was cut short: {error}"
                ) from None
            if event is h11.NEED_DATA:
                self.client.receive_data(connection.recv(_READ, timeout=self.timeout))
            elif isinstance(event, h11.Response):
                if self.log is not None:
                    first = f"HTTP/{event.http_version.decode()} {event.status_code} {event.reason.decode()}"
                    self.log.head(
                        "<", first, [(n.decode(), v.decode("latin-1")) for n, v in event.headers.raw_items()]
                    )
                out = self.output()
            elif isinstance(event, h11.Data) and out is not None:
                out.write(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                if out is not None:
                    out.flush()
                return


_HELP = """Send one HTTP/1.1 request over rawnet's own TCP and write the response's body to stdout.

The connection is rawnet.tcp's: a user-space TCP client whose segments rawnet builds and sends
itself, from a source address in the interface's subnet that the kernel does not own (rawnet
answers ARP and ND for it), so the kernel never resets the connection. The request has Host,
User-Agent rawnet/VERSION, Accept */* and Connection: close; -H adds a header or replaces one
of these ('Name:' removes it). Responses may have a Content-Length, be chunked, or end when the
server closes. URLs are http only: http://198.18.2.2:8080/x, http://[2001:db8:2::2]/x, or a
host name that resolves. Exit 0 once the whole body has come (whatever the HTTP status, as
curl); 1 when the connection is refused, reset or times out, or the answer is not HTTP; 2 for
a usage error; 3 without CAP_NET_RAW.

\b
rawnet http GET http://198.18.2.2:8080/file -o file        # the body into a file
rawnet http GET http://198.18.2.2/ -v                      # each segment as tcpdump prints it
rawnet http POST http://198.18.2.2/form -d 'a=1&b=2'
rawnet http PUT http://[2001:db8:2::2]/x --data-binary @blob -H 'Content-Type: image/png'
rawnet http GET http://198.18.2.2/ --mss 536 --wscale 0 --no-sack --no-timestamps --isn 1
"""


@click.command(help=_HELP, context_settings={"max_content_width": 100})
@click.argument("method")
@click.argument("url")
@click.option("-o", "--output", "output", metavar="FILE", help="Write the body to FILE (default: stdout).")
@click.option(
    "-v", "--verbose", is_flag=True, help="Each segment as a tcpdump line, and the heads, on stderr."
)
@click.option("-H", "--header", "headers", metavar="'NAME: VALUE'", multiple=True, help="A request header.")
@click.option(
    "-d", "--data", "data", metavar="DATA", help="A request body (@FILE: the file's, CR and LF left out)."
)
@click.option("--data-binary", metavar="DATA", help="A request body (@FILE: the file's bytes; @-: stdin).")
@click.option("-i", "--interface", metavar="IFACE", help="The interface (default: the route's).")
@click.option(
    "-S",
    "--source",
    type=ADDRESS,
    metavar="ADDR",
    help="The source address: one in the interface's subnet that the kernel does not own "
    "(default: one rawnet picks).",
)
@click.option("--sport", type=click.IntRange(1, 65535), help="The source port (default: a random one).")
@click.option(
    "--ttl", type=click.IntRange(1, 255), default=64, show_default=True, help="IPv4 TTL / IPv6 hop limit."
)
@click.option(
    "--mss", type=click.IntRange(1, 65535), help="The SYN's MSS option (default: the route's MTU's)."
)
@click.option(
    "--wscale", type=click.IntRange(0, 14), default=7, show_default=True, help="The SYN's window scale shift."
)
@click.option("--no-sack", is_flag=True, help="No SACK-permitted option in the SYN.")
@click.option("--no-timestamps", is_flag=True, help="No timestamps option in the SYN.")
@click.option(
    "--isn", type=click.IntRange(0, 2**32 - 1), help="The initial sequence number (default: random)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="S",
    help="Seconds the handshake, and each wait for the response's bytes, may take.",
)
def http(
    method: str,
    url: str,
    output: str | None,
    verbose: bool,
    headers: tuple[str, ...],
    data: str | None,
    data_binary: str | None,
    interface: str | None,
    source: str | None,
    sport: int | None,
    ttl: int,
    mss: int | None,
    wscale: int,
    no_sack: bool,
    no_timestamps: bool,
    isn: int | None,
    timeout: float,
) -> int:
    """rawnet http: see _HELP (the --help text, and docs/cli.md)."""
    try:
        target = parse_url(url)
    except click.BadParameter as error:
        error.param_hint = "URL"
        raise
    body = body_from(data, data_binary)
    log = SegmentLog(lambda text: click.echo(text, err=True)) if verbose else None
    opened: list[BinaryIO] = []

    def open_output() -> BinaryIO:
        if output is None:
            return sys.stdout.buffer
        try:
            opened.append(open(output, "wb"))  # noqa: SIM115 (closed below, however the run ends)
        except OSError as error:
            raise click.BadParameter(f"cannot write {output}: {error.strerror}", param_hint="-o") from None
        return opened[0]

    exchange = Exchange(target, timeout, open_output, log)
    exchange.request(method, request_headers(target, headers, body), body)
    from rawnet import tcp  # (imported on use: the command's --help needs no sockets)

    options: dict[str, Any] = {
        "src": source,
        "sport": sport,
        "interface": interface,
        "timeout": timeout,
        "isn": isn,
        "ttl": ttl,
        "mss": mss,
        "wscale": wscale,
        "sack": not no_sack,
        "timestamps": not no_timestamps,
    }
    if log is not None:
        options.update(outgoing=log.outgoing, incoming=log.incoming)
    stage = "connecting to"
    try:
        connection = tcp.connect(target.address, target.port, **options)
        try:
            stage = "waiting for the response of"
            exchange.run(connection)
        except BaseException:
            connection.abort()  # (a RST: nothing is left waiting on either side, and rawnet ends at once)
            raise
        close_after_response(connection, target, timeout)
    except ConnectionRefusedError:
        raise Failed(f"connection refused by {target.where} (is a server listening there?)") from None
    except ConnectionResetError:
        raise Failed(f"connection reset by {target.where} ({stage} it)") from None
    except TimeoutError:
        raise Failed(f"timed out {stage} {target.where} (no answer in {timeout:g} s)") from None
    finally:
        for file in opened:
            file.close()
    return OK
