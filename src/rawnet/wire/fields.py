"""Typed header fields: the declarative part of every protocol class.

A field is a descriptor on a Layer class. Instances keep every field's value in one list
(``layer._v``) in its *stored* form: ints for numbers and flags, wire bytes for addresses,
plain Python objects for variable parts. A field converts user values (text addresses,
flag strings, ranges, lists, networks) into that form and back. No I/O, no globals.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from rawnet.errors import FieldValueError
from rawnet.wire.volatile import Volatile

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

T = TypeVar("T")

#: Kinds of automatic fields: a value of None is computed at build.
LENGTH = "length"  #: a length; verify() checks it
CHECKSUM = "checksum"  #: a checksum; verify() checks it
NEXT = "next"  #: the number naming the next layer (ethertype, protocol, next header)
FILL = "fill"  #: filled from the surroundings (an address a socket knows); a fixed value otherwise


class ValueSet:
    """A field holding several values (a range, a list, a network): the packet is a set.

    Iterating gives the field's public values; ``stored()`` gives them in stored form.
    """

    __slots__ = ("_field", "_source", "_text")

    def __init__(self, field: Field[Any], source: Iterable[Any], text: str) -> None:
        self._field = field
        self._source = source
        self._text = text

    def stored(self) -> Iterator[Any]:
        """The values in the form the layer stores (ints, wire bytes)."""
        return iter(self._source)

    def __iter__(self) -> Iterator[Any]:
        public = self._field.public
        return (public(value) for value in self._source)

    def __len__(self) -> int:
        return len(self._source)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ValueSet):
            return list(self.stored()) == list(other.stored())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ValueSet({self._text})"


# What each kind of field takes (the constructors' types, signatures.py): a value, a set (a
# (low, high) range, a list, a range), a random value drawn at each build, or None (computed, or 0).
IntValue = int | tuple[int, int] | list[Any] | range | ValueSet | Volatile | None
NamedValue = int | str | tuple[int, int] | list[Any] | range | ValueSet | Volatile | None
FlagsValue = int | str | tuple[int, int] | list[Any] | range | ValueSet | Volatile | None
AddressValue = str | bytes | list[Any] | tuple[Any, ...] | ValueSet | Volatile | None
BytesValue = bytes | bytearray | Volatile | None


class Length:
    """Rule of a LENGTH field: the size of what it covers, divided by ``scale``, plus ``bias``.

    ``of``: "header" (this layer's header, options included: IPv4 IHL, TCP data offset),
    "payload" (what follows the header: IPv6 Payload Length) or "all" (header and payload:
    IPv4 Total Length, UDP Length). Padding after a layer is never counted. Decoding uses the
    same rule to find where a header, or a layer, ends.
    """

    kind = "length"

    def __init__(self, of: str = "all", *, scale: int = 1, bias: int = 0) -> None:
        if of not in ("header", "payload", "all"):
            raise ValueError(f"Length(of=...) is 'header', 'payload' or 'all', got {of!r}")
        self.of, self.scale, self.bias = of, scale, bias

    def value(self, header: int, payload: int) -> int:
        """The field's value for a header and payload of these sizes."""
        size = header if self.of == "header" else payload if self.of == "payload" else header + payload
        return size // self.scale + self.bias


class Checksum:
    """Rule of a CHECKSUM field: the Internet checksum (RFC 1071) over ``over``.

    ``over``: "header" (IPv4) or "all" (the layer and everything it carries: TCP, UDP, ICMP).
    ``pseudo``: the protocol number of the network layer's pseudo-header, for checksums that
    cover one (TCP 6, UDP 17, ICMPv6 58); None for none. ``zero``: what a computed 0 is sent
    as (UDP sends 0xFFFF, RFC 768: 0 means "no checksum").
    """

    kind = "checksum"

    def __init__(self, over: str = "all", *, pseudo: int | None = None, zero: int = 0) -> None:
        if over not in ("header", "all"):
            raise ValueError(f"Checksum(over=...) is 'header' or 'all', got {over!r}")
        self.over, self.pseudo, self.zero = over, pseudo, zero


class Next:
    """Rule of a NEXT field: the number ``space`` (registry.py) gives the payload's class.

    ``default`` when the payload has no number there (Raw data, no payload).
    """

    kind = "next"

    def __init__(self, space: str, default: int = 0) -> None:
        self.space, self.default = space, default


class FromPayload:
    """Rule of a field whose default the payload's class may change (scapy's overload_fields):
    a None is built as what the payload's class gives for the field's name in its ``carrier``
    table, else as ``default``. IPv6's hop limit is 255 and its destination ff02::1 under a
    Neighbour Discovery message (RFC 4861 section 7.1.1), 64 and ::1 under anything else.
    """

    kind = "next"  # computed at build from the payload, like a Next field; never checked

    def __init__(self, default: Any) -> None:
        self.default = default
        self._stored: dict[tuple[type, str], Any] = {}

    def value(self, field: Field[Any], payload: type | None) -> Any:
        """The stored value a None of ``field`` is built as, under a payload of class ``payload``."""
        key = (payload or type(None), field.name)
        stored = self._stored.get(key)
        if stored is None:
            carrier = getattr(payload, "carrier", {}) if payload is not None else {}
            stored = self._stored[key] = field.convert(carrier.get(field.name, self.default))
        return stored


Rule = Length | Checksum | Next | FromPayload


class Field(Generic[T]):
    """One header field: name, documentation (the RFC's name), default, width, conversion.

    ``fmt`` is its struct code in the fixed header ("B", "H", "I", "4s", ...), or "" for a
    field outside the fixed header (options, variable parts), or the bit width for a
    bit field (``bits``). ``auto`` says who fills a None: a rule (Length, Checksum, Next),
    which builders and the stack codecs follow, or one of LENGTH, CHECKSUM, NEXT, FILL for a
    field its protocol computes by hand. ``must``: the only value a decoder accepts (IPv4's
    version 4).

    When its class is created, the compiler gives the field its place (``index`` in the
    values list; ``offset``, ``span`` and ``shift`` in the fixed header) and puts a generated
    property on the class in its stead: reading and setting ``pkt.ttl`` run that property.
    """

    fmt: str = ""
    name: str
    index: int
    owner: str

    #: Reads this field's public value straight from a decoded view's buffer (compiled by Layer);
    #: None: the view must be unpacked.
    read: Callable[[bytes, int], Any] | None = None
    #: Byte offset in the fixed header of a byte-aligned field (None: a bit field or a variable part).
    offset: int | None = None
    #: The bytes of the fixed header holding the field (None for a variable part).
    span: range | None = None
    #: Right shift of the field's bits within the struct item holding them.
    shift: int = 0

    def __init__(
        self, doc: str, default: Any = None, *, auto: str | Rule | None = None, must: Any = None
    ) -> None:
        self.doc = doc
        self.default = default
        self.rule: Rule | None = None if auto is None or isinstance(auto, str) else auto
        self.auto: str | None = auto if auto is None or isinstance(auto, str) else auto.kind
        self.must = must
        self.bits = 0
        self.index = -1
        self.owner = "?"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner.__name__

    # For type checkers only: the compiler replaces the field on its class by a property.
    @overload
    def __get__(self, layer: None, owner: type) -> Field[T]: ...
    @overload
    def __get__(self, layer: Layer, owner: type) -> T: ...
    def __get__(self, layer: Layer | None, owner: type) -> Any:
        if layer is None:
            return self
        raise TypeError(f"{self.owner}.{self.name} was not compiled: its class is not a Layer")

    def __set__(self, layer: Layer, value: Any) -> None:
        raise TypeError(f"{self.owner}.{self.name} was not compiled: its class is not a Layer")

    # -- conversions, overridden by the typed fields below --------------------------------
    def convert(self, value: Any) -> Any:
        """User value -> stored value; raises FieldValueError naming the field."""
        return value

    def public(self, stored: Any) -> Any:
        """Stored value -> what the user reads."""
        return stored

    def display(self, stored: Any) -> str:
        """Stored value -> text for show()."""
        if stored is None:
            return "None"
        if isinstance(stored, ValueSet):
            return repr(stored)
        return repr(self.public(stored))

    #: Text -> stored value for fields whose conversion parses text (addresses, flag letters).
    cache: dict[str, Any] | None = None

    def fast_check(self, var: str) -> str:
        """Python source of a cheap test that ``var`` is already in stored form."""
        return "False"

    def remember(self, text: str, stored: Any) -> Any:
        """Keep a parsed text in the field's bounded cache; returns ``stored``."""
        cache = self.cache
        if cache is not None:
            if len(cache) >= 4096:
                cache.clear()
            cache[text] = stored
        return stored

    def fail(self, value: Any, expected: str) -> FieldValueError:
        """The error for a value this field cannot hold."""
        return FieldValueError(f"{self.owner}.{self.name} must be {expected}, got {value!r}")

    def _set_of(self, values: Iterable[Any], text: str) -> ValueSet:
        """A set of the values given, each a value or a set itself (``[1, 2, (5, 9)]``: seven)."""
        stored: list[Any] = []
        for value in values:
            one = self.convert(value)
            if isinstance(one, ValueSet):
                stored += one.stored()
            else:
                stored.append(one)
        return ValueSet(self, stored, text)

    def _range(self, value: tuple[Any, ...], maximum: int) -> ValueSet:
        """scapy's tuple ``(low, high)``: every value from low to high, both included."""
        if len(value) != 2 or not all(isinstance(end, int) and not isinstance(end, bool) for end in value):
            raise self.fail(value, "a (low, high) tuple of ints: the range from low to high, both included")
        low, high = value
        if low < 0 or high > maximum:
            raise self.fail(value, f"a range within 0..{maximum}")
        return ValueSet(self, range(low, high + 1), f"{low}..{high}")


class UInt(Field[int]):
    """An unsigned integer of ``bits`` bits (8, 16, 32, or a bit field), big-endian.

    ``names`` lets it take names too, as scapy's enum fields do (``op="who-has"``); ``labels``
    (number -> name) is what show() prints beside the number; ``enum`` supplies both names
    and labels from a TotalEnum (unknown numbers are shown as such).
    """

    _codes: ClassVar[dict[int, str]] = {8: "B", 16: "H", 32: "I"}

    def __init__(
        self,
        bits: int,
        doc: str,
        default: int | None = 0,
        *,
        auto: str | Rule | None = None,
        must: int | None = None,
        enum: type[enum.IntEnum] | None = None,
        hex: bool = False,
        names: Mapping[str, int] | None = None,
        labels: Mapping[int, str] | None = None,
    ) -> None:
        super().__init__(doc, default, auto=auto, must=must)
        self.bits = bits
        self.fmt = self._codes.get(bits, "")
        self.maximum = (1 << bits) - 1
        self.enum = enum
        self.hex = hex
        self.names = dict(names or {})
        for member in enum or ():  # an enum's names too, as written and in lower case ("tcp", as scapy)
            self.names.setdefault(member.name, member.value)
            self.names.setdefault(member.name.lower(), member.value)
        self.labels = dict(labels or {})
        for number, label in self.labels.items():  # a label is a name it takes too ("tcp")
            self.names.setdefault(label, number)

    def fast_check(self, var: str) -> str:
        return f"{var}.__class__ is int and 0 <= {var} <= {self.maximum}"

    def convert(self, value: Any) -> Any:
        if value is None:  # computed at build; a field nothing computes is sent as 0 (as scapy does)
            return None if self.auto else 0
        if isinstance(value, str) and self.names:
            number = self.names.get(value)
            if number is None:
                names = list(self.names)
                known = f"one of {', '.join(names)}" if len(names) <= 8 else f"a name such as {names[0]!r}"
                raise self.fail(value, f"0..{self.maximum} or {known}")
            return number
        if isinstance(value, bool):
            raise self.fail(value, f"0..{self.maximum}")
        if isinstance(value, int):
            if 0 <= value <= self.maximum:
                return int(value)
            raise self.fail(value, f"0..{self.maximum}")
        if isinstance(value, range):
            if len(value) and (min(value) < 0 or max(value) > self.maximum):
                raise self.fail(value, f"0..{self.maximum}")
            return ValueSet(self, value, f"{value.start}..{value.stop - 1}")
        if isinstance(value, tuple):
            return self._range(value, self.maximum)
        if isinstance(value, list | set | frozenset):
            return self._set_of(sorted(value) if isinstance(value, set | frozenset) else value, str(value))
        if isinstance(value, ValueSet):
            return value
        if isinstance(value, Volatile):
            low, high = getattr(value, "min", 0), getattr(value, "max", 0)
            if isinstance(low, int) and isinstance(high, int) and (low < 0 or high > self.maximum):
                raise self.fail(value, f"a random value within 0..{self.maximum}")
            return value
        raise self.fail(value, f"an int 0..{self.maximum}")

    def display(self, stored: Any) -> str:
        if stored.__class__ is not int:
            return super().display(stored)
        text = f"0x{stored:x}" if self.hex else str(stored)
        label = self.labels.get(stored)
        if label is not None:
            return f"{label} ({text})"
        if self.enum is not None:
            try:
                return f"{self.enum(stored).name} ({text})"
            except ValueError:
                return f"{text} (unknown)"
        return text


class FlagValue(int):
    """Flags read back from a layer: an int that also compares equal to its letters.

    ``TCP(flags="SA").flags == "SA" == 0x12``; ``str()`` gives the letters, in bit order.
    """

    names: ClassVar[tuple[str, ...]] = ()
    joiner: ClassVar[str] = ""

    @classmethod
    def parse(cls, text: str) -> int:
        """Letters (or "+"-joined names) -> the int; ValueError on an unknown name."""
        names = cls.names
        parts = (text.split("+") if cls.joiner else list(text)) if text else []
        value = 0
        for part in parts:
            if not part:
                continue
            if part not in names:
                raise ValueError(part)
            value |= 1 << names.index(part)
        return value

    def __str__(self) -> str:
        names = self.names
        shown = [names[bit] for bit in range(len(names)) if self >> bit & 1]
        extra = int(self) >> len(names)
        if extra:
            shown.append(hex(extra << len(names)))
        return (self.joiner or "").join(shown) if shown else ""

    def __repr__(self) -> str:
        return f"<Flag {int(self)} ({self})>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return int(self) == self.parse(other)
            except ValueError:
                return False
        return int.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = int.__hash__

    def __contains__(self, name: str) -> bool:
        try:
            bits = self.parse(name)
        except ValueError:
            return False
        return bool(bits) and (int(self) & bits) == bits

    def __getattr__(self, name: str) -> bool:
        if name in self.names:
            return bool(int(self) >> self.names.index(name) & 1)
        raise AttributeError(name)


class Flags(Field[FlagValue]):
    """A bit field of named flags; set from an int or a string (letters, or names with +)."""

    def __init__(self, bits: int, names: Sequence[str], doc: str, default: int = 0) -> None:
        super().__init__(doc, default)
        self.bits = bits
        self.fmt = UInt._codes.get(bits, "")
        self.maximum = (1 << bits) - 1
        self.cache = {}
        joiner = "" if all(len(name) == 1 for name in names) else "+"
        self.flag_class: type[FlagValue] = type(
            "FlagValue", (FlagValue,), {"names": tuple(names), "joiner": joiner, "__slots__": ()}
        )

    def fast_check(self, var: str) -> str:
        return f"{var}.__class__ is int and 0 <= {var} <= {self.maximum}"

    def convert(self, value: Any) -> Any:
        if value is None:
            return 0  # (as scapy sends it)
        if isinstance(value, str):
            try:
                return self.remember(value, self.flag_class.parse(value))
            except ValueError as error:
                letters = self.flag_class.joiner.join(self.flag_class.names)
                raise self.fail(value, f"flags from {letters!r} or an int") from error
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value <= self.maximum:
                return int(value)
            raise self.fail(value, f"0..{self.maximum}")
        if isinstance(value, tuple):
            return self._range(value, self.maximum)
        if isinstance(value, list | range):
            return self._set_of(value, str(value))
        if isinstance(value, ValueSet | Volatile):
            return value
        raise self.fail(value, "flag letters or an int")

    def public(self, stored: Any) -> Any:
        if stored.__class__ is int:
            return self.flag_class(stored)
        return stored

    def display(self, stored: Any) -> str:
        if stored.__class__ is int:
            return f"{self.flag_class(stored)} (0x{stored:x})" if stored else "0"
        return super().display(stored)


class FixedBytes(Field[bytes]):
    """A run of ``size`` bytes in the fixed header, kept and shown as bytes (shorter input is zero-padded)."""

    def __init__(self, size: int, doc: str, default: bytes | None = None) -> None:
        super().__init__(doc, bytes(size) if default is None else default)
        self.size = size
        self.fmt = f"{size}s"

    def fast_check(self, var: str) -> str:
        return f"{var}.__class__ is bytes and _len({var}) == {self.size}"

    def convert(self, value: Any) -> Any:
        if value is None or isinstance(value, Volatile):
            return value
        if isinstance(value, bytes | bytearray) and len(value) <= self.size:
            return bytes(value).ljust(self.size, b"\0")
        raise self.fail(value, f"at most {self.size} bytes")


class Var(Field[T]):
    """A field outside the fixed header (options, addresses of odd size, a data part).

    ``converter`` checks and normalises a user value (raising ValueError with a reason);
    ``shower`` renders it for show().
    """

    def __init__(
        self,
        doc: str,
        default: Any = None,
        *,
        converter: Callable[[Any], Any] | None = None,
        shower: Callable[[Any], str] | None = None,
        auto: str | Rule | None = None,
    ) -> None:
        super().__init__(doc, default, auto=auto)
        self.converter = converter
        self.shower = shower

    def convert(self, value: Any) -> Any:
        if value is None or self.converter is None or isinstance(value, Volatile):
            return value
        try:
            return self.converter(value)
        except (ValueError, TypeError) as error:
            raise FieldValueError(f"{self.owner}.{self.name}: {error}") from None

    def display(self, stored: Any) -> str:
        if self.shower is not None and stored is not None:
            return self.shower(stored)
        return super().display(stored)


class FrozenList(tuple[Any, ...]):
    """What a list field reads as: immutable like a tuple (change it by setting the field anew),
    yet equal to a list of the same items and shown as one, as scapy's users compare and print
    options (``p[TCP].options == [("MSS", 1460)]``); ``+`` with a list gives a new FrozenList."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__

    def __add__(self, other: Any) -> FrozenList:
        return FrozenList(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> FrozenList:
        return FrozenList(tuple(other) + tuple(self))

    def __repr__(self) -> str:
        return repr(list(self))


class ListVar(Var[T]):
    """A Var holding a sequence (options, addresses): stored as a tuple, read as a FrozenList.

    ``copied``: whether scapy's default is a list, which scapy copies into ``pkt.fields`` (IP
    options, extension header options and addresses; not TCP's options), so ``fields`` lists it.
    """

    def __init__(self, doc: str, default: Any = None, *, copied: bool = True, **options: Any) -> None:
        super().__init__(doc, default, **options)
        self.copied = copied

    def public(self, stored: Any) -> Any:
        if stored.__class__ is tuple:
            return FrozenList(stored)
        if isinstance(stored, list):
            return FrozenList(stored)
        return stored


def check_bytes(value: Any) -> bytes:
    """Converter for a raw data field: bytes-like or text (UTF-8)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"expected bytes, got {type(value).__name__}")


def uint(bits: int) -> Callable[[Any], int]:
    """Converter for a Var holding an unsigned number of ``bits`` bits (one the header compiler
    cannot lay out: optional, or of an odd width after others)."""

    def convert(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
            raise ValueError(f"must be an int in 0..{(1 << bits) - 1}, got {value!r}")
        return value

    return convert
