"""User-space TCP over raw sockets: connections the kernel never resets, every segment yours.

>>> from rawnet import tcp                                    # doctest: +SKIP
>>> with tcp.connect("198.18.1.2", 80) as conn:
...     conn.send(b"GET / HTTP/1.0\\r\\n\\r\\n")
...     page = conn.recv_all()

``connect`` and ``listen`` (``open_connection`` and ``start_listening`` for asyncio) run the
connection from a *virtual host*: an address of the interface's subnet that the kernel does
not own, with a MAC of its own, for which rawnet answers ARP and Neighbour Discovery. The
kernel drops the host's frames before its TCP sees them, so it never sends a stray RST, and
nothing is added to its firewall or neighbour tables.
"""

from rawnet.errors import ConnectionClosed, ConnectionRefused, ConnectionReset, TCPError, TCPTimeout
from rawnet.tcp.aio import AsyncConnection, AsyncServer, open_connection, start_listening
from rawnet.tcp.connection import Connection, Server, connect, listen
from rawnet.tcp.machine import Config, Counters, Machine, Negotiated, Segment, State

__all__ = [
    "AsyncConnection",
    "AsyncServer",
    "Config",
    "Connection",
    "ConnectionClosed",
    "ConnectionRefused",
    "ConnectionReset",
    "Counters",
    "Machine",
    "Negotiated",
    "Segment",
    "Server",
    "State",
    "TCPError",
    "TCPTimeout",
    "connect",
    "listen",
    "open_connection",
    "start_listening",
]
