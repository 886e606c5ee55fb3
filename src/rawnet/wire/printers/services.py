"""Small UDP services as tcpdump prints them without -v: TFTP (port 69; print-tftp.c), syslog
(port 514; print-syslog.c), RIP (port 520; print-rip.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, number, printable, take

_TFTP = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}
_RRQ, _WRQ, _DATA, _ACK, _ERROR, _OACK = 1, 2, 3, 4, 5, 6
_TFTP_ERRORS = {  # (tcpdump 4.99.3 names no 8, EOPTNEG: it prints 'tftp-err-#8 "')
    0: "EUNDEF", 1: "ENOTFOUND", 2: "EACCESS", 3: "ENOSPACE", 4: "EBADOP", 5: "EBADID", 6: "EEXISTS",
    7: "ENOUSER",
}  # fmt: skip


def _string(words: list[str], data: bytes, at: int, left: int) -> int:
    """util-print.c nd_printztn: a NUL-ended string of at most ``left`` bytes, printed as read;
    the bytes it took (Cut where it has no end)."""
    taken = 0
    while True:
        if left == 0 or at + taken >= len(data):
            raise Cut
        byte = data[at + taken]
        taken, left = taken + 1, left - 1
        if byte == 0:
            return taken
        words.append(printable(bytes((byte,))))


def tftp(words: list[str], data: bytes, length: int, about: About) -> None:
    """'TFTP, length 14, RRQ "file1" octet'."""
    words.append(f"TFTP, length {length}")
    if length < 2:
        raise Cut
    opcode = number(data, 0, 2)
    if opcode not in _TFTP:
        words.append(f", tftp-#{opcode}")
        return
    words.append(f", {_TFTP[opcode]}")
    at, left = 2, length - 2
    if opcode in (_RRQ, _WRQ):
        if left == 0:
            raise Cut
        words.append(' "')
        try:
            taken = _string(words, data, at, left)
        finally:
            words.append('"')
        at, left = at + taken, left - taken
        if left == 0:
            raise Cut
        words.append(" ")
        taken = _string(words, data, at, left)
        at, left = at + taken, left - taken
    if opcode in (_RRQ, _WRQ, _OACK):
        while left:
            if number(data, at, 1):
                words.append(" ")
            taken = _string(words, data, at, left)
            at, left = at + taken, left - taken
    elif opcode in (_ACK, _DATA):
        if left < 2:
            raise Cut
        words.append(f" block {number(data, at, 2)}")
    elif opcode == _ERROR:
        if left < 2:
            raise Cut
        code = number(data, at, 2)
        words.append(" " + _TFTP_ERRORS.get(code, f'tftp-err-#{code} "'))
        at, left = at + 2, left - 2
        if left == 0:
            raise Cut
        words.append(' "')
        try:
            _string(words, data, at, left)
        finally:
            words.append('"')


_FACILITIES = (
    "kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "security", "console", "cron", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
)  # fmt: skip
_SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
_SYSLOG_DIGITS = 3


def syslog(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "SYSLOG kernel.notice, length: 51"."""
    if number(data, 0, 1) != ord("<"):
        words.append(" (invalid)")
        return
    at, priority = 1, 0
    while at <= _SYSLOG_DIGITS and ord("0") <= number(data, at, 1) <= ord("9"):
        priority, at = priority * 10 + data[at] - ord("0"), at + 1
    if number(data, at, 1) != ord(">"):
        words.append(" (invalid)")
        return
    facility, severity = (priority & 0x3F8) >> 3, priority & 0x07
    name = _FACILITIES[facility] if facility < len(_FACILITIES) else f"unknown ({facility})"
    words.append(f"SYSLOG {name}.{_SEVERITIES[severity]}, length: {length}")


_AHCP_MAGIC, _AHCP_HEADER, _AHCP_BODY = 43, 24, 4


def ahcp(words: list[str], data: bytes, length: int, about: About) -> None:
    """The Ad-Hoc Configuration Protocol (UDP port 5359; print-ahcp.c): "AHCP Version 1"."""
    words.append("AHCP")
    if length < 2 or number(data, 0, 1) != _AHCP_MAGIC:
        _invalid(words, data, length)
        return
    version = number(data, 1, 1)
    if version != 1:
        words.append(f" Version {version} (unknown)")
        _invalid(words, data, length)
        return
    words.append(" Version 1")
    if length < _AHCP_HEADER:
        _invalid(words, data, length)
        return
    take(data, 2, _AHCP_HEADER - 2)
    if length - _AHCP_HEADER < _AHCP_BODY:
        _invalid(words, data, length)
        return
    body = number(data, _AHCP_HEADER + 2, 2)
    if body > length - _AHCP_HEADER - _AHCP_BODY:
        _invalid(words, data, length)
        return
    take(data, _AHCP_HEADER + _AHCP_BODY, body)


def _invalid(words: list[str], data: bytes, length: int) -> None:
    """tcpdump's " (invalid)", then a cut if the datagram is not all there."""
    words.append(" (invalid)")
    if len(data) < length:
        raise Cut
