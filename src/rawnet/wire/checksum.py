"""The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

Pure arithmetic on bytes: pseudo-headers are given by the caller, never looked up.
"""

from __future__ import annotations

_from_bytes = int.from_bytes


def fold(number: int) -> int:
    """The Internet checksum of words whose plain (non-negative) sum, or any shift of their bytes
    by whole words, is ``number``: the complement of their one's complement sum.

    2**16 is 1 modulo 0xFFFF, so ``number % 0xFFFF`` is the one's complement sum, except that a
    non-zero sum that is a multiple of 0xFFFF is 0xFFFF ("negative zero"), whose complement is 0;
    all-zero words sum to 0, whose complement is 0xFFFF. The stack codecs (fused.py) generate
    this same expression inline: ``FOLD``.
    """
    total = number % 0xFFFF
    return 0xFFFF - total if total else (0 if number else 0xFFFF)


#: fold() as source for generated code: ``{c}`` = the checksum of local ``{n}``, via local ``{t}``.
FOLD = "{t} = {n} % 0xFFFF; {c} = 0xFFFF - {t} if {t} else (0 if {n} else 0xFFFF)"


def ones_complement_sum(data: bytes | bytearray | memoryview) -> int:
    """The 16-bit one's complement sum of ``data`` (zero-padded to an even length).

    2**16 is 1 modulo 0xFFFF, so the whole buffer read as one big integer is congruent
    to the sum of its 16-bit words: one C-level conversion instead of a Python loop.
    A non-zero sum that is a multiple of 0xFFFF is 0xFFFF ("negative zero"), not 0.
    """
    if len(data) & 1:
        data = bytes(data) + b"\0"
    number = _from_bytes(data, "big")
    total = number % 0xFFFF
    if total == 0 and number:
        return 0xFFFF
    return total


def internet_checksum(data: bytes | bytearray | memoryview) -> int:
    """The Internet checksum of ``data``: the complement of its one's complement sum."""
    return fold(_from_bytes(data, "big") << (8 * (len(data) & 1)))


def pseudo_header_sum_bytes(addresses: bytes, protocol: int, length: int) -> bytes:
    """The words of an IPv4 or IPv6 pseudo-header whose sum equals the RFC's layout.

    IPv4 (RFC 9293 3.1): src, dst, zero, protocol, TCP length. IPv6 (RFC 8200 8.1): src,
    dst, 32-bit upper-layer length, 24 zero bits, next header. Both sum to
    ``sum(addresses) + protocol + length`` for lengths below 65536, which is what this
    returns as bytes; jumbograms add the high half of the length as another word.
    """
    return (
        addresses
        + (protocol.to_bytes(2, "big"))
        + (length & 0xFFFF).to_bytes(2, "big")
        + ((length >> 16).to_bytes(2, "big") if length > 0xFFFF else b"")
    )


def incremental_update(checksum: int, old_word: int, new_word: int) -> int:
    """RFC 1624 eqn. 3: the checksum after one 16-bit word changed from old to new."""
    total = (~checksum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
