"""checksum.py: the RFC 1071 Internet checksum and the RFC 1624 incremental update.

Expected values come from the RFCs' worked examples or from ``reference_checksum`` below, a
word-by-word transcription of RFC 1071 section 4.1 (a loop with end-around carry), which
shares nothing with rawnet's big-integer implementation.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rawnet.wire.checksum import (
    incremental_update,
    internet_checksum,
    ones_complement_sum,
    pseudo_header_sum_bytes,
)


def reference_sum(data: bytes) -> int:
    """RFC 1071 4.1: add 16-bit words, folding each carry back in (odd length: pad with a zero)."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for index in range(0, len(data), 2):
        total += data[index] << 8 | data[index + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def reference_checksum(data: bytes) -> int:
    """RFC 1071: the one's complement of the one's complement sum."""
    return ~reference_sum(data) & 0xFFFF


# -- RFC 1071 -----------------------------------------------------------------------------


def test_rfc1071_numerical_example() -> None:
    # RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (after the carry fold).
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert ones_complement_sum(data) == 0xDDF2
    assert internet_checksum(data) == 0x220D  # ~0xddf2


def test_rfc1071_byte_order_independence_example() -> None:
    # RFC 1071 section 2(B): the sum of byte-swapped words is the byte-swapped sum.
    data = bytes.fromhex("0001f203f4f5f6f7")
    swapped = b"".join(data[i : i + 2][::-1] for i in range(0, len(data), 2))
    assert ones_complement_sum(swapped) == 0xF2DD


def test_odd_length_is_padded_with_a_zero_byte() -> None:
    # RFC 1071 section 4.1: "Add left-over byte, if any" as the high byte of a last word.
    assert ones_complement_sum(b"\x01") == 0x0100
    assert internet_checksum(b"\x01") == 0xFEFF
    assert internet_checksum(b"\x12\x34\x56") == internet_checksum(b"\x12\x34\x56\x00") == 0x97CB


@pytest.mark.parametrize(
    ("data", "total", "checksum"),
    [
        (b"", 0x0000, 0xFFFF),  # nothing to add: +0, complemented to 0xffff
        (bytes(6), 0x0000, 0xFFFF),  # all-zero words: +0 as well
        (b"\xff\xff", 0xFFFF, 0x0000),  # one word of -0
        (b"\xff\xff" * 3, 0xFFFF, 0x0000),  # -0 + -0 + -0 stays -0, never becomes +0
        (b"\x80\x00\x80\x00", 0x0001, 0xFFFE),  # 0x10000 folds its carry back in
        (b"\x00\x01\xff\xfe", 0xFFFF, 0x0000),  # a sum of exactly 0xffff from non-zero words
    ],
)
def test_zero_and_negative_zero_edges(data: bytes, total: int, checksum: int) -> None:
    assert ones_complement_sum(data) == total == reference_sum(data)
    assert internet_checksum(data) == checksum == reference_checksum(data)


def test_checksum_accepts_bytearray_and_memoryview() -> None:
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert internet_checksum(bytearray(data)) == internet_checksum(memoryview(data)) == 0x220D
    assert ones_complement_sum(memoryview(data)[:3]) == reference_sum(data[:3])


@given(st.binary(max_size=200))
def test_checksum_matches_the_rfc1071_loop(data: bytes) -> None:
    assert internet_checksum(data) == reference_checksum(data)
    assert ones_complement_sum(data) == reference_sum(data)


@given(st.binary(min_size=2, max_size=200).filter(lambda data: len(data) % 2 == 0), st.data())
def test_data_with_its_checksum_inserted_sums_to_all_ones(data: bytes, draw: st.DataObject) -> None:
    # RFC 1071 section 1: the receiver sums everything including the checksum and gets all ones.
    at = draw.draw(st.integers(0, len(data) // 2 - 1)) * 2
    blank = data[:at] + b"\0\0" + data[at + 2 :]
    filled = blank[:at] + internet_checksum(blank).to_bytes(2, "big") + blank[at + 2 :]
    assert reference_sum(filled) == 0xFFFF


# -- RFC 1624 -----------------------------------------------------------------------------


def test_rfc1624_example() -> None:
    # RFC 1624 section 4: m = 0x5555 -> m' = 0x3285, HC = 0xdd2f; eqn. 3 gives 0x0000
    # (eqn. 2 of RFC 1141 would give the wrong 0xffff).
    assert incremental_update(0xDD2F, 0x5555, 0x3285) == 0x0000


def test_incremental_update_of_an_ipv4_ttl_decrement() -> None:
    # A header (addresses in 198.18.0.0/15) whose TTL/protocol word goes from 0x4006 to 0x3f06.
    header = bytearray.fromhex("45000054abcd40004006" + "0000" + "c6120001c6120002")
    before = reference_checksum(bytes(header))
    header[8] = 0x3F
    assert incremental_update(before, 0x4006, 0x3F06) == reference_checksum(bytes(header))


@given(
    words=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=40),
    where=st.integers(0, 39),
    new=st.integers(0, 0xFFFF),
)
def test_incremental_update_equals_recomputation(words: list[int], where: int, new: int) -> None:
    where %= len(words)
    old_data = struct.pack(f"!{len(words)}H", *words)
    changed = list(words)
    changed[where] = new
    new_data = struct.pack(f"!{len(changed)}H", *changed)
    # All-zero data is the one case where recomputation gives +0's complement (0xffff) and
    # eqn. 3 gives -0's (0x0000): both mean zero, RFC 1624 section 5 discusses it.
    assume(any(changed))
    updated = incremental_update(internet_checksum(old_data), words[where], new)
    assert updated == reference_checksum(new_data)


# -- pseudo-header and splicing -----------------------------------------------------------

SRC4, DST4 = bytes([198, 18, 0, 1]), bytes([198, 19, 255, 254])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db80000000000000000000000ff")


@given(protocol=st.integers(0, 255), length=st.integers(0, 0xFFFF))
def test_ipv4_pseudo_header_sums_like_rfc9293_layout(protocol: int, length: int) -> None:
    # RFC 9293 3.1: src (4), dst (4), zero (1), PTCL (1), TCP length (2).
    layout = SRC4 + DST4 + bytes([0, protocol]) + length.to_bytes(2, "big")
    assert reference_sum(pseudo_header_sum_bytes(SRC4 + DST4, protocol, length)) == reference_sum(layout)


@given(next_header=st.integers(0, 255), length=st.integers(0, 0xFFFFFFFF))
def test_ipv6_pseudo_header_sums_like_rfc8200_layout(next_header: int, length: int) -> None:
    # RFC 8200 8.1: src (16), dst (16), upper-layer length (4), zero (3), next header (1).
    layout = SRC6 + DST6 + length.to_bytes(4, "big") + bytes(3) + bytes([next_header])
    wire = pseudo_header_sum_bytes(SRC6 + DST6, next_header, length)
    assert reference_sum(wire) == reference_sum(layout)
