"""Cisco's Hot Standby Router Protocol (RFC 2281; UDP port 1985) as tcpdump prints it without
-v (print-hsrp.c)."""

from __future__ import annotations

import socket

from rawnet.wire.printers import About, number, take

_OPERATIONS = ("hello", "coup", "resign")
_STATES = {0: "initial", 1: "learn", 2: "listen", 4: "speak", 8: "standby", 16: "active"}


def hsrp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "HSRPv0-hello 20: state=active group=1 addr=192.168.0.1"."""
    version = number(data, 0, 1)
    words.append(f"HSRPv{version}")
    if version != 0:
        return
    words.append("-")
    operation = number(data, 1, 1)
    words.append(f"{_OPERATIONS[operation] if operation < len(_OPERATIONS) else f'unknown ({operation})'} ")
    words.append(f"{length}: ")
    state = number(data, 2, 1)
    words.append(f"state={_STATES.get(state, f'Unknown ({state})')} ")
    words.append(f"group={number(data, 6, 1)} ")
    reserved = number(data, 7, 1)
    if reserved:
        words.append(f"[reserved={reserved}!] ")
    words.append(f"addr={socket.inet_ntoa(take(data, 16, 4))}")
