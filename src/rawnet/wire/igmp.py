"""IGMP (RFC 1112 v1, RFC 2236 v2, RFC 3376 v3): IP protocol 2, its queries, reports and leaves.

``IGMP`` is registered for IP protocol 2; its decoder reads the type (and a query's length,
RFC 3376 7.1: 8 bytes v1 or v2, 12 or more v3) and returns the message's class, scapy's:
``IGMP_MQ``, ``IGMP_MR``, ``IGMPv2_MR``, ``IGMPv2_LG``, ``IGMPv3_MQ``, ``IGMPv3_MR`` (with
``IGMPv3_MR_Group`` records), or ``IGMP`` itself for another type. What follows a message is
the Raw payload. The checksum covers the whole message (no pseudo-header); source and record
counts and auxiliary data lengths are computed when None. Decoding raises only DecodeError.

Group records (IGMPv3's and MLDv2's, mld.py) are small layers kept in a list field: they are
copied in and copied out, so that no two packets share one (set ``records`` anew to change it).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rawnet.errors import TruncatedError
from rawnet.wire.addresses import IPv4
from rawnet.wire.fields import (
    FILL,
    LENGTH,
    AddressValue,
    Checksum,
    IntValue,
    ListVar,
    NamedValue,
    UInt,
    Var,
    check_bytes,
)
from rawnet.wire.layer import LENIENT, Layer
from rawnet.wire.numbers import TotalEnum

PROTOCOL = 2


class IGMPType(TotalEnum):
    """IGMP message types (IANA "IGMP Type Numbers")."""

    MembershipQuery = 0x11
    V1MembershipReport = 0x12
    DVMRP = 0x13
    PIMv1 = 0x14
    V2MembershipReport = 0x16
    LeaveGroup = 0x17
    MtraceResponse = 0x1E
    Mtrace = 0x1F
    V3MembershipReport = 0x22

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


class IGMPv3RecordType(TotalEnum):
    """Group record types (RFC 3376 4.2.12, RFC 3810 5.2.12)."""

    MODE_IS_INCLUDE = 1
    MODE_IS_EXCLUDE = 2
    CHANGE_TO_INCLUDE_MODE = 3
    CHANGE_TO_EXCLUDE_MODE = 4
    ALLOW_NEW_SOURCES = 5
    BLOCK_OLD_SOURCES = 6

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


_QUERY = 0x11
_DEFAULT_QUERY_MRCODE = 20  # scapy's: 2 seconds, in tenths
_MESSAGE_LEN = 8  # every IGMP message has at least type, code, checksum and 4 bytes (RFC 3376 4)
_V3_QUERY_LEN = 12  # RFC 3376 7.1: a query of 12 bytes or more is an IGMPv3 query
_WORD = 4  # auxiliary data lengths count 32-bit words


# -- shared by IGMPv3 and MLDv2 (mld.py): address lists and group records ------------------------


def address_list(family: int, size: int, maximum: int) -> Callable[[Any], tuple[str, ...]]:
    """The converter of a list of ``family`` addresses (text or wire bytes), kept as text."""

    def check(value: Any) -> tuple[str, ...]:
        if isinstance(value, str | bytes):
            raise ValueError(f"expected a list of addresses, got {value!r}")
        addresses = []
        for address in value:
            try:
                wire = (
                    address
                    if isinstance(address, bytes) and len(address) == size
                    else socket.inet_pton(family, address)
                )
            except (OSError, TypeError, ValueError):
                raise ValueError(f"{address!r} is not an address of this family") from None
            addresses.append(socket.inet_ntop(family, wire))
        if len(addresses) > maximum:
            raise ValueError(f"{len(addresses)} addresses, the count field holds {maximum}")
        return tuple(addresses)

    return check


def addresses_bytes(family: int, addresses: tuple[str, ...]) -> bytes:
    """The addresses' wire bytes, one after the other."""
    return b"".join(socket.inet_pton(family, address) for address in addresses)


def addresses_at(family: int, size: int, buf: bytes, start: int, stop: int) -> tuple[str, ...]:
    """The addresses of ``size`` bytes between ``start`` and ``stop`` of ``buf``, as text."""
    return tuple(socket.inet_ntop(family, buf[at : at + size]) for at in range(start, stop - size + 1, size))


def check_aux(value: Any) -> bytes:
    """Converter of auxiliary data: bytes, sent zero-padded to 32-bit words (at most 255 words)."""
    data = check_bytes(value)
    if len(data) > 255 * _WORD:
        raise ValueError(f"{len(data)} bytes, a record has room for {255 * _WORD}")
    return data


def with_counts(layer: Layer, counts: dict[int, int], pseudo: bytes | None) -> bytes:
    """``layer`` built by Layer's rules, the count fields (index -> value) left None filled first
    (on a copy: building never changes the user's layer)."""
    values = layer._values()
    missing = {index: value for index, value in counts.items() if values[index] is None}
    if not missing:
        return Layer._build(layer, pseudo)
    clone = layer.copy()
    mutable = clone._mutable()
    for index, value in missing.items():
        mutable[index] = value
    return Layer._build(clone, pseudo)


class GroupRecord(Layer):
    """A group record's machinery (IGMPv3's and MLDv2's): the fixed part ``rtype``, aux data
    length (32-bit words), source count and group, then the sources and the auxiliary data.

    Subclasses declare the fields (scapy's names differ) and say where they are in ``parts``."""

    __slots__ = ()
    name = "group-record"
    family: ClassVar[int] = socket.AF_INET
    #: The slots of (aux data length, source count, sources, auxiliary data).
    parts: ClassVar[tuple[int, int, int, int]] = (0, 0, 0, 0)

    @classmethod
    def record_at(cls, buf: bytes, offset: int, end: int, mode: int) -> GroupRecord:
        """The record at ``offset`` (its bytes end by ``end``), decoded whole."""
        size = cls.header_len
        if offset + size > end:
            raise TruncatedError(cls.name, offset, f"{end - offset} bytes left, a group record needs {size}")
        aux_words = buf[offset + 1]
        sources = int.from_bytes(buf[offset + 2 : offset + 4])
        stop = offset + size + sources * _address_size(cls.family) + aux_words * _WORD
        if stop > end:
            raise TruncatedError(
                cls.name,
                offset,
                f"{sources} sources and {aux_words} words of aux data need {stop - offset} bytes, "
                f"{end - offset} left",
            )
        record = cls._view(buf, offset, stop, stop, mode)
        record._unpack()
        return record

    def _fill_variable(self, values: list[Any]) -> None:
        _, _, sources, aux = self.parts
        buf, start = self._buf, self._off + self.header_len
        size = _address_size(self.family)
        at = start + int.from_bytes(buf[self._off + 2 : self._off + 4]) * size
        values[sources] = addresses_at(self.family, size, buf, start, at)
        values[aux] = buf[at : self._poff]

    def _encode_variable(self, values: list[Any]) -> bytes:
        _, _, sources, aux = self.parts
        data: bytes = values[aux]
        return addresses_bytes(self.family, values[sources]) + data + bytes(-len(data) % _WORD)

    def _build(self, pseudo: bytes | None) -> bytes:
        aux_len, count, sources, aux = self.parts
        values = self._values()
        words = (len(values[aux]) + _WORD - 1) // _WORD
        return with_counts(self, {aux_len: words, count: len(values[sources])}, pseudo)


def _address_size(family: int) -> int:
    return 4 if family == socket.AF_INET else 16


def record_list(record: type[GroupRecord]) -> Callable[[Any], tuple[GroupRecord, ...]]:
    """The converter of a list of ``record`` layers: each one copied in."""

    def check(value: Any) -> tuple[GroupRecord, ...]:
        if isinstance(value, Layer) or not hasattr(value, "__iter__"):
            raise ValueError(f"expected a list of {record.__name__}, got {value!r}")
        records = []
        for item in value:
            if not isinstance(item, record):
                raise ValueError(f"expected {record.__name__} records, got {type(item).__name__}")
            records.append(item.copy())
        if len(records) > 0xFFFF:
            raise ValueError(f"{len(records)} records, the count field holds 65535")
        return tuple(records)

    return check


def show_records(records: Any) -> str:
    """show()'s text of a list of records: each as its repr."""
    return "[" + ", ".join(repr(record) for record in records) + "]"


class RecordList(ListVar[tuple[GroupRecord, ...]]):
    """A list of group records: read as copies, so that no packet shares a record with another."""

    def public(self, stored: Any) -> Any:
        if stored.__class__ is tuple:
            return super().public(tuple(record.copy() for record in stored))
        return super().public(stored)


def records_at(
    record: type[GroupRecord], buf: bytes, start: int, end: int, count: int, mode: int
) -> tuple[tuple[GroupRecord, ...], int]:
    """``count`` records from ``start`` (their bytes end by ``end``), and where they end."""
    records = []
    at = start
    for _ in range(count):
        one = record.record_at(buf, at, end, mode)
        records.append(one)
        at = one._poff
    return tuple(records), at


# -- IGMPv1 and v2 --------------------------------------------------------------------------------


def _init_with_type(self: Any, _data: Any = None, /, **fields: Any) -> None:
    """Constructor of the typed classes: ``type`` defaults to the class's own message type."""
    if _data is None and "type" not in fields and self.message_type is not None:
        fields["type"] = self.message_type
    self._init_fields(_data, **fields) if _data is not None else self._init_fields(**fields)


class IGMP(Layer):
    """IGMP message (RFC 2236 2): type, max response time (tenths of a second), checksum, group.

    Decoding gives the class of the message (its type, and a query's length); another type
    stays ``IGMP``. ``mrcode`` left None is built as scapy's: 20 (2 seconds) in a query, 0 in
    the others.
    """

    __slots__ = ()
    name = "igmp"
    #: The type this class stands for (its ``type`` default); None for the generic class.
    message_type: ClassVar[int | None] = None
    type = UInt(8, "Type", _QUERY, enum=IGMPType, hex=True)
    mrcode = UInt(8, "Max Resp Time (1/10 s)", None, auto=FILL)
    chksum = UInt(16, "Checksum", None, auto=Checksum("all"), hex=True)
    gaddr = IPv4("Group Address", "0.0.0.0")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        number = cls.__dict__.get("message_type")
        if number is not None and "type" not in cls.__dict__:  # the class's type is its default
            typed = UInt(8, "Type", number, enum=IGMPType, hex=True)
            typed.__set_name__(cls, "type")
            cls.type = typed
        super().__init_subclass__(**kwargs)
        cls.__init__ = _init_with_type  # type: ignore[method-assign]

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> IGMP:
        if offset + _MESSAGE_LEN > end:
            raise TruncatedError("igmp", offset, f"{end - offset} bytes left, a message needs {_MESSAGE_LEN}")
        kind = buf[offset]
        if kind == _QUERY and end - offset >= _V3_QUERY_LEN:
            target: type[IGMP] = IGMPv3_MQ
        else:
            target = _MESSAGES.get(kind, IGMP)
        return target._decode_message(buf, offset, end, mode)

    @classmethod
    def _decode_message(cls, buf: bytes, offset: int, end: int, mode: int) -> IGMP:
        """This class's message at ``offset`` (its type read): a fixed header, the rest payload."""
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        return cls._view(buf, offset, offset + cls.header_len, end, mode)

    @classmethod
    def _positional(cls, data: Any) -> IGMP:
        """scapy's ``IGMPv3_MR(data)``: the bytes decoded as this class, whatever their type says
        (``IGMP.decode(data)`` gives the class of the type)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            return super()._positional(data)  # (its error)
        return cls._decode_message(bytes(data), 0, len(data), LENIENT)

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._values()
        if values[_MRCODE] is not None:
            return super()._build(pseudo)
        clone = self.copy()
        clone._mutable()[_MRCODE] = _DEFAULT_QUERY_MRCODE if values[_TYPE] == _QUERY else 0
        return clone._build(pseudo)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
        ) -> None: ...


_TYPE, _MRCODE = IGMP.slot.type, IGMP.slot.mrcode


class IGMP_MQ(IGMP):
    """IGMPv1/v2 Membership Query (RFC 2236 2.1): v1 has max response time 0."""

    __slots__ = ()
    message_type = _QUERY
    mrcode = UInt(8, "Max Resp Time (1/10 s)", _DEFAULT_QUERY_MRCODE)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
        ) -> None: ...


class IGMP_MR(IGMP):
    """IGMPv1 Membership Report (RFC 1112 appendix I)."""

    __slots__ = ()
    message_type = 0x12
    mrcode = UInt(8, "Unused", 0)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
        ) -> None: ...


class IGMPv2_MR(IGMP):
    """IGMPv2 Membership Report (RFC 2236 2)."""

    __slots__ = ()
    message_type = 0x16
    mrcode = UInt(8, "Unused", 0)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
        ) -> None: ...


class IGMPv2_LG(IGMP):
    """IGMPv2 Leave Group (RFC 2236 2)."""

    __slots__ = ()
    message_type = 0x17
    mrcode = UInt(8, "Unused", 0)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
        ) -> None: ...


# -- IGMPv3 -------------------------------------------------------------------------------------


def _hidden(name: str) -> Any:
    """What a v3 message has for an IGMP field it lacks: Layer's lookup in the layers below
    (scapy's IGMPv3 messages have no ``gaddr`` or ``mrcode`` of IGMP's)."""
    return Layer.__dict__[name]


class IGMPv3(IGMP):
    """scapy's IGMPv3: the base of the v3 messages, whose fields after the type differ from
    IGMP's (their class bodies start the field table anew)."""

    __slots__ = ()
    fields_desc = ()  # (the inherited IGMP fields are dropped: each v3 message declares its own)
    type = UInt(8, "Type", _QUERY, enum=IGMPType, hex=True)
    mrcode = _hidden("mrcode")
    chksum = _hidden("chksum")
    gaddr = _hidden("gaddr")

    def _build(self, pseudo: bytes | None) -> bytes:
        return Layer._build(self, pseudo)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
        ) -> None: ...


class IGMPv3_MQ(IGMPv3):
    """IGMPv3 Membership Query (RFC 3376 4.1): group, flags, S, QRV, QQIC and the sources.

    ``mrcode`` is the Max Resp Code as sent (RFC 3376 4.1.1: from 128 up, a floating-point
    code); ``numsrc`` is computed when None.
    """

    __slots__ = ()
    message_type = _QUERY
    mrcode = UInt(8, "Max Resp Code", _DEFAULT_QUERY_MRCODE)
    chksum = UInt(16, "Checksum", None, auto=Checksum("all"), hex=True)
    gaddr = IPv4("Group Address", "0.0.0.0")
    flags = UInt(4, "Reserved (scapy's flags)", 0)
    s = UInt(1, "Suppress Router-Side Processing", 0)
    qrv = UInt(3, "Querier's Robustness Variable", 0)
    qqic = UInt(8, "Querier's Query Interval Code", 0)
    numsrc = UInt(16, "Number of Sources", None, auto=LENGTH)
    srcaddrs: ListVar[tuple[str, ...]] = ListVar(
        "Source Addresses", (), converter=address_list(socket.AF_INET, 4, 0xFFFF)
    )

    @classmethod
    def _decode_message(cls, buf: bytes, offset: int, end: int, mode: int) -> IGMP:
        sources = int.from_bytes(buf[offset + 10 : offset + 12]) if offset + cls.header_len <= end else 0
        stop = offset + cls.header_len + 4 * sources
        if stop > end:
            raise TruncatedError(
                "igmp", offset, f"{sources} sources need {stop - offset} bytes, {end - offset} left"
            )
        query = cls._view(buf, offset, stop, end, mode)
        query._unpack()
        return query

    def _fill_variable(self, values: list[Any]) -> None:
        start = self._off + self.header_len
        values[_MQ.srcaddrs] = addresses_at(socket.AF_INET, 4, self._buf, start, self._poff)

    def _encode_variable(self, values: list[Any]) -> bytes:
        return addresses_bytes(socket.AF_INET, values[_MQ.srcaddrs])

    def _build(self, pseudo: bytes | None) -> bytes:
        return with_counts(self, {_MQ.numsrc: len(self._values()[_MQ.srcaddrs])}, pseudo)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            mrcode: IntValue = ...,
            chksum: IntValue = ...,
            gaddr: AddressValue = ...,
            flags: IntValue = ...,
            s: IntValue = ...,
            qrv: IntValue = ...,
            qqic: IntValue = ...,
            numsrc: IntValue = ...,
            srcaddrs: Any = ...,
        ) -> None: ...


_MQ = IGMPv3_MQ.slot


class IGMPv3_MR_Group(GroupRecord):
    """IGMPv3 Group Record (RFC 3376 4.2.4): record type, aux data length (32-bit words),
    number of sources, multicast address, the sources and the auxiliary data."""

    __slots__ = ()
    name = "igmpv3-group-record"
    family = socket.AF_INET
    rtype = UInt(8, "Record Type", 4, enum=IGMPv3RecordType)
    auxdlen = UInt(8, "Aux Data Len (32-bit words)", None, auto=LENGTH)
    numsrc = UInt(16, "Number of Sources", None, auto=LENGTH)
    maddr = IPv4("Multicast Address", "0.0.0.0")
    srcaddrs: ListVar[tuple[str, ...]] = ListVar(
        "Source Addresses", (), converter=address_list(socket.AF_INET, 4, 0xFFFF)
    )
    auxdata: Var[bytes] = Var("Auxiliary Data", b"", converter=check_aux)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rtype: NamedValue = ...,
            auxdlen: IntValue = ...,
            numsrc: IntValue = ...,
            maddr: AddressValue = ...,
            srcaddrs: Any = ...,
            auxdata: Any = ...,
        ) -> None: ...


IGMPv3_MR_Group.parts = (
    IGMPv3_MR_Group.slot.auxdlen,
    IGMPv3_MR_Group.slot.numsrc,
    IGMPv3_MR_Group.slot.srcaddrs,
    IGMPv3_MR_Group.slot.auxdata,
)


class IGMPv3_MR(IGMPv3):
    """IGMPv3 Membership Report (RFC 3376 4.2): the group records (``IGMPv3_MR_Group``);
    ``numgrp`` is computed when None."""

    __slots__ = ()
    message_type = 0x22
    reserved = UInt(8, "Reserved", 0)
    chksum = UInt(16, "Checksum", None, auto=Checksum("all"), hex=True)
    flags = UInt(16, "Reserved (scapy's flags)", 0, hex=True)
    numgrp = UInt(16, "Number of Group Records", None, auto=LENGTH)
    records: RecordList = RecordList(
        "Group Records", (), converter=record_list(IGMPv3_MR_Group), shower=show_records
    )

    @classmethod
    def _decode_message(cls, buf: bytes, offset: int, end: int, mode: int) -> IGMP:
        count = int.from_bytes(buf[offset + 6 : offset + 8])
        _, stop = records_at(IGMPv3_MR_Group, buf, offset + cls.header_len, end, count, mode)
        report = cls._view(buf, offset, stop, end, mode)
        report._unpack()
        return report

    def _fill_variable(self, values: list[Any]) -> None:
        count = int.from_bytes(self._buf[self._off + 6 : self._off + 8])
        start = self._off + self.header_len
        values[_MR.records], _ = records_at(IGMPv3_MR_Group, self._buf, start, self._poff, count, self._mode)

    def _encode_variable(self, values: list[Any]) -> bytes:
        return b"".join(record.build() for record in values[_MR.records])

    def _build(self, pseudo: bytes | None) -> bytes:
        return with_counts(self, {_MR.numgrp: len(self._values()[_MR.records])}, pseudo)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: NamedValue = ...,
            reserved: IntValue = ...,
            chksum: IntValue = ...,
            flags: IntValue = ...,
            numgrp: IntValue = ...,
            records: Any = ...,
        ) -> None: ...


_MR = IGMPv3_MR.slot

#: The classes of the types the decoder knows (a query of 12 bytes or more is IGMPv3_MQ).
_MESSAGES: dict[int, type[IGMP]] = {
    _QUERY: IGMP_MQ,
    0x12: IGMP_MR,
    0x16: IGMPv2_MR,
    0x17: IGMPv2_LG,
    0x22: IGMPv3_MR,
}

# scapy's contrib names (scapy.contrib.igmpv3)
IGMPv3mq = IGMPv3_MQ
IGMPv3mr = IGMPv3_MR
IGMPv3gr = IGMPv3_MR_Group

__all__ = [
    "IGMP",
    "IGMP_MQ",
    "IGMP_MR",
    "IGMPType",
    "IGMPv2_LG",
    "IGMPv2_MR",
    "IGMPv3",
    "IGMPv3RecordType",
    "IGMPv3_MQ",
    "IGMPv3_MR",
    "IGMPv3_MR_Group",
    "IGMPv3gr",
    "IGMPv3mq",
    "IGMPv3mr",
]
