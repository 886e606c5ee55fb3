"""Fused decoders for the stacks most traffic is made of: Ether/IPv4/TCP|UDP and IPv4/TCP|UDP.

gopacket's DecodingLayerParser idea: one function checks the headers of a common stack and
makes their views in one go, without the generic per-layer dispatch (about half the cost of a
decode). It decides nothing on its own: a frame that is not plainly of its shape (IPv4 options,
fragments, a zero or odd length, anything that would be an error) returns None and goes to the
generic decoder, and tests/wire/test_fastpath.py holds the two to the same result.
"""

from __future__ import annotations

from rawnet.errors import DecodeError
from rawnet.wire.ether import Ether
from rawnet.wire.ipv4 import IP
from rawnet.wire.layer import DEPTH_UNIT, LAZY, Layer
from rawnet.wire.registry import FAST_DECODERS
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP

_new = object.__new__


def _ipv4(buf: bytes, offset: int, end: int, mode: int) -> Layer | None:
    """IPv4 without options or fragmentation, carrying TCP or UDP whose lengths check out.

    The views are made inline (what Layer._view does): this is the hot path of every decode.
    """
    if offset + 20 > end or buf[offset] != 0x45:  # version 4, IHL 5
        return None
    total = buf[offset + 2] << 8 | buf[offset + 3]
    if total < 20 or offset + total > end:
        return None
    if buf[offset + 6] & 0x3F or buf[offset + 7]:  # more fragments, or a fragment offset
        return None
    payload_end = offset + total
    at = offset + 20
    protocol = buf[offset + 9]
    transport: Layer
    if protocol == 6:
        if at + 20 > payload_end:
            return None
        header_len = (buf[at + 12] >> 4) << 2
        if header_len < 20 or at + header_len > payload_end:
            return None
        transport = _new(TCP)
        transport._poff = at + header_len
        transport._pend = payload_end
        transport.padding = b""
    elif protocol == 17:
        if at + 8 > payload_end:
            return None
        length = buf[at + 4] << 8 | buf[at + 5]
        if length < 8 or at + length > payload_end:
            return None
        transport = _new(UDP)
        transport._poff = at + 8
        transport._pend = at + length
        transport.padding = buf[at + length : payload_end] if at + length < payload_end else b""
    else:
        return None
    transport._v = None
    transport._buf = buf
    transport._off = at
    transport._payload = LAZY
    transport._mode = mode + DEPTH_UNIT
    if transport._poff > at + 20:  # TCP options: checked now, as TCP._decode does
        try:
            transport._unpack()
        except DecodeError:
            return None
    ip = _new(IP)
    ip._v = None
    ip._buf = buf
    ip._off = offset
    ip._poff = at
    ip._pend = payload_end
    ip._payload = transport
    ip._mode = mode
    ip.padding = buf[payload_end:end] if payload_end < end else b""
    return ip


def decode_ether(buf: bytes) -> Layer | None:
    """Ether/IPv4/TCP|UDP decoded in one go, or None for any other frame."""
    end = len(buf)
    if end < 34 or buf[12] != 8 or buf[13] != 0:
        return None
    ip = _ipv4(buf, 14, end, DEPTH_UNIT)
    if ip is None:
        return None
    ether = _new(Ether)
    ether._v = None
    ether._buf = buf
    ether._off = 0
    ether._poff = 14
    ether._pend = end
    ether._payload = ip
    ether._mode = 0
    ether.padding = b""
    return ether


def decode_ip(buf: bytes) -> Layer | None:
    """IPv4/TCP|UDP (what a layer-3 socket reads) decoded in one go, or None for anything else."""
    return _ipv4(buf, 0, len(buf), 0)


FAST_DECODERS[Ether] = decode_ether
FAST_DECODERS[IP] = decode_ip
