"""ATA over Ethernet (EtherType 0x88a2) as tcpdump prints it without -v (print-aoe.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, number

_V1_HEADER = 10  # (the common header's length)
_FLAGS = ((0x08, "Response"), (0x04, "Error"), (0x02, "MBZ-1"), (0x01, "MBZ-0"))  # (tcpdump 4.99.3)


def aoe(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "AoE length 18, Ver 1, Flags: [none]"."""
    words.append(f"AoE length {length}")
    if length < 1:
        words.append(" (invalid)")
        return
    version = number(data, 0, 1) >> 4
    words.append(f", Ver {version}")
    if version != 1:
        return
    if length < _V1_HEADER:
        words.append(" (invalid)")
        if len(data) < length:
            raise Cut
        return
    flags = data[0] & 0x0F
    words.append(f", Flags: [{', '.join(name for bit, name in _FLAGS if flags & bit) or 'none'}]")
