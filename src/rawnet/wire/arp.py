"""ARP (RFC 826): the header, with addresses of any size; Ethernet/IPv4 ones read and written as text.

Pure bytes in, bytes out. The address sizes come from hwlen and plen, checked against the
bytes present; what follows the message in its frame (Ethernet's minimum-size trailer) is
kept as padding, so a decoded frame builds back to the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rawnet.errors import TruncatedError
from rawnet.wire.addresses import MAC, AddressField, IPv4
from rawnet.wire.compiler import reader
from rawnet.wire.fields import FILL, LENGTH, IntValue, NamedValue, UInt, ValueSet, Var
from rawnet.wire.layer import Layer
from rawnet.wire.numbers import EtherType, TotalEnum

ETHERTYPE_IPV4 = 0x0800


# The defaults of hwdst and pdst: left as they are, they are zeros of hwlen and plen bytes.
_UNSET_HWDST = bytes(6)
_UNSET_PDST = bytes(4)


class ARPOp(TotalEnum):
    """ARP operation codes (IANA "ARP Operation Codes"); scapy's names with "_" for "-"."""

    who_has = 1
    is_at = 2
    RARP_req = 3
    RARP_rep = 4
    Dyn_RARP_req = 5
    Dyn_RARP_rep = 6
    Dyn_RARP_err = 7
    InARP_req = 8
    InARP_rep = 9


_OP_NAMES = {member.name.replace("_", "-"): member.value for member in ARPOp}
_OP_LABELS = {number: name for name, number in _OP_NAMES.items()}


class _ARPAddress(Var[Any]):
    """An address of hwlen or plen bytes: wire bytes of any size, text for the usual size.

    ``text`` parses and renders the usual kind (MAC for hardware, IPv4 for protocol): a
    value of that size reads back as text, any other size as bytes. IPv4 text may name a
    prefix ("198.18.0.0/30"), which makes the packet a set, as do lists.
    """

    def __init__(
        self, doc: str, default: bytes | None, text: AddressField, *, auto: str | None = None
    ) -> None:
        super().__init__(doc, default, auto=auto)
        self.text = text
        self.size = text.size
        self.cache = text.cache  # parsed texts, which the compiled constructor looks up first

    def fast_check(self, var: str) -> str:
        return f"{var}.__class__ is bytes"

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.text.__set_name__(owner, name)  # its errors then name this field

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if isinstance(value, str):
            return self.text.convert(value)
        if isinstance(value, list | tuple):
            return self._set_of(value, str(value))
        if isinstance(value, ValueSet):
            return value
        raise self.fail(value, f"an {self.text.kind} address or bytes")

    def public(self, stored: Any) -> Any:
        if stored.__class__ is bytes and len(stored) == self.size:
            return self.text.to_text(stored)
        return stored

    def display(self, stored: Any) -> str:
        if stored.__class__ is bytes:
            return self.text.to_text(stored) if len(stored) == self.size else repr(stored)
        return super().display(stored)


def _length(*candidates: Any, default: int) -> int:
    """The size of the first address given as bytes (a length left None is computed from it)."""
    for candidate in candidates:
        if candidate.__class__ is bytes:
            return len(candidate)
    return default


class ARP(Layer):
    """ARP message (RFC 826): hardware and protocol types and sizes, opcode, four addresses.

    hwlen/plen left None are the sizes of the addresses given (6 and 4 when none is).
    hwsrc/psrc left None are filled by a socket that knows them, or built as zeros; so are
    hwdst/pdst left at their all-zero defaults, with hwlen and plen bytes.
    """

    __slots__ = ()
    name = "arp"
    hwtype = UInt(16, "Hardware address space (ar$hrd)", 1, hex=True)
    ptype = UInt(16, "Protocol address space (ar$pro)", ETHERTYPE_IPV4, enum=EtherType, hex=True)
    hwlen = UInt(8, "Hardware address length (ar$hln)", None, auto=LENGTH)
    plen = UInt(8, "Protocol address length (ar$pln)", None, auto=LENGTH)
    op = UInt(16, "Opcode (ar$op)", 1, names=_OP_NAMES, labels=_OP_LABELS)
    hwsrc = _ARPAddress("Sender hardware address (ar$sha)", None, MAC("sha"), auto=FILL)
    psrc = _ARPAddress("Sender protocol address (ar$spa)", None, IPv4("spa"), auto=FILL)
    hwdst = _ARPAddress("Target hardware address (ar$tha)", _UNSET_HWDST, MAC("tha"))
    pdst = _ARPAddress("Target protocol address (ar$tpa)", _UNSET_PDST, IPv4("tpa"))

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> ARP:
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        hwlen, plen = _read_hwlen(buf, offset), _read_plen(buf, offset)
        size = cls.header_len + 2 * (hwlen + plen)
        if offset + size > end:
            raise TruncatedError(
                "arp", offset, f"hwlen {hwlen} and plen {plen} need {size} bytes, {end - offset} left"
            )
        layer = cls._view(buf, offset, offset + size, offset + size, mode)
        if offset + size < end:
            layer._pad = buf[offset + size : end]  # Ethernet's trailer up to its minimum size
        return layer

    def _fill_variable(self, values: list[Any]) -> None:
        buf, at = self._buf, self._off + self.header_len
        hwlen, plen = values[_HWLEN], values[_PLEN]
        for index, size in ((_HWSRC, hwlen), (_PSRC, plen), (_HWDST, hwlen), (_PDST, plen)):
            values[index] = buf[at : at + size]
            at += size

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        hwsrc, psrc, hwdst, pdst = values[_HWSRC], values[_PSRC], values[_HWDST], values[_PDST]
        if hwdst is _UNSET_HWDST:
            hwdst = None
        if pdst is _UNSET_PDST:
            pdst = None
        hwlen = values[_HWLEN]
        if hwlen is None:
            hwlen = _length(hwsrc, hwdst, default=6)
        plen = values[_PLEN]
        if plen is None:
            plen = _length(psrc, pdst, default=4)
        addresses = (
            (bytes(hwlen) if hwsrc is None else hwsrc)
            + (bytes(plen) if psrc is None else psrc)
            + (bytes(hwlen) if hwdst is None else hwdst)
            + (bytes(plen) if pdst is None else pdst)
        )
        return self._pack(hwlen, plen) + addresses + self._build_payload(None) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            hwtype: IntValue = ...,
            ptype: NamedValue = ...,
            hwlen: IntValue = ...,
            plen: IntValue = ...,
            op: NamedValue = ...,
            hwsrc: Any = ...,
            psrc: Any = ...,
            hwdst: Any = ...,
            pdst: Any = ...,
        ) -> None: ...


# Field positions, named (generated with the class): never a bare index.
_HWLEN, _PLEN = ARP.slot.hwlen, ARP.slot.plen
_HWSRC, _PSRC, _HWDST, _PDST = ARP.slot.hwsrc, ARP.slot.psrc, ARP.slot.hwdst, ARP.slot.pdst
_read_hwlen, _read_plen = reader(ARP, "hwlen"), reader(ARP, "plen")

__all__ = ["ARP", "ARPOp"]
