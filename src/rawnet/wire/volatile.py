"""Random field values drawn again at each build (scapy's RandShort(), RandIP("198.18.0.0/16")...).

A field given one of these keeps it; every ``bytes(pkt)`` draws a new value for it (the packet
itself is not changed), and reading the field draws one too. Pure: the draws come from Python's
``random`` module, which a caller seeds (``random.seed``) for repeatable streams.
"""

from __future__ import annotations

import ipaddress
import random
import string
from typing import Any


class Volatile:
    """A value drawn anew each time it is used; ``draw()`` gives one."""

    __slots__ = ()

    def draw(self) -> Any:
        """One value."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _state(self) == _state(other)

    __hash__ = None  # type: ignore[assignment]


def _state(value: Volatile) -> tuple[Any, ...]:
    return tuple(
        getattr(value, name) for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())
    )


class RandNum(Volatile):
    """An integer from ``min`` to ``max``, both included."""

    __slots__ = ("max", "min")

    def __init__(self, min: int, max: int) -> None:
        if min > max:
            raise ValueError(f"RandNum({min}, {max}): min is above max")
        self.min, self.max = min, max

    def draw(self) -> int:
        return random.randint(self.min, self.max)

    def __int__(self) -> int:
        return self.draw()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.min}..{self.max}>"


class RandByte(RandNum):
    """0..255."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0, 2**8 - 1)


class RandShort(RandNum):
    """0..65535."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0, 2**16 - 1)


class RandInt(RandNum):
    """0..2**32-1."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0, 2**32 - 1)


class RandLong(RandNum):
    """0..2**64-1."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0, 2**64 - 1)


class _RandAddress(Volatile):
    """An address of a network, as text."""

    __slots__ = ("network",)
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def draw(self) -> str:
        offset = random.randrange(self.network.num_addresses)
        return str(self.network.network_address + offset)

    def __str__(self) -> str:
        return self.draw()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.network}>"


class RandIP(_RandAddress):
    """An IPv4 address of a network (the whole space by default), as text."""

    __slots__ = ()

    def __init__(self, iptemplate: str = "0.0.0.0/0") -> None:
        self.network = ipaddress.IPv4Network(iptemplate, strict=False)


class RandIP6(_RandAddress):
    """An IPv6 address of a network (the whole space by default), as text."""

    __slots__ = ()

    def __init__(self, ip6template: str = "::/0") -> None:
        self.network = ipaddress.IPv6Network(ip6template, strict=False)


class RandMAC(Volatile):
    """A MAC address; a template fixes some bytes ("02:00:*:*:*:*", "*" drawn)."""

    __slots__ = ("template",)

    def __init__(self, template: str = "*:*:*:*:*:*") -> None:
        parts = template.replace("-", ":").split(":")
        parts += ["*"] * (6 - len(parts))
        if len(parts) != 6 or not all(part == "*" or 1 <= len(part) <= 2 for part in parts):
            raise ValueError(f"RandMAC({template!r}): six parts of hex digits or '*'")
        for part in parts:
            if part != "*":
                int(part, 16)
        self.template = tuple(parts)

    def draw(self) -> str:
        return ":".join(
            f"{random.randrange(256):02x}" if part == "*" else part.zfill(2) for part in self.template
        )

    def __str__(self) -> str:
        return self.draw()


class RandString(Volatile):
    """``size`` bytes (a random size up to 1000 by default) of ``chars`` (letters and digits)."""

    __slots__ = ("chars", "size")

    def __init__(
        self, size: int | None = None, chars: bytes = (string.ascii_letters + string.digits).encode()
    ) -> None:
        self.size, self.chars = size, chars

    def draw(self) -> bytes:
        size = random.randint(0, 1000) if self.size is None else self.size
        return bytes(random.choice(self.chars) for _ in range(size))

    def __bytes__(self) -> bytes:
        return self.draw()


class RandBin(RandString):
    """``size`` random bytes."""

    __slots__ = ()

    def __init__(self, size: int | None = None) -> None:
        super().__init__(size, bytes(range(256)))


class RandChoice(Volatile):
    """One of the values given."""

    __slots__ = ("values",)

    def __init__(self, *values: Any) -> None:
        if not values:
            raise ValueError("RandChoice() needs at least one value")
        self.values = values

    def draw(self) -> Any:
        return random.choice(self.values)
