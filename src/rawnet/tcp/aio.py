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
from collections.abc import Callable
from typing import Any

from rawnet.errors import RawnetError
from rawnet.tcp.connection import Connection, Server, connect, listen, ready_to_read


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

    def _watch(self) -> tuple[asyncio.Future[None], Callable[[], None]]:
        """A future the host's thread resolves after its next batch of frames or timers; made
        while the caller holds the host's lock, right after finding nothing to do, so that no
        batch can come between the look and the watch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_settle, future)

        self.connection._host.watchers.append(wake)
        return future, wake

    async def _wait(self, future: asyncio.Future[None], wake: Callable[[], None]) -> None:
        host = self.connection._host
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
                if host.closed:
                    raise RawnetError("the connection's host is closed")
                taken = machine.write(view) if machine.write_space() else 0
                view = view[taken:]
                if taken:
                    host.wake()
                if not view:
                    break
                watch = self._watch()
            await self._wait(*watch)
        return len(data)

    async def recv(self, bufsize: int = 65536) -> bytes:
        """Up to ``bufsize`` bytes; b"" once the peer closed and everything was read."""
        machine = self.connection._machine
        host = self.connection._host
        while True:
            with host.lock:
                if ready_to_read(machine):
                    data = machine.read(bufsize)
                    if not data:
                        self.connection._raise()
                    elif machine.ack_due:
                        host.wake()
                    return data
                if host.closed:
                    raise RawnetError("the connection's host is closed")
                watch = self._watch()
            await self._wait(*watch)

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
