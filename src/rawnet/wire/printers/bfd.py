"""Bidirectional Forwarding Detection (RFC 5880; UDP ports 3784, 3785, 4784 and 6784) as tcpdump
prints it without -v (print-bfd.c): a control packet's version, state and flags."""

from __future__ import annotations

from rawnet.wire.printers import About, number, take

CONTROL, ECHO, MULTIHOP, LAG = 3784, 3785, 4784, 6784
_HEADER = 24
_PORTS = {CONTROL: "Control", MULTIHOP: "Multihop", LAG: "LAG"}
_STATES = ("AdminDown", "Down", "Init", "Up")
_V1_FLAGS = (
    (0x20, "Poll"), (0x10, "Final"), (0x08, "Control Plane Independent"),
    (0x04, "Authentication Present"), (0x02, "Demand"), (0x01, "Multipoint"),
)  # fmt: skip
_V0_FLAGS = (
    (0x80, "I Hear You"), (0x40, "Demand"), (0x20, "Poll"), (0x10, "Final"),
    (0x08, "Control Plane Independent"),
    (0x04, "Authentication Present"), (0x02, "Reserved"), (0x01, "Reserved"),
)  # fmt: skip


def _flags(table: tuple[tuple[int, str], ...], flags: int) -> str:
    return ", ".join(name for bit, name in table if flags & bit) or "none"


def bfd(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "BFDv1, Control, State Down, Flags: [Authentication Present], length: 52" (tcpdump reads
    the destination port)."""
    port = about.dport
    if port == ECHO:
        words.append(f"BFD, Echo, length: {length}")
        return
    if port not in _PORTS:
        words.append(f"BFD, unknown ({port}), length: {length}")
        return
    take(data, 0, _HEADER)  # (tcpdump checks the whole header is there first)
    version = number(data, 0, 1) >> 5
    flags = number(data, 1, 1)
    if version == 0:
        words.append(f"BFDv0, Control, Flags: [{_flags(_V0_FLAGS, flags)}], length: {length}")
    elif version == 1:
        state, named = _STATES[flags >> 6], _flags(_V1_FLAGS, flags & 0x3F)
        words.append(f"BFDv1, {_PORTS[port]}, State {state}, Flags: [{named}], length: {length}")
    else:
        words.append(f"BFDv{version}, Control, length: {length}")
