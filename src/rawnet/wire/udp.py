"""UDP (RFC 768): header and checksum over the given pseudo-header; a computed 0 goes out as 0xFFFF."""

from __future__ import annotations

from rawnet.errors import BuildError, MalformedError, TruncatedError
from rawnet.wire.checksum import internet_checksum
from rawnet.wire.compiler import reader
from rawnet.wire.fields import Checksum, Field, Length, UInt
from rawnet.wire.layer import FRAGMENT, IN_IPV6, QUOTED, Layer
from rawnet.wire.registry import UDP_PORT

PROTOCOL = 17
_join = b"".join


class UDP(Layer):
    """UDP header (RFC 768)."""

    __slots__ = ()
    name = "udp"
    sport = UInt(16, "Source Port", 53)
    dport = UInt(16, "Destination Port", 53)
    len = UInt(16, "Length (header and data)", None, auto=Length("all"))
    # RFC 768: a computed 0 is sent as 0xFFFF (0 means "no checksum")
    chksum = UInt(16, "Checksum", None, auto=Checksum("all", pseudo=PROTOCOL, zero=0xFFFF), hex=True)

    ports = UDP_PORT  # the next layer by port: the destination's, then the source's
    # The stack codecs take a datagram as the rules say; _decode and _build below handle the rest
    # (a length of 0, a length cutting the datagram short), held together by tests/wire/test_fused.py.
    fused_decode = True
    fused_build = True

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> UDP:
        header_len = cls.header_len
        if offset + header_len > end:
            raise cls._truncated(offset, end)
        length = _read_len(buf, offset)
        if length == 0 or (offset + length > end and mode & (QUOTED | FRAGMENT)):
            # 0: a jumbogram (RFC 2675) or a TSO capture; quoted, or a first fragment: the rest is
            # elsewhere. All run to the end of what is here.
            return cls._view(buf, offset, offset + header_len, end, mode)
        if length < header_len:
            raise MalformedError("udp", offset, f"length {length} < 8")
        if offset + length > end:
            raise TruncatedError("udp", offset, f"length {length}, only {end - offset} bytes left")
        layer = cls._view(buf, offset, offset + header_len, offset + length, mode)
        if offset + length < end:
            layer._pad = buf[offset + length : end]
        return layer

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._v or self._unpack()
        payload = self._build_payload(None)
        header_len = self.header_len
        length = values[_LEN]
        if length is None:
            length = header_len + len(payload)
            if length > 0xFFFF:  # (jumbograms, RFC 2675, are built with a length of your choosing: 0)
                raise BuildError(
                    f"udp datagram of {length} bytes is over 65535",
                    layer="udp",
                    field="len",
                    value=length,
                    source=self,
                )
        chksum = values[_CHKSUM]
        if chksum is not None or pseudo is None:
            return self._pack(length, chksum or 0) + payload + self._pad
        header = self._pack(length, 0)
        # The checksum covers the datagram the length field delimits (a user's short length
        # leaves the rest outside it, as receivers see it).
        covered = (
            payload[: length - header_len] if header_len <= length < header_len + len(payload) else payload
        )
        size = header_len + len(covered) + (PROTOCOL << 16)  # + keeps a carry: a word of its own
        chksum = (
            internet_checksum(_join((pseudo, size.to_bytes(4, "big"), header, covered))) or 0xFFFF
        )  # RFC 768
        at = _CHKSUM_AT
        return _join((header[: at.start], chksum.to_bytes(2, "big"), header[at.stop :], payload, self._pad))

    def checked_fields(self) -> tuple[Field[object], ...]:
        fields = super().checked_fields()
        if self._values()[_CHKSUM] == 0 and not self._mode & IN_IPV6:
            return tuple(field for field in fields if field.name != "chksum")  # no checksum (RFC 768)
        return fields


# Field positions, named (generated with the class): never a bare index.
_LEN, _CHKSUM = UDP.slot.len, UDP.slot.chksum
_CHKSUM_AT = UDP.span.chksum
_read_len = reader(UDP, "len")
