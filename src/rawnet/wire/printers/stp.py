"""Spanning tree BPDUs (IEEE 802.1D, 802.1w, 802.1s, 802.1aq; LLC SAP 0x42) as tcpdump prints
them without -v (print-stp.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, number, take

_PROTOCOLS = {0x00: "802.1d", 0x02: "802.1w", 0x03: "802.1s", 0x04: "802.1aq"}
_TYPES = {0x00: "Config", 0x02: "Rapid STP", 0x80: "Topology Change"}
_FLAGS = (
    (0x01, "Topology change"), (0x02, "Proposal"), (0x10, "Learn"), (0x20, "Forward"),
    (0x40, "Agreement"), (0x80, "Topology change ACK"),
)  # fmt: skip
_CONFIG, _RSTP = 0x00, 0x02
_RAPID, _MULTI, _SPB = 0x02, 0x03, 0x04
_BPDU = 36  # (a rapid BPDU's length, its version 1 length included)
_MSTI_OFFSET, _V3_LENGTH_OFFSET, _SPB_SHORTEST = 102, 36, 16


def _flags(flags: int) -> str:
    return ", ".join(name for bit, name in _FLAGS if flags & bit) or "none"


def stp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "STP 802.1w, Rapid STP, Flags [Proposal], bridge-id 8001.00:19:06:ea:b8:80.800c, length 36"."""
    if length < 4:
        words.append(" (invalid)")
        return
    if number(data, 0, 2):
        words.append(f"unknown STP version, length {length}")
        return
    version = number(data, 2, 1)
    words.append(f"STP {_PROTOCOLS.get(version, f'Unknown STP protocol (0x{version:02x})')}")
    if version not in _PROTOCOLS:
        return
    kind = number(data, 3, 1)
    words.append(f", {_TYPES.get(kind, f'Unknown BPDU Type (0x{kind:02x})')}")
    if kind == _CONFIG or (kind == _RSTP and version == _RAPID):
        if length < (_BPDU - 1 if kind == _CONFIG else _BPDU):
            words.append(" (invalid)")
            return
        bridge = take(data, 17, 8)
        address = ":".join(f"{byte:02x}" for byte in bridge[2:])
        words.append(f", Flags [{_flags(number(data, 4, 1))}]")
        words.append(f", bridge-id {bridge[:2].hex()}.{address}.{number(data, 25, 2):04x}, length {length}")
    elif kind == _RSTP and version in (_MULTI, _SPB):
        if length < _MSTI_OFFSET or number(data, 35, 1) != 0:
            words.append(" (invalid)")
            return
        mstp_len = number(data, _V3_LENGTH_OFFSET, 2) + 2
        if length < _BPDU + mstp_len:
            words.append(" (invalid)")
            return
        words.append(f", CIST Flags [{_flags(number(data, 4, 1))}], length {length}")
        if version == _SPB:
            spb_len = number(data, _V3_LENGTH_OFFSET + mstp_len, 2) + 2
            if length < _BPDU + mstp_len + spb_len or spb_len < _SPB_SHORTEST:
                words.append(" (invalid)")
