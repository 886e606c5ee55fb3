"""Where a stream's generated fields sit in its frame, and how each checksum follows them.

A ``FramePlan`` is made once per stream from frame 0 as the per-packet API builds it: each
generated field's struct item (a byte-aligned field, or the group of bit fields it shares bytes
with) at its byte offset in the frame, and each computed Internet checksum that covers one of them
(through its bytes, or through the pseudo-header its network layer hands down). ``fill`` then
writes a block of frames: the items' values, column by column, and every checksum updated
incrementally (RFC 1624): the checksum's sum over frame 0 with the changed words taken out is
summed once, and each frame adds its own words to it, modulo 0xFFFF, so that the result folds
exactly as rawnet's builders fold a whole sum (``checksum.fold``: 0 for a non-zero multiple of
0xFFFF, 0xFFFF only for all-zero data). A word at an odd offset of the checksummed bytes counts
256 times (2**16 is 1 modulo 0xFFFF). Inner checksums are computed first: an outer one covering
them takes them as changed words too.

Rules: arithmetic on numpy arrays only, no I/O; a template the plan cannot follow exactly is an
InputError when the stream is made, never frames that differ from the per-packet build.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rawnet.errors import InputError
from rawnet.stream.generators import Column
from rawnet.wire.compiler import Item
from rawnet.wire.fields import CHECKSUM, Checksum, Field
from rawnet.wire.layer import Layer

__all__ = ["FramePlan", "Place", "Target"]

_U64 = np.uint64
_MOD = _U64(0xFFFF)


@dataclass
class Target:
    """One generated field: its layer (index in the template's layers), field, column, label."""

    layer: int
    field: Field[Any]
    column: Column
    label: str


@dataclass
class Place:
    """A layer's bytes in the frame: where it starts, where its header ends, where its content ends
    (before its own padding)."""

    offset: int
    header_end: int
    content_end: int


@dataclass
class _Changed:
    """A struct item whose bytes change from frame to frame (a generated field's, or a checksum's)."""

    offset: int
    size: int
    label: str
    #: (column, shift, bits) of each generated field in the item; empty for a checksum
    parts: list[tuple[Column, int, int]] = field(default_factory=list)
    base: int = 0  #: the item's value in frame 0 with the generated bits cleared


@dataclass
class _Step:
    """One checksum to recompute: its item's offset, its constant sum, the changed items it covers."""

    offset: int
    label: str
    constant: int  #: the sum modulo 0xFFFF of all it covers but the changed items
    nonzero: bool  #: whether that constant part is non-zero as a whole number (fold's 0xFFFF case)
    terms: list[tuple[int, bool]]  #: (changed item index, counts shifted by 8 bits)
    zero: int  #: what a computed 0 is sent as (UDP: 0xFFFF)


def places(layers: list[Layer], frame_size: int) -> list[Place]:
    """Each layer's place in the frame, from the sizes of the sub-stacks it heads and the paddings."""
    sizes = [len(layer.build()) for layer in layers]
    pads = [len(layer.padding) for layer in layers]
    out: list[Place] = []
    end = frame_size
    for size, pad in zip(sizes, pads, strict=True):
        out.append(Place(end - size, end - pad, end - pad))
        end -= pad
    for this, following in itertools.pairwise(out):
        this.header_end = following.offset
    if out and out[0].offset != 0:
        raise InputError("the template's layers do not add up to its frame: a layer the stream cannot place")
    return out


def _item_of(cls: type[Layer], field: Field[Any]) -> Item | None:
    for item in cls._layout.items:
        if any(member is field for member in item.fields):
            return item
    return None


def _word_sum(values: np.ndarray) -> np.ndarray:
    """Each row's sum of 16-bit words modulo 0xFFFF (a uint64 value is its own word sum)."""
    if values.ndim == 1:
        return np.asarray(values % _MOD)
    rows = np.ascontiguousarray(values)
    if rows.shape[1] & 1:
        rows = np.concatenate([np.zeros((len(rows), 1), np.uint8), rows], axis=1)
    return np.asarray(rows.view(">u2").sum(axis=1, dtype=_U64) % _MOD)


def _nonzero(values: np.ndarray) -> np.ndarray:
    return np.asarray(values != 0) if values.ndim == 1 else np.asarray(values.any(axis=1))


class FramePlan:
    """The changed items of a stream's frames and the checksums to recompute, in order."""

    def __init__(self, base: Layer, frame: bytes, targets: list[Target]) -> None:
        layers = base.layers()
        self.places = places(layers, len(frame))
        self.changed: list[_Changed] = []
        by_offset: dict[int, _Changed] = {}
        for target in targets:
            cls = type(layers[target.layer])
            item = _item_of(cls, target.field)
            if item is None:
                raise InputError(f"{target.label} is not in {cls.__name__}'s fixed header")
            at = self.places[target.layer].offset + item.offset
            changed = by_offset.get(at)
            if changed is None:
                size = item.bits // 8
                changed = _Changed(at, size, target.label)
                whole = int.from_bytes(frame[at : at + size], "big")
                changed.base = whole
                by_offset[at] = changed
                self.changed.append(changed)
            bits = target.column.bits
            shift = target.field.shift if len(item.fields) > 1 else 0
            changed.base &= ~(((1 << bits) - 1) << shift)
            changed.parts.append((target.column, shift, bits))
        self.steps: list[_Step] = []
        self._plan_checksums(layers, frame, targets)

    # -- making the plan ------------------------------------------------------------------
    def _plan_checksums(self, layers: list[Layer], frame: bytes, targets: list[Target]) -> None:
        generated = {(target.layer, target.field.name): target for target in targets}
        for j in reversed(range(len(layers))):  # innermost first: outer ones cover inner ones
            layer = layers[j]
            values = layer._values()
            for checked in layer.fields_desc:
                if checked.auto != CHECKSUM or (j, checked.name) in generated:
                    continue
                if values[checked.index] is not None:
                    continue  # the user's checksum is sent as set
                place = self.places[j]
                rule = checked.rule
                item = _item_of(type(layer), checked)
                if (
                    not isinstance(rule, Checksum)
                    or item is None
                    or item.code != "H"
                    or len(item.fields) != 1
                ):
                    continue  # computed by the protocol's own code (SCTP's CRC32c, GRE's): Stream's probe
                self._plan_one(layers, j, rule, place, place.offset + item.offset, frame, generated)

    def _plan_one(
        self,
        layers: list[Layer],
        j: int,
        rule: Checksum,
        place: Place,
        at: int,
        frame: bytes,
        generated: dict[tuple[int, str], Target],
    ) -> None:
        start = place.offset
        stop = place.header_end if rule.over == "header" else place.content_end
        label = f"{type(layers[j]).__name__} checksum"
        covered = bytearray(frame[start:stop])
        covered[at - start : at - start + 2] = b"\0\0"
        terms: list[tuple[int, bool]] = []
        for index, changed in enumerate(self.changed):
            if changed.offset == at or changed.offset + changed.size <= start or changed.offset >= stop:
                continue
            if changed.offset < start or changed.offset + changed.size > stop:
                raise InputError(f"{changed.label} lies across the edge of what {label} covers")
            covered[changed.offset - start : changed.offset - start + changed.size] = bytes(changed.size)
            terms.append((index, bool((changed.offset + changed.size - start) & 1)))
        number = int.from_bytes(covered, "big") << (8 * (len(covered) & 1))
        if rule.pseudo is not None:
            provider = _provider(layers, j)
            if provider is None:
                return  # no network layer: the checksum is 0 in every frame (as the per-layer code)
            pseudo, pseudo_terms = self._pseudo(layers, provider, generated)
            terms += pseudo_terms
            number += int.from_bytes(pseudo, "big") + rule.pseudo + len(covered)
        if not terms:
            return  # nothing it covers changes
        # (a checksum's item comes after every field's, in the order of the steps: fill relies on it)
        self.changed.append(_Changed(at, 2, label))
        self.steps.append(_Step(at, label, number % 0xFFFF, number != 0, terms, rule.zero))

    def _pseudo(
        self, layers: list[Layer], provider: int, generated: dict[tuple[int, str], Target]
    ) -> tuple[bytes, list[tuple[int, bool]]]:
        """The provider's pseudo-header addresses with the generated ones zeroed, and their terms."""
        network = layers[provider]
        pseudo = bytearray(network.pseudo_addresses())  # type: ignore[attr-defined]
        terms: list[tuple[int, bool]] = []
        position = 0
        for name in network.pseudo_fields or ():
            size = network.get_field(name).size  # type: ignore[attr-defined]
            target = generated.get((provider, name))
            if target is not None and _in_pseudo(network, name, position, size):
                pseudo[position : position + size] = bytes(size)
                at = self.places[provider].offset + network.get_field(name).offset  # type: ignore[operator]
                index = next(k for k, changed in enumerate(self.changed) if changed.offset == at)
                terms.append((index, False))  # (each address at an even offset, of an even size)
            position += size
        return bytes(pseudo), terms

    # -- writing frames -------------------------------------------------------------------
    def fill(self, out: np.ndarray, start: int, n: int) -> None:
        """Write frames start..start+n-1's changed items and checksums into ``out`` (frame 0's copies)."""
        values: list[np.ndarray] = []
        for changed in self.changed[: len(self.changed) - len(self.steps)]:
            values.append(self._item_values(changed, start, n))
        for step in self.steps:
            values.append(self._checksum(step, values, n))
        for changed, column in zip(self.changed, values, strict=True):
            at, size = changed.offset, changed.size
            if column.ndim == 1:
                out[:, at : at + size] = column.astype(">u8").view(np.uint8).reshape(n, 8)[:, 8 - size :]
            else:
                out[:, at : at + size] = column

    @staticmethod
    def _item_values(changed: _Changed, start: int, n: int) -> np.ndarray:
        if len(changed.parts) == 1 and changed.parts[0][1] == 0 and changed.base == 0:
            return changed.parts[0][0].values(start, n)  # the usual item: one whole field
        value = np.full(n, changed.base, dtype=_U64)
        for column, shift, _bits in changed.parts:
            value |= column.values(start, n) << _U64(shift)
        return value

    @staticmethod
    def _checksum(step: _Step, values: list[np.ndarray], n: int) -> np.ndarray:
        total = np.full(n, step.constant, dtype=_U64)
        for index, shifted in step.terms:
            words = _word_sum(values[index])
            total += (words << _U64(8)) % _MOD if shifted else words
        total %= _MOD
        if step.nonzero:
            zero_sum = np.zeros(n, dtype=_U64)
        else:  # all the fixed bytes are 0: all-zero data sums to 0, whose checksum is 0xFFFF
            anything = np.zeros(n, dtype=bool)
            for index, _shifted in step.terms:
                anything |= _nonzero(values[index])
            zero_sum = np.where(anything, _U64(0), _U64(0xFFFF))
        checksum = np.where(total != 0, _MOD - total, zero_sum)
        if step.zero:
            checksum[checksum == 0] = step.zero
        return checksum


def _provider(layers: list[Layer], j: int) -> int | None:
    """The network layer whose pseudo-header reaches layer ``j``'s build (through extension
    headers that pass it on), or None."""
    k = j - 1
    while k >= 0:
        if layers[k].pseudo_fields is not None:
            return k
        if not layers[k].passes_pseudo:
            return None
        k -= 1
    return None


def _in_pseudo(network: Layer, name: str, position: int, size: int) -> bool:
    """Whether field ``name`` of ``network`` is what its pseudo-header holds at ``position`` (a source
    route's final hop replaces the destination: then it is not); found by setting two values."""
    probe = network.copy()
    seen = []
    for fill in (0x5A, 0xA5):
        setattr(probe, name, bytes([fill]) * size)
        seen.append(probe.pseudo_addresses()[position : position + size])  # type: ignore[attr-defined]
    if seen == [bytes([0x5A]) * size, bytes([0xA5]) * size]:
        return True
    if seen[0] == seen[1]:
        return False
    raise InputError(f"{type(network).__name__}.{name}: its pseudo-header is not one the stream can follow")
