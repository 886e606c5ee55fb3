"""OSPF (IP protocol 89: RFC 2328's version 2 under IPv4, RFC 5340's version 3 under IPv6) as
tcpdump prints it without -v (print-ospf.c, print-ospf6.c): version, packet type, length."""

from __future__ import annotations

from rawnet.wire.printers import About, number

_TYPES = {1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}
_MD5 = 2  # (its authentication data's length is left out of the length shown)


def ospf(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "OSPFv2, Hello, length 44" (under IPv4)."""
    version, kind = number(data, 0, 1), number(data, 1, 1)
    if number(data, 14, 2) == _MD5:
        length -= number(data, 19, 1)
    words.append(f"OSPFv{version}, {_TYPES.get(kind, f'unknown LS-type {kind}')}, length {length}")


def ospf6(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "OSPFv3, Hello, length 36" (under IPv6)."""
    version, kind = number(data, 0, 1), number(data, 1, 1)
    words.append(f"OSPFv{version}, {_TYPES.get(kind, f'unknown packet type ({kind})')}, length {length}")
