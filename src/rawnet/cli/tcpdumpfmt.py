"""tcpdump's time stamps (-t ... -ttttt) and raw dumps (-x, -xx, -X, -XX, -A), byte for byte.

Display only: bytes and times in, text out, as tcpdump 4.99 prints them (util-print.c's
ts_print, print-ascii.c's hex_print, hex_and_ascii_print and ascii_print). Never decodes.
"""

from __future__ import annotations

import time

from rawnet.net.pcap import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2

_NS = 1_000_000_000
_DAY = 86_400
_BYTES_PER_LINE = 16
_HEX_WIDTH = 40  # 8 groups of " xxxx"
_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
#: The link header tcpdump's dumps leave out without -xx / -XX / -AA (fixed lengths).
_COOKED_HEADERS = {LINKTYPE_LINUX_SLL: 16, LINKTYPE_LINUX_SLL2: 20}

#: -t counted: 0 none given (local time of day), 1 none, 2 epoch, 3 delta, 4 date, 5 since first.
TIME_FORMATS = (0, 1, 2, 3, 4, 5)


class Stamper:
    """The time stamp tcpdump -t (counted ``format``, 0 to 5) puts before each line, with its space.

    ``nanoseconds``: nine digits (--time-stamp-precision=nano), else six, cut, not rounded.
    Local times follow the TZ environment variable, as tcpdump's localtime() does.
    """

    def __init__(self, format: int = 0, nanoseconds: bool = False) -> None:
        self.format = format
        self.nanoseconds = nanoseconds
        self._reference: int | None = None

    def __call__(self, timestamp_ns: int) -> str:
        """The text before a packet whose capture time is ``timestamp_ns`` (since the epoch)."""
        stamp = timestamp_ns if self.nanoseconds else timestamp_ns // 1000 * 1000
        if self.format == 1:
            return ""
        if self.format in (3, 5):
            if self._reference is None:
                self._reference = stamp
            delta = stamp - self._reference
            if self.format == 3:
                self._reference = stamp
            sign = "-" if delta < 0 else " "
            seconds, fraction = divmod(abs(delta), _NS)
            clock = time.strftime("%H:%M:%S", time.gmtime(seconds % _DAY))  # (gmtime: days dropped)
            return f"{sign}{clock}{self._fraction(fraction)} "
        seconds, fraction = divmod(stamp, _NS)
        if seconds & 0x80000000 or seconds < 0:  # (tcpdump's 32-bit check)
            return "[Error converting time] "
        if self.format == 2:
            return f"{seconds}{self._fraction(fraction)} "
        local = time.localtime(seconds)
        day = time.strftime("%Y-%m-%d ", local) if self.format == 4 else ""
        return f"{day}{time.strftime('%H:%M:%S', local)}{self._fraction(fraction)} "

    def _fraction(self, nanoseconds: int) -> str:
        return f".{nanoseconds:09d}" if self.nanoseconds else f".{nanoseconds // 1000:06d}"


def link_header_length(linktype: int, data: bytes) -> int:
    """How many bytes of ``data`` tcpdump's printer of ``linktype`` counts as the link header.

    Ethernet: 14 bytes and 4 for each VLAN tag; Linux cooked v1 and v2: 16 and 20; raw IP and
    anything else: 0 (the dump then starts at the first byte).
    """
    if linktype == LINKTYPE_ETHERNET:
        length = 14
        while len(data) >= length and int.from_bytes(data[length - 2 : length], "big") in _VLAN_TPIDS:
            length += 4
        return min(length, len(data))
    return min(_COOKED_HEADERS.get(linktype, 0), len(data))


def dump(data: bytes, header: int, hex_level: int, ascii_level: int, both_level: int) -> str:
    """What tcpdump prints after a packet's line for -x (``hex_level`` 1, -xx 2), -X/-XX
    (``both_level``) or -A/-AA (``ascii_level``): "" for none. -X wins over -x, -x over -A.

    ``header``: the link header's length, left out at level 1. Starts with a newline; the
    packet's line and this make one text, as tcpdump's output.
    """
    level = both_level or hex_level or ascii_level
    if not level:
        return ""
    if level == 1:
        if len(data) <= header:
            return ""
        data = data[header:]
    if both_level:
        return hex_and_ascii(data)
    if hex_level:
        return hex_only(data)
    return "\n" + ascii_only(data)


def hex_only(data: bytes, indent: str = "\n\t") -> str:
    """tcpdump -x's dump (hex_print): lines of 16 bytes in groups of two, each "\\n\\t0xOFFS: "."""
    parts = []
    for offset in range(0, len(data), _BYTES_PER_LINE):
        chunk = data[offset : offset + _BYTES_PER_LINE]
        groups = "".join(f" {chunk[i : i + 2].hex()}" for i in range(0, len(chunk), 2))
        parts.append(f"{indent}0x{offset:04x}: {groups}")
    return "".join(parts)


def hex_and_ascii(data: bytes, indent: str = "\n\t") -> str:
    """tcpdump -X's dump (hex_and_ascii_print): the hex padded to its column, then the bytes as
    characters (printable ASCII but space, else ".")."""
    parts = []
    for offset in range(0, len(data), _BYTES_PER_LINE):
        chunk = data[offset : offset + _BYTES_PER_LINE]
        groups = "".join(f" {chunk[i : i + 2].hex()}" for i in range(0, len(chunk), 2))
        text = "".join(chr(byte) if 0x21 <= byte <= 0x7E else "." for byte in chunk)
        parts.append(f"{indent}0x{offset:04x}: {groups:<{_HEX_WIDTH}}  {text}")
    return "".join(parts)


def ascii_only(data: bytes) -> str:
    """tcpdump -A's text (ascii_print): printable bytes, tabs, spaces and newlines as they are,
    the rest as "."; a CR is left out before a LF and at the end, "." elsewhere."""
    out = []
    last = len(data) - 1
    for index, byte in enumerate(data):
        if byte == 0x0D:
            left = last - index  # bytes after this one
            if left > 1 and data[index + 1] != 0x0A:
                out.append(".")
        elif 0x21 <= byte <= 0x7E or byte in (0x09, 0x20, 0x0A):
            out.append(chr(byte))
        else:
            out.append(".")
    return "".join(out)
