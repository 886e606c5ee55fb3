"""ICMPv6 (RFC 4443): the message header, echo, the errors, and the checksum.

One class, ``ICMPv6``, is registered for IP protocol 58; its decoder reads the type byte
and returns the message's class (``ICMPv6EchoRequest``, ``ICMPv6ND_NS``...: the registry's
ICMPv6 type table), or ``ICMPv6`` itself for a type rawnet does not know, whose body is then
the Raw payload. Message classes subclass ``ICMPv6``, so they all build with next header 58.

What follows the fixed part is the payload, as scapy stacks it: an echo's data is Raw, an
error's quote is the invoking IPv6 packet (decoded with QUOTED: its lengths may exceed the
bytes present; an ICMPv6 error inside a quote keeps its own quote Raw). The checksum covers
the IPv6 pseudo-header it is given (next header 58). Decoding raises only DecodeError.
"""

from __future__ import annotations

import socket
from typing import Any, ClassVar, cast

from rawnet.errors import TruncatedError
from rawnet.wire.compiler import reader
from rawnet.wire.fields import Checksum, UInt
from rawnet.wire.ipv6 import HEADER_LEN, IPv6
from rawnet.wire.layer import QUOTED, Layer, LayerClass, Raw
from rawnet.wire.numbers import TotalEnum
from rawnet.wire.registry import ICMPV6_TYPE, LAYERS

PROTOCOL = 58
_AF_INET6 = socket.AF_INET6
_ntop = socket.inet_ntop


class ICMPv6Type(TotalEnum):
    """ICMPv6 message types (IANA "ICMPv6 Parameters")."""

    DestUnreach = 1
    PacketTooBig = 2
    TimeExceeded = 3
    ParamProblem = 4
    EchoRequest = 128
    EchoReply = 129
    MLDQuery = 130
    MLDReport = 131
    MLDDone = 132
    RouterSolicitation = 133
    RouterAdvertisement = 134
    NeighborSolicitation = 135
    NeighborAdvertisement = 136
    Redirect = 137
    MLDv2Report = 143

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


def init_with_type(self: Any, **fields: Any) -> None:
    """Constructor of the typed classes: ``type`` defaults to the class's own message type."""
    if "type" not in fields and self.message_type is not None:
        fields["type"] = self.message_type
    self._init_fields(**fields)


class ICMPv6(Layer):
    """ICMPv6 message (RFC 4443 section 2.1): type, code, checksum; the body is the payload.

    Decoding gives the class of the message's type; an unknown type stays ``ICMPv6``.
    """

    __slots__ = ()
    name = "icmpv6"
    #: The type this class stands for (its ``type`` default); None for the generic class.
    message_type: ClassVar[int | None] = None
    type = UInt(8, "Type", 0, enum=ICMPv6Type)
    code = UInt(8, "Code", 0)
    cksum = UInt(16, "Checksum", None, auto=Checksum("all", pseudo=PROTOCOL), hex=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__init__ = init_with_type  # type: ignore[method-assign]

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> ICMPv6:
        if offset + 4 > end:
            raise ICMPv6._truncated(offset, end)
        target = _MESSAGES.get(_read_type(buf, offset), ICMPv6)
        if offset + target.header_len > end:
            raise TruncatedError(
                "icmpv6",
                offset,
                f"{end - offset} bytes left, a type {buf[offset]} message needs {target.header_len}",
            )
        return cast(ICMPv6, target._view(buf, offset, offset + target.header_len, end, mode))

    # -- summaries in tcpdump's words (print-icmp6.c, without -v) --------------------------
    def _describe(self) -> tuple[str, bool]:
        """What tcpdump prints after "ICMP6, ", and whether ", length N" follows it."""
        kind = self._values()[0]
        return _TCPDUMP_TYPES.get(kind, f"unknown icmp6 type ({kind})"), True

    def _line(self) -> str:
        text, length_follows = self._describe()
        if not length_follows:
            return f"ICMP6, {text}"
        return f"ICMP6, {text}, length {self.header_len + len(self._build_payload(None))}"

    def _network_summary(self, family: str, src: str, dst: str) -> str:
        return f"{family} {src} > {dst}: {self._line()}"

    def _summary(self) -> str | None:
        return self._line()


# -- echo ---------------------------------------------------------------------------------


class _ICMPv6Echo(ICMPv6):
    """Echo Request or Reply (RFC 4443 4.1, 4.2): identifier, sequence number, data as payload."""

    __slots__ = ()
    id = UInt(16, "Identifier", 0)
    seq = UInt(16, "Sequence Number", 0)

    def _describe(self) -> tuple[str, bool]:
        values = self._values()
        return f"{_TCPDUMP_TYPES[values[0]]}, id {values[3]}, seq {values[4]}", True


class ICMPv6EchoRequest(_ICMPv6Echo):
    """Echo Request (RFC 4443 4.1)."""

    __slots__ = ()
    message_type = 128


class ICMPv6EchoReply(_ICMPv6Echo):
    """Echo Reply (RFC 4443 4.2)."""

    __slots__ = ()
    message_type = 129


# -- errors -------------------------------------------------------------------------------


def _quote_layer(layer: Layer) -> tuple[LayerClass, int]:
    """An error's payload: the invoking packet, quoted; raw inside a quote or when shorter than a header."""
    if layer._mode & QUOTED or layer._pend - layer._poff < HEADER_LEN:
        return Raw, 0
    return IPv6, QUOTED


def _quoted_addresses(layer: Layer) -> tuple[str, str] | None:
    """Source and destination of the quoted IPv6 header, read from its bytes; None if cut short."""
    quote = layer._build_payload(None)
    if len(quote) < HEADER_LEN:
        return None
    return _ntop(_AF_INET6, quote[8:24]), _ntop(_AF_INET6, quote[24:40])


def _quoted_port(layer: Layer) -> tuple[str, int] | None:
    """The quoted packet's transport ("tcp" or "udp") and destination port, past extension headers.

    Read from the quote's bytes, as tcpdump does: a transport header cut short still shows its port.
    """
    quote = layer._build_payload(None)
    if len(quote) < HEADER_LEN:
        return None
    number, at = quote[6], HEADER_LEN
    while number in _SKIPPED_HEADERS and at + 8 <= len(quote):
        number, at = quote[at], at + (8 if number == 44 else (quote[at + 1] + 1) * 8)
    if number not in (6, 17) or at + 4 > len(quote):
        return None
    return ("tcp" if number == 6 else "udp"), quote[at + 2] << 8 | quote[at + 3]


_SKIPPED_HEADERS = (0, 43, 44, 60)  # Hop-by-Hop, Routing, Fragment, Destination Options


class ICMPv6DestUnreach(ICMPv6):
    """Destination Unreachable (RFC 4443 3.1); the payload is the invoking packet."""

    __slots__ = ()
    message_type = 1
    unused = UInt(32, "Unused", 0, hex=True)
    _next_layer = _quote_layer

    def _describe(self) -> tuple[str, bool]:
        code = self._values()[1]
        reason = _UNREACH_CODES.get(code)
        if reason is None:
            return f"destination unreachable, unknown unreach code ({code})", False  # tcpdump dumps the rest
        text = f"destination unreachable, {reason}"
        addresses = _quoted_addresses(self)
        if addresses is None:
            return f"{text} [|icmp6]", False
        if code == 2:
            return f"{text} {addresses[1]}, source address {addresses[0]}", True
        if code != 4:
            return f"{text} {addresses[1]}", True
        port = _quoted_port(self)
        if port is None:
            return f"{text} [|icmp6]", False
        return f"{text}, {addresses[1]} {port[0]} port {port[1]}", True


class ICMPv6PacketTooBig(ICMPv6):
    """Packet Too Big (RFC 4443 3.2): the next hop's MTU; the payload is the invoking packet."""

    __slots__ = ()
    message_type = 2
    mtu = UInt(32, "MTU", 1280)
    _next_layer = _quote_layer

    def _describe(self) -> tuple[str, bool]:
        return f"packet too big, mtu {self._values()[3]}", True


class ICMPv6TimeExceeded(ICMPv6):
    """Time Exceeded (RFC 4443 3.3): hop limit (code 0) or reassembly (code 1)."""

    __slots__ = ()
    message_type = 3
    unused = UInt(32, "Unused", 0, hex=True)
    _next_layer = _quote_layer

    def _describe(self) -> tuple[str, bool]:
        code = self._values()[1]
        addresses = _quoted_addresses(self)
        if addresses is None:
            return "time exceeded in-transit [|icmp6]", False
        if code == 0:
            return f"time exceeded in-transit for {addresses[1]}", True
        if code == 1:
            return "time exceeded in-transit (reassembly)", True
        return f"time exceeded in-transit, unknown code ({code})", True


class ICMPv6ParamProblem(ICMPv6):
    """Parameter Problem (RFC 4443 3.4): ``ptr`` is the offset of the error in the invoking packet."""

    __slots__ = ()
    message_type = 4
    ptr = UInt(32, "Pointer", 0)
    _next_layer = _quote_layer

    def _describe(self) -> tuple[str, bool]:
        values = self._values()
        if _quoted_addresses(self) is None:
            return "parameter problem [|icmp6]", False
        what = _PARAM_CODES.get(values[1])
        if what is None:
            return f"parameter problem, code-#{values[1]}", True
        return f"parameter problem, {what} - octet {values[3]}", True


_MESSAGES = LAYERS.table(ICMPV6_TYPE)
_read_type = reader(ICMPv6, "type")


# tcpdump's names (print-icmp6.c icmp6_type_values and the code tables).
_TCPDUMP_TYPES = {
    1: "destination unreachable",
    2: "packet too big",
    3: "time exceeded",
    4: "parameter problem",
    128: "echo request",
    129: "echo reply",
    130: "multicast listener query",
    131: "multicast listener report",
    132: "multicast listener done",
    133: "router solicitation",
    134: "router advertisement",
    135: "neighbor solicitation",
    136: "neighbor advertisement",
    137: "redirect",
    141: "inverse neighbor solicitation",
    142: "inverse neighbor advertisement",
    143: "multicast listener report v2",
    145: "ha discovery reply",
    147: "mobile router advertisement",
    200: "mtrace response",
    201: "mtrace message",
}
_UNREACH_CODES = {
    0: "unreachable route",
    1: " unreachable prohibited",  # sic: tcpdump prints two spaces
    2: "beyond scope",
    3: "unreachable address",
    4: "unreachable port",
}
_PARAM_CODES = {0: "erroneous", 1: "next header", 2: "option", 3: "incomplete header chain"}


__all__ = [
    "ICMPv6",
    "ICMPv6DestUnreach",
    "ICMPv6EchoReply",
    "ICMPv6EchoRequest",
    "ICMPv6PacketTooBig",
    "ICMPv6ParamProblem",
    "ICMPv6TimeExceeded",
    "ICMPv6Type",
]
