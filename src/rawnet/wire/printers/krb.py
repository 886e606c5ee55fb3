"""Kerberos (UDP port 88) as tcpdump prints it (print-krb.c): the version, and version 4's
messages as far as their names go; version 5's ASN.1 is not read."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, number, printable

_TYPES = {
    2: "KDC_REQUEST", 4: "KDC_REPLY", 6: "APPL_REQUEST", 8: "APPL_REQUEST_MUTUAL", 10: "ERR_REPLY",
    12: "PRIVATE", 14: "SAFE", 16: "APPL_ERR", 126: "DIE",
}  # fmt: skip
_KDC_REQUEST, _APPL_REQUEST, _KDC_REPLY, _ERR_REPLY = 2, 6, 4, 10


def krb(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "kerberos v4 be KDC_REQUEST: name.instance@REALM 5min ..."."""
    words.append("kerberos")
    version = number(data, 0, 1)
    if version in (1, 2, 3, 4):
        words.append(f" v{version}")
        if version == 4:
            _krb4(words, data)
    elif version in (106, 107):
        words.append(" v5")


def _krb4(words: list[str], data: bytes) -> None:
    kind = number(data, 1, 1)
    little = bool(kind & 1)
    kind &= 0xFE
    words.append(f" {'le' if little else 'be'} {_TYPES.get(kind, f'#{kind}')}: ")
    at = 0
    if kind == _KDC_REQUEST:
        at = _header(words, data, at) + 4  # (then the time)
        words.append(f" {number(data, at, 1) * 5}min ")
        at = _string(words, data, at + 1)
        words.append(".")
        _string(words, data, at)
    elif kind == _APPL_REQUEST:
        words.append(f"v{number(data, 2, 1)} ")
        at = _string(words, data, 3)
        words.append(f" ({number(data, at, 1)}) ({number(data, at + 1, 1)})")
    elif kind == _KDC_REPLY:
        at = _header(words, data, at) + 10  # (time stamp, count, expiry, key version)
        words.append(f" ({int.from_bytes(_two(data, at), 'little' if little else 'big')})")
    elif kind == _ERR_REPLY:
        at = _header(words, data, at) + 4
        words.append(f" #{int.from_bytes(_two(data, at), 'little' if little else 'big')} ")
        _string(words, data, at + 4)
    else:
        words.append("(unknown)")


def _two(data: bytes, at: int) -> bytes:
    if at + 2 > len(data):
        raise Cut
    return data[at : at + 2]


def _header(words: list[str], data: bytes, at: int) -> int:
    """print-krb.c's krb4_print_hdr: name.instance@realm, each ended by a NUL (after 2 bytes)."""
    at = _string(words, data, at + 2)
    words.append(".")
    at = _string(words, data, at)
    words.append("@")
    return _string(words, data, at)


def _string(words: list[str], data: bytes, at: int) -> int:
    end = data.find(b"\x00", at)
    if end < 0:  # (no end before the capture's: tcpdump shows what is there, then cuts)
        words.append(printable(data[at:]))
        raise Cut
    words.append(printable(data[at:end]))
    return end + 1
