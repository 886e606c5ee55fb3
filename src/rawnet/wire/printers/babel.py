"""The Babel routing protocol (RFC 8966; UDP ports 6696 and 6697) as tcpdump prints it without
-v (print-babel.c): the version, the body's length and each TLV's name, then the trailer's."""

from __future__ import annotations

from rawnet.wire.printers import About, number, take

_NAMES = {
    1: "padN", 2: "ack-req", 3: "ack", 4: "hello", 5: "ihu", 6: "router-id", 7: "nh", 8: "update",
    9: "route-request", 10: "seqno-request", 11: "tspc", 12: "hmac", 13: "ss-update", 14: "ss-request",
    15: "ss-mh-request", 16: "mac", 17: "pc", 18: "challenge_request", 19: "challenge_reply",
}  # fmt: skip
_PAD1, _UPDATE = 0, 8
_UPDATE_SHORTEST = 10


def babel(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "babel 2 (24) hello ihu"."""
    words.append("babel")
    take(data, 0, 4)
    if data[0] != 42:
        words.append(" invalid header")
        return
    version = data[1]
    words.append(f" {version}")
    if version != 2:
        words.append(" unknown version")
        return
    body = number(data, 2, 2)
    words.append(f" ({body})")
    if length < 4 + body:
        words.append(" (invalid)")
        return
    if _tlvs(words, data, 4, 4 + body) and length > 4 + body:
        words.append(" |")
        _tlvs(words, data, 4 + body, length)


def _tlvs(words: list[str], data: bytes, at: int, end: int) -> bool:
    """The names of the TLVs from ``at`` to ``end``; False after " (invalid)" (one runs past ``end``)."""
    while at < end:
        kind = number(data, at, 1)
        if kind == _PAD1:
            words.append(" pad1")
            at += 1
            continue
        if at + 2 > end:
            words.append(" (invalid)")
            return False
        size = number(data, at + 1, 1)
        if at + 2 + size > end:
            words.append(" (invalid)")
            return False
        take(data, at, 2 + size)
        words.append(f" {_NAMES.get(kind, 'unknown')}")
        if kind == _UPDATE:
            if size < _UPDATE_SHORTEST:
                words.append("/truncated")
            else:
                flags = data[at + 3]
                words.append(("/prefix" if flags & 0x80 else "") + ("/id" if flags & 0x40 else ""))
                words.append("/unknown" if flags & 0x3F else "")
        at += 2 + size
    return True
