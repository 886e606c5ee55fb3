"""Address fields: MAC, IPv4 and IPv6, kept as wire bytes and shown as text.

An address field takes text, wire bytes, or a network (``"198.18.0.0/30"``: a packet set, one
packet per address); it remembers the text of the last addresses it converted, since captures
repeat a few. No I/O, no globals read at run time.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import socket
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from rawnet.wire.fields import Field, Rule, ValueSet
from rawnet.wire.volatile import Volatile


class AddressField(Field[str]):
    """An address kept as wire bytes and shown as text; None is built as ``none_wire``."""

    size: ClassVar[int] = 0
    kind: ClassVar[str] = ""

    def __init__(
        self,
        doc: str,
        default: str | None = None,
        *,
        auto: str | Rule | None = None,
        none: str = "",
        fill: tuple[str, Callable[[bytes | None], bytes | None]] | None = None,
        unset_reads_none: bool = False,
    ) -> None:
        super().__init__(doc, None if default is None else default, auto=auto)
        #: (another field of the header, a function of its stored value giving this address, or
        #: None): what a build puts for a None before ``none_wire``, and what reading it gives.
        self.fill = fill
        #: Whether the field reads None while unset (scapy's Ethernet destination), else what a
        #: build puts.
        self.unset_reads_none = unset_reads_none
        self.fmt = f"{self.size}s"
        self.cache = {}
        self.texts: dict[bytes, str] = {}  # wire -> text, bounded like cache
        self.none_wire = self.to_wire(none) if none else bytes(self.size)
        if default is not None:
            self.default = default

    def fast_check(self, var: str) -> str:
        return f"{var}.__class__ is bytes and _len({var}) == {self.size}"

    def text_of(self, wire: bytes) -> str:
        """The text of an address; captures repeat a few addresses many times, so texts are kept."""
        text = self.texts.get(wire)
        if text is None:
            text = self.to_text(wire)
            if len(self.texts) >= 4096:
                self.texts.clear()
            self.texts[wire] = text
        return text

    def to_wire(self, text: str) -> bytes:
        raise NotImplementedError

    def to_text(self, wire: bytes) -> str:
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes) and len(value) == self.size:
            return value
        if isinstance(value, str):
            try:
                return self.remember(value, self.to_wire(value))
            except (OSError, ValueError):
                network = self.network(value)
                if network is None:
                    raise self.fail(value, f"an {self.kind} address") from None
                return network
        if isinstance(value, list | tuple):
            return self._set_of(value, str(value))
        if isinstance(value, ValueSet | Volatile):
            return value
        raise self.fail(value, f"an {self.kind} address")

    def network(self, text: str) -> ValueSet | None:
        """A set for text naming several addresses (a prefix), else None."""
        return None

    def public(self, stored: Any) -> Any:
        if stored.__class__ is bytes:
            return self.text_of(stored)
        return stored

    def display(self, stored: Any) -> str:
        if stored.__class__ is bytes:
            return self.to_text(stored)
        return super().display(stored)


class MAC(AddressField):
    """An EUI-48 (Ethernet) address, "02:00:00:00:00:01"."""

    size = 6
    kind = "Ethernet (aa:bb:cc:dd:ee:ff)"

    def to_wire(self, text: str) -> bytes:
        parts = text.replace("-", ":").split(":")
        if len(parts) != 6 or not all(1 <= len(part) <= 2 for part in parts):
            raise ValueError(text)
        return bytes.fromhex("".join(part.zfill(2) for part in parts))

    def to_text(self, wire: bytes) -> str:
        return wire.hex(":")


def _inet6_ntoa(wire: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, wire)


class IPv4(AddressField):
    """An IPv4 address, "198.18.0.1"; "198.18.0.0/30" makes a set of the prefix's addresses."""

    size = 4
    kind = "IPv4"

    def to_wire(self, text: str) -> bytes:
        return socket.inet_pton(socket.AF_INET, text)

    to_text = staticmethod(socket.inet_ntoa)  # type: ignore[assignment]

    def network(self, text: str) -> ValueSet | None:
        if "/" not in text:
            return self._octet_ranges(text)
        try:
            net = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            return None
        return ValueSet(self, _PackedAddresses(net), text)

    def _octet_ranges(self, text: str) -> ValueSet | None:
        """scapy's octet ranges: "198.18.0.1-4" (four addresses), "198.18.0-1.*" (512)."""
        octets: list[range] = []
        for part in text.split("."):
            low, dash, high = part.partition("-")
            if part == "*":
                octets.append(range(256))
            elif low.isdigit() and (high.isdigit() if dash else True) and len(low) <= 3 and len(high) <= 3:
                first, last = int(low), int(high) if dash else int(low)
                if not first <= last <= 255:
                    return None
                octets.append(range(first, last + 1))
            else:
                return None
        if len(octets) != 4:
            return None
        return ValueSet(self, _OctetRanges(tuple(octets)), text)


class IPv6(AddressField):
    """An IPv6 address, "2001:db8::1"; a prefix ("2001:db8::/126") makes a set."""

    size = 16
    kind = "IPv6"

    def to_wire(self, text: str) -> bytes:
        return socket.inet_pton(socket.AF_INET6, text)

    to_text = staticmethod(_inet6_ntoa)

    def network(self, text: str) -> ValueSet | None:
        if "/" not in text:
            return None
        try:
            net = ipaddress.IPv6Network(text, strict=False)
        except ValueError:
            return None
        return ValueSet(self, _PackedAddresses(net), text)


class _PackedAddresses:
    """The addresses of a network as wire bytes, produced lazily (a /8 is not a list)."""

    __slots__ = ("_net",)

    def __init__(self, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> None:
        self._net = net

    def __iter__(self) -> Iterator[bytes]:
        return (address.packed for address in self._net)

    def __len__(self) -> int:
        return self._net.num_addresses


class _OctetRanges:
    """The addresses of per-octet ranges as wire bytes, produced lazily (first octet slowest)."""

    __slots__ = ("_octets",)

    def __init__(self, octets: tuple[range, ...]) -> None:
        self._octets = octets

    def __iter__(self) -> Iterator[bytes]:
        return (bytes(address) for address in itertools.product(*self._octets))

    def __len__(self) -> int:
        return math.prod(len(octet) for octet in self._octets)


def valid_ip(address: str) -> bool:
    """scapy's valid_ip: whether ``address`` is IPv4 text (inet_aton's forms, "198.18.0.1")."""
    try:
        socket.inet_aton(address)
    except (OSError, TypeError, ValueError):
        return False
    return True


def valid_ip6(address: str) -> bool:
    """scapy's valid_ip6: whether ``address`` is IPv6 text."""
    try:
        socket.inet_pton(socket.AF_INET6, address)
    except (OSError, TypeError, ValueError):
        return False
    return True


def valid_mac(address: str) -> bool:
    """scapy's valid_mac: whether ``address`` is a MAC address ("02:00:00:00:00:01")."""
    try:
        return len(MAC.to_wire(MAC("mac"), address)) == 6
    except (TypeError, ValueError):
        return False
