"""IPv6 (RFC 8200): the fixed header, and the pseudo-header it hands down.

Its extension headers are layers of their own (ipv6ext.py); the fixed header names them in its
summary and looks through Routing headers for the final destination of the pseudo-header.

Edge cases, decided here once: a payload length of 0 (a jumbogram, a TSO/GSO capture)
means "to the end of the buffer" unless the next header is 59 (No Next Header), and
verify() reports it; a payload length beyond the buffer is truncation, except inside an
ICMP error's quote. Never I/O, never globals.
"""

from __future__ import annotations

from rawnet.errors import BuildError, MalformedError, TruncatedError
from rawnet.wire import ether as _ether  # noqa: F401 - registers Ether first
from rawnet.wire.addresses import IPv6 as IPv6Address
from rawnet.wire.fields import FILL, LENGTH, NEXT, UInt
from rawnet.wire.ipv6ext import (
    EXTENSION_HEADERS,
    NO_NEXT_HEADER,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    has_jumbo_option,
    next_class,
    next_header,
    next_header_of,
)
from rawnet.wire.layer import IN_IPV6, LAZY, QUOTED, Layer, LayerClass, Raw
from rawnet.wire.numbers import IPProto
from rawnet.wire.registry import ETHERTYPE, IP_PROTOCOL, LAYERS

_ZERO16 = bytes(16)
IPV6_IN_IP = 41
HEADER_LEN = 40  #: the fixed IPv6 header

# -- the IPv6 header ----------------------------------------------------------------------


class IPv6(Layer):
    """IPv6 header (RFC 8200 section 3)."""

    __slots__ = ()
    name = "ipv6"
    version = UInt(4, "Version", 6)
    tc = UInt(8, "Traffic Class (DSCP and ECN)", 0, hex=True)
    fl = UInt(20, "Flow Label", 0, hex=True)
    plen = UInt(16, "Payload Length", None, auto=LENGTH)
    nh = UInt(8, "Next Header", None, auto=NEXT, enum=IPProto)
    hlim = UInt(8, "Hop Limit", 64)
    src = IPv6Address("Source Address", auto=FILL)
    dst = IPv6Address("Destination Address", "::1")

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IPv6:
        if offset + HEADER_LEN > end:
            raise cls._truncated(offset, end)
        version = buf[offset] >> 4
        if version != 6:
            raise MalformedError("ipv6", offset, f"version {version}, expected 6")
        plen = buf[offset + 4] << 8 | buf[offset + 5]
        start = offset + HEADER_LEN
        stop = start + plen
        if plen == 0:
            if buf[offset + 6] != NO_NEXT_HEADER:
                stop = end  # a jumbogram (RFC 2675) or a TSO/GSO capture: the length is the buffer's
        elif stop > end:
            if not mode & QUOTED:
                raise TruncatedError(
                    "ipv6", offset, f"payload length {plen}, only {end - start} bytes follow the header"
                )
            stop = end
        layer = cls._view(buf, offset, start, stop, mode)
        if stop < end:
            layer.padding = buf[stop:end]
        return layer

    def _next_layer(self) -> tuple[LayerClass, int]:
        buf = self._buf
        return next_class(buf[self._off + 6], buf, self._poff, self._pend), IN_IPV6

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        payload = self._build_payload((values[6] or _ZERO16) + (values[7] or _ZERO16))
        plen = values[3]
        if plen is None:
            plen = len(payload)
            if plen > 0xFFFF:
                if not has_jumbo_option(self.payload if self._payload is LAZY else self._payload):
                    raise BuildError(
                        f"ipv6 payload of {plen} bytes is over 65535: fragment it, or send a jumbogram "
                        "(a Hop-by-Hop header with a ('Jumbo', length) option)"
                    )
                plen = 0  # RFC 2675: a jumbogram's Payload Length is 0
        nh = values[4]
        if nh is None:
            nh = next_header_of(self)
        return self._pack(plen, nh) + payload + self.padding

    def pseudo_addresses(self) -> bytes:
        """Source and final destination (RFC 8200 8.1) as the transport checksum's pseudo-header sees them."""
        values = self._values()
        dst = values[7] or _ZERO16
        layer = self.payload
        while isinstance(layer, EXTENSION_HEADERS):
            if isinstance(layer, IPv6ExtHdrRouting | IPv6ExtHdrSegmentRouting):
                dst = layer._final_destination(dst)
            layer = layer.payload
        return (values[6] or _ZERO16) + dst

    def _summary(self) -> str | None:
        src, dst = self.src, self.dst
        head = f"IP6 {src} > {dst}: "
        number = self._values()[4]
        headers = []
        layer = self.payload
        while isinstance(layer, EXTENSION_HEADERS):
            text, more = layer._header_summary()
            headers.append(text)
            if not more:  # tcpdump stops at a non-first fragment or a routing type it does not know
                return head + " ".join(headers)
            number = layer._values()[0]
            layer = layer.payload
        prefix = "".join(header + " " for header in headers)
        if number is None:
            number = next_header(layer)
        if layer is None or isinstance(layer, Raw):
            if number == NO_NEXT_HEADER:
                return f"{head}{prefix}no next header"
            size = 0 if layer is None else len(layer.build())
            return f"{head}{prefix} ip-proto-{number} {size}"
        tail = getattr(layer, "_network_summary", None)
        if tail is None:
            return f"{head}{prefix}{layer.summary()}"
        line = str(tail("IP6", src, dst))
        return head + prefix + _without_addresses(line, src, dst) if prefix else line

    def _network_summary(self, family: str, src: str, dst: str) -> str:
        return f"{family} {src} > {dst}: {self.summary()}"


def _without_addresses(line: str, src: str, dst: str) -> str:
    """A transport's summary as tcpdump prints it after extension headers: without the addresses."""
    head = f"IP6 {src} > {dst}: "
    if line.startswith(head):
        return line[len(head) :]
    with_ports = f"IP6 {src}."
    if line.startswith(with_ports):
        return line[len(with_ports) :].replace(f" > {dst}.", " > ", 1)
    return line


LAYERS.register(ETHERTYPE, 0x86DD, IPv6)
LAYERS.register(IP_PROTOCOL, IPV6_IN_IP, IPv6)  # IPv6 in IP (RFC 2473, RFC 4213)

__all__ = ["IPv6"]
