"""Neighbor Discovery (RFC 4861): the ICMPv6 messages RS, RA, NS, NA, Redirect, and their options.

The messages are ICMPv6 classes (next header 58, the ICMPv6 checksum) that ICMPv6's decoder
gives for their types. Their options are layers stacked one after the other
(``ICMPv6ND_NS(tgt=...) / ICMPv6NDOptSrcLLAddr(lladdr=...)``); an option of unknown type, or of
a known type whose length does not match its format, is ``ICMPv6NDOptUnknown``. An option
length of 0 is a MalformedError (it would never advance). Never I/O, never globals.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from rawnet.errors import MalformedError, TruncatedError
from rawnet.wire.addresses import MAC, AddressField
from rawnet.wire.addresses import IPv6 as IPv6Address
from rawnet.wire.compiler import reader
from rawnet.wire.fields import LENGTH, UInt, Var, check_bytes
from rawnet.wire.icmpv6 import ICMPv6, init_with_type
from rawnet.wire.layer import Layer, LayerClass
from rawnet.wire.registry import LAYERS, ND_OPTION


def _options_next(layer: Layer) -> tuple[LayerClass, int]:
    return ICMPv6NDOpt, 0


class ICMPv6ND_RS(ICMPv6):
    """Router Solicitation (RFC 4861 4.1); options follow as layers."""

    __slots__ = ()
    carrier: ClassVar[dict[str, Any]] = {"hlim": 255, "dst": "ff02::2"}  # RFC 4861 7.1.1 (and scapy)
    message_type = 133
    res = UInt(32, "Reserved", 0, hex=True)
    _next_layer = _options_next


class ICMPv6ND_RA(ICMPv6):
    """Router Advertisement (RFC 4861 4.2, RFC 4191 preference, RFC 3775 H); options follow as layers."""

    __slots__ = ()
    carrier: ClassVar[dict[str, Any]] = {"hlim": 255, "dst": "ff02::1"}  # RFC 4861 7.1.1 (and scapy)
    message_type = 134
    chlim = UInt(8, "Cur Hop Limit", 0)
    M = UInt(1, "Managed address configuration flag", 0)
    O = UInt(1, "Other configuration flag", 0)  # noqa: E741 - scapy's and the RFC's name
    H = UInt(1, "Home Agent flag (RFC 3775)", 0)
    prf = UInt(2, "Default Router Preference (RFC 4191)", 0)
    P = UInt(1, "Proxy flag (RFC 4389)", 0)
    res = UInt(2, "Reserved", 0)
    routerlifetime = UInt(16, "Router Lifetime (seconds)", 1800)
    reachabletime = UInt(32, "Reachable Time (milliseconds)", 0)
    retranstimer = UInt(32, "Retrans Timer (milliseconds)", 0)
    _next_layer = _options_next


class ICMPv6ND_NS(ICMPv6):
    """Neighbor Solicitation (RFC 4861 4.3): who has ``tgt``; options follow as layers."""

    __slots__ = ()
    carrier: ClassVar[dict[str, Any]] = {"hlim": 255, "dst": "ff02::1"}  # RFC 4861 7.1.1 (and scapy)
    message_type = 135
    res = UInt(32, "Reserved", 0, hex=True)
    tgt = IPv6Address("Target Address", "::")
    _next_layer = _options_next


class ICMPv6ND_NA(ICMPv6):
    """Neighbor Advertisement (RFC 4861 4.4): Router, Solicited, Override flags and the target."""

    __slots__ = ()
    carrier: ClassVar[dict[str, Any]] = {"hlim": 255, "dst": "ff02::1"}  # RFC 4861 7.1.1 (and scapy)
    message_type = 136
    R = UInt(1, "Router flag", 1)
    S = UInt(1, "Solicited flag", 0)
    O = UInt(1, "Override flag", 1)  # noqa: E741 - scapy's and the RFC's name
    res = UInt(29, "Reserved", 0, hex=True)
    tgt = IPv6Address("Target Address", "::")
    _next_layer = _options_next


class ICMPv6ND_Redirect(ICMPv6):
    """Redirect (RFC 4861 4.5): a better first hop ``tgt`` for destination ``dst``."""

    __slots__ = ()
    carrier: ClassVar[dict[str, Any]] = {"hlim": 255, "dst": "ff02::1"}  # RFC 4861 7.1.1 (and scapy)
    message_type = 137
    res = UInt(32, "Reserved", 0, hex=True)
    tgt = IPv6Address("Target Address", "::")
    dst = IPv6Address("Destination Address", "::")
    _next_layer = _options_next


class ICMPv6NDOpt(Layer):
    """A Neighbor Discovery option (RFC 4861 4.6): type and length in 8-octet units.

    Decoding reads the type and length and returns the option's class; options follow
    one another as layers until the message ends.
    """

    __slots__ = ()
    name = "icmpv6-option"
    message_type: ClassVar[int | None] = None
    type = UInt(8, "Type", 0)
    len = UInt(8, "Length (8-octet units)", None, auto=LENGTH)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__init__ = _init_option  # type: ignore[method-assign]

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> ICMPv6NDOpt:
        if offset + 2 > end:
            raise TruncatedError("icmpv6-option", offset, f"{end - offset} bytes left, an option needs 2")
        kind, length = _read_type(buf, offset), _read_len(buf, offset)
        if length == 0:
            raise MalformedError("icmpv6-option", offset, f"option type {kind} has length 0")
        size = length * 8
        if offset + size > end:
            raise TruncatedError(
                "icmpv6-option",
                offset,
                f"option type {kind} length {length} needs {size} bytes, {end - offset} left",
            )
        target = _OPTIONS.get(kind, ICMPv6NDOptUnknown)
        if target.header_len != size:
            target = ICMPv6NDOptUnknown
        return cast(ICMPv6NDOpt, target._view(buf, offset, offset + size, end, mode))

    def _next_layer(self) -> tuple[LayerClass, int]:
        return ICMPv6NDOpt, 0

    def _body(self, values: list[Any]) -> bytes:
        """The option's variable part (its fixed part is packed from the fields)."""
        return b""

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        body = self._body(values)
        missing = -(self.header_len + len(body)) % 8
        if missing:
            body += bytes(missing)
        length = values[_LEN]
        if length is None:
            length = (self.header_len + len(body)) // 8
        return self._pack(length) + body + self._build_payload(None) + self._pad


def _init_option(self: Any, **fields: Any) -> None:
    """Constructor of the options: ``type`` defaults to the option's own type.

    An address given as wire bytes is passed on as text: the compiled constructor's ``len``
    parameter (the option's Length field) shadows the builtin its fast check for bytes calls.
    """
    for field in self.fields_desc:
        value = fields.get(field.name)
        if value.__class__ is bytes and isinstance(field, AddressField) and len(value) == field.size:
            fields[field.name] = field.to_text(value)
    init_with_type(self, **fields)


def _check_option_data(value: Any) -> bytes:
    data = check_bytes(value)
    if len(data) > 255 * 8 - 2:
        raise ValueError(f"{len(data)} bytes, an option has room for {255 * 8 - 2}")
    return data


class ICMPv6NDOptUnknown(ICMPv6NDOpt):
    """An option rawnet keeps as raw bytes (built zero-padded to a multiple of 8 bytes)."""

    __slots__ = ()
    data: Var[bytes] = Var("Option data", b"", converter=_check_option_data)

    def _fill_variable(self, values: list[Any]) -> None:
        values[_DATA] = self._buf[self._off + self.header_len : self._poff]

    def _body(self, values: list[Any]) -> bytes:
        return values[_DATA]  # type: ignore[no-any-return]


class ICMPv6NDOptSrcLLAddr(ICMPv6NDOpt):
    """Source Link-Layer Address option (RFC 4861 4.6.1), for Ethernet."""

    __slots__ = ()
    message_type = 1
    lladdr = MAC("Link-Layer Address", "00:00:00:00:00:00")


class ICMPv6NDOptDstLLAddr(ICMPv6NDOpt):
    """Target Link-Layer Address option (RFC 4861 4.6.1), for Ethernet."""

    __slots__ = ()
    message_type = 2
    lladdr = MAC("Link-Layer Address", "00:00:00:00:00:00")


class ICMPv6NDOptPrefixInfo(ICMPv6NDOpt):
    """Prefix Information option (RFC 4861 4.6.2)."""

    __slots__ = ()
    message_type = 3
    prefixlen = UInt(8, "Prefix Length", 64)
    L = UInt(1, "On-link flag", 1)
    A = UInt(1, "Autonomous address-configuration flag", 1)
    R = UInt(1, "Router address flag (RFC 6275)", 0)
    res1 = UInt(5, "Reserved1", 0)
    validlifetime = UInt(32, "Valid Lifetime (seconds)", 0xFFFFFFFF)
    preferredlifetime = UInt(32, "Preferred Lifetime (seconds)", 0xFFFFFFFF)
    res2 = UInt(32, "Reserved2", 0)
    prefix = IPv6Address("Prefix", "::")


class ICMPv6NDOptMTU(ICMPv6NDOpt):
    """MTU option (RFC 4861 4.6.4)."""

    __slots__ = ()
    message_type = 5
    res = UInt(16, "Reserved", 0)
    mtu = UInt(32, "MTU", 1280)


_OPTIONS = LAYERS.table(ND_OPTION)
# Field positions, named (generated with the class): never a bare index.
_LEN, _DATA = ICMPv6NDOpt.slot.len, ICMPv6NDOptUnknown.slot.data
_read_type, _read_len = reader(ICMPv6NDOpt, "type"), reader(ICMPv6NDOpt, "len")

__all__ = [
    "ICMPv6NDOpt",
    "ICMPv6NDOptDstLLAddr",
    "ICMPv6NDOptMTU",
    "ICMPv6NDOptPrefixInfo",
    "ICMPv6NDOptSrcLLAddr",
    "ICMPv6NDOptUnknown",
    "ICMPv6ND_NA",
    "ICMPv6ND_NS",
    "ICMPv6ND_RA",
    "ICMPv6ND_RS",
    "ICMPv6ND_Redirect",
]
