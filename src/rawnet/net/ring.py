"""A TPACKET_V3 receive ring: a packet socket's packets read from shared memory, a block at a time.

The kernel writes each packet that passed the socket's filter into the current block of a ring
mapped into this process (a tpacket3_hdr, the sockaddr_ll, then the frame) and hands the block
over when it is full or its timeout (``timeout_ms``) passed; the reader walks the block's
packets as zero-copy memoryviews, then gives the block back. This module never opens a socket
(the caller's gets the ring), never filters and never decodes: that is capture.py's work.

Sizes (defaults chosen for rawnet sniff, measured on a veth flood, see tests/net/test_ring.py):
``size`` 32 MiB, sixteen times tcpdump's 2 MiB; blocks of 128 KiB, so that minimum-size frames
at flood rate (144 ring bytes each, some 900 a block) fill a block in 2-5 ms, before the 4 ms
timeout, and a 64 KiB super-packet (veth's GSO limit) fits. A packet longer than a block can
hold (MAX_CAPTURED: 130,928 bytes with the default blocks; only BIG TCP makes such packets) is
cut by the kernel, which says so honestly: tp_snaplen < tp_len. A snapshot length such as
tcpdump's 262144 is therefore capped at what a block holds.
"""

from __future__ import annotations

import contextlib
import mmap
import select
import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

from rawnet.errors import InputError
from rawnet.net.linux import (
    PACKET_FANOUT,
    PACKET_FANOUT_CPU,
    PACKET_FANOUT_FLAG_DEFRAG,
    PACKET_FANOUT_HASH,
    PACKET_FANOUT_LB,
    PACKET_RX_RING,
    PACKET_STATISTICS,
    PACKET_VERSION,
    SOCKADDR_LL,
    SOL_PACKET,
    TP_STATUS_KERNEL,
    TP_STATUS_USER,
    TP_STATUS_VLAN_TPID_VALID,
    TP_STATUS_VLAN_VALID,
    TPACKET3_HDR,
    TPACKET3_HDR_SIZE,
    TPACKET_ALIGNMENT,
    TPACKET_BLOCK_DESC,
    TPACKET_REQ3,
    TPACKET_STATS_V3,
    TPACKET_V3,
)

DEFAULT_SIZE = 32 << 20  #: bytes of ring a capture gets unless told (tcpdump -B's default: 2 MiB)
BLOCK_SIZE = 128 << 10  #: bytes of each block
TIMEOUT_MS = 4  #: milliseconds after which the kernel hands over a block that is not full
FRAME_SIZE = 2048  #: tp_frame_size: only a unit of the ring's bookkeeping in TPACKET_V3
_BLOCK_HEADER = 48  # BLK_PLUS_PRIV(0): the block descriptor, aligned to 8
_SOCKADDR_AT = (TPACKET3_HDR_SIZE + TPACKET_ALIGNMENT - 1) & -TPACKET_ALIGNMENT
#: The longest frame a default block holds (the kernel cuts longer ones; tp_len keeps their size):
#: the block, less its header and the tpacket3_hdr, sockaddr_ll and alignment before the frame.
MAX_CAPTURED = BLOCK_SIZE - _BLOCK_HEADER - 96
_STATUS_AT = 8  # block_status in the block descriptor
_ETH_P_8021Q = 0x8100
_NS = 1_000_000_000

_MODES = {"hash": PACKET_FANOUT_HASH, "lb": PACKET_FANOUT_LB, "cpu": PACKET_FANOUT_CPU}


class Fanout(NamedTuple):
    """PACKET_FANOUT: sockets (of any processes) joined under one ``group`` id share a capture,
    each packet delivered to exactly one of them. ``mode``: "hash" (by flow: a connection's
    packets stay together), "lb" (round robin) or "cpu" (the receiving CPU's socket).
    ``defrag``: IP fragments are reassembled before hashing, so a datagram's fragments go to
    one socket (PACKET_FANOUT_FLAG_DEFRAG). Every socket of a group must capture the same
    interface and protocol."""

    group: int
    mode: str = "hash"
    defrag: bool = False

    def join(self, sock: socket.socket) -> None:
        """Make ``sock`` a member of the group (the first member creates it)."""
        if self.mode not in _MODES:
            raise InputError(f"fanout mode {self.mode!r}: one of {', '.join(_MODES)}")
        if not 0 <= self.group <= 0xFFFF:
            raise InputError(f"fanout group {self.group}: a number from 0 to 65535")
        kind = _MODES[self.mode] | (PACKET_FANOUT_FLAG_DEFRAG if self.defrag else 0)
        sock.setsockopt(SOL_PACKET, PACKET_FANOUT, self.group | kind << 16)


class Frame(NamedTuple):
    """One packet in a block. ``data`` is a view into the ring, valid until the block is released."""

    #: The frame as the socket reads it: from the link header (SOCK_RAW on Ethernet), else from
    #: the network header; cut to tp_snaplen bytes.
    data: memoryview
    timestamp_ns: int  #: the kernel's receive time (tp_sec, tp_nsec)
    wirelen: int  #: the packet's length before any cut (tp_len)
    status: int  #: tp_status (TP_STATUS_VLAN_VALID ...)
    ifindex: int  #: sll_ifindex: the interface it came in on, or went out of
    protocol: int  #: sll_protocol, in host order (the EtherType)
    pkttype: int  #: sll_pkttype: 0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing
    hatype: int  #: sll_hatype: the interface's ARPHRD type
    address: bytes  #: sll_addr: the link address of the sender (sll_halen bytes)
    #: The 802.1Q tag the kernel took out of the frame, (TPID, TCI), or None.
    vlan: tuple[int, int] | None


class Block:
    """A block the kernel handed over: ``count`` packets from byte ``first`` of ``view``.

    Its memory is the kernel's again once released (RxRing.release): views into it must not
    be read after that.
    """

    __slots__ = ("count", "first", "index", "sequence", "view")

    def __init__(self, index: int, view: memoryview) -> None:
        self.index = index
        self.view = view
        _, _, _, self.count, self.first, _, self.sequence = TPACKET_BLOCK_DESC.unpack_from(view)

    def offsets(self) -> Iterator[int]:
        """The byte offset in ``view`` of each packet's tpacket3_hdr, in order."""
        at, view, unpack = self.first, self.view, _NEXT.unpack_from
        for _ in range(self.count):
            yield at
            at += unpack(view, at)[0]

    def frames(self) -> Iterator[Frame]:
        """The block's packets, as zero-copy views with their metadata."""
        view, header, address = self.view, TPACKET3_HDR.unpack_from, SOCKADDR_LL.unpack_from
        ntohs = socket.ntohs
        for at in self.offsets():
            _, sec, nsec, snaplen, length, status, mac, _, _, tci, tpid, _ = header(view, at)
            _, protocol, ifindex, hatype, pkttype, halen, link = address(view, at + _SOCKADDR_AT)
            vlan = None
            if status & TP_STATUS_VLAN_VALID or tci:
                vlan = (tpid if status & TP_STATUS_VLAN_TPID_VALID else _ETH_P_8021Q, tci)
            yield Frame(
                view[at + mac : at + mac + snaplen],
                sec * _NS + nsec,
                length,
                status,
                ifindex,
                ntohs(protocol),
                pkttype,
                hatype,
                link[:halen],
                vlan,
            )


_NEXT = struct.Struct("I")  # tp_next_offset


class RxRing:
    """A TPACKET_V3 receive ring on a packet socket (PACKET_VERSION, PACKET_RX_RING, mmap).

    ``size``: bytes in all (rounded down to whole blocks, at least two); ``block_size``: a
    multiple of the page size; ``timeout_ms``: tp_retire_blk_tov. Set it up before the socket
    gets its real filter (capture.open_capture does), and close it before the socket.
    """

    def __init__(
        self,
        sock: socket.socket,
        size: int = DEFAULT_SIZE,
        *,
        block_size: int = BLOCK_SIZE,
        timeout_ms: int = TIMEOUT_MS,
    ) -> None:
        if block_size % mmap.PAGESIZE or block_size < FRAME_SIZE:
            raise InputError(f"ring block size {block_size}: a multiple of the page size ({mmap.PAGESIZE})")
        blocks = max(2, size // block_size)
        self.socket = sock
        self.block_size, self.blocks, self.timeout_ms = block_size, blocks, timeout_ms
        self.size = blocks * block_size
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frames = block_size // FRAME_SIZE * blocks
        request = TPACKET_REQ3.pack(block_size, blocks, FRAME_SIZE, frames, timeout_ms, 0, 0)
        try:
            sock.setsockopt(SOL_PACKET, PACKET_RX_RING, request)
        except OSError as error:
            raise InputError(
                f"cannot set up a {self.size}-byte capture ring ({error.strerror}): ask for a smaller one"
            ) from None
        self._map = mmap.mmap(sock.fileno(), self.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._view = memoryview(self._map)
        self._next = 0  # the block to read next: the kernel fills them in order
        self._poller = select.poll()
        self._poller.register(sock.fileno(), select.POLLIN)

    def fileno(self) -> int:
        """The socket's descriptor (poll it for POLLIN: a block is ready)."""
        return self.socket.fileno()

    def ready(self) -> Block | None:
        """The next block, if the kernel handed it over (TP_STATUS_USER), else None."""
        at = self._next * self.block_size
        view = self._view
        if not view[at + _STATUS_AT] & TP_STATUS_USER:
            return None
        return Block(self._next, view[at : at + self.block_size])

    def release(self, block: Block) -> None:
        """Give ``block`` back to the kernel; the next one becomes the one to read."""
        at = block.index * self.block_size
        block.view.release()
        struct.pack_into("I", self._view, at + _STATUS_AT, TP_STATUS_KERNEL)
        self._next = (block.index + 1) % self.blocks

    def wait(self, timeout: float | None) -> bool:
        """Wait until a block is ready, at most ``timeout`` seconds (None: for ever)."""
        if self.ready() is not None:
            return True
        self._poller.poll(None if timeout is None else max(0, int(timeout * 1000)))
        return self.ready() is not None

    def blocks_ready(self, timeout: float | None = None) -> Iterator[Block]:
        """The blocks handed over, waiting at most ``timeout`` seconds for the first; each is
        released when the consumer asks for the next one (or leaves the loop)."""
        if not self.wait(timeout):
            return
        while (block := self.ready()) is not None:
            try:
                yield block
            finally:
                self.release(block)

    def frames(self, timeout: float | None = None) -> Iterator[Frame]:
        """The packets of the blocks ready (see blocks_ready); a frame's view is valid until the
        consumer asks for a frame of the next block."""
        for block in self.blocks_ready(timeout):
            yield from block.frames()

    def statistics(self) -> tuple[int, int, int]:
        """(packets, drops, freezes) since the last call (PACKET_STATISTICS, tpacket_stats_v3):
        packets counts every packet that passed the filter, those dropped for want of room
        included; freezes, how many times the ring filled up (the kernel then drops until the
        reader gives back the block it waits for)."""
        packed = self.socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, TPACKET_STATS_V3.size)
        packets, drops, freezes = TPACKET_STATS_V3.unpack(packed)
        return packets, drops, freezes

    def close(self) -> None:
        """Unmap the ring (a view a consumer still holds keeps the mapping until it goes)."""
        if self._map.closed:
            return
        self._view.release()
        with contextlib.suppress(BufferError):  # (a frame view still held: unmapped when it goes)
            self._map.close()
