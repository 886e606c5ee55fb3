"""The user-facing side of rawnet.tcp: ``connect``, ``listen`` and the connection they give.

A connection's segments are made by its machine (machine.py) and carried by a virtual host
(host.py): an address of the interface's subnet that the kernel does not own, which rawnet
answers ARP/ND for, so that the kernel never resets the connection. Hosts are shared: the
connections of one process on one interface use one host (and one address) unless told
otherwise.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from rawnet.errors import InputError, RawnetError, TCPTimeout
from rawnet.net import routes
from rawnet.tcp.host import Endpoint, Entry, Incoming, Listener, Outgoing, VirtualHost
from rawnet.tcp.machine import Config, Counters, Machine, Negotiated, State

_hosts: dict[tuple[str | None, str, str], VirtualHost] = {}
_hosts_lock = threading.Lock()
_CANDIDATES = 16  # addresses tried, from the top of the subnet down


def _address(name: str) -> str:
    """``name`` as an address: a literal as it is, a host name through getaddrinfo."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        try:
            return str(socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)[0][4][0])
        except socket.gaierror as error:
            raise InputError(f"cannot resolve {name!r}: {error.strerror}") from None


def host_for(
    dst: str | None, *, src: str | None = None, interface: str | None = None, netns: str | None = None,
    version: int = 4,
) -> tuple[VirtualHost, str]:  # fmt: skip
    """The virtual host to reach ``dst`` from (held: release it when done) and the next hop."""
    neighbour = None
    if dst is not None:
        hop = routes.next_hop(dst, netns, interface)
        if hop.local:
            raise InputError(
                f"{dst} is this machine's own address: rawnet.tcp talks to other hosts "
                "(put the server in a lab namespace: see `rawnet lab`)"
            )
        interface = hop.interface
        neighbour = hop.neighbour
        version = ipaddress.ip_address(dst).version
    if interface is None:
        raise InputError("give the interface to listen on")
    if routes.is_loopback(interface, netns):
        raise InputError(
            f"{interface} is a loopback: rawnet.tcp needs a link with neighbours (ARP/ND), "
            "such as a veth pair of a lab (`rawnet lab up`)"
        )
    with _hosts_lock:
        host = _live(netns, interface, src, version)
        if host is None:
            host = _new_host(netns, interface, src, version, neighbour)  # (held by its maker)
    return host, neighbour or ""


def _live(netns: str | None, interface: str, src: str | None, version: int) -> VirtualHost | None:
    """A running host for these (held), if there is one."""
    for (space, name, address), host in list(_hosts.items()):
        if host.closed:
            del _hosts[(space, name, address)]
            continue
        wanted = space == netns and name == interface and host.version == version and src in (None, address)
        if wanted and host.hold():
            return host
    return None


def _new_host(
    netns: str | None, interface: str, src: str | None, version: int, neighbour: str | None
) -> VirtualHost:
    owned = routes.local_addresses(netns)
    if src is not None:
        src = str(ipaddress.ip_address(src))
        if src in owned:
            raise InputError(
                f"{src} belongs to this machine's kernel, which would reset the connection: "
                "give an address of the subnet that no host uses (or none: rawnet picks one)"
            )
        host = VirtualHost(interface, src, netns=netns)
        _hosts[(netns, interface, src)] = host
        return host
    for candidate in _candidates(netns, interface, version, neighbour, owned):
        host = VirtualHost(interface, candidate, netns=netns)
        if host.probe_in_use():
            host.close()
            continue
        _hosts[(netns, interface, candidate)] = host
        return host
    raise RawnetError(f"no free address on {interface}'s subnet for rawnet.tcp: give one with src=")


def _candidates(
    netns: str | None, interface: str, version: int, neighbour: str | None, owned: set[str]
) -> list[str]:
    """Free-looking addresses of the interface's subnet, from the top down (the subnet of the
    next hop first): not the kernel's, not in its neighbour table."""
    networks = [
        each.network for each in routes.interface_networks(interface, netns) if each.version == version
    ]
    if neighbour is not None:
        networks.sort(key=lambda network: ipaddress.ip_address(neighbour) not in network)
    known = routes.neighbour_addresses(interface, netns)
    found: list[str] = []
    for network in networks:
        if network.num_addresses < 4:
            continue
        # (IPv4: below the broadcast address; IPv6: below RFC 2526's reserved anycast addresses)
        top = int(network.broadcast_address) - (1 if version == 4 else 0x81)
        for offset in range(64):
            address = str(ipaddress.ip_address(top - offset))
            if address not in owned and address not in known and address != neighbour:
                found.append(address)
                if len(found) >= _CANDIDATES:
                    return found
    return found


def _config(
    *, mss: int | None, wscale: int | None, sack: bool, timestamps: bool,
    options: Sequence[tuple[Any, Any]] | None, isn: int | None, window: int | None, rcvbuf: int,
    sndbuf: int, min_rto: float,
) -> Config:  # fmt: skip
    if wscale is not None and not 0 <= wscale <= 14:
        raise InputError(f"wscale {wscale}: window scale is 0 to 14 (RFC 7323)")
    if mss is not None and not 1 <= mss <= 0xFFFF:
        raise InputError(f"mss {mss}: 1 to 65535")
    if window is not None and not 0 <= window <= 0xFFFF:
        raise InputError(f"window {window}: the header's field holds 0 to 65535")
    if isn is not None and not 0 <= isn <= 0xFFFFFFFF:
        raise InputError(f"isn {isn}: a 32-bit number")
    if options is not None:
        from rawnet.wire import TCP

        options = list(TCP(options=list(options)).options)  # checked as the TCP layer checks them
    return Config(mss, wscale, sack, timestamps, options, isn, rcvbuf, sndbuf, window, min_rto)


def ready_to_read(machine: Machine) -> bool:
    """Whether a read would not wait: data, the peer's FIN, an error or the end."""
    return bool(machine.readable() or machine.eof or machine.error is not None or machine.closed)


class Connection:
    """A TCP connection from a virtual host: ``send``, ``recv``, ``close``, as a socket's.

    Every method may be called from any thread; the segments are sent and received by the
    host's I/O thread (the hooks run there).
    """

    def __init__(self, host: VirtualHost, entry: Entry) -> None:
        self._host = host
        self._entry = entry
        self._machine: Machine = entry.machine
        self._released = False

    # -- what it is -------------------------------------------------------------------------
    @property
    def local(self) -> tuple[str, int]:
        return (self._host.address, self._entry.endpoint.lport)

    @property
    def remote(self) -> tuple[str, int]:
        return (self._entry.endpoint.remote, self._entry.endpoint.rport)

    @property
    def state(self) -> State:
        return self._machine.state

    @property
    def negotiated(self) -> Negotiated:
        """The MSS, window scales, SACK and timestamps the handshake agreed on."""
        return self._machine.negotiated

    @property
    def counters(self) -> Counters:
        return self._machine.counters

    @property
    def mac(self) -> str:
        """The virtual host's MAC address."""
        return self._host.mac

    def __repr__(self) -> str:
        (src, sport), (dst, dport) = self.local, self.remote
        return f"<rawnet.tcp.Connection {src}:{sport} -> {dst}:{dport} {self.state.value}>"

    # -- waiting ------------------------------------------------------------------------------
    def _wait(self, ready: Any, timeout: float | None, what: str) -> None:
        """Wait (holding the host's lock) until ``ready()``; a closed host or a timeout raises."""
        deadline = None if timeout is None else time.monotonic() + timeout
        lock = self._host.lock
        while not ready():
            if self._host.closed:
                raise RawnetError("the connection's host is closed")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TCPTimeout(f"timed out after {timeout} s waiting for {what}")
            lock.wait(left)

    def _raise(self) -> None:
        error = self._machine.error
        if error is not None:
            raise type(error)(*error.args) from error.__cause__

    # -- the socket's calls ----------------------------------------------------------------------
    def send(self, data: bytes | bytearray | memoryview, timeout: float | None = None) -> int:
        """Queue all of ``data`` (waiting while the send buffer is full); returns its length."""
        view = memoryview(data).cast("B")
        machine = self._machine
        with self._host.lock:
            while view:
                self._raise()
                self._wait(lambda: machine.write_space() > 0 or machine.error is not None or machine.closed,
                           timeout, "room in the send buffer")  # fmt: skip
                self._raise()
                taken = machine.write(view)
                view = view[taken:]
                self._host.wake()
        return len(data)

    sendall = send

    def recv(self, bufsize: int = 65536, timeout: float | None = None) -> bytes:
        """Up to ``bufsize`` bytes, waiting for some; b"" once the peer closed and all was read."""
        machine = self._machine
        with self._host.lock:
            self._wait(lambda: ready_to_read(machine),
                       timeout, "data")  # fmt: skip
            data = machine.read(bufsize)
            if not data:
                self._raise()
            elif machine.ack_due:
                self._host.wake()  # a window update to send
        return data

    def recv_all(self, timeout: float | None = None) -> bytes:
        """Everything until the peer's FIN."""
        parts = []
        while chunk := self.recv(1 << 20, timeout):
            parts.append(chunk)
        return b"".join(parts)

    def close(self, timeout: float = 10.0) -> None:
        """Send FIN after the queued data and wait until the peer has acknowledged it (its own
        FIN may come later: the host answers it in TIME-WAIT)."""
        machine = self._machine
        try:
            with self._host.lock:
                if not machine.closed:
                    machine.close()
                    self._host.wake()
                    try:
                        self._wait(
                            lambda: machine.state in (State.FIN_WAIT_2, State.TIME_WAIT, State.CLOSED),
                            timeout, "the peer to acknowledge our FIN",
                        )  # fmt: skip
                    except TCPTimeout:
                        machine.abort()
                        self._host.flush(self._entry)
                        raise
        finally:
            self._release()

    def abort(self) -> None:
        """Send RST (before returning: a process may exit right after) and forget the connection."""
        with self._host.lock:
            self._machine.abort()
            self._host.flush(self._entry)
        self._release()

    def shutdown(self) -> None:
        """Half-close: send FIN after the queued data, keep receiving."""
        with self._host.lock:
            self._machine.close()
            self._host.wake()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._host.release()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        """A block that ends normally closes (FIN); one left by an exception (Ctrl-C included)
        resets the connection at once (RST) instead of waiting for the peer."""
        if self._machine.closed:
            self._release()
        elif kind is not None:
            self.abort()
        else:
            self.close()


def connect(
    dst: str,
    dport: int,
    *,
    src: str | None = None,
    sport: int | None = None,
    interface: str | None = None,
    netns: str | None = None,
    timeout: float | None = 10.0,
    isn: int | None = None,
    ttl: int = 64,
    window: int | None = None,
    mss: int | None = None,
    wscale: int | None = 7,
    sack: bool = True,
    timestamps: bool = True,
    options: Sequence[tuple[Any, Any]] | None = None,
    rcvbuf: int = 1 << 20,
    sndbuf: int = 1 << 20,
    min_rto: float = 1.0,
    outgoing: Outgoing | None = None,
    incoming: Incoming | None = None,
) -> Connection:
    """Open a TCP connection to ``dst``:``dport`` from a virtual host and return it established.

    ``src``: the virtual host's address (default: a free one of the interface's subnet, probed
    first). ``isn``, ``ttl``, ``window`` (the header's field, fixed), ``mss``, ``wscale``,
    ``sack``, ``timestamps``: what the SYN and every segment carry; ``options`` replaces the
    SYN's options verbatim, in order (scapy's pairs). ``outgoing(packet)`` sees each IP packet
    before it leaves and returns it (changed or not), None to drop it, or (packet, seconds) to
    delay it; ``incoming(packet)`` sees each one received. Raises ConnectionRefused (the port is
    closed), TCPTimeout (no answer within ``timeout``), InputError, PrivilegeError.
    """
    if not 0 < dport < 65536:
        raise InputError(f"port {dport}: 1 to 65535")
    if not 1 <= ttl <= 255:
        raise InputError(f"ttl {ttl}: 1 to 255")
    config = _config(mss=mss, wscale=wscale, sack=sack, timestamps=timestamps, options=options, isn=isn,
                     window=window, rcvbuf=rcvbuf, sndbuf=sndbuf, min_rto=min_rto)  # fmt: skip
    dst = _address(dst)
    host, neighbour = host_for(dst, src=src, interface=interface, netns=netns)
    try:
        next_mac = host.resolve(neighbour)
        lport = sport if sport is not None else host.free_port()
        machine = Machine.connect(
            config, host.version, host.mtu - (40 if host.version == 4 else 60),
            isn if isn is not None else secrets.randbits(32), time.monotonic(), secrets.randbits(32),
        )  # fmt: skip
        entry = Entry(machine, Endpoint(dst, dport, lport), next_mac, ttl, outgoing, incoming)
        host.add(entry)
    except BaseException:
        host.release()
        raise
    connection = Connection(host, entry)
    try:
        with host.lock:
            connection._wait(
                lambda: machine.state is not State.SYN_SENT, timeout, f"{dst} port {dport} to answer"
            )
            connection._raise()
    except BaseException:
        with host.lock:
            machine.abort()
        host.wake()
        connection._release()
        raise
    return connection


class Server:
    """A listening port of a virtual host; ``accept()`` gives its connections."""

    def __init__(self, host: VirtualHost, listener: Listener) -> None:
        self._host = host
        self._listener = listener

    @property
    def address(self) -> tuple[str, int]:
        return (self._host.address, self._listener.port)

    @property
    def mac(self) -> str:
        return self._host.mac

    def accept(self, timeout: float | None = None) -> Connection:
        """The next established connection (waiting up to ``timeout``)."""
        listener = self._listener
        with self._host.lock:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not listener.ready:
                if listener.closed or self._host.closed:
                    raise RawnetError("the listener is closed")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TCPTimeout(f"no connection within {timeout} s")
                self._host.lock.wait(left)
            entry = listener.ready.pop(0)
            self._host._users += 1
        return Connection(self._host, entry)

    def close(self) -> None:
        """Stop listening (connections accepted go on)."""
        with self._host.lock:
            if self._listener.closed:
                return
            self._listener.closed = True
            self._host.listeners.pop(self._listener.port, None)
            for key, entry in list(self._host.entries.items()):
                if entry.listener is self._listener and not entry.accepted:
                    del self._host.entries[key]
        self._host.release()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def listen(
    port: int,
    *,
    interface: str,
    address: str | None = None,
    netns: str | None = None,
    family: int = socket.AF_INET,
    backlog: int = 16,
    ttl: int = 64,
    window: int | None = None,
    mss: int | None = None,
    wscale: int | None = 7,
    sack: bool = True,
    timestamps: bool = True,
    options: Sequence[tuple[Any, Any]] | None = None,
    rcvbuf: int = 1 << 20,
    sndbuf: int = 1 << 20,
    min_rto: float = 1.0,
    outgoing: Outgoing | None = None,
    incoming: Incoming | None = None,
) -> Server:
    """Listen on ``port`` of a virtual host on ``interface`` (``address``, or a free one: see
    ``Server.address``); the SYN-ACK answers only the options the SYN offered, unless
    ``options`` gives them verbatim."""
    if not 0 < port < 65536:
        raise InputError(f"port {port}: 1 to 65535")
    config = _config(mss=mss, wscale=wscale, sack=sack, timestamps=timestamps, options=options, isn=None,
                     window=window, rcvbuf=rcvbuf, sndbuf=sndbuf, min_rto=min_rto)  # fmt: skip
    version = 6 if family == socket.AF_INET6 or (address and ":" in address) else 4
    host, _ = host_for(None, src=address, interface=interface, netns=netns, version=version)
    with host.lock:
        taken = host.port_in_use(port)
        if not taken:
            listener = Listener(host, port, config, ttl, backlog, outgoing, incoming)
            host.listeners[port] = listener
    if taken:
        host.release()
        raise InputError(f"port {port} of {host.address} is taken")
    return Server(host, listener)
