"""DECnet Phase IV (EtherType 0x6003) as tcpdump prints it without -v (print-decnet.c): the
routing layer's control messages (hellos, routing), and the NSP messages data packets carry."""

from __future__ import annotations

from rawnet.wire.printers import About, number, take

_SHORT_HEADER, _LONG_HEADER, _NSP_HEADER = 6, 20, 5
_PAD, _PAD_MASK, _FUTURE, _CONTROL = 0x80, 0x7F, 0x40, 0x01
_ROUTE_MASK, _SHORT, _LONG = 0x07, 0x02, 0x06
_ACK, _NAK, _OTHER_ACK, _OTHER_NAK, _SEQUENCE = 0x8000, 0x9000, 0xA000, 0xB000, 0x0FFF
_REASONS = {
    0: "object rejected connect", 1: "insufficient resources", 2: "unrecognized node name",
    3: "node is shutting down", 4: "unrecognized object", 5: "invalid object name format",
    6: "object too busy", 7: "protocol error discovered", 8: "third party abort", 9: "user abort",
    10: "invalid node name format", 11: "local node shutting down", 32: "insufficient local resources",
    33: "insufficient remote user resources", 34: "invalid access control information",
    36: "bad ACCOUNT information", 38: "no response from object", 39: "node unreachable",
    41: "no link terminate", 42: "disconnect complete", 43: "bad image data in connect",
    44: "cryptographic service mismatch",
}  # fmt: skip
_SERVICES = {0x04: "seg ", 0x08: "msg "}
_VERSIONS = ("ver 3.2 ", "ver 3.1 ", "ver 4.0 ", "ver 4.1 ")


class _Invalid(Exception):
    """A length too short for what the message says it holds: tcpdump's " (invalid)"."""


def address(value: int) -> str:
    """A DECnet node address as area.node."""
    return f"{value >> 10}.{value & 0x3FF}"


def _le(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(take(data, at, size), "little")


def decnet(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "1.1 > 1.2 45 data 8195>8196 ack 0 oack 0 seg 1 " or "endnode-hello endnode vers 2 ..."."""
    try:
        _decnet(words, data, length)
    except _Invalid:
        words.append(" (invalid)")


def _decnet(words: list[str], data: bytes, length: int) -> None:
    if length < _SHORT_HEADER:
        words.append(f" (length {length} < {_SHORT_HEADER})")
        raise _Invalid
    packet_len = _le(data, 0, 2)
    if packet_len < _SHORT_HEADER:
        words.append(f" (pktlen {packet_len} < {_SHORT_HEADER})")
        raise _Invalid
    if packet_len > length:
        words.append(f" (pktlen {packet_len} > {length})")
        raise _Invalid
    length, at = packet_len, 2
    flags = number(data, at, 1)
    if flags & _PAD:
        pad = flags & _PAD_MASK
        if length < pad + 2:
            words.append(f" (length {length} < {pad + 2})")
            raise _Invalid
        take(data, at, pad)
        at, length = at + pad, length - pad
        flags = number(data, at, 1)
    if flags & _FUTURE:
        words.append("future-version-decnet")
        return
    if flags & _CONTROL:
        _control(words, data, at, length)
        return
    route = flags & _ROUTE_MASK
    if route == _LONG:
        if length < _LONG_HEADER:
            words.append(f" (length {length} < {_LONG_HEADER})")
            raise _Invalid
        take(data, at, _LONG_HEADER)
        dst, src = _le(data, at + 7, 2), _le(data, at + 15, 2)
        nsp, nsp_len = at + _LONG_HEADER, length - _LONG_HEADER
    elif route == _SHORT:
        dst, src = _le(data, at + 1, 2), _le(data, at + 3, 2)
        number(data, at + 5, 1)
        nsp, nsp_len = at + _SHORT_HEADER, length - _SHORT_HEADER
    else:
        words.append("unknown message flags under mask")
        return
    words.append(f"{address(src)} > {address(dst)} {packet_len} ")
    _nsp(words, data, nsp, nsp_len)


def _info(value: int, verify: int, block: int, multicast: int = 0) -> str:
    text = ("reserved-ntype? ", "l2rout ", "l1rout ", "endnode ")[value & 0x03]
    text += "verif " if value & verify else ""
    text += "nomcast " if multicast and value & multicast else ""
    return text + ("blo " if value & block else "")


def _control(words: list[str], data: bytes, at: int, length: int) -> None:
    kind = number(data, at, 1) & 0x0E
    if kind == 0x0C:  # endnode hello
        if length < 32:
            raise _Invalid
        take(data, at, 32)
        words.append("endnode-hello " + _info(data[at + 10], 0x04, 0x40, 0x20))
        words.append(f"vers {data[at + 1]} eco {data[at + 2]} ueco {data[at + 3]}")
        words.append(f" src {address(_le(data, at + 8, 2))} blksize {_le(data, at + 11, 2)}")
        words.append(
            f" rtr {address(_le(data, at + 26, 2))} hello {_le(data, at + 28, 2)} data {data[at + 31]:o}"
        )
    elif kind == 0x0A:  # router hello
        if length < 18:
            raise _Invalid
        take(data, at, 18)
        words.append("router-hello " + _info(data[at + 10], 0x04, 0x40, 0x20))
        words.append(f"vers {data[at + 1]} eco {data[at + 2]} ueco {data[at + 3]}")
        words.append(f" src {address(_le(data, at + 8, 2))} blksize {_le(data, at + 11, 2)}")
        words.append(f" pri {data[at + 13]} hello {_le(data, at + 15, 2)}")
    elif kind == 0x00:  # initialization
        if length < 12:
            raise _Invalid
        take(data, at, 12)
        words.append("init " + _info(data[at + 3], 0x04, 0x08))
        words.append(
            f"src {address(_le(data, at + 1, 2))} blksize {_le(data, at + 4, 2)} vers {data[at + 6]}"
        )
        words.append(f" eco {data[at + 7]} ueco {data[at + 8]} hello {_le(data, at + 9, 2)}")
    elif kind == 0x02:
        if length < 4:
            raise _Invalid
        words.append(f"verification src {address(_le(data, at + 1, 2))} fcnval {number(data, at + 3, 1):o}")
    elif kind == 0x04:
        if length < 4:
            raise _Invalid
        words.append(f"test src {address(_le(data, at + 1, 2))} data {number(data, at + 3, 1):o}")
    else:
        words.append("unknown control message")


def _nsp(words: list[str], data: bytes, at: int, length: int) -> None:
    if length < _NSP_HEADER:
        words.append(f" (nsplen {length} < {_NSP_HEADER})")
        raise _Invalid
    flags, dst, src = number(data, at, 1), _le(data, at + 1, 2), _le(data, at + 3, 2)
    end, body = at + length, at + _NSP_HEADER
    kind, sub = flags & 0x0C, flags & 0x70
    if kind == 0x00 and sub in (0x00, 0x20, 0x40, 0x60):
        words.append(f"data {src}>{dst} ")
        _segment(words, data, body, end, "oack", "onak")
    elif kind == 0x00 and sub == 0x30:
        words.append("intr ")
        _segment(words, data, body, end, "ackdat", "nakdat")
    elif kind == 0x00 and sub == 0x10:
        words.append(f"link-service {src}>{dst} ")
        _segment(words, data, body, end, "ackdat", "nakdat")
        at = body + 6  # (print-decnet.c reads the link service message after a full segment header)
        if at + 2 > end:
            raise _Invalid
        ls_flags, count = number(data, at, 1), number(data, at + 1, 1)
        if ls_flags & 0x0C == 0x00:
            words.append(f"dat seg count {count} ")
            words.append(
                ("", "donotsend-data ", "send-data ", f"reserved-fcmod? {ls_flags:x}")[ls_flags & 0x03]
            )
        elif ls_flags & 0x0C == 0x04:
            words.append(f"intr req count {count} ")
        else:
            words.append(f"reserved-fcval-int? {ls_flags:x}")
    elif kind == 0x04 and sub in (0x00, 0x10):
        words.append(f"{'data-ack' if sub == 0x00 else 'ils-ack'} {src}>{dst} ")
        take(data, at, _NSP_HEADER + 4)  # (tcpdump checks the whole acknowledgement is there)
        _ack_only(words, data, body, end, "oack" if sub == 0x00 else "ackdat")
    elif kind == 0x04 and sub == 0x20:
        words.append(f"conn-ack {dst}")
    elif kind == 0x08 and sub in (0x10, 0x60):
        words.append(f"{'conn-initiate' if sub == 0x10 else 'retrans-conn-initiate'} {src}>{dst} ")
        if end - body < 4:
            raise _Invalid
        services, info, size = number(data, body, 1), number(data, body + 1, 1), _le(data, body + 2, 2)
        words.append(_SERVICES.get(services & 0x0C, "") + _VERSIONS[info & 0x03] + f"segsize {size} ")
    elif kind == 0x08 and sub == 0x20:
        words.append(f"conn-confirm {src}>{dst} ")
        if end - body < 5:
            raise _Invalid
        services, info, size = number(data, body, 1), number(data, body + 1, 1), _le(data, body + 2, 2)
        options = number(data, body + 4, 1)
        words.append(_SERVICES.get(services & 0x0C, "") + _VERSIONS[info & 0x03] + f"segsize {size} ")
        if options:
            words.append(f"optlen {options} ")
    elif kind == 0x08 and sub == 0x30:
        words.append(f"disconn-initiate {src}>{dst} ")
        if end - body < 3:
            raise _Invalid
        reason, options = _le(data, body, 2), number(data, body + 2, 1)
        words.append(_REASONS.get(reason, f"reason-{reason}") + " ")
        if options:
            words.append(f"optlen {options} ")
    elif kind == 0x08 and sub == 0x40:
        words.append(f"disconn-confirm {src}>{dst} ")
        if end - body < 2:
            raise _Invalid
        reason = _le(data, body, 2)
        words.append(_REASONS.get(reason, f"reason-{reason}") + " ")
    elif kind == 0x00:
        words.append(f"reserved-subtype? {flags:x} {src} > {dst}")
    elif kind == 0x04:
        words.append(f"reserved-acktype? {flags:x} {src} > {dst}")
    elif kind == 0x08:
        words.append(f"reserved-ctltype? {flags:x} {src} > {dst}")
    else:
        words.append(f"reserved-type? {flags:x} {src} > {dst}")


def _segment(words: list[str], data: bytes, at: int, end: int, other: str, other_nak: str) -> int:
    """A data segment's acknowledgement fields and its number ("seg N "); where the data begins."""
    if at + 2 > end:
        raise _Invalid
    value, at = _le(data, at, 2), at + 2
    if value & _ACK:
        words.append(("nak" if value & _NAK == _NAK else "ack") + f" {value & _SEQUENCE} ")
        if at + 2 > end:
            raise _Invalid
        value, at = _le(data, at, 2), at + 2
        if value & _OTHER_ACK:  # (sic: print-decnet.c tests either bit)
            words.append(
                (other_nak if value & _OTHER_NAK == _OTHER_NAK else other) + f" {value & _SEQUENCE} "
            )
            if at + 2 > end:
                raise _Invalid
            value, at = _le(data, at, 2), at + 2
    words.append(f"seg {value & _SEQUENCE} ")
    return at


def _ack_only(words: list[str], data: bytes, at: int, end: int, other: str) -> None:
    if at + 2 > end:
        raise _Invalid
    value, at = _le(data, at, 2), at + 2
    if value & _ACK:
        words.append(("nak" if value & _NAK == _NAK else "ack") + f" {value & _SEQUENCE} ")
        if at + 2 > end:
            raise _Invalid
        value = _le(data, at, 2)
        if value & _OTHER_ACK:  # (sic: either bit)
            nak = "onak" if other == "oack" else "nakdat"
            words.append((nak if value & _OTHER_NAK == _OTHER_NAK else other) + f" {value & _SEQUENCE} ")
