"""rawnet echo: the raw-socket post's plain UDP and TCP servers and clients, as tools and targets
for crafted packets.

Kernel sockets only (no raw socket): what a server prints is what the kernel accepted, which
makes it an independent witness of what rawnet sends. Servers say "listening on HOST:PORT" on
stderr once bound; stdout carries the raw-socket post's lines (or --json objects).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from rawnet.cli.common import ADDRESS, NO_REPLY, OK, Output, payload_from
from rawnet.errors import PrivilegeError, RawnetError

PORT = 31500  # the raw-socket post's port
GREETING = "byebye"  # what the raw-socket post's TCP server sends first
ANSWER = "hihi"  # what the raw-socket post's TCP client sends back
_BUFFER = 65535
_Command = TypeVar("_Command", bound=Callable[..., Any])


# -- shared pieces ----------------------------------------------------------------------------


def printable(data: bytes) -> str:
    """``data`` as one line of text: UTF-8 where it is, escapes (\\r, \\n, \\x00) elsewhere."""
    text = data.decode("utf-8", "backslashreplace")
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text
    )


def peer_of(address: Any) -> tuple[str, int]:
    """(host, port) of a socket address; an IPv4-mapped IPv6 address shown as the IPv4 one."""
    host, port = str(address[0]), int(address[1])
    if host.startswith("::ffff:") and "." in host:
        host = host[len("::ffff:") :]
    return host, port


def endpoint(host: str, port: int) -> str:
    """HOST:PORT, with IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _address_info(host: str, port: int, kind: int) -> tuple[int, Any]:
    family, _, _, _, address = socket.getaddrinfo(host, port, type=kind)[0]
    return family, address


def _record(kind: str, address: Any, data: bytes | None = None) -> dict[str, Any]:
    host, port = peer_of(address)
    record: dict[str, Any] = {"type": kind, "from": host, "port": port}
    if data is not None:
        record |= {"length": len(data), "data": printable(data), "hex": data.hex()}
    return record


def listen(host: str, port: int, tcp: bool, *, backlog: int = 5) -> socket.socket:
    """A bound (and, for TCP, listening) socket; errors a user can fix become one-line errors."""
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    family, address = _address_info(host, port, kind)
    sock = socket.socket(family, kind)
    try:
        if tcp:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if tcp:
            sock.listen(backlog)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRNOTAVAIL:
            raise click.BadParameter(
                f"{host} is not an address of this host (see ip addr)", param_hint="'--host'"
            ) from None
        if error.errno == errno.EADDRINUSE:
            raise click.BadParameter(
                f"{endpoint(host, port)} is in use by another socket", param_hint="'--port'"
            ) from None
        if error.errno == errno.EACCES:
            raise PrivilegeError(
                f"port {port} is below 1024: run as root (or use a port from 1024)"
            ) from None
        raise
    return sock


@dataclass
class Tally:
    """What a server got: connections (TCP), messages, bytes, and from how many peers."""

    connections: int = 0
    messages: int = 0
    bytes: int = 0
    peers: set[tuple[str, int]] = field(default_factory=set)

    def record(self, protocol: str) -> dict[str, Any]:
        return {
            "type": "statistics",
            "protocol": protocol,
            "connections": self.connections,
            "messages": self.messages,
            "bytes": self.bytes,
            "peers": len(self.peers),
        }

    def line(self, protocol: str) -> str:
        if protocol == "tcp":
            connections, messages = _plural(self.connections, "connection"), _plural(self.messages, "message")
            return f"--- {connections}, {messages} ({_plural(self.bytes, 'byte')}) ---"
        senders = _plural(len({host for host, _ in self.peers}), "host")
        return f"--- {_plural(self.messages, 'datagram')} ({_plural(self.bytes, 'byte')}) from {senders} ---"


class Server:
    """The raw-socket post's UDP or TCP server on a bound socket, grown into a tool; run() until done.

    UDP: each datagram prints ``received: DATA from (HOST, PORT)`` (echoed back with ``echo``);
    an empty datagram ends it ("client has exist", as in the raw-socket post). TCP: each connection prints
    ``got connected from (HOST, PORT)`` and gets ``greeting``; what it sends is printed (and
    echoed); many connections are served at once. ``count``: stop after that many datagrams, or
    connections ended (0: never). stop() ends run() from another thread.
    """

    def __init__(self, sock: socket.socket, out: Output, *, echo: bool, count: int, greeting: bytes) -> None:
        self.sock, self.out, self.echo, self.count, self.greeting = sock, out, echo, count, greeting
        self.tcp = sock.type == socket.SOCK_STREAM
        self.tally = Tally()
        self.ended = 0  # TCP connections that have ended
        self._wake_read, self._wake_write = socket.socketpair()
        self._done = False

    def stop(self) -> None:
        """End run() (from another thread)."""
        self._done = True
        with contextlib.suppress(OSError):  # (run() has ended and closed it)
            self._wake_write.send(b"x")

    def run(self) -> Tally:
        """Serve until count is reached, an empty datagram, or stop(); returns the tally."""
        selector = selectors.DefaultSelector()
        selector.register(self._wake_read, selectors.EVENT_READ, None)
        selector.register(self.sock, selectors.EVENT_READ, None)
        try:
            while not self._done:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_read:
                        self._done = True
                    elif not self.tcp:
                        self._datagram()
                    elif key.fileobj is self.sock:
                        self._accept(selector)
                    else:
                        self._segment(selector, key.fileobj, key.data)  # type: ignore[arg-type]
                    if self._done:
                        break
        finally:
            for key in list(selector.get_map().values()):
                if key.fileobj not in (self._wake_read, self.sock):
                    key.fileobj.close()  # type: ignore[union-attr]
            selector.close()
            self._wake_read.close()
            self._wake_write.close()
        return self.tally

    def _datagram(self) -> None:
        data, address = self.sock.recvfrom(_BUFFER)
        host, port = peer_of(address)
        if not data:
            self.out.line("client has exist", _record("end", address))
            self._done = True
            return
        self.tally.messages += 1
        self.tally.bytes += len(data)
        self.tally.peers.add((host, port))
        self.out.line(f"received: {printable(data)} from {(host, port)}", _record("datagram", address, data))
        if self.echo:
            self.sock.sendto(data, address)
        if self.count and self.tally.messages >= self.count:
            self._done = True

    def _accept(self, selector: selectors.BaseSelector) -> None:
        connection, address = self.sock.accept()
        host, port = peer_of(address)
        self.tally.connections += 1
        self.tally.peers.add((host, port))
        self.out.line(f"got connected from {(host, port)}", _record("connection", address))
        connection.settimeout(5)  # a peer that never reads cannot hold the server for long
        try:
            if self.greeting:
                connection.sendall(self.greeting)
        except OSError:
            self._closed(connection, address, reset=True)
            return
        selector.register(connection, selectors.EVENT_READ, address)

    def _segment(self, selector: selectors.BaseSelector, connection: socket.socket, address: Any) -> None:
        try:
            data = connection.recv(_BUFFER)
        except OSError:
            data, reset = b"", True
        else:
            reset = False
        if data:
            self.tally.messages += 1
            self.tally.bytes += len(data)
            line = f"received: {printable(data)} from {peer_of(address)}"
            self.out.line(line, _record("data", address, data))
            if self.echo:
                try:
                    connection.sendall(data)
                except OSError:
                    data, reset = b"", True
        if not data:
            selector.unregister(connection)
            self._closed(connection, address, reset=reset)

    def _closed(self, connection: socket.socket, address: Any, *, reset: bool) -> None:
        how = "reset by" if reset else "closed by"
        self.out.line(f"{how} {peer_of(address)}", _record("closed", address) | {"reset": reset})
        connection.close()  # (after the line: a peer that sees the close finds the line written)
        self.ended += 1
        if self.count and self.ended >= self.count:
            self._done = True


def tcp_exchange(sock: socket.socket, out: Output, messages: Iterable[bytes], timeout: float) -> int:
    """The raw-socket post's TCP client on a connected socket: print what the server sends first, send the
    messages, end the sending side, and print what comes back until the server closes.

    Returns how many pieces of data arrived.
    """
    received = 0
    peer = sock.getpeername()

    def show(data: bytes) -> None:
        out.line(f"the data received is {printable(data)}", _record("received", peer, data))

    sock.settimeout(timeout or None)
    try:
        greeting = sock.recv(_BUFFER)
    except TimeoutError:
        greeting = None  # a server that says nothing first
    if greeting:
        show(greeting)
        received += 1
    if greeting != b"":  # (b"": the server closed at once)
        for message in messages:
            sock.sendall(message)
        sock.shutdown(socket.SHUT_WR)
        while True:
            data = _receive(sock, out, ConnectionResetError, f"reset by {endpoint(*peer_of(peer))}")
            if not data:  # (None: nothing in time, or reset; b"": the server closed)
                break
            show(data)
            received += 1
    return received


def _receive(sock: socket.socket, out: Output, failure: type[OSError], note: str) -> bytes | None:
    """The next data on ``sock``; None when none came in time, or on ``failure`` (``note`` says so)."""
    try:
        return sock.recv(_BUFFER)
    except TimeoutError:
        return None
    except failure:
        out.note(note)
        return None


# -- the commands -----------------------------------------------------------------------------


def _protocol(udp: bool, tcp: bool) -> bool:
    """True for TCP; exactly one of --udp and --tcp must be given."""
    if udp == tcp:
        raise click.UsageError("give --udp or --tcp")
    return tcp


@click.group()
def echo() -> None:
    """The raw-socket post's plain UDP and TCP servers and clients, as targets for crafted packets.

    The servers use the kernel's own sockets, so what they print is what the kernel accepted:
    a crafted datagram with a wrong checksum, say, never shows up. `echo server` prints each
    datagram or connection it gets (and answers with --echo); `echo client` talks to it as the
    raw-socket post's clients do. Port 31500 and host 127.0.0.1 by default, as in the raw-socket post.

    \b
    rawnet echo server --udp --host 198.18.1.2            # prints what arrives
    echo hello | rawnet echo client --udp --host 198.18.1.2
    rawnet echo server --tcp --host 198.18.1.2 --echo
    rawnet echo client --tcp --host 198.18.1.2             # the data received is byebye
    rawnet lab exec demo b -- rawnet echo server --tcp --host 198.18.2.2 -p 80
    """


def _address_options(host: str, lowest_port: int, port: str) -> Callable[[_Command], _Command]:
    """--host and -p/--port, which the server and the client share, with their own help texts."""
    host_option = click.option("--host", type=ADDRESS, default="127.0.0.1", show_default=True, help=host)
    port_type = click.IntRange(lowest_port, 65535)
    port_option = click.option("-p", "--port", type=port_type, default=PORT, show_default=True, help=port)
    return lambda command: host_option(port_option(command))


@echo.command()
@click.option("--udp", is_flag=True, help="A UDP server (the raw-socket post's first example).")
@click.option("--tcp", is_flag=True, help="A TCP server (the raw-socket post's third example).")
@_address_options("The address to listen on (0.0.0.0 or :: for every one).", 0, "The port (0: any free one).")
@click.option("--echo", "echo_back", is_flag=True, help="Send what arrives back to its sender.")
@click.option(
    "-c",
    "--count",
    type=click.IntRange(min=0),
    default=0,
    help="Stop after COUNT datagrams (UDP) or COUNT connections ended (TCP); 0, the default, never.",
)
@click.option(
    "--greeting",
    default=GREETING,
    show_default=True,
    help="TCP: what to send each new connection first (escapes like \\r\\n work; '' for nothing).",
)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per event on stdout.")
def server(
    udp: bool, tcp: bool, host: str, port: int, echo_back: bool, count: int, greeting: str, json_lines: bool
) -> int:
    """Listen, and print every datagram (UDP) or connection and its data (TCP) that arrives.

    Once bound it prints `listening on HOST:PORT (udp|tcp)` on stderr. UDP: each datagram
    prints `received: DATA from ('HOST', PORT)` (bytes that are not text as escapes: \\r, \\n,
    \\x00); an empty datagram ends the server with `client has exist`, as in the raw-socket post. TCP:
    each connection prints `got connected from ('HOST', PORT)` and is sent the greeting
    (`byebye`, as in the raw-socket post); then each piece of data prints `received: DATA from (...)`, and
    the connection's end `closed by (...)` or `reset by (...)`. Connections are served at once,
    not one after the other. Runs until -c is reached or Ctrl-C, then prints the totals on
    stderr (with --json, a last {"type": "statistics"} object on stdout). IPv6 works: --host ::
    listens on every IPv6 and IPv4 address (IPv4 peers shown as IPv4).

    \b
    rawnet echo server --udp                          # 127.0.0.1:31500, as in the raw-socket post
    rawnet echo server --udp --host 198.18.1.2 -c 3   # three datagrams, then stop
    rawnet echo server --udp --host :: --echo         # echo, IPv6 and IPv4
    rawnet echo server --tcp --host 198.18.1.2 -p 80 --greeting 'HTTP/1.0 200 OK\\r\\n\\r\\n'
    rawnet echo server --tcp --host 198.18.1.2 --json
    """
    is_tcp = _protocol(udp, tcp)
    protocol = "tcp" if is_tcp else "udp"
    out = Output(json_lines)
    sock = listen(host, port, is_tcp)
    with sock:
        bound = peer_of(sock.getsockname())
        click.echo(f"listening on {endpoint(host, bound[1])} ({protocol})", err=True)
        serving = Server(
            sock, out, echo=echo_back, count=count, greeting=payload_from(greeting, None, None, None)
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the totals, then exit 0
            serving.run()
    _totals(out, serving.tally, protocol)
    return OK


def _totals(out: Output, tally: Tally, protocol: str) -> None:
    if out.json:
        out.line("", tally.record(protocol))
    else:
        click.echo(tally.line(protocol), err=True)


@echo.command()
@click.option("--udp", is_flag=True, help="A UDP client (the raw-socket post's second example).")
@click.option("--tcp", is_flag=True, help="A TCP client (the raw-socket post's fourth example).")
@_address_options("The server's address (or host name).", 1, "The server's port.")
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    help="Send TEXT (escapes like \\r\\n work); repeat for more. UDP default: standard input's lines.",
)
@click.option(
    "--stdin", "from_stdin", is_flag=True, help="TCP: send standard input (to its end) instead of 'hihi'."
)
@click.option(
    "-W",
    "--timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for the server's data: UDP 0 (do not wait, as in the raw-socket post), TCP 2.",
)
@click.option("--end", is_flag=True, help="UDP: send an empty datagram last (it ends an echo server).")
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per piece of data received.")
def client(
    udp: bool,
    tcp: bool,
    host: str,
    port: int,
    data: tuple[str, ...],
    from_stdin: bool,
    timeout: float | None,
    end: bool,
    json_lines: bool,
) -> int:
    """Talk to a server as the raw-socket post's clients do.

    UDP: send each line of standard input as one datagram, until an empty line or the end of
    input (as in the raw-socket post), or the --data texts; with -W, wait that long for a reply to each and
    print it as `received: DATA from ('HOST', PORT)` (exit 1 when one did not come). TCP:
    connect, print what the server sends first as `the data received is DATA` (the raw-socket post's
    line), send `hihi` (or the --data texts, or standard input with --stdin), close the
    sending side, and print what comes back until the server closes. A refused connection is
    exit 1.

    \b
    echo hello | rawnet echo client --udp --host 198.18.1.2
    rawnet echo client --udp --host 2001:db8:1::2 -d ping -W 1   # against server --echo
    rawnet echo client --udp --host 198.18.1.2 --end              # ends the server
    rawnet echo client --tcp --host 198.18.1.2                    # byebye / hihi
    rawnet echo client --tcp --host 198.18.1.2 -d 'GET / HTTP/1.0\\r\\n\\r\\n'
    """
    is_tcp = _protocol(udp, tcp)
    if from_stdin and (data or not is_tcp):
        raise click.UsageError("--stdin is for --tcp without --data (UDP reads standard input already)")
    if end and is_tcp:
        raise click.UsageError("--end is for --udp")
    out = Output(json_lines)
    given = [payload_from(text, None, None, None) for text in data]
    if is_tcp:
        messages: Iterable[bytes] = given or (_stdin_stream() if from_stdin else [ANSWER.encode()])
        family, address = _address_info(host, port, socket.SOCK_STREAM)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(5)
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            raise RawnetError(
                f"cannot connect to {endpoint(host, port)}: {error.strerror or error}"
            ) from None
        with sock:
            tcp_exchange(sock, out, messages, 2.0 if timeout is None else timeout)
        return OK
    return _udp_client(host, port, given or _stdin_lines(), timeout or 0.0, end, out)


def _stdin_lines() -> Iterator[bytes]:
    """Standard input's lines (without the newline) until an empty line or the end (the raw-socket post's)."""
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text:
            return
        yield text.encode()


def _stdin_stream() -> Iterator[bytes]:
    """Standard input's lines as they are (newlines kept), to the end: a TCP stream of them."""
    yield from sys.stdin.buffer


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _udp_client(
    host: str, port: int, messages: Iterable[bytes], timeout: float, end: bool, out: Output
) -> int:
    family, address = _address_info(host, port, socket.SOCK_DGRAM)
    sent = answered = 0
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect(address)  # replies from the server only (and ICMP errors reported)
        sock.settimeout(timeout or None)
        for message in [*messages, *([b""] if end else [])]:
            try:
                sock.send(message)
            except ConnectionRefusedError:  # the ICMP port unreachable of an earlier datagram
                sock.send(message)
            sent += 1
            if not timeout or not message:
                continue
            refused = f"{endpoint(host, port)}: port unreachable (no server there)"
            reply = _receive(sock, out, ConnectionRefusedError, refused)
            if reply is None:
                continue
            answered += 1
            host_port = peer_of(address)
            out.line(f"received: {printable(reply)} from {host_port}", _record("received", address, reply))
    out.note(f"sent {_plural(sent, 'datagram')} to {endpoint(host, port)}")
    if timeout and answered < sent - end:
        return NO_REPLY
    return OK
