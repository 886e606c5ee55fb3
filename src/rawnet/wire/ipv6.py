"""IPv6 (RFC 8200): the fixed header, and the pseudo-header it hands down.

Its extension headers are layers of their own (ipv6ext.py); the fixed header looks through
Routing headers for the final destination of the pseudo-header.

Edge cases, decided here once: a payload length of 0 (a jumbogram, a TSO/GSO capture)
means "to the end of the buffer" unless the next header is 59 (No Next Header), and
verify() reports it; a payload length beyond the buffer is truncation, except inside an
ICMP error's quote. Never I/O, never globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rawnet.errors import BuildError, MalformedError, TruncatedError
from rawnet.wire.addresses import IPv6 as IPv6Address
from rawnet.wire.compiler import reader
from rawnet.wire.fields import FILL, AddressValue, FromPayload, IntValue, Length, NamedValue, Next, UInt
from rawnet.wire.ipv6ext import (
    EXTENSION_HEADERS,
    NO_NEXT_HEADER,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    has_jumbo_option,
    next_class,
    next_header_of,
)
from rawnet.wire.layer import CUT, IN_IPV6, LAZY, QUOTED, Layer, LayerClass
from rawnet.wire.numbers import IPProto
from rawnet.wire.registry import IPV6_NEXT_HEADER

_ZERO16 = bytes(16)
_LOOPBACK = bytes(15) + b"\x01"


def loopback_source(dst: bytes | None) -> bytes | None:
    """The source a build gives a datagram to ::1 left without one (the kernel's choice); None
    for any other destination: the route decides, when it is sent (rawnet.net fills it)."""
    return _LOOPBACK if dst == _LOOPBACK else None


# -- the IPv6 header ----------------------------------------------------------------------


class IPv6(Layer):
    """IPv6 header (RFC 8200 section 3)."""

    __slots__ = ()
    name = "ipv6"
    version = UInt(4, "Version", 6, must=6)
    tc = UInt(8, "Traffic Class (DSCP and ECN)", 0, hex=True)
    fl = UInt(20, "Flow Label", 0, hex=True)
    plen = UInt(16, "Payload Length", None, auto=Length("payload"))
    nh = UInt(8, "Next Header", None, auto=Next(IPV6_NEXT_HEADER, NO_NEXT_HEADER), enum=IPProto)
    hlim = UInt(8, "Hop Limit", None, auto=FromPayload(64))
    src = IPv6Address("Source Address", auto=FILL, fill=("dst", loopback_source))
    dst = IPv6Address("Destination Address", None, auto=FromPayload("::1"))

    # The stack codecs take a header as the rules say (a length of 0 and the extension headers go to
    # the code below, held to the same result by tests/wire/test_fused.py).
    fused_decode = True
    fused_build = True
    dispatch_agrees = True
    payload_mode = IN_IPV6
    pseudo_fields = ("src", "dst")

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IPv6:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        version = _read_version(buf, offset)
        if version != 6:
            raise MalformedError("ipv6", offset, f"version {version}, expected 6")
        plen = _read_plen(buf, offset)
        start = offset + cls.header_len
        stop = start + plen
        if plen == 0:
            if _read_nh(buf, offset) != NO_NEXT_HEADER:
                stop = end  # a jumbogram (RFC 2675) or a TSO/GSO capture: the length is the buffer's
        elif stop > end:
            if not mode & (QUOTED | CUT):
                raise TruncatedError(
                    "ipv6", offset, f"payload length {plen}, only {end - start} bytes follow the header"
                )
            stop = end
        layer = cls._view(buf, offset, start, stop, mode)
        if stop < end:
            layer._pad = buf[stop:end]
        return layer

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf = self._buf
        return next_class(_read_nh(buf, self._off), buf, self._poff, self._pend), IN_IPV6

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        hlim, dst = values[_HLIM], values[_DST]
        if hlim is None or dst is None:  # the payload's class says (Neighbour Discovery: 255, ff02::1)
            carried = None if self._payload is None else self.payload.__class__
            if hlim is None:
                hlim = _HLIM_RULE.value(_HLIM_FIELD, carried)
            if dst is None:
                dst = _DST_RULE.value(_DST_FIELD, carried)
        src = values[_SRC] or loopback_source(dst) or _ZERO16
        payload = self._build_payload(src + dst)
        plen = values[_PLEN]
        if plen is None:
            plen = len(payload)
            if plen > 0xFFFF:
                if not has_jumbo_option(self.payload if self._payload is LAZY else self._payload):
                    raise BuildError(
                        f"ipv6 payload of {plen} bytes is over 65535: fragment it, or send a jumbogram "
                        "(a Hop-by-Hop header with a ('Jumbo', length) option)",
                        layer="ipv6",
                        field="plen",
                        value=plen,
                        source=self,
                    )
                plen = 0  # RFC 2675: a jumbogram's Payload Length is 0
        nh = values[_NH]
        if nh is None:
            nh = next_header_of(self)
        return self._pack(plen, nh, hlim, dst) + payload + self._pad

    def pseudo_addresses(self) -> bytes:
        """Source and final destination (RFC 8200 8.1) as the transport checksum's pseudo-header sees them."""
        values = self._values()
        dst: bytes = values[_DST]
        layer = self.payload
        if dst is None:
            dst = _DST_RULE.value(_DST_FIELD, None if layer is None else layer.__class__)
        while isinstance(layer, EXTENSION_HEADERS):
            if isinstance(layer, IPv6ExtHdrRouting | IPv6ExtHdrSegmentRouting):
                dst = layer._final_destination(dst)
            layer = layer.payload
        return (values[_SRC] or loopback_source(values[_DST] or dst) or _ZERO16) + dst

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            version: IntValue = ...,
            tc: IntValue = ...,
            fl: IntValue = ...,
            plen: IntValue = ...,
            nh: NamedValue = ...,
            hlim: IntValue = ...,
            src: AddressValue = ...,
            dst: AddressValue = ...,
        ) -> None: ...


# Field positions, named (generated with the class): never a bare index.
_PLEN, _NH, _HLIM, _SRC, _DST = (IPv6.slot.plen, IPv6.slot.nh, IPv6.slot.hlim, IPv6.slot.src, IPv6.slot.dst)
_HLIM_FIELD, _DST_FIELD = IPv6.get_field("hlim"), IPv6.get_field("dst")
_HLIM_RULE, _DST_RULE = cast(FromPayload, _HLIM_FIELD.rule), cast(FromPayload, _DST_FIELD.rule)
_read_version, _read_plen, _read_nh = (reader(IPv6, name) for name in ("version", "plen", "nh"))
#: The size of the fixed IPv6 header.
HEADER_LEN = IPv6.header_len

__all__ = ["IPv6"]
