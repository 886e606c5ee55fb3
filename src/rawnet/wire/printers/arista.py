"""Arista's vendor EtherType (0xd28b) as tcpdump prints it (print-arista.c): the time stamp its
TapAgg header carries, then the line of the frame's real EtherType's payload."""

from __future__ import annotations

import datetime

from rawnet.wire.printers import About, Cut, Decline, number

_TIMESTAMP = 0x0001
_ARISTA = 0xD28B
_TIMESCALES = {0: "TAI", 1: "UTC"}
_FORMATS = {1: "64-bit", 2: "48-bit"}
_HARDWARE = {0: "R/R2", 1: "R3"}
_FRAME_HEADER = 14  # (the length shown is the frame's, its Ethernet header included)


def arista(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "ethertype Arista Vendor Specific Protocol (0xd28b), length 110: SubType Timestamp
    (0x0001), Timescale TAI (0), Format 64-bit (1), HwInfo R/R2 (0), Timestamp ...: IP ..."."""
    if about.inner is None:
        raise Decline
    words.append(f"ethertype Arista Vendor Specific Protocol (0xd28b), length {length + _FRAME_HEADER}: ")
    subtype = number(data, 0, 2)
    words.append(f"SubType {'Timestamp' if subtype == _TIMESTAMP else 'Unknown'} (0x{subtype:04x}), ")
    if subtype != _TIMESTAMP:
        return
    scale = number(data, 2, 1)
    words.append(f"Timescale {_TIMESCALES.get(scale, 'Unknown')} ({scale}), ")
    second = number(data, 3, 1)
    kind, hardware = second >> 4, second & 0x0F
    words.append(f"Format {_FORMATS.get(kind, 'Unknown')} ({kind}), ")
    words.append(f"HwInfo {_HARDWARE.get(hardware, 'Unknown')} ({hardware}), Timestamp ")
    if kind == 1:
        seconds, nanoseconds, at = number(data, 4, 4), number(data, 8, 4), 12
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        words.append(f"{moment:%Y-%m-%d %H:%M:%S}.{nanoseconds:09}")
    elif kind == 2:
        seconds, nanoseconds, at = number(data, 4, 2), number(data, 6, 4), 10
        seconds, nanoseconds = seconds + nanoseconds // 1_000_000_000, nanoseconds % 1_000_000_000
        words.append(f"{seconds}.{nanoseconds:09}")
    else:
        return
    words.append(": ")
    ethertype = number(data, at, 2)
    if ethertype == _ARISTA:  # (one inside another: not read, so that no frame nests without bound)
        raise Cut
    words.append(about.inner(ethertype, data[at + 2 :], length - at - 2))
