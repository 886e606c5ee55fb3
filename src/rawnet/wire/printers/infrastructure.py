"""Infrastructure protocols' one-line text as tcpdump prints it without -v: LSP ping (UDP port
3503; print-lspping.c), Microsoft NLB heartbeats (EtherType 0x886f; print-msnlb.c), Ethernet
configuration testing (EtherType 0x9000; print-loopback.c), SOME/IP (port 30490; print-someip.c)."""

from __future__ import annotations

import socket

from rawnet.wire.printers import About, Cut, number, take

_LSPPING_HEADER = 32
_LSPPING_TYPES = {1: "MPLS Echo Request", 2: "MPLS Echo Reply"}


def lspping(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "LSP-PINGv1, MPLS Echo Request, seq 1, length: 48"."""
    if length < _LSPPING_HEADER:
        return
    take(data, 0, _LSPPING_HEADER)
    version = number(data, 0, 2)
    if version != 1:
        words.append(f"LSP-PING version {version} packet not supported")
        return
    words.append(f"LSP-PINGv{version}")
    kind = number(data, 4, 1)
    words.append(
        f", {_LSPPING_TYPES.get(kind, f'unknown ({kind})')}, seq {number(data, 12, 4)}, length: {length}"
    )


def msnlb(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "MS NLB heartbeat, host priority: 2, cluster IP: 10.0.0.1, host IP: 10.0.0.2"."""
    words.append("MS NLB heartbeat")
    words.append(f", host priority: {int.from_bytes(take(data, 8, 4), 'little')}")
    words.append(f", cluster IP: {socket.inet_ntoa(take(data, 12, 4))}")
    words.append(f", host IP: {socket.inet_ntoa(take(data, 16, 4))}")


_REPLY, _FORWARD = 1, 2


def loopback(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "Loopback, skipCount 0, Reply, receipt number 1, data (40 octets)"."""
    words.append("Loopback")
    at, left = 0, length
    if left < 2:
        _invalid(words, data, at, left)
        return
    skip = int.from_bytes(take(data, 0, 2), "little")
    at, left = 2, left - 2
    words.append(f", skipCount {skip}" + (" (bogus)" if skip % 8 else ""))
    if skip > left:
        _invalid(words, data, at, left)
        return
    at, left = at + skip, left - skip
    if left < 2:
        _invalid(words, data, at, left)
        return
    function = int.from_bytes(take(data, at, 2), "little")
    at, left = at + 2, left - 2
    words.append(", " + {_REPLY: "Reply", _FORWARD: "Forward Data"}.get(function, f" invalid ({function})"))
    if function == _REPLY:
        if left < 2:
            _invalid(words, data, at, left)
            return
        words.append(f", receipt number {int.from_bytes(take(data, at, 2), 'little')}")
        at, left = at + 2, left - 2
        words.append(f", data ({left} octets)")
    elif function == _FORWARD:
        if left < 6:
            _invalid(words, data, at, left)
            return
        words.append(f", forwarding address {':'.join(f'{byte:02x}' for byte in take(data, at, 6))}")
        at, left = at + 6, left - 6
        words.append(f", data ({left} octets)")
    take(data, at, left)


def _invalid(words: list[str], data: bytes, at: int, left: int) -> None:
    words.append(" (invalid)")
    if at + left > len(data):
        raise Cut


_SOMEIP_HEADER = 16
_SOMEIP_TYPES = {
    0x00: "REQUEST", 0x01: "REQUEST_NO_RETURN", 0x02: "NOTIFICATION", 0x80: "RESPONSE", 0x81: "ERROR",
    0x20: "TP_REQUEST", 0x21: "TP_REQUEST_NO_RETURN", 0x22: "TP_NOTIFICATION", 0xA0: "TP_RESPONSE",
    0xA1: "TP_ERROR",
}  # fmt: skip
_SOMEIP_CODES = (
    "E_OK", "E_NOT_OK", "E_UNKNOWN_SERVICE", "E_UNKNOWN_METHOD", "E_NOT_READY", "E_NOT_REACHABLE",
    "E_TIMEOUT", "E_WRONG_PROTOCOL_VERSION", "E_WRONG_INTERFACE_VERSION", "E_MALFORMED_MESSAGE",
    "E_WRONG_MESSAGE_TYPE", "E_E2E_REPEATED", "E_E2E_WRONG_SEQUENCE", "E_E2E", "E_E2E_NOT_AVAILABLE",
    "E_E2E_NO_NEW_DATA",
)  # fmt: skip


def someip(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "SOMEIP, service 65535, event 256, len 64, client 0, session 0, pver 1, iver 1, ..."."""
    words.append("SOMEIP")
    if length < _SOMEIP_HEADER:
        words.append(" (invalid)")
        return
    message = number(data, 0, 4)
    kind = "event" if message & 0x8000 else "method"
    words.append(f", service {message >> 16}, {kind} {message & 0x7FFF}, len {number(data, 4, 4)}")
    request = number(data, 8, 4)
    words.append(f", client {request >> 16}, session {request & 0xFFFF}")
    words.append(f", pver {number(data, 12, 1)}, iver {number(data, 13, 1)}")
    words.append(f", msgtype {_SOMEIP_TYPES.get(number(data, 14, 1), 'Unknown')}")
    code = number(data, 15, 1)
    words.append(f", retcode {_SOMEIP_CODES[code] if code < len(_SOMEIP_CODES) else 'Unknown'}")
