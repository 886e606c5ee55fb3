"""The one table that says which layer follows which number (gopacket's enums table).

A protocol module registers itself under the numbers that announce it (an EtherType, an
IP protocol number); decoders look the next layer up here and builders look the number
up in reverse. Registering a number twice is a programming error and raises at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

ETHERTYPE = "ethertype"  #: IEEE EtherType: Ethernet II and 802.1Q "type"
IP_PROTOCOL = "ip-protocol"  #: IANA protocol numbers: IPv4 "proto", IPv6 "nh"


class Registry:
    """Number spaces, each a two-way map between numbers and layer classes."""

    def __init__(self) -> None:
        self._by_number: dict[str, dict[int, type[Layer]]] = {}
        self._by_class: dict[str, dict[type[Layer], int]] = {}

    def register(self, space: str, number: int, layer: type[Layer]) -> None:
        """Make ``layer`` the decoder of ``number`` in ``space`` (and the number it builds with)."""
        numbers = self._by_number.setdefault(space, {})
        if number in numbers:
            raise ValueError(f"{space} {number:#x} is already registered to {numbers[number].__name__}")
        numbers[number] = layer
        self._by_class.setdefault(space, {}).setdefault(layer, number)

    def lookup(self, space: str, number: int) -> type[Layer] | None:
        """The layer class registered for ``number``, or None."""
        return self._by_number.get(space, {}).get(number)

    def number(self, space: str, layer: type[Layer]) -> int | None:
        """The number that announces ``layer`` (or the nearest registered base class), or None."""
        numbers = self._by_class.get(space, {})
        number = numbers.get(layer)
        if number is None:
            for base in layer.__mro__[1:]:
                number = numbers.get(base)
                if number is not None:
                    break
        return number

    def number_for(self, space: str, payload: Layer | None, default: int) -> int:
        """The number that announces the layer ``payload`` (builders fill NEXT fields with it);
        ``default`` for no payload, or one the space does not know (Raw data, ...)."""
        if payload is None:
            return default
        number = self._by_class.get(space, {}).get(payload.__class__)
        if number is None:
            number = self.number(space, payload.__class__)  # a subclass of a registered layer
        return default if number is None else number

    def table(self, space: str) -> dict[int, type[Layer]]:
        """The live number -> class map of a space (decoders index it directly)."""
        return self._by_number.setdefault(space, {})


#: The registry the protocol modules fill when rawnet.wire is imported.
LAYERS = Registry()

#: Fused decoders for common stacks, by the class a decode starts with (see fastpath.py): each
#: returns the decoded stack, or None for anything not plainly of its shape.
FAST_DECODERS: dict[type[Layer], Callable[[bytes], Layer | None]] = {}

#: Fused builders, by the class of the outermost layer: each returns the bytes of a stack of its
#: shape, or None for anything else (which the per-layer builders then build).
FAST_BUILDERS: dict[type[Layer], Callable[[Layer], bytes | None]] = {}
