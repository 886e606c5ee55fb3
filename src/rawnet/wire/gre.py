"""GRE (RFC 2784, with RFC 2890's key and sequence number): the flags word, the protocol type,
then the optional fields its present bits announce; and PPTP's enhanced GRE (version 1, RFC 2637).

The checksum and the (reserved) offset come together when the C or R bit is set (RFC 1701),
the key with K, the sequence number with S. A present bit left None is set when its field is
given (scapy's are 0 unless set); a checksum left None under C is computed over the GRE header
and its payload. The payload is told by the protocol type, an EtherType; under the R bit RFC
1701's routing entries come first, and the payload stays raw bytes (scapy's GRErouting).
A header of version 1 decodes as GRE_PPTP. Nesting (GRE in IP in GRE...) ends at the decoder's
layer limit (layer.py's MAX_DEPTH, a LimitError: a DecodeError), each level taking 24 bytes at
least: tcpdump and scapy set none of their own.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from rawnet.errors import TruncatedError
from rawnet.wire.checksum import internet_checksum
from rawnet.wire.fields import CHECKSUM, FILL, LENGTH, IntValue, NamedValue, Next, UInt, Var, uint
from rawnet.wire.layer import Layer, LayerClass, Raw
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE, LAYERS

PROTOCOL = 47

# The flags word (RFC 2784 2.1, RFC 2890 2): bit 15 is the first on the wire.
_C, _R, _K, _S = 0x8000, 0x4000, 0x2000, 0x1000


def _hex(value: Any) -> str:
    return hex(value) if isinstance(value, int) else repr(value)


class GRE(Layer):
    """GRE header (RFC 2784, RFC 2890): present bits, version, protocol type, optional fields."""

    __slots__ = ()
    name = "gre"
    chksum_present = UInt(1, "Checksum Present (C)", None, auto=FILL)
    routing_present = UInt(1, "Routing Present (R, RFC 1701)", None, auto=FILL)
    key_present = UInt(1, "Key Present (K, RFC 2890)", None, auto=FILL)
    seqnum_present = UInt(1, "Sequence Number Present (S, RFC 2890)", None, auto=FILL)
    strict_route_source = UInt(1, "Strict Source Route (s, RFC 1701)", 0)
    recursion_control = UInt(3, "Recursion Control (RFC 1701)", 0)
    flags = UInt(5, "Flags (reserved)", 0)
    version = UInt(3, "Version", 0)
    proto = UInt(16, "Protocol Type (an EtherType)", None, auto=Next(ETHERTYPE, 0), enum=EtherType, hex=True)
    chksum: Var[int] = Var("Checksum (with C or R)", None, converter=uint(16), shower=_hex, auto=CHECKSUM)
    offset: Var[int] = Var("Offset (reserved, with C or R)", None, converter=uint(16), shower=_hex)
    key: Var[int] = Var("Key (with K)", None, converter=uint(32), shower=_hex)
    sequence_number: Var[int] = Var("Sequence Number (with S)", None, converter=uint(32))

    fused_decode = False
    fused_build = False

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> GRE:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        word = int.from_bytes(buf[offset : offset + 2], "big")
        if word & _VERSION_MASK == PPTP_VERSION and cls is GRE:
            return GRE_PPTP._decode(buf, offset, end, mode)
        size = _header_size(word)
        if offset + size > end:
            raise TruncatedError(
                "gre", offset, f"its flags announce a {size}-byte header, {end - offset} left"
            )
        return cls._view(buf, offset, offset + size, end, mode)

    def _next_layer(self) -> tuple[LayerClass, int]:
        if int.from_bytes(self._buf[self._off : self._off + 2], "big") & _R:
            return Raw, 0  # routing entries (RFC 1701) before the payload: raw bytes
        return super()._next_layer()

    def _fill_variable(self, values: list[Any]) -> None:
        buf, at = self._buf, self._off
        word = int.from_bytes(buf[at : at + 2], "big")
        at += self.header_len
        if word & (_C | _R):
            values[_CHKSUM] = int.from_bytes(buf[at : at + 2], "big")
            values[_OFFSET] = int.from_bytes(buf[at + 2 : at + 4], "big")
            at += 4
        if word & _K:
            values[_KEY] = int.from_bytes(buf[at : at + 4], "big")
            at += 4
        if word & _S:
            values[_SEQ] = int.from_bytes(buf[at : at + 4], "big")

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._values()
        chksum, offset, key, seq = values[_CHKSUM], values[_OFFSET], values[_KEY], values[_SEQ]

        def bit(index: int, given: bool) -> int:
            value = values[index]
            return int(given) if value is None else int(value)

        c = bit(_CP, chksum is not None)
        r = bit(_RP, offset is not None)
        k = bit(_KP, key is not None)
        s = bit(_SP, seq is not None)
        word = (
            c << 15
            | r << 14
            | k << 13
            | s << 12
            | values[_SSR] << 11
            | values[_RECUR] << 8
            | values[_FLAGS] << 3
            | values[_VERSION]
        )
        payload = self._build_payload(None)  # (first: it makes the payload a layer to look up)
        proto = values[_PROTO]
        if proto is None:
            proto = LAYERS.number_for(ETHERTYPE, self._payload, 0)
        optional = b""
        if c or r:
            optional += (offset or 0).to_bytes(2, "big")  # (the checksum goes before it, below)
        if k:
            optional += (key or 0).to_bytes(4, "big")
        if s:
            optional += (seq or 0).to_bytes(4, "big")
        head = word.to_bytes(2, "big") + int(proto).to_bytes(2, "big")
        if c or r:
            if chksum is None:
                chksum = internet_checksum(head + b"\0\0" + optional + payload) if c else 0
            optional = chksum.to_bytes(2, "big") + optional
        return bytes(head + optional + payload + self._pad)

    def checked_fields(self) -> tuple[Any, ...]:
        fields = super().checked_fields()
        values = self._values()
        present = values[_CP]
        if not (present or (present is None and values[_CHKSUM] is not None)):
            return tuple(field for field in fields if field.name != "chksum")  # no checksum without C
        return fields

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            chksum_present: IntValue = ...,
            routing_present: IntValue = ...,
            key_present: IntValue = ...,
            seqnum_present: IntValue = ...,
            strict_route_source: IntValue = ...,
            recursion_control: IntValue = ...,
            flags: IntValue = ...,
            version: IntValue = ...,
            proto: NamedValue = ...,
            chksum: Any = ...,
            offset: Any = ...,
            key: Any = ...,
            sequence_number: Any = ...,
        ) -> None: ...


PPTP_VERSION = 1  #: the version of PPTP's enhanced GRE (RFC 2637 4.1)
_A = 0x0080  # (PPTP: Acknowledgment Number Present)
_VERSION_MASK = 0x0007


class GRE_PPTP(GRE):  # (scapy's name; a GRE, as in scapy: it builds as IP's protocol 47)
    """PPTP's enhanced GRE header (RFC 2637 4.1): version 1, the key holding the payload length
    and the call ID, then the sequence and acknowledgment numbers their present bits announce."""

    __slots__ = ()
    name = "gre-pptp"
    fields_desc = ()  # (a layout of its own, not GRE's fields with these after them)
    chksum_present = UInt(1, "Checksum Present (C, 0)", 0)
    routing_present = UInt(1, "Routing Present (R, 0)", 0)
    key_present = UInt(1, "Key Present (K, 1)", 1)
    seqnum_present = UInt(1, "Sequence Number Present (S)", None, auto=FILL)
    strict_route_source = UInt(1, "Strict Source Route (s, 0)", 0)
    recursion_control = UInt(3, "Recursion Control (0)", 0)
    acknum_present = UInt(1, "Acknowledgment Number Present (A)", None, auto=FILL)
    flags = UInt(4, "Flags (0)", 0)
    version = UInt(3, "Version (1)", PPTP_VERSION)
    proto = UInt(16, "Protocol Type (0x880B: PPP)", 0x880B, enum=EtherType, hex=True)
    payload_len = UInt(16, "Payload Length (the key's high half)", None, auto=LENGTH)
    call_id = UInt(16, "Call ID (the key's low half)", 0)
    sequence_number: Var[int] = Var("Sequence Number (with S)", None, converter=uint(32), shower=_hex)
    ack_number: Var[int] = Var("Acknowledgment Number (with A)", None, converter=uint(32), shower=_hex)

    fused_decode = False
    fused_build = False

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> GRE_PPTP:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        word = int.from_bytes(buf[offset : offset + 2], "big")
        size = cls.header_len + 4 * bool(word & _S) + 4 * bool(word & _A)
        if offset + size > end:
            raise TruncatedError(
                "gre-pptp", offset, f"its flags announce a {size}-byte header, {end - offset} left"
            )
        return cls._view(buf, offset, offset + size, end, mode)

    def _next_layer(self) -> tuple[LayerClass, int]:
        return Raw, 0  # (PPP, which rawnet does not decode)

    def checked_fields(self) -> tuple[Any, ...]:
        return Layer.checked_fields(self)

    def _fill_variable(self, values: list[Any]) -> None:
        buf, at = self._buf, self._off
        word = int.from_bytes(buf[at : at + 2], "big")
        at += self.header_len
        if word & _S:
            values[_P_SEQ] = int.from_bytes(buf[at : at + 4], "big")
            at += 4
        if word & _A:
            values[_P_ACK] = int.from_bytes(buf[at : at + 4], "big")

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._values()
        seq, ack = values[_P_SEQ], values[_P_ACK]
        s = int(seq is not None) if values[_P_SP] is None else values[_P_SP]
        a = int(ack is not None) if values[_P_AP] is None else values[_P_AP]
        payload = self._build_payload(None)
        length = len(payload) if values[_P_LEN] is None else values[_P_LEN]
        word = (
            values[_P_CP] << 15
            | values[_P_RP] << 14
            | values[_P_KP] << 13
            | s << 12
            | values[_P_SSR] << 11
            | values[_P_RECUR] << 8
            | a << 7
            | values[_P_FLAGS] << 3
            | values[_P_VERSION]
        )
        head = _PPTP_HEAD.pack(word, values[_P_PROTO], length, values[_P_CALL])
        optional = ((seq or 0).to_bytes(4, "big") if s else b"") + (
            (ack or 0).to_bytes(4, "big") if a else b""
        )
        return bytes(head + optional + payload + self._pad)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            chksum_present: IntValue = ...,
            routing_present: IntValue = ...,
            key_present: IntValue = ...,
            seqnum_present: IntValue = ...,
            strict_route_source: IntValue = ...,
            recursion_control: IntValue = ...,
            acknum_present: IntValue = ...,
            flags: IntValue = ...,
            version: IntValue = ...,
            proto: NamedValue = ...,
            payload_len: IntValue = ...,
            call_id: IntValue = ...,
            sequence_number: Any = ...,
            ack_number: Any = ...,
        ) -> None: ...


def _header_size(word: int) -> int:
    """The bytes of a GRE header whose flags word is ``word``."""
    return 4 + 4 * bool(word & (_C | _R)) + 4 * bool(word & _K) + 4 * bool(word & _S)


# Field positions, named (generated with the class): never a bare index.
_CP, _RP, _KP, _SP = (
    GRE.slot.chksum_present,
    GRE.slot.routing_present,
    GRE.slot.key_present,
    GRE.slot.seqnum_present,
)
_SSR, _RECUR, _FLAGS, _VERSION = (
    GRE.slot.strict_route_source,
    GRE.slot.recursion_control,
    GRE.slot.flags,
    GRE.slot.version,
)
_PROTO, _CHKSUM, _OFFSET = GRE.slot.proto, GRE.slot.chksum, GRE.slot.offset
_KEY, _SEQ = GRE.slot.key, GRE.slot.sequence_number
_P_SP, _P_AP, _P_LEN = GRE_PPTP.slot.seqnum_present, GRE_PPTP.slot.acknum_present, GRE_PPTP.slot.payload_len
_P_SEQ, _P_ACK = GRE_PPTP.slot.sequence_number, GRE_PPTP.slot.ack_number
_P_CP, _P_RP, _P_KP = GRE_PPTP.slot.chksum_present, GRE_PPTP.slot.routing_present, GRE_PPTP.slot.key_present
_P_SSR, _P_RECUR, _P_FLAGS = (
    GRE_PPTP.slot.strict_route_source,
    GRE_PPTP.slot.recursion_control,
    GRE_PPTP.slot.flags,
)
_P_VERSION, _P_PROTO, _P_CALL = GRE_PPTP.slot.version, GRE_PPTP.slot.proto, GRE_PPTP.slot.call_id
_PPTP_HEAD = struct.Struct("!HHHH")  # flags and version, protocol type, payload length, call ID

__all__ = ["GRE", "GRE_PPTP", "PPTP_VERSION"]
