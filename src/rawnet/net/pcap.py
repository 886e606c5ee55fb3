"""pcap and pcapng capture files: read and write, streaming, one record at a time.

Reading takes both byte orders, micro- and nanosecond pcap, gzip-compressed files, and pcapng's
Enhanced and Simple Packet Blocks with each interface's link type, timestamp resolution and
name, and each packet's direction (epb_flags); other blocks are skipped. Link types decoded: the
registry's LINKTYPE lines (Ethernet, Linux cooked v1/v2, BSD loopback...) and raw IP. A file cut
short raises PcapError with the byte offset; nothing is loaded whole. As scapy's: reading gives
packets carrying ``time``, ``wirelen`` and, from pcapng, ``sniffed_on`` and ``direction``; writing
takes the link type from the first packet and each record's time and length from its packet.
"""

from __future__ import annotations

import gzip
import os
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from rawnet.errors import InputError
from rawnet.wire import IP, IPv6, Layer, PacketList, QueryAnswer, Raw
from rawnet.wire.registry import LAYERS, LINKTYPE

LINKTYPE_NULL = 0  #: BSD loopback: the address family in the capturing host's byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_LOOP = 108  #: OpenBSD loopback: the address family in network byte order
LINKTYPE_RAW = 101  #: raw IPv4 or IPv6, told apart by the version nibble
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228  #: raw IPv4 (what scapy writes for IP packets)
LINKTYPE_IPV6 = 229  #: raw IPv6 (what scapy writes for IPv6 packets)
LINKTYPE_LINUX_SLL2 = 276
_RAW_EITHER = (12, 14, LINKTYPE_RAW)  # DLT_RAW's numbers on various systems: either IP version
_RAW_DLTS = (*_RAW_EITHER, LINKTYPE_IPV4, LINKTYPE_IPV6)

#: The link type a file gets for a packet whose first layer is each class (scapy's choices): the
#: registry's LINKTYPE lines (a class's first line), as rawnet.wire loaded them.
LINKTYPES: dict[type[Layer], int] = {
    cls: number for number, cls in LAYERS.table(LINKTYPE).items() if LAYERS.number(LINKTYPE, cls) == number
}

_PCAP_MICRO, _PCAP_NANO = 0xA1B2C3D4, 0xA1B23C4D
_PCAPNG_SHB, _PCAPNG_IDB, _PCAPNG_SPB, _PCAPNG_EPB = 0x0A0D0D0A, 1, 3, 6
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_OPT_END, _IF_NAME, _IF_TSRESOL, _EPB_FLAGS = 0, 2, 9, 2
_SNAPLEN = 262144  # libpcap's default snapshot length
_SCAPY_SNAPLEN = 65535  # what scapy's wrpcap writes in a pcap header
_NS = 1_000_000_000  # (int / int: the float nearest the time; int / 1e9 rounds twice)
_GZIP_MAGIC = b"\x1f\x8b"
_BYTE_ORDERS: dict[str, Any] = {"<": "little", ">": "big"}

#: epb_flags (pcapng, RFC draft section 4.3.1): bits 0-1 the direction (1 inbound, 2 outbound),
#: bits 2-4 the reception type (1 unicast, 2 multicast, 3 broadcast, 4 promiscuous), as
#: sll_pkttype (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing) says them.
_INBOUND, _OUTBOUND = 1, 2
_PKTTYPE_OF_RECEPTION = {1: 0, 2: 2, 3: 1, 4: 3}
_FLAGS_OF_PKTTYPE = {0: _INBOUND | 1 << 2, 1: _INBOUND | 3 << 2, 2: _INBOUND | 2 << 2, 3: _INBOUND | 4 << 2}
_PACKET_OUTGOING = 4

Source = str | os.PathLike[str] | IO[bytes]  #: a file name, or a file open in binary mode


class PcapError(InputError):
    """A capture file that cannot be read or written as asked: where, and why."""

    def __init__(self, path: str, offset: int, reason: str) -> None:
        super().__init__(f"{path} at byte {offset}: {reason}")
        self.path = path
        self.offset = offset


class LinkTypeError(InputError):
    """A packet a capture file cannot hold: its link type is not the file's (the message says what to do)."""


def direction_of(flags: int | None) -> int | None:
    """The sll_pkttype (0 host .. 4 outgoing) that pcapng epb_flags say, None when they say nothing."""
    if flags is None:
        return None
    way, reception = flags & 3, (flags >> 2) & 7
    if way == _OUTBOUND:
        return _PACKET_OUTGOING
    pkttype = _PKTTYPE_OF_RECEPTION.get(reception)
    if pkttype is None and way == _INBOUND:
        return 0  # inbound, reception type unspecified: to this host
    return pkttype


def flags_of(direction: int | None) -> int | None:
    """The epb_flags that say an sll_pkttype (None for None, or a type pcapng has no word for)."""
    if direction == _PACKET_OUTGOING:
        return _OUTBOUND
    return _FLAGS_OF_PKTTYPE.get(direction) if direction is not None else None


def stamped(
    packet: Layer, when: float | None, sniffed_on: str | None, direction: int | None, wirelen: int | None
) -> Layer:
    """``packet`` with its receive metadata set (time, sniffed_on, direction, wirelen); returns it.

    One list in wire's metadata slot (Layer._meta, in that order, sent_time last) rather than
    four property calls: 0.03 us instead of 0.4 on a path that runs once per packet captured or
    read. tests/net/test_pcap.py holds the two together.
    """
    packet._meta = [when, sniffed_on, direction, wirelen, None]
    return packet


@dataclass(frozen=True)
class Record:
    """One captured packet as a file holds it: bytes, when, length on the wire, link type, interface."""

    data: bytes
    timestamp_ns: int
    wirelen: int
    linktype: int
    interface: int = 0  #: pcapng: the index of the interface block (0 in pcap files)
    ifname: str | None = None  #: pcapng: the interface's name (if_name), when the file has it
    flags: int | None = None  #: pcapng: the packet's epb_flags, when the file has them

    @property
    def timestamp(self) -> float:
        """Seconds since the epoch."""
        return self.timestamp_ns / _NS

    @property
    def direction(self) -> int | None:
        """The sll_pkttype its epb_flags say (0 host .. 4 outgoing), None when the file does not say."""
        return direction_of(self.flags)

    @property
    def packet(self) -> Layer:
        """The decoded packet (leniently), with time, wirelen and, from pcapng, sniffed_on and direction."""
        return stamped(
            decode_link(self.linktype, self.data, self.wirelen),
            self.timestamp_ns / _NS,
            self.ifname,
            direction_of(self.flags),
            self.wirelen,
        )


def decode_link(linktype: int, data: bytes, wirelen: int | None = None) -> Layer:
    """Decode ``data`` as a frame of ``linktype`` (the registry's LINKTYPE space, raw IP); else Raw.
    ``wirelen``: its length on the wire, when the capture may have cut it short (decode_captured)."""
    if linktype in _RAW_DLTS:
        version = data[0] >> 4 if data else 0
        return (IPv6 if version == 6 else IP).decode_captured(data, wirelen)
    cls = _LINK_LAYERS.get(linktype)
    if cls is not None:
        return cls.decode_captured(data, wirelen)
    return Raw.decode(data)


_LINK_LAYERS = LAYERS.table(LINKTYPE)  # (the live table)


def _open(source: Source, mode: str) -> tuple[IO[bytes], str, bool]:
    """(file, its name, whether it is ours to close); a gzip file read is uncompressed on the fly."""
    if not isinstance(source, str | os.PathLike):
        return source, getattr(source, "name", "<stream>"), False
    path = os.fspath(source)
    try:
        opened: IO[bytes] = open(path, mode)  # noqa: SIM115 (closed by the reader or writer)
        if mode == "rb" and opened.read(2) == _GZIP_MAGIC:
            opened.close()
            opened = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115
        elif mode == "rb":
            opened.seek(0)
    except OSError as error:
        raise PcapError(path, 0, f"cannot open: {error.strerror or error}") from None
    return opened, path, True


class PcapReader:
    """A pcap or pcapng file's packets, read one at a time (scapy's PcapReader).

    ``for packet in PcapReader(path)``, ``next(reader)`` and ``reader.read_packet()`` give
    decoded packets, each with ``time`` and ``wirelen`` (and, from pcapng, ``sniffed_on`` and
    ``direction`` when the file records them); ``reader.records()`` gives the records
    undecoded, for tools that copy them. A context manager; the file is closed at its end.
    """

    def __init__(self, filename: Source) -> None:
        self._file, self.path, self._owned = _open(filename, "rb")
        self._offset = 0
        self._order = "<"
        self.linktype = LINKTYPE_ETHERNET  #: the file's (pcapng: its first interface's) link type
        self.nanoseconds = False
        self.snaplen = _SNAPLEN
        self._interfaces: list[tuple[int, int, str | None]] = []  # pcapng: linktype, ticks/s, name
        self._pending: Record | None = None
        self._ended = False
        try:
            head = self._read(4, "file header")
            (magic,) = struct.unpack("<I", head)
            self.pcapng = magic == _PCAPNG_SHB
            if self.pcapng:  # read on to the first interface, to know the link type
                self._pending = self._pcapng_next(head + self._read(4, "block header"), first_interface=True)
            else:
                self._pcap_header(head)
        except BaseException:
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
            raise PcapError(
                self.path,
                0,
                f"not a pcap or pcapng file (magic 0x{head.hex()}): "
                "convert other capture formats with `editcap -F pcap IN OUT`",
            )
        _, _, _, _, self.snaplen, linktype = struct.unpack(
            self._order + "HHiIII", self._read(20, "file header")
        )
        self.linktype = linktype & 0x03FFFFFF  # (libpcap's LT_LINKTYPE: the bits above say FCS lengths)
        self._record = struct.Struct(self._order + "IIII")
        self._scale = 1 if self.nanoseconds else 1000

    def _pcap_next(self) -> Record | None:
        at = self._offset
        head = self._file.read(16)
        if not head:
            return None
        if len(head) < 16:
            raise PcapError(self.path, at, f"record header cut short ({len(head)} of 16 bytes)")
        self._offset += 16
        seconds, fraction, caplen, wirelen = self._record.unpack(head)
        if caplen > max(self.snaplen, _SNAPLEN):
            raise PcapError(self.path, at, f"record of {caplen} bytes is larger than the snap length")
        data = self._read(caplen, f"record of {caplen} bytes")
        if 0 < self.snaplen < caplen:  # (as libpcap: no more than the file's snapshot length)
            data = data[: self.snaplen]
        return Record(data, seconds * 1_000_000_000 + fraction * self._scale, wirelen, self.linktype)

    # -- pcapng ----------------------------------------------------------------------------
    def _pcapng_next(self, head: bytes | None = None, *, first_interface: bool = False) -> Record | None:
        """The next packet block's record (None at the end; with ``first_interface``, also
        once the first interface block is read). ``head``: a block header already read."""
        while True:
            if head is None:
                at = self._offset
                head = self._file.read(8)
                if not head:
                    return None
                if len(head) < 8:
                    raise PcapError(self.path, at, f"block header cut short ({len(head)} of 8 bytes)")
                self._offset += 8
            else:
                at = self._offset - len(head)
            kind = struct.unpack(self._order + "I", head[:4])[0]
            if kind == _PCAPNG_SHB:  # (its type reads the same in both byte orders)
                magic = self._read(4, "section header")
                self._order = "<" if struct.unpack("<I", magic)[0] == _BYTE_ORDER_MAGIC else ">"
                if struct.unpack(self._order + "I", magic)[0] != _BYTE_ORDER_MAGIC:
                    raise PcapError(self.path, at, "section header without the byte-order magic")
                length = struct.unpack(self._order + "I", head[4:])[0]
                if length < 28 or length % 4:
                    raise PcapError(self.path, at, f"section length {length} is not a multiple of 4 >= 28")
                body = magic + self._read(length - 12, "section header")
                self._interfaces = []
            else:
                length = struct.unpack(self._order + "I", head[4:])[0]
                if length < 12 or length % 4:
                    raise PcapError(self.path, at, f"block length {length} is not a multiple of 4 >= 12")
                body = self._read(length - 8, f"block of {length} bytes")
            head = None
            body = body[:-4]  # the trailing copy of the length
            if kind == _PCAPNG_IDB:
                if len(body) < 8:
                    raise PcapError(self.path, at, "interface block cut short")
                linktype, _, _ = struct.unpack(self._order + "HHI", body[:8])
                options = _options(body[8:], self._order)
                named = options.get(_IF_NAME)
                self._interfaces.append(
                    (
                        linktype,
                        _resolution(options.get(_IF_TSRESOL)),
                        None if named is None else named.rstrip(b"\0").decode("utf-8", "backslashreplace"),
                    )
                )
                if len(self._interfaces) == 1:
                    self.linktype = linktype
                if first_interface:
                    return None
            elif kind == _PCAPNG_EPB:
                if len(body) < 20:
                    raise PcapError(self.path, at, "packet block cut short")
                interface, high, low, caplen, wirelen = struct.unpack(self._order + "IIIII", body[:20])
                if interface >= len(self._interfaces) or 20 + caplen > len(body):
                    raise PcapError(self.path, at, "packet block names an unknown interface or overruns")
                linktype, ticks, name = self._interfaces[interface]
                stamp = ((high << 32) | low) * 1_000_000_000 // ticks
                packed = _options(body[20 + caplen + (-caplen % 4) :], self._order).get(_EPB_FLAGS)
                flags = int.from_bytes(packed, _BYTE_ORDERS[self._order]) if packed else None
                return Record(body[20 : 20 + caplen], stamp, wirelen, linktype, interface, name, flags)
            elif kind == _PCAPNG_SPB:
                if not self._interfaces:
                    raise PcapError(self.path, at, "simple packet block before any interface")
                (wirelen,) = struct.unpack(self._order + "I", body[:4])
                linktype, _, name = self._interfaces[0]
                return Record(body[4 : 4 + wirelen], 0, wirelen, linktype, 0, name)

    # -- reading ---------------------------------------------------------------------------
    def _read(self, size: int, what: str) -> bytes:
        data = self._file.read(size)
        if len(data) < size:
            raise PcapError(self.path, self._offset, f"{what} cut short ({len(data)} of {size} bytes)")
        self._offset += size
        return data

    def _next_record(self) -> Record | None:
        """The next record, None at the end of the file (which is then closed, if the reader opened it)."""
        record = self._pending
        if record is not None:
            self._pending = None
            return record
        if self._ended:
            return None
        try:
            record = self._pcapng_next() if self.pcapng else self._pcap_next()
        except BaseException:
            self.close()
            raise
        if record is None:
            self._ended = True
            self.close()
        return record

    def records(self) -> Iterator[Record]:
        """The records not read yet, undecoded: bytes, timestamp (ns), wire length, link type."""
        while (record := self._next_record()) is not None:
            yield record

    def __iter__(self) -> PcapReader:
        return self

    def __next__(self) -> Layer:
        record = self._next_record()
        if record is None:
            raise StopIteration
        return record.packet

    def read_packet(self) -> Layer:
        """The next packet, decoded; EOFError at the end of the file (as scapy's)."""
        record = self._next_record()
        if record is None:
            raise EOFError(f"{self.path}: no more packets")
        return record.packet

    def read_all(self, count: int = -1) -> PacketList:
        """The packets not read yet (at most ``count`` of them when >= 0), named after the file."""
        packets: list[Layer] = []
        while count < 0 or len(packets) < count:
            record = self._next_record()
            if record is None:
                break
            packets.append(record.packet)
        return PacketList(packets, os.path.basename(self.path))

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


def _options(data: bytes, order: str) -> dict[int, bytes]:
    """A pcapng block's options: code -> value (the first of each code)."""
    options: dict[int, bytes] = {}
    at = 0
    while at + 4 <= len(data):
        code, length = struct.unpack(order + "HH", data[at : at + 4])
        if code == _OPT_END:
            break
        options.setdefault(code, data[at + 4 : at + 4 + length])
        at += 4 + length + (-length % 4)
    return options


def _resolution(value: bytes | None) -> int:
    """Ticks per second of a pcapng interface (if_tsresol; microseconds when absent)."""
    if not value:
        return 1_000_000
    ticks: int = 2 ** (value[0] & 0x7F) if value[0] & 0x80 else 10 ** value[0]
    return ticks


def _nanoseconds(when: Any) -> int:
    """Seconds since the epoch (a float, an int or a Decimal) as integer nanoseconds.

    The fraction is scaled on its own, so a float keeps all the precision it has (~240 ns now).
    """
    seconds = int(when)
    fraction: int = round((when - seconds) * 1_000_000_000)
    return seconds * 1_000_000_000 + fraction


Packets = Layer | bytes | Iterable[Any]  #: a packet, bytes, or an iterable of them or of pairs
_RECORD = struct.Struct("<IIII")  # a pcap record: seconds, fraction, captured length, length
_EPB_HEAD = struct.Struct("<IIIIIII")  # type, length, interface, time high, low, captured, length
_U32 = struct.Struct("<I")
_PADDING = (b"", b"\0", b"\0\0", b"\0\0\0")


class PcapWriter:
    """Writes packets to a pcap (or, with ``pcapng=True``, pcapng) file as they come (scapy's PcapWriter).

    The link type is ``linktype``, else the first packet's (Ether 1, IP 228, IPv6 229, Linux
    cooked 113 and 276; bytes: Ethernet); each record gets its packet's ``time`` (now when
    None) and ``wirelen``. pcapng files also keep each packet's ``sniffed_on`` (one interface
    block per name) and ``direction`` (epb_flags), and take packets of several link types. A
    packet a pcap file cannot hold is a LinkTypeError, never a file that shows garbage, with
    one exception made right: IPv6 after IPv4 (or the other way) turns the file's link type to
    raw IP of either version (101). ``append=True`` adds to an existing file (pcapng: a new
    section); ``sync=True`` flushes each packet; ``nano`` (scapy's name) or ``nanoseconds``:
    timestamps in nanoseconds (else microseconds, rounded).
    """

    def __init__(
        self,
        filename: Source,
        linktype: int | None = None,
        *,
        append: bool = False,
        sync: bool = False,
        nano: bool = False,
        nanoseconds: bool = False,
        pcapng: bool = False,
        snaplen: int | None = None,
    ) -> None:
        self.nanoseconds = nano or nanoseconds
        # Not given: scapy's 65535 in a pcap header, raised to libpcap's 262144 (the header
        # rewritten) by a longer packet, which is never cut; pcapng: libpcap's.
        self._grow = snaplen is None and not pcapng
        self.snaplen = (_SCAPY_SNAPLEN if self._grow else _SNAPLEN) if snaplen is None else snaplen
        self.pcapng, self.sync = pcapng, sync
        self.linktype = linktype  #: the file's link type; None until the first packet decides it
        self._given = linktype is not None
        self._interfaces: dict[tuple[int, str | None], int] = {}  # pcapng: (linktype, name) -> index
        self._header_at: int | None = None  # where the pcap header's link type can be rewritten
        self.written = 0
        appending = append and _has_content(filename)
        if appending:
            self._take_header(filename)
        self._file, self.path, self._owned = _open(filename, "ab" if append else "wb")
        if self.pcapng:  # (appended: a new section, with interfaces of its own)
            section = struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1)
            self._block(_PCAPNG_SHB, section)
            if self.linktype is not None:
                self._interface(self.linktype, None)
        elif self.linktype is not None and not appending:
            self._pcap_header(self.linktype)
        elif appending:
            self._header_at = -1  # (present, not rewritable)

    def _take_header(self, filename: Source) -> None:
        """Appending: the format, precision and link type are the existing file's."""
        with PcapReader(filename) as existing:
            self.pcapng = existing.pcapng
            if existing.pcapng:
                return
            if self.linktype is not None and not _holds(existing.linktype, self.linktype):
                raise LinkTypeError(
                    f"{existing.path} holds link type {existing.linktype}, not {self.linktype}: "
                    "append to a file of the same link type, or write a new one"
                )
            self.linktype, self.nanoseconds, self._given = existing.linktype, existing.nanoseconds, True

    def _pcap_header(self, linktype: int) -> None:
        try:
            self._header_at = self._file.tell()
        except (OSError, ValueError):  # (a pipe: no rewriting the header later)
            self._header_at = -1
            if self._grow:
                self.snaplen, self._grow = _SNAPLEN, False
        magic = _PCAP_NANO if self.nanoseconds else _PCAP_MICRO
        self._file.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, self.snaplen, linktype))

    def _raise_snaplen(self) -> None:
        """A packet longer than scapy's 65535: libpcap's 262144 in the header (rewritten in place;
        a pipe's header is written with it from the start)."""
        self.snaplen, self._grow = _SNAPLEN, False
        at = self._header_at
        if at is not None and at >= 0:
            here = self._file.tell()
            self._file.seek(at + 16)
            self._file.write(struct.pack("<I", self.snaplen))
            self._file.seek(here)

    def _block(self, kind: int, body: bytes) -> None:
        body += bytes(-len(body) % 4)
        length = len(body) + 12
        self._file.write(struct.pack("<II", kind, length) + body + struct.pack("<I", length))

    # -- writing ---------------------------------------------------------------------------
    def write(self, pkt: Packets, timestamp: float | None = None, *, wirelen: int | None = None) -> None:
        """Append a packet, bytes, or every packet of a list (a PacketList, sr()'s answers: each
        query then its answer). ``timestamp`` (seconds) and ``wirelen``: for every record written
        here, instead of each packet's own ``time`` and ``wirelen``."""
        for packet, sent in _each(pkt):
            self._write_packet(packet, timestamp if timestamp is not None else sent, wirelen)

    def _write_packet(self, packet: Layer | bytes, when: float | None, wirelen: int | None) -> None:
        if isinstance(packet, Layer):
            data = bytes(packet)
            natural = LINKTYPES.get(packet.__class__)
            if natural is None and not isinstance(packet, Raw) and not self._given:
                name = type(packet).__name__
                raise LinkTypeError(
                    f"{self.path}: a packet starting with {name} has no link type of its own: "
                    f"write Ether()/{name}(...) (or IP()/...), or give linktype="
                )
            if when is None:
                when = packet.time
            if wirelen is None:
                wirelen = packet.wirelen
            sniffed_on, direction = packet.sniffed_on, packet.direction
        else:
            data, natural, sniffed_on, direction = bytes(packet), None, None, None
        stamp = time.time_ns() if when is None else _nanoseconds(when)
        self._write(data, stamp, max(wirelen or 0, len(data)), natural, sniffed_on, flags_of(direction))

    def write_record(self, record: Record) -> None:
        """Append a record as it is: bytes, timestamp, wire length, link type (pcapng: name, flags)."""
        data, stamp, wirelen = record.data, record.timestamp_ns, record.wirelen
        self._write(data, stamp, wirelen, record.linktype, record.ifname, record.flags)

    def write_many(
        self,
        records: Iterable[tuple[Any, int, int]],
        linktype: int | None = None,
        *,
        microseconds: bool = False,
    ) -> int:
        """Append captured records at once, in one buffer and one write (a capture ring's block):
        each (data, time in ns, length on the wire), data bytes or a view, cut to the snapshot
        length. As libpcap gives a capture's times, microseconds are cut, not rounded;
        ``microseconds``: cut so in a nanosecond file too (tcpdump's pcapng at its default
        precision). All of ``linktype`` (None: the file's). Returns how many were written."""
        linktype = self._linktype_for(linktype)
        snaplen, nanoseconds = self.snaplen, self.nanoseconds
        out = bytearray()
        count = 0
        if self.pcapng:
            index = self._interface(linktype, None)
            head, tail = _EPB_HEAD.pack, _U32.pack
            for data, stamp, wirelen in records:
                size = len(data)
                if size > snaplen:
                    data, size = data[:snaplen], snaplen
                ticks = stamp if nanoseconds else stamp // 1000
                if microseconds and nanoseconds:
                    ticks = ticks // 1000 * 1000
                pad = -size % 4
                total = 32 + size + pad
                out += head(_PCAPNG_EPB, total, index, ticks >> 32, ticks & 0xFFFFFFFF, size, wirelen)
                out += data
                out += _PADDING[pad] + tail(total)
                count += 1
        else:
            record = _RECORD.pack
            for data, stamp, wirelen in records:
                size = len(data)
                if size > snaplen:
                    if self._grow:
                        self._raise_snaplen()
                        snaplen = self.snaplen
                    if size > snaplen:
                        data, size = data[:snaplen], snaplen
                if nanoseconds:
                    seconds, fraction = divmod(stamp // 1000 * 1000 if microseconds else stamp, _NS)
                else:
                    seconds, fraction = divmod(stamp // 1000, 1_000_000)
                out += record(seconds, fraction, size, wirelen)
                out += data
                count += 1
        self._file.write(out)
        self.written += count
        if self.sync:
            self._file.flush()
        return count

    def _write(
        self, data: bytes, stamp: int, wirelen: int, natural: int | None, name: str | None, flags: int | None
    ) -> None:
        linktype = self._linktype_for(natural)
        if self._grow and len(data) > self.snaplen:
            self._raise_snaplen()
        data = data[: self.snaplen]
        # Microseconds are rounded, not cut: a float timestamp is only good to a few hundred ns.
        ticks = stamp if self.nanoseconds else (stamp + 500) // 1000
        if self.pcapng:
            head = struct.pack(
                "<IIIII", self._interface(linktype, name), ticks >> 32, ticks & 0xFFFFFFFF, len(data), wirelen
            )
            options = b"" if flags is None else struct.pack("<HHI", _EPB_FLAGS, 4, flags) + bytes(4)
            self._block(_PCAPNG_EPB, head + data + bytes(-len(data) % 4) + options)
        else:
            seconds, fraction = divmod(ticks, 1_000_000_000 if self.nanoseconds else 1_000_000)
            self._file.write(struct.pack("<IIII", seconds, fraction, len(data), wirelen) + data)
        self.written += 1
        if self.sync:
            self._file.flush()

    def _linktype_for(self, natural: int | None) -> int:
        """The link type a record of ``natural`` link type (None: any) is written with."""
        linktype = self.linktype
        if linktype is None:
            linktype = self.linktype = LINKTYPE_ETHERNET if natural is None else natural
            if not self.pcapng:
                self._pcap_header(linktype)
            return linktype
        if natural is None or _holds(linktype, natural):
            return linktype
        if self.pcapng:
            return natural  # (an interface block of its own)
        if {linktype, natural} == {LINKTYPE_IPV4, LINKTYPE_IPV6} and self._rewrite_linktype(LINKTYPE_RAW):
            return LINKTYPE_RAW
        raise LinkTypeError(
            f"{self.path}: packet {self.written + 1} has link type {natural}, the file {linktype}: "
            "a pcap file holds one link type; write pcapng (pcapng=True), which holds several, "
            "or one file per link type"
        )

    def _rewrite_linktype(self, linktype: int) -> bool:
        """Change the pcap header's link type (a file this writer began and can seek in)."""
        at = self._header_at
        if at is None or at < 0 or not self._file.seekable():
            return False
        self._file.flush()
        end = self._file.tell()
        self._file.seek(at + 20)
        self._file.write(struct.pack("<I", linktype))
        self._file.seek(end)
        self.linktype = linktype
        return True

    def _interface(self, linktype: int, name: str | None) -> int:
        """The pcapng interface index for (link type, name), its block written the first time."""
        key = (linktype, name)
        index = self._interfaces.get(key)
        if index is None:
            index = self._interfaces[key] = len(self._interfaces)
            options = b""
            if name is not None:
                encoded = name.encode()
                options += struct.pack("<HH", _IF_NAME, len(encoded)) + encoded + bytes(-len(encoded) % 4)
            options += struct.pack("<HHB3x", _IF_TSRESOL, 1, 9 if self.nanoseconds else 6) + bytes(4)
            self._block(_PCAPNG_IDB, struct.pack("<HHI", linktype, 0, self.snaplen) + options)
        return index

    def flush(self) -> None:
        """Flush the file."""
        self._file.flush()

    def tell(self) -> int:
        """The file's size so far, in bytes (what was written, buffered or not)."""
        return self._file.tell()

    def close(self) -> None:
        """Flush and close the file (if the writer opened it); with no packet, a file is Ethernet."""
        if self._file.closed:
            return
        if self.linktype is None and not self.pcapng:
            self._linktype_for(None)
        if self.pcapng and not self._interfaces:  # (tcpdump reads no file without one)
            self._interface(self.linktype or LINKTYPE_ETHERNET, None)
        self._file.flush()
        if self._owned:
            self._file.close()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _holds(linktype: int, natural: int) -> bool:
    """Whether a file of ``linktype`` holds packets of ``natural`` link type."""
    return natural == linktype or (natural in (LINKTYPE_IPV4, LINKTYPE_IPV6) and linktype in _RAW_EITHER)


def _has_content(filename: Source) -> bool:
    if not isinstance(filename, str | os.PathLike):
        return False
    try:
        return os.path.getsize(filename) > 0
    except OSError:
        return False


def _each(pkt: Packets) -> Iterator[tuple[Layer | bytes, float | None]]:
    """Each packet to write, with the time to write it at when it is not its own (a query's sent_time)."""
    if isinstance(pkt, bytes | bytearray | memoryview):
        yield bytes(pkt), None
    elif isinstance(pkt, Layer):
        for one in pkt:  # (a packet with sets of values is every packet it stands for)
            yield one, None
    elif isinstance(pkt, QueryAnswer):
        yield pkt.query, pkt.query.sent_time
        yield pkt.answer, None
    else:
        item: Any
        for item in pkt:
            yield from _each(item)


def rotated_name(pattern: str, number: int, digits: int, when: float | None = None) -> str:
    """A file name of tcpdump's -w/-C/-G/-W series (tcpdump.c's MakeFilename).

    ``when`` (-G: the file's start time): ``pattern`` goes through strftime in local time.
    Then the number: none for the first file (``number`` 0) unless ``digits`` (-W's width)
    asks for it, zero-padded to ``digits``: trace, trace1, trace2 ...; with -W 10: trace0 ...
    """
    name = pattern if when is None else time.strftime(pattern, time.localtime(when))
    if number == 0 and digits == 0:
        return name
    return f"{name}{number:0{digits}d}"


def rdpcap(filename: Source, count: int = -1) -> PacketList:
    """The packets of a capture file (the first ``count`` when >= 0), named after it (scapy's rdpcap)."""
    with PcapReader(filename) as reader:
        return reader.read_all(count)


def wrpcap(
    filename: Source,
    pkt: Packets,
    linktype: int | None = None,
    *,
    append: bool = False,
    sync: bool = False,
    nano: bool = False,
    nanoseconds: bool = False,
    pcapng: bool = False,
    snaplen: int | None = None,
) -> None:
    """Write packets to a capture file (scapy's wrpcap); the options are PcapWriter's."""
    with PcapWriter(
        filename,
        linktype,
        append=append,
        sync=sync,
        nano=nano,
        nanoseconds=nanoseconds,
        pcapng=pcapng,
        snaplen=snaplen,
    ) as writer:
        writer.write(pkt)
