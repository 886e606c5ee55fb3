"""NTP (RFC 5905; control messages RFC 1305 appendix B, ntpd's private mode 7) over UDP port 123.

``NTP`` decodes a message into the class of its mode, as scapy does: ``NTPHeader`` (modes 0 to 5),
``NTPControl`` (6) and ``NTPPrivate`` (7, its body kept as bytes). Times read as seconds (floats):
the short formats (root delay and dispersion, 16.16) and the timestamps (since 1900, 32.32); they
take seconds, as floats or ints, and are kept as the wire's fixed-point numbers. As scapy does,
``orig`` and ``sent`` left None are the time of the build. Never I/O beyond reading the clock,
never globals.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from rawnet.errors import TruncatedError
from rawnet.wire.addresses import IPv4 as IPv4Address
from rawnet.wire.fields import LENGTH, AddressValue, IntValue, NamedValue, UInt, ValueSet, Var, check_bytes
from rawnet.wire.layer import CUT, LAZY, PARTIAL, Layer

PORT = 123
#: Seconds from the NTP era's start (1900) to the Unix epoch (1970).
NTP_BASETIME = 2208988800

_LEAP = {
    0: "no warning",
    1: "last minute of the day has 61 seconds",
    2: "last minute of the day has 59 seconds",
    3: "unknown (clock unsynchronized)",
}
_MODES = {
    0: "reserved",
    1: "symmetric active",
    2: "symmetric passive",
    3: "client",
    4: "server",
    5: "broadcast",
    6: "NTP control message",
    7: "reserved for private use",
}


class SignedByte(UInt):
    """A two's complement byte (poll and precision: log2 seconds): -128..127."""

    def __init__(self, doc: str, default: int = 0) -> None:
        super().__init__(8, doc, default & 0xFF)

    def fast_check(self, var: str) -> str:
        return "False"

    def convert(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and -128 <= value < 0:
            return value & 0xFF
        if isinstance(value, int) and not isinstance(value, bool) and value > 127:
            raise self.fail(value, "-128..127")
        return super().convert(value)

    def public(self, stored: Any) -> Any:
        if stored.__class__ is int:
            return stored - 256 if stored > 127 else stored
        return stored

    def display(self, stored: Any) -> str:
        return str(self.public(stored)) if stored.__class__ is int else super().display(stored)


def _fixed(value: Any, fraction_bits: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected seconds (an int or a float), got {value!r}")
    whole = int(value)
    stored = (whole << fraction_bits) | int((value - whole) * (1 << fraction_bits))
    if not 0 <= stored <= maximum:
        raise ValueError(f"{value!r} seconds do not fit the field")
    return stored


class ShortTime(UInt):
    """NTP short format (RFC 5905 6): 16 bits of seconds, 16 of fraction; read as float seconds."""

    def __init__(self, doc: str) -> None:
        super().__init__(32, doc, 0)

    def fast_check(self, var: str) -> str:
        return "False"  # (an int is seconds, as scapy takes it: never the stored number)

    def convert(self, value: Any) -> Any:
        if isinstance(value, ValueSet | list | tuple | range) or value is None:
            return super().convert(value)
        try:
            return _fixed(value, 16, self.maximum)
        except ValueError as error:
            raise self.fail(value, str(error)) from None

    def public(self, stored: Any) -> Any:
        return stored / 65536 if stored.__class__ is int else stored

    def display(self, stored: Any) -> str:
        return repr(self.public(stored)) if stored.__class__ is int else super().display(stored)


def _check_timestamp(value: Any) -> int:
    return _fixed(value, 32, 0xFFFFFFFFFFFFFFFF)


def _show_timestamp(stored: int) -> str:
    seconds = stored / 2**32
    if seconds < NTP_BASETIME:
        return repr(seconds)
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(int(seconds - NTP_BASETIME)))


class Timestamp(Var[Any]):
    """NTP timestamp format (RFC 5905 6): 32 bits of seconds since 1900, 32 of fraction."""

    def __init__(self, doc: str, default: int | None) -> None:
        super().__init__(doc, default, converter=_check_timestamp, shower=_show_timestamp)

    def public(self, stored: Any) -> Any:
        return stored / 2**32 if stored.__class__ is int else stored


def _now() -> int:
    return _check_timestamp(time.time() + NTP_BASETIME)


class NTP(Layer):
    """An NTP message of any mode: decoding gives ``NTPHeader``, ``NTPControl`` or ``NTPPrivate``
    by its mode (bits 5..7 of its first byte)."""

    __slots__ = ()
    name = "ntp"

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> NTP:
        if offset >= end:
            raise TruncatedError("ntp", offset, "0 bytes left, a message needs 1")
        kind = buf[offset] & 7
        target: type[NTP] = NTPControl if kind == 6 else NTPPrivate if kind == 7 else NTPHeader
        return target._decode(buf, offset, end, mode)


class NTPHeader(NTP):
    """An NTP packet (RFC 5905 7.3) of modes 0 to 5; what follows (extension fields, the MAC) is
    the payload."""

    __slots__ = ()
    leap = UInt(2, "Leap Indicator", 0, labels=_LEAP)
    version = UInt(3, "Version Number", 4)
    mode = UInt(3, "Mode", 3, labels=_MODES)
    stratum = UInt(8, "Stratum", 2)
    poll = SignedByte("Poll (log2 seconds)", 10)
    precision = SignedByte("Precision (log2 seconds)", 0)
    delay = ShortTime("Root Delay (seconds)")
    dispersion = ShortTime("Root Dispersion (seconds)")
    # scapy's "id" (an address, stratum 2 and over) and "ref_id" (four ASCII characters, stratum
    # 0 and 1) are the same four bytes: ``id`` holds them, ``ref_id`` reads them as text.
    id = IPv4Address("Reference ID", "127.0.0.1")
    ref = Timestamp("Reference Timestamp", 0)
    orig = Timestamp("Origin Timestamp (None: now)", None)
    recv = Timestamp("Receive Timestamp", 0)
    sent = Timestamp("Transmit Timestamp (None: now)", None)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> NTPHeader:
        if offset + _SIZE > end:
            if mode & CUT and offset < end:  # the capture kept only its first bytes: the rest read 0
                kept = buf[offset:end]
                return cls._view(kept + bytes(_SIZE - len(kept)), 0, len(kept), len(kept), mode | PARTIAL)
            raise TruncatedError("ntp", offset, f"{end - offset} bytes left, an NTP packet needs {_SIZE}")
        layer = cls._view(buf, offset, offset + _SIZE, end, mode)
        layer._unpack()
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        at = self._off + self.header_len
        for index, field in enumerate(_TIMESTAMPS):
            values[field] = int.from_bytes(self._buf[at + 8 * index : at + 8 * index + 8], "big")

    def _build(self, pseudo: bytes | None) -> bytes:
        if self._mode & PARTIAL and self._ver == 0 and (self._payload is None or self._payload is LAZY):
            return self._buf[self._off : self._pend] + self._pad  # (cut by the capture, unchanged: as kept)
        values = self._v or self._unpack()
        now = None
        stamps = []
        for field in _TIMESTAMPS:
            value = values[field]
            if value is None:
                now = now if now is not None else _now()
                value = now
            stamps.append(value.to_bytes(8, "big"))
        return self._pack() + b"".join(stamps) + self._build_payload(None) + self._pad

    @property
    def ref_id(self) -> bytes:
        """scapy's ``ref_id``: the Reference ID's four bytes, without trailing NULs ("GPS")."""
        return _ref_id(self)

    @ref_id.setter
    def ref_id(self, value: bytes | str) -> None:
        data = value.encode() if isinstance(value, str) else bytes(value)
        if len(data) > 4:
            raise ValueError(f"a reference ID is 4 bytes at most, got {len(data)}")
        self.id = data.ljust(4, b"\0")

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            leap: NamedValue = ...,
            version: IntValue = ...,
            mode: NamedValue = ...,
            stratum: IntValue = ...,
            poll: IntValue = ...,
            precision: IntValue = ...,
            delay: IntValue = ...,
            dispersion: IntValue = ...,
            id: AddressValue = ...,
            ref: Any = ...,
            orig: Any = ...,
            recv: Any = ...,
            sent: Any = ...,
        ) -> None: ...


def _ref_id(header: NTPHeader) -> bytes:
    return cast(bytes, header._values()[NTPHeader.slot.id]).rstrip(b"\0")


_TIMESTAMPS = (NTPHeader.slot.ref, NTPHeader.slot.orig, NTPHeader.slot.recv, NTPHeader.slot.sent)
_SIZE = NTPHeader.header_len + 32


class NTPControl(NTP):
    """An NTP control message (mode 6, RFC 1305 appendix B): its data (``count`` bytes), then
    what follows (padding, the authenticator) as ``authenticator``."""

    __slots__ = ()
    leap = UInt(2, "Leap Indicator", 0, labels=_LEAP)
    version = UInt(3, "Version Number", 2)
    mode = UInt(3, "Mode", 6, labels=_MODES)
    response = UInt(1, "Response bit", 0)
    err = UInt(1, "Error bit", 0)
    more = UInt(1, "More bit", 0)
    op_code = UInt(5, "Operation Code", 0)
    sequence = UInt(16, "Sequence Number", 0)
    status = UInt(16, "Status", 0, hex=True)
    association_id = UInt(16, "Association ID", 0)
    offset = UInt(16, "Offset", 0)
    count = UInt(16, "Count (bytes of data)", None, auto=LENGTH)
    data: Var[bytes] = Var("Data", b"", converter=check_bytes)
    authenticator: Var[bytes] = Var("Padding and Authenticator", b"", converter=check_bytes)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> NTPControl:
        size = cls.header_len
        if offset + size > end:
            raise TruncatedError("ntp", offset, f"{end - offset} bytes left, a control message needs {size}")
        count = int.from_bytes(buf[offset + 10 : offset + 12], "big")
        if offset + size + count > end:
            raise TruncatedError("ntp", offset, f"count {count}, only {end - offset - size} bytes of data")
        layer = cls._view(buf, offset, end, end, mode)
        layer._unpack()
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        at = self._off + self.header_len
        count = int.from_bytes(self._buf[self._off + 10 : self._off + 12], "big")
        values[_CONTROL.data] = self._buf[at : at + count]
        values[_CONTROL.authenticator] = self._buf[at + count : self._pend]

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        data: bytes = values[_CONTROL.data]
        authenticator: bytes = values[_CONTROL.authenticator]
        count = values[_CONTROL.count]
        header = self._pack(len(data) if count is None else count)
        return header + data + authenticator + self._build_payload(None) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            leap: NamedValue = ...,
            version: IntValue = ...,
            mode: NamedValue = ...,
            response: IntValue = ...,
            err: IntValue = ...,
            more: IntValue = ...,
            op_code: IntValue = ...,
            sequence: IntValue = ...,
            status: IntValue = ...,
            association_id: IntValue = ...,
            offset: IntValue = ...,
            count: IntValue = ...,
            data: Any = ...,
            authenticator: Any = ...,
        ) -> None: ...


_CONTROL = NTPControl.slot


class NTPPrivate(NTP):
    """An ntpd private message (mode 7, ntpdc's): the header, then its items as bytes (``data``)."""

    __slots__ = ()
    response = UInt(1, "Response bit", 0)
    more = UInt(1, "More bit", 0)
    version = UInt(3, "Version Number", 2)
    mode = UInt(3, "Mode", 7, labels=_MODES)
    auth = UInt(1, "Authenticated bit", 0)
    seq = UInt(7, "Sequence Number", 0)
    implementation = UInt(8, "Implementation", 0)
    request_code = UInt(8, "Request Code", 0)
    err = UInt(4, "Error Code", 0)
    nb_items = UInt(12, "Number of Data Items", 0)
    mbz = UInt(4, "Must Be Zero", 0)
    data_item_size = UInt(12, "Size of Data Item", 0)
    data: Var[bytes] = Var("Data Items and Authenticator", b"", converter=check_bytes)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> NTPPrivate:
        if offset + cls.header_len > end:
            raise TruncatedError(
                "ntp", offset, f"{end - offset} bytes left, a private message needs {cls.header_len}"
            )
        layer = cls._view(buf, offset, end, end, mode)
        layer._unpack()
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        values[NTPPrivate.slot.data] = self._buf[self._off + self.header_len : self._pend]

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        data: bytes = values[NTPPrivate.slot.data]
        return self._pack() + data + self._build_payload(None) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            response: IntValue = ...,
            more: IntValue = ...,
            version: IntValue = ...,
            mode: NamedValue = ...,
            auth: IntValue = ...,
            seq: IntValue = ...,
            implementation: IntValue = ...,
            request_code: IntValue = ...,
            err: IntValue = ...,
            nb_items: IntValue = ...,
            mbz: IntValue = ...,
            data_item_size: IntValue = ...,
            data: Any = ...,
        ) -> None: ...


__all__ = ["NTP", "NTPControl", "NTPHeader", "NTPPrivate"]
