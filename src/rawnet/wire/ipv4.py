"""IPv4 (RFC 791): the header, its options, fragments and the pseudo-header it hands down.

Edge cases, decided here once: a total length of 0 (a capture of a TSO/GSO super-packet)
means "to the end of the buffer" and verify() reports it; a total length beyond the buffer
is truncation, except inside an ICMP error's quote, which is cut on purpose; a non-first
fragment's payload is Raw, never a transport header. Options are values: immutable once made,
so that a packet's kept frame can never outlive a change inside one (build a new option and set
``options`` again).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rawnet.errors import BuildError, DecodeError, FieldValueError, MalformedError, TruncatedError
from rawnet.wire.addresses import IPv4
from rawnet.wire.checksum import internet_checksum
from rawnet.wire.compiler import reader
from rawnet.wire.fields import (
    FILL,
    AddressValue,
    Checksum,
    Flags,
    FlagsValue,
    IntValue,
    Length,
    ListVar,
    NamedValue,
    Next,
    UInt,
)
from rawnet.wire.layer import CUT, FRAGMENT, IN_IPV6, QUOTED, Layer, LayerClass, Raw
from rawnet.wire.numbers import IP_KEYWORDS, IPProto
from rawnet.wire.options import walk
from rawnet.wire.registry import IP_PROTOCOL, LAYERS

_PROTOCOLS = LAYERS.table(IP_PROTOCOL)
_number_for = LAYERS.number_for
_ZERO4 = bytes(4)
_LOOPBACK = bytes((127, 0, 0, 1))


def loopback_source(dst: bytes | None) -> bytes | None:
    """The source a build gives a datagram to 127.0.0.0/8 left without one (the kernel's choice);
    None for any other destination: the route decides, when it is sent (rawnet.net fills it)."""
    return _LOOPBACK if dst is not None and dst[0] == 127 else None


# Option numbers (RFC 791 3.1; IANA "IP Option Numbers").
EOL, NOP, RR, TS, SECURITY, LSRR, SSRR = 0, 1, 7, 68, 130, 131, 137


class IPOption:
    """An IPv4 option rawnet keeps as raw bytes: its option number and its data.

    Options are immutable values (a change would not be seen by a packet holding one): make a
    new one and give the packet its options again.
    """

    __slots__ = ("data", "option")
    name = "raw"
    option: int
    data: bytes

    def __new__(cls, *args: Any, **kwargs: Any) -> IPOption:
        if args and isinstance(args[0], bytes | bytearray | memoryview):
            option = _one_option(bytes(args[0]))  # scapy's IPOption(b"..."): the option those bytes hold
            if cls is not IPOption and type(option) is not cls:
                raise FieldValueError(f"{cls.__name__}: {bytes(args[0])!r} holds an {type(option).__name__}")
            return option
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__init__")
        if own is not None:
            cls.__init__ = _made_once(own)  # type: ignore[method-assign]

    def __init__(self, option: int | bytes = 0, data: bytes = b"") -> None:
        if _made(self):
            return  # (decoded from bytes by __new__)
        if not isinstance(option, int) or not 0 <= option <= 255:
            raise FieldValueError(
                f"IPOption: the option number must be 0..255 (or the option's bytes), got {option!r}"
            )
        _init(self, option=option, data=bytes(data))

    def __setattr__(self, name: str, value: object) -> None:
        raise self._immutable()

    def __delattr__(self, name: str) -> None:
        raise self._immutable()

    def _immutable(self) -> AttributeError:
        return AttributeError(
            f"{type(self).__name__} is immutable: make a new option and set the packet's options again"
        )

    # A value: copies are itself; pickling makes it anew from its attributes.
    def __copy__(self) -> IPOption:
        return self

    def __deepcopy__(self, memo: object) -> IPOption:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        names = [name for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ())]
        return _restore, (type(self), {name: getattr(self, name) for name in names})

    def encode(self) -> bytes:
        """The option's bytes: number, length, data."""
        return bytes((self.option, len(self.data) + 2)) + self.data

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def find_in(cls, packet: Any) -> IPOption | None:
        """The first option of this class in ``packet``'s IPv4 headers (``pkt[IPOption_LSRR]``)."""
        for layer in packet.layers():
            for option in getattr(layer, "options", ()) if isinstance(layer, IP) else ():
                if isinstance(option, cls):
                    return option
        return None

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.encode() == other.encode()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IPOption({self.option}, {self.data!r})"


def _made(option: IPOption) -> bool:
    """Whether ``option`` was already made (IPOption(b"...") decoded it before __init__ ran)."""
    return hasattr(option, "option")


def _made_once(init: Any) -> Any:
    def once(self: IPOption, *args: Any, **kwargs: Any) -> None:
        if not _made(self):
            init(self, *args, **kwargs)

    once.__doc__, once.__qualname__ = init.__doc__, init.__qualname__
    return once


def _one_option(data: bytes) -> IPOption:
    """The option ``data`` holds (an End of Options List may be followed by padding)."""
    try:
        options = decode_options(data, 0, len(data))
    except DecodeError as error:
        raise FieldValueError(f"IPOption: {error.reason}") from None
    if len(options) != 1:
        raise FieldValueError(
            f"IPOption: {data!r} holds {len(options)} options, not one: give the packet IP(options=[...])"
        )
    return options[0]


def _init(made: IPOption, **values: object) -> None:
    """Set an option's attributes while it is being made (the only time they can be set)."""
    for name, value in values.items():
        object.__setattr__(made, name, value)


def _restore(cls: type[IPOption], values: dict[str, object]) -> IPOption:
    """An option unpickled: made with ``values`` as its attributes."""
    made = object.__new__(cls)
    _init(made, **values)
    return made


class IPOption_EOL(IPOption):
    """End of Option List; ``rest`` keeps whatever bytes followed it in the header."""

    __slots__ = ()
    name = "eol"

    def __init__(self, *, rest: bytes = b"") -> None:
        super().__init__(EOL, rest)

    def encode(self) -> bytes:
        return b"\x00" + self.data

    def __repr__(self) -> str:
        return "IPOption_EOL()" if not self.data.strip(b"\0") else f"IPOption_EOL(rest={self.data!r})"


class IPOption_NOP(IPOption):
    """No Operation (alignment)."""

    __slots__ = ()
    name = "nop"

    def __init__(self) -> None:
        super().__init__(NOP)

    def encode(self) -> bytes:
        return b"\x01"

    def __repr__(self) -> str:
        return "IPOption_NOP()"


class _RouteOption(IPOption):
    """Record Route and the source routes: a pointer and a tuple of addresses."""

    __slots__ = ("pointer", "routers")
    number = RR
    routers: tuple[str, ...]
    pointer: int

    def __init__(self, routers: Sequence[str] = (), pointer: int = 4) -> None:
        super().__init__(self.number)
        addresses = (routers,) if isinstance(routers, str) else tuple(str(router) for router in routers)
        for router in addresses:
            try:
                socket.inet_pton(socket.AF_INET, router)
            except OSError:
                raise FieldValueError(f"{type(self).__name__}: {router!r} is not an IPv4 address") from None
        _init(self, routers=addresses, pointer=pointer)

    def encode(self) -> bytes:
        body = b"".join(socket.inet_aton(router) for router in self.routers)
        return bytes((self.option, len(body) + 3, self.pointer)) + body

    def get_current_router(self) -> str:
        """scapy's: the router the pointer points at."""
        return self.routers[self.pointer // 4 - 1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(routers={list(self.routers)}, pointer={self.pointer})"


class IPOption_RR(_RouteOption):
    """Record Route (RFC 791): routers append their address at ``pointer``."""

    __slots__ = ()
    name = "rr"
    number = RR


class IPOption_LSRR(_RouteOption):
    """Loose Source and Record Route: the last address is the final destination."""

    __slots__ = ()
    name = "lsrr"
    number = LSRR


class IPOption_SSRR(_RouteOption):
    """Strict Source and Record Route: the last address is the final destination."""

    __slots__ = ()
    name = "ssrr"
    number = SSRR


class IPOption_Security(IPOption):
    """Security (RFC 791, option 130): security, compartments, handling restrictions and the
    transmission control code (3 bytes), 11 bytes in all; scapy's field names."""

    __slots__ = ("compartment", "handling_restrictions", "security", "transmission_control_code")
    name = "security"
    security: int
    compartment: int
    handling_restrictions: int
    transmission_control_code: bytes

    def __init__(
        self,
        security: int = 0,
        compartment: int = 0,
        handling_restrictions: int = 0,
        transmission_control_code: bytes | str = b"",
    ) -> None:
        super().__init__(SECURITY)
        code = transmission_control_code
        code = code.encode() if isinstance(code, str) else bytes(code)
        if len(code) > 3:
            raise FieldValueError(
                f"IPOption_Security: the transmission control code is 3 bytes, got {code!r}"
            )
        _init(
            self,
            security=security & 0xFFFF,
            compartment=compartment & 0xFFFF,
            handling_restrictions=handling_restrictions & 0xFFFF,
            transmission_control_code=code.ljust(3, b"\0"),
        )

    def encode(self) -> bytes:
        fields = struct.pack("!HHH", self.security, self.compartment, self.handling_restrictions)
        return bytes((SECURITY, 11)) + fields + self.transmission_control_code

    def __repr__(self) -> str:
        return (
            f"IPOption_Security(security={self.security}, compartment={self.compartment}, "
            f"handling_restrictions={self.handling_restrictions}, "
            f"transmission_control_code={self.transmission_control_code!r})"
        )


class IPOption_Timestamp(IPOption):
    """Internet Timestamp (RFC 791): pointer, overflow, flag, and 32-bit values (or address/time pairs).

    scapy's default: flag 1 (address and timestamp pairs), one pair, ``internet_address`` and
    ``timestamp`` (0.0.0.0 and 0 unless given), pointer 9.
    """

    __slots__ = ("flg", "oflw", "pointer", "values")
    name = "ts"
    values: tuple[int, ...]
    pointer: int
    oflw: int
    flg: int

    def __init__(
        self,
        values: Sequence[int] | None = None,
        pointer: int = 9,
        oflw: int = 0,
        flg: int = 1,
        *,
        internet_address: str = "0.0.0.0",
        timestamp: int = 0,
    ) -> None:
        super().__init__(TS)
        if values is None:
            try:
                address = int.from_bytes(socket.inet_aton(internet_address), "big")
            except OSError:
                raise FieldValueError(
                    f"IPOption_Timestamp: {internet_address!r} is not an IPv4 address"
                ) from None
            values = (address, timestamp)
        stamps = tuple(int(value) & 0xFFFFFFFF for value in values)
        _init(self, values=stamps, pointer=pointer, oflw=oflw & 15, flg=flg & 15)

    def encode(self) -> bytes:
        body = b"".join(value.to_bytes(4, "big") for value in self.values)
        return bytes((TS, len(body) + 4, self.pointer, self.oflw << 4 | self.flg)) + body

    def __repr__(self) -> str:
        fields = f"values={list(self.values)}, pointer={self.pointer}, oflw={self.oflw}, flg={self.flg}"
        return f"IPOption_Timestamp({fields})"


def decode_options(buf: bytes, offset: int, end: int) -> list[IPOption]:
    """The options in ``buf[offset:end]``; lengths are checked, unknown options kept raw."""
    options: list[IPOption] = []
    for kind, data in walk(
        "ipv4", buf, offset, end, word="option", single=(NOP,), eol=EOL, length_counts_header=True
    ):
        if kind == EOL:
            options.append(IPOption_EOL(rest=data or b""))
        elif data is None:
            options.append(IPOption_NOP())
        else:
            options.append(_typed_option(kind, data))
    return options


def _typed_option(kind: int, data: bytes) -> IPOption:
    if kind in (RR, LSRR, SSRR) and len(data) >= 1 and (len(data) - 1) % 4 == 0:
        cls = {RR: IPOption_RR, LSRR: IPOption_LSRR, SSRR: IPOption_SSRR}[kind]
        routers = [socket.inet_ntoa(data[i : i + 4]) for i in range(1, len(data), 4)]
        return cls(routers, pointer=data[0])
    if kind == TS and len(data) >= 2 and (len(data) - 2) % 4 == 0:
        values = [int.from_bytes(data[i : i + 4], "big") for i in range(2, len(data), 4)]
        return IPOption_Timestamp(values, pointer=data[0], oflw=data[1] >> 4, flg=data[1] & 15)
    if kind == SECURITY and len(data) == 9:
        security, compartment, handling = struct.unpack("!HHH", data[:6])
        return IPOption_Security(security, compartment, handling, data[6:])
    return IPOption(kind, data)


def encode_options(options: Sequence[IPOption]) -> bytes:
    """The options' bytes, zero-padded (EOL) to a multiple of four."""
    data = b"".join(option.encode() for option in options)
    if len(data) & 3:
        data += bytes(4 - (len(data) & 3))
    return data


def _check_options(value: Any) -> tuple[IPOption, ...]:
    options = tuple(value)
    for option in options:
        if not isinstance(option, IPOption):
            raise ValueError(f"options must be IPOption objects, got {option!r}")
    if len(encode_options(options)) > 40:
        raise ValueError("options exceed the 40 bytes an IPv4 header has room for")
    return options


def _show_options(options: Sequence[IPOption]) -> str:
    return "[" + ", ".join(repr(option) for option in options) + "]"


def final_destination(options: Sequence[IPOption], dst: bytes) -> bytes:
    """The destination a transport pseudo-header uses: the last hop of an unfinished source route.

    RFC 791 3.1: while the pointer is within the route data, the route's last address is the
    final destination; once it has passed the end (the route is complete) the destination
    field already holds it. A source route given as a plain IPOption(131 or 137, data) counts
    the same (its data is the pointer and the addresses), as receivers read it.
    """
    for option in options:
        if option.option not in (LSRR, SSRR):
            continue
        data = option.encode()[2:]  # pointer, then the route
        count = (len(data) - 1) // 4
        if count < 1:
            continue
        if data[0] > 3 + 4 * count:
            return dst
        return data[1 + 4 * (count - 1) : 1 + 4 * count]
    return dst


class IP(Layer):
    """IPv4 header (RFC 791)."""

    __slots__ = ()
    name = "ipv4"
    version = UInt(4, "Version", 4, must=4)
    ihl = UInt(4, "Internet Header Length (32-bit words)", None, auto=Length("header", scale=4))
    tos = UInt(8, "Type of Service (DSCP and ECN)", 0, hex=True)
    len = UInt(16, "Total Length", None, auto=Length("all"))
    id = UInt(16, "Identification", 1)
    flags = Flags(3, ("MF", "DF", "evil"), "Flags: More Fragments, Don't Fragment, reserved", 0)
    frag = UInt(13, "Fragment Offset (8-byte units)", 0)
    ttl = UInt(8, "Time to Live", 64)
    proto = UInt(8, "Protocol", None, auto=Next(IP_PROTOCOL), enum=IPProto, labels=IP_KEYWORDS)
    chksum = UInt(16, "Header Checksum", None, auto=Checksum("header"), hex=True)
    src = IPv4("Source Address", auto=FILL, fill=("dst", loopback_source))
    dst = IPv4("Destination Address", "127.0.0.1")
    options: ListVar[tuple[Any, ...]] = ListVar("Options", (), converter=_check_options, shower=_show_options)

    # The stack codecs take a plain datagram (no fragment) as the rules say; _decode and _build
    # below handle the rest, and tests/wire/test_fused.py holds the two to the same result.
    fused_decode = True
    fused_build = True
    dispatch_agrees = True
    plain: ClassVar[dict[str, int]] = {"frag": 0x1FFF, "flags": 0b001}  # a fragment: per-layer
    clears_mode = IN_IPV6  # IN_IPV6 describes a carrier: an IPv4 datagram inside IPv6 starts afresh
    pseudo_fields = ("src", "dst")

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IP:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        version = _read_version(buf, offset)
        if version != 4:
            raise MalformedError("ipv4", offset, f"version {version}, expected 4")
        ihl = _read_ihl(buf, offset)
        header_len = ihl << 2
        if header_len < cls.header_len:
            raise MalformedError("ipv4", offset, f"IHL {ihl} < 5")
        if offset + header_len > end:
            if mode & CUT:  # the capture kept part of the options: their whole ones, no payload
                return cls._view(buf, offset, end, end, mode & ~IN_IPV6)
            raise TruncatedError("ipv4", offset, f"IHL {ihl} needs {header_len} bytes, {end - offset} left")
        total = _read_len(buf, offset)
        if total == 0:
            total = end - offset  # a TSO/GSO capture: the length is the buffer's
        elif total < header_len:
            raise MalformedError("ipv4", offset, f"total length {total} < header length {header_len}")
        elif offset + total > end:
            if not mode & (QUOTED | CUT):
                raise TruncatedError("ipv4", offset, f"total length {total}, only {end - offset} bytes left")
            total = end - offset
        layer = cls._view(buf, offset, offset + header_len, offset + total, mode & ~IN_IPV6)
        if offset + total < end:
            layer._pad = buf[offset + total : end]
        if header_len > cls.header_len:
            layer._unpack()  # decodes and checks the options now
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        start, stop = self._off + self.header_len, self._poff
        if self._mode & CUT and stop - self._off < _read_ihl(self._buf, self._off) << 2:
            while stop > start:  # options cut by the capture: the whole ones before the cut
                try:
                    values[_OPTIONS] = tuple(decode_options(self._buf, start, stop))
                    return
                except DecodeError:
                    stop -= 1
        values[_OPTIONS] = tuple(decode_options(self._buf, start, stop)) if stop > start else ()

    def ottl(self) -> int:
        """scapy's guess of the TTL the sender set: the first of 32, 64, 128, 255 at or above ttl."""
        ttl = int(self.ttl)
        starts = sorted([32, 64, 128, 255, ttl])
        return starts[starts.index(ttl) + 1]

    def hops(self) -> int:
        """scapy's guess of the hops travelled: ottl() - ttl."""
        return self.ottl() - int(self.ttl)

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf, offset = self._buf, self._off
        if _read_frag(buf, offset):
            return Raw, 0  # a non-first fragment carries no transport header
        cls = _PROTOCOLS.get(buf[offset + _PROTO_AT], Raw)
        if _read_flags(buf, offset) & 1:  # more fragments
            return cls, FRAGMENT
        return cls, 0

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        options = values[_OPTIONS]
        option_bytes = encode_options(options) if options else b""
        dst = values[_DST] or _ZERO4
        src = values[_SRC] or loopback_source(dst) or _ZERO4
        addresses = src + (final_destination(options, dst) if options else dst)
        payload = self._build_payload(addresses)
        header_len = self.header_len + len(option_bytes)
        ihl = values[_IHL]
        if ihl is None:
            ihl = header_len >> 2
        length = values[_LEN]
        # (0 is a segmentation-offload length: the buffer's, as decoding reads it)
        limited = bool(length) and length - header_len < len(payload)
        if limited and getattr(self._payload, "takes_limit", False):
            # The user's total length ends the datagram early: the transport checksum covers
            # what a receiver takes as the segment (the rest is trailer on the wire).
            payload = self._payload._build(addresses, max(length - header_len, 0))
        if length is None:
            length = header_len + len(payload)
            if length > 0xFFFF:
                raise BuildError(
                    f"ipv4 datagram of {length} bytes is over 65535: fragment it",
                    layer="ipv4",
                    field="len",
                    value=length,
                    source=self,
                )
        proto = values[_PROTO]
        if proto is None:
            proto = _number_for(IP_PROTOCOL, self._payload, 0)
        chksum = values[_CHKSUM]
        if chksum is None:
            header = self._pack(ihl, length, proto, 0) + option_bytes
            chksum = internet_checksum(header)
        header = self._pack(ihl, length, proto, chksum)
        return header + option_bytes + payload + self._pad

    def pseudo_addresses(self) -> bytes:
        """Source and (final) destination as the transport checksum's pseudo-header sees them."""
        values = self._values()
        dst = values[_DST] or _ZERO4
        return (values[_SRC] or loopback_source(dst) or _ZERO4) + (
            final_destination(values[_OPTIONS], dst) if values[_OPTIONS] else dst
        )

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            version: IntValue = ...,
            ihl: IntValue = ...,
            tos: IntValue = ...,
            len: IntValue = ...,
            id: IntValue = ...,
            flags: FlagsValue = ...,
            frag: IntValue = ...,
            ttl: IntValue = ...,
            proto: NamedValue = ...,
            chksum: IntValue = ...,
            src: AddressValue = ...,
            dst: AddressValue = ...,
            options: Any = ...,
        ) -> None: ...


# Field positions, named (generated with the class): never a bare index.
_IHL, _LEN, _PROTO, _CHKSUM = IP.slot.ihl, IP.slot.len, IP.slot.proto, IP.slot.chksum
_SRC, _DST, _OPTIONS = IP.slot.src, IP.slot.dst, IP.slot.options
_PROTO_AT = IP.span.proto.start
_read_version, _read_ihl, _read_len, _read_flags, _read_frag = (
    reader(IP, name) for name in ("version", "ihl", "len", "flags", "frag")
)

__all__ = [
    "IP",
    "IPOption",
    "IPOption_EOL",
    "IPOption_LSRR",
    "IPOption_NOP",
    "IPOption_RR",
    "IPOption_SSRR",
    "IPOption_Timestamp",
]
