"""Capture: tcpdump filter expressions compiled by libpcap and run by the kernel, sniff, AsyncSniffer.

Filters are compiled by libpcap itself (pcapy-ng's compile: a real BPF compiler) and attached
with SO_ATTACH_FILTER, so the kernel drops what does not match before Python sees it. The socket
first gets a drop-everything filter and is drained before the real one goes on, so no packet
that does not match slips in (libpcap does the same). Packets are read with plain recv on an
AF_PACKET socket: delivered at once, no ring block timeout to wait for.
"""

from __future__ import annotations

import ctypes
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import pcapy

from rawnet.errors import InputError, RawnetError
from rawnet.net.linux import ETH_P_ALL, ETHERNET_HATYPES, PACKET_STATISTICS, SOL_PACKET, TPACKET_STATS
from rawnet.net.pcap import LINKTYPE_ETHERNET
from rawnet.net.sockets import ANCILLARY, RawSocket, Received, kernel_time

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)  # asm-generic/socket.h
_INSTRUCTION = struct.Struct("HBBI")  # struct sock_filter: code, jt, jf, k
_DROP_ALL = [(0x06, 0, 0, 0)]  # BPF_RET | BPF_K, 0: keep nothing
_DRAIN = 0.5  # seconds stop() may spend on packets queued before it (a flood never drains)


class FilterError(InputError):
    """A filter expression libpcap does not accept (its message says why)."""


def compile_filter(
    expression: str, linktype: int = LINKTYPE_ETHERNET, snaplen: int = 262144
) -> list[tuple[int, int, int, int]]:
    """The classic BPF program of a tcpdump expression, as (code, jt, jf, k) instructions."""
    try:
        program = pcapy.compile(linktype, snaplen, expression, 1, 0xFFFFFFFF)
    except pcapy.PcapError as error:
        raise FilterError(f"filter {expression!r}: {error}") from None
    instructions: list[tuple[int, int, int, int]] = program.get_bpf()
    return instructions


def attach_filter(sock: socket.socket, instructions: list[tuple[int, int, int, int]]) -> None:
    """Attach a BPF program to a socket (SO_ATTACH_FILTER; the kernel copies it)."""
    code = b"".join(_INSTRUCTION.pack(*instruction) for instruction in instructions)
    buffer = ctypes.create_string_buffer(code)
    program = struct.pack("HL", len(instructions), ctypes.addressof(buffer))  # struct sock_fprog
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, program)


def open_capture(
    interface: str | None = None, expression: str | None = None, *, netns: str | None = None
) -> RawSocket:
    """An AF_PACKET socket capturing on ``interface`` (all when None), filtered in the kernel."""
    program = compile_filter(expression) if expression else None
    raw = RawSocket.l2(interface or "", ETH_P_ALL, netns=netns)  # "": every interface
    raw.interface = interface
    if program is not None:
        attach_filter(raw.socket, _DROP_ALL)
        raw.socket.setblocking(False)
        try:
            while True:
                raw.socket.recv(65535)  # what arrived before the filter went on
        except BlockingIOError:
            pass
        raw.socket.setblocking(True)
        attach_filter(raw.socket, program)
    return raw


_SLL2 = struct.Struct("!HHIHBB8s")  # protocol, reserved, ifindex, hatype, pkttype, halen, address


def cooked_v2(received: Received) -> bytes:
    """``received`` as a Linux cooked v2 (SLL2) capture records it: what tcpdump -i any writes.

    The link header of any interface (Ethernet, or none on tun and wireguard) becomes the SLL2
    header: protocol, interface index, ARPHRD type, packet type and source address.
    """
    if received.link is None or received.interface is None:
        raise RawnetError("only a packet socket's packets have a link to record")
    protocol, pkttype, hatype, address = received.link
    data = received.data[14:] if hatype in ETHERNET_HATYPES else received.data
    try:
        index = socket.if_nametoindex(received.interface)
    except OSError:  # (gone since)
        index = 0
    return _SLL2.pack(protocol, 0, index, hatype, pkttype, len(address), address[:8]) + data


def statistics(raw: RawSocket) -> tuple[int, int]:
    """(packets, drops) the kernel counted for this socket since the last call (PACKET_STATISTICS)."""
    packets, drops = TPACKET_STATS.unpack(
        raw.socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, TPACKET_STATS.size)
    )
    return packets, drops


class AsyncSniffer:
    """Capture in a background thread; start() returns once the socket is capturing.

    ``count`` packets, ``timeout`` seconds, or until ``stop_filter(received)`` is true or stop()
    is called. ``prn(received)`` is called for each packet; packets are kept only with
    ``store=True`` (so a long capture with store=False runs in flat memory).
    """

    def __init__(
        self,
        iface: str | None = None,
        filter: str | None = None,
        *,
        count: int = 0,
        timeout: float | None = None,
        stop_filter: Callable[[Received], bool] | None = None,
        prn: Callable[[Received], Any] | None = None,
        store: bool = True,
        netns: str | None = None,
    ) -> None:
        self.iface, self.filter, self.count, self.timeout = iface, filter, count, timeout
        self.stop_filter, self.prn, self.store, self.netns = stop_filter, prn, store, netns
        self.results: list[Received] = []
        self.seen = 0
        self.drops = 0
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open the capture and start reading; returns when packets are being captured."""
        self._thread = threading.Thread(target=self._run, name="rawnet-sniffer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            raw = open_capture(self.iface, self.filter, netns=self.netns)
        except BaseException as error:  # reported by start()
            self.error = error
            self._ready.set()
            return
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        counting = not (self.store or self.prn or self.stop_filter)  # nothing to make of a packet
        receive = raw.socket.recvfrom
        receive_timed = raw.socket.recvmsg
        wrap = raw._received
        with raw:
            raw.socket.settimeout(0.05)  # wakes up to see stop() and the deadline
            self._ready.set()
            draining = False
            while True:
                if not draining and self._stopping.is_set():
                    # stop(): what is queued on the socket already arrived, so it is taken too
                    draining = True
                    raw.socket.setblocking(False)
                    deadline = time.monotonic() + _DRAIN
                if deadline is not None and time.monotonic() >= deadline:
                    break
                try:
                    if counting:
                        receive(65535)
                    else:
                        data, ancillary, _, address = receive_timed(65535, ANCILLARY)
                except TimeoutError:
                    continue
                except BlockingIOError:
                    break  # drained
                self.seen += 1
                if counting:
                    if self.count and self.seen >= self.count:
                        break
                    continue
                received = wrap(data, address, kernel_time(ancillary))
                if self.store:
                    self.results.append(received)
                if self.prn is not None:
                    self.prn(received)
                if (self.count and self.seen >= self.count) or (
                    self.stop_filter is not None and self.stop_filter(received)
                ):
                    break
            self.drops = statistics(raw)[1]

    def join(self, timeout: float | None = None) -> list[Received]:
        """Wait for the capture to end by itself; returns the packets kept."""
        if self._thread is not None and self._thread.ident is not None:  # (started)
            self._thread.join(timeout)
        return self.results

    def stop(self) -> list[Received]:
        """End the capture; returns the packets kept, those already queued on the socket included."""
        self._stopping.set()
        return self.join()


def sniff(
    iface: str | None = None,
    filter: str | None = None,
    *,
    count: int = 0,
    timeout: float | None = None,
    stop_filter: Callable[[Received], bool] | None = None,
    prn: Callable[[Received], Any] | None = None,
    store: bool = True,
    netns: str | None = None,
) -> list[Received]:
    """Capture in the foreground until ``count``, ``timeout`` or ``stop_filter`` (scapy's sniff)."""
    sniffer = AsyncSniffer(
        iface,
        filter,
        count=count,
        timeout=timeout,
        stop_filter=stop_filter,
        prn=prn,
        store=store,
        netns=netns,
    )
    sniffer.start()
    try:
        return sniffer.join()
    except KeyboardInterrupt:
        return sniffer.stop()
