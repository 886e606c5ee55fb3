"""ICMP for IPv4 (RFC 792): one header class for every type, errors decoding their quoted datagram.

Pure bytes in, bytes out. The checksum covers the ICMP message only (no pseudo-header). An
error's quote is decoded as an inner IPv4 layer in QUOTED mode; an error inside a quote keeps
its own quote as raw bytes, which bounds ICMP-in-ICMP nesting.
"""

from __future__ import annotations

import socket
from typing import Any

from rawnet.errors import FieldValueError
from rawnet.wire.compiler import reader
from rawnet.wire.fields import Checksum, IntValue, NamedValue, UInt, ValueSet
from rawnet.wire.ipv4 import IP
from rawnet.wire.layer import QUOTED, Layer, LayerClass, Raw
from rawnet.wire.numbers import TotalEnum
from rawnet.wire.registry import ICMP_QUOTE, LAYERS

PROTOCOL = 1


_QUOTE = LAYERS.table(ICMP_QUOTE)


class ICMPType(TotalEnum):
    """ICMP message types (IANA "ICMP Type Numbers"); scapy's names with "_" for "-"."""

    echo_reply = 0
    dest_unreach = 3
    source_quench = 4
    redirect = 5
    echo_request = 8
    router_advertisement = 9
    router_solicitation = 10
    time_exceeded = 11
    parameter_problem = 12
    timestamp_request = 13
    timestamp_reply = 14
    information_request = 15
    information_response = 16
    address_mask_request = 17
    address_mask_reply = 18

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


class DestUnreachCode(TotalEnum):
    """Codes of Destination Unreachable (type 3; RFC 792, RFC 1122, RFC 1812)."""

    network_unreachable = 0
    host_unreachable = 1
    protocol_unreachable = 2
    port_unreachable = 3
    fragmentation_needed = 4
    source_route_failed = 5
    network_unknown = 6
    host_unknown = 7
    host_isolated = 8
    network_prohibited = 9
    host_prohibited = 10
    TOS_network_unreachable = 11
    TOS_host_unreachable = 12
    communication_prohibited = 13
    host_precedence_violation = 14
    precedence_cutoff = 15

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


class RedirectCode(TotalEnum):
    """Codes of Redirect (type 5)."""

    network_redirect = 0
    host_redirect = 1
    TOS_network_redirect = 2
    TOS_host_redirect = 3

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


class TimeExceededCode(TotalEnum):
    """Codes of Time Exceeded (type 11)."""

    ttl_zero_during_transit = 0
    ttl_zero_during_reassembly = 1

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


class ParamProblemCode(TotalEnum):
    """Codes of Parameter Problem (type 12)."""

    ip_header_bad = 0
    required_option_missing = 1
    bad_length = 2

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


#: The code names of each type that has named codes.
ICMP_CODES: dict[int, type[TotalEnum]] = {
    3: DestUnreachCode,
    5: RedirectCode,
    11: TimeExceededCode,
    12: ParamProblemCode,
}

#: Error messages, whose data is the start of the datagram that caused them (RFC 792).
ERROR_TYPES = frozenset((3, 4, 5, 11, 12))


def _label(member: TotalEnum) -> str:
    return member.name.replace("_", "-")


_TYPE_NAMES = {_label(member): member.value for member in ICMPType}
# Every code name is unique across types, so a name alone gives the (type, code) pair.
_CODE_NAMES = {
    _label(member): (icmp_type, member.value) for icmp_type, codes in ICMP_CODES.items() for member in codes
}

_CODE_NUMBERS = {name: code for name, (_, code) in _CODE_NAMES.items()}


def type_name(icmp_type: int) -> str:
    """The name of an ICMP type ("echo-request"), "unknown-N" for an unassigned one."""
    return _label(ICMPType(icmp_type))


def code_name(icmp_type: int, code: int) -> str | None:
    """The name of ``code`` for ``icmp_type`` ("port-unreachable"), or None when it has none."""
    codes = ICMP_CODES.get(icmp_type)
    if codes is None:
        return None
    member = codes(code)
    return None if member.name.startswith("unknown_") else _label(member)


_DEFAULT: Any = object()  # (a keyword not given)


class ICMP(Layer):
    """ICMP header (RFC 792): type, code, checksum and the 32-bit rest of header.

    The rest of header is ``id`` and ``seq`` (echo, timestamp, information); the aliases
    ``gw`` (redirect: gateway address), ``ptr`` (parameter problem: pointer, the first
    byte), ``nexthopmtu`` (fragmentation needed, RFC 1191: the low 16 bits) and ``unused``
    (all 32 bits) read and write the same four bytes, as keywords and as attributes.

    Payload: echo data is Raw; an error (types 3, 4, 5, 11, 12) carries the start of the
    datagram that caused it, decoded as a quoted IP layer (a quote too short for an IPv4
    header stays Raw). Timestamp (13/14) and address mask (17/18) data, and every other
    type's, is left as Raw bytes.
    """

    __slots__ = ()
    name = "icmp"
    type = UInt(
        8, "Type", 8, names=_TYPE_NAMES, labels={number: name for name, number in _TYPE_NAMES.items()}
    )
    code = UInt(8, "Code", 0, names=_CODE_NUMBERS)  # no labels: a code's name depends on the type
    chksum = UInt(16, "Checksum", None, auto=Checksum("all"), hex=True)
    id = UInt(16, "Identifier (rest of header, high 16 bits)", 0)
    seq = UInt(16, "Sequence Number (rest of header, low 16 bits)", 0)

    def __init__(
        self,
        _data: bytes | bytearray | memoryview | None = None,
        /,
        *,
        type: NamedValue = _DEFAULT,
        code: NamedValue = _DEFAULT,
        chksum: IntValue = _DEFAULT,
        id: IntValue = _DEFAULT,
        seq: IntValue = _DEFAULT,
        gw: str | bytes | None = None,
        ptr: Any = None,
        nexthopmtu: Any = None,
        unused: int | None = None,
    ) -> None:
        """ICMP(type=8, code=0, chksum=None (computed), id=0, seq=0, gw=, ptr=, nexthopmtu=, unused=).

        ``type`` and ``code`` take numbers or scapy's names ("dest-unreach", "port-unreachable");
        ``ICMP(data)`` decodes bytes, as in scapy.
        """
        given: dict[str, Any] = {"type": type, "code": code, "chksum": chksum, "id": id, "seq": seq}
        fields = {name: value for name, value in given.items() if value is not _DEFAULT}
        if _data is not None:
            self._init_fields(_data, **fields)
            return
        code = fields.get("code")
        if code.__class__ is str and code in _CODE_NAMES:
            _check_code_type(code, fields.get("type", 8))
        if gw is None and ptr is None and nexthopmtu is None and unused is None:
            self._init_fields(**fields)
            return
        given = {"gw": gw, "unused": unused, "ptr": ptr, "nexthopmtu": nexthopmtu}
        claimed: list[str] = []
        for name, mask in _REST_BYTES.items():
            if given.get(name) is None and name not in fields:
                continue
            for other in claimed:
                if _REST_BYTES[other] & mask:
                    raise FieldValueError(
                        f"ICMP.{other} and ICMP.{name} set the same bytes of the rest of header: give one"
                    )
            claimed.append(name)
        self._init_fields(**fields)
        if gw is not None:
            self.gw = gw
        if unused is not None:
            self.unused = unused
        if ptr is not None:
            self.ptr = ptr
        if nexthopmtu is not None:
            self.nexthopmtu = nexthopmtu

    # -- aliases of the rest of header -------------------------------------------------------
    def _rest(self) -> int | None:
        ident, seq = self.id, self.seq
        if ident.__class__ is int and seq.__class__ is int:
            return ident << 16 | seq
        return None  # a set of values

    def _set_rest(self, ident: Any, seq: Any) -> None:
        values = self._mutable()
        values[_ID], values[_SEQ] = ident, seq
        self._ver += 1

    @property
    def gw(self) -> str | None:
        """Gateway Internet Address of a redirect (the rest of header as an IPv4 address)."""
        rest = self._rest()
        return None if rest is None else socket.inet_ntoa(rest.to_bytes(4, "big"))

    @gw.setter
    def gw(self, value: str | bytes) -> None:
        if isinstance(value, bytes) and len(value) == 4:
            wire = value
        else:
            try:
                wire = socket.inet_pton(socket.AF_INET, value)  # type: ignore[arg-type]
            except (OSError, TypeError):
                raise FieldValueError(f"ICMP.gw must be an IPv4 address, got {value!r}") from None
        self._set_rest(wire[0] << 8 | wire[1], wire[2] << 8 | wire[3])

    @property
    def ptr(self) -> int | None:
        """Pointer of a parameter problem: the octet where the error was found (the first byte)."""
        ident = self.id
        return ident >> 8 if ident.__class__ is int else None

    @ptr.setter
    def ptr(self, value: Any) -> None:
        ident: Any = self.id
        low = ident & 0xFF if ident.__class__ is int else 0
        pointer = _POINTER.convert(value)
        if isinstance(pointer, ValueSet):
            ident = ValueSet(ICMP.get_field("id"), [p << 8 | low for p in pointer.stored()], str(value))
        else:
            ident = pointer << 8 | low
        self._set_rest(ident, self.seq)

    @property
    def nexthopmtu(self) -> int | None:
        """Next-Hop MTU of a "fragmentation needed" (RFC 1191): the low 16 bits."""
        seq = self.seq
        return seq if seq.__class__ is int else None

    @nexthopmtu.setter
    def nexthopmtu(self, value: Any) -> None:
        self.seq = value

    @property
    def unused(self) -> int | None:
        """The whole rest of header as a 32-bit number (unused by most error types)."""
        return self._rest()

    @unused.setter
    def unused(self, value: int) -> None:
        if value.__class__ is not int or not 0 <= value <= 0xFFFFFFFF:
            raise FieldValueError(f"ICMP.unused must be 0..4294967295, got {value!r}")
        self._set_rest(value >> 16, value & 0xFFFF)

    # -- decoding and building ---------------------------------------------------------------
    def _next_layer(self) -> tuple[LayerClass, int]:
        buf, offset = self._buf, self._off
        if _read_type(buf, offset) not in ERROR_TYPES or self._mode & QUOTED:
            return Raw, 0  # a quoted error's own quote stays raw: nesting stops here
        quote = self._poff
        # The quote holds as much as fit; an IPv4 header cut short stays raw bytes.
        if self._pend - quote < IP.header_len or self._pend - quote < _read_ihl(buf, quote) << 2:
            return Raw, 0
        return _QUOTE.get(4, IP), QUOTED  # (IPerror, from the registry)


# Which of the four rest-of-header bytes each keyword sets (bit 3: the first byte).
_REST_BYTES = {
    "gw": 0b1111,
    "unused": 0b1111,
    "id": 0b1100,
    "ptr": 0b1000,
    "seq": 0b0011,
    "nexthopmtu": 0b0011,
}

_POINTER = UInt(8, "Pointer")
_POINTER.owner, _POINTER.name = "ICMP", "ptr"


def _check_code_type(code: str, icmp_type: Any) -> None:
    owner = _CODE_NAMES[code][0]
    if isinstance(icmp_type, str):
        icmp_type = _TYPE_NAMES.get(icmp_type, icmp_type)
    if icmp_type.__class__ is int and icmp_type != owner:
        raise FieldValueError(
            f"ICMP.code {code!r} is a code of {type_name(owner)} ({owner}), "
            f"not of {type_name(icmp_type) if 0 <= icmp_type <= 255 else 'type'} ({icmp_type})"
        )


# Field positions, named (generated with the class): never a bare index.
_ID, _SEQ = ICMP.slot.id, ICMP.slot.seq
_read_type = reader(ICMP, "type")
_read_ihl = reader(IP, "ihl")

__all__ = [
    "ICMP",
    "DestUnreachCode",
    "ICMPType",
    "ParamProblemCode",
    "RedirectCode",
    "TimeExceededCode",
]
