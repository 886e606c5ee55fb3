"""DNS (RFC 1035) messages with EDNS0 (RFC 6891): over UDP, and over TCP behind a 2-byte length
(RFC 1035 4.2.2); mDNS (RFC 6762) and LLMNR (RFC 4795) use the same format.

scapy's classes and field names: ``DNS`` holds the header and the four sections ``qd``, ``an``,
``ns`` and ``ar``, lists of records (``DNSQR``, ``DNSRR`` and the typed ``DNSRRSOA``, ``DNSRRMX``,
``DNSRRSRV``, ``DNSRROPT`` with its ``EDNS0TLV`` options, and ``DNSRRCAA``); an unknown type is a
``DNSRR`` whose rdata stays raw bytes. Names are bytes ending in a dot (b"www.example.com.").
Decoding follows compression pointers, and a pointer loop, a label over 63 bytes or a name over
255 bytes is a MalformedError (work bounded by the message's size). A lenient decode of a message
alone, or one cut by the capture or quoted by an ICMP error, keeps the records read and ends in
an Undecoded tail; carried on a DNS port, bytes that are no DNS message stay Raw (scapy's way).
Building writes names whole, as scapy does; ``compress()`` gives the message with RFC 1035 4.1.4
compression. Pure bytes in, bytes out: never I/O, never globals.
"""

from __future__ import annotations

import socket
import struct
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rawnet.errors import BuildError, DecodeError, MalformedError, TruncatedError
from rawnet.wire.fields import LENGTH, FrozenList, IntValue, ListVar, NamedValue, UInt, Var
from rawnet.wire.layer import CUT, DEPTH_UNIT, LENIENT, QUOTED, Layer, Raw, Undecoded

#: The well-known ports: DNS, multicast DNS (RFC 6762) and LLMNR (RFC 4795).
PORT, MDNS_PORT, LLMNR_PORT = 53, 5353, 5355

#: Record types (IANA "Resource Record (RR) TYPEs"), scapy's names.
DNS_TYPES = {
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
    11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
    24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT",
    38: "A6", 39: "DNAME", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY",
    46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM",
    52: "TLSA", 53: "SMIMEA", 55: "HIP", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC",
    63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY", 250: "TSIG", 256: "URI",
    257: "CAA", 32769: "DLV",
}  # fmt: skip
#: Question types: the record types, and the query-only ones.
DNS_QTYPES = {**DNS_TYPES, 251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ALL"}
DNS_CLASSES = {1: "IN", 2: "CS", 3: "CH", 4: "HS", 255: "ANY"}
#: EDNS0 option codes (IANA "DNS EDNS0 Option Codes"), scapy's names.
EDNS0_TYPES = {
    0: "Reserved", 1: "LLQ", 2: "UL", 3: "NSID", 4: "Owner", 5: "DAU", 6: "DHU", 7: "N3U",
    8: "edns-client-subnet", 9: "EXPIRE", 10: "COOKIE", 11: "KEEPALIVE", 12: "Padding",
    13: "CHAIN", 14: "KEY-TAG", 15: "Extended DNS Error",
}  # fmt: skip
OPCODES = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE"}
RCODES = {
    0: "ok",
    1: "format-error",
    2: "server-failure",
    3: "name-error",
    4: "not-implemented",
    5: "refused",
}

_HEADER = struct.Struct("!HHHHHH")  # id, flags, qdcount, ancount, nscount, arcount
_QUESTION = struct.Struct("!HH")  # qtype, qclass
_RECORD = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_OPTION = struct.Struct("!HH")  # option-code, option-length
_U16 = struct.Struct("!H")
_POINTER = 0xC0  # the two top bits of a compression pointer (RFC 1035 4.1.4)
_MAX_LABEL = 63
_MAX_NAME = 255  # octets of a name on the wire (RFC 1035 2.3.4)
_MAX_POINTER = 0x3FFF
_NAME_TYPES = frozenset(
    (2, 3, 4, 5, 7, 8, 9, 12, 39)
)  # rdata is one name: NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME
_TYPE_A, _TYPE_AAAA, _TYPE_TXT, _TYPE_OPT = 1, 28, 16, 41


# -- names --------------------------------------------------------------------------------------


def check_name(value: Any) -> bytes:
    """Converter of a name field: text or bytes, "." added at the end (scapy's form); text is
    checked here (labels 1..63 bytes, 255 in all), bytes when built."""
    if isinstance(value, str):
        data = value.encode()
        _labels(data)
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    else:
        raise TypeError(f"a name is text or bytes, got {type(value).__name__}")
    if not data.endswith(b"."):
        data += b"."
    return data


def _labels(name: bytes) -> list[bytes]:
    """The labels of ``name`` (root: none); ValueError for an empty label, one over 63 bytes, or a
    name over 255 bytes on the wire."""
    if b"\\" in name:
        labels = _unescaped(name)
        if labels[-1] == b"":  # (the root's dot, at the end)
            labels.pop()
    else:
        stripped = name[:-1] if name.endswith(b".") else name
        labels = stripped.split(b".") if stripped else []
    if labels in ([], [b""]):
        return []
    for label in labels:
        if not 0 < len(label) <= _MAX_LABEL:
            raise ValueError(f"label {label!r} of {name!r}: a label is 1..{_MAX_LABEL} bytes")
    if sum(len(label) + 1 for label in labels) + 1 > _MAX_NAME:
        raise ValueError(f"name {name!r} is over {_MAX_NAME} bytes on the wire")
    return labels


def _unescaped(name: bytes) -> list[bytes]:
    """The labels of a name whose labels hold "." or "\\" (written "\\." and "\\\\", as decode_name
    gives them)."""
    labels, label, escaped = [], bytearray(), False
    for byte in name:
        if escaped:
            label.append(byte)
            escaped = False
        elif byte == _BACKSLASH:
            escaped = True
        elif byte == _DOT:
            labels.append(bytes(label))
            label = bytearray()
        else:
            label.append(byte)
    labels.append(bytes(label))
    return labels


_DOT, _BACKSLASH = 0x2E, 0x5C


def encode_name(name: bytes, at: int = 0, table: dict[bytes, int] | None = None) -> bytes:
    """``name`` in wire form. With ``table`` (suffix -> offset in the message): a suffix written
    before becomes a pointer to it, and the suffixes written here are recorded at their offsets
    (``at``: where the name goes in the message)."""
    labels = _labels(name)
    out = bytearray()
    for index, label in enumerate(labels):
        if table is not None:
            suffix = b".".join(labels[index:]).lower()
            pointer = table.get(suffix)
            if pointer is not None:
                out += (_POINTER << 8 | pointer).to_bytes(2, "big")
                return bytes(out)
            if at + len(out) <= _MAX_POINTER:
                table[suffix] = at + len(out)
        out.append(len(label))
        out += label
    out.append(0)
    return bytes(out)


def decode_name(buf: bytes, offset: int, start: int, end: int) -> tuple[bytes, int]:
    """The name at ``offset`` (b"www.example.com.") and where what follows it begins. Pointers
    count from ``start`` (the message's first byte). A pointer is followed once at most (a loop
    is a MalformedError), so the work is bounded by the message's size."""
    labels: list[bytes] = []
    size = 1
    after = -1
    seen: set[int] = set()
    at = offset
    while True:
        if at >= end:
            raise TruncatedError("dns", at, "a name runs past the end of the message")
        length = buf[at]
        if length >= _POINTER:
            if at + 1 >= end:
                raise TruncatedError("dns", at, "a compression pointer cut short")
            target = start + ((length & ~_POINTER) << 8 | buf[at + 1])
            if after < 0:
                after = at + 2
            if target in seen:
                raise MalformedError("dns", at, f"compression pointer loop (to offset {target - start})")
            if target >= end:
                raise MalformedError(
                    "dns", at, f"compression pointer to offset {target - start}, past the end"
                )
            seen.add(target)
            at = target
            continue
        if length > _MAX_LABEL:
            raise MalformedError(
                "dns", at, f"label length byte 0x{length:02x}: over {_MAX_LABEL}, not a pointer"
            )
        if length == 0:
            name = b".".join(labels) + b"." if labels else b"."
            return name, (at + 1 if after < 0 else after)
        if at + 1 + length > end:
            raise TruncatedError("dns", at, f"label of {length} bytes, {end - at - 1} left")
        size += length + 1
        if size > _MAX_NAME:
            raise MalformedError("dns", offset, f"name over {_MAX_NAME} bytes")
        label = buf[at + 1 : at + 1 + length]
        if b"." in label or b"\\" in label:  # (escaped, so that the name is built back the same)
            label = label.replace(b"\\", b"\\\\").replace(b".", b"\\.")
        labels.append(label)
        at += 1 + length


def _show_records(records: Any) -> str:
    return "[" + ", ".join(record.command() for record in records) + "]"


# -- records --------------------------------------------------------------------------------


class _Names:
    """Where a message being built is (its length so far) and, when compressing, its suffixes."""

    __slots__ = ("length", "table")

    def __init__(self, length: int, compress: bool) -> None:
        self.length = length
        self.table: dict[bytes, int] | None = {} if compress else None

    def name(self, name: bytes, at: int) -> bytes:
        return encode_name(name, self.length + at, self.table)


class _Record(Layer):
    """What the record classes share: each is read (``_read``) and written (``_write``) inside a
    message, where names may point back into it; alone, ``bytes()`` writes it whole."""

    __slots__ = ()
    name = "dns-record"
    fused_decode = False
    fused_build = False

    @classmethod
    def _read(cls, buf: bytes, at: int, start: int, end: int) -> tuple[_Record, int]:
        raise NotImplementedError

    def _write(self, names: _Names) -> bytes:
        raise NotImplementedError

    def _build(self, pseudo: bytes | None) -> bytes:
        try:
            return self._write(_Names(0, False)) + self._build_payload(None) + self._pad
        except (ValueError, OSError, TypeError) as error:
            raise BuildError(f"{type(self).__name__}: {error}", layer=self.name, source=self) from None

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> _Record:
        record, after = cls._read(buf, offset, offset, end)
        if after < end:
            record._pad = buf[after:end]
        return record


class DNSQR(_Record):
    """A question (RFC 1035 4.1.2): name, type and class (mDNS, RFC 6762 5.4: the class's top bit
    asks for a unicast response)."""

    __slots__ = ()
    name = "dns-question"
    qname: Var[bytes] = Var("QNAME (the name asked about)", b"www.example.com.", converter=check_name)
    qtype = UInt(16, "QTYPE", 1, labels=DNS_QTYPES)
    unicastresponse = UInt(1, "Unicast response (mDNS, RFC 6762 5.4)", 0)
    qclass = UInt(15, "QCLASS", 1, labels=DNS_CLASSES)

    @classmethod
    def _read(cls, buf: bytes, at: int, start: int, end: int) -> tuple[_Record, int]:
        qname, at = decode_name(buf, at, start, end)
        if at + _QUESTION.size > end:
            raise TruncatedError("dns", at, f"question type and class need 4 bytes, {end - at} left")
        qtype, qclass = _QUESTION.unpack_from(buf, at)
        record = cls(qname=qname, qtype=qtype, unicastresponse=qclass >> 15, qclass=qclass & 0x7FFF)
        return record, at + _QUESTION.size

    def _write(self, names: _Names) -> bytes:
        values = self._values()
        slot = DNSQR.slot
        qclass = values[slot.unicastresponse] << 15 | values[slot.qclass]
        return names.name(values[slot.qname], 0) + _QUESTION.pack(values[slot.qtype], qclass)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            qname: Any = ...,
            qtype: NamedValue = ...,
            unicastresponse: IntValue = ...,
            qclass: NamedValue = ...,
        ) -> None: ...


class _ResourceRecord(_Record):
    """The frame of every resource record (RFC 1035 4.1.3): owner name, type, class, TTL,
    RDLENGTH and RDATA; each class says how it reads and writes its class, TTL and RDATA."""

    __slots__ = ()
    name = "dns-rr"
    #: The type a record of this class has (None: any type, DNSRR).
    record_type: ClassVar[int | None] = None

    @classmethod
    def _read(cls, buf: bytes, at: int, start: int, end: int) -> tuple[_Record, int]:
        rrname, at = decode_name(buf, at, start, end)
        if at + _RECORD.size > end:
            raise TruncatedError("dns", at, f"record type to rdlength need 10 bytes, {end - at} left")
        rtype, rclass, ttl, rdlen = _RECORD.unpack_from(buf, at)
        data = at + _RECORD.size
        stop = data + rdlen
        if stop > end:
            raise TruncatedError("dns", at, f"rdlength {rdlen}, {end - data} bytes left")
        target = _RECORDS.get(rtype, DNSRR)
        try:
            rdata = target._read_rdata(buf, data, stop, start, rtype)
        except TruncatedError:  # rdata shorter than its type's format: kept raw
            if target is DNSRR:
                raise
            target, rdata = DNSRR, {"rdata": buf[data:stop]}
        fields: dict[str, Any] = {"rrname": rrname, "type": rtype, **target._read_class(rclass, ttl), **rdata}
        return target(**fields), stop  # (rdlen left to compute, as scapy's: names may be compressed)

    @classmethod
    def _read_class(cls, rclass: int, ttl: int) -> dict[str, Any]:
        return {"cacheflush": rclass >> 15, "rclass": rclass & 0x7FFF, "ttl": ttl}

    def _write_class(self, values: list[Any]) -> tuple[int, int]:
        slot = self.slot
        return values[slot.cacheflush] << 15 | values[slot.rclass], values[slot.ttl]

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        raise NotImplementedError

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        raise NotImplementedError

    def _write(self, names: _Names) -> bytes:
        values = self._values()
        slot = self.slot
        owner = names.name(values[slot.rrname], 0)
        rdata = self._write_rdata(values, names, len(owner) + _RECORD.size)
        rdlen = values[slot.rdlen]
        if rdlen is None:
            rdlen = len(rdata)
            if rdlen > 0xFFFF:
                raise ValueError(f"rdata of {rdlen} bytes is over 65535")
        rclass, ttl = self._write_class(values)
        return owner + _RECORD.pack(values[slot.type], rclass, ttl, rdlen) + rdata


class DNSRR(_ResourceRecord):
    """A resource record. ``rdata`` by type: A and AAAA an address (text), NS, CNAME, PTR, DNAME
    (and MD, MF, MB, MG, MR) a name, TXT a list of strings (bytes); any other type raw bytes, as
    an A or AAAA record of another length. None builds the type's empty value (0.0.0.0, ::, the
    root, one empty string)."""

    __slots__ = ()
    rrname: Var[bytes] = Var("NAME (the owner)", b".", converter=check_name)
    type = UInt(16, "TYPE", 1, labels=DNS_TYPES)
    cacheflush = UInt(1, "Cache flush (mDNS, RFC 6762 10.2)", 0)
    rclass = UInt(15, "CLASS", 1, labels=DNS_CLASSES)
    ttl = UInt(32, "TTL (seconds)", 0)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    rdata: Var[Any] = Var("RDATA", None)

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        data = buf[at:stop]
        if rtype == _TYPE_A and len(data) == 4:
            return {"rdata": socket.inet_ntoa(data)}
        if rtype == _TYPE_AAAA and len(data) == 16:
            return {"rdata": socket.inet_ntop(socket.AF_INET6, data)}
        if rtype in _NAME_TYPES and data:
            return {"rdata": decode_name(buf, at, start, stop)[0]}
        if rtype == _TYPE_TXT:
            return {"rdata": _read_strings(data, at)}
        return {"rdata": data}

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        slot = DNSRR.slot
        rtype, rdata = values[slot.type], values[slot.rdata]
        if isinstance(rdata, bytes) and rtype not in _NAME_TYPES:
            return rdata
        if rtype == _TYPE_A:
            return socket.inet_aton(rdata or "0.0.0.0")
        if rtype == _TYPE_AAAA:
            return socket.inet_pton(socket.AF_INET6, rdata or "::")
        if rtype in _NAME_TYPES:
            return names.name(check_name(rdata or b"."), at)
        if rtype == _TYPE_TXT:
            return _write_strings(rdata)
        if rdata is None:
            return b""
        if isinstance(rdata, str):
            return rdata.encode()
        if isinstance(rdata, bytearray | memoryview):
            return bytes(rdata)
        raise ValueError(f"rdata {rdata!r} for type {rtype}: give bytes")

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            cacheflush: IntValue = ...,
            rclass: NamedValue = ...,
            ttl: IntValue = ...,
            rdlen: IntValue = ...,
            rdata: Any = ...,
        ) -> None: ...


def _read_strings(data: bytes, offset: int) -> list[bytes]:
    """TXT rdata: <character-string>s, each a length byte and that many bytes (RFC 1035 3.3)."""
    strings, at = [], 0
    while at < len(data):
        length = data[at]
        if at + 1 + length > len(data):
            left = len(data) - at - 1
            raise TruncatedError("dns", offset + at, f"character-string of {length} bytes, {left} left")
        strings.append(data[at + 1 : at + 1 + length])
        at += 1 + length
    return strings


def _write_strings(value: Any) -> bytes:
    if isinstance(value, str | bytes):
        value = [value]
    out = bytearray()
    for text in value or [b""]:
        data = text.encode() if isinstance(text, str) else bytes(text)
        while len(data) > 255:  # (as scapy: a longer string is split)
            out += b"\xff" + data[:255]
            data = data[255:]
        out.append(len(data))
        out += data
    return bytes(out)


class DNSRRSOA(_ResourceRecord):
    """Start of authority (RFC 1035 3.3.13)."""

    __slots__ = ()
    record_type = 6
    rrname: Var[bytes] = Var("NAME (the owner)", b".", converter=check_name)
    type = UInt(16, "TYPE", 6, labels=DNS_TYPES)
    rclass = UInt(16, "CLASS", 1, labels=DNS_CLASSES)
    ttl = UInt(32, "TTL (seconds)", 0)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    mname: Var[bytes] = Var("MNAME (the primary server)", b".", converter=check_name)
    rname: Var[bytes] = Var("RNAME (the mailbox of the person responsible)", b".", converter=check_name)
    serial = UInt(32, "SERIAL", 0)
    refresh = UInt(32, "REFRESH (seconds)", 0)
    retry = UInt(32, "RETRY (seconds)", 0)
    expire = UInt(32, "EXPIRE (seconds)", 0)
    minimum = UInt(32, "MINIMUM (seconds)", 0)

    @classmethod
    def _read_class(cls, rclass: int, ttl: int) -> dict[str, Any]:
        return {"rclass": rclass, "ttl": ttl}

    def _write_class(self, values: list[Any]) -> tuple[int, int]:
        return values[DNSRRSOA.slot.rclass], values[DNSRRSOA.slot.ttl]

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        mname, at = decode_name(buf, at, start, stop)
        rname, at = decode_name(buf, at, start, stop)
        if at + _SOA.size > stop:
            raise TruncatedError("dns", at, f"SOA numbers need 20 bytes, {stop - at} left")
        numbers = dict(zip(_SOA_NUMBERS, _SOA.unpack_from(buf, at), strict=True))
        return {"mname": mname, "rname": rname, **numbers}

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        slot = DNSRRSOA.slot
        mname = names.name(values[slot.mname], at)
        rname = names.name(values[slot.rname], at + len(mname))
        return mname + rname + _SOA.pack(*(values[getattr(slot, name)] for name in _SOA_NUMBERS))

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            rclass: NamedValue = ...,
            ttl: IntValue = ...,
            rdlen: IntValue = ...,
            mname: Any = ...,
            rname: Any = ...,
            serial: IntValue = ...,
            refresh: IntValue = ...,
            retry: IntValue = ...,
            expire: IntValue = ...,
            minimum: IntValue = ...,
        ) -> None: ...


_SOA = struct.Struct("!IIIII")
_SOA_NUMBERS = ("serial", "refresh", "retry", "expire", "minimum")


class DNSRRMX(_ResourceRecord):
    """Mail exchange (RFC 1035 3.3.9)."""

    __slots__ = ()
    record_type = 15
    rrname: Var[bytes] = Var("NAME (the owner)", b".", converter=check_name)
    type = UInt(16, "TYPE", 15, labels=DNS_TYPES)
    cacheflush = UInt(1, "Cache flush (mDNS, RFC 6762 10.2)", 0)
    rclass = UInt(15, "CLASS", 1, labels=DNS_CLASSES)
    ttl = UInt(32, "TTL (seconds)", 0)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    preference = UInt(16, "PREFERENCE", 0)
    exchange: Var[bytes] = Var("EXCHANGE (the mail server)", b".", converter=check_name)

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        if at + 2 > stop:
            raise TruncatedError("dns", at, f"MX preference needs 2 bytes, {stop - at} left")
        return {
            "preference": _U16.unpack_from(buf, at)[0],
            "exchange": decode_name(buf, at + 2, start, stop)[0],
        }

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        slot = DNSRRMX.slot
        return _U16.pack(values[slot.preference]) + names.name(values[slot.exchange], at + 2)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            cacheflush: IntValue = ...,
            rclass: NamedValue = ...,
            ttl: IntValue = ...,
            rdlen: IntValue = ...,
            preference: IntValue = ...,
            exchange: Any = ...,
        ) -> None: ...


class DNSRRSRV(_ResourceRecord):
    """Service location (RFC 2782)."""

    __slots__ = ()
    record_type = 33
    rrname: Var[bytes] = Var("NAME (the owner)", b".", converter=check_name)
    type = UInt(16, "TYPE", 33, labels=DNS_TYPES)
    cacheflush = UInt(1, "Cache flush (mDNS, RFC 6762 10.2)", 0)
    rclass = UInt(15, "CLASS", 1, labels=DNS_CLASSES)
    ttl = UInt(32, "TTL (seconds)", 0)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    priority = UInt(16, "Priority", 0)
    weight = UInt(16, "Weight", 0)
    port = UInt(16, "Port", 0)
    target: Var[bytes] = Var("Target", b".", converter=check_name)

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        if at + _SRV.size > stop:
            raise TruncatedError("dns", at, f"SRV numbers need 6 bytes, {stop - at} left")
        priority, weight, port = _SRV.unpack_from(buf, at)
        target = decode_name(buf, at + _SRV.size, start, stop)[0]
        return {"priority": priority, "weight": weight, "port": port, "target": target}

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        slot = DNSRRSRV.slot
        numbers = _SRV.pack(values[slot.priority], values[slot.weight], values[slot.port])
        return numbers + names.name(values[slot.target], at + _SRV.size)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            cacheflush: IntValue = ...,
            rclass: NamedValue = ...,
            ttl: IntValue = ...,
            rdlen: IntValue = ...,
            priority: IntValue = ...,
            weight: IntValue = ...,
            port: IntValue = ...,
            target: Any = ...,
        ) -> None: ...


_SRV = struct.Struct("!HHH")


class DNSRRCAA(_ResourceRecord):
    """Certification Authority Authorization (RFC 8659): flags, tag ("issue") and value.
    (scapy 2.8.0 keeps CAA as a DNSRR with raw rdata; the field names are the RFC's.)"""

    __slots__ = ()
    record_type = 257
    rrname: Var[bytes] = Var("NAME (the owner)", b".", converter=check_name)
    type = UInt(16, "TYPE", 257, labels=DNS_TYPES)
    cacheflush = UInt(1, "Cache flush (mDNS, RFC 6762 10.2)", 0)
    rclass = UInt(15, "CLASS", 1, labels=DNS_CLASSES)
    ttl = UInt(32, "TTL (seconds)", 0)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    flags = UInt(8, "Flags (128: issuer critical)", 0)
    tag: Var[bytes] = Var("Tag (issue, issuewild, iodef)", b"issue", converter=lambda value: _tag(value))
    value: Var[bytes] = Var(
        "Value", b"", converter=lambda value: value.encode() if isinstance(value, str) else bytes(value)
    )

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        if at + 2 > stop or at + 2 + buf[at + 1] > stop or buf[at + 1] == 0:
            raise TruncatedError("dns", at, "CAA rdata shorter than its tag")
        length = buf[at + 1]
        return {"flags": buf[at], "tag": buf[at + 2 : at + 2 + length], "value": buf[at + 2 + length : stop]}

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        slot = DNSRRCAA.slot
        tag: bytes = values[slot.tag]
        value: bytes = values[slot.value]
        return bytes((values[slot.flags], len(tag))) + tag + value

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            cacheflush: IntValue = ...,
            rclass: NamedValue = ...,
            ttl: IntValue = ...,
            rdlen: IntValue = ...,
            flags: IntValue = ...,
            tag: Any = ...,
            value: Any = ...,
        ) -> None: ...


def _tag(value: Any) -> bytes:
    data = value.encode() if isinstance(value, str) else bytes(value)
    if not 0 < len(data) <= 255:
        raise ValueError(f"a CAA tag is 1..255 bytes, got {len(data)}")
    return data


class EDNS0TLV(Layer):
    """An EDNS0 option (RFC 6891 6.1.2): code, length and data (scapy's generic option class)."""

    __slots__ = ()
    name = "edns0-option"
    fused_decode = False
    fused_build = False
    optcode = UInt(16, "OPTION-CODE", 0, labels=EDNS0_TYPES)
    optlen = UInt(16, "OPTION-LENGTH", None, auto=LENGTH)
    optdata: Var[bytes] = Var(
        "OPTION-DATA", b"", converter=lambda value: value.encode() if isinstance(value, str) else bytes(value)
    )

    def _write(self) -> bytes:
        values = self._values()
        slot = EDNS0TLV.slot
        data: bytes = values[slot.optdata]
        length = len(data) if values[slot.optlen] is None else values[slot.optlen]
        return _OPTION.pack(values[slot.optcode], length) + data

    def _build(self, pseudo: bytes | None) -> bytes:
        return self._write() + self._build_payload(None) + self._pad

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> EDNS0TLV:
        options = _read_options(buf, offset, end)
        if len(options) != 1:
            raise MalformedError("edns0-option", offset, f"{len(options)} options where one was expected")
        return options[0]

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            optcode: NamedValue = ...,
            optlen: IntValue = ...,
            optdata: Any = ...,
        ) -> None: ...


def _read_options(buf: bytes, at: int, stop: int) -> list[EDNS0TLV]:
    options = []
    while at < stop:
        if at + _OPTION.size > stop:
            raise TruncatedError("edns0-option", at, f"an option needs 4 bytes, {stop - at} left")
        code, length = _OPTION.unpack_from(buf, at)
        data = at + _OPTION.size
        if data + length > stop:
            raise TruncatedError(
                "edns0-option", at, f"option {code} length {length}, {stop - data} bytes left"
            )
        options.append(EDNS0TLV(optcode=code, optlen=length, optdata=buf[data : data + length]))
        at = data + length
    return options


def _check_options(value: Any) -> tuple[EDNS0TLV, ...]:
    if isinstance(value, EDNS0TLV):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(option, EDNS0TLV) for option in value):
        raise TypeError("OPT rdata is a list of EDNS0TLV options")
    return tuple(option.copy() for option in value)


class DNSRROPT(_ResourceRecord):
    """The EDNS0 pseudo-record (RFC 6891 6.1.2): the class is the UDP payload size, the TTL holds
    the extended RCODE, the version and the flags (DO, 0x8000: DNSSEC OK), rdata its options."""

    __slots__ = ()
    record_type = 41
    rrname: Var[bytes] = Var("NAME (the root)", b".", converter=check_name)
    type = UInt(16, "TYPE", 41, labels=DNS_TYPES)
    rclass = UInt(16, "Requestor's UDP payload size", 4096)
    extrcode = UInt(8, "EXTENDED-RCODE", 0)
    version = UInt(8, "VERSION", 0)
    z = UInt(16, "Flags (0x8000: DO)", 0x8000, hex=True)
    rdlen = UInt(16, "RDLENGTH", None, auto=LENGTH)
    rdata: ListVar[tuple[Any, ...]] = ListVar("Options", (), converter=_check_options, shower=_show_records)

    @classmethod
    def _read_class(cls, rclass: int, ttl: int) -> dict[str, Any]:
        return {"rclass": rclass, "extrcode": ttl >> 24, "version": ttl >> 16 & 0xFF, "z": ttl & 0xFFFF}

    def _write_class(self, values: list[Any]) -> tuple[int, int]:
        slot = DNSRROPT.slot
        return values[slot.rclass], values[slot.extrcode] << 24 | values[slot.version] << 16 | values[slot.z]

    @classmethod
    def _read_rdata(cls, buf: bytes, at: int, stop: int, start: int, rtype: int) -> dict[str, Any]:
        return {"rdata": tuple(_read_options(buf, at, stop))}

    def _write_rdata(self, values: list[Any], names: _Names, at: int) -> bytes:
        return b"".join(option._write() for option in values[DNSRROPT.slot.rdata])

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            rrname: Any = ...,
            type: NamedValue = ...,
            rclass: IntValue = ...,
            extrcode: IntValue = ...,
            version: IntValue = ...,
            z: IntValue = ...,
            rdlen: IntValue = ...,
            rdata: Any = ...,
        ) -> None: ...


#: The record classes by type; any other type is a DNSRR.
_RECORDS: dict[int, type[_ResourceRecord]] = {
    cls.record_type: cls for cls in (DNSRRSOA, DNSRRMX, DNSRRSRV, DNSRROPT, DNSRRCAA) if cls.record_type
}


# -- the message ------------------------------------------------------------------------------


def _check_questions(value: Any) -> tuple[DNSQR, ...]:
    return _check_section(value, DNSQR)


def _check_records(value: Any) -> tuple[_ResourceRecord, ...]:
    return _check_section(value, _ResourceRecord)


def _check_section(value: Any, kind: type[Any]) -> tuple[Any, ...]:
    if isinstance(value, Layer):
        value = [value]
    if not isinstance(value, list | tuple):
        raise TypeError(f"a section is a list of records, got {type(value).__name__}")
    for record in value:
        if not isinstance(record, kind):
            raise TypeError(
                f"this section holds {kind.__name__.lstrip('_')} records, got {type(record).__name__}"
            )
    return tuple(record.copy() for record in value)


class _Section(ListVar[tuple[Any, ...]]):
    """A section (qd, an, ns, ar): a list of records, read as copies, so that a message changes
    only by setting the field anew."""

    def public(self, stored: Any) -> Any:
        if isinstance(stored, tuple | list):
            return FrozenList(record.copy() for record in stored)
        return stored


_SECTIONS = ("qd", "an", "ns", "ar")
_COUNTS = ("qdcount", "ancount", "nscount", "arcount")


class DNS(Layer):
    """A DNS message (RFC 1035 4.1): header, then the question, answer, authority and additional
    sections (``qd``, ``an``, ``ns``, ``ar``); their counts are computed when None. Over TCP the
    message is a ``DNSTCP``, its length first."""

    __slots__ = ()
    name = "dns"
    fused_decode = False
    fused_build = False
    id = UInt(16, "ID", 0)
    qr = UInt(1, "QR (a response)", 0)
    opcode = UInt(4, "OPCODE", 0, labels=OPCODES)
    aa = UInt(1, "AA (authoritative answer)", 0)
    tc = UInt(1, "TC (truncated)", 0)
    rd = UInt(1, "RD (recursion desired)", 1)
    ra = UInt(1, "RA (recursion available)", 0)
    z = UInt(1, "Z (reserved)", 0)
    ad = UInt(1, "AD (authentic data, RFC 4035)", 0)
    cd = UInt(1, "CD (checking disabled, RFC 4035)", 0)
    rcode = UInt(4, "RCODE", 0, labels=RCODES)
    qdcount = UInt(16, "QDCOUNT", None, auto=LENGTH)
    ancount = UInt(16, "ANCOUNT", None, auto=LENGTH)
    nscount = UInt(16, "NSCOUNT", None, auto=LENGTH)
    arcount = UInt(16, "ARCOUNT", None, auto=LENGTH)
    qd = _Section("Question section", (DNSQR(),), converter=_check_questions, shower=_show_records)
    an = _Section("Answer section", (), converter=_check_records, shower=_show_records)
    ns = _Section("Authority section", (), converter=_check_records, shower=_show_records)
    ar = _Section("Additional section", (), converter=_check_records, shower=_show_records)

    #: Bytes before the header: DNSTCP's length.
    prefix: ClassVar[int] = 0

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> DNS:
        try:
            return cls._read_message(buf, offset, end, mode)
        except DecodeError:
            if mode < DEPTH_UNIT:  # decoded on its own: the error is the answer
                raise
            # carried on a DNS port, bytes that are no DNS message are data, as in scapy (the port
            # only suggests DNS): strict and lenient decodes agree
            return cast(DNS, Raw._decode(buf, offset, end, mode))

    @classmethod
    def _read_message(cls, buf: bytes, offset: int, end: int, mode: int) -> DNS:
        start = offset + cls.prefix
        stop = end
        if cls.prefix:
            if start > end:
                raise TruncatedError(
                    "dns", offset, f"{end - offset} bytes, DNS over TCP begins with a 2-byte length"
                )
            stop = start + _U16.unpack_from(buf, offset)[0]
            if stop > end:  # (cut by the capture, or quoted: read as far as it is here)
                if not mode & (CUT | QUOTED):
                    raise TruncatedError("dns", offset, f"length {stop - start}, {end - start} bytes left")
                stop = end
        if start + _HEADER.size > stop:
            raise TruncatedError("dns", start, f"{stop - start} bytes, the header needs {_HEADER.size}")
        ident, flags, *counts = _HEADER.unpack_from(buf, start)
        sections: list[tuple[Any, ...]] = []
        failure: DecodeError | None = None
        at = start + _HEADER.size
        for index, count in enumerate(counts):
            records: list[_Record] = []
            kind: type[_Record] = DNSQR if index == 0 else _ResourceRecord
            try:
                for _ in range(count):
                    if at >= stop:
                        raise TruncatedError(
                            "dns", at, f"{_COUNTS[index]} {count}, {len(records)} records there"
                        )
                    record, at = kind._read(buf, at, start, stop)
                    records.append(record)
            except DecodeError as error:
                if not (mode & (CUT | QUOTED) or (mode & LENIENT and mode < DEPTH_UNIT)):
                    raise
                # cut by the capture (or quoted), or a lenient decode of a message alone: the
                # records read, then the rest undecoded
                failure = error
                sections.append(tuple(records))
                sections += [()] * (3 - index)
                break
            sections.append(tuple(records))
        layer = cls._view(buf, offset, at, end, mode)
        if failure is not None:
            layer._payload = Undecoded._make(buf, at, end, failure, mode & CUT)
        values: list[Any] = [None] * len(cls.fields_desc)
        slot = cls.slot
        values[slot.id] = ident
        for name, shift, width in _FLAGS:
            values[getattr(slot, name)] = flags >> shift & ((1 << width) - 1)
        for name, count in zip(_COUNTS, counts, strict=True):
            values[getattr(slot, name)] = count
        for name, section in zip(_SECTIONS, sections, strict=True):
            values[getattr(slot, name)] = section
        if cls.prefix:
            values[slot.length] = stop - start
        layer._v = values  # (decoded at once: the records are read to check them anyway)
        layer._cache = None
        return layer

    def _build(self, pseudo: bytes | None) -> bytes:
        if self._ver == 0 and hasattr(self, "_buf"):
            # decoded and not changed since: its bytes as they came (compressed names kept)
            return self._buf[self._off : self._poff] + self._build_payload(None) + self._pad
        try:
            message = self._message(compress=False)
        except (ValueError, OSError, TypeError) as error:
            raise BuildError(f"DNS: {error}", layer=self.name, source=self) from None
        return self._framed(message) + self._build_payload(None) + self._pad

    def _framed(self, message: bytes) -> bytes:
        return message

    def _message(self, compress: bool) -> bytes:
        """The message (header and sections), names compressed or not."""
        values = self._values()
        slot = self.slot
        flags = 0
        for name, shift, _ in _FLAGS:
            flags |= values[getattr(slot, name)] << shift
        sections = [values[getattr(slot, name)] for name in _SECTIONS]
        counts = [
            len(records) if values[getattr(slot, count)] is None else values[getattr(slot, count)]
            for count, records in zip(_COUNTS, sections, strict=True)
        ]
        out = bytearray(_HEADER.pack(values[slot.id], flags, *counts))
        names = _Names(0, compress)
        for records in sections:
            for record in records:
                names.length = len(out)
                out += record._write(names)
        return bytes(out)

    def compress(self) -> DNS:
        """This message with its names compressed (RFC 1035 4.1.4), as scapy's ``compress()``:
        a new layer, decoded from the compressed bytes (what it carries is carried along)."""
        try:
            message = self._message(compress=True)
        except (ValueError, OSError, TypeError) as error:
            raise BuildError(f"DNS: {error}", layer=self.name, source=self) from None
        data = self._framed(message)
        compressed = type(self).decode(data + self._build_payload(None) + self._pad)
        return compressed

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            id: IntValue = ...,
            qr: IntValue = ...,
            opcode: NamedValue = ...,
            aa: IntValue = ...,
            tc: IntValue = ...,
            rd: IntValue = ...,
            ra: IntValue = ...,
            z: IntValue = ...,
            ad: IntValue = ...,
            cd: IntValue = ...,
            rcode: NamedValue = ...,
            qdcount: IntValue = ...,
            ancount: IntValue = ...,
            nscount: IntValue = ...,
            arcount: IntValue = ...,
            qd: Any = ...,
            an: Any = ...,
            ns: Any = ...,
            ar: Any = ...,
        ) -> None: ...


#: The header's flag fields: (name, shift in the flags word, width).
_FLAGS = (
    ("qr", 15, 1), ("opcode", 11, 4), ("aa", 10, 1), ("tc", 9, 1), ("rd", 8, 1), ("ra", 7, 1),
    ("z", 6, 1), ("ad", 5, 1), ("cd", 4, 1), ("rcode", 0, 4),
)  # fmt: skip


class DNSTCP(DNS):
    """A DNS message over TCP (RFC 1035 4.2.2): the message's length (computed when None), then
    the message (scapy's DNSTCP; scapy's DNS has the same length field under TCP)."""

    __slots__ = ()
    prefix = 2
    length: Var[Any] = Var("Length (of the message, DNS over TCP)", None, auto=LENGTH)

    def _framed(self, message: bytes) -> bytes:
        length = self._values()[DNSTCP.slot.length]
        if length is None:
            length = len(message)
            if length > 0xFFFF:
                raise BuildError(f"DNS message of {length} bytes is over 65535", layer=self.name, source=self)
        return _U16.pack(length) + message

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            id: IntValue = ...,
            qr: IntValue = ...,
            opcode: NamedValue = ...,
            aa: IntValue = ...,
            tc: IntValue = ...,
            rd: IntValue = ...,
            ra: IntValue = ...,
            z: IntValue = ...,
            ad: IntValue = ...,
            cd: IntValue = ...,
            rcode: NamedValue = ...,
            qdcount: IntValue = ...,
            ancount: IntValue = ...,
            nscount: IntValue = ...,
            arcount: IntValue = ...,
            qd: Any = ...,
            an: Any = ...,
            ns: Any = ...,
            ar: Any = ...,
            length: Any = ...,
        ) -> None: ...


__all__ = [
    "DNS",
    "DNSQR",
    "DNSRR",
    "DNSRRCAA",
    "DNSRRMX",
    "DNSRROPT",
    "DNSRRSOA",
    "DNSRRSRV",
    "DNSTCP",
    "EDNS0TLV",
]
