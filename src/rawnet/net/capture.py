"""Capture: sniff and AsyncSniffer (scapy's), on packet sockets filtered in the kernel.

Filters are tcpdump expressions compiled by libpcap (rawnet.net.bpf) and attached with
SO_ATTACH_FILTER, so the kernel drops what does not match before Python sees it. The socket
first gets a drop-everything filter and is drained before the real one goes on, so no packet
that does not match slips in (libpcap does the same). The sockets opened here are read through
a TPACKET_V3 ring (rawnet.net.ring): a block of packets per wake-up, delivered when the block
fills or after its timeout (4 ms); a caller's own socket (opened_socket) is read with recv.
A packet is copied out of the ring and decoded only when something asks for it (prn, lfilter,
store, stop_filter): counting reads the blocks' packet counts, and a sink (rawnet sniff -w) gets
each block's records as views. Each packet is decoded once, as a capture file of its interface
records it, and carries scapy's receive metadata (time, sniffed_on, direction, wirelen). An
exception in a callback ends the capture and reaches the caller. ReceivedSniffer is the same
loop giving Received records undecoded (for tools that copy bytes and need nanosecond times).
This module never writes files and never prints packets: that is the caller's.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import re
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Generic, NamedTuple, TypeVar

from rawnet.errors import InputError, RawnetError
from rawnet.net.bpf import Instructions, Matcher, attach_filter, compile_program, fix_cooked
from rawnet.net.linux import (
    ETH_P_ALL,
    ETHERNET_HATYPES,
    PACKET_STATISTICS,
    RAW_IP_HATYPES,
    SIOCETHTOOL,
    SIOCGIFNAME,
    SO_DETACH_FILTER,
    SO_RCVBUFFORCE,
    SOCKADDR_LL,
    SOL_PACKET,
    TP_STATUS_VLAN_TPID_VALID,
    TP_STATUS_VLAN_VALID,
    TPACKET3_HDR,
    TPACKET_STATS,
)
from rawnet.net.pcap import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    LINKTYPES,
    PcapReader,
    decode_link,
    stamped,
)
from rawnet.net.ring import DEFAULT_SIZE, TIMEOUT_MS, Block, Fanout, Frame, RxRing
from rawnet.net.sockets import ANCILLARY, RawSocket, Received, kernel_time, vlan_restored
from rawnet.wire import Ether, Layer, PacketList

_DROP_ALL = [(0x06, 0, 0, 0)]  # BPF_RET | BPF_K, 0: keep nothing
PACKET_ADD_MEMBERSHIP = 1  # (linux/if_packet.h)
PACKET_MR_PROMISC = 1
SIOCGIFFLAGS = 0x8913
SIOCGIWNAME = 0x8B01  # (answered by wireless interfaces only)
ETHTOOL_GLINK = 0x0000000A
IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x1, 0x8, 0x40
_NAMES_VLAN = re.compile(r"\bvlan\b")
_DRAIN = 0.5  # seconds stop() may spend on packets queued before it (a flood never drains)
_WAKE = 0.05  # seconds a reader waits before it looks at stop() and the deadline again
_NS = 1_000_000_000  # nanoseconds a second (int / int: the nearest float)

T = TypeVar("T")


class Capture(NamedTuple):
    """An open capture: the socket, what a file of it records, and the filter run here if any."""

    raw: RawSocket
    #: LINKTYPE_ETHERNET, LINKTYPE_RAW (tun, wireguard, IP tunnels) or LINKTYPE_LINUX_SLL2
    #: (every interface, or a link of another kind), as libpcap picks for tcpdump.
    linktype: int
    #: The filter for this process to run on each record (see fix_cooked), when the kernel cannot.
    keep: Callable[[bytes], bool] | None
    #: The socket's TPACKET_V3 receive ring (None: read with recv).
    ring: RxRing | None = None


def open_capture(
    interface: str | None = None,
    expression: str | None = None,
    *,
    netns: str | None = None,
    promiscuous: bool = False,
    buffer_size: int | None = None,
    ring: bool = True,
    fanout: Fanout | None = None,
    block_timeout_ms: int = TIMEOUT_MS,
) -> Capture:
    """A packet socket capturing on ``interface`` (every one when None or "any"), filtered in the kernel.

    As libpcap does: an Ethernet (or loopback) interface is captured with its link header; one
    without a link header (tun, wireguard, IP tunnels) from the IP header, as raw IP; every
    interface, and links of other kinds, through a cooked socket, recorded as Linux cooked v2.
    An expression naming ``vlan`` on Ethernet runs here, on frames with their tag put back: the
    kernel's filter would see them without it. ``promiscuous``: the interface also takes frames
    for other hosts while the socket is open (PACKET_MR_PROMISC; not on every interface at once,
    as libpcap's "any"). ``ring``: read through a TPACKET_V3 ring (rawnet.net.ring) of
    ``buffer_size`` bytes (DEFAULT_SIZE when None), whose blocks are handed over when full or
    after ``block_timeout_ms`` (packets never wait in the socket's receive buffer then); else
    ``buffer_size`` is the socket's receive
    buffer (SO_RCVBUFFORCE) and packets are read with recv. ``fanout``: share the capture with the
    other sockets of a PACKET_FANOUT group (each packet goes to one of them).
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
    rx: RxRing | None = None
    try:
        if promiscuous and not every:
            membership = struct.pack("iHH8s", raw.index_of(name), PACKET_MR_PROMISC, 0, b"")
            raw.socket.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership)
        program: Instructions | None = None
        if expression:
            compiled = compile_program(expression, linktype)  # (the link type says how to compile)
            program = compiled.get_bpf()
            if linktype == LINKTYPE_LINUX_SLL2:
                program = fix_cooked(program)
            elif linktype == LINKTYPE_ETHERNET and _NAMES_VLAN.search(expression):
                program = None  # the kernel sees frames without their tag: see vlan_restored
            if program is None:  # (libpcap too filters such a program in userland)
                keep = compiled.filter
        if ring:
            # Nothing reaches the ring before the real filter: the drop-everything one goes on
            # first, what queued before it is drained and its counts zeroed, then the ring.
            attach_filter(raw.socket, _DROP_ALL)
            _drain(raw.socket)
            statistics(raw)
            rx = RxRing(
                raw.socket, DEFAULT_SIZE if buffer_size is None else buffer_size, timeout_ms=block_timeout_ms
            )
            if fanout is not None:
                fanout.join(raw.socket)
            if program is not None:
                attach_filter(raw.socket, program)
            else:
                raw.socket.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
        else:
            if buffer_size is not None:
                set_receive_buffer(raw.socket, buffer_size)
            if fanout is not None:
                fanout.join(raw.socket)
            if program is not None:
                _drain_then_attach(raw.socket, program)
    except BaseException:
        if rx is not None:
            rx.close()
        raw.close()
        raise
    return Capture(raw, linktype, keep, rx)


def set_receive_buffer(sock: socket.socket, size: int) -> None:
    """Make ``sock``'s receive buffer ``size`` bytes (the kernel books twice that, see socket(7)):
    past net.core.rmem_max as root (SO_RCVBUFFORCE), else up to it (SO_RCVBUF)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class CaptureInterface(NamedTuple):
    """An interface a capture can name, with what tcpdump -D says of it."""

    name: str
    description: str | None
    up: bool
    running: bool
    loopback: bool
    wireless: bool
    #: The link's carrier (ETHTOOL_GLINK); None where it does not apply or the driver cannot tell.
    connected: bool | None

    def tcpdump_text(self) -> str:
        """tcpdump -D's words after the number: ``eth0 [Up, Running, Connected]``."""
        words = [
            word
            for word, on in zip(
                _FLAG_WORDS, (self.up, self.running, self.loopback, self.wireless), strict=True
            )
            if on
        ]
        status = "" if self.connected is None else (", Connected" if self.connected else ", Disconnected")
        described = f" ({self.description})" if self.description else ""
        return f"{self.name}{described} [{', '.join(words) or 'none'}{status}]"

    def merit(self) -> int:
        """libpcap's figure of merit (pcap.c): lower comes first in its list."""
        digits = re.search(r"[0-9]+$", self.name)
        merit = int(digits.group()) + 1 if digits else 0  # an instance number
        if not self.running:
            merit |= 0x80000000
        if not self.up:
            merit |= 0x40000000
        if not self.wireless and self.connected is False:
            merit |= 0x20000000
        if self.loopback:
            merit |= 0x10000000
        if self.name == "any":  # before loopback and disconnected interfaces, after the rest
            merit |= 0x08000000
        return merit


_FLAG_WORDS = ("Up", "Running", "Loopback", "Wireless")
_ANY = CaptureInterface(
    "any", "Pseudo-device that captures on all interfaces", True, True, False, False, None
)


def capture_interfaces() -> list[CaptureInterface]:
    """The interfaces of this network namespace and "any", in libpcap's order (tcpdump -D's).

    libpcap sorts by its figure of merit (up and running first, then by the number the name
    ends in, "any" after them, loopback after that, those down last), keeping the kernel's
    order between equals. libpcap's capture sources that are not interfaces (bluetooth,
    nflog, nfqueue, dbus) are not listed: rawnet does not capture on them.
    """
    found = [_ANY]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            found.append(_interface_state(sock, name))
    return sorted(found[1:] + found[:1], key=CaptureInterface.merit)


def _interface_state(sock: socket.socket, name: str) -> CaptureInterface:
    encoded = name.encode()[:15]
    try:
        reply = fcntl.ioctl(sock, SIOCGIFFLAGS, struct.pack("16sH14x", encoded, 0))
        flags = struct.unpack_from("16sH", reply)[1]
    except OSError:
        flags = 0
    try:
        fcntl.ioctl(sock, SIOCGIWNAME, struct.pack("16s16x", encoded))
        wireless = True
    except OSError:
        wireless = False
    loopback = bool(flags & IFF_LOOPBACK)
    connected: bool | None = None
    if not loopback:
        value = array.array("I", [ETHTOOL_GLINK, 0])  # struct ethtool_value
        request = struct.pack("16sP", encoded, value.buffer_info()[0]).ljust(40, b"\0")
        try:
            fcntl.ioctl(sock, SIOCETHTOOL, request)
            connected = bool(value[1])
        except OSError:  # (the driver cannot tell: libpcap says nothing either)
            connected = None
    return CaptureInterface(
        name, None, bool(flags & IFF_UP), bool(flags & IFF_RUNNING), loopback, wireless, connected
    )


def _drain_then_attach(sock: socket.socket, program: Instructions) -> None:
    """Attach ``program``, after dropping what arrived before it (nothing unfiltered slips in)."""
    attach_filter(sock, _DROP_ALL)
    _drain(sock)
    attach_filter(sock, program)


def _drain(sock: socket.socket) -> None:
    """Read and drop what the socket's queue holds."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65535)
    except BlockingIOError:
        pass
    sock.setblocking(True)


_SLL2 = struct.Struct("!HHIHBB8s")  # protocol, reserved, ifindex, hatype, pkttype, halen, address
_TAG = struct.Struct("!HH")  # an 802.1Q tag: TPID, TCI
_HEADER7 = struct.Struct(TPACKET3_HDR.format[:7])  # tpacket3_hdr up to tp_mac
_VLAN = struct.Struct("IH")  # hv1's tp_vlan_tci, tp_vlan_tpid (at byte 32 of tpacket3_hdr)
_VLAN_VALID = TP_STATUS_VLAN_VALID
_SOCKADDR_AT = 48  # TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): the sockaddr_ll after it
_OUTGOING = 4  # PACKET_OUTGOING


def _sll2_header(address: Any, index: int) -> bytes:
    """The SLL2 header of a packet a cooked socket got from ``address`` (sockaddr_ll)."""
    _, protocol, pkttype, hatype, link = address
    return _SLL2.pack(protocol, 0, index, hatype, pkttype, len(link), link[:8])


def cooked_v2(received: Received, index: int | None = None) -> bytes:
    """``received`` as a Linux cooked v2 (SLL2) capture records it: what tcpdump -i any writes.

    The link header of any interface (Ethernet, or none on tun and wireguard) becomes the SLL2
    header: protocol, interface index, ARPHRD type, packet type and source address. ``index``:
    the interface's index, when it is not this process's namespace that has it.
    """
    if received.link is None or received.interface is None:
        raise RawnetError("only a packet socket's packets have a link to record")
    data = received.data[14:] if received.start is Ether else received.data
    if index is None:
        try:
            index = socket.if_nametoindex(received.interface)
        except OSError:  # (gone since)
            index = 0
    return _sll2_header((received.interface, *received.link), index) + data


def statistics(raw: RawSocket) -> tuple[int, int]:
    """(packets, drops) the kernel counted for this socket since the last call (PACKET_STATISTICS)."""
    packets, drops = TPACKET_STATS.unpack(
        raw.socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, TPACKET_STATS.size)
    )
    return packets, drops


class _Source(NamedTuple):
    """One socket a sniffer reads, and the name its packets get (None: the interface each came in on)."""

    capture: Capture
    label: str | None
    opened: bool  # the caller's socket (opened_socket): read as it is, never closed here


Interfaces = str | Sequence[str] | Mapping[str, str] | None  #: a name, names, or names -> labels


def _named(iface: Interfaces) -> list[tuple[str | None, str | None]]:
    """(interface, label) pairs of scapy's ``iface``: a name, a list, or a dict of name -> label."""
    if iface is None or isinstance(iface, str):
        return [(iface, None)]
    if isinstance(iface, Mapping):
        return [(name, label) for name, label in iface.items()]
    return [(name, None) for name in iface]


class _Sniffer(Generic[T]):
    """The capture loop the sniffers share: sockets in, one item per packet out (see _make)."""

    _RECORDED = True  #: whether _make needs each packet as a file records it (SLL2 header and all)

    def __init__(
        self,
        iface: Interfaces,
        filter: str | None,
        *,
        count: int,
        timeout: float | None,
        stop_filter: Callable[[T], Any] | None,
        prn: Callable[[T], Any] | None,
        lfilter: Callable[[T], Any] | None,
        store: bool,
        started_callback: Callable[[], Any] | None,
        opened_socket: RawSocket | Sequence[RawSocket] | None,
        netns: str | None,
        promiscuous: bool = False,
        buffer_size: int | None = None,
        fanout: Fanout | None = None,
    ) -> None:
        self.iface, self.filter, self.count, self.timeout = iface, filter, count, timeout
        self.promiscuous, self.buffer_size, self.fanout = promiscuous, buffer_size, fanout
        self.stop_filter, self.prn, self.lfilter, self.store = stop_filter, prn, lfilter, store
        self.started_callback, self.opened_socket, self.netns = started_callback, opened_socket, netns
        self._kept: list[T] = []
        #: Packets taken (that passed the filters), and the kernel's drops once the capture ended.
        self.seen = 0
        self.drops = 0
        #: What a callback raised: the capture ended there, and join() and stop() raise it.
        self.exception: BaseException | None = None
        #: True from start() until the capture ends.
        self.running = False
        self._sources: list[_Source] | None = None
        self._indexes: dict[str, int] = {}  # interface indexes in the capture's namespace
        self._names: dict[int, str] = {}  # and their names, by index
        #: rawnet sniff -w's sink: each block's records (see ReceivedSniffer), else None.
        self._sink: Callable[[list[tuple[Any, int, int]]], Any] | None = None
        self._looped = True  # whether the sink gets outgoing packets on lo (each seen twice there)
        self._directions: frozenset[int] | None = None  # the sll_pkttypes the sink gets (None: all)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: Set when the thread's capture ended and its sockets are closed (drops counted).
        self._ended = threading.Event()

    # -- opening ---------------------------------------------------------------------------
    def _open(self) -> list[_Source]:
        if self._sources is not None:
            return self._sources
        sources: list[_Source] = []
        try:
            if self.opened_socket is not None:
                if self.filter:
                    raise InputError(
                        "filter= is for the sockets sniff opens: attach it to yours "
                        "(rawnet.net.bpf.attach_filter), or give iface= instead of opened_socket="
                    )
                given = self.opened_socket
                if isinstance(given, RawSocket):
                    given = [given]
                for raw in given:
                    sources.append(_Source(Capture(raw, _linktype_of(raw), None), None, True))
            else:
                for name, label in _named(self.iface):
                    opened = open_capture(
                        name,
                        self.filter,
                        netns=self.netns,
                        promiscuous=self.promiscuous,
                        buffer_size=self.buffer_size,
                        fanout=self.fanout,
                    )
                    sources.append(_Source(opened, label, False))
        except BaseException:
            for source in sources:
                if not source.opened:
                    source.capture.raw.close()
            raise
        self._sources = sources
        return sources

    def open(self) -> Capture:
        """Open the capture (start() does it when you have not): from here no packet is missed.

        Its ``linktype`` says what a capture file of it records (see open_capture); with
        several interfaces, the first one's.
        """
        return self._open()[0].capture

    @property
    def linktype(self) -> int:
        """What a capture file of this sniffer records (LINKTYPE_ETHERNET, _RAW or _LINUX_SLL2)."""
        kinds = {source.capture.linktype for source in self._open()}
        if len(kinds) > 1:
            raise InputError(
                f"the interfaces capture different link types ({', '.join(map(str, sorted(kinds)))}): "
                "one file of them needs pcapng"
            )
        return kinds.pop()

    def _index(self, interface: str, raw: RawSocket | None = None) -> int:
        """``interface``'s index, asked of a capture socket: it knows its namespace's ones."""
        index = self._indexes.get(interface)
        if index is None:
            if raw is None:
                raw = self._open()[0].capture.raw
            index = raw.index_of(interface) if raw.socket.fileno() >= 0 else 0
            self._indexes[interface] = index
        return index

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Open the capture and start reading in a thread; returns when packets are being captured."""
        self._open()
        self.running = True
        self._thread = threading.Thread(target=self._in_thread, name="rawnet-sniffer", daemon=True)
        self._thread.start()

    def _in_thread(self) -> None:
        try:
            self._run()
        except BaseException as error:  # (join() and stop() raise it in the caller's thread)
            self.exception = error
        finally:
            self._ended.set()

    def _run(self) -> None:
        """Read until count, timeout, stop_filter, stop() or an exception; the sockets are closed after."""
        self.running = True
        sources = self._open()
        try:
            if self.started_callback is not None:
                self.started_callback()
            self._loop(sources)
        finally:
            self.running = False
            self._close(sources)

    def _close(self, sources: list[_Source]) -> None:
        for source in sources:
            raw = source.capture.raw
            if raw.socket.fileno() < 0:
                continue
            if not source.opened:  # (the caller's socket keeps its counters, and stays open)
                ring = source.capture.ring
                if ring is not None:
                    self.drops += ring.statistics()[1]
                    ring.close()
                else:
                    self.drops += statistics(raw)[1]
                raw.close()

    def _loop(self, sources: list[_Source]) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        if sources and all(source.capture.ring is not None for source in sources):
            self._loop_rings(sources, deadline)
            return
        handle = self._handler()
        if len(sources) == 1:
            source = sources[0]
            sock = source.capture.raw.socket
            before = sock.gettimeout()
            sock.settimeout(_WAKE)  # wakes up to see stop() and the deadline
            receive, receive_only = sock.recvmsg, sock.recv
            counting = self._counting()  # (nothing to make of a packet: no time, no decoding)
            try:
                draining = False
                while True:
                    if not draining and self._stopping.is_set():
                        # stop(): what is queued on the socket already arrived, so it is taken too
                        draining = True
                        sock.setblocking(False)
                        deadline = time.monotonic() + _DRAIN
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    try:
                        if counting:
                            receive_only(65535)
                        else:
                            data, ancillary, _, address = receive(65535, ANCILLARY)
                    except TimeoutError:
                        continue
                    except BlockingIOError:
                        break  # drained
                    if counting:
                        self.seen += 1
                        if self.count and self.seen >= self.count:
                            break
                    elif handle(source, data, ancillary, address):
                        break
            finally:
                if source.opened and sock.fileno() >= 0:
                    sock.settimeout(before)
            return
        self._loop_many(sources, deadline, handle)

    def _loop_many(self, sources: list[_Source], deadline: float | None, handle: _Handler) -> None:
        """Several sockets: poll(), then one packet from each ready socket in turn."""
        poller = select.poll()
        by_descriptor = {}
        before = []
        for source in sources:
            sock = source.capture.raw.socket
            before.append(sock.gettimeout())
            sock.setblocking(False)
            poller.register(sock.fileno(), select.POLLIN)
            by_descriptor[sock.fileno()] = source
        ready: deque[_Source] = deque()
        draining = False
        try:
            while True:
                if not draining and self._stopping.is_set():
                    draining = True
                    deadline = time.monotonic() + _DRAIN
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if not ready:
                    events = poller.poll(0 if draining else _WAKE * 1000)
                    if not events and draining:
                        break  # drained
                    ready.extend(by_descriptor[descriptor] for descriptor, _ in events)
                    continue
                source = ready.popleft()
                try:
                    data, ancillary, _, address = source.capture.raw.socket.recvmsg(65535, ANCILLARY)
                except BlockingIOError:
                    continue
                ready.append(source)
                if handle(source, data, ancillary, address):
                    break
        finally:
            for source, timeout in zip(sources, before, strict=True):
                sock = source.capture.raw.socket
                if source.opened and sock.fileno() >= 0:
                    sock.settimeout(timeout)

    # -- rings -----------------------------------------------------------------------------
    def _loop_rings(self, sources: list[_Source], deadline: float | None) -> None:
        """Rings: every block ready, ring after ring, then poll() them all (waking to see stop()
        and the deadline). stop(): the blocks ready, and the one the kernel was filling, which it
        hands over within its timeout, are taken too."""
        rings = [(source, source.capture.ring) for source in sources]
        poller = select.poll()
        for _, ring in rings:
            assert ring is not None
            poller.register(ring.fileno(), select.POLLIN)
        retire = max(ring.timeout_ms for _, ring in rings if ring is not None)
        counting = self._counting()
        draining = False
        while True:
            if not draining and self._stopping.is_set():
                draining = True
                deadline = time.monotonic() + _DRAIN
            took = False
            for source, ring in rings:
                assert ring is not None
                # at most a ring's worth at a time: a flood on one never starves the others or stop()
                for _ in range(ring.blocks):
                    block = ring.ready()
                    if block is None:
                        break
                    took = True
                    try:
                        done = self._take_block(source, block, counting)
                    finally:
                        ring.release(block)
                    if done:
                        return
                    if deadline is not None and time.monotonic() >= deadline:
                        return
            if deadline is not None and time.monotonic() >= deadline:
                return
            if took:
                continue
            if draining:  # (a block being filled is handed over within its timeout)
                if not poller.poll(2 * retire + 5):
                    return
                continue
            wait = _WAKE if deadline is None else min(_WAKE, max(0.0, deadline - time.monotonic()))
            poller.poll(wait * 1000)

    def _take_block(self, source: _Source, block: Block, counting: bool) -> bool:
        """One block's packets: counted, given to the sink, or each made and taken; True to end."""
        if self._sink is not None and source.capture.keep is None:
            self.seen += block.count
            return bool(self._sink(self._records(source, block)))
        if counting:
            self.seen += block.count
            if self.count and self.seen >= self.count:
                self.seen = self.count
                return True
            return False
        return any(self._take_frame(source, frame) for frame in block.frames())

    def _take_frame(self, source: _Source, frame: Frame) -> bool:
        """A packet of a ring, copied out, its item made and taken; True when the capture is to end."""
        capture = source.capture
        data = bytes(frame.data)
        if frame.vlan is not None and capture.linktype == LINKTYPE_ETHERNET:
            data = data[:12] + _TAG.pack(*frame.vlan) + data[12:]
        name = self._name(source, frame.ifindex)
        address = (name, frame.protocol, frame.pkttype, frame.hatype, frame.address)
        recorded = data
        if capture.linktype == LINKTYPE_LINUX_SLL2 and (self._RECORDED or capture.keep is not None):
            recorded = _sll2_header(address, frame.ifindex) + data
        if capture.keep is not None and not capture.keep(recorded):
            return False
        return self._take(self._make(source, data, recorded, address, frame.timestamp_ns))

    def _name(self, source: _Source, index: int) -> str:
        """The name of the interface of ``index`` in the capture's namespace (cached)."""
        name = self._names.get(index)
        if name is None:
            raw = source.capture.raw
            name = raw.interface
            if name is None:
                request = struct.pack("16si12x", b"", index)  # struct ifreq, ifr_ifindex
                try:
                    reply = fcntl.ioctl(raw.socket, SIOCGIFNAME, request)
                    name = reply[:16].split(b"\0", 1)[0].decode()
                except OSError:  # (gone since)
                    name = str(index)
            self._names[index] = name
            self._indexes.setdefault(name, index)
        return name

    def _records(self, source: _Source, block: Block) -> list[tuple[Any, int, int]]:
        """A block's packets as a capture file records them: (data, time in ns, length on the
        wire). ``data`` is a view into the ring, valid while the sink runs (a bytes copy where a
        VLAN tag goes back in or a Linux cooked v2 header goes in front)."""
        view, at = block.view, block.first
        linktype = source.capture.linktype
        ethernet, cooked = linktype == LINKTYPE_ETHERNET, linktype == LINKTYPE_LINUX_SLL2
        header, address, tag, sll2 = _HEADER7.unpack_from, SOCKADDR_LL.unpack_from, _TAG.pack, _SLL2.pack
        directions = self._directions
        skip_lo = -1
        if not self._looped:
            skip_lo = self._indexes.get("lo") or source.capture.raw.index_of("lo")
            self._indexes["lo"] = skip_lo
        ntohs = socket.ntohs
        records: list[tuple[Any, int, int]] = []
        append = records.append
        for _ in range(block.count):
            step, sec, nsec, snaplen, length, status, mac = header(view, at)
            if directions is not None or skip_lo >= 0 or cooked:
                _, protocol, ifindex, hatype, pkttype, halen, link = address(view, at + _SOCKADDR_AT)
                if (directions is not None and pkttype not in directions) or (
                    pkttype == _OUTGOING and ifindex == skip_lo
                ):
                    at += step
                    continue
                if cooked:
                    head = sll2(ntohs(protocol), 0, ifindex, hatype, pkttype, halen, link)
                    start = at + mac
                    append((head + view[start : start + snaplen], sec * _NS + nsec, length + 20))
                    at += step
                    continue
            start = at + mac
            if ethernet and status & _VLAN_VALID:
                tci, tpid = _VLAN.unpack_from(view, at + 32)
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                data = bytes(view[start : start + 12]) + tag(tpid, tci) + view[start + 12 : start + snaplen]
                append((data, sec * _NS + nsec, length + 4))
            else:
                append((view[start : start + snaplen], sec * _NS + nsec, length))
            at += step
        return records

    def _counting(self) -> bool:
        """Whether packets are only counted: nothing is asked of them (kept, shown, tested)."""
        asked = self.store or self.prn or self.stop_filter or self.lfilter
        return not asked and not any(source.capture.keep for source in self._open())

    def _handler(self) -> _Handler:
        """What is done with each packet read: counted only, when nothing else is asked for."""
        if not self._counting():
            return self._handle

        def count(source: _Source, data: bytes, ancillary: Any, address: Any) -> bool:
            self.seen += 1
            return bool(self.count and self.seen >= self.count)

        return count

    def _handle(
        self, source: _Source, data: bytes, ancillary: list[tuple[int, int, bytes]], address: Any
    ) -> bool:
        """One packet read: its item made and taken; True when the capture is to end."""
        capture = source.capture
        data = vlan_restored(data, ancillary)
        recorded = data
        if capture.linktype == LINKTYPE_LINUX_SLL2 and not source.opened:
            index = self._index(address[0], capture.raw)  # (kept for record(), after the socket closes)
            if self._RECORDED or capture.keep is not None:
                recorded = _sll2_header(address, index) + data
        if capture.keep is not None and not capture.keep(recorded):
            return False
        return self._take(self._make(source, data, recorded, address, kernel_time(ancillary)))

    def _make(self, source: _Source, data: bytes, recorded: bytes, address: Any, stamp: int) -> T:
        """The item a packet read gives (a decoded packet, or a Received)."""
        raise NotImplementedError

    def _take(self, item: T) -> bool:
        """lfilter, store, prn and the end conditions, as scapy's sniff: True when the capture is to end."""
        if self.lfilter is not None and not self.lfilter(item):
            return False
        self.seen += 1
        if self.store:
            self._kept.append(item)
        if self.prn is not None:
            shown = self.prn(item)
            if shown is not None:
                print(shown)
        return bool(
            (self.count and self.seen >= self.count)
            or (self.stop_filter is not None and self.stop_filter(item))
        )

    def _wait(self, timeout: float | None) -> None:
        if self._thread is not None and self._thread.ident is not None:  # (started)
            # An Event, not Thread.join: on CPython 3.11, a Ctrl-C that interrupts join() can
            # mark the thread as stopped while it still runs (threading's bpo-45274 handling),
            # and every later join() would return before the capture drained and counted drops.
            self._ended.wait(timeout)
        if self.exception is not None:
            raise self.exception

    def _stop(self) -> None:
        self._stopping.set()
        if self._thread is None and self._sources is not None:  # opened, never started
            self._close(self._sources)


_Handler = Callable[[_Source, bytes, Any, Any], bool]


def _linktype_of(raw: RawSocket) -> int:
    """The link type a socket the caller opened gives (its packets are decoded from the socket's view)."""
    if raw.family == socket.AF_PACKET and raw.mode == "l2" and raw.interface:
        hatype = raw.socket.getsockname()[3]
        if hatype in ETHERNET_HATYPES:
            return LINKTYPE_ETHERNET
        if hatype in RAW_IP_HATYPES:
            return LINKTYPE_RAW
    if raw.family == socket.AF_PACKET:
        return LINKTYPE_LINUX_SLL2
    return LINKTYPE_RAW


Offline = str | os.PathLike[str] | IO[bytes] | Iterable[Any]  #: files, or packets (see AsyncSniffer)


class AsyncSniffer(_Sniffer[Layer]):
    """Capture in a background thread (scapy's AsyncSniffer); start() returns once capturing.

    The arguments are scapy's sniff()'s, in its order (see sniff). Results: ``results``, a
    PacketList named "Sniffed" that grows as packets come; ``stop()`` ends the capture and
    returns it (with the packets already queued on the socket), ``join()`` waits for the end.
    An exception raised by ``prn``, ``lfilter``, ``stop_filter`` or ``started_callback`` ends
    the capture; ``join()`` and ``stop()`` raise it (it is also ``exception``). ``running``
    says whether it still captures; ``seen`` counts the packets taken, ``drops`` what the
    kernel dropped.
    """

    def __init__(
        self,
        count: int = 0,
        store: bool = True,
        offline: Offline | None = None,
        quiet: bool = False,
        prn: Callable[[Layer], Any] | None = None,
        lfilter: Callable[[Layer], Any] | None = None,
        L2socket: object | None = None,  # (scapy's name)
        timeout: float | None = None,
        opened_socket: RawSocket | Sequence[RawSocket] | None = None,
        stop_filter: Callable[[Layer], Any] | None = None,
        iface: Interfaces = None,
        started_callback: Callable[[], Any] | None = None,
        session: object | None = None,
        *,
        filter: str | None = None,
        monitor: bool | None = None,
        netns: str | None = None,
        fanout: Fanout | None = None,
    ) -> None:
        _refuse(L2socket=L2socket, session=session, monitor=monitor)
        if offline is not None and (iface is not None or opened_socket is not None):
            raise InputError("offline= reads files or packets: iface= and opened_socket= do not go with it")
        super().__init__(
            iface,
            filter,
            count=count,
            timeout=timeout,
            stop_filter=stop_filter,
            prn=prn,
            lfilter=lfilter,
            store=store,
            started_callback=started_callback,
            opened_socket=opened_socket,
            netns=netns,
            fanout=fanout,
        )
        self.offline, self.quiet = offline, quiet
        #: The packets kept (store=True), as they come: a PacketList named "Sniffed", as scapy's.
        self.results = PacketList(name="Sniffed")
        self._kept = self.results.res

    def _make(self, source: _Source, data: bytes, recorded: bytes, address: Any, stamp: int) -> Layer:
        if source.opened:  # (the caller's socket: decoded from its own view, as recv() does)
            raw = source.capture.raw
            packet = raw._received(data, address, stamp).packet
            sniffed_on = source.label or (address[0] if raw.family == socket.AF_PACKET else None)
            direction = address[2] if raw.family == socket.AF_PACKET else None
            return stamped(packet, stamp / _NS, sniffed_on, direction, len(data))
        return stamped(
            decode_link(source.capture.linktype, recorded),
            stamp / _NS,
            source.label or address[0],
            address[2],
            len(recorded),
        )

    def _open(self) -> list[_Source]:
        if self.offline is not None:
            return []
        return super()._open()

    def open(self) -> Capture:
        """Open the capture (start() does it when you have not): from here no packet is missed."""
        if self.offline is not None:
            raise InputError("an offline sniffer reads files or packets: it opens no capture")
        return super().open()

    def _run(self) -> None:
        if self.offline is None:
            super()._run()
            return
        self.running = True
        try:
            if self.started_callback is not None:
                self.started_callback()
            self._read_offline()
        finally:
            self.running = False

    def _read_offline(self) -> None:
        """Files or packets instead of sockets: the same filter (libpcap's), callbacks and ends."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        keep = Matcher(self.filter) if self.filter else None
        for linktype, data, packet in _offline_packets(self.offline):
            if self._stopping.is_set() or (deadline is not None and time.monotonic() >= deadline):
                break
            if keep is not None and not keep(linktype, data):
                continue
            if self._take(packet):
                break

    def join(self, timeout: float | None = None) -> PacketList:
        """Wait for the capture to end by itself (at most ``timeout`` seconds); returns the results.

        Raises what a callback raised, if one did.
        """
        self._wait(timeout)
        return self.results

    def stop(self, join: bool = True) -> PacketList:
        """End the capture; returns the results, those already queued on the socket included.

        Raises what a callback raised, if one did. ``join=False``: returns at once.
        """
        self._stop()
        if join:
            self._wait(None)
        return self.results


def _offline_packets(offline: Offline | None) -> Iterator[tuple[int, bytes, Layer]]:
    """(link type, bytes, packet) of sniff's offline source, scapy's meanings: a file name, a
    list of file names or a dict of file name -> label (each packet's sniffed_on is its file's
    label: the name, as scapy's), or packets (a list, a PacketList, a packet), each decoded
    again from its bytes as a capture would show it, with its metadata kept."""
    if offline is None:
        return
    if isinstance(offline, str | os.PathLike) or hasattr(offline, "read"):
        files: Mapping[Any, str] | None = {offline: _file_label(offline)}
    elif isinstance(offline, Mapping):
        files = offline
    elif isinstance(offline, Sequence) and offline and all(isinstance(x, str | os.PathLike) for x in offline):
        files = {name: _file_label(name) for name in offline}
    else:
        files = None
    if files is not None:
        for name, label in files.items():
            with PcapReader(name) as reader:
                for record in reader.records():
                    packet = record.packet
                    packet.sniffed_on = label
                    yield record.linktype, record.data, packet
        return
    packets: Iterable[Any] = [offline] if isinstance(offline, Layer | bytes) else offline  # type: ignore[assignment]
    for given in packets:
        for one in [given] if isinstance(given, bytes) else given:
            yield _replayed(one)


def _file_label(source: Any) -> str:
    return (
        os.fspath(source) if isinstance(source, str | os.PathLike) else str(getattr(source, "name", source))
    )


def _replayed(packet: Layer | bytes) -> tuple[int, bytes, Layer]:
    """A packet given to sniff(offline=...): decoded from its bytes, as a capture would show it."""
    if isinstance(packet, bytes):
        return LINKTYPE_ETHERNET, packet, Ether.decode(packet, lenient=True)  # (bytes: a frame, as wrpcap)
    data = bytes(packet)
    again = type(packet).decode(data, lenient=True)
    when = time.time() if packet.time is None else packet.time  # (built here: captured now)
    stamped(again, when, packet.sniffed_on, packet.direction, packet.wirelen or len(data))
    return LINKTYPES.get(type(packet), LINKTYPE_ETHERNET), data, again


def _refuse(*, L2socket: object | None, session: object | None, monitor: bool | None) -> None:
    """scapy's arguments rawnet does not have, each refused with what to do instead."""
    if L2socket is not None:
        raise InputError(
            "L2socket= is not supported: rawnet opens its own packet sockets; give iface=, "
            "or opened_socket=RawSocket.l2(...) for a socket of your own"
        )
    if session is not None:
        raise InputError(
            "session= is not supported: sniff gives packets as captured; reassemble IP fragments "
            "with rawnet.defragment() on the results"
        )
    if monitor:
        raise InputError("monitor= is not supported: put the interface in monitor mode with `iw` first")


def sniff(
    count: int = 0,
    store: bool = True,
    offline: Offline | None = None,
    quiet: bool = False,
    prn: Callable[[Layer], Any] | None = None,
    lfilter: Callable[[Layer], Any] | None = None,
    L2socket: object | None = None,  # (scapy's name)
    timeout: float | None = None,
    opened_socket: RawSocket | Sequence[RawSocket] | None = None,
    stop_filter: Callable[[Layer], Any] | None = None,
    iface: Interfaces = None,
    started_callback: Callable[[], Any] | None = None,
    session: object | None = None,
    *,
    filter: str | None = None,
    monitor: bool | None = None,
    netns: str | None = None,
    fanout: Fanout | None = None,
) -> PacketList:
    """Capture packets in this thread and return them as a PacketList named "Sniffed" (scapy's sniff).

    Until ``count`` packets (0: no limit), ``timeout`` seconds, ``stop_filter(packet)`` true,
    or Ctrl-C (the packets so far are returned). ``iface``: an interface, a list of them, or a
    dict of interface -> label; None or "any": every interface (packets then start with a Linux
    cooked v2 header, as tcpdump -i any records them). ``filter``: a tcpdump expression, run by
    the kernel. ``lfilter(packet)``: a Python filter after it. ``prn(packet)`` is called for
    each packet kept; what it returns, unless None, is printed. ``store=False`` keeps nothing
    (flat memory). Each packet is the decoded packet, with ``time`` (the kernel's receive time),
    ``sniffed_on`` (its interface, or its label), ``direction`` (sll_pkttype: 0 to this host,
    4 sent by it, ...) and ``wirelen``. ``offline``: a capture file, a list of files, a dict of
    file -> label, or packets, read instead of capturing (``filter`` then runs in libpcap's
    interpreter). ``opened_socket``: a RawSocket (or a list) to read instead of opening one.
    ``started_callback()`` runs once capturing. An exception raised by a callback ends the
    capture and is raised here. ``netns``: capture in that network namespace (rawnet's).
    ``fanout``: share the capture with the other sockets (of any process) of a PACKET_FANOUT
    group, each packet going to one of them (rawnet.net.ring.Fanout). The sockets sniff opens
    are read through a TPACKET_V3 ring (32 MiB): a packet comes within 4 ms (the ring's block
    timeout), and ``drops`` (AsyncSniffer) counts what the kernel lost when the ring was full.
    ``quiet`` is accepted and changes nothing; ``L2socket``, ``session`` and ``monitor`` are
    refused with what to do instead.
    """
    sniffer = AsyncSniffer(
        count,
        store,
        offline,
        quiet,
        prn,
        lfilter,
        L2socket,
        timeout,
        opened_socket,
        stop_filter,
        iface,
        started_callback,
        session,
        filter=filter,
        monitor=monitor,
        netns=netns,
        fanout=fanout,
    )
    with contextlib.suppress(KeyboardInterrupt):  # (Ctrl-C: the packets so far, as scapy's)
        sniffer._run()
    return sniffer.results


_DIRECTIONS: dict[str, frozenset[int] | None] = {
    "inout": None,
    "in": frozenset({0, 1, 2, 3}),
    "out": frozenset({_OUTGOING}),
}


class ReceivedSniffer(_Sniffer[Received]):
    """AsyncSniffer's capture loop giving the socket's Received records: bytes, nanosecond times,
    link details (for record()), the packet decoded only when asked for. For tools such as
    ``rawnet sniff`` that copy bytes to files; scripts want AsyncSniffer's packets.
    ``promiscuous``, ``buffer_size`` (bytes: the ring's) and ``fanout``: see open_capture.

    ``sink(records)``: instead of a Received per packet, each block of the ring at once, as a
    list of (data, time in ns, length on the wire) that a capture file records (the Linux
    cooked v2 header in front on every interface, VLAN tags put back); the data are views into
    the ring, valid only while ``sink`` runs. It returns True to end the capture. Then
    ``looped=False`` leaves out outgoing packets on lo (each would come twice, as libpcap
    skips them), ``direction`` "in" or "out" keeps the packets received or sent only; prn,
    lfilter, stop_filter and store do not apply.
    """

    _RECORDED = False

    def __init__(
        self,
        iface: Interfaces = None,
        filter: str | None = None,
        *,
        count: int = 0,
        timeout: float | None = None,
        stop_filter: Callable[[Received], Any] | None = None,
        prn: Callable[[Received], Any] | None = None,
        lfilter: Callable[[Received], Any] | None = None,
        store: bool = True,
        started_callback: Callable[[], Any] | None = None,
        netns: str | None = None,
        promiscuous: bool = False,
        buffer_size: int | None = None,
        fanout: Fanout | None = None,
        sink: Callable[[list[tuple[Any, int, int]]], Any] | None = None,
        looped: bool = True,
        direction: str = "inout",
    ) -> None:
        super().__init__(
            iface,
            filter,
            count=count,
            timeout=timeout,
            stop_filter=stop_filter,
            prn=prn,
            lfilter=lfilter,
            store=store,
            started_callback=started_callback,
            opened_socket=None,
            netns=netns,
            promiscuous=promiscuous,
            buffer_size=buffer_size,
            fanout=fanout,
        )
        #: The records kept (store=True), as they come.
        self.results = self._kept
        self._sink, self._looped = sink, looped
        self._directions = _DIRECTIONS[direction]

    def _make(self, source: _Source, data: bytes, recorded: bytes, address: Any, stamp: int) -> Received:
        return source.capture.raw._received(data, address, stamp)

    def record(self, received: Received) -> bytes:
        """``received`` as a capture file of this sniffer's link type holds it."""
        if self.linktype != LINKTYPE_LINUX_SLL2:
            return received.data
        return cooked_v2(received, self._index(received.interface or ""))

    def join(self, timeout: float | None = None) -> list[Received]:
        """Wait for the capture to end by itself; returns the records kept (raises what a callback raised)."""
        self._wait(timeout)
        return self.results

    def stop(self) -> list[Received]:
        """End the capture; returns the records kept, those already queued on the socket included."""
        self._stop()
        self._wait(None)
        return self.results
