"""Stream: a template packet and generators on its fields, made into frames in bulk.

``Stream(template, {"TCP.seq": Counter(1000), ...}).frames(start, n)`` gives frames start..start+n-1
as rows of one C-contiguous uint8 array, each byte for byte what ``bytes(stream.packet(i))`` (the
per-packet API) builds: frame 0 is built once that way, copied into every row, and each row gets its
generated fields and its checksums (plan.py). Frame indexes are absolute, so workers can take
disjoint slices of one stream. ``Stream.replay(frames)`` cycles through frames built beforehand.

What a stream refuses (InputError, when it is made): a field that is unknown or outside its layer's
fixed header; a length field; a checksum or next-protocol field the template leaves to be computed
(set it in the template to generate it); an address the template leaves to be filled from a field
that is generated; a template holding sets or random values; a template whose frames the bulk
builder would not reproduce (checked on its first frames, and on a probe frame in which every
generated field differs from frame 0: lengths that change, a checksum computed by hand-written
code). A template decoded from bytes holds the checksums it was decoded with, which are sent as
set, as the per-packet API sends them (delete one, ``del p[TCP].chksum``, to have it computed).
Rules: it never opens a socket; it never changes the template it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rawnet.errors import InputError
from rawnet.stream.generators import Column, FieldSpec, Generator, TableColumn, ints_to_column
from rawnet.stream.plan import FramePlan, Target
from rawnet.wire.addresses import AddressField
from rawnet.wire.ether import Ether
from rawnet.wire.fields import CHECKSUM, LENGTH, NEXT, Field, FromPayload, ValueSet
from rawnet.wire.ipv4 import IP
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.layer import Layer
from rawnet.wire.volatile import Volatile

__all__ = ["Stream"]

#: Frames a new stream checks against the per-packet API before it is used.
CHECKED_FRAMES = 3
_NETWORK = (IP, IPv6)
_CANNOT = "a length that changes with them, a checksum computed by a protocol's own code (SCTP, GRE)"


class Stream:
    """A template packet and field generators: frames made in bulk, all of one length.

    ``fields`` maps a field to its generator: "Class.field" (the first layer of that class name),
    "Class:2.field" (the second: tunnels), or a (LayerClass, "field") tuple (the first layer that is
    an instance of the class). Values are numbers, or what the field takes ("198.18.0.5", a MAC,
    "S" for TCP flags, "udp" for a protocol). ``count``: the number of frames (None: endless,
    unless a Values generator bounds it to the length of its list).
    """

    frame_size: int  #: the length of every frame
    count: int | None  #: the number of frames; None: endless
    layer2: bool  #: frames start with a link header (sent on AF_PACKET); False: IP/IPv6 packets

    def __init__(
        self,
        template: Layer,
        fields: Mapping[str | tuple[type[Layer], str], Generator] | None = None,
        count: int | None = None,
    ) -> None:
        if not isinstance(template, Layer):
            raise InputError(f"a stream's template is a packet, got {template!r}")
        self._template = template.copy()
        self._given = (self._template.copy(), dict(fields or {}), count)  #: what pickling makes it from
        self._rows: np.ndarray | None = None
        layers = self._template.layers()
        _check_values(layers)
        self._targets = _targets(layers, fields or {})
        self.count = _count(count, [target.column for target in self._targets])
        self.layer2 = not isinstance(layers[0], _NETWORK)
        base = self._at(0)
        frame = base.build()
        self.frame_size = len(frame)
        self._base = np.frombuffer(frame, dtype=np.uint8)
        self._plan = FramePlan(base, frame, self._targets)
        self._check()

    @classmethod
    def replay(cls, frames: Sequence[bytes], count: int | None = None, *, layer2: bool = True) -> Stream:
        """A stream cycling through ``frames`` (bytes of one length): frame i is frames[i % len].

        ``layer2``: whether they start with a link header (Ethernet), else they are IP/IPv6 packets.
        """
        if not len(frames):
            raise InputError("Stream.replay: no frames")
        sizes = {len(frame) for frame in frames}
        if len(sizes) != 1:
            raise InputError(f"Stream.replay: frames of one length, got lengths {sorted(sizes)}")
        stream = cls.__new__(cls)
        stream.frame_size = sizes.pop()
        stream._rows = np.frombuffer(b"".join(bytes(frame) for frame in frames), dtype=np.uint8).reshape(
            len(frames), stream.frame_size
        )
        stream.count = _count(count, [])
        stream.layer2 = layer2
        return stream

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as what it was made from (workers in other processes make it again, the same)."""
        if self._rows is not None:
            return _replayed, ([row.tobytes() for row in self._rows], self.count, self.layer2)
        return Stream, self._given

    # -- frames ---------------------------------------------------------------------------
    def frames(self, start: int, n: int) -> np.ndarray:
        """Frames start..start+n-1, one per row of a C-contiguous (n, frame_size) uint8 array."""
        self._check_range(start, n)
        rows = self._rows
        if rows is not None:
            indexes = np.arange(start, start + n, dtype=np.uint64) % np.uint64(len(rows))
            return np.ascontiguousarray(rows[indexes.astype(np.intp)])
        out = np.empty((n, self.frame_size), dtype=np.uint8)
        out[:] = self._base
        if n:
            self._plan.fill(out, start, n)
        return out

    def frames_into(self, out: np.ndarray, start: int) -> None:
        """Frames start..start+len(out)-1 written into ``out``, an (n, frame_size) uint8 array whose
        rows may lie apart (a TX ring's slots): what frames() gives, without an array of its own."""
        n = len(out)
        self._check_range(start, n)
        if out.shape != (n, self.frame_size) or out.dtype != np.uint8:
            raise InputError(
                f"frames_into: an ({n}, {self.frame_size}) uint8 array, got {out.shape} {out.dtype}"
            )
        rows = self._rows
        if rows is not None:
            np.take(rows, np.arange(start, start + n, dtype=np.intp), axis=0, out=out, mode="wrap")
            return
        out[:] = self._base
        if n:
            self._plan.fill(out, start, n)

    def packet(self, index: int) -> Layer:
        """Frame ``index`` built by the per-packet API: the template with that frame's values set."""
        self._check_range(index, 1)
        if self._rows is not None:
            data = self._rows[index % len(self._rows)].tobytes()
            if self.layer2:
                return Ether.decode(data, lenient=True)
            return (IPv6 if data[:1] and data[0] >> 4 == 6 else IP).decode(data, lenient=True)
        return self._at(index)

    def _at(self, index: int) -> Layer:
        packet = self._template.copy()
        layers = packet.layers()
        for target in self._targets:
            spec = _spec(target.label, target.field)
            setattr(layers[target.layer], target.field.name, spec.stored(target.column.value(index)))
        return packet

    def _check_range(self, start: int, n: int) -> None:
        if isinstance(start, bool) or not isinstance(start, int | np.integer) or start < 0:
            raise InputError(f"a frame index is a non-negative int, got {start!r}")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise InputError(f"a number of frames is a non-negative int, got {n!r}")
        if self.count is not None and start + n > self.count:
            raise InputError(f"frames {start}..{start + n - 1}: the stream has {self.count}")

    def _check(self) -> None:
        """The bulk builder against the per-packet API, for what the plan cannot see (a length that
        changes, a checksum computed by hand-written code, a source route): the first frames, then a
        probe frame whose every generated field differs from frame 0's in its lowest bit."""
        checked = CHECKED_FRAMES if self.count is None else min(self.count, CHECKED_FRAMES)
        bulk = self.frames(0, checked)
        for index in range(checked):
            built = self.packet(index).build()
            if len(built) != self.frame_size:
                raise InputError(
                    f"frame {index} is {len(built)} bytes, frame 0 {self.frame_size}: "
                    "generators may not change a frame's length"
                )
            if built != bulk[index].tobytes():
                raise InputError(
                    f"frame {index} of this template is not what the bulk builder makes: {_CANNOT}"
                )
        numbers = [target.column.value(0) ^ 1 for target in self._targets]
        probe = [
            Target(
                target.layer,
                target.field,
                TableColumn(target.column.bits, ints_to_column([number], target.column.bits), True),
                target.label,
            )
            for target, number in zip(self._targets, numbers, strict=True)
        ]
        packet = self._template.copy()
        layers = packet.layers()
        for target, number in zip(self._targets, numbers, strict=True):
            setattr(layers[target.layer], target.field.name, _spec(target.label, target.field).stored(number))
        out = np.empty((1, self.frame_size), dtype=np.uint8)
        out[:] = self._base
        FramePlan(self._at(0), self._base.tobytes(), probe).fill(out, 0, 1)
        if packet.build() != out[0].tobytes():
            labels = ", ".join(target.label for target in self._targets)
            raise InputError(f"the bulk builder cannot follow this template when {labels} change: {_CANNOT}")

    def __repr__(self) -> str:
        if self._rows is not None:
            return f"Stream.replay({len(self._rows)} frames of {self.frame_size} bytes, count={self.count})"
        fields = ", ".join(f"{target.label}: {target.column!r}" for target in self._targets)
        return f"Stream({self._template!r}, {{{fields}}}, count={self.count})"


def _replayed(frames: list[bytes], count: int | None, layer2: bool) -> Stream:
    return Stream.replay(frames, count, layer2=layer2)


# -- checking what the user gave ---------------------------------------------------------------


def _check_values(layers: list[Layer]) -> None:
    for layer in layers:
        for field, value in zip(layer.fields_desc, layer._values(), strict=True):
            if isinstance(value, ValueSet | Volatile):
                raise InputError(
                    f"{type(layer).__name__}.{field.name} holds {value!r}: a stream's template holds "
                    "one value per field (give the field a generator instead)"
                )


def _spec(label: str, field: Field[Any]) -> FieldSpec:
    fmt = field.fmt
    stored_bytes = fmt.endswith("s")
    if stored_bytes:
        bits = 8 * int(fmt[:-1])
    elif field.bits:
        bits = field.bits
    else:
        raise InputError(f"{label} is not a fixed-width field")
    return FieldSpec(label, field, bits, stored_bytes)


def _resolve(layers: list[Layer], key: Any) -> tuple[int, Field[Any], str]:
    """The layer index and field a generator key names, and the key as text."""
    if isinstance(key, tuple) and len(key) == 2:
        cls, name = key
        if not (isinstance(cls, type) and issubclass(cls, Layer)) or not isinstance(name, str):
            raise InputError(f"a field key is ('LayerClass', 'field'), got {key!r}")
        matches = [j for j, layer in enumerate(layers) if isinstance(layer, cls)]
        class_name, nth = cls.__name__, 1
    elif isinstance(key, str):
        head, dot, name = key.partition(".")
        class_name, colon, which = head.partition(":")
        if not dot or not name or not class_name or (colon and not which.isdigit()):
            raise InputError(f"a field key is 'Class.field' or 'Class:2.field', got {key!r}")
        nth = int(which) if colon else 1
        matches = [j for j, layer in enumerate(layers) if type(layer).__name__ == class_name]
    else:
        raise InputError(f"a field key is 'Class.field' or a (LayerClass, 'field') tuple, got {key!r}")
    label = f"{class_name}{f':{nth}' if nth != 1 else ''}.{name}"
    shape = " / ".join(type(layer).__name__ for layer in layers)
    if nth < 1 or len(matches) < nth:
        raise InputError(
            f"{label}: the template ({shape}) has no {'' if nth == 1 else f'{nth}th '}{class_name}"
        )
    j = matches[nth - 1]
    field = next((each for each in layers[j].fields_desc if each.name == name), None)
    if field is None:
        raise InputError(f"{label}: {type(layers[j]).__name__} has no field {name!r}")
    return j, field, label


def _targets(layers: list[Layer], fields: Mapping[Any, Generator]) -> list[Target]:
    targets: list[Target] = []
    seen: set[tuple[int, str]] = set()
    for key, generator in fields.items():
        j, field, label = _resolve(layers, key)
        if not isinstance(generator, Generator):
            raise InputError(
                f"{label}: a generator (Counter, Random, RandomNetwork, Cycle, Values), got {generator!r}"
            )
        if (j, field.name) in seen:
            raise InputError(f"{label} is given two generators")
        seen.add((j, field.name))
        stored = layers[j]._values()[field.index]
        if field.auto == LENGTH:
            raise InputError(f"{label} is a length the build computes: a stream cannot generate it")
        if field.auto in (CHECKSUM, NEXT) and stored is None and not isinstance(field.rule, FromPayload):
            raise InputError(f"{label} is computed at build: set it in the template to generate it")
        if field.span is None:
            raise InputError(f"{label} is not in {type(layers[j]).__name__}'s fixed header")
        if stored is not None and not isinstance(stored, int | bytes):
            raise InputError(f"{label} holds {stored!r}, not a number or an address")
        targets.append(Target(j, field, generator.bind(_spec(label, field)), label))
    _check_fills(layers, seen)
    return targets


def _check_fills(layers: list[Layer], generated: set[tuple[int, str]]) -> None:
    """An address left None is filled at build from another field: that one must not be generated."""
    for j, layer in enumerate(layers):
        for field, value in zip(layer.fields_desc, layer._values(), strict=True):
            fill = getattr(field, "fill", None)
            if value is not None or not isinstance(field, AddressField) or fill is None:
                continue
            source = fill[0]
            at = (j + 1, source[8:]) if source.startswith("payload.") else (j, source)
            if at in generated:
                where = type(layers[at[0]]).__name__
                raise InputError(
                    f"{type(layer).__name__}.{field.name} is filled from {where}.{at[1]}, which the stream "
                    f"changes: set {type(layer).__name__}.{field.name} in the template"
                )


def _count(count: int | None, columns: list[Column]) -> int | None:
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise InputError(f"count is a non-negative int or None, got {count!r}")
    bounds = [column.count for column in columns if column.count is not None]
    if not bounds:
        return count
    if count is not None and count > min(bounds):
        raise InputError(f"count {count} is more than the {min(bounds)} values a Values generator has")
    return min(bounds) if count is None else count
