"""Type-length-value option lists, as IPv4, TCP and IPv6's option headers share them.

The formats differ only in which kinds are a single byte (EOL and NOP, or Pad1), whether an
EOL ends the list, and whether the length byte counts the two header bytes. The walk checks
every length against the end of the header, so a zero or short length can never loop.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from rawnet.errors import MalformedError, TruncatedError


def walk(
    layer: str,
    buf: bytes,
    offset: int,
    end: int,
    *,
    word: str,
    single: Sequence[int],
    eol: int | None,
    length_counts_header: bool,
) -> Iterator[tuple[int, bytes | None]]:
    """(kind, data) for each option in ``buf[offset:end]``: data is None for a single-byte kind;
    after an EOL it is the rest of the option space and the walk stops.

    ``word`` names an option in errors ("option kind" for TCP: "tcp at offset 20: option kind 2
    length 0 < 2").
    """
    at = offset
    while at < end:
        kind = buf[at]
        if kind == eol:
            yield kind, buf[at + 1 : end]
            return
        if kind in single:
            yield kind, None
            at += 1
            continue
        if at + 1 >= end:
            raise TruncatedError(layer, at, f"{word} {kind} has no length byte")
        length = buf[at + 1]
        size = length if length_counts_header else length + 2
        if size < 2:
            raise MalformedError(layer, at, f"{word} {kind} length {length} < 2")
        if at + size > end:
            raise TruncatedError(layer, at, f"{word} {kind} length {length} runs past the header")
        yield kind, buf[at + 2 : at + size]
        at += size


def frozen(value: Any) -> Any:
    """``value`` as an immutable value: lists and tuples as tuples (deeply), bytearrays as bytes."""
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def check_pairs(
    value: Any,
    known: Mapping[str, int],
    encode: Callable[[Sequence[Any]], bytes],
    room: int,
    where: str,
    number: str,
) -> tuple[tuple[Any, Any], ...]:
    """Options given as scapy's (name, value) pairs, checked: known names or numbers 0..255,
    values that encode, and no more than ``room`` bytes in all (``where`` names the header)."""
    options = tuple(tuple(option) for option in value)
    for option in options:
        if len(option) != 2:
            raise ValueError(f"an option is a (name, value) pair, got {option!r}")
    # Kept as immutable values (lists become tuples): a later change to the list the user gave
    # would not be seen by a packet that keeps its last frame.
    options = tuple((name, frozen(option_value)) for name, option_value in options)
    for option in options:
        name = option[0]
        if not (name in known or (isinstance(name, int) and 0 <= name <= 255)):
            raise ValueError(f"unknown option {name!r}: use one of {sorted(known)} or a {number} number")
    try:
        size = len(encode(options))
    except (struct.error, TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"bad option value: {error}") from None
    if size > room:
        raise ValueError(f"options take {size} bytes, {where} has room for {room}")
    return options
