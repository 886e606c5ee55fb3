"""The asyncio form of rawnet.tcp: the same connections, awaited instead of waited for.

The host's I/O thread does the work as for the blocking form; a coroutine waiting for data or
room registers a future that the thread resolves (``loop.call_soon_threadsafe``) when it has
handled a batch of frames. Opening (route lookups, the address probe, ARP/ND, the handshake)
runs in a worker thread: the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from rawnet.tcp.connection import Connection, Server, connect, listen


class AsyncConnection:
    """``await conn.send(data)``, ``await conn.recv(n)``, ``await conn.close()``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def local(self) -> tuple[str, int]:
        return self.connection.local

    @property
    def remote(self) -> tuple[str, int]:
        return self.connection.remote

    @property
    def negotiated(self) -> Any:
        return self.connection.negotiated

    async def _changed(self) -> None:
        """Return after the host's thread next handled frames or timers for anyone."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        host = self.connection._host

        def wake() -> None:
            loop.call_soon_threadsafe(_settle, future)

        with host.lock:
            host.watchers.append(wake)
        try:
            await future
        finally:
            with host.lock, contextlib.suppress(ValueError):
                host.watchers.remove(wake)

    async def send(self, data: bytes | bytearray | memoryview) -> int:
        """Queue all of ``data``, awaiting room in the send buffer."""
        view = memoryview(data).cast("B")
        machine = self.connection._machine
        host = self.connection._host
        while view:
            with host.lock:
                self.connection._raise()
                taken = machine.write(view) if machine.write_space() else 0
                view = view[taken:]
                if taken:
                    host.wake()
                if not view:
                    break
            await self._changed()
        return len(data)

    async def recv(self, bufsize: int = 65536) -> bytes:
        """Up to ``bufsize`` bytes; b"" once the peer closed and everything was read."""
        machine = self.connection._machine
        host = self.connection._host
        while True:
            with host.lock:
                if machine.readable() or machine.eof or machine.error is not None or machine.closed:
                    data = machine.read(bufsize)
                    if not data:
                        self.connection._raise()
                    elif machine.ack_due:
                        host.wake()
                    return data
                if host.closed:
                    from rawnet.errors import RawnetError

                    raise RawnetError("the connection's host is closed")
            await self._changed()

    async def close(self, timeout: float = 10.0) -> None:
        await asyncio.to_thread(self.connection.close, timeout)

    def abort(self) -> None:
        self.connection.abort()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is None:
            await self.close()
        else:
            self.abort()


class AsyncServer:
    """A listening port; ``await server.accept()`` gives AsyncConnections."""

    def __init__(self, server: Server) -> None:
        self.server = server

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    async def accept(self, timeout: float | None = None) -> AsyncConnection:
        return AsyncConnection(await asyncio.to_thread(self.server.accept, timeout))

    def close(self) -> None:
        self.server.close()


async def open_connection(dst: str, dport: int, **options: Any) -> AsyncConnection:
    """``rawnet.tcp.connect``'s asyncio form (the same keywords)."""
    return AsyncConnection(await asyncio.to_thread(functools.partial(connect, dst, dport, **options)))


async def start_listening(port: int, **options: Any) -> AsyncServer:
    """``rawnet.tcp.listen``'s asyncio form (the same keywords)."""
    return AsyncServer(await asyncio.to_thread(functools.partial(listen, port, **options)))


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
