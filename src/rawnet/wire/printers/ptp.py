"""The Precision Time Protocol (IEEE 1588; UDP ports 319 and 320, EtherType 0x88f7) as tcpdump
prints it (print-ptp.c): version 2's common header and each message's fields, on one line."""

from __future__ import annotations

from rawnet.wire.printers import About, number

_HEADER = 34
_TYPES = {
    0x0: "sync msg", 0x1: "delay req msg", 0x2: "peer delay req msg", 0x3: "peer delay resp msg",
    0x8: "follow up msg", 0x9: "delay resp msg", 0xA: "pdelay resp fup msg", 0xB: "announce msg",
    0xC: "signaling msg", 0xD: "management msg",
}  # fmt: skip
_CONTROLS = {0: "Sync", 1: "Delay_Req", 2: "Follow_Up", 3: "Delay_Resp", 4: "Management", 5: "Other"}
_FLAGS = (
    (0x1, "l1 61"), (0x2, "l1 59"), (0x4, "utc reasonable"), (0x8, "timescale"),
    (0x10, "time tracable"), (0x20, "frequency tracable"), (0x100, "alternate master"),
    (0x200, "two step"), (0x400, "unicast"), (0x1000, "profile specific 1"),
    (0x2000, "profile specific 2"), (0x4000, "security mask"), (0x18C0, "unknown"),
)  # fmt: skip
_ORIGIN, _PRECISE, _RECEIVE = "originTimeStamp", "preciseOriginTimeStamp", "receiveTimeStamp"
# message type -> (the time stamp's name, whether a port identity follows it)
_STAMPS = {
    0x0: (_ORIGIN, False), 0x1: (_ORIGIN, False), 0x2: (_PRECISE, True), 0x3: (_RECEIVE, True),
    0x8: (_PRECISE, False), 0x9: (_RECEIVE, True), 0xA: (_PRECISE, True),
}  # fmt: skip
_ANNOUNCE, _SIGNALING, _MANAGEMENT = 0xB, 0xC, 0xD


def ptp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "PTPv2, majorSdoId: 0x0, msg type: sync msg, length: 44, domain: 0, ..."."""
    words.append("PTP")
    if length < _HEADER:
        words.append(f" [length {length} < {_HEADER}] (invalid)")
        return
    versions = number(data, 1, 1)
    major, minor = versions & 0x0F, versions >> 4
    words.append(f"v{major}.{minor}" if minor else f"v{major}")
    if major == 1:
        words.append(" (not implemented)")
    elif major == 2:
        _version_2(words, data)
    else:
        words.append(" (unsupported)")


def _version_2(words: list[str], data: bytes) -> None:
    first = number(data, 0, 1)
    kind = first & 0x0F
    flags = number(data, 6, 2)
    control = number(data, 32, 1)
    words += [
        f", majorSdoId: 0x{first >> 4:x}, msg type: {_TYPES.get(kind, 'Reserved')}",
        f", length: {number(data, 2, 2)}, domain: {number(data, 4, 1)}, reserved1: {number(data, 5, 1)}",
        f", Flags [{', '.join(name for bit, name in _FLAGS if flags & bit) or 'none'}]",
        f", NS correction: {number(data, 8, 6)}, sub NS correction: {number(data, 14, 2)}",
        f", reserved2: {number(data, 16, 4)}, clock identity: 0x{number(data, 20, 8):x}",
        f", port id: {number(data, 28, 2)}, seq id: {number(data, 30, 2)}",
        f", control: {control} ({_CONTROLS.get(control, 'Reserved')})",
        f", log message interval: {number(data, 33, 1)}",
    ]
    at = _HEADER
    if kind in _STAMPS:
        name, identity = _STAMPS[kind]
        _stamp(words, data, at, name)
        if identity:
            _port(words, data, at + 10)
    elif kind == _ANNOUNCE:
        _stamp(words, data, at, _ORIGIN)
        words.append(f", origin cur utc:{number(data, at + 10, 2)}, rsvd: {number(data, at + 12, 1)}")
        words.append(
            f", gm priority_1: {number(data, at + 13, 1)}, gm clock class: {number(data, at + 14, 1)}"
        )
        words.append(f", gm clock accuracy: {number(data, at + 15, 1)}")
        words.append(
            f", gm clock variance: {number(data, at + 16, 2)}, gm priority_2: {number(data, at + 18, 1)}"
        )
        words.append(
            f", gm clock id: 0x{number(data, at + 19, 8):x}, steps removed: {number(data, at + 27, 2)}"
        )
        words.append(f", time source: 0x{number(data, at + 29, 1):x}")
    elif kind == _SIGNALING:
        _port(words, data, at)
    elif kind == _MANAGEMENT:
        _port(words, data, at)
        words.append(f", start boundary hops: {number(data, at + 10, 1)}")
        words.append(f", boundary hops: {number(data, at + 11, 1)}")
        words.append(f", flags: 0x{number(data, at + 12, 1):x}, reserved: 0x{number(data, at + 13, 1):x}")


def _stamp(words: list[str], data: bytes, at: int, name: str) -> None:
    words.append(f", {name}: {number(data, at, 6)}")
    words.append(f".{number(data, at + 6, 4):09} seconds")


def _port(words: list[str], data: bytes, at: int) -> None:
    words.append(f", port identity: 0x{number(data, at, 8):x}")
    words.append(f", port id: {number(data, at + 8, 2)}")
