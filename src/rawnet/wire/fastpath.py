"""Fused decoders and builders for the stacks most traffic is made of: Ether/IPv4/TCP|UDP/data.

gopacket's DecodingLayerParser idea: one function checks the headers of a common stack and
makes their views in one go, without the generic per-layer dispatch (about half the cost of a
decode); its builder twin packs the three headers with one struct and sums both checksums from
the field values. Neither decides anything on its own: a stack not plainly of their shape (IPv4
or TCP options, fragments, odd lengths, padding, a field holding a set, anything that would be
an error) returns None and goes to the per-layer code, and tests/wire/test_fastpath.py holds
the two to the same result.

Built again (the seed's loop: change the TCP seq, rebuild, send), the builder keeps the last
frame of a packet object in its outermost layer (``_Frame``, from the second build on, so a
packet built once pays nothing for it). While the Ethernet and IPv4 values, the layer objects
and the data are the ones of the last build, only the transport header is packed again: its
checksum is the cached sum of the pseudo-header and data plus the header's words.
"""

from __future__ import annotations

import struct
from typing import Any

from rawnet.errors import DecodeError
from rawnet.wire.ether import Ether
from rawnet.wire.ipv4 import IP
from rawnet.wire.layer import DEPTH_UNIT, LAZY, Layer, Raw
from rawnet.wire.registry import ETHERTYPE, FAST_BUILDERS, FAST_DECODERS, IP_PROTOCOL, LAYERS
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP

_new = object.__new__


def decode_ether(buf: bytes, link: bool = True) -> Layer | None:
    """Ether/IPv4/TCP|UDP decoded in one go, or None for any other frame.

    With ``link`` false, IPv4/TCP|UDP from the first byte (decode_ip). IPv4 without options or
    fragmentation, carrying TCP or UDP whose lengths check out. The views are made inline (what
    Layer._view does), in one function: this is the hot path of every decode.
    """
    end = len(buf)
    if link:
        if end < 34 or buf[12] != 8 or buf[13] != 0:
            return None
        offset, mode = 14, DEPTH_UNIT
    else:
        offset, mode = 0, 0
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
    if not link:
        return ip
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
    return decode_ether(buf, False)


_ETHER_IPV4_TCP = struct.Struct("!6s6sH BBHHHBBH4s4s HHIIHHHH")
_ETHER_IPV4_UDP = struct.Struct("!6s6sH BBHHHBBH4s4s HHHH")
_pack_tcp = _ETHER_IPV4_TCP.pack
_pack_udp = _ETHER_IPV4_UDP.pack
_pack_ip_tcp = struct.Struct("!BBHHHBBH4s4s HHIIHHHH").pack
_pack_ip_udp = struct.Struct("!BBHHHBBH4s4s HHHH").pack
_pack_tcp_header = struct.Struct("!HHIIHHHH").pack
_pack_udp_header = struct.Struct("!HHHH").pack
_from_bytes = int.from_bytes
_BROADCAST = b"\xff" * 6
_ZERO6 = bytes(6)
_ZERO4 = bytes(4)
_IPV4: int = LAYERS.number(ETHERTYPE, IP) or 0x0800  # the registered numbers, as the per-layer code uses
_TCP: int = LAYERS.number(IP_PROTOCOL, TCP) or 6
_UDP: int = LAYERS.number(IP_PROTOCOL, UDP) or 17


class _Frame:
    """The last frame built from one packet object, and the objects it was built from.

    It is the ``_built`` of the outermost layer, the IPv4 layer and the transport layer: setting
    a field clears its layer's ``_built``, so ``layer._built is frame`` says nothing changed.
    """

    __slots__ = ("data", "frame", "ip", "link", "prefix", "sum", "tail", "transport")
    frame: bytes
    prefix: bytes
    data: bytes
    sum: int

    def __init__(
        self, frame: bytes, layers: tuple[Layer, Layer, Layer | None], data: bytes, total: int, link: bool
    ) -> None:
        self.frame = frame
        self.ip, self.transport, self.tail = layers
        self.data = data
        #: Whether an Ethernet header leads (the outermost layer is Ether, else the IPv4 layer).
        self.link = link
        self.prefix = frame[: 34 if link else 20]  # the Ethernet and IPv4 headers a rebuild reuses
        #: The checksum's sum without the transport header's own words: pseudo-header and data.
        self.sum = total

    def rebuild(self, top: Layer) -> bytes | None:
        """The last frame again, with the transport header packed anew if only its fields changed.

        None when anything else changed: another layer object, new data, an IPv4 or Ethernet field
        set, padding, or a TCP/UDP field that changes lengths or was given by the user (checksum).
        """
        last = self
        ip = last.ip
        transport = last.transport
        tail = last.tail
        if last.link:
            if top._payload is not ip or ip._built is not last or top.padding:
                return None
        elif top is not ip:
            return None  # (asked by a layer that shares this frame but does not lead it)
        if ip._payload is not transport or transport._payload is not tail or ip.padding or transport.padding:
            return None
        if tail is not None and (tail._v[0] is not last.data or tail._payload is not None or tail.padding):
            return None
        cached: bytes = last.frame  # (last is Any to mypy from here: the `is` tests narrow it)
        if transport._built is last:
            return cached
        try:
            if transport.__class__ is TCP:
                values: Any = transport._v
                sport, dport, seq, ack, dataofs, reserved, flags, window, chksum, urgptr, options = values
                if dataofs is not None or chksum is not None or options:
                    return None  # a data offset, checksum or options of the user's: build it all
                control = 0x5000 | reserved << 9 | flags
                total = (last.sum + sport + dport + seq + ack + control + window + urgptr) % 0xFFFF
                header = _pack_tcp_header(
                    sport, dport, seq, ack, control, window, 0xFFFF - total if total else 0, urgptr
                )
            else:
                sport, dport, length, chksum = transport._v
                if length is not None or chksum is not None:
                    return None
                length = 8 + len(last.data)
                total = (last.sum + sport + dport + length) % 0xFFFF
                header = _pack_udp_header(sport, dport, length, 0xFFFF - total if total else 0xFFFF)
        except (TypeError, struct.error, OverflowError):
            return None
        frame: bytes = last.prefix + header + last.data
        last.frame = frame
        transport._built = last
        return frame


class _Once:
    """_built of an outermost layer built once by the fused builder: nothing to reuse yet."""

    __slots__ = ()

    def rebuild(self, top: Layer) -> None:
        return None


ONCE = _Once()


def build_ether(top: Layer, link: bool = True) -> bytes | None:
    """Ether/IPv4/TCP|UDP(/data) built in one go, or None for any other stack.

    With ``link`` false, ``top`` is the IPv4 layer (IPv4/TCP|UDP/data, what build_ip builds).
    """
    last = top._built  # None, ONCE or a _Frame whose rebuild() found too much changed
    if link:
        ip = top._payload
        if ip.__class__ is not IP:
            return None
        e: Any = top._v
        if e is None or top.padding:
            return None  # a decoded view (its own bytes are reused), padding
    else:
        ip = top
    transport = ip._payload
    kind = transport.__class__
    if kind is not TCP and kind is not UDP:
        return None
    tail = transport._payload
    if tail is None:
        data = b""
    elif tail.__class__ is Raw and tail._payload is None and not tail.padding:
        data = tail._v[0]  # type: ignore[index]
    else:
        return None
    i, t = ip._v, transport._v
    if i is None or t is None or i[12] or ip.padding or transport.padding:
        return None  # decoded views (their own bytes are reused), IPv4 options, padding
    tcp = kind is TCP
    try:
        src = i[10] or _ZERO4
        dst = i[11] or _ZERO4
        # One's complement sums (RFC 1071) over whole numbers: 2**16 is 1 modulo 0xFFFF.
        data_sum = _from_bytes(data, "big") << 8 if len(data) & 1 else _from_bytes(data, "big")
        addresses = _from_bytes(src + dst, "big")
        if tcp:
            if t[10]:
                return None  # TCP options
            segment = 20 + len(data)
            dataofs = 5 if t[4] is None else t[4]
            control = dataofs << 12 | t[5] << 9 | t[6]
            chksum = t[8]
            if chksum is None:
                total = (
                    addresses + segment + _TCP + t[0] + t[1] + t[2] + t[3] + control + t[7] + t[9] + data_sum
                ) % 0xFFFF
                chksum = 0xFFFF - total if total else 0
        else:
            segment = 8 + len(data)
            length = segment if t[2] is None else t[2]
            chksum = t[3]
            if chksum is None:
                if length < segment:
                    return None  # the user's length cuts the datagram: the UDP builder handles it
                total = (addresses + segment + _UDP + t[0] + t[1] + length + data_sum) % 0xFFFF
                chksum = 0xFFFF - total if total else 0xFFFF  # a computed 0 goes out as 0xFFFF (RFC 768)
        total_length = 20 + segment if i[3] is None else i[3]
        if total_length > 0xFFFF or total_length < 20 + segment:
            return None  # too long, or cut short by the user: the per-layer builders handle it
        ihl = 5 if i[1] is None else i[1]
        proto = (_TCP if tcp else _UDP) if i[8] is None else i[8]
        first = i[0] << 4 | ihl
        fragment = i[5] << 13 | i[6]
        header_sum = i[9]
        if header_sum is None:
            total = (
                (first << 8 | i[2]) + total_length + i[4] + fragment + (i[7] << 8 | proto) + addresses
            ) % 0xFFFF
            header_sum = 0xFFFF - total if total else 0
        if not link:
            if tcp:
                packed = _pack_ip_tcp(
                    first, i[2], total_length, i[4], fragment, i[7], proto, header_sum, src, dst,
                    t[0], t[1], t[2], t[3], control, t[7], chksum, t[9],
                )  # fmt: skip
            else:
                packed = _pack_ip_udp(
                    first, i[2], total_length, i[4], fragment, i[7], proto, header_sum, src, dst,
                    t[0], t[1], length, chksum,
                )  # fmt: skip
        elif tcp:
            ethertype = _IPV4 if e[2] is None else e[2]
            packed = _pack_tcp(
                e[0] or _BROADCAST, e[1] or _ZERO6, ethertype,
                first, i[2], total_length, i[4], fragment, i[7], proto, header_sum, src, dst,
                t[0], t[1], t[2], t[3], control, t[7], chksum, t[9],
            )  # fmt: skip
        else:
            ethertype = _IPV4 if e[2] is None else e[2]
            packed = _pack_udp(
                e[0] or _BROADCAST, e[1] or _ZERO6, ethertype,
                first, i[2], total_length, i[4], fragment, i[7], proto, header_sum, src, dst,
                t[0], t[1], length, chksum,
            )  # fmt: skip
    except (TypeError, struct.error, OverflowError):
        return None  # a set, or a value out of range: the per-layer builders explain it
    frame = packed + data if data else packed
    if last is None:
        top._built = ONCE
    else:  # built again: keep what the next rebuild needs
        top._built = ip._built = transport._built = _Frame(
            # (the sum without the header's words, checksum given or not: a rebuild may drop it)
            frame,
            (ip, transport, tail),
            data,
            (addresses + data_sum + segment + (_TCP if tcp else _UDP)) % 0xFFFF,
            link,
        )
    return frame


def build_ip(top: Layer) -> bytes | None:
    """IPv4/TCP|UDP(/data) built in one go (what a layer-3 socket sends), or None."""
    return build_ether(top, False)


FAST_BUILDERS[Ether] = build_ether
FAST_BUILDERS[IP] = build_ip
FAST_DECODERS[Ether] = decode_ether
FAST_DECODERS[IP] = decode_ip
