"""IPv6 mobility headers (RFC 6275; next header 135) as tcpdump prints them without -v
(print-mobility.c): the message type and its fixed fields."""

from __future__ import annotations

import socket

from rawnet.wire.printers import About, Cut, number, take

_NAMES = ("BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE")
_MINIMUM = 8
#: The shortest header of each type (print-mobility.c ip6m_hdrlen).
_SHORTEST = (8, 16, 16, 24, 24, 12, 12, 24)
_HOME_TEST, _CAREOF_TEST, _UPDATE, _ACK, _ERROR = 3, 4, 5, 6, 7


def mobility(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "mobility: BU seq#=1000 A lifetime=14400"."""
    if len(data) < 2:
        raise Cut
    header_len = (data[1] + 1) << 3
    kind = number(data, 2, 1)
    if kind < len(_SHORTEST) and header_len < _SHORTEST[kind]:
        words.append(f"(header length {header_len} is too small for type {kind})")
        raise Cut
    words.append(f"mobility: {_NAMES[kind] if kind < len(_NAMES) else f'type-#{kind}'}")
    if kind in (_HOME_TEST, _CAREOF_TEST):
        words.append(f" nonce id=0x{number(data, 6, 2):x}")
    elif kind == _UPDATE:
        words.append(f" seq#={number(data, 6, 2)}")
        bits = number(data, _MINIMUM, 2) >> 12
        if bits:
            words.append(
                " " + "".join(flag for bit, flag in ((8, "A"), (4, "H"), (2, "L"), (1, "K")) if bits & bit)
            )
        words.append(f" lifetime={number(data, _MINIMUM + 2, 2) << 2}")
    elif kind == _ACK:
        words.append(f" status={number(data, 6, 1)}")
        if number(data, 7, 1) & 0x80:
            words.append(" K")
        words.append(f" seq#={number(data, _MINIMUM, 2)}")
        words.append(f" lifetime={number(data, _MINIMUM + 2, 2) << 2}")
    elif kind == _ERROR:
        words.append(f" status={number(data, 6, 1)}")
        words.append(f" homeaddr {socket.inet_ntop(socket.AF_INET6, take(data, _MINIMUM, 16))}")
    elif kind >= len(_NAMES):
        words.append(f" len={data[1]}")
