"""IS-IS (ISO 10589) and the OSI network layer protocols that LLC's OSI SAP carries, as tcpdump
prints them without -v (print-isoclns.c): IS-IS's PDU type and brief fields; others by NLPID."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, Decline, number, take

_ISIS, _NULLNS = 0x83, 0x00
_NOT_READ = frozenset((0x81, 0x82, 0x08, 0xCC, 0x8E, 0xCF))  # (CLNP, ES-IS, Q.933, IP, IPv6, PPP)
_PDUS = {
    15: "L1 Lan IIH", 16: "L2 Lan IIH", 17: "p2p IIH", 18: "L1 LSP", 20: "L2 LSP", 24: "L1 CSNP",
    25: "L2 CSNP", 26: "L1 PSNP", 27: "L2 PSNP",
}  # fmt: skip
_COMMON = 8
#: PDU type -> (its fixed header's length, where its identifier is, the identifier's length)
_FIXED = {
    15: (27, 9, 6), 16: (27, 9, 6), 17: (20, 9, 6), 18: (27, 12, 8), 20: (27, 12, 8),
    24: (33, 10, 7), 25: (33, 10, 7), 26: (17, 10, 7), 27: (17, 10, 7),
}  # fmt: skip
_LAN_IIH, _LSP = (15, 16), (18, 20)


def osi(words: list[str], data: bytes, length: int, about: About) -> None:
    """An OSI network layer PDU by its NLPID (IS-IS read here)."""
    nlpid = number(data, 0, 1)
    if nlpid == _ISIS:
        try:
            isis(words, data, length)
        except Cut:
            words.append(" [|isis]")  # (tcpdump names the protocol it was reading)
    elif nlpid in _NOT_READ:
        raise Decline
    elif nlpid == _NULLNS:
        words.append(f", length: {length}")
    else:
        words.append(f"OSI NLPID 0x{nlpid:02x} unknown, length: {length}")


def system_id(data: bytes, at: int, size: int) -> str:
    """An IS-IS system, node or LSP identifier as tcpdump writes it: 1921.6800.1001.00-00."""
    raw = take(data, at, size)
    text = f"{raw[0:2].hex()}.{raw[2:4].hex()}.{raw[4:6].hex()}"
    if size >= 7:
        text += f".{raw[6]:02x}"
    if size == 8:
        text += f"-{raw[7]:02x}"
    return text


def isis(words: list[str], data: bytes, length: int) -> None:
    """ "IS-IS, p2p IIH, src-id 8888.8888.8888, length 1492"."""
    take(data, 0, _COMMON)
    words.append("IS-IS")
    fixed_len, version, id_length, kind, pdu_version = data[1], data[2], data[3], data[4] & 0x1F, data[5]
    if version != 1:
        words.append(f"version {version} packet not supported")
        return
    if id_length not in (6, 0):
        words.append(f"system ID length of {id_length} is not supported")
        return
    if pdu_version != 1:
        words.append(f"version {pdu_version} packet not supported")
        return
    if length < fixed_len:
        words.append(f"fixed header length {fixed_len} > packet length {length}")
        return
    if fixed_len < _COMMON:
        words.append(f"fixed header length {fixed_len} < minimum header size {_COMMON}")
        return
    words.append(f", {_PDUS.get(kind, f'unknown PDU-Type {kind}')}")
    if kind not in _FIXED:
        return
    size, at, id_size = _FIXED[kind]
    if fixed_len != size:
        words.append(f", bogus fixed header length {fixed_len} should be {size}")
        return
    if kind in _LSP:
        words.append(f", lsp-id {system_id(data, at, id_size)}")
        words.append(f", seq 0x{number(data, 20, 4):08x}, lifetime {number(data, 10, 2):5}s")
    else:
        words.append(f", src-id {system_id(data, at, id_size)}")
        if kind in _LAN_IIH:
            words.append(f", lan-id {system_id(data, 20, 7)}, prio {number(data, 19, 1)}")
    words.append(f", length {length}")
