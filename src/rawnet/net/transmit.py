"""The line-rate transmit engine: a stream of same-sized frames sent as fast as the kernel takes
them, or paced to a rate, by worker processes that each own a socket (sendmmsg) or a TX ring.

It sends only the frames the stream makes, only through the interface and namespace it is given;
it never builds or changes a frame (layer 3 reads each packet's destination address, nothing
else), never drops a refused packet without counting it, and never leaves a worker behind.

A *stream* is any object with ``frame_size`` (every frame's length), ``count`` (None: endless),
``layer2`` (True: Ethernet frames; False: IPv4 or IPv6 packets) and ``frames(start, n)``, which
returns frames ``start .. start+n-1`` as an (n, frame_size) C-contiguous uint8 array. A stream
that also has ``frames_into(out, start)`` (write frames start.. into ``out``, an (n, frame_size)
uint8 array whose rows may lie apart) is filled in place: straight into the ring's slots, or
into sendmmsg's one preallocated block. That saves a copy (and an allocation) per frame: 3-5 %
of the rate with 1500-byte frames into a sink that does not read them.

How it sends:

- ``method="mmsg"``: ``sendmmsg(2)`` through ctypes, 512 frames a call, with preallocated
  ``mmsghdr`` and ``iovec`` arrays; per block only the iovecs' base pointers are rewritten (one
  numpy operation) to point into the block ``frames()`` returned. Layer 2: an AF_PACKET socket
  bound to the interface (protocol 0: it receives nothing). Layer 3: an IPPROTO_RAW socket
  (AF_INET, IP_HDRINCL; or AF_INET6; the family is the first packet's), each message's
  ``msg_name`` the destination read from its packet (IPv4 bytes 16..20, IPv6 bytes 24..40);
  the kernel fills an IPv4 header's total length and checksum (raw(7)), so a packet built right
  leaves unchanged. A refused packet is counted in ``errors`` and skipped, the first refusal's
  text kept; that includes ENOBUFS, a full queue that dropped it (a veth says so when its peer's
  backlog is full): it is not sent again, as a wire would not carry it either. SO_SNDTIMEO
  timeouts (a full socket buffer) are waited out, not counted.
- ``method="ring"`` (layer 2 only): a PACKET_MMAP TX ring (TPACKET_V2) of 4096 slots. 2048
  frames at a time are copied into the slots with one numpy assignment, their ``tp_status`` set
  to TP_STATUS_SEND_REQUEST together, and one blocking ``send()`` flushes them; it returns once
  the kernel has handed every frame back (TP_STATUS_AVAILABLE). ENOBUFS there leaves the frame
  queued in the ring and the flush is tried again, 100 µs later, as long as frames leave; after
  20 attempts in a row that send nothing (a queue that keeps dropping), the frames left in the
  flush are dropped and counted in ``errors``, as a frame the kernel refuses
  (TP_STATUS_WRONG_FORMAT) is, with the frames behind it in that flush, which the kernel
  abandons. Frames longer than the interface's MTU plus an Ethernet header are refused before
  anything is sent (PacketTooBigError), with either method.
- ``method="auto"``: layer 3 is always mmsg. Layer 2 is mmsg on a veth and the ring on any other
  interface (its driver's name, from ethtool's GDRVINFO). Measured here against trafgen (2
  vCPUs, 60- and 1500-byte frames, 1 and 2 workers against --cpus 1 and 2, qdisc bypassed as
  trafgen does, medians of 3 interleaved runs): into a veth pair with a queue per core, whose
  transmit runs the receiving stack inside the sender's call, mmsg made 1.08-1.16x trafgen's
  rate and the ring 0.93-0.95x; into an ifb sink with a queue per core, which drops at once (as
  a NIC's queue takes a frame), the ring made 0.97-1.02x and mmsg 0.82-0.91x, with a stream
  that has frames_into; with frames() alone the ring made 0.92-1.0x with one worker and 0.66-
  0.94x with two (the extra copy and allocation, 1500-byte frames worst).

Workers: ``workers`` processes are forked, each with its own socket (and ring), pinned to a CPU
of their own when there are several. The stream is dealt in blocks (512 frames for mmsg, 2048
for the ring) round-robin: worker w sends blocks w, w+N, w+2N, ..., so every frame index is
sent once, by one worker, in order within its block, whether or not the stream ends. A paced
run keeps one schedule for the whole stream (index i due at t0 + i/rate) and each worker sends
its blocks when they fall due: the rate is split evenly on average, and the total is exact
however the blocks fall. Counters live in an anonymous shared mapping the parent reads for
``progress``; the clock starts once every worker is ready.

Pacing is by deadline on an absolute schedule: burst j of ``burst`` packets is due at
t0 + j*burst/rate, so the average rate is exact however late one send is; the sender sleeps
while the next deadline is more than 200 µs away and spins for the rest. A sender behind its
schedule sends everything due, a block at a time (catching up at full speed). Measured by the
receiving veth's counters, paced runs kept within 0.5 % of the rate from 1 k to 600 k packets/s.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import math
import mmap
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rawnet.errors import InputError, PacketTooBigError, RawnetError
from rawnet.net.linux import (
    ETHTOOL_DRVINFO_SIZE,
    ETHTOOL_GDRVINFO,
    PACKET_QDISC_BYPASS,
    PACKET_TX_RING,
    PACKET_VERSION,
    PR_SET_PDEATHSIG,
    SIOCETHTOOL,
    SIOCGIFMTU,
    SOL_PACKET,
    TIMEVAL,
    TP_STATUS_AVAILABLE,
    TP_STATUS_SEND_REQUEST,
    TP_STATUS_SENDING,
    TP_STATUS_WRONG_FORMAT,
    TPACKET2_HDR_ALIGNED,
    TPACKET_REQ,
    TPACKET_V2,
    UIO_MAXIOV,
)
from rawnet.net.sockets import RawSocket, send_error

Frames = npt.NDArray[np.uint8]

#: Frames per sendmmsg call or ring flush, by method, and so per block dealt to a worker.
BLOCK = {"mmsg": 512, "ring": 2048}
assert BLOCK["mmsg"] <= UIO_MAXIOV
_SPIN_NS = 200_000  # closer than this to a deadline, the sender spins instead of sleeping
_NAP = 0.05  # the longest sleep: a stop request is seen within it
_SEND_TIMEOUT = 0.2  # SO_SNDTIMEO: a blocked send returns this often to look at the stop flag
_GRACE_NS = 10_000_000  # a paced run with a duration may end this late (a sender behind its schedule)
_ETHERNET_HEADER = 14
_STATUS_MASK = TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT
_METHODS = ("auto", "ring", "mmsg")
#: A ring flush that ends with one of these is tried again (a full queue, a send timeout).
_RETRY = (errno.ENOBUFS, errno.EAGAIN, errno.EINTR, errno.ETIMEDOUT)
_FRUITLESS = 20  # a ring flush answered ENOBUFS this often in a row without a frame leaving: dropped
_BACKOFF = 0.0001  # seconds between those attempts

#: struct iovec and struct mmsghdr (struct msghdr + msg_len) on 64-bit Linux.
_IOVEC = np.dtype({"names": ["base", "len"], "formats": [np.uint64, np.uint64], "itemsize": 16})
_MMSGHDR = np.dtype(
    {
        "names": ["name", "namelen", "iov", "iovlen", "control", "controllen", "flags", "len"],
        "formats": [np.uint64, np.uint32, np.uint64, np.uint64, np.uint64, np.uint64, np.int32, np.uint32],
        "offsets": [0, 8, 16, 24, 32, 40, 48, 56],
        "itemsize": 64,
    }
)
#: sockaddr_in (16 bytes, address at 4) and sockaddr_in6 (28 bytes, address at 8); where a
#: packet's destination address sits in its header.
_SOCKADDR: dict[int, tuple[int, slice, slice]] = {
    socket.AF_INET: (16, slice(4, 8), slice(16, 20)),
    socket.AF_INET6: (28, slice(8, 24), slice(24, 40)),
}

_libc = ctypes.CDLL(None, use_errno=True)
_sendmmsg = _libc.sendmmsg
_sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
_sendmmsg.restype = ctypes.c_int
_send = _libc.send
_send.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_send.restype = ctypes.c_ssize_t
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong]
_prctl.restype = ctypes.c_int


class Stream(Protocol):
    """What transmit() sends: same-sized frames made in blocks (see the module's docstring)."""

    @property
    def frame_size(self) -> int: ...
    @property
    def count(self) -> int | None: ...
    @property
    def layer2(self) -> bool: ...
    def frames(self, start: int, n: int) -> Frames: ...


class StopFlag(Protocol):
    """A threading.Event, or anything with is_set()."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Counters:
    """The run so far, summed over the workers: packets sent, packets refused, seconds since start."""

    sent: int
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Packets sent per second so far."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class Report:
    """How a run went: packets sent and refused, its length, the achieved rate and how it sent."""

    #: Packets the kernel took.
    sent: int
    #: Packets refused (the kernel's errors, ENOBUFS drops included; see the module's docstring).
    errors: int
    #: From the first send's deadline to the last worker's end.
    seconds: float
    #: sent / seconds.
    rate: float
    #: "ring" or "mmsg".
    method: str
    workers: int
    #: The first refusal's text (a rawnet SendError's message), None when nothing was refused.
    error: str | None = None
    #: The run was ended by a stop request or SIGINT before its limits.
    interrupted: bool = False


def transmit(
    stream: Stream,
    *,
    interface: str | None = None,
    netns: str | None = None,
    rate: float | None = None,
    burst: int = 1,
    count: int | None = None,
    duration: float | None = None,
    workers: int = 1,
    method: str = "auto",
    qdisc_bypass: bool = False,
    progress: Callable[[Counters], None] | None = None,
    stop: StopFlag | None = None,
) -> Report:
    """Send ``stream``'s frames from index 0 on, until ``count`` (or the stream's own count),
    ``duration`` seconds, ``stop`` or SIGINT; returns the Report.

    ``interface``: layer 2, the interface an AF_PACKET socket is bound to (required); layer 3,
    an optional SO_BINDTODEVICE. ``netns``: the network namespace the sockets are opened in.
    ``rate``: packets per second in total (None: as fast as possible), ``burst`` packets back to
    back per deadline. With a rate, ``duration`` means the packets whose deadlines fall inside it
    (ceil(duration * rate)), so a paced run's count is exact. ``workers``: processes sending
    disjoint blocks of the stream. ``method``: "auto", "mmsg" or "ring" (see the module's
    docstring). ``qdisc_bypass``: PACKET_QDISC_BYPASS on a layer-2 socket (frames skip the
    interface's queueing discipline). ``progress`` is called with the Counters about ten times a
    second, and once at the end, from the calling process. SIGINT ends the run with a Report
    (``interrupted``), workers included, when transmit() runs in the main thread.
    """
    size = int(stream.frame_size)
    layer2 = bool(stream.layer2)
    _check(stream, interface, rate, burst, count, duration, workers, method, qdisc_bypass)
    limit = _limit(count, stream.count, duration, rate)
    sockets: list[RawSocket] = []
    try:
        for _ in range(workers):
            sockets.append(_open(stream, interface, netns, qdisc_bypass))
        chosen = "mmsg" if not layer2 else method
        if layer2:
            _check_mtu(sockets[0], interface or "", size, netns)
            if method == "auto":
                chosen = "mmsg" if _driver(sockets[0], interface or "") == "veth" else "ring"
        family = _family(stream) if not layer2 else None
        senders: list[_Sender] = [
            _Ring(raw.socket, stream, BLOCK[chosen])
            if chosen == "ring"
            else _Mmsg(raw.socket, stream, family, interface, BLOCK[chosen])
            for raw in sockets
        ]
        plan = _Plan(
            rate=rate,
            block=BLOCK[chosen],
            burst=burst,
            workers=workers,
            total=limit,
            duration_ns=None if duration is None else int(duration * 1e9) + (_GRACE_NS if rate else 0),
        )
        return _run(stream, senders, plan, chosen, progress, stop)
    finally:
        for raw in sockets:
            raw.close()


def _check(
    stream: Stream,
    interface: str | None,
    rate: float | None,
    burst: int,
    count: int | None,
    duration: float | None,
    workers: int,
    method: str,
    qdisc_bypass: bool,
) -> None:
    """InputError, naming the fix, for an argument transmit() cannot use."""
    if method not in _METHODS:
        raise InputError(f"unknown transmit method {method!r}: use one of {', '.join(_METHODS)}")
    if stream.layer2 and not interface:
        raise InputError("a layer-2 stream (Ethernet frames) needs an interface to send them out of")
    if not stream.layer2 and method == "ring":
        raise InputError("a TX ring sends layer-2 frames: a layer-3 stream is sent with method='mmsg'")
    if not stream.layer2 and qdisc_bypass:
        raise InputError("qdisc_bypass is a packet socket's (layer-2 frames): a layer-3 stream is routed")
    if stream.frame_size < 1:
        raise InputError(f"a stream's frames need at least one byte (frame_size {stream.frame_size})")
    if rate is not None and not (rate > 0 and math.isfinite(rate)):
        raise InputError(f"a rate is a positive number of packets per second, not {rate}")
    if burst < 1:
        raise InputError(f"a burst is at least 1 packet, not {burst}")
    if count is not None and count < 0:
        raise InputError(f"a count is at least 0, not {count}")
    if duration is not None and not duration >= 0:
        raise InputError(f"a duration is at least 0 seconds, not {duration}")
    if workers < 1:
        raise InputError(f"at least one worker sends, not {workers}")


def _limit(count: int | None, own: int | None, duration: float | None, rate: float | None) -> int | None:
    """How many packets the run may send at most (None: no count, only a duration or a stop)."""
    limits = [limit for limit in (count, own) if limit is not None]
    if duration is not None and rate is not None:
        limits.append(math.ceil(duration * rate - 1e-9))
    return min(limits) if limits else None


def _open(stream: Stream, interface: str | None, netns: str | None, qdisc_bypass: bool) -> RawSocket:
    """One worker's socket: AF_PACKET bound to the interface (protocol 0: it receives nothing)
    for layer 2, IPPROTO_RAW of the stream's family for layer 3. PrivilegeError without CAP_NET_RAW."""
    if stream.layer2:
        assert interface is not None
        raw = RawSocket.l2(interface, 0, netns=netns)
        if qdisc_bypass:
            raw.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    else:
        family = _family(stream)
        if family == socket.AF_INET:
            raw = RawSocket.l3_hdrincl(netns=netns)
        else:
            raw = RawSocket.l3(socket.IPPROTO_RAW, family=socket.AF_INET6, netns=netns)
        if interface:
            try:
                raw.bind_to_device(interface)
            except BaseException:
                raw.close()
                raise
    seconds = int(_SEND_TIMEOUT)
    raw.setsockopt(
        socket.SOL_SOCKET,
        socket.SO_SNDTIMEO,
        TIMEVAL.pack(seconds, int((_SEND_TIMEOUT - seconds) * 1_000_000)),
    )
    return raw


def _family(stream: Stream) -> int:
    """A layer-3 stream's family, from its first packet's version nibble."""
    first = stream.frames(0, 1)
    version = int(first[0, 0]) >> 4 if first.size else 0
    if version == 4:
        return socket.AF_INET
    if version == 6:
        return socket.AF_INET6
    raise InputError(f"a layer-3 stream's packets begin with an IPv4 or IPv6 header, not version {version}")


def _check_mtu(raw: RawSocket, interface: str, size: int, netns: str | None) -> None:
    """PacketTooBigError for frames longer than the interface's MTU plus an Ethernet header."""
    request = struct.pack("16si12x", interface.encode()[:15], 0)  # struct ifreq
    try:
        mtu = int(struct.unpack_from("16si", fcntl.ioctl(raw.socket, SIOCGIFMTU, request))[1])
    except OSError:
        return
    if size > mtu + _ETHERNET_HEADER:
        where = f" in {netns}" if netns else ""
        raise PacketTooBigError(
            f"frames of {size} bytes are longer than {interface}{where} carries (MTU {mtu} + "
            f"{_ETHERNET_HEADER} bytes of Ethernet header)",
            errno.EMSGSIZE,
        )


def _driver(raw: RawSocket, interface: str) -> str:
    """The name of ``interface``'s driver ("veth", "ifb", "e1000e"...; ethtool's GDRVINFO), or ""."""
    info = ctypes.create_string_buffer(ETHTOOL_DRVINFO_SIZE)
    struct.pack_into("I", info, 0, ETHTOOL_GDRVINFO)
    request = struct.pack("16sQ16x", interface.encode()[:15], ctypes.addressof(info))  # struct ifreq
    try:
        fcntl.ioctl(raw.socket, SIOCETHTOOL, request)
    except OSError:
        return ""
    return info.raw[4:36].split(b"\0")[0].decode(errors="replace")


# -- the shared counters -------------------------------------------------------------------------

_SENT, _ERRORS, _STATE, _END, _READY = 0, 1, 2, 3, 4  # a worker's row
_RUNNING, _DONE, _FAILED = 0, 1, 2
_STOP, _START = 0, 1  # the header's words
_TEXT = 512  # bytes of a worker's first error text


class _Shared:
    """Counters workers write and the parent reads: an anonymous MAP_SHARED mapping that forked
    processes share. One writer per word (a worker its row, the parent the header)."""

    def __init__(self, workers: int) -> None:
        self.words_size = 8 * (8 + 8 * workers)
        self.map = mmap.mmap(-1, self.words_size + _TEXT * workers)
        words = np.frombuffer(self.map, np.int64, count=8 + 8 * workers)
        self.header = words[:8]
        self.rows = words[8:].reshape(workers, 8)

    def stopped(self) -> bool:
        return bool(self.header[_STOP])

    def text(self, worker: int) -> str | None:
        start = self.words_size + _TEXT * worker
        raw = self.map[start : start + _TEXT].rstrip(b"\0")
        return raw.decode(errors="replace") if raw else None

    def set_text(self, worker: int, text: str) -> None:
        if self.text(worker) is None:
            start = self.words_size + _TEXT * worker
            data = text.encode()[: _TEXT - 1]
            self.map[start : start + len(data)] = data

    def counters(self) -> Counters:
        start = int(self.header[_START])
        now = time.monotonic_ns()
        return Counters(
            int(self.rows[:, _SENT].sum()),
            int(self.rows[:, _ERRORS].sum()),
            max(0, now - start) / 1e9 if start else 0.0,
        )


# -- senders ------------------------------------------------------------------------------------


class _Sender(Protocol):
    """Sends one block of frames; returns (sent, refused), and notes the first refusal's text."""

    error: str | None

    def send(self, start: int, n: int, shared: _Shared) -> tuple[int, int]: ...


def _filler(stream: Stream) -> Callable[[Frames, int], None] | None:
    """The stream's ``frames_into(out, start)``, if it has one: it writes frames start.. into
    ``out``, an (n, frame_size) uint8 array whose rows may lie apart (a ring's slots)."""
    fill: Callable[[Frames, int], None] | None = getattr(stream, "frames_into", None)
    return fill


def _describe(code: int, size: int, interface: str | None, dst: str | None) -> str:
    failure = send_error(OSError(code, os.strerror(code)), size, interface, dst)
    if failure is None:
        return f"the queue was full and dropped packets (ENOBUFS: {os.strerror(code)})"
    return str(failure)


class _Mmsg:
    """sendmmsg(2) of blocks of frames: one mmsghdr and iovec per frame, preallocated; per block
    only the iovecs' base pointers (and layer 3's destination addresses) are rewritten."""

    def __init__(
        self,
        sock: socket.socket,
        stream: Stream,
        family: int | None,
        interface: str | None,
        block: int,
    ) -> None:
        self.fd = sock.fileno()
        size = stream.frame_size
        self.frames = stream.frames
        self.fill = _filler(stream)
        self.size = size
        self.interface = interface
        self.error: str | None = None
        self.iovecs = np.zeros(block, _IOVEC)
        self.headers = np.zeros(block, _MMSGHDR)
        self.bases = self.iovecs["base"]
        self.iovecs["len"] = size
        self.headers["iov"] = self.iovecs.ctypes.data + np.arange(block, dtype=np.uint64) * _IOVEC.itemsize
        self.headers["iovlen"] = 1
        self.offsets = np.arange(block, dtype=np.uint64) * np.uint64(size)
        if self.fill is not None:  # one block, filled in place: the pointers never change
            self.buffer = np.zeros((block, size), np.uint8)
            self.bases[:] = self.offsets + np.uint64(self.buffer.ctypes.data)
        self.address = self.headers.ctypes.data
        self.family = family
        if family is None:
            self.names: Frames | None = None
            return
        length, self.name_slice, self.dst_slice = _SOCKADDR[family]
        if size < self.dst_slice.stop:
            raise InputError(f"layer-3 packets of {size} bytes are shorter than their header")
        names = np.zeros((block, length), np.uint8)
        names[:, :2] = np.frombuffer(struct.pack("=H", family), np.uint8)
        self.names = names
        self.headers["name"] = names.ctypes.data + np.arange(block, dtype=np.uint64) * length
        self.headers["namelen"] = length

    def send(self, start: int, n: int, shared: _Shared) -> tuple[int, int]:
        if self.fill is not None:
            frames = self.buffer[:n]
            self.fill(frames, start)
        else:
            frames = self.frames(start, n)
            self.bases[:n] = self.offsets[:n] + np.uint64(frames.ctypes.data)
        if self.names is not None:
            self.names[:n, self.name_slice] = frames[:, self.dst_slice]
        sent = refused = done = 0
        while done < n:
            result = _sendmmsg(self.fd, self.address + done * 64, n - done, 0)
            if result > 0:
                done += result
                sent += result
                continue
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EINTR):  # SO_SNDTIMEO: a full buffer; try again
                if shared.stopped():
                    break
                continue
            refused += 1  # the packet at `done` is refused (or dropped: ENOBUFS); go on after it
            if self.error is None:
                self.error = _describe(code, self.size, self.interface, self._destination(frames[done]))
            done += 1
        return sent, refused

    def _destination(self, frame: Frames) -> str | None:
        if self.family is None:
            return None
        return socket.inet_ntop(self.family, frame[self.dst_slice].tobytes())


class _Ring:
    """A PACKET_MMAP TX ring (TPACKET_V2): slots of a power of two bytes, the frame 32 bytes in,
    a numpy view over the mapping for the frames, another for tp_status and tp_len."""

    def __init__(self, sock: socket.socket, stream: Stream, flush: int) -> None:
        self.fd = sock.fileno()
        size = stream.frame_size
        self.frames = stream.frames
        self.fill = _filler(stream)
        self.size = size
        self.error: str | None = None
        slot = max(64, 1 << (TPACKET2_HDR_ALIGNED + size - 1).bit_length())
        block = max(1 << 16, slot)
        self.slots = max(2 * flush, block // slot)
        self.slots = -(-self.slots * slot // block) * block // slot  # whole blocks
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        blocks = self.slots * slot // block
        sock.setsockopt(SOL_PACKET, PACKET_TX_RING, TPACKET_REQ.pack(block, blocks, slot, self.slots))
        self.map = mmap.mmap(self.fd, block * blocks, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        raw = np.frombuffer(self.map, np.uint8).reshape(self.slots, slot)
        self.data = raw[:, TPACKET2_HDR_ALIGNED : TPACKET2_HDR_ALIGNED + size]
        words = np.frombuffer(self.map, np.uint32).reshape(self.slots, slot // 4)
        self.status = words[:, 0]
        words[:, 1] = size  # tp_len: the kernel never writes it on a TX ring
        self.head = 0  # the next slot to fill, as the kernel's own head after each flush

    def send(self, start: int, n: int, shared: _Shared) -> tuple[int, int]:
        head = self.head
        first = min(n, self.slots - head)
        pieces = [(head, head + first)] if first == n else [(head, self.slots), (0, n - first)]
        if self.fill is not None:  # straight into the slots
            self.fill(self.data[head : head + first], start)
            if first < n:
                self.fill(self.data[: n - first], start + first)
        else:
            frames = self.frames(start, n)
            self.data[head : head + first] = frames[:first]
            if first < n:
                self.data[: n - first] = frames[first:]
        for start, stop in pieces:
            self.status[start:stop] = TP_STATUS_SEND_REQUEST
        self.head = (head + n) % self.slots
        status = self.status
        fruitless = 0  # ENOBUFS answers in a row that sent nothing
        done = -1
        while True:
            result = _send(self.fd, None, 0, 0)
            code = ctypes.get_errno() if result < 0 else 0
            if not code and not status[head : head + first].any() and not status[: n - first].any():
                return n, 0  # (every frame handed back: tp_status 0, no time stamp bits asked for)
            states = np.concatenate([self.status[start:stop] for start, stop in pieces]) & _STATUS_MASK
            if not (states & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)).any():
                return n, 0
            if code not in _RETRY or shared.stopped():
                break
            if code == errno.ENOBUFS:
                now_done = int((states == TP_STATUS_AVAILABLE).sum())
                fruitless = 0 if now_done > done else fruitless + 1
                done = now_done
                if fruitless >= _FRUITLESS:
                    break
                time.sleep(_BACKOFF)
        # What is left: the kernel stopped at a frame it refuses (TP_STATUS_WRONG_FORMAT) or that
        # its queue keeps dropping (ENOBUFS), and stays there; or a stop came first. The frames from
        # there on are freed and counted as refused (unless stopped), and filling resumes at that
        # slot, where the kernel waits.
        sent = int((states == TP_STATUS_AVAILABLE).sum())
        at = int(np.flatnonzero(states != TP_STATUS_AVAILABLE)[0])
        self._free(pieces, at)
        self.head = (head + at) % self.slots
        if shared.stopped():
            return sent, 0
        if self.error is None:
            self.error = _describe(code or errno.EINVAL, self.size, None, None)
        return sent, n - sent

    def _free(self, pieces: list[tuple[int, int]], at: int) -> None:
        for start, stop in pieces:
            if at < stop - start:
                self.status[start + max(at, 0) : stop] = TP_STATUS_AVAILABLE
            at -= stop - start


# -- a worker -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What every worker is told: its rate, burst, how the stream is dealt, the limits."""

    rate: float | None  # packets per second, of the whole run
    block: int  # frames per send, and per block dealt
    burst: int
    workers: int
    total: int | None  # packets of the whole run
    duration_ns: int | None

    def share(self, worker: int) -> int | None:
        """How many of the run's packets worker ``worker`` sends (blocks dealt round-robin)."""
        if self.total is None:
            return None
        if self.workers == 1:
            return self.total
        full, rest = divmod(self.total, self.block)
        mine = len(range(worker, full, self.workers)) * self.block
        return mine + (rest if full % self.workers == worker else 0)


def _work(stream: Stream, sender: _Sender, plan: _Plan, worker: int, shared: _Shared) -> None:
    """One worker's loop: its blocks of the stream, paced by deadline, until a limit or a stop."""
    row = shared.rows[worker]
    header = shared.header
    stream.frames(0, 1)  # (anything the stream makes on first use, made before the clock starts)
    row[_READY] = 1
    while not header[_START]:
        time.sleep(0.0002)
    t0 = int(header[_START])
    end = None if plan.duration_ns is None else t0 + plan.duration_ns
    share = plan.share(worker)
    workers, burst, rate, size = plan.workers, plan.burst, plan.rate, plan.block
    burst_ns = 0.0 if rate is None else burst * 1e9 / rate
    clock = time.monotonic_ns
    index = 0  # this worker's packets handed to the kernel so far
    sent_total = refused_total = 0
    while not header[_STOP]:
        room = size if share is None else min(size, share - index)
        if room <= 0:
            break
        if workers == 1:
            start = index
        else:
            block, offset = divmod(index, size)
            start = (block * workers + worker) * size + offset
            room = min(room, size - offset)
        now = clock()
        if end is not None and now >= end:
            break
        if rate is not None:  # the run's one schedule: stream index i is due at t0 + i / rate
            deadline = t0 + (start // burst) * burst_ns
            if now < deadline:
                gap = deadline - now
                if gap > _SPIN_NS:
                    time.sleep(min((gap - _SPIN_NS / 2) / 1e9, _NAP))
                else:
                    while clock() < deadline:
                        pass
                continue
            room = min(room, burst * (int((now - t0) // burst_ns) + 1) - start)
        sent, refused = sender.send(start, room, shared)
        index += room
        sent_total += sent
        refused_total += refused
        row[_SENT] = sent_total
        row[_ERRORS] = refused_total
        if sender.error is not None and refused:
            shared.set_text(worker, sender.error)
    row[_END] = clock()


def _child(stream: Stream, sender: _Sender, plan: _Plan, worker: int, shared: _Shared, parent: int) -> None:
    """A forked worker: SIGINT is the parent's to handle, it dies with the parent, and it leaves
    through os._exit whatever happens (no traceback, no parent's cleanup run twice)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            return
        if plan.workers > 1:
            cpus = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpus[worker % len(cpus)]})
        _work(stream, sender, plan, worker, shared)
        shared.rows[worker][_STATE] = _DONE
    except BaseException as error:  # a stream that fails: the parent reports it
        shared.rows[worker][_END] = time.monotonic_ns()
        shared.set_text(worker, f"worker {worker} failed: {type(error).__name__}: {error}")
        shared.rows[worker][_STATE] = _FAILED
        code = 1
    finally:
        os._exit(code)


def _start(shared: _Shared) -> None:
    """Start the clock once every worker is ready to send (or has failed): t0 is 200 µs ahead."""
    deadline = time.monotonic() + 10
    while not all(shared.rows[:, _READY] | (shared.rows[:, _STATE] == _FAILED)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.0005)
    shared.header[_START] = time.monotonic_ns() + 200_000


def _run(
    stream: Stream,
    senders: list[_Sender],
    plan: _Plan,
    method: str,
    progress: Callable[[Counters], None] | None,
    stop: StopFlag | None,
) -> Report:
    """Fork the workers, watch them (progress, stop, SIGINT), wait for every one, report."""
    shared = _Shared(len(senders))
    interrupted = False

    def on_sigint(number: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        interrupted = True
        shared.header[_STOP] = 1

    main = threading.current_thread() is threading.main_thread()
    previous: Any = None
    children: dict[int, int] = {}
    killed: list[str] = []
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # until every child ignores it
    blocked = True
    try:
        if main:
            previous = signal.signal(signal.SIGINT, on_sigint)
        parent = os.getpid()
        for worker, sender in enumerate(senders):
            pid = os.fork()
            if pid == 0:
                _child(stream, sender, plan, worker, shared, parent)
            children[pid] = worker
        _start(shared)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        blocked = False
        running = dict(children)
        while running:
            for pid in list(running):
                ended, status = os.waitpid(pid, os.WNOHANG)
                if ended:
                    if os.WIFSIGNALED(status):
                        killed.append(f"worker {running[pid]} was killed by signal {os.WTERMSIG(status)}")
                    del running[pid]
            if not running:
                break
            if stop is not None and stop.is_set():
                interrupted = True
                shared.header[_STOP] = 1
            if killed or (shared.rows[:, _STATE] == _FAILED).any():
                shared.header[_STOP] = 1  # one worker failed: the others end too
            if progress is not None and shared.header[_START] <= time.monotonic_ns():
                progress(shared.counters())
            time.sleep(0.1 if progress is not None else 0.05)
    finally:
        shared.header[_STOP] = 1  # (an exception here, in progress() say: the workers end too)
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        if main:
            signal.signal(signal.SIGINT, previous)
    rows = shared.rows
    failed = sorted(
        (int(rows[worker][_END]), worker) for worker in range(len(senders)) if rows[worker][_STATE] == _FAILED
    )
    if failed:  # the first to fail
        raise RawnetError(shared.text(failed[0][1]) or f"worker {failed[0][1]} failed")
    if killed:
        raise RawnetError(killed[0])
    start = int(shared.header[_START])
    seconds = max(0, int(rows[:, _END].max()) - start) / 1e9
    sent, refused = int(rows[:, _SENT].sum()), int(rows[:, _ERRORS].sum())
    texts = [shared.text(worker) for worker in range(len(senders))]
    if progress is not None:
        progress(Counters(sent, refused, seconds))
    return Report(
        sent=sent,
        errors=refused,
        seconds=seconds,
        rate=sent / seconds if seconds > 0 else 0.0,
        method=method,
        workers=len(senders),
        error=next((text for text in texts if text), None),
        interrupted=interrupted,
    )


__all__ = ["BLOCK", "Counters", "Report", "Stream", "transmit"]
