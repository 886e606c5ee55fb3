"""TCP (RFC 9293): header, the nine flags, options; checksum over the given pseudo-header."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rawnet.errors import MalformedError, TruncatedError
from rawnet.wire.checksum import fold
from rawnet.wire.compiler import reader
from rawnet.wire.fields import Checksum, Flags, FlagsValue, IntValue, Length, ListVar, UInt
from rawnet.wire.layer import LAZY, PARTIAL, QUOTED, Layer
from rawnet.wire.options import check_pairs, walk
from rawnet.wire.registry import TCP_PORT

PROTOCOL = 6

#: Option kinds by scapy's names (IANA "TCP Option Kind Numbers").
OPTION_KINDS = {
    "EOL": 0, "NOP": 1, "MSS": 2, "WScale": 3, "SAckOK": 4, "SAck": 5, "Timestamp": 8,
    "MD5": 19,  # RFC 2385: a 16-byte digest
    "UTO": 28,  # RFC 5482: User Timeout, a 16-bit value
}  # fmt: skip
_NAMES = {kind: name for name, kind in OPTION_KINDS.items()}
_U16 = struct.Struct("!H")
_QUOTED_AT_LEAST = 8  #: the bytes of a header an ICMP error quotes at least (RFC 792)
_join = b"".join
_from_bytes = int.from_bytes
_FORMAT: dict[str, Any] = {
    "layer": "tcp",
    "word": "option kind",
    "single": (1,),
    "eol": 0,
    "length_counts_header": True,
}
_U32x2 = struct.Struct("!II")

Option = tuple[Any, Any]


def decode_options(buf: bytes, offset: int, end: int) -> list[Option]:
    """TCP options as scapy's (name, value) tuples; an unknown or odd-sized kind is (kind, bytes)."""
    options: list[Option] = []
    for kind, data in walk(buf=buf, offset=offset, end=end, **_FORMAT):
        if kind == 0:
            # (zeros only up to the next 4-byte boundary are what encoding ('EOL', None) pads with)
            options.append(("EOL", None if not data or (len(data) < 4 and not any(data)) else data))
        elif data is None:
            options.append(("NOP", None))
        else:
            options.append(_typed_option(kind, data))
    return options


def _typed_option(kind: int, data: bytes) -> Option:
    size = len(data)
    if kind == 2 and size == 2:
        return ("MSS", _U16.unpack(data)[0])
    if kind == 3 and size == 1:
        return ("WScale", data[0])
    if kind == 4 and size == 0:
        return ("SAckOK", b"")
    if kind == 5 and size and size % 4 == 0:  # (half a block too, and one edge reads as an int: scapy's)
        edges = tuple(int.from_bytes(data[i : i + 4], "big") for i in range(0, size, 4))
        return ("SAck", edges[0] if len(edges) == 1 else edges)
    if kind == 8 and size == 8:
        return ("Timestamp", _U32x2.unpack(data))
    if kind == 28 and size == 2:
        return ("UTO", _U16.unpack(data)[0])
    if kind == 19 and size == 16:
        return ("MD5", data)
    name = _NAMES.get(kind)
    return (kind, data) if name is None else (name, data)  # a known kind of another size: its bytes


def _encode_option(name: Any, value: Any) -> bytes:
    kind = OPTION_KINDS.get(name, name)
    if kind == 0:
        return b"\x00" + (value or b"")
    if kind == 1:
        return b"\x01"
    if isinstance(value, bytes):  # bytes as they are (a known kind of another size decodes so)
        return bytes((kind, len(value) + 2)) + value
    if name in ("MSS", "UTO"):
        data = _U16.pack(value)
    elif name == "WScale":
        data = bytes((value,))
    elif name == "SAckOK":
        data = b""
    elif name == "SAck":
        data = b"".join(
            int(edge).to_bytes(4, "big") for edge in (value if isinstance(value, tuple | list) else (value,))
        )
    elif name == "Timestamp":
        data = _U32x2.pack(*value)
    else:
        data = bytes(value or b"")
    return bytes((kind, len(data) + 2)) + data


def encode_options(options: Sequence[Option]) -> bytes:
    """The options' bytes, zero-padded to a multiple of four."""
    data = b"".join(_encode_option(name, value) for name, value in options)
    if len(data) & 3:
        data += bytes(4 - (len(data) & 3))
    return data


def _check_options(value: Any) -> tuple[Option, ...]:
    return check_pairs(value, OPTION_KINDS, encode_options, 40, "a TCP header", "kind")


def _show_options(options: Sequence[Option]) -> str:
    return "[" + ", ".join(f"({name!r}, {value!r})" for name, value in options) + "]"


class TCP(Layer):
    """TCP header (RFC 9293 section 3.1)."""

    __slots__ = ()
    name = "tcp"
    sport = UInt(16, "Source Port", 20)
    dport = UInt(16, "Destination Port", 80)
    seq = UInt(32, "Sequence Number", 0)
    ack = UInt(32, "Acknowledgment Number", 0)
    dataofs = UInt(4, "Data Offset (32-bit words)", None, auto=Length("header", scale=4))
    reserved = UInt(3, "Reserved", 0)
    flags = Flags(9, "FSRPAUECN", "Control bits: FIN SYN RST PSH ACK URG ECE CWR NS/AE", 0x02)
    window = UInt(16, "Window", 8192)
    chksum = UInt(16, "Checksum", None, auto=Checksum("all", pseudo=PROTOCOL), hex=True)
    urgptr = UInt(16, "Urgent Pointer", 0)
    options: ListVar[tuple[Any, ...]] = ListVar(
        "Options", (), converter=_check_options, shower=_show_options, copied=False
    )

    ports = TCP_PORT  # the next layer by port: the destination's, then the source's
    # The stack codecs take a header as the rules say; _decode and _build below handle the rest
    # (a length cutting the segment short), and tests/wire/test_fused.py holds them together.
    fused_decode = True
    fused_build = True

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> TCP:
        if offset + cls.header_len > end:
            if mode & QUOTED and end - offset >= _QUOTED_AT_LEAST:
                return cls._cut_short(buf[offset:end], mode)
            raise cls._truncated(offset, end)
        dataofs = _read_dataofs(buf, offset)
        header_len = dataofs << 2
        if header_len < cls.header_len:
            raise MalformedError("tcp", offset, f"data offset {dataofs} < 5")
        if offset + header_len > end:
            raise TruncatedError(
                "tcp", offset, f"data offset {dataofs} needs {header_len} bytes, {end - offset} left"
            )
        layer = cls._view(buf, offset, offset + header_len, end, mode)
        if header_len > cls.header_len:
            layer._unpack()  # decodes and checks the options now
        return layer

    @classmethod
    def _cut_short(cls, quoted: bytes, mode: int) -> TCP:
        """A header an ICMP error quotes only in part (RFC 792 asks for 8 bytes: the ports and the
        sequence number): its fields read from the bytes there, the rest as 0, as scapy's
        TCPerror reads them; built untouched, it is the bytes quoted."""
        padded = quoted + bytes(cls.header_len - len(quoted))
        return cls._view(padded, 0, len(quoted), len(quoted), mode | PARTIAL)

    def _fill_variable(self, values: list[Any]) -> None:
        start = self._off + self.header_len
        values[_OPTIONS] = tuple(decode_options(self._buf, start, self._poff)) if self._poff > start else ()

    #: IPv4 may pass the length its total-length field leaves the segment (see _build).
    takes_limit = True

    def _build(self, pseudo: bytes | None, limit: int | None = None) -> bytes:
        """The segment; with ``limit`` (a user's IP total length cutting it short) the checksum
        covers only the bytes a receiver will take as the segment."""
        if self._mode & PARTIAL and self._ver == 0 and (self._payload is None or self._payload is LAZY):
            quoted: bytes | None = getattr(self, "_buf", None)  # a quote's part, unchanged and alone
            if quoted is not None:
                return quoted[self._off : self._pend] + self._pad
        values = self._v or self._unpack()
        options = values[_OPTIONS]
        option_bytes = encode_options(options) if options else b""
        payload = self._build_payload(None)
        dataofs = values[_DATAOFS]
        if dataofs is None:
            dataofs = (self.header_len + len(option_bytes)) >> 2
        chksum = values[_CHKSUM]
        if chksum is not None or pseudo is None:
            return self._pack(dataofs, chksum or 0) + option_bytes + payload + self._pad
        header = self._pack(dataofs, 0) + option_bytes
        size = len(header) + len(payload)
        covered = payload
        if limit is not None and limit < size:
            covered = payload[: max(limit - len(header), 0)]
            size = len(header) + len(covered)
        # RFC 1071 (see checksum.py): the pseudo-header, TCP length and protocol, the segment.
        number = _from_bytes(_join((pseudo, header, covered, b"\0" if size & 1 else b"")), "big")
        chksum = fold(number + size + PROTOCOL)
        # One allocation for the segment: the header around its checksum, then the data.
        at = _CHKSUM_AT
        return _join((header[: at.start], chksum.to_bytes(2, "big"), header[at.stop :], payload, self._pad))

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            sport: IntValue = ...,
            dport: IntValue = ...,
            seq: IntValue = ...,
            ack: IntValue = ...,
            dataofs: IntValue = ...,
            reserved: IntValue = ...,
            flags: FlagsValue = ...,
            window: IntValue = ...,
            chksum: IntValue = ...,
            urgptr: IntValue = ...,
            options: Any = ...,
        ) -> None: ...


# Field positions, named (generated with the class): never a bare index.
_DATAOFS, _CHKSUM, _OPTIONS = TCP.slot.dataofs, TCP.slot.chksum, TCP.slot.options
_CHKSUM_AT = TCP.span.chksum
_read_dataofs = reader(TCP, "dataofs")
