"""UDP (RFC 768): header and checksum over the given pseudo-header; a computed 0 goes out as 0xFFFF."""

from __future__ import annotations

from rawnet.errors import MalformedError, TruncatedError
from rawnet.wire.checksum import internet_checksum
from rawnet.wire.fields import CHECKSUM, LENGTH, Field, UInt
from rawnet.wire.layer import FRAGMENT, IN_IPV6, QUOTED, Layer
from rawnet.wire.registry import IP_PROTOCOL, LAYERS

PROTOCOL = 17
_join = b"".join


class UDP(Layer):
    """UDP header (RFC 768)."""

    __slots__ = ()
    name = "udp"
    sport = UInt(16, "Source Port", 53)
    dport = UInt(16, "Destination Port", 53)
    len = UInt(16, "Length (header and data)", None, auto=LENGTH)
    chksum = UInt(16, "Checksum", None, auto=CHECKSUM, hex=True)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> UDP:
        if offset + 8 > end:
            raise cls._truncated(offset, end)
        length = buf[offset + 4] << 8 | buf[offset + 5]
        if length == 0 or (offset + length > end and mode & (QUOTED | FRAGMENT)):
            # 0: a jumbogram (RFC 2675) or a TSO capture; quoted, or a first fragment: the rest is
            # elsewhere. All run to the end of what is here.
            return cls._view(buf, offset, offset + 8, end, mode)
        if length < 8:
            raise MalformedError("udp", offset, f"length {length} < 8")
        if offset + length > end:
            raise TruncatedError("udp", offset, f"length {length}, only {end - offset} bytes left")
        layer = cls._view(buf, offset, offset + 8, offset + length, mode)
        if offset + length < end:
            layer.padding = buf[offset + length : end]
        return layer

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        payload = self._build_payload(None)
        length = values[2]
        if length is None:
            length = 8 + len(payload)
        chksum = values[3]
        if chksum is not None or pseudo is None:
            return self._pack(length, chksum or 0) + payload + self.padding
        header = self._pack(length, 0)
        # The checksum covers the datagram the length field delimits (a user's short length
        # leaves the rest outside it, as receivers see it).
        covered = payload[: length - 8] if 8 <= length < 8 + len(payload) else payload
        size = 8 + len(covered) + (PROTOCOL << 16)  # + keeps a carry: a word of its own
        chksum = (
            internet_checksum(_join((pseudo, size.to_bytes(4, "big"), header, covered))) or 0xFFFF
        )  # RFC 768
        return _join((header[:6], chksum.to_bytes(2, "big"), payload, self.padding))

    def checked_fields(self) -> tuple[Field[object], ...]:
        fields = super().checked_fields()
        if self._values()[3] == 0 and not self._mode & IN_IPV6:
            return tuple(field for field in fields if field.name != "chksum")  # no checksum (RFC 768)
        return fields

    def _network_summary(self, family: str, src: str, dst: str) -> str:
        values = self._values()
        # Like tcpdump: the length field says (a first fragment carries only part of the data).
        length = values[2]
        size = length - 8 if length is not None and length >= 8 else len(self._build_payload(None))
        return f"{family} {src}.{values[0]} > {dst}.{values[1]}: UDP, length {size}"

    def _summary(self) -> str | None:
        return self._network_summary("UDP", "?", "?")


LAYERS.register(IP_PROTOCOL, PROTOCOL, UDP)
