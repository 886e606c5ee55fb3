"""Geneve (RFC 8926): an 8-byte header, variable options, then what the protocol type (an
EtherType) announces. Never I/O.

Decoded from UDP port 6081. scapy's contrib names: GENEVE, its options GeneveOptions (class,
type, a length in 4-byte words, data). ``optionlen`` left None counts the options' words; an
option's ``length`` left None counts its data's (padded to whole words). Options whose lengths
run past the options' end are a MalformedError.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from rawnet.errors import MalformedError, TruncatedError
from rawnet.wire.fields import LENGTH, IntValue, ListVar, NamedValue, Next, UInt
from rawnet.wire.layer import Layer
from rawnet.wire.numbers import EtherType
from rawnet.wire.registry import ETHERTYPE, LAYERS

PORT = 6081  #: IANA's Geneve port
_WORD = 4  # (lengths count 4-byte words)
_OPTION_HEADER = 4
_MAX_OPTION_WORDS = 0x1F
_MAX_OPTIONS_WORDS = 0x3F


class GeneveOptions(NamedTuple):
    """One Geneve option (RFC 8926 3.5): class, type (its high bit: critical), reserved bits,
    the data's length in 4-byte words (None: counted), the data."""

    classid: int = 0
    type: int = 0
    reserved: int = 0
    length: int | None = None
    data: bytes = b""

    def encode(self) -> bytes:
        """The option's bytes; data not a whole number of words is padded with zeros."""
        data = bytes(self.data)
        data += bytes(-len(data) % _WORD)
        length = len(data) // _WORD if self.length is None else self.length
        return (
            self.classid.to_bytes(2, "big")
            + bytes((self.type, (self.reserved & 0x7) << 5 | (length & _MAX_OPTION_WORDS)))
            + data
        )


def decode_options(buf: bytes, start: int, stop: int) -> tuple[GeneveOptions, ...]:
    """The options in ``buf[start:stop]``; a MalformedError when one runs past ``stop``."""
    options = []
    at = start
    while at < stop:
        if at + _OPTION_HEADER > stop:
            raise MalformedError("geneve", at, f"an option header needs 4 bytes, {stop - at} left")
        words = buf[at + 3] & _MAX_OPTION_WORDS
        end = at + _OPTION_HEADER + words * _WORD
        if end > stop:
            raise MalformedError("geneve", at, f"option length {words} words runs past the options' end")
        options.append(
            GeneveOptions(
                int.from_bytes(buf[at : at + 2], "big"),
                buf[at + 2],
                buf[at + 3] >> 5,
                words,
                buf[at + 4 : end],
            )
        )
        at = end
    return tuple(options)


def _check_options(value: Any) -> tuple[GeneveOptions, ...]:
    if isinstance(value, GeneveOptions):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, bytes | str):
        raise ValueError(f"options must be GeneveOptions, got {value!r}")
    options = tuple(value)
    for option in options:
        if not isinstance(option, GeneveOptions):
            raise ValueError(f"options must be GeneveOptions, got {option!r}")
        if not 0 <= option.classid <= 0xFFFF or not 0 <= option.type <= 0xFF:
            raise ValueError(f"an option's classid is 0..65535 and its type 0..255, got {option!r}")
        if option.length is not None and not 0 <= option.length <= _MAX_OPTION_WORDS:
            raise ValueError(f"an option's length is 0..31 words, got {option.length}")
        if len(option.data) > _MAX_OPTION_WORDS * _WORD:
            raise ValueError(f"an option holds at most 124 bytes of data, got {len(option.data)}")
    return options


class GENEVE(Layer):
    """Geneve header (RFC 8926 3.4) and its options."""

    __slots__ = ()
    name = "geneve"
    version = UInt(2, "Version", 0)
    optionlen = UInt(6, "Options Length (4-byte words)", None, auto=LENGTH)
    oam = UInt(1, "OAM Packet (O)", 0)
    critical = UInt(1, "Critical Options Present (C)", 0)
    reserved = UInt(6, "Reserved", 0)
    proto = UInt(16, "Protocol Type (an EtherType)", None, auto=Next(ETHERTYPE, 0), enum=EtherType, hex=True)
    vni = UInt(24, "Virtual Network Identifier (VNI)", 0, hex=True)
    reserved2 = UInt(8, "Reserved", 0, hex=True)
    options: ListVar[tuple[GeneveOptions, ...]] = ListVar(
        "Options", (), converter=_check_options, copied=False
    )

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> GENEVE:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        size = cls.header_len + (buf[offset] & _MAX_OPTIONS_WORDS) * _WORD
        if offset + size > end:
            raise TruncatedError(
                "geneve", offset, f"its options length says a {size}-byte header, {end - offset} left"
            )
        layer = cls._view(buf, offset, offset + size, end, mode)
        if size > cls.header_len:
            layer._unpack()  # (the options: a malformed one raises here)
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        values[_OPTIONS] = decode_options(self._buf, self._off + self.header_len, self._poff)

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._values()
        options = b"".join(option.encode() for option in values[_OPTIONS] or ())
        optionlen = values[_OPTIONLEN]
        if optionlen is None:
            optionlen = min(len(options) // _WORD, _MAX_OPTIONS_WORDS)
        payload = self._build_payload(None)  # (first: it makes the payload a layer to look up)
        proto = values[_PROTO]
        if proto is None:
            proto = LAYERS.number_for(ETHERTYPE, self._payload, 0)
        return self._pack(optionlen, proto) + options + payload + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            version: IntValue = ...,
            optionlen: IntValue = ...,
            oam: IntValue = ...,
            critical: IntValue = ...,
            reserved: IntValue = ...,
            proto: NamedValue = ...,
            vni: IntValue = ...,
            reserved2: IntValue = ...,
            options: Any = ...,
        ) -> None: ...


_OPTIONS, _OPTIONLEN, _PROTO = GENEVE.slot.options, GENEVE.slot.optionlen, GENEVE.slot.proto

__all__ = ["GENEVE", "PORT", "GeneveOptions", "decode_options"]
