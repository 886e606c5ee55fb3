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

from typing import Any, ClassVar, cast

from rawnet.errors import TruncatedError
from rawnet.wire.compiler import reader
from rawnet.wire.fields import Checksum, UInt
from rawnet.wire.ipv6 import HEADER_LEN, IPv6
from rawnet.wire.layer import QUOTED, Layer, LayerClass, Raw
from rawnet.wire.numbers import TotalEnum
from rawnet.wire.registry import ICMPV6_TYPE, LAYERS

PROTOCOL = 58


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


# -- echo ---------------------------------------------------------------------------------


class _ICMPv6Echo(ICMPv6):
    """Echo Request or Reply (RFC 4443 4.1, 4.2): identifier, sequence number, data as payload."""

    __slots__ = ()
    id = UInt(16, "Identifier", 0)
    seq = UInt(16, "Sequence Number", 0)


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


class ICMPv6DestUnreach(ICMPv6):
    """Destination Unreachable (RFC 4443 3.1); the payload is the invoking packet."""

    __slots__ = ()
    message_type = 1
    unused = UInt(32, "Unused", 0, hex=True)
    _next_layer = _quote_layer


class ICMPv6PacketTooBig(ICMPv6):
    """Packet Too Big (RFC 4443 3.2): the next hop's MTU; the payload is the invoking packet."""

    __slots__ = ()
    message_type = 2
    mtu = UInt(32, "MTU", 1280)
    _next_layer = _quote_layer


class ICMPv6TimeExceeded(ICMPv6):
    """Time Exceeded (RFC 4443 3.3): hop limit (code 0) or reassembly (code 1)."""

    __slots__ = ()
    message_type = 3
    unused = UInt(32, "Unused", 0, hex=True)
    _next_layer = _quote_layer


class ICMPv6ParamProblem(ICMPv6):
    """Parameter Problem (RFC 4443 3.4): ``ptr`` is the offset of the error in the invoking packet."""

    __slots__ = ()
    message_type = 4
    ptr = UInt(32, "Pointer", 0)
    _next_layer = _quote_layer


_MESSAGES = LAYERS.table(ICMPV6_TYPE)
_read_type = reader(ICMPv6, "type")


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
