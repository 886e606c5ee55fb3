"""Capture: sniff and AsyncSniffer, on packet sockets filtered in the kernel.

Filters are tcpdump expressions compiled by libpcap (rawnet.net.bpf) and attached with
SO_ATTACH_FILTER, so the kernel drops what does not match before Python sees it. The socket
first gets a drop-everything filter and is drained before the real one goes on, so no packet
that does not match slips in (libpcap does the same). Packets are read with plain recv on an
AF_PACKET socket: delivered at once, no ring block timeout to wait for.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from rawnet.errors import RawnetError
from rawnet.net.bpf import Instructions, attach_filter, compile_program, fix_cooked
from rawnet.net.linux import (
    ETH_P_ALL,
    ETHERNET_HATYPES,
    PACKET_STATISTICS,
    RAW_IP_HATYPES,
    SOL_PACKET,
    TPACKET_STATS,
)
from rawnet.net.pcap import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW
from rawnet.net.sockets import ANCILLARY, RawSocket, Received, kernel_time, vlan_restored
from rawnet.wire import Ether

_DROP_ALL = [(0x06, 0, 0, 0)]  # BPF_RET | BPF_K, 0: keep nothing
_NAMES_VLAN = re.compile(r"\bvlan\b")
_DRAIN = 0.5  # seconds stop() may spend on packets queued before it (a flood never drains)


class Capture(NamedTuple):
    """An open capture: the socket, what a file of it records, and the filter run here if any."""

    raw: RawSocket
    #: LINKTYPE_ETHERNET, LINKTYPE_RAW (tun, wireguard, IP tunnels) or LINKTYPE_LINUX_SLL2
    #: (every interface, or a link of another kind), as libpcap picks for tcpdump.
    linktype: int
    #: The filter for this process to run on each record (see fix_cooked), when the kernel cannot.
    keep: Callable[[bytes], bool] | None


def open_capture(
    interface: str | None = None, expression: str | None = None, *, netns: str | None = None
) -> Capture:
    """A packet socket capturing on ``interface`` (every one when None or "any"), filtered in the kernel.

    As libpcap does: an Ethernet (or loopback) interface is captured with its link header; one
    without a link header (tun, wireguard, IP tunnels) from the IP header, as raw IP; every
    interface, and links of other kinds, through a cooked socket, recorded as Linux cooked v2.
    An expression naming ``vlan`` on Ethernet runs here, on frames with their tag put back: the
    kernel's filter would see them without it.
    """
    every = interface in (None, "", "any")
    name = "" if every else str(interface)  # "": unbound, every interface
    raw = None if every else RawSocket.l2(name, ETH_P_ALL, netns=netns)
    hatype = None if raw is None else raw.socket.getsockname()[3]  # sockaddr_ll's ARPHRD type
    if raw is not None and hatype in ETHERNET_HATYPES:
        linktype = LINKTYPE_ETHERNET
    elif raw is not None and hatype in RAW_IP_HATYPES:
        linktype = LINKTYPE_RAW
    else:
        if raw is not None:
            raw.close()
        raw = RawSocket.l2_cooked(name, ETH_P_ALL, netns=netns)
        linktype = LINKTYPE_LINUX_SLL2
    keep = None
    try:
        if expression:
            compiled = compile_program(expression, linktype)  # (the link type says how to compile)
            program = compiled.get_bpf()
            if linktype == LINKTYPE_LINUX_SLL2:
                program = fix_cooked(program)
            elif linktype == LINKTYPE_ETHERNET and _NAMES_VLAN.search(expression):
                program = None  # the kernel sees frames without their tag: see vlan_restored
            if program is None:  # (libpcap too filters such a program in userland)
                keep = compiled.filter
            else:
                _drain_then_attach(raw.socket, program)
    except BaseException:
        raw.close()
        raise
    return Capture(raw, linktype, keep)


def _drain_then_attach(sock: socket.socket, program: Instructions) -> None:
    """Attach ``program``, after dropping what arrived before it (nothing unfiltered slips in)."""
    attach_filter(sock, _DROP_ALL)
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65535)
    except BlockingIOError:
        pass
    sock.setblocking(True)
    attach_filter(sock, program)


_SLL2 = struct.Struct("!HHIHBB8s")  # protocol, reserved, ifindex, hatype, pkttype, halen, address


def cooked_v2(received: Received, index: int | None = None) -> bytes:
    """``received`` as a Linux cooked v2 (SLL2) capture records it: what tcpdump -i any writes.

    The link header of any interface (Ethernet, or none on tun and wireguard) becomes the SLL2
    header: protocol, interface index, ARPHRD type, packet type and source address. ``index``:
    the interface's index, when it is not this process's namespace that has it.
    """
    if received.link is None or received.interface is None:
        raise RawnetError("only a packet socket's packets have a link to record")
    protocol, pkttype, hatype, address = received.link
    data = received.data[14:] if received.start is Ether else received.data
    if index is None:
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
        self._capture: Capture | None = None
        self._indexes: dict[str, int] = {}  # interface indexes in the capture's namespace
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> Capture:
        """Open the capture (start() does it when you have not): from here no packet is missed.

        Its ``linktype`` says what a capture file of it records (see open_capture).
        """
        if self._capture is None:
            self._capture = open_capture(self.iface, self.filter, netns=self.netns)
        return self._capture

    @property
    def linktype(self) -> int:
        """What a capture file of this sniffer records (LINKTYPE_ETHERNET, _RAW or _LINUX_SLL2)."""
        return self.open().linktype

    def record(self, received: Received) -> bytes:
        """``received`` as a capture file of this sniffer's link type holds it."""
        if self.linktype != LINKTYPE_LINUX_SLL2:
            return received.data
        return cooked_v2(received, self._index(received.interface or ""))

    def _index(self, interface: str) -> int | None:
        """``interface``'s index, asked of the capture's socket: it knows its namespace's ones."""
        index = self._indexes.get(interface)
        raw = self.open().raw
        if index is None and raw.socket.fileno() >= 0:
            index = self._indexes[interface] = raw.index_of(interface)
        return index

    def start(self) -> None:
        """Open the capture and start reading; returns when packets are being captured."""
        capture = self.open()
        self._thread = threading.Thread(target=self._run, args=(capture,), name="rawnet-sniffer", daemon=True)
        self._thread.start()

    def _run(self, capture: Capture) -> None:
        raw, keep = capture.raw, capture.keep
        indexes = self._indexes if capture.linktype == LINKTYPE_LINUX_SLL2 else None
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        counting = not (self.store or self.prn or self.stop_filter or keep)  # nothing to make of a packet
        receive = raw.socket.recvfrom
        receive_timed = raw.socket.recvmsg
        wrap = raw._received
        with raw:
            raw.socket.settimeout(0.05)  # wakes up to see stop() and the deadline
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
                if counting:
                    self.seen += 1
                    if self.count and self.seen >= self.count:
                        break
                    continue
                received = wrap(vlan_restored(data, ancillary), address, kernel_time(ancillary))
                if indexes is not None and address[0] not in indexes:
                    self._index(address[0])  # (for record(), once the socket is closed)
                if keep is not None and not keep(self.record(received)):
                    continue
                self.seen += 1
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
        if self._thread is None and self._capture is not None:  # opened, never started
            self._capture.raw.close()
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
