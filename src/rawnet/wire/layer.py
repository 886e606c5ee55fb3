"""Layer: the base of every protocol header, and the packet machinery around it.

A protocol is a Layer subclass whose class body lists its fields (see fields.py); when the
class is created, __init_subclass__ has compiler.py compute the header's struct layout and
compile a constructor, an unpacker and a packer for it. Stacking (``/``), lazy decoding, lookup by
class, packet sets, copy, equality, show/summary and verify live here once for all.
Rules: no I/O, no globals read at run time; building never mutates the user's objects;
decoding raises only DecodeError.
"""

from __future__ import annotations

import struct
import sys
import sysconfig
from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple, TypeVar

from rawnet.errors import BuildError, DecodeError, LimitError, TruncatedError
from rawnet.wire import display
from rawnet.wire.addresses import AddressField
from rawnet.wire.compiler import compile_header, stored_default
from rawnet.wire.fields import CHECKSUM, LENGTH, NEXT, Field, UInt, ValueSet, Var, check_bytes
from rawnet.wire.registry import FAST_BUILDERS, FAST_DECODERS

L = TypeVar("L", bound="Layer")
LayerClass = type["Layer"]  #: a layer class (an alias: protocols have a field named ``type``)


class _Lazy:
    """Marks a decoded layer whose payload has not been decoded yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<lazy>"


LAZY: Any = _Lazy()

# Decode modes, kept per layer and passed down to the layers it decodes.
LENIENT = 1  #: errors in inner layers become an Undecoded tail instead of raising
QUOTED = 2  #: inside an ICMP error: lengths and checksums describe bytes not all present
FRAGMENT = 4  #: inside an IP fragment: the transport checksum covers bytes not present
IN_IPV6 = 8  #: carried by IPv6 (a UDP checksum of 0 is then an error)
DEPTH_UNIT = 1 << 8  #: one more level of nesting
MAX_DEPTH = 64  #: layers a decode goes down before LimitError
_DEPTH_LIMIT = (MAX_DEPTH + 1) * DEPTH_UNIT

_new = object.__new__

# Moving temporaries (Layer.__truediv__). CPython counts references exactly: inside a binary
# operator, an operand that only the expression holds shows sys.getrefcount() == 3 (the value
# stack, the method's argument, getrefcount's own argument); one held by a variable, a
# container or another layer shows more. Checked on CPython 3.11, 3.12 and 3.13 with the GIL.
# Elsewhere (PyPy, free-threaded builds, 3.14's borrowed references) operands are always copied.
_refcount = sys.getrefcount
_OPERAND = 3
_MOVE_TEMPORARIES = (
    sys.implementation.name == "cpython"
    and (3, 11) <= sys.version_info[:2] <= (3, 13)
    and not sysconfig.get_config_var("Py_GIL_DISABLED")
)


def _unshared(top: Layer) -> bool:
    """Whether no layer below ``top`` is referred to from anywhere but the layer above it."""
    layer = top._payload
    while layer is not None and layer is not LAZY:
        if _refcount(layer) != _OPERAND:  # the slot above, this variable, the argument
            return False
        layer = layer._payload
    return True


_fast_decoder = FAST_DECODERS.get
_fast_builder = FAST_BUILDERS.get
_DATA = (bytes, bytearray, str)  # what ``/`` turns into a Raw layer (a tuple: cheaper than a union)


class Problem(NamedTuple):
    """A length or checksum that is not what the packet's content says it should be."""

    layer: str
    field: str
    found: Any
    expected: Any
    #: Which layer: its index in ``packet.layers()`` (names repeat: IP in IP, an ICMP quote).
    position: int = -1

    def __str__(self) -> str:
        def text(value: Any) -> str:
            checksum = self.field.endswith(("chksum", "cksum", "checksum"))
            return f"0x{value:04x}" if checksum and isinstance(value, int) else str(value)

        return f"{self.layer}.{self.field} is {text(self.found)}, should be {text(self.expected)}"


class Layer:
    """One protocol header and, through ``payload``, everything it carries.

    Build with keyword arguments and ``/``; ``bytes(pkt)`` gives the wire bytes, computing
    each field left as None. ``Cls.decode(data)`` reads bytes back; inner layers are
    decoded when first reached.
    """

    __slots__ = ("_buf", "_built", "_mode", "_off", "_payload", "_pend", "_poff", "_v", "padding")

    #: Short lowercase protocol name used in errors and summaries ("ipv4", "tcp").
    name: ClassVar[str] = "layer"
    #: All fields in header order (inherited fields first).
    fields_desc: ClassVar[tuple[Field[Any], ...]] = ()
    #: Size of the fixed header in bytes.
    header_len: ClassVar[int] = 0
    _struct: ClassVar[struct.Struct]
    _auto_fields: ClassVar[tuple[Field[Any], ...]] = ()
    #: Whether _build takes a ``limit``: the bytes an outer length leaves this layer (TCP does).
    takes_limit: ClassVar[bool] = False
    #: True when the payload is always Raw (the class keeps Layer's _next_layer).
    _leaf: ClassVar[bool] = True

    _v: list[Any] | None  # None: a decoded view whose fields are still only in _buf
    #: What the last build of this header gave, for protocols that reuse it (see IP._build);
    #: None once a field is set. Only ever read by the layer's own _build, after _v exists
    #: (a decoded view sets it when it unpacks).
    _built: Any
    _payload: Any
    _buf: bytes
    _off: int
    _poff: int
    _pend: int
    _mode: int
    padding: bytes

    def __init__(self, **fields: Any) -> None:  # replaced per class by the compiled constructor
        raise TypeError(f"{type(self).__name__} declares no fields")

    def _init_fields(self, **fields: Any) -> None:  # the compiled constructor, kept for wrappers
        raise TypeError(f"{type(self).__name__} declares no fields")

    # -- class creation ------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._leaf = cls._next_layer is Layer._next_layer
        inherited = list(cls.fields_desc)
        own = [value for value in cls.__dict__.values() if isinstance(value, Field)]
        if not own and inherited:
            return
        fields = tuple(inherited + own)
        for index, field in enumerate(fields):
            field.index = index
        cls.fields_desc = fields
        cls._auto_fields = tuple(f for f in fields if f.auto in (LENGTH, CHECKSUM, NEXT))
        compile_header(cls, fields, {"LAZY": LAZY, "_new": _new})

    # -- stacking ------------------------------------------------------------------------
    def __truediv__(self, other: Layer | bytes | bytearray | str) -> Layer:
        # scapy's semantics: the result is a new stack; neither operand is changed or shared.
        # An operand nothing else refers to (a temporary, as in Ether()/IP()/TCP()) is moved
        # into the result instead of copied: nobody can tell the difference (see _OPERAND).
        if isinstance(other, Layer):
            fresh = False
        elif other.__class__ is bytes:  # data: a new Raw layer, made here (the hot path of a build)
            raw = _new(Raw)
            raw._v = [other]
            raw._payload = None
            raw._mode = 0
            raw.padding = b""
            other = raw
            fresh = True
        elif isinstance(other, _DATA):
            other = Raw._of(other)
            fresh = True
        else:
            return NotImplemented
        top = None
        if _MOVE_TEMPORARIES and _refcount(self) == _OPERAND:
            last = self  # walk to the end, checking that nothing else holds a layer on the way
            below = last._payload
            while below is not None and below is not LAZY and _refcount(below) == _OPERAND:
                last = below
                below = last._payload
            if below is None:
                top = self
        if top is None:  # held somewhere (or a lazy tail): copy, as scapy does
            top = last = _copy_node(self)
            below = self._payload
            while below is not None:
                if below is LAZY:
                    below = last._decode_payload()
                    if below is None:
                        break
                last._payload = last = _copy_node(below)
                below = below._payload
        if fresh or (
            _MOVE_TEMPORARIES
            and _refcount(other) == _OPERAND
            and (other._payload is None or _unshared(other))
        ):
            last._payload = other
            return top
        node: Layer | None = other
        while node is not None:
            if node is LAZY:
                node = last._decode_payload()
                if node is None:
                    break
            last._payload = last = _copy_node(node)
            node = node._payload
        return top

    def __rtruediv__(self, other: bytes | bytearray | str) -> Layer:
        if isinstance(other, _DATA):
            return Raw._of(other) / self
        return NotImplemented

    # -- decoding ------------------------------------------------------------------------
    @classmethod
    def decode(cls: type[L], data: bytes | bytearray | memoryview, *, lenient: bool = False) -> L:
        """Decode ``data`` starting with this layer, down to the last header.

        Every header is checked now, but a header's fields are unpacked only when first read,
        and the final payload bytes are cut out only when reached (a view, smoltcp-style).
        Strict (the default): a malformed or truncated header raises DecodeError. Lenient: the
        first header that fails becomes an ``Undecoded`` layer holding the rest of the bytes and
        the reason, so what decoded is kept and nothing is lost.
        """
        buf = data if data.__class__ is bytes else bytes(data)
        if not lenient:
            fast = _fast_decoder(cls)
            if fast is not None:
                top = fast(buf)
                if top is not None:
                    return top  # type: ignore[return-value]
            return cls._decode_chain(buf, 0)
        try:
            return cls._decode_chain(buf, LENIENT)
        except DecodeError as error:
            return Undecoded._make(buf, 0, len(buf), error)  # type: ignore[return-value]

    @classmethod
    def _decode_chain(cls: type[L], buf: bytes, mode: int) -> L:
        """The generic decoder: this layer's _decode, then each next header's, down to a leaf."""
        top = cls._decode(buf, 0, len(buf), mode)
        layer: Layer = top
        while layer._payload is LAZY and not layer._leaf:
            child = layer._payload = layer._decode_payload(True)
            if child is None or child is LAZY:
                break
            layer = child
        return top

    @classmethod
    def _decode(cls: type[L], buf: bytes, offset: int, end: int, mode: int) -> L:
        """Decode one header at ``offset`` (its bytes end at ``end``); protocols override this.

        The default suits a fixed-size header: check it fits and return a view of it.
        """
        if offset + cls.header_len > end:
            raise cls._truncated(offset, end)
        return cls._view(buf, offset, offset + cls.header_len, end, mode)

    @classmethod
    def _view(cls: type[L], buf: bytes, offset: int, payload_start: int, payload_end: int, mode: int) -> L:
        """A decoded layer over ``buf``: its fields are unpacked when first needed."""
        layer = _new(cls)
        layer._v = None
        layer._buf = buf
        layer._off = offset
        layer._poff = payload_start
        layer._pend = payload_end
        layer._payload = LAZY
        layer._mode = mode
        layer.padding = b""
        return layer

    @classmethod
    def _truncated(cls, offset: int, end: int) -> TruncatedError:
        return TruncatedError(
            cls.name, offset, f"{end - offset} bytes left, the header needs {cls.header_len}"
        )

    def _unpack(self) -> list[Any]:  # compiled per class
        """Unpack a view's fields into ``_v`` and return them."""
        raise NotImplementedError

    def _fill_variable(self, values: list[Any]) -> None:
        """Set the variable fields of a view being unpacked (options...); protocols override."""

    def _values(self) -> list[Any]:
        """The stored field values, unpacking a view first."""
        values = self._v
        return values if values is not None else self._unpack()

    def _pack(self, *auto: Any) -> bytes:  # compiled per class
        raise NotImplementedError

    def _next_layer(self) -> tuple[LayerClass, int]:
        """The class of the payload and extra mode flags for it; protocols override."""
        return Raw, 0

    def _decode_payload(self, raw_stays_lazy: bool = False) -> Layer | None:
        offset, end = self._poff, self._pend
        if offset >= end:
            return None
        mode = self._mode + DEPTH_UNIT
        if mode >= _DEPTH_LIMIT:
            error = LimitError(self.name, offset, f"more than {MAX_DEPTH} nested layers")
            if mode & LENIENT:
                return Undecoded._make(self._buf, offset, end, error)
            raise error
        try:
            cls, extra = self._next_layer()
            if cls is Raw and raw_stays_lazy:
                return LAZY  # type: ignore[no-any-return]
            mode |= extra
            return cls._decode(self._buf, offset, end, mode)
        except DecodeError as failure:
            if mode & QUOTED and isinstance(failure, TruncatedError):
                # An ICMP error quotes as much as fit: a header cut short stays raw bytes.
                return Raw._decode(self._buf, offset, end, mode)
            if mode & LENIENT:
                return Undecoded._make(self._buf, offset, end, failure)
            raise

    @property
    def payload(self) -> Layer | None:
        """The next layer, or None for the last one."""
        payload = self._payload
        if payload is LAZY:
            payload = self._payload = self._decode_payload()
        return payload  # type: ignore[no-any-return]

    @payload.setter
    def payload(self, layer: Layer | bytes | None) -> None:
        if isinstance(layer, _DATA):
            layer = Raw(load=layer)
        self._payload = layer

    # -- building ------------------------------------------------------------------------
    def build(self) -> bytes:
        """The wire bytes, computing every field left as None. The layers are not changed."""
        fast = _fast_builder(self.__class__)
        if fast is not None and self._v is not None:  # (a decoded view leaves _built unset)
            built = self._built
            if built is None:  # built for the first time, or changed since
                data = fast(self)  # it keeps what a rebuild needs in _built
                if data is not None:
                    return data
            elif built.__class__ is not tuple:  # (tuples: the per-layer builders built it last)
                # The fused builder's cache (wire/fastpath.py): the last frame, if still right.
                data = built.rebuild(self)
                if data is None:
                    data = fast(self)
                if data is not None:
                    return data
                self._built = None
        try:
            data = self._build(None)
        except (struct.error, TypeError, OverflowError, AttributeError) as error:
            raise self._diagnose(error) from None
        return data if data.__class__ is bytes else bytes(data)

    __bytes__ = build

    def _build(self, pseudo: bytes | None) -> bytes:
        """This layer and its payload; ``pseudo`` is the network layer's pseudo-header addresses."""
        self._values()
        return self._pack(*[0 for _ in self._auto_fields]) + self._build_payload(pseudo) + self.padding

    def _build_payload(self, pseudo: bytes | None) -> bytes:
        payload = self._payload
        if payload is None:
            return b""
        if payload is LAZY:
            return self._buf[self._poff : self._pend]
        if payload._v is not None:
            if payload.__class__ is Raw and payload._payload is None and not payload.padding:
                return payload._v[0]  # type: ignore[no-any-return]  # data: the usual last layer
            return payload._build(pseudo)  # type: ignore[no-any-return]
        if payload._payload is LAZY:  # an untouched decoded view and its tail: the bytes as they were
            return payload._buf[payload._off : payload._pend] + payload.padding  # type: ignore[no-any-return]
        return payload._build(pseudo)  # type: ignore[no-any-return]

    def _diagnose(self, error: Exception) -> BuildError:
        for layer in self.layers():
            for field in layer.fields_desc:
                stored = layer._values()[field.index]
                label = f"{type(layer).__name__}.{field.name}"
                if isinstance(stored, ValueSet):
                    return BuildError(
                        f"{label} holds {len(stored)} values: iterate the packet (for p in pkt) "
                        "to build each one"
                    )
                if isinstance(field, UInt) and stored is not None and not (0 <= stored <= field.maximum):
                    return BuildError(f"{label} must be 0..{field.maximum}, got {stored!r}")
                if stored is None and field.auto is None and not isinstance(field, Var | AddressField):
                    return BuildError(f"{label} is None and {layer.name} does not compute it")
        return BuildError(f"cannot build {self.summary_safe()}: {error}")

    def __bool__(self) -> bool:
        return True

    # -- walking the stack ---------------------------------------------------------------
    def layers(self) -> list[Layer]:
        """Every layer from this one down, decoding lazy ones."""
        out = []
        layer: Layer | None = self
        while layer is not None:
            out.append(layer)
            layer = layer.payload
        return out

    def __getitem__(self, cls: type[L]) -> L:
        layer: Layer | None = self
        while layer is not None:  # exact classes first: the usual case, and the cheapest test
            if layer.__class__ is cls:
                return layer
            payload = layer._payload
            if payload is LAZY:
                payload = layer._payload = layer._decode_payload()
            layer = payload
        layer = self
        while layer is not None:  # then subclasses (ICMPv6EchoRequest for ICMPv6, ...)
            if isinstance(layer, cls):
                return layer
            layer = layer._payload
        raise IndexError(f"layer {cls.__name__} not found in {type(self).__name__}")

    def getlayer(self, cls: type[L], nb: int = 1) -> L | None:
        """The ``nb``-th layer of class ``cls`` (1 = the first), or None."""
        for layer in self.layers():
            if isinstance(layer, cls):
                nb -= 1
                if nb == 0:
                    return layer
        return None

    def haslayer(self, cls: type[Layer]) -> bool:
        """Whether a layer of class ``cls`` is in the stack."""
        return self.getlayer(cls) is not None

    def __contains__(self, cls: type[Layer]) -> bool:
        return self.getlayer(cls) is not None

    # -- packet sets ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[Layer]:
        """Every packet of the set this packet describes (itself, when no field holds a set)."""
        chain = self.layers()
        spots = [
            (depth, index, stored)
            for depth, layer in enumerate(chain)
            for index, stored in enumerate(layer._values())
            if isinstance(stored, ValueSet)
        ]
        if not spots:
            yield self
            return
        yield from self._combinations(spots, 0, {})

    def _combinations(
        self, spots: list[tuple[int, int, ValueSet]], at: int, chosen: dict[tuple[int, int], Any]
    ) -> Iterator[Layer]:
        if at == len(spots):
            packet = self.copy()
            chain = packet.layers()
            for (depth, index), value in chosen.items():
                chain[depth]._values()[index] = value
            yield packet
            return
        depth, index, values = spots[at]
        for value in values.stored():
            chosen[depth, index] = value
            yield from self._combinations(spots, at + 1, chosen)

    # -- copy and equality ---------------------------------------------------------------
    def copy(self: L) -> L:
        """A deep copy of this layer and its payload (decoded bytes are shared, they are immutable)."""
        top = last = _copy_node(self)
        while True:
            below = last._payload
            if below is None or below is LAZY:
                return top
            last._payload = below = _copy_node(below)
            last = below

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Layer)
        if self._values() != other._values() or self.padding != other.padding:
            return False
        return self.payload == other.payload

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        for field in self.fields_desc:
            stored = self._values()[field.index]
            if stored != stored_default(field):
                parts.append(f"{field.name}={field.display(stored)}")
        if self.padding:
            parts.append(f"padding={self.padding!r}")
        inner = repr(self.payload) if self.payload is not None else ""
        body = " ".join(parts)
        return f"<{type(self).__name__}{' ' if body else ''}{body} |{inner}>"

    # -- reading -------------------------------------------------------------------------
    def fields(self) -> dict[str, Any]:
        """This layer's fields as a dict of public values."""
        return {field.name: getattr(self, field.name) for field in self.fields_desc}

    def show(self, dump: bool = False) -> str | None:
        """Print (or return, with dump=True) the field tree with computed values filled in."""
        text = display.tree(self._computed())
        if dump:
            return text
        print(text)
        return None

    def _computed(self) -> Layer:
        try:
            return type(self).decode(self.build(), lenient=True)
        except BuildError:
            return self

    def summary(self) -> str:
        """One line in tcpdump's style."""
        for layer in self.layers():
            line = layer._summary()
            if line is not None:
                return line
        return type(self).__name__

    def summary_safe(self) -> str:
        """summary(), or the layer names when the packet cannot be summarised."""
        try:
            return self.summary()
        except Exception:
            return " / ".join(type(layer).__name__ for layer in self.layers())

    def _summary(self) -> str | None:
        """This layer's one-line summary, or None to let its payload speak."""
        return None

    def verify(self) -> list[Problem]:
        """Every length and checksum that differs from what the content says, with the right value.

        Lengths are judged against the content; checksums against the bytes as they are (so a
        checksum over a wrong length that is right for those bytes is not reported twice).
        Lengths and checksums that cover bytes not present (inside an ICMP error's quote, or a
        transport header in an IP fragment) are not judged.
        """
        problems = []
        for kind in (LENGTH, CHECKSUM):
            try:
                reference = self._recomputed(kind)
            except BuildError as error:
                if not error.field:
                    raise
                position, found = next(
                    (
                        (position, layer.fields().get(error.field))
                        for position, layer in enumerate(self.layers())
                        if layer.name == error.layer
                    ),
                    (-1, None),
                )
                problems.append(Problem(error.layer, error.field, found, error.value, position))
                continue
            for position, (have, want) in enumerate(zip(self.layers(), reference.layers(), strict=False)):
                if type(have) is not type(want):
                    break
                for field in have.checked_fields():
                    if field.auto != kind:
                        continue
                    found, expected = have._values()[field.index], want._values()[field.index]
                    if found is not None and found != expected:
                        problems.append(Problem(have.name, field.name, found, expected, position))
        return problems

    def checked_fields(self) -> tuple[Field[Any], ...]:
        """The lengths and checksums verify() judges in this layer (none inside a quote or fragment).

        A field of these that verify() does not report is right.
        """
        if self._mode & (QUOTED | FRAGMENT):
            return ()
        return tuple(field for field in self._auto_fields if field.auto in (LENGTH, CHECKSUM))

    def _recomputed(self: L, *kinds: str) -> L:
        """A decoded copy whose fields of the given auto kinds were recomputed from the content."""
        clone = self.copy()
        for layer in clone.layers():
            for field in layer.checked_fields():
                if field.auto in kinds:
                    layer._values()[field.index] = None
        return type(self).decode(clone.build(), lenient=bool(self._mode & LENIENT))

    def fixed(self: L) -> L:
        """A copy whose lengths and checksums are recomputed from the content."""
        return self._recomputed(LENGTH, CHECKSUM)


def _copy_node(layer: L) -> L:
    """A copy of one layer whose payload is still the original's (the caller relinks it)."""
    new = _new(layer.__class__)
    values = layer._v
    new._v = values if values is None else values.copy()
    new._built = None
    new._payload = layer._payload
    new._mode = layer._mode
    new.padding = layer.padding
    if values is None or layer._payload is LAZY:
        new._buf, new._off, new._poff, new._pend = layer._buf, layer._off, layer._poff, layer._pend
    return new


class Raw(Layer):
    """Payload bytes that no protocol claims."""

    __slots__ = ()
    name = "raw"
    load: Var[bytes] = Var("Payload bytes", b"", converter=check_bytes)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> Raw:
        layer = _new(cls)
        layer._v = [buf[offset:end]]
        layer._payload = None
        layer._mode = mode
        layer.padding = b""
        return layer

    @classmethod
    def _of(cls, data: bytes | bytearray | str) -> Raw:
        """Raw(load=data), without the keyword machinery (the ``/ b"..."`` path)."""
        layer = _new(cls)
        layer._v = [data if data.__class__ is bytes else check_bytes(data)]
        layer._payload = None
        layer._mode = 0
        layer.padding = b""
        return layer

    def _build(self, pseudo: bytes | None) -> bytes:
        load = self._values()[0]
        if self._payload is None and not self.padding:
            return load  # type: ignore[no-any-return]
        return load + self._build_payload(pseudo) + self.padding  # type: ignore[no-any-return]

    def _summary(self) -> str | None:
        return f"Raw {len(self._values()[0])} bytes"


class Undecoded(Raw):
    """The bytes a lenient decode could not decode, and why: an explicit tail, never a guess."""

    __slots__ = ()
    name = "undecoded"
    reason: Var[str] = Var("Why these bytes did not decode", "")

    @classmethod
    def _make(cls, buf: bytes, offset: int, end: int, error: DecodeError) -> Undecoded:
        layer = _new(cls)
        layer._v = [buf[offset:end], str(error)]
        layer._payload = None
        layer._mode = 0
        layer.padding = b""
        return layer

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> Undecoded:
        layer = _new(cls)
        layer._v = [buf[offset:end], ""]
        layer._payload = None
        layer._mode = mode
        layer.padding = b""
        return layer

    def _computed(self) -> Layer:
        return self  # nothing to compute, and decoding the bytes again would lose the reason

    def _summary(self) -> str | None:
        values = self._values()
        return f"Undecoded {len(values[0])} bytes ({values[1]})"
