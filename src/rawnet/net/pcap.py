"""pcap and pcapng capture files: read and write, streaming, one record at a time.

Reading takes both byte orders, micro- and nanosecond pcap, and pcapng's Enhanced and Simple
Packet Blocks with each interface's link type and timestamp resolution; other blocks are
skipped. Link types decoded: Ethernet, raw IP, Linux cooked v1/v2. A file cut short raises
PcapError with the byte offset; nothing is loaded whole.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from rawnet.errors import InputError
from rawnet.wire import IP, Ether, IPv6, Layer, Raw
from rawnet.wire.sll import CookedLinux, CookedLinux2

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  #: raw IPv4 or IPv6
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
_RAW_DLTS = (12, 14, LINKTYPE_RAW)  # DLT_RAW's numbers on various systems

_PCAP_MICRO, _PCAP_NANO = 0xA1B2C3D4, 0xA1B23C4D
_PCAPNG_SHB, _PCAPNG_IDB, _PCAPNG_SPB, _PCAPNG_EPB = 0x0A0D0D0A, 1, 3, 6
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_IF_TSRESOL = 9


class PcapError(InputError):
    """A capture file that cannot be read: where, and why."""

    def __init__(self, path: str, offset: int, reason: str) -> None:
        super().__init__(f"{path} at byte {offset}: {reason}")
        self.offset = offset


@dataclass(frozen=True)
class Record:
    """One captured packet: its bytes, when, how long it was on the wire, and its link type."""

    data: bytes
    timestamp_ns: int
    wirelen: int
    linktype: int
    interface: int = 0

    @property
    def timestamp(self) -> float:
        """Seconds since the epoch."""
        return self.timestamp_ns / 1e9

    @property
    def packet(self) -> Layer:
        """The decoded packet (leniently: what does not decode stays as bytes)."""
        return decode_link(self.linktype, self.data)


def decode_link(linktype: int, data: bytes) -> Layer:
    """Decode ``data`` as a frame of ``linktype`` (Ethernet, raw IP, Linux cooked); else Raw."""
    if linktype == LINKTYPE_ETHERNET:
        return Ether.decode(data, lenient=True)
    if linktype in _RAW_DLTS:
        version = data[0] >> 4 if data else 0
        return (IPv6 if version == 6 else IP).decode(data, lenient=True)
    if linktype == LINKTYPE_LINUX_SLL:
        return CookedLinux.decode(data, lenient=True)
    if linktype == LINKTYPE_LINUX_SLL2:
        return CookedLinux2.decode(data, lenient=True)
    return Raw.decode(data)


def _open(source: str | os.PathLike[str] | IO[bytes], mode: str) -> tuple[IO[bytes], str, bool]:
    if isinstance(source, str | os.PathLike):
        try:
            return open(source, mode), os.fspath(source), True
        except OSError as error:
            raise PcapError(os.fspath(source), 0, f"cannot open: {error.strerror}") from None
    return source, getattr(source, "name", "<stream>"), False


class PcapReader:
    """Records of a pcap or pcapng file, read one at a time (``for record in PcapReader(path)``)."""

    def __init__(self, source: str | os.PathLike[str] | IO[bytes]) -> None:
        self._file, self.path, self._owned = _open(source, "rb")
        self._offset = 0
        self.linktype = LINKTYPE_ETHERNET
        self.nanoseconds = False
        try:
            head = self._read(4, "file header")
            (magic,) = struct.unpack("<I", head)
            self.pcapng = magic == _PCAPNG_SHB
            if not self.pcapng:
                self._pcap_header(head)
        except PcapError:
            self.close()
            raise

    # -- pcap ------------------------------------------------------------------------------
    def _pcap_header(self, head: bytes) -> None:
        for order in "<>":
            (magic,) = struct.unpack(order + "I", head)
            if magic in (_PCAP_MICRO, _PCAP_NANO):
                self._order = order
                self.nanoseconds = magic == _PCAP_NANO
                break
        else:
            raise PcapError(self.path, 0, f"not a pcap or pcapng file (magic 0x{head.hex()})")
        _, _, _, _, self.snaplen, linktype = struct.unpack(
            self._order + "HHiIII", self._read(20, "file header")
        )
        self.linktype = linktype & 0x0FFFFFFF  # the top bits carry FCS information
        self._record = struct.Struct(self._order + "IIII")

    def _pcap_records(self) -> Iterator[Record]:
        scale = 1 if self.nanoseconds else 1000
        while True:
            at = self._offset
            head = self._file.read(16)
            if not head:
                return
            if len(head) < 16:
                raise PcapError(self.path, at, f"record header cut short ({len(head)} of 16 bytes)")
            self._offset += 16
            seconds, fraction, caplen, wirelen = self._record.unpack(head)
            if caplen > max(self.snaplen, 262144):
                raise PcapError(self.path, at, f"record of {caplen} bytes is larger than the snap length")
            data = self._read(caplen, f"record of {caplen} bytes")
            yield Record(data, seconds * 1_000_000_000 + fraction * scale, wirelen, self.linktype)

    # -- pcapng ----------------------------------------------------------------------------
    def _pcapng_records(self) -> Iterator[Record]:
        interfaces: list[tuple[int, int]] = []  # (linktype, ticks per second)
        order = "<"
        first = True
        while True:
            at = self._offset
            if first:
                head = struct.pack("<I", _PCAPNG_SHB) + self._read(4, "block header")
                first = False
            else:
                head = self._file.read(8)
                if not head:
                    return
                if len(head) < 8:
                    raise PcapError(self.path, at, f"block header cut short ({len(head)} of 8 bytes)")
                self._offset += 8
            kind = struct.unpack(order + "I", head[:4])[0]
            if kind == _PCAPNG_SHB:
                magic = self._read(4, "section header")
                order = "<" if struct.unpack("<I", magic)[0] == _BYTE_ORDER_MAGIC else ">"
                if struct.unpack(order + "I", magic)[0] != _BYTE_ORDER_MAGIC:
                    raise PcapError(self.path, at, "section header without the byte-order magic")
                length = struct.unpack(order + "I", head[4:])[0]
                body = magic + self._read(length - 12, "section header")
                interfaces = []
            else:
                length = struct.unpack(order + "I", head[4:])[0]
                if length < 12 or length % 4:
                    raise PcapError(self.path, at, f"block length {length} is not a multiple of 4 >= 12")
                body = self._read(length - 8, f"block of {length} bytes")
            body = body[:-4]  # the trailing copy of the length
            if kind == _PCAPNG_IDB:
                linktype, _, _ = struct.unpack(order + "HHI", body[:8])
                interfaces.append((linktype, _resolution(body[8:], order)))
            elif kind == _PCAPNG_EPB:
                interface, high, low, caplen, wirelen = struct.unpack(order + "IIIII", body[:20])
                if interface >= len(interfaces) or 20 + caplen > len(body):
                    raise PcapError(self.path, at, "packet block names an unknown interface or overruns")
                linktype, ticks = interfaces[interface]
                stamp = ((high << 32) | low) * 1_000_000_000 // ticks
                yield Record(body[20 : 20 + caplen], stamp, wirelen, linktype, interface)
            elif kind == _PCAPNG_SPB:
                if not interfaces:
                    raise PcapError(self.path, at, "simple packet block before any interface")
                (wirelen,) = struct.unpack(order + "I", body[:4])
                data = body[4 : 4 + wirelen]
                yield Record(data, 0, wirelen, interfaces[0][0])

    # -- shared ----------------------------------------------------------------------------
    def _read(self, size: int, what: str) -> bytes:
        data = self._file.read(size)
        if len(data) < size:
            raise PcapError(self.path, self._offset, f"{what} cut short ({len(data)} of {size} bytes)")
        self._offset += size
        return data

    def __iter__(self) -> Iterator[Record]:
        records = self._pcapng_records() if self.pcapng else self._pcap_records()
        try:
            yield from records
        finally:
            self.close()  # read to the end (or failed): a file the reader opened is closed

    def close(self) -> None:
        """Close the file (if the reader opened it)."""
        if self._owned:
            self._file.close()

    def __enter__(self) -> PcapReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _resolution(options: bytes, order: str) -> int:
    """Ticks per second of a pcapng interface (if_tsresol; microseconds when absent)."""
    at = 0
    while at + 4 <= len(options):
        code, length = struct.unpack(order + "HH", options[at : at + 4])
        if code == 0:
            break
        if code == _IF_TSRESOL and length >= 1:
            value = options[at + 4]
            ticks: int = 2 ** (value & 0x7F) if value & 0x80 else 10**value
            return ticks
        at += 4 + length + (-length % 4)
    return 1_000_000


class PcapWriter:
    """Writes records to a pcap (or, with ``pcapng=True``, a pcapng) file as they come."""

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[bytes],
        *,
        linktype: int = LINKTYPE_ETHERNET,
        nanoseconds: bool = False,
        pcapng: bool = False,
        snaplen: int = 262144,
    ) -> None:
        self._file, self.path, self._owned = _open(target, "wb")
        self.linktype, self.nanoseconds, self.pcapng, self.snaplen = linktype, nanoseconds, pcapng, snaplen
        if pcapng:
            section = struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1)
            self._block(_PCAPNG_SHB, section)
            resolution = struct.pack("<HHB3x", _IF_TSRESOL, 1, 9 if nanoseconds else 6) + bytes(4)
            self._block(_PCAPNG_IDB, struct.pack("<HHI", linktype, 0, snaplen) + resolution)
        else:
            magic = _PCAP_NANO if nanoseconds else _PCAP_MICRO
            self._file.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def _block(self, kind: int, body: bytes) -> None:
        body += bytes(-len(body) % 4)
        length = len(body) + 12
        self._file.write(struct.pack("<II", kind, length) + body + struct.pack("<I", length))

    def write(
        self, packet: Layer | bytes, timestamp: float | None = None, *, wirelen: int | None = None
    ) -> None:
        """Append one packet (or its bytes), at ``timestamp`` (seconds; now when None)."""
        data = packet if isinstance(packet, bytes) else bytes(packet)
        stamp = time.time_ns() if timestamp is None else round(timestamp * 1e9)
        self.write_record(Record(data, stamp, len(data) if wirelen is None else wirelen, self.linktype))

    def write_record(self, record: Record) -> None:
        """Append a record as it is (its bytes, timestamp and wire length)."""
        data = record.data[: self.snaplen]
        # Microseconds are rounded, not cut: a float timestamp is only good to a few hundred ns.
        ticks = record.timestamp_ns if self.nanoseconds else (record.timestamp_ns + 500) // 1000
        if self.pcapng:
            head = struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), record.wirelen)
            self._block(_PCAPNG_EPB, head + data)
        else:
            seconds, fraction = divmod(ticks, 1_000_000_000 if self.nanoseconds else 1_000_000)
            self._file.write(struct.pack("<IIII", seconds, fraction, len(data), record.wirelen) + data)

    def flush(self) -> None:
        """Flush the file."""
        self._file.flush()

    def close(self) -> None:
        """Flush, and close the file (if the writer opened it)."""
        self._file.flush()
        if self._owned:
            self._file.close()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def rdpcap(source: str | os.PathLike[str] | IO[bytes]) -> list[Layer]:
    """Every packet of a capture file, decoded (scapy's rdpcap)."""
    with PcapReader(source) as reader:
        return [record.packet for record in reader]


def wrpcap(
    target: str | os.PathLike[str] | IO[bytes], packets: Iterable[Layer | bytes], **options: Any
) -> None:
    """Write packets to a capture file (scapy's wrpcap); options as PcapWriter's."""
    with PcapWriter(target, **options) as writer:
        for packet in packets:
            writer.write(packet)
