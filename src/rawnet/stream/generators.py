"""Field generators of packet streams: the value each frame index gives a field, in bulk.

A generator is a recipe (``Counter``, ``Random``, ``RandomNetwork``, ``Cycle``, ``Values``); bound to
a field it becomes a ``Column``: ``values(start, n)`` gives frames start..start+n-1 their values at
once, as a numpy array (uint64, one per frame, for a field of up to 64 bits; uint8 rows of the
field's big-endian bytes for wider ones, IPv6 addresses). A value depends only on the frame index
(and the seed), never on which blocks were asked before, so workers may take disjoint slices.

Randomness is counter-based: frame i's value is drawn from numpy's Philox generator keyed by the
seed (through SeedSequence) whose counter starts at the index of i's block of ``BLOCK`` frames
(word 2 of Philox's 256-bit counter: a block's draws never reach it), so a block is the same
however it is reached. Rules: no I/O, no global state (a column keeps at most its last block).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import numpy as np

from rawnet.errors import InputError
from rawnet.wire.fields import Field, ValueSet
from rawnet.wire.volatile import Volatile

__all__ = [
    "BLOCK",
    "Column",
    "Counter",
    "Cycle",
    "FieldSpec",
    "Generator",
    "Random",
    "RandomNetwork",
    "TableColumn",
    "Values",
]

#: Frames per block of random draws: frame i's random value comes from block i // BLOCK.
BLOCK = 1024
_U64 = np.uint64
_NARROW = 64  #: fields of up to this many bits are uint64 columns; wider ones rows of bytes


class FieldSpec:
    """What a generator needs to know of the field it is bound to: its name, width and values."""

    def __init__(self, label: str, field: Field[Any], bits: int, stored_bytes: bool) -> None:
        self.label = label  #: "TCP.seq", for messages
        self.field = field
        self.bits = bits
        self.stored_bytes = stored_bytes  #: the layer stores the value as bytes (addresses)
        self.maximum = (1 << bits) - 1

    def number(self, value: Any, what: str = "value") -> int:
        """A user's value as the unsigned number its bits hold: an int, or what the field takes
        ("198.18.0.5", "02:00:00:00:00:01", a name such as "tcp")."""
        if isinstance(value, bool):
            raise InputError(f"{self.label}: {what} {value!r} is not a number")
        if isinstance(value, int | np.integer):
            number = int(value)
        else:
            try:
                stored = self.field.convert(value)
            except (ValueError, TypeError) as error:
                raise InputError(f"{self.label}: {what} {value!r}: {error}") from None
            if stored is None or isinstance(stored, ValueSet | Volatile):
                raise InputError(f"{self.label}: {what} {value!r} is not one value")
            number = int.from_bytes(stored, "big") if isinstance(stored, bytes) else int(stored)
        if not 0 <= number <= self.maximum:
            raise InputError(f"{self.label}: {what} {value!r} is too wide for {self.bits} bits")
        return number

    def stored(self, number: int) -> Any:
        """The value a layer stores for ``number`` (bytes for an address, else the int)."""
        return number.to_bytes(self.bits // 8, "big") if self.stored_bytes else number


class Column:
    """A generator bound to one field: the values of any run of frame indexes, in bulk."""

    bits: int
    #: How many frames the column has values for (Values); None: any index.
    count: int | None = None

    def values(self, start: int, n: int) -> np.ndarray:
        """Frames start..start+n-1: uint64 (n,) for fields up to 64 bits, else uint8 (n, bits // 8)."""
        raise NotImplementedError

    def value(self, index: int) -> int:
        """Frame ``index``'s value as a Python int."""
        column = self.values(index, 1)
        if column.ndim == 1:
            return int(column[0])
        return int.from_bytes(column[0].tobytes(), "big")


class Generator:
    """A recipe for a field's value per frame; ``bind`` checks it against the field."""

    def bind(self, spec: FieldSpec) -> Column:
        """The column of this generator's values for the field ``spec`` describes."""
        raise NotImplementedError


def ints_to_column(numbers: Sequence[int], bits: int) -> np.ndarray:
    """Python ints as a column: uint64 for up to 64 bits, else rows of big-endian bytes."""
    if bits <= _NARROW:
        return np.array(numbers, dtype=_U64).reshape(len(numbers))
    size = bits // 8
    data = b"".join(number.to_bytes(size, "big") for number in numbers)
    return np.frombuffer(data, dtype=np.uint8).reshape(len(numbers), size).copy()


def _indexes(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=_U64)


def _check_range(start: int, n: int) -> None:
    if start < 0 or n < 0:
        raise InputError(f"frames {start}..{start + n - 1}: the start and the number are not negative")


# -- Counter --------------------------------------------------------------------------------


class Counter(Generator):
    """value(i) = (start + i * step) mod wrap; ``wrap`` defaults to 2**bits of the field.

    ``start`` may be given as the field takes it ("198.18.0.1", a MAC); ``step`` may be negative.
    """

    def __init__(self, start: Any = 0, step: int = 1, wrap: int | None = None) -> None:
        if isinstance(step, bool) or not isinstance(step, int):
            raise InputError(f"Counter: step must be an int, got {step!r}")
        if wrap is not None and (isinstance(wrap, bool) or not isinstance(wrap, int) or wrap < 1):
            raise InputError(f"Counter: wrap must be a positive int, got {wrap!r}")
        self.start, self.step, self.wrap = start, step, wrap

    def bind(self, spec: FieldSpec) -> Column:
        start = spec.number(self.start, "start")
        wrap = (1 << spec.bits) if self.wrap is None else self.wrap
        if wrap > 1 << spec.bits:
            raise InputError(f"{spec.label}: Counter wrap {wrap} is too wide for {spec.bits} bits")
        return _CounterColumn(spec.bits, start, self.step, wrap)

    def __repr__(self) -> str:
        return f"Counter({self.start!r}, step={self.step}, wrap={self.wrap})"


class _CounterColumn(Column):
    def __init__(self, bits: int, start: int, step: int, wrap: int) -> None:
        self.bits, self.start, self.step, self.wrap = bits, start, step, wrap

    def values(self, start: int, n: int) -> np.ndarray:
        _check_range(start, n)
        wrap, first, step = self.wrap, self.start % self.wrap, self.step % self.wrap
        if self.bits <= _NARROW and wrap <= 1 << 32:  # (i mod wrap) * step < 2**64: exact in uint64
            w = _U64(wrap)
            return (_U64(first) + (_indexes(start, n) % w) * _U64(step)) % w
        if self.bits <= _NARROW and wrap & (wrap - 1) == 0:  # a power of two: uint64 wraps with it
            return (_U64(first) + _indexes(start, n) * _U64(step)) & _U64(wrap - 1)
        # wider: Python's ints (IPv6 counters, odd moduli above 2**32)
        return ints_to_column([(first + (start + k) * step) % wrap for k in range(n)], self.bits)


# -- Random and RandomNetwork ---------------------------------------------------------------


def _key(seed: int | None) -> np.ndarray:
    entropy = np.random.SeedSequence(seed)
    return entropy.generate_state(2, _U64)


def _block_generator(key: np.ndarray, block: int) -> np.random.Generator:
    """Block ``block``'s generator: Philox keyed by the seed, its counter at the block's index."""
    counter = np.array([0, 0, block, 0], dtype=_U64)
    return np.random.Generator(np.random.Philox(counter=counter, key=key))


class _BlockColumn(Column):
    """A column drawn block by block (BLOCK frames each), the last block kept."""

    def __init__(self, bits: int, seed: int | None) -> None:
        self.bits = bits
        self.key = _key(seed)
        self._last: tuple[int, np.ndarray] | None = None

    def draw(self, generator: np.random.Generator) -> np.ndarray:
        """The values of one block, from its generator."""
        raise NotImplementedError

    def block(self, number: int) -> np.ndarray:
        last = self._last
        if last is not None and last[0] == number:
            return last[1]
        values = self.draw(_block_generator(self.key, number))
        self._last = (number, values)  # (one assignment: a reader sees the old pair or the new)
        return values

    def values(self, start: int, n: int) -> np.ndarray:
        _check_range(start, n)
        first, last = start // BLOCK, (start + n - 1) // BLOCK if n else start // BLOCK - 1
        parts = [self.block(number) for number in range(first, last + 1)]
        if not parts:
            shape = (0,) if self.bits <= _NARROW else (0, self.bits // 8)
            return np.empty(shape, dtype=_U64 if self.bits <= _NARROW else np.uint8)
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        at = start - first * BLOCK
        return whole[at : at + n]


class Random(Generator):
    """A uniformly random value in ``low..high`` (both included), reproducible from ``seed``.

    ``low`` and ``high`` may be given as the field takes them (addresses). Without a seed, one is
    drawn when the generator is made (the stream is still the same each time it is asked).
    """

    def __init__(self, low: Any, high: Any, seed: int | None = None) -> None:
        self.low, self.high = low, high
        self.seed = _seed(seed)

    def bind(self, spec: FieldSpec) -> Column:
        low, high = spec.number(self.low, "low"), spec.number(self.high, "high")
        if low > high:
            raise InputError(f"{spec.label}: Random low {self.low!r} is above high {self.high!r}")
        return _RandomColumn(spec.bits, self.seed, low, high)

    def __repr__(self) -> str:
        return f"Random({self.low!r}, {self.high!r}, seed={self.seed})"


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative int, got {seed!r}")
    return seed


class _RandomColumn(_BlockColumn):
    def __init__(self, bits: int, seed: int, low: int, high: int) -> None:
        super().__init__(bits, seed)
        self.low, self.high = low, high

    def draw(self, generator: np.random.Generator) -> np.ndarray:
        if self.bits <= _NARROW:
            return generator.integers(self.low, self.high, size=BLOCK, dtype=_U64, endpoint=True)
        # wider than 64 bits: 192 random bits per value, reduced modulo the span (bias < 2**-64)
        span = self.high - self.low + 1
        raw = generator.bit_generator.random_raw(3 * BLOCK).reshape(BLOCK, 3).tolist()
        return ints_to_column([self.low + ((a << 128 | b << 64 | c) % span) for a, b, c in raw], self.bits)


class RandomNetwork(Generator):
    """A uniformly random address of an IPv4 or IPv6 network ("198.18.0.0/24", "2001:db8::/64"),
    network and broadcast addresses included; reproducible from ``seed``."""

    def __init__(self, network: str, seed: int | None = None) -> None:
        try:
            self.network = ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise InputError(f"RandomNetwork: {error}") from None
        self.seed = _seed(seed)

    def bind(self, spec: FieldSpec) -> Column:
        if not spec.stored_bytes or spec.bits != self.network.max_prefixlen:
            text, version = str(self.network), self.network.version
            raise InputError(f"{spec.label}: RandomNetwork({text!r}) needs an IPv{version} address field")
        network, hostmask = int(self.network.network_address), int(self.network.hostmask)
        return _NetworkColumn(spec.bits, self.seed, network, hostmask)

    def __repr__(self) -> str:
        return f"RandomNetwork({str(self.network)!r}, seed={self.seed})"


class _NetworkColumn(_BlockColumn):
    def __init__(self, bits: int, seed: int, network: int, hostmask: int) -> None:
        super().__init__(bits, seed)
        words = max(bits // 64, 1)
        self.network = [_U64((network >> (64 * k)) & 0xFFFFFFFFFFFFFFFF) for k in reversed(range(words))]
        self.hostmask = [_U64((hostmask >> (64 * k)) & 0xFFFFFFFFFFFFFFFF) for k in reversed(range(words))]

    def draw(self, generator: np.random.Generator) -> np.ndarray:
        words = len(self.network)
        raw = generator.bit_generator.random_raw(words * BLOCK).reshape(BLOCK, words)
        raw = (raw & np.array(self.hostmask, dtype=_U64)) | np.array(self.network, dtype=_U64)
        if self.bits <= _NARROW:
            return np.ascontiguousarray(raw[:, 0])
        return raw.astype(">u8").view(np.uint8).reshape(BLOCK, 8 * words)


# -- Cycle and Values -----------------------------------------------------------------------


class TableColumn(Column):
    """A column read from a table of values: in turn (Cycle), once (Values, finite)."""

    def __init__(self, bits: int, table: np.ndarray, finite: bool) -> None:
        self.bits, self.table = bits, table
        self.size = len(table)
        self.count = self.size if finite else None

    def values(self, start: int, n: int) -> np.ndarray:
        _check_range(start, n)
        if self.count is not None and start + n > self.count:
            raise InputError(f"frame {start + n - 1} is past the {self.count} values the stream has")
        rows = _indexes(start, n)
        if self.count is None:
            rows %= _U64(self.size)
        return self.table[rows.astype(np.intp)]


class Cycle(Generator):
    """The values of a list in turn, over and over: value(i) = values[i mod len]."""

    finite = False

    def __init__(self, values: Sequence[Any]) -> None:
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not len(values):
            raise InputError(f"{type(self).__name__}: a non-empty list of values, got {values!r}")
        self.items = list(values)

    def bind(self, spec: FieldSpec) -> Column:
        numbers = [spec.number(value) for value in self.items]
        return TableColumn(spec.bits, ints_to_column(numbers, spec.bits), self.finite)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.items!r})"


class Values(Cycle):
    """The values of a list, each once: frame i gets values[i], and the stream has len(values) frames."""

    finite = True
