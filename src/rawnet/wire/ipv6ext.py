"""IPv6 extension headers (RFC 8200 section 4): Hop-by-Hop, Routing (and SRH), Fragment, Destination.

Each extension header is a layer of its own, between IPv6 and the transport:
``IPv6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment() / UDP()``. Hop-by-Hop and
Destination options are ``(name, value)`` tuples, as TCP options are: ``("Pad1", None)``,
``("PadN", b"\\0\\0")``, ``("RouterAlert", 0)``, ``("Jumbo", 70000)``, and an unknown option
``(type, data_bytes)``. Building pads the options to a multiple of 8 bytes (Pad1 or PadN);
decoding keeps the padding as options, so a decoded header rebuilds byte for byte. Next header
59 and unknown numbers end the chain with Raw bytes; a non-first fragment's payload is Raw.
Every header takes at least 8 bytes and nesting is bounded by the Layer machinery, so no chain
of headers can loop. Never I/O, never globals.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rawnet.errors import MalformedError, TruncatedError
from rawnet.wire.compiler import reader
from rawnet.wire.fields import LENGTH, NEXT, Field, IntValue, ListVar, NamedValue, UInt, Var
from rawnet.wire.layer import FRAGMENT, IN_IPV6, Layer, LayerClass, Raw
from rawnet.wire.numbers import IPProto
from rawnet.wire.options import check_pairs, walk
from rawnet.wire.registry import IPV6_NEXT_HEADER, LAYERS

_PROTOCOLS = LAYERS.table(IPV6_NEXT_HEADER)
_AF_INET6 = socket.AF_INET6
_pton = socket.inet_pton
_ntop = socket.inet_ntop

# Next Header values of the headers defined here (IANA "Assigned Internet Protocol Numbers").
HOP_BY_HOP, ROUTING, FRAGMENT_HEADER, NO_NEXT_HEADER, DESTINATION_OPTIONS = 0, 43, 44, 59, 60
SEGMENT_ROUTING = 4  #: Routing Type of the Segment Routing Header (RFC 8754)

# -- Hop-by-Hop and Destination options (RFC 8200 4.2) -----------------------------------

#: Option types by name: Pad1, PadN (RFC 8200), Router Alert (RFC 2711), Jumbo Payload (RFC 2675).
OPTION_TYPES = {"Pad1": 0, "PadN": 1, "RouterAlert": 5, "Jumbo": 0xC2}
MAX_OPTIONS_LEN = 2046  #: (255 + 1) * 8 bytes of header, less next header and length

Option = tuple[Any, Any]


def decode_options(layer: str, buf: bytes, offset: int, end: int) -> list[Option]:
    """The options in ``buf[offset:end]`` as (name, value) tuples; an unknown type is (type, bytes)."""
    options: list[Option] = []
    for kind, data in walk(
        layer, buf, offset, end, word="option type", single=(0,), eol=None, length_counts_header=False
    ):
        options.append(("Pad1", None) if data is None else _typed_option(kind, data))
    return options


def _typed_option(kind: int, data: bytes) -> Option:
    if kind == 1:
        return ("PadN", data)
    if kind == 5 and len(data) == 2:
        return ("RouterAlert", int.from_bytes(data, "big"))
    if kind == 0xC2 and len(data) == 4:
        return ("Jumbo", int.from_bytes(data, "big"))
    return (kind, data)


def _encode_option(name: Any, value: Any) -> bytes:
    kind = OPTION_TYPES.get(name, name)
    if kind == 0:
        return b"\x00"
    if name == "RouterAlert":
        data = int(value).to_bytes(2, "big")
    elif name == "Jumbo":
        data = int(value).to_bytes(4, "big")
    else:
        data = bytes(value or b"")
    return bytes((kind, len(data))) + data


def encode_options(options: Sequence[Option]) -> bytes:
    """The options' bytes, padded with Pad1 or PadN so that the header is a multiple of 8 bytes."""
    data = b"".join(_encode_option(name, value) for name, value in options)
    missing = -(2 + len(data)) % 8
    if missing == 1:
        return data + b"\x00"
    if missing:
        return data + bytes((1, missing - 2)) + bytes(missing - 2)
    return data


class HBHOption(tuple[Any, Any]):
    """An option as scapy writes it, ``RouterAlert()``, ``Jumbo(jumboplen=...)``: the (name, value)
    pair rawnet keeps (equal to it), made by class; ``Jumbo in pkt`` and ``pkt[Jumbo]`` look
    through the packet's Hop-by-Hop and Destination options."""

    kind: ClassVar[str] = ""

    def __new__(cls, value: Any = None) -> HBHOption:
        return super().__new__(cls, (cls.kind, value))

    @property
    def value(self) -> Any:
        """The option's value (its data)."""
        return self[1]

    @classmethod
    def find_in(cls, packet: Layer) -> HBHOption | None:
        """This kind of option in ``packet``'s options headers, or None."""
        for layer in packet.layers():
            if isinstance(layer, _OptionsHeader):
                for name, value in layer.options:
                    if name == cls.kind:
                        return cls(value)
        return None


class Pad1(HBHOption):
    """Pad1 (RFC 8200 4.2): one byte of padding."""

    kind = "Pad1"


class PadN(HBHOption):
    """PadN (RFC 8200 4.2): N bytes of padding (scapy's optdata)."""

    kind = "PadN"

    def __new__(cls, optdata: bytes = b"") -> PadN:
        return super().__new__(cls, optdata)  # type: ignore[return-value]


class RouterAlert(HBHOption):
    """Router Alert (RFC 2711): the value (0: MLD)."""

    kind = "RouterAlert"

    def __new__(cls, value: int = 0) -> RouterAlert:
        return super().__new__(cls, value)  # type: ignore[return-value]


class Jumbo(HBHOption):
    """Jumbo Payload (RFC 2675): the jumbogram's length (scapy's jumboplen)."""

    kind = "Jumbo"

    def __new__(cls, jumboplen: int = 0) -> Jumbo:
        return super().__new__(cls, jumboplen)  # type: ignore[return-value]

    @property
    def jumboplen(self) -> int:
        """The Jumbo Payload Length."""
        return int(self[1])


def _check_options(value: Any) -> tuple[Option, ...]:
    return check_pairs(value, OPTION_TYPES, encode_options, MAX_OPTIONS_LEN, "an extension header", "type")


def _show_options(options: Sequence[Option]) -> str:
    return "[" + ", ".join(f"({name!r}, {value!r})" for name, value in options) + "]"


def _check_addresses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bytes):
        raise ValueError(f"expected a list of IPv6 addresses, got {value!r}")
    addresses = []
    for address in value:
        try:
            wire = address if isinstance(address, bytes) and len(address) == 16 else _pton(_AF_INET6, address)
        except (OSError, TypeError, ValueError):
            raise ValueError(f"{address!r} is not an IPv6 address") from None
        addresses.append(_ntop(_AF_INET6, wire))
    if len(addresses) > 127:
        raise ValueError(f"{len(addresses)} addresses, a routing header has room for 127")
    return tuple(addresses)


def _check_data(value: Any) -> bytes:
    data = bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None
    if data is None:
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    if len(data) > 2040:
        raise ValueError(f"{len(data)} bytes, an extension header has room for 2040")
    return data


def _pad8(data: bytes, fixed: int) -> bytes:
    """``data`` zero-padded so that ``fixed + len(data)`` is a multiple of 8."""
    missing = -(fixed + len(data)) % 8
    return data + bytes(missing) if missing else data


# -- choosing and naming the next header -------------------------------------------------


def next_class(number: int, buf: bytes, offset: int, end: int) -> LayerClass:
    """The class that decodes next header ``number`` at ``buf[offset:end]``; Raw when none does."""
    if (
        number == ROUTING
        and offset + 8 <= end
        and _read_type(buf, offset) == SEGMENT_ROUTING
        and (_read_lastentry(buf, offset) + 1) * 16 <= _read_len(buf, offset) * 8
    ):
        return IPv6ExtHdrSegmentRouting  # its Last Entry fits in its length; anything else stays generic
    return _PROTOCOLS.get(number, Raw)


def next_header(payload: Layer | None) -> int:
    """The Next Header value announcing ``payload``: 59 (No Next Header) for none or raw bytes."""
    if payload is None:
        return NO_NEXT_HEADER
    return LAYERS.number_for(
        IPV6_NEXT_HEADER, payload, getattr(payload.__class__, "ip_protocol", NO_NEXT_HEADER)
    )


def next_header_of(layer: Layer) -> int:
    """The Next Header value announcing ``layer``'s payload (decoded, or thawed from what ``/``
    made, if it was not yet)."""
    return next_header(layer.payload)


def _next_header_read(layer: Any, field: Any) -> int | None:
    return next_header_of(layer) if field.name == "nh" else None


# -- extension headers --------------------------------------------------------------------


class _OptionsHeader(Layer):
    """Hop-by-Hop or Destination Options header (RFC 8200 4.3, 4.6): next header, length, options."""

    __slots__ = ()
    nh = UInt(8, "Next Header", None, auto=NEXT, enum=IPProto)
    _hand_number = _next_header_read  # (what nh reads when None: the payload's number)
    len = UInt(8, "Hdr Ext Len (8-octet units, not counting the first 8)", None, auto=LENGTH)
    options: ListVar[tuple[Any, ...]] = ListVar("Options", (), converter=_check_options, shower=_show_options)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> _OptionsHeader:
        stop = _extension_end(cls.name, buf, offset, end)
        layer = cls._view(buf, offset, stop, end, mode)
        layer._unpack()  # decodes and checks the options now
        return layer

    payload_mode = IN_IPV6
    passes_pseudo = True

    def _fill_variable(self, values: list[Any]) -> None:
        values[_OPTIONS] = tuple(
            decode_options(self.name, self._buf, self._off + self.header_len, self._poff)
        )

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf = self._buf
        return next_class(_read_nh(buf, self._off), buf, self._poff, self._pend), IN_IPV6

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        option_bytes = encode_options(values[_OPTIONS])
        length = values[_LEN]
        if length is None:
            length = (self.header_len + len(option_bytes)) // 8 - 1
        nh = values[_NH]
        if nh is None:
            nh = next_header_of(self)
        return self._pack(nh, length) + option_bytes + self._build_payload(pseudo) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
            options: Any = ...,
        ) -> None: ...


def _extension_end(name: str, buf: bytes, offset: int, end: int) -> int:
    """Where the extension header at ``offset`` ends: (Hdr Ext Len + 1) * 8 bytes, checked to fit."""
    if offset + 8 > end:
        raise TruncatedError(name, offset, f"{end - offset} bytes left, an extension header needs 8")
    length: int = _read_len(buf, offset)
    size = (length + 1) * 8
    if offset + size > end:
        raise TruncatedError(name, offset, f"Hdr Ext Len {length} needs {size} bytes, {end - offset} left")
    return offset + size


class IPv6ExtHdrHopByHop(_OptionsHeader):
    """Hop-by-Hop Options header (RFC 8200 4.3): options every router on the path examines."""

    __slots__ = ()
    name = "ipv6-hopopts"

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
            options: Any = ...,
        ) -> None: ...


class IPv6ExtHdrDestOpt(_OptionsHeader):
    """Destination Options header (RFC 8200 4.6): options for the destination (or each listed hop)."""

    __slots__ = ()
    name = "ipv6-dstopts"

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
            options: Any = ...,
        ) -> None: ...


class _RoutingHeader(Layer):
    """What the Routing header and the SRH build alike: next header, length, the counters, body."""

    __slots__ = ()
    nh = UInt(8, "Next Header", None, auto=NEXT, enum=IPProto)
    _hand_number = _next_header_read  # (what nh reads when None: the payload's number)
    len = UInt(8, "Hdr Ext Len (8-octet units, not counting the first 8)", None, auto=LENGTH)

    def _body(self, values: list[Any]) -> bytes:
        raise NotImplementedError

    def _final_destination(self, dst: bytes) -> bytes:
        raise NotImplementedError

    payload_mode = IN_IPV6
    passes_pseudo = True

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf = self._buf
        return next_class(_read_nh(buf, self._off), buf, self._poff, self._pend), IN_IPV6

    def checked_fields(self) -> tuple[Field[Any], ...]:
        # Segments Left is not judged: routers decrement it on the way.
        return tuple(field for field in super().checked_fields() if field.name != "segleft")

    def _counters(self, values: list[Any]) -> tuple[int, ...]:
        """The header's computed fields after Hdr Ext Len, in order (Segments Left, ...)."""
        raise NotImplementedError

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        body = self._body(values)
        length = values[_LEN]
        if length is None:
            length = len(body) // 8
        nh = values[_NH]
        if nh is None:
            nh = next_header_of(self)
        if pseudo is not None:  # the transport's checksum covers the final destination (RFC 8200 8.1)
            pseudo = pseudo[:16] + self._final_destination(pseudo[16:])
        header = self._pack(nh, length, *self._counters(values))
        return header + body + self._build_payload(pseudo) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
        ) -> None: ...


class IPv6ExtHdrRouting(_RoutingHeader):
    """Routing header (RFC 8200 4.4); types 0 (RFC 2460, deprecated) and 2 (RFC 6275) carry addresses.

    Other types keep the bytes after ``reserved`` in ``data``. ``segleft`` defaults to the
    number of addresses; verify() does not judge it (routers decrement it on the way).
    """

    __slots__ = ()
    name = "ipv6-route"
    type = UInt(8, "Routing Type", 0)
    segleft = UInt(8, "Segments Left", None, auto=LENGTH)
    reserved = UInt(32, "Reserved (type-specific data for other types)", 0, hex=True)
    addresses: ListVar[tuple[str, ...]] = ListVar("Addresses (types 0 and 2)", (), converter=_check_addresses)
    data: Var[bytes] = Var("Type-specific data (other types)", b"", converter=_check_data)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IPv6ExtHdrRouting:
        stop = _extension_end(cls.name, buf, offset, end)
        return cls._view(buf, offset, stop, end, mode)

    def _fill_variable(self, values: list[Any]) -> None:
        buf, start, stop = self._buf, self._off + self.header_len, self._poff
        if _read_type(buf, self._off) in (0, 2) and (stop - start) % 16 == 0:
            values[_R.addresses] = tuple(_ntop(_AF_INET6, buf[at : at + 16]) for at in range(start, stop, 16))
            values[_R.data] = b""
        else:
            values[_R.addresses] = ()
            values[_R.data] = buf[start:stop]

    def _segments_left(self, values: list[Any]) -> int:
        segleft = values[_R.segleft]
        return len(values[_R.addresses]) if segleft is None else segleft

    def _body(self, values: list[Any]) -> bytes:
        addresses = b"".join(_pton(_AF_INET6, address) for address in values[_R.addresses])
        return _pad8(addresses + values[_R.data], self.header_len)

    def _final_destination(self, dst: bytes) -> bytes:
        values = self._values()
        if values[_R.type] in (0, 2) and values[_R.addresses] and self._segments_left(values) > 0:
            return _pton(_AF_INET6, values[_R.addresses][-1])
        return dst

    def _counters(self, values: list[Any]) -> tuple[int, ...]:
        return (self._segments_left(values),)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
            type: IntValue = ...,
            segleft: IntValue = ...,
            reserved: IntValue = ...,
            addresses: Any = ...,
            data: Any = ...,
        ) -> None: ...


class IPv6ExtHdrSegmentRouting(_RoutingHeader):
    """Segment Routing Header (RFC 8754): Routing type 4 with a list of segments, the last first.

    ``addresses`` holds the Segment List in wire order: ``addresses[0]`` is the final
    destination. ``segleft`` and ``lastentry`` default to the index of the last segment;
    ``tlvs`` keeps the optional TLVs as raw bytes.
    """

    __slots__ = ()
    name = "ipv6-srh"
    ip_protocol: ClassVar[int] = ROUTING  #: the Next Header value announcing it (not in the registry)
    type = UInt(8, "Routing Type", SEGMENT_ROUTING)
    segleft = UInt(8, "Segments Left", None, auto=LENGTH)
    lastentry = UInt(8, "Last Entry (index of the last segment)", None, auto=LENGTH)
    flags = UInt(8, "Flags", 0, hex=True)
    tag = UInt(16, "Tag", 0)
    # (scapy's default: one segment, ::1)
    addresses: ListVar[tuple[str, ...]] = ListVar("Segment List", ("::1",), converter=_check_addresses)
    tlvs: Var[bytes] = Var("TLVs", b"", converter=_check_data)

    @property
    def tlv_objects(self) -> list[tuple[int, bytes]]:
        """scapy's name: the TLVs as (type, value) pairs (Pad1 a type alone), read from ``tlvs``."""
        data, found, at = self.tlvs, [], 0
        while at < len(data):
            if data[at] == 0:  # Pad1
                found.append((0, b""))
                at += 1
                continue
            size = data[at + 1] if at + 1 < len(data) else 0
            found.append((data[at], data[at + 2 : at + 2 + size]))
            at += 2 + size
        return found

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IPv6ExtHdrSegmentRouting:
        stop = _extension_end(cls.name, buf, offset, end)
        kind = _read_type(buf, offset)
        if kind != SEGMENT_ROUTING:
            raise MalformedError(cls.name, offset, f"routing type {kind}, expected 4")
        lastentry = _read_lastentry(buf, offset)
        if offset + cls.header_len + (lastentry + 1) * 16 > stop:
            raise MalformedError(
                cls.name, offset, f"last entry {lastentry} does not fit in {stop - offset} bytes"
            )
        return cls._view(buf, offset, stop, end, mode)

    def _fill_variable(self, values: list[Any]) -> None:
        buf, start = self._buf, self._off + self.header_len
        segments_end = start + (values[_S.lastentry] + 1) * 16
        values[_S.addresses] = tuple(
            _ntop(_AF_INET6, buf[at : at + 16]) for at in range(start, segments_end, 16)
        )
        values[_S.tlvs] = buf[segments_end : self._poff]

    def _segments_left(self, values: list[Any]) -> int:
        segleft = values[_S.segleft]
        return max(len(values[_S.addresses]) - 1, 0) if segleft is None else segleft

    def _body(self, values: list[Any]) -> bytes:
        segments = b"".join(_pton(_AF_INET6, address) for address in values[_S.addresses])
        return _pad8(segments + values[_S.tlvs], self.header_len)

    def _final_destination(self, dst: bytes) -> bytes:
        values = self._values()
        if values[_S.addresses] and self._segments_left(values) > 0:
            return _pton(_AF_INET6, values[_S.addresses][0])
        return dst

    def _counters(self, values: list[Any]) -> tuple[int, ...]:
        lastentry = values[_S.lastentry]
        if lastentry is None:
            lastentry = max(len(values[_S.addresses]) - 1, 0)
        return self._segments_left(values), lastentry

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            len: IntValue = ...,
            type: IntValue = ...,
            segleft: IntValue = ...,
            lastentry: IntValue = ...,
            flags: IntValue = ...,
            tag: IntValue = ...,
            addresses: Any = ...,
            tlvs: Any = ...,
        ) -> None: ...


class IPv6ExtHdrFragment(Layer):
    """Fragment header (RFC 8200 4.5): offset in 8-byte units, More Fragments flag, identification."""

    __slots__ = ()
    name = "ipv6-frag"
    nh = UInt(8, "Next Header", None, auto=NEXT, enum=IPProto)
    _hand_number = _next_header_read  # (what nh reads when None: the payload's number)
    res1 = UInt(8, "Reserved", 0)
    offset = UInt(13, "Fragment Offset (8-byte units)", 0)
    res2 = UInt(2, "Res", 0)
    m = UInt(1, "M flag: more fragments", 0)
    id = UInt(32, "Identification", 0, hex=True)

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf, offset = self._buf, self._off
        if _read_offset(buf, offset):
            return Raw, 0  # a non-first fragment carries no upper-layer header
        cls = next_class(_read_nh(buf, offset), buf, self._poff, self._pend)
        return cls, (FRAGMENT | IN_IPV6) if _read_m(buf, offset) else IN_IPV6

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        nh = values[_NH]
        if nh is None:
            nh = next_header_of(self)
        return self._pack(nh) + self._build_payload(pseudo) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            nh: NamedValue = ...,
            res1: IntValue = ...,
            offset: IntValue = ...,
            res2: IntValue = ...,
            m: IntValue = ...,
            id: IntValue = ...,
        ) -> None: ...


#: The extension header classes (a tuple, for isinstance).
EXTENSION_HEADERS = (_OptionsHeader, _RoutingHeader, IPv6ExtHdrFragment)


def has_jumbo_option(payload: Any) -> bool:
    """Whether ``payload`` is a Hop-by-Hop header carrying a Jumbo Payload option (RFC 2675)."""
    if not isinstance(payload, IPv6ExtHdrHopByHop):
        return False
    return any(name in ("Jumbo", 0xC2) for name, _ in payload.options)


# Field positions, named (generated with the classes): never a bare index.
_NH, _LEN, _OPTIONS = _OptionsHeader.slot.nh, _OptionsHeader.slot.len, _OptionsHeader.slot.options
_R, _S = IPv6ExtHdrRouting.slot, IPv6ExtHdrSegmentRouting.slot
# (every extension header starts with Next Header and, but the Fragment header, Hdr Ext Len)
assert (_R.nh, _R.len) == (_S.nh, _S.len) == (_NH, _LEN) and IPv6ExtHdrFragment.slot.nh == _NH
_read_nh, _read_len, _read_type = (reader(IPv6ExtHdrRouting, name) for name in ("nh", "len", "type"))
_read_lastentry = reader(IPv6ExtHdrSegmentRouting, "lastentry")
_read_offset, _read_m = (reader(IPv6ExtHdrFragment, name) for name in ("offset", "m"))

__all__ = [
    "IPv6ExtHdrDestOpt",
    "IPv6ExtHdrFragment",
    "IPv6ExtHdrHopByHop",
    "IPv6ExtHdrRouting",
    "IPv6ExtHdrSegmentRouting",
]
