"""PIM (RFC 7761; IP protocol 103) as tcpdump prints it without -v (print-pim.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, number

_TYPES = (
    "Hello", "Register", "Register Stop", "Join / Prune", "Bootstrap", "Assert", "Graft",
    "Graft Acknowledgement", "Candidate RP Advertisement", "Prune Refresh", "DF Election",
    "ECMP Redirect",
)  # fmt: skip


def pim(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "PIMv2, Hello, length 34"."""
    first = number(data, 0, 1)
    version, kind = first >> 4, first & 0x0F
    if version == 2:
        words.append(f"PIMv2, {_TYPES[kind] if kind < len(_TYPES) else 'Unknown Type'}, length {length}")
    else:
        words.append(f"PIMv{version}, length {length}")
