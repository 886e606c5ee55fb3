"""VRRP (RFC 3768 v2, RFC 5798 v3; IP protocol 112) as tcpdump prints it (print-vrrp.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, number

_ADVERTISEMENT = 1
_AUTH_TYPES = {0: "none", 1: "simple", 2: "ah"}
_TTL = 255  # (RFC 3768: sent with TTL 255; tcpdump shows any other)


def vrrp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "VRRPv2, Advertisement, vrid 42, prio 191, authtype simple, intvl 10s, length 28"."""
    if not data:
        words.append("VRRP")  # (tcpdump 4.99's ip_demux_print names it when no byte is there)
    first = number(data, 0, 1)
    version, kind = first >> 4, first & 0x0F
    words.append(
        f"VRRPv{version}, " + ("Advertisement" if kind == _ADVERTISEMENT else f"unknown type ({kind})")
    )
    if about.ttl != _TTL:
        words.append(f", (ttl {about.ttl})")
    if version not in (2, 3) or kind != _ADVERTISEMENT:
        return
    words.append(f", vrid {number(data, 1, 1)}, prio {number(data, 2, 1)}")
    if version == 2:
        auth = number(data, 4, 1)
        words.append(f", authtype {_AUTH_TYPES.get(auth, f'#{auth}')}")
        words.append(f", intvl {number(data, 5, 1)}s, length {length}")
    else:
        interval = number(data, 4, 2) & 0x0FFF
        words.append(f", intvl {interval}cs, length {length}")
